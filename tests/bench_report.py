#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Summarise a tests/bench.sh result folder: ratios, budgets (PASS/FAIL), massif split.

Usage: python3 tests/bench_report.py RESULTS_DIR

Reads RESULTS_DIR/meta.txt, raw.tsv (timed runs), icount.tsv (instruction
counts) and massif.out; prints the tables (bench.sh tees them to table.txt).
"""

import math
import os
import re
import statistics
import sys
from collections import defaultdict

# Goals of issue 14 (the table the report ends with).
G_SUMMARY_OVER_FLOOR = 0.03   # (a): plug/none at most the floor's ratio + this
G_FIELDS = 1.12               # (b) instructions per packet, plug / none
G_VERBOSE = 1.20              # (c)
G_SYN_CPU = 1.35              # SYN flood (a), plug / none
G_RSS_MIX = 1.10              # peak RSS, 1M mix
G_RSS_SYN = 1.25              # peak RSS, 1M-SYN flood

# Budget (issue 7).
B_WALL = 1.05          # (b), (c) wall time, plugin / no plugin
B_INSTR_B = 1.06       # (b) instructions per packet
B_INSTR_A = 1.50       # (a) instructions per packet
B_RSS = 1.05           # peak RSS
B_PKT = 48             # plugin's own bytes per TCP packet
B_CONN = 512           # plugin's own bytes per connection
B_GROWTH = 10.5        # 10x packets -> at most 10.5x time

MODES = {"a": "(a) summary", "b": "(b) -T fields", "c": "(c) -2 -V",
         "d": "(d) -z tcpstate,conns", "dconv": "(d') -z conv,tcp"}


def mode_label(mode):
    return MODES.get(mode, mode).split(" ")[0]


def read_meta(d):
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    return meta


def read_raw(d):
    runs = defaultdict(list)   # (cap, mode, cfg) -> [(wall, cpu, rss_kb)]
    info = {}                  # cap -> (packets, conns)
    path = os.path.join(d, "raw.tsv")
    if not os.path.exists(path):
        return runs, info
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 10:
                continue
            _, cap, mode, cfg, _, wall, cpu, rss, npkt, nconn = p[:10]
            runs[(cap, mode, cfg)].append((float(wall), float(cpu), int(rss)))
            info[cap] = (int(npkt), int(nconn or 0))
    return runs, info


def read_icount(d):
    ic = {}
    path = os.path.join(d, "icount.tsv")
    if not os.path.exists(path):
        return ic
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 5 and p[3]:
                ic[(p[0], p[1], p[2])] = (int(p[3]), int(p[4]))
    return ic


def med(runs, key, i):
    v = runs.get(key)
    if not v:
        return None
    return statistics.median(r[i] for r in v)


def ratio(x, y):
    if x is None or y is None or y == 0:
        return None
    return x / y


def fmt(x, spec=".3f", none="-"):
    return none if x is None else format(x, spec)


def verdict(value, limit):
    if value is None:
        return "n/a"
    return "PASS" if value <= limit else "FAIL"


# ---- massif ----------------------------------------------------------------

NODE = re.compile(r"^( *)n(\d+): (\d+) (.*)$")


def massif_peak(path):
    """Returns (peak heap bytes, [(bytes, plugin site)]) for the peak snapshot."""
    if not os.path.exists(path):
        return None, []
    with open(path) as f:
        lines = f.read().split("\n")
    # The snapshot marked heap_tree=peak (else the largest detailed one).
    best, best_heap, cur_heap, start = None, -1, 0, None
    for i, line in enumerate(lines):
        if line.startswith("mem_heap_B="):
            cur_heap = int(line.split("=")[1])
        elif line.startswith("heap_tree="):
            kind = line.split("=")[1]
            if kind == "peak":
                best, best_heap = i + 1, cur_heap
                break
            if kind == "detailed" and cur_heap > best_heap:
                best, best_heap = i + 1, cur_heap
    if best is None:
        return None, []
    # A plugin frame names tcpstate (its file or .so) -- or, when Wireshark
    # unloaded the plugin before massif wrote its output, is a bare
    # "0x...: ???" that no object claims: then the site is named by the
    # Wireshark/GLib function it called (wmem_alloc0, p_add_proto_data...).
    sites = defaultdict(int)
    stack = []              # (depth, counted, function name)
    for line in lines[best:]:
        m = NODE.match(line)
        if not m:
            break
        depth, nbytes, desc = len(m.group(1)), int(m.group(3)), m.group(4)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        counted = any(c for _, c, _ in stack)
        fn = re.sub(r"^0x[0-9A-Fa-f]+: ", "", desc)
        fn = re.sub(r" \(in /[^)]*\)$", "", fn)
        unresolved = re.match(r"^0x[0-9A-Fa-f]+: \?\?\?$", desc) is not None
        mine = not counted and ("tcpstate" in desc or unresolved)
        if mine:
            if unresolved:
                callee = next((f for _, _, f in reversed(stack) if f != "???"), "?")
                fn = "(unloaded plugin code) -> %s" % callee
            sites[fn] += nbytes
        stack.append((depth, counted or mine, fn))
    return best_heap, sorted(((b, s) for s, b in sites.items()), reverse=True)


# ---- report ----------------------------------------------------------------

def per_packet(ic, cap, mode, cfg):
    """Instructions per packet on cap, start-up (one.pcap, same mode) removed."""
    one, big = ic.get(("one.pcap", mode, cfg)), ic.get((cap, mode, cfg))
    if not one or not big or big[1] <= one[1]:
        return None
    return (big[0] - one[0]) / float(big[1] - one[1])


def issue14_table(p, meta, runs, ic):
    """Each mode: plug against none and against the do-nothing floor (noop),
    the floor's own ratio beside ours, the goal and PASS/FAIL."""
    icap, short, syni = meta.get("icount_capture"), meta.get("short"), meta.get("syn_icount")
    mix, syn = meta.get("mix"), meta.get("syn")
    rows = []   # (what, none, noop, plug, x none, floor x none, x noop, goal, verdict)

    def instr_row(what, cap, mode, goal_text, limit_of):
        none, noop, plug = (per_packet(ic, cap, mode, c) for c in ("none", "noop", "plug"))
        r, fl = ratio(plug, none), ratio(noop, none)
        limit = limit_of(fl)
        rows.append((what, fmt(none, ".0f"), fmt(noop, ".0f"), fmt(plug, ".0f"), fmt(r),
                     fmt(fl), fmt(ratio(plug, noop)), goal_text,
                     verdict(r, limit) if limit is not None else "n/a"))

    def floor_plus(fl):
        return None if fl is None else fl + G_SUMMARY_OVER_FLOOR

    if ic:
        instr_row("(a) tshark -r, %s, instr/pkt" % icap, icap, "a",
                  "floor + %.2f" % G_SUMMARY_OVER_FLOOR, floor_plus)
        instr_row("(a) tshark -r, %s, instr/pkt" % short, short, "a",
                  "floor + %.2f" % G_SUMMARY_OVER_FLOOR, floor_plus)
        instr_row("(b) -T fields, %s, instr/pkt" % icap, icap, "b", "<= %.2fx" % G_FIELDS,
                  lambda fl: G_FIELDS)
        instr_row("(c) -2 -V, %s, instr/pkt" % icap, icap, "c", "<= %.2fx" % G_VERBOSE,
                  lambda fl: G_VERBOSE)
        instr_row("SYN flood (a), %s, instr/pkt" % syni, syni, "a", "<= %.2fx" % G_SYN_CPU,
                  lambda fl: G_SYN_CPU)

    def timed_row(what, cap, i, scale, spec, limit):
        none, noop, plug = (med(runs, (cap, "a", c), i) for c in ("none", "noop", "plug"))
        if plug is None or none is None:
            return
        sc = (lambda v: None if v is None else v * scale)
        r = ratio(plug, none)
        rows.append((what, fmt(sc(none), spec), fmt(sc(noop), spec), fmt(sc(plug), spec), fmt(r),
                     fmt(ratio(noop, none)), fmt(ratio(plug, noop)), "<= %.2fx" % limit,
                     verdict(r, limit)))

    timed_row("SYN flood (a), %s, CPU s" % syn, syn, 1, 1.0, ".2f", G_SYN_CPU)
    timed_row("peak RSS (a), %s, MB" % mix, mix, 2, 1 / 1024.0, ".0f", G_RSS_MIX)
    timed_row("peak RSS (a), %s, MB" % syn, syn, 2, 1 / 1024.0, ".0f", G_RSS_SYN)
    if not rows:
        return
    p("Issue 14: the plugin against tshark without it (none) and the do-nothing floor (noop)")
    hdr = ("what", "none", "noop", "tcpstate", "x none", "floor x", "x noop", "goal", "verdict")
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    line = lambda r: "  ".join(str(v).ljust(widths[i]) if i == 0 else str(v).rjust(widths[i])
                               for i, v in enumerate(r))
    p(line(hdr))
    p("-" * len(line(hdr)))
    for r in rows:
        p(line(r))
    p("(instr/pkt: callgrind, start-up removed; x none = tcpstate / none; floor x = noop / none;"
      " x noop = tcpstate / noop)")
    p("")


