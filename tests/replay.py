#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs a tests/e2e case through ts_replay (the core alone, no tshark).

    python3 tests/replay.py REPLAY_BINARY CASE [--hits FILE]
    python3 tests/replay.py REPLAY_BINARY --batch CASE...   (mutation check:
        runs every qualifying case, stops at the first failure, prints its name)

A case qualifies when it is a fields-mode case with an 'expect:' section,
no display filter, no must_(not_)contain, only '-2' (or nothing) as tshark
arguments, and only fields the core gives by itself (ts_replay's list).
The expected lines are compared as e2e.py compares them.  Exit status 0
pass, 1 fail, 77 the case does not qualify (ctest: skipped), 2 usage.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the case parser and comparison of the e2e tests)

FIELDS = {"frame.number", "tcp.stream", "tcp.flags.str", "tcpstate.stage",
          "tcpstate.retransmission", "tcpstate.inferred", "tcpstate.client.before",
          "tcpstate.client.after", "tcpstate.server.before", "tcpstate.server.after",
          "tcpstate.anomaly"}


# Cases about what the glue does before the core (Wireshark's reassembly,
# tunnels, damaged headers): ts_replay parses plain frames only.
GLUE_ONLY = {
    "states_crafted_ipv4_fragments": "Wireshark reassembles IPv4 fragments",
    "states_crafted_tunnel": "TCP inside GRE and IP-in-IP tunnels",
    "states_crafted_tcp_in_tcp": "a TCP segment inside another TCP segment's payload",
    "states_crafted_truncated": "frames cut inside the TCP header",
    "states_crafted_truncated_options": "TCP options cut by the snapshot length",
    "states_crafted_bad_data_offset": "a TCP data offset beyond the captured header",
}


def qualifies(case):
    return (case.name not in GLUE_ONLY and case.mode == "fields" and case.expect is not None and case.filter is None
            and not case.must and not case.must_not and case.command is None
            and all(a == "-2" for a in case.args) and set(case.fields) <= FIELDS)


def run_quiet(binary, case):
    cmd = [binary, "-r", case.capture_path()] + case.args
    for f in case.fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    actual = e2e.normalize_lines(proc.stdout.decode("utf-8", errors="replace").split("\n"))
    return proc.returncode == 0 and \
        [e2e.normalize_bool(l) for l in actual] == [e2e.normalize_bool(l) for l in case.expect]


def batch(binary, paths):
    n = 0
    for path in paths:
        case = e2e.Case(path)
        if not qualifies(case):
            continue
        n += 1
        if not run_quiet(binary, case):
            print("replay.%s" % case.name)
            return 1
    print("%d cases pass" % n)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[2] == "--batch":
        return batch(argv[1], argv[3:])
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--hits"):
        print(__doc__, file=sys.stderr)
        return 2
    binary, path = argv[1], argv[2]
    case = e2e.Case(path)
    if not qualifies(case):
        print("SKIP %s: needs tshark (fields, filter or arguments the core alone cannot give)"
              % case.name)
        return 77
    cmd = [binary, "-r", case.capture_path()] + case.args
    if len(argv) == 5:
        cmd += ["--hits", argv[4]]
    for f in case.fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        print("FAIL %s: %s exited %d: %s" % (case.name, binary, proc.returncode,
                                              proc.stderr.decode(errors="replace")))
        return 1
    actual = e2e.normalize_lines(proc.stdout.decode("utf-8", errors="replace").split("\n"))
    if [e2e.normalize_bool(l) for l in actual] == [e2e.normalize_bool(l) for l in case.expect]:
        print("PASS %s (replay)" % case.name)
        return 0
    print("FAIL %s (replay)\n  command: %s" % (case.name, " ".join(cmd)))
    print(e2e.readable_diff(case, case.expect, actual))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
