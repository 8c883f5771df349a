#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# -z tcpstate,connlog read the way Zeek users read conn.log: through
# tests/zeek_cut.py (zeek-cut's header rules), its JSON twin, and the
# display filter argument.  Expected columns worked out by hand from
# captures/crafted_zeek_boundary_close.pcap (see zeek_boundary_close.case
# for conn_state and history) and Zeek's rules (plugin/ZEEK.md):
#   41410 Zeek conn 0, frames 1-6 (handshake, 100 bytes, client RST):
#     client SYN 60 + ACK 52 + data 152 + RST-ACK 52 (timestamps option:
#     IP 20 + TCP 32) = 316 in 4 packets; server SYN-ACK 60 + ACK 52 = 112
#     in 2; orig_bytes: highest seq/ack 101 past the start, minus the SYN =
#     100; resp 0; duration 0.005050 (frame 6 - frame 1).
#   41410 Zeek conn 1, frames 7-8 (after the 5 s close delay): client data
#     50 (IP 102), server RST without options (40); the client's start is
#     seq - 1 (no SYN): size 51 - 1 = 50; duration 0.001.
#   41411 Zeek conn 0, frames 9-19: 6 client packets 420 bytes, 5 server
#     packets 468 bytes, 100 and 200 bytes of data; duration 0.008490: from
#     frame 9 (16.006050) to frame 18 (16.014540), the second FIN, not to
#     the final ACK: TCPSessionAdapter::Process updates last_time only while
#     a side has not closed (did_close).
#   41411 Zeek conn 1, frames 20-21: the server's FIN (52) starts it, so the
#     server is the originator; TCP_Endpoint::Size: highest seq 2 past the
#     start Zeek assumes (seq - 1), minus the assumed SYN octet and the FIN:
#     0; client ACK 52, size 0; duration 0.000040.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
py=${PYTHON:-python3}
cap=captures/crafted_zeek_boundary_close.pcap
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tests/run-tshark.sh -q -r "$cap" -z tcpstate,connlog > "$tmp/conn.log"
"$py" tests/zeek_cut.py id.orig_p id.resp_p duration orig_bytes resp_bytes conn_state \
    missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes < "$tmp/conn.log" > "$tmp/got"
printf '%s\n' \
    "41410	7777	0.005050	100	0	RSTO	0	ShADaR	4	316	2	112" \
    "41410	7777	0.001000	50	0	RSTRH	0	Dr	1	102	1	40" \
    "41411	7777	0.008490	100	200	SF	0	ShADadFf	6	420	5	468" \
    "7777	41411	0.000040	0	0	SH	0	Fa	1	52	1	52" > "$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got"; then
    echo "FAIL: conn.log columns (zeek_cut.py) differ"; fail=1
fi

# -n: every column but the named ones; an unknown column prints empty.
"$py" tests/zeek_cut.py -n ts uid id.orig_h id.resp_h < "$tmp/conn.log" > "$tmp/neg"
# 23 columns (Zeek >= 7.1 with community_id: ... tunnel_parents ip_proto
# community_id) minus the 4 named.
head -1 "$tmp/neg" | awk -F'\t' 'NF != 19 { print "FAIL: -n kept " NF " columns, want 19"; exit 1 }' || fail=1
[ "$("$py" tests/zeek_cut.py nosuchcolumn < "$tmp/conn.log" | sort -u)" = "" ] ||
    { echo "FAIL: unknown column not empty"; fail=1; }

# JSON: the same records, unset fields left out (Zeek's JSON writer).
tests/run-tshark.sh -q -r "$cap" -z tcpstate,connlog,json > "$tmp/conn.json"
"$py" - "$tmp/conn.log" "$tmp/conn.json" <<'PY' || fail=1
import json, sys
sys.path.insert(0, "tests")
from zeek_cut import cut
ascii_lines = open(sys.argv[1]).read().splitlines()
fields = [l for l in ascii_lines if l.startswith("#fields")][0].split("\t")[1:]
rows = [r.split("\t") for r in cut(ascii_lines, fields)]
objs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
if len(rows) != len(objs):
    sys.exit("FAIL: %d ASCII rows, %d JSON objects" % (len(rows), len(objs)))
for row, obj in zip(rows, objs):
    want = {f: v for f, v in zip(fields, row) if v != "-"}
    # times and intervals: JSON has the double (shortest form), ASCII %.6f
    got = {k: (("%.6f" % v) if isinstance(v, float) else str(v)) for k, v in obj.items()}
    if want != got:
        sys.exit("FAIL: JSON %r != ASCII %r" % (got, want))
    for key in ("service", "local_orig", "tunnel_parents"):
        if key in obj:
            sys.exit("FAIL: unset %s written in JSON" % key)
print("json: %d records match" % len(objs))
PY

# Zeek's JSON writer prints times and intervals as the doubles Zeek holds
# (sec + usec / 1e6; a duration is their difference), shortest form:
# 1700000000.0 for the first connection's ts, and frame 21 - frame 20 of
# 41411 (26.014620 - 26.014580) is not exactly 0.00004 in doubles.
head -1 "$tmp/conn.json" | grep -q '^{"ts":1700000000.0,' ||
    { echo "FAIL: JSON ts of the first record"; fail=1; }
tail -1 "$tmp/conn.json" | grep -q '"duration":0.0000400' ||
    { echo "FAIL: JSON duration as a double"; fail=1; }

# A display filter selects connections as for the other taps.
tests/run-tshark.sh -q -r "$cap" -z "tcpstate,connlog,tcp.port==41411" |
    "$py" tests/zeek_cut.py id.orig_p id.resp_p conn_state > "$tmp/got"
printf '%s\n' "41411	7777	SF" "7777	41411	SH" > "$tmp/want"
diff -u "$tmp/want" "$tmp/got" || { echo "FAIL: filtered conn.log"; fail=1; }
# The filter selects Zeek connections: tcpstate.zeek.conn==1 matches frames
# 7-8 (41410) and 20-21 (41411) only, so only those two Zeek connections
# are logged, not the connections 0 of the same tcpstate connections.
tests/run-tshark.sh -q -r "$cap" -z "tcpstate,connlog,tcpstate.zeek.conn==1" |
    "$py" tests/zeek_cut.py id.orig_p id.resp_p conn_state history > "$tmp/got"
printf '%s\n' "41410	7777	RSTRH	Dr" "7777	41411	SH	Fa" > "$tmp/want"
diff -u "$tmp/want" "$tmp/got" || { echo "FAIL: conn.log filtered by Zeek connection"; fail=1; }
tests/run-tshark.sh -q -r "$cap" -z "tcpstate,connlog,json,tcp.port==41410" |
    grep -c '"id.orig_p":41410' | grep -qx 2 || { echo "FAIL: filtered JSON"; fail=1; }

# Command-line mistakes: a clear message and a non-zero exit.
for bad in "tcpstate,connlogx" "tcpstate,connlog,tcp.port==(("; do
    if tests/run-tshark.sh -q -r "$cap" -z "$bad" > /dev/null 2> "$tmp/err"; then
        echo "FAIL: -z $bad accepted"; fail=1
    elif ! grep -q "tcpstate,connlog" "$tmp/err"; then
        echo "FAIL: -z $bad: no message naming the tap"; cat "$tmp/err"; fail=1
    fi
done

[ "$fail" = 0 ] && echo "connlog-check: all passed"
exit "$fail"