def main(d):
    meta = read_meta(d)
    runs, info = read_raw(d)
    ic = read_icount(d)
    out = []
    p = out.append
    budget = []     # (line, value text, limit text, verdict)

    p("tcpstate benchmark -- %s" % d)
    p("machine: %s, %s CPUs, %s RAM; Wireshark %s" % (meta.get("cpu_model"), meta.get("cpus"),
      meta.get("ram"), meta.get("wireshark")))
    p("plugin: %s (sha256 %s, git %s)" % (meta.get("plugin"), meta.get("plugin_sha"), meta.get("git")))
    p("load average at start %s, at end %s; %s s; wall runs: median of %s (100k), %s (1M/5M)"
      % (meta.get("load_start"), meta.get("load_end"), meta.get("seconds"),
         meta.get("repeat"), meta.get("repeat_big")))
    try:
        if float(meta.get("load_start", "0").split()[0]) > 0.5 * int(meta.get("cpus", "1")):
            p("NOTE: the machine was busy (load average > half the CPUs): wall times are noisy;"
              " CPU time and instruction counts are the steadier figures.")
    except ValueError:
        pass
    if meta.get("quick") == "1":
        p("NOTE: TSB_QUICK=1 -- small captures, figures are only a smoke test.")
    if meta.get("have_noop") != "1":
        p("NOTE: no-op postdissector not built: no floor figures.")
    p("")

    # Timed runs.
    if runs:
        p("Timed runs (median wall s / median CPU s / peak RSS MB); ratios against 'none'")
        hdr = "%-26s %-22s %-6s %8s %8s %8s %7s %7s %7s" % (
            "capture", "mode", "cfg", "wall", "cpu", "rssMB", "x wall", "x cpu", "x rss")
        p(hdr)
        p("-" * len(hdr))
        seen = []
        for (cap, mode, cfg) in runs:
            if (cap, mode) not in seen:
                seen.append((cap, mode))
        for cap, mode in seen:
            base = (cap, mode if mode != "d" else "dconv", "none")
            for cfg in ("none", "noop", "plug"):
                k = (cap, mode, cfg)
                if k not in runs:
                    continue
                w, c, r = med(runs, k, 0), med(runs, k, 1), med(runs, k, 2)
                p("%-26s %-22s %-6s %8.2f %8.2f %8.1f %7s %7s %7s" % (
                    cap, MODES.get(mode, mode), cfg, w, c, r / 1024.0,
                    fmt(ratio(w, med(runs, base, 0))), fmt(ratio(c, med(runs, base, 1))),
                    fmt(ratio(r, med(runs, base, 2)))))
        p("")

    mix, mixs, syn = meta.get("mix"), meta.get("mix_small"), meta.get("syn")
    single, single_mid, single_small = meta.get("single"), meta.get("single_mid"), meta.get("single_small")

    def wall_ratio(cap, mode, cfg="plug", base="none", i=0):
        return ratio(med(runs, (cap, mode, cfg), i), med(runs, (cap, mode, base), i))

    # Wall time is the budget; CPU time (user+sys) is shown beside it because
    # on a shared machine it is far steadier.
    for cap, mode in ((mix, "b"), (syn, "b"), (mixs, "b"), (mixs, "c")):
        r, rc = wall_ratio(cap, mode), wall_ratio(cap, mode, i=1)
        if r is not None:
            budget.append(("%s wall, %s" % (mode_label(mode), cap),
                           "%.3fx (cpu %s)" % (r, fmt(rc)), "<= %.2fx" % B_WALL,
                           "%s (cpu %s)" % (verdict(r, B_WALL), verdict(rc, B_WALL))))
    if meta.get("have_tap") == "1":
        r = ratio(med(runs, (mixs, "d", "plug"), 0), med(runs, (mixs, "dconv", "none"), 0))
        budget.append(("(d) tcpstate,conns vs conv,tcp wall, %s" % mixs, fmt(r) + "x",
                       "(info)", "info"))
    else:
        p("(d) skipped: the plugin has no -z tcpstate,conns tap (not in `tshark -z help`)")
        p("")

    # Instruction counts.
    per_pkt = {}
    if ic:
        icap = meta.get("icount_capture")
        p("Instructions per packet (%s), start-up removed: (I(%s) - I(one.pcap)) / (packets - 1)"
          % (meta.get("icount_tool"), icap))
        hdr = "%-22s %-6s %14s %14s %10s %8s %8s" % ("mode", "cfg", "I(1 pkt)", "I(N pkts)",
                                                     "instr/pkt", "x none", "x noop")
        p(hdr)
        p("-" * len(hdr))
        for mode in ("a", "b", "c"):
            for cfg in ("none", "noop", "plug"):
                one, big = ic.get(("one.pcap", mode, cfg)), ic.get((icap, mode, cfg))
                if not one or not big:
                    continue
                per_pkt[(mode, cfg)] = (big[0] - one[0]) / float(big[1] - one[1])
            for cfg in ("none", "noop", "plug"):
                if (mode, cfg) not in per_pkt:
                    continue
                v = per_pkt[(mode, cfg)]
                p("%-22s %-6s %14d %14d %10.0f %8s %8s" % (
                    MODES[mode], cfg, ic[("one.pcap", mode, cfg)][0], ic[(icap, mode, cfg)][0], v,
                    fmt(ratio(v, per_pkt.get((mode, "none")))),
                    fmt(ratio(v, per_pkt.get((mode, "noop"))))))
        p("")
        for mode, lim in (("b", B_INSTR_B), ("a", B_INSTR_A)):
            r = ratio(per_pkt.get((mode, "plug")), per_pkt.get((mode, "none")))
            fl = ratio(per_pkt.get((mode, "noop")), per_pkt.get((mode, "none")))
            if r is not None:
                budget.append(("%s instructions/packet" % MODES[mode],
                               "%.3fx (floor %s)" % (r, fmt(fl)), "<= %.2fx" % lim, verdict(r, lim)))

    issue14_table(p, meta, runs, ic)

    # Memory.
    def rss_delta_bytes(cap, mode="a"):
        a, b = med(runs, (cap, mode, "plug"), 2), med(runs, (cap, mode, "none"), 2)
        if a is None or b is None:
            return None
        return (a - b) * 1024.0

    for cap in (mix, syn, single, single_mid):
        if cap == single_mid and wall_ratio(single, "a", i=2) is not None:
            continue
        r = wall_ratio(cap, "a", i=2)
        if r is not None:
            budget.append(("peak RSS, %s (a)" % cap, "%.3fx" % r, "<= %.2fx" % B_RSS, verdict(r, B_RSS)))
    per_pkt_b = per_conn_b = None
    for cap in (single, single_mid):
        d_ = rss_delta_bytes(cap)
        if d_ is not None and info.get(cap):
            per_pkt_b = d_ / info[cap][0]
            budget.append(("plugin bytes/packet (one connection, %s)" % cap, "%.1f B" % per_pkt_b,
                           "<= %d B" % B_PKT, verdict(per_pkt_b, B_PKT)))
            break
    d_ = rss_delta_bytes(syn)
    if d_ is not None and info.get(syn):
        per_conn_b = d_ / info[syn][1] - (per_pkt_b or 0)
        budget.append(("plugin bytes/connection (SYN flood, minus bytes/packet)", "%.1f B" % per_conn_b,
                       "<= %d B" % B_CONN, verdict(per_conn_b, B_CONN)))
    d_ = rss_delta_bytes(mix)
    if d_ is not None and info.get(mix):
        n, c = info[mix]
        allowed = B_PKT * n + B_CONN * c
        budget.append(("plugin bytes, %s vs %d*pkts+%d*conns" % (mix, B_PKT, B_CONN),
                       "%.1f MB (%.0f B/pkt)" % (d_ / 1e6, d_ / n),
                       "<= %.1f MB" % (allowed / 1e6), verdict(d_, allowed)))

    # Growth.
    gs = [(info[c][0], c) for c in (single_small, single_mid, single) if c in info]
    if len(gs) >= 2:
        p("Growth, one connection, (a), plug (wall and CPU minus the 1-packet start-up run):")
        st_w = med(runs, ("one.pcap", "a", "plug"), 0) or 0.0
        st_c = med(runs, ("one.pcap", "a", "plug"), 1) or 0.0
        pts = []
        for n, c in sorted(gs):
            w, cp, rss = (med(runs, (c, "a", "plug"), i) for i in range(3))
            wn, cn = med(runs, (c, "a", "none"), 0), med(runs, (c, "a", "none"), 1)
            pts.append((n, w - st_w, cp - st_c))
            p("  %9d packets: %8.2f s wall (%8.2f net), %8.2f s cpu (%8.2f net), %7.1f MB;"
              " none %s s wall, %s s cpu"
              % (n, w, w - st_w, cp, cp - st_c, rss / 1024.0, fmt(wn, ".2f"), fmt(cn, ".2f")))
        for (n0, w0, c0), (n1, w1, c1) in zip(pts, pts[1:]):
            k = math.log(n1 / n0, 10)
            if w0 > 0 and c0 > 0 and w1 > 0 and c1 > 0:
                gw = (w1 / w0) ** (1 / k)
                gc = (c1 / c0) ** (1 / k)
                budget.append(("growth %d -> %d packets, per 10x" % (n0, n1),
                               "%.2fx wall, %.2fx cpu" % (gw, gc), "<= %.1fx" % B_GROWTH,
                               "%s (cpu %s)" % (verdict(gw, B_GROWTH), verdict(gc, B_GROWTH))))
        p("")

    # Massif.
    heap, sites = massif_peak(os.path.join(d, "massif.out"))
    icap = meta.get("icount_capture")
    if heap is not None and icap in info:
        n, c = info[icap]
        total = sum(b for b, _ in sites)
        p("Massif, %s (b) with the plugin, wmem 'simple' allocator: peak heap %.1f MB, of it"
          " allocated from tcpstate code %.1f MB = %.1f B/packet%s"
          % (icap, heap / 1e6, total / 1e6, total / float(n),
             (", %.0f B/connection" % (total / float(c))) if c else ""))
        p("  %12s %9s  %s" % ("bytes", "B/packet", "allocation site (first tcpstate frame)"))
        for b, s in sites[:15]:
            p("  %12d %9.1f  %s" % (b, b / float(n), s))
        p("")

    # Budget table.
    p("Budget (issue 7)")
    w1 = max([len(b[0]) for b in budget] + [10])
    w2 = max([len(b[1]) for b in budget] + [10])
    hdr = "%-*s  %-*s  %-10s  %s" % (w1, "line", w2, "measured", "budget", "verdict")
    p(hdr)
    p("-" * len(hdr))
    for line, val, lim, v in budget:
        p("%-*s  %-*s  %-10s  %s" % (w1, line, w2, val, lim, v))
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
