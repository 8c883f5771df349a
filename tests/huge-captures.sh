#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/huge-captures.sh: the plugin on captures far larger than the test
# captures, checked for right answers (not a benchmark, not a ctest test: it
# takes several minutes; CI runs it as its own step).
#
#   tests/huge-captures.sh
#
# Generates, reproducibly, into a temporary folder removed at the end:
#   (a) a SYN flood: 1,000,000 SYNs to 10.88.0.2:7777, each from its own
#       (address, port) pair, none answered (captures/gen_synflood.py: 32000
#       source addresses, ports 1024 + (i / 32000 + addr index) mod 64512, so
#       no pair repeats), one every 10 us (100,000 per second);
#   (b) one connection of 5,000,001 packets (captures/gen_traffic.py
#       --single: handshake, 2,499,997 data/ACK exchanges alternating
#       direction, four-way close started by the client), whose ISNs are
#       placed so that both sides' sequence numbers wrap past 2^32 half way;
#       checked below on the capture itself.
# and runs tshark with the plugin (tests/run-tshark.sh) on each:
#   1. (a), one pass, -q -z tcpstate,conns
#   2. (a), two passes, -T fields -e tcpstate.anomaly, counted
#   3. (b), one pass, -q -z tcpstate,conns
#   4. (b), one pass, -T fields -e tcpstate.stage -e tcpstate.anomaly, counted
# Each must exit 0 and give the answers derived below.  Durations and peak
# RSS (getrusage of tshark, i.e. /usr/bin/time's "maximum resident set
# size") are printed; time is never asserted.  RSS is asserted only against
# a sanity bound: (peak RSS - peak RSS of tshark on a one-packet capture) /
# packets must stay under HUGE_MAX_RSS_PER_PACKET bytes (default 8192).  The
# bench measured about 2.5 KB per packet for the whole tshark on a 1M-SYN
# flood (every packet a new connection: Wireshark's conversation and TCP
# analysis plus ours) and about 0.7 KB per packet on one connection of 5M
# packets (tests/README.md, Performance), so only a gross regression (per-packet
# state several times what it is) trips it.
#
# Expected answers, from the rules of the core (plugin/tcpstate_step.c, tcpstate_pipeline.c):
# (a) 1,000,000 connections (one per four-tuple, stream numbers 0..999999),
#   each with 1 packet: client SYN-SENT (it sent a SYN), server LISTEN at
#   the end (issue 11 defect 4: nothing in the capture shows the SYN reached
#   the server -- a LISTEN endpoint that gets a SYN answers it, RFC 9293
#   3.10.7.2 -- so the connection's final states keep the server in LISTEN;
#   the grace period does not change what the capture proves),
#   outcome "handshake incomplete" (not established, not refused or reset),
#   no handshake or teardown time, Zeek conn_state S0 (attempt seen, no
#   reply) with history "S".  Its only anomaly is the verdict on the SYN's
#   open question (record_question: no SYN-ACK, RST or establishment came):
#   syn_unanswered when the capture went on for at least the grace period
#   after the SYN, else open_at_capture_end (verdict()); ts_conn_final_anomalies
#   adds open_at_capture_end on its own only to connections without an open
#   question, so never here.  The capture ends at the last SYN's time
#   (N-1) x 10 us and the grace period is 1000 ms (set explicitly), so SYN i
#   (at i x 10 us) gets syn_unanswered iff (N-1-i) x 10 us >= 1 s, i.e.
#   i <= N-1-100000: N-100000 = 900,000 syn_unanswered and the last 100,000
#   open_at_capture_end.  With -2 every packet carries exactly that one
#   verdict as tcpstate.anomaly (the deferred verdict of its own record;
#   ts_deferred_anomalies adds open_at_capture_end on a last packet only
#   when its connection has no open question), so the field counts are the
#   same 900,000 / 100,000 and no packet has anything else.
# (b) 1 connection of 5,000,001 packets: client TIME-WAIT (FIN-WAIT-1 ->
#   FIN-WAIT-2 on the ACK of its FIN -> TIME-WAIT on the server's FIN, and the
#   capture ends well within 2 MSL), server CLOSED (CLOSE-WAIT -> LAST-ACK ->
#   CLOSED on the final ACK), outcome "four-way close", SYN>SYN-ACK and
#   SYN-ACK>ACK 0.010 ms and teardown 0.030 ms (frames are 10 us apart; the
#   first FIN is three frames before the final ACK), Zeek SF, history
#   ShADadFf (S client SYN, h server SYN-ACK, A client's pure ACK, D client
#   data, a server's pure ACK, d server data, F client FIN, f server FIN: first
#   occurrence of each, in that order), and no anomaly at all: in particular
#   no data_after_fin, rst/ack trouble or mid_stream_start from the wrap.
#   Per packet: the three handshake stages, then "Data transfer" for all
#   P - 7 data segments and pure ACKs (both sides ESTABLISHED), then
#   Teardown 1/4, 2/4, 3/4, 4/4 once each, and no tcpstate.anomaly on any.
#
# Environment:
#   TCPSTATE_PLUGIN          plugin to test (default: build/tcpstate.so, else
#                            built into the temporary folder)
#   HUGE_SYN                 SYNs in (a) (default 1000000; at least 1)
#   HUGE_SINGLE              packets in (b) (default 5000001; odd, >= 7)
#   HUGE_MAX_RSS_PER_PACKET  sanity bound, bytes of peak RSS per packet (8192)
#   TMPDIR                   where the temporary folder goes (default /tmp;
#                            needs about 1.5 GB)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
nsyn=${HUGE_SYN:-1000000}
nsingle=${HUGE_SINGLE:-5000001}
max_pp=${HUGE_MAX_RSS_PER_PACKET:-8192}
PPS=100000          # gen_synflood.py's default rate, relied on below
GRACE_MS=1000

