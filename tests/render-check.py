#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The tree's labels say what its fields hold, in both languages (issue 14).

The glue builds its labels by copying pieces (precomputed "Client: A -> B"
labels, the header, the whole-connection line) and cuts the explanation's
lines from one buffer in place.  This check reads tshark -2 -T pdml of a
capture (default captures/mixed.pcap), once per language, and for every
packet's tcpstate subtree asserts, from the field values alone:

- the header names the stage and both endpoints' before/after states;
- each "Client: A -> B" / "Server: A -> B" item shows its hidden before
  field and its own (after) value;
- the explanation's first line (after "Explanation: " / "解释：") and the
  text lines after it are the explanation's value, cut only where it had a
  blank (dropped) or after a CJK comma/full stop/semicolon: joined they
  give back the whole value, no word lost, none added; no line is wider
  than 90 columns (a CJK character takes two);
- the whole-connection line names the final states and Zeek state of the
  fields below it (and in English the outcome, which Chinese translates),
  and ends with exactly the list of its tcpstate.conn.anomaly fields, in
  their order, or "none";
- the Zeek line starts with its conn_state value and ends with the hidden
  history field below it (or "(empty)").
The header, the Zeek line, the whole-connection line and the explanation's
first line are joined from the catalog's formats without printf
(tcpstate_labels.c); this is what says they still agree with the fields.

Usage: tests/render-check.py [capture]   (TCPSTATE_PLUGIN, TSHARK as for
tests/run-tshark.sh).  Exit 0 when every packet agrees, 1 otherwise.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH = 90
LANGS = {
    "en": {"expl": "Explanation: ", "header": "TCP Connection State Machine: ",
           "open": " (", "sep": ", ", "close": ")", "who": ("Client", "Server"),
           "side": ("client", "server"), "colon": ": ", "zeek": "Zeek: conn_state ",
           "history": ", history ", "empty": "(empty)", "anomalies": ", anomalies: ",
           "list": ", ", "none": "none"},
    "zh": {"expl": "解释：", "header": "TCP 连接状态机：", "open": "（", "sep": "，",
           "close": "）", "who": ("客户端", "服务端"), "side": ("客户端", "服务端"),
           "colon": "：", "zeek": "Zeek：conn_state ", "history": "，history ", "empty": "（空）",
           "anomalies": "，异常：", "list": "、", "none": "无"},
}
CJK_CUTS = ("，", "。", "；")


def columns(text):
    return sum(2 if len(ch.encode("utf-8")) == 3 else 1 for ch in text)


def pdml(capture, lang):
    cmd = ["bash", os.path.join(HERE, "run-tshark.sh"), "-r", capture, "-2", "-T", "pdml",
           "-o", "tcpstate.language:" + lang]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return ET.fromstring(out)


def field(parent, name):
    for f in parent.iter("field"):
        if f.get("name") == name:
            return f
    return None


def check_packet(num, proto, w, errors):
    def bad(msg):
        errors.append("frame %s (%s): %s" % (num, w["expl"].strip(), msg))

    kids = list(proto)
    val = {f.get("name"): f.get("show") for f in proto.iter("field") if f.get("name")}

    head = w["header"] + (field(proto, "tcpstate.stage").get("showname").split(w["colon"], 1)[1]
                          if w is LANGS["zh"] else val["tcpstate.stage"])
    want = "%s%s%s %s -> %s%s%s %s -> %s%s" % (
        head, w["open"], w["side"][0], val["tcpstate.client.before"], val["tcpstate.client.after"],
        w["sep"], w["side"][1], val["tcpstate.server.before"], val["tcpstate.server.after"],
        w["close"])
    if proto.get("showname") != want:
        bad("header %r, expected %r" % (proto.get("showname"), want))

    for i, role in enumerate(("client", "server")):
        f = field(proto, "tcpstate.%s.after" % role)
        want = "%s%s%s -> %s" % (w["who"][i], w["colon"], val["tcpstate.%s.before" % role],
                                 val["tcpstate.%s.after" % role])
        if f.get("showname") != want:
            bad("%s item %r, expected %r" % (role, f.get("showname"), want))

    # The explanation and the text lines right after it.
    idx = next(i for i, f in enumerate(kids) if f.get("name") == "tcpstate.explanation")
    expl = kids[idx]
    first = expl.get("showname")
    if not first.startswith(w["expl"]):
        bad("explanation label %r" % first)
        return
    lines = [first[len(w["expl"]):]]
    if columns(first) > WIDTH:
        bad("first line wider than %d columns: %r" % (WIDTH, first))
    for f in kids[idx + 1:]:
        if f.get("name") or len(f):
            break
        lines.append(f.get("show"))
    value, pos = expl.get("show"), 0
    for n, line in enumerate(lines):
        if n and columns(line) > WIDTH:
            bad("line wider than %d columns: %r" % (WIDTH, line))
        if not line or line != line.strip(" "):
            bad("line empty or with blanks at its ends: %r" % line)
        if not value.startswith(line, pos):
            bad("line %d %r is not the value's text at byte %d" % (n, line, pos))
            return
        pos += len(line)
        if n + 1 < len(lines):
            if value.startswith(" ", pos):
                pos += 1
            elif not line.endswith(CJK_CUTS):
                bad("line %d cut inside a word: %r" % (n, line))
    if pos != len(value):
        bad("the lines stop at %d of %d characters of the value" % (pos, len(value)))

    # The whole-connection line against its fields.
    conn = next((f for f in kids if not f.get("name") and len(f)), None)
    if conn is not None:
        show = conn.get("show")
        # (the outcome is translated in Chinese; states and Zeek codes never are)
        names = ("tcpstate.conn.client_final", "tcpstate.conn.server_final",
                 "tcpstate.conn.zeek_state")
        if w is LANGS["en"]:
            names = ("tcpstate.conn.outcome",) + names
        for name in names:
            if val.get(name) and val[name] not in show:
                bad("connection line %r does not name %s %r" % (show, name, val[name]))
        listed = [f.get("show") for f in conn.iter("field") if f.get("name") == "tcpstate.conn.anomaly"]
        want = w["anomalies"] + (w["list"].join(listed) if listed else w["none"])
        if not show.endswith(want):
            bad("connection line %r does not end with %r" % (show, want))

    zeek = field(proto, "tcpstate.zeek.conn_state")
    if zeek is not None:
        hist = field(zeek, "tcpstate.zeek.history")
        shown = zeek.get("showname")
        want_end = w["history"] + ((hist.get("show") or w["empty"]) if hist is not None else "")
        if not shown.startswith(w["zeek"] + zeek.get("show") + w["open"]) or \
                not shown.endswith(want_end):
            bad("Zeek line %r: conn_state %r, history ending %r" % (shown, zeek.get("show"), want_end))


def main():
    capture = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "captures", "mixed.pcap")
    errors, packets = [], 0
    for lang, w in LANGS.items():
        root = pdml(capture, lang)
        for pkt in root.iter("packet"):
            num = next((f.get("show") for f in pkt.iter("field") if f.get("name") == "frame.number"), "?")
            for proto in pkt.iter("proto"):
                if proto.get("name") == "tcpstate":
                    packets += 1
                    check_packet(num, proto, w, errors)
    for e in errors[:30]:
        print(e)
    if errors:
        print("render-check: %d disagreement(s)" % len(errors))
        return 1
    if packets == 0:
        print("render-check: no tcpstate subtree in %s" % capture)
        return 1
    print("render-check: %d subtrees agree with their fields (en, zh)" % packets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