die() { echo "huge-captures: $*" >&2; exit 2; }
[[ "$nsyn" =~ ^[1-9][0-9]*$ ]] || die "HUGE_SYN must be a positive number"
[[ "$nsingle" =~ ^[1-9][0-9]*$ ]] && [ "$nsingle" -ge 7 ] && [ $((nsingle % 2)) = 1 ] ||
    die "HUGE_SINGLE must be odd and at least 7"
for tool in tshark python3 awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-huge.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$work"
mkdir "$work/rss"
chmod 777 "$work/rss"      # tshark runs as nobody when we are root

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
T_ALL=$(now)
fails=0
fail() { echo "huge-captures: FAIL: $*"; fails=$((fails + 1)); }

if [ -z "${TCPSTATE_PLUGIN:-}" ]; then
    if [ -f "$top/build/tcpstate.so" ]; then
        TCPSTATE_PLUGIN=$top/build/tcpstate.so
    else
        echo "huge-captures: building the plugin into $work/build"
        cmake -S "$top" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/build.log" 2>&1 &&
            cmake --build "$work/build" --target tcpstate -j"$(nproc 2>/dev/null || echo 2)" \
                >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "build failed"; }
        TCPSTATE_PLUGIN=$work/build/tcpstate.so
    fi
fi
[ -f "$TCPSTATE_PLUGIN" ] || die "no plugin at $TCPSTATE_PLUGIN"
export TCPSTATE_PLUGIN
echo "huge-captures: plugin $TCPSTATE_PLUGIN; $(tshark --version 2>/dev/null | head -1)"

# Peak RSS of tshark: a wrapper (run by tests/run-tshark.sh as tshark's
# user) that runs tshark as its child and writes the child's ru_maxrss (KiB).
cat >"$work/rss.py" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-or-later
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
EOF
chmod 644 "$work/rss.py"

# run LABEL TSHARK-ARGS...: tshark with the plugin, stdout to $work/LABEL.out;
# fails the check when tshark does not exit 0.
run() {
    local label=$1 t0 rc=0
    shift
    t0=$(now)
    TCPSTATE_TSHARK_WRAPPER="python3 $work/rss.py $work/rss/$label" \
        "$here/run-tshark.sh" -n -o "tcpstate.grace_period:$GRACE_MS" "$@" \
        >"$work/$label.out" 2>"$work/$label.err" || rc=$?
    echo "huge-captures: $label: tshark $*: exit $rc, $(since "$t0"), peak RSS $(rss_mb "$label") MB"
    if [ "$rc" != 0 ]; then
        tail -20 "$work/$label.err" >&2
        fail "$label: tshark exit status $rc"
        return 1
    fi
    if grep -qiE 'dissector bug|assertion|sanitizer|segmentation' "$work/$label.err"; then
        tail -20 "$work/$label.err" >&2
        fail "$label: tshark reported a problem on stderr"
    fi
}
rss_kb() { cat "$work/rss/$1" 2>/dev/null || echo 0; }
rss_mb() { awk -v k="$(rss_kb "$1")" 'BEGIN { printf "%.0f", k / 1024 }'; }
check_rss() {  # check_rss LABEL PACKETS: per packet above the baseline run
    awk -v k="$(rss_kb "$1")" -v b="$(rss_kb baseline)" -v n="$2" -v m="$max_pp" -v l="$1" 'BEGIN {
        pp = (k - b) * 1024 / n
        printf "huge-captures: %s: peak RSS %.0f MB above start-up, %.0f bytes per packet (sanity bound %d)\n",
               l, (k - b) / 1024, pp, m
        exit (pp > m) }' || fail "$1: peak RSS above the sanity bound"
}

# ---- Captures ---------------------------------------------------------------
t0=$(now)
python3 "$top/captures/gen_synflood.py" "$nsyn" "$work/synflood.pcap" &
gen_a=$!
python3 "$top/captures/gen_traffic.py" --single "$nsingle" "$work/single.pcap" &
gen_b=$!
wait "$gen_a" || die "gen_synflood.py failed"
wait "$gen_b" || die "gen_traffic.py failed"
chmod 644 "$work"/*.pcap
echo "huge-captures: generated $nsyn-SYN flood and $nsingle-packet connection in $(since "$t0")" \
     "($(du -m "$work/synflood.pcap" | cut -f1) + $(du -m "$work/single.pcap" | cut -f1) MB)"

# The capture itself: frame count, and that each side's sequence numbers
# wrap: the ISN (SYN, SYN-ACK) is above the FIN's sequence number, which is
# ISN + 1 + bytes sent mod 2^32 with far less than 2^31 bytes sent.
t0=$(now)
python3 - "$work/single.pcap" "$nsingle" <<'EOF' || fail "(b) capture is not what the test needs"
import mmap, struct, sys
path, want = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
off, n, isn, fin = 24, 0, {}, {}
size = len(m)
while off + 16 <= size:
    incl = struct.unpack_from("<I", m, off + 8)[0]
    p = off + 16                                    # Ethernet, IPv4 (20), TCP
    sport = struct.unpack_from(">H", m, p + 34)[0]
    seq = struct.unpack_from(">I", m, p + 38)[0]
    flags = m[p + 47]
    side = "client" if sport != 7777 else "server"
    if flags & 0x02:
        isn.setdefault(side, seq)
    if flags & 0x01:
        fin.setdefault(side, seq)
    n += 1
    off = p + incl
ok = n == want and len(isn) == 2 and len(fin) == 2
for side in ("client", "server"):
    wrapped = side in isn and side in fin and fin[side] < isn[side]
    print("huge-captures: (b) %s ISN %d, FIN seq %d: %s" % (
        side, isn.get(side, -1), fin.get(side, -1), "wrapped past 2^32" if wrapped else "NO WRAP"))
    ok = ok and wrapped
print("huge-captures: (b) %d frames (want %d)" % (n, want))
sys.exit(0 if ok else 1)
EOF
echo "huge-captures: (b) capture checked in $(since "$t0")"

# tshark's own start-up RSS, subtracted from the peaks below
python3 "$top/captures/gen_synflood.py" 1 "$work/one.pcap"
chmod 644 "$work/one.pcap"
run baseline -r "$work/one.pcap" -q -z tcpstate,conns || die "tshark fails on a one-packet capture"

# ---- (a) SYN flood, one pass, -z tcpstate,conns -----------------------------
unans=$(( nsyn > PPS * GRACE_MS / 1000 ? nsyn - PPS * GRACE_MS / 1000 : 0 ))
open_end=$(( nsyn - unans ))
echo "huge-captures: (a) expecting $nsyn connections: $unans syn_unanswered, $open_end open_at_capture_end"
if run flood-conns -r "$work/synflood.pcap" -q -z tcpstate,conns; then
    check_rss flood-conns "$nsyn"
    # Columns: Stream Conn Client Server Cstate Sstate Outcome(2 words) HS1 HS2
    # Teardown Packets Zeek History Anomalies.
    awk -v n="$nsyn" -v unans="$unans" -v open_end="$open_end" '
        /^Connections: / { conns = $2 }
        /^Stream / { table = 1; next }
        /^=+$/ { table = 0 }
        table && NF {
            rows++
            bad = ""
            if (NF != 15) bad = "fields"
            else if ($1 != rows - 1) bad = "stream number"
            else if ($2 != 0) bad = "conn index"
            else if ($4 != "10.88.0.2:7777") bad = "server"
            else if ($5 != "SYN-SENT" || $6 != "LISTEN") bad = "states"
            else if ($7 " " $8 != "handshake incomplete") bad = "outcome"
            else if ($9 != "-" || $10 != "-" || $11 != "-") bad = "times"
            else if ($12 != 1) bad = "packets"
            else if ($13 != "S0" || $14 != "S") bad = "zeek"
            else if ($15 == "syn_unanswered") { su++; if (open_seen) bad = "order" }
            else if ($15 == "open_at_capture_end") oe++
            else bad = "anomalies"
            if ($15 == "open_at_capture_end") open_seen = 1
            if (!bad && ($3 in clients)) bad = "client repeated"
            clients[$3] = 1
            if (bad) { nbad++; if (nbad <= 5) print "  bad row (" bad "): " $0 }
        }
        END {
            printf "huge-captures: (a) %d rows (header says %s): %d syn_unanswered, %d open_at_capture_end, %d bad\n",
                   rows, conns, su, oe, nbad
            exit !(rows == n && conns == n && su == unans && oe == open_end && nbad == 0)
        }' "$work/flood-conns.out" || fail "(a) -z tcpstate,conns results"
fi

# ---- (a) SYN flood, two passes, tcpstate.anomaly per packet -----------------
t0=$(now)
TCPSTATE_TSHARK_WRAPPER="python3 $work/rss.py $work/rss/flood-2pass" \
    "$here/run-tshark.sh" -n -o "tcpstate.grace_period:$GRACE_MS" -r "$work/synflood.pcap" -2 \
    -T fields -e tcpstate.anomaly 2>"$work/flood-2pass.err" |
    awk '{ c[$0]++; n++ } END { for (k in c) print c[k] "\t" k; print n "\ttotal" }' \
    >"$work/flood-2pass.counts" && rc=0 || rc=$?
echo "huge-captures: flood-2pass: tshark -2 -T fields -e tcpstate.anomaly | count: exit $rc," \
     "$(since "$t0"), peak RSS $(rss_mb flood-2pass) MB"
sed 's/^/  /' "$work/flood-2pass.counts"
if [ "$rc" != 0 ]; then
    tail -20 "$work/flood-2pass.err" >&2
    fail "(a) two-pass tshark exit status $rc"
else
    check_rss flood-2pass "$nsyn"
    awk -F'\t' -v n="$nsyn" -v unans="$unans" -v open_end="$open_end" '
        $2 == "total" { total = $1; next }
        $2 == "syn_unanswered" { su = $1; next }
        $2 == "open_at_capture_end" { oe = $1; next }
        { other += $1 }
        END { exit !(total == n && su + 0 == unans && oe + 0 == open_end && other == 0) }' \
        "$work/flood-2pass.counts" ||
        fail "(a) -2 tcpstate.anomaly: want $unans syn_unanswered and $open_end open_at_capture_end, one per packet, nothing else"
fi

# ---- (b) one connection, one pass, -z tcpstate,conns ------------------------
if run single-conns -r "$work/single.pcap" -q -z tcpstate,conns; then
    check_rss single-conns "$nsingle"
    sed -n '/^Connections:/p; /^Stream /,$p' "$work/single-conns.out" | sed 's/^/  /'
    awk -v n="$nsingle" '
        /^Connections: / { conns = $2 }
        /^Stream / { table = 1; next }
        /^=+$/ { table = 0 }
        table && NF {
            rows++
            want = "0 0 10.88.0.1:2000 10.88.0.2:7777 TIME-WAIT CLOSED four-way close 0.010 0.010 0.030 " n " SF ShADadFf -"
            $1 = $1
            if ($0 != want) { print "  got:  " $0; print "  want: " want; bad++ }
        }
        END { exit !(conns == 1 && rows == 1 && !bad) }' "$work/single-conns.out" ||
        fail "(b) -z tcpstate,conns results"
fi

# ---- (b) one connection, one pass, stage and anomaly per packet ------------
t0=$(now)
TCPSTATE_TSHARK_WRAPPER="python3 $work/rss.py $work/rss/single-fields" \
    "$here/run-tshark.sh" -n -o "tcpstate.grace_period:$GRACE_MS" -r "$work/single.pcap" \
    -T fields -E separator=/t -e tcpstate.stage -e tcpstate.anomaly 2>"$work/single-fields.err" |
    awk '{ c[$0]++; n++ } END { for (k in c) print c[k] "\t" k; print n "\ttotal" }' |
    sort -t "$(printf '\t')" -k2 >"$work/single-fields.counts" && rc=0 || rc=$?
echo "huge-captures: single-fields: tshark -T fields -e tcpstate.stage -e tcpstate.anomaly | count:" \
     "exit $rc, $(since "$t0"), peak RSS $(rss_mb single-fields) MB"
sed 's/^/  /' "$work/single-fields.counts"
if [ "$rc" != 0 ]; then
    tail -20 "$work/single-fields.err" >&2
    fail "(b) tshark -T fields exit status $rc"
else
    check_rss single-fields "$nsingle"
    {
        printf '%s\t%s\t\n' 1 "Handshake 1/3: SYN" 1 "Handshake 2/3: SYN-ACK" 1 "Handshake 3/3: ACK" \
            $((nsingle - 7)) "Data transfer" 1 "Teardown 1/4: FIN" 1 "Teardown 2/4: ACK of FIN" \
            1 "Teardown 3/4: FIN" 1 "Teardown 4/4: final ACK"
        printf '%s\ttotal\n' "$nsingle"
    } | sort -t "$(printf '\t')" -k2 >"$work/single-fields.want"
    diff "$work/single-fields.want" "$work/single-fields.counts" >&2 ||
        fail "(b) stages and anomalies per packet (want: one of each handshake and teardown step, the rest data, no anomaly)"
fi

echo "huge-captures: total $(since "$T_ALL")"
if [ "$fails" != 0 ]; then
    echo "huge-captures: FAILED ($fails check(s))" >&2
    exit 1
fi
echo "huge-captures: all checks passed"
