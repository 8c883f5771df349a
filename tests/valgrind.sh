#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# valgrind over tshark with the normal (uninstrumented) build of the plugin:
# memcheck errors in our code, leaks allocated from our code, and whether
# memory grows with the capture as it should (massif).
#
#   tests/valgrind.sh [memcheck|massif|all]      (default: all)
#
# memcheck: tshark -n -2 -V, then tshark -n -q -z tcpstate,conns/ladder/tree
#   (the taps that exist) in one pass and again with -2 (the tree tap counts
#   differently in each), over every capture in captures/ (concatenated
#   into one file with mergecap -a, so valgrind starts Wireshark once; set
#   VALGRIND_EACH=1 for one run per capture), through tests/run-tshark.sh
#   with TCPSTATE_TSHARK_WRAPPER="valgrind --error-exitcode=99
#   --suppressions=<GLib's glib.supp> ...".  wmem and GSlice are replaced by
#   plain malloc so memcheck sees every block.  Wireshark and GLib leak at
#   exit by design and have errors of their own, so valgrind's exit status
#   is not the verdict: its XML report is filtered to
#     - errors (invalid read/write/free, uninitialised values, ...) whose
#       stack has a frame in tcpstate.so or in our sources, and
#     - definitely lost blocks allocated from our code.
#   Leaks from registration (proto_register_*, constant, once per process)
#   are listed as warnings; anything else of ours fails the run.  Blocks
#   allocated inside Wireshark's stats_tree_* functions are the stats tree's
#   nodes, owned by Wireshark: tshark 4.0 never frees a stats tree (its
#   listener has no finish callback), so when valgrind picks one of those
#   nodes to stand for the lost tree, the stack shows our tick call but the
#   leak is Wireshark's; they are counted with Wireshark's.
#
# massif: peak heap of tshark -n -2 over N and 2N back-to-back copies of
#   all captures (each copy shifted in time), with the plugin and with
#   --disable-protocol tcpstate; prints the growth per packet of each and
#   the plugin's share.  Informational: it fails only when the plugin's
#   peak per packet exceeds VALGRIND_MAX_BYTES_PER_PACKET (default 4096).
#
# Environment:
#   TCPSTATE_PLUGIN        plugin to test (default: built in build-valgrind/)
#   VALGRIND_BUILD_DIR     build folder (default build-valgrind)
#   VALGRIND_EACH=1        memcheck: one tshark run per capture
#   VALGRIND_COPIES=N      massif: N (default 3)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
mode=${1:-all}
case $mode in memcheck|massif|all) ;; *) echo "usage: $0 [memcheck|massif|all]" >&2; exit 2 ;; esac
bdir=${VALGRIND_BUILD_DIR:-$top/build-valgrind}
copies=${VALGRIND_COPIES:-3}
max_pp=${VALGRIND_MAX_BYTES_PER_PACKET:-4096}

for tool in valgrind mergecap editcap capinfos python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "valgrind.sh: $tool not found" >&2; exit 2; }
done

if [ -z "${TCPSTATE_PLUGIN:-}" ]; then
    # the normal build, with line numbers for the reports
    mkdir -p "$bdir"
    cmake -S "$top" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$bdir/configure.log" 2>&1 ||
        { cat "$bdir/configure.log" >&2; exit 2; }
    cmake --build "$bdir" --target tcpstate -j"$(nproc 2>/dev/null || echo 2)" >"$bdir/build.log" 2>&1 ||
        { tail -30 "$bdir/build.log" >&2; exit 2; }
    TCPSTATE_PLUGIN=$(find "$bdir" -maxdepth 2 -name tcpstate.so -print -quit)
fi
[ -f "$TCPSTATE_PLUGIN" ] || { echo "valgrind.sh: no plugin" >&2; exit 2; }
export TCPSTATE_PLUGIN

work=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-valgrind.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT TERM HUP
chmod 777 "$work"          # tshark runs as nobody and writes valgrind's files here
out=$bdir/valgrind
mkdir -p "$out"

shopt -s nullglob
caps=("$top"/captures/*.pcap "$top"/captures/*.pcapng)
shopt -u nullglob
[ ${#caps[@]} -gt 0 ] || { echo "valgrind.sh: no captures" >&2; exit 2; }

all=$work/all.pcapng
mergecap -a -F pcapng -w "$all" "${caps[@]}"
chmod 644 "$all"
npkts() { capinfos -c -M "$1" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'; }

export TCPSTATE_TSHARK_ENV="WIRESHARK_DEBUG_WMEM_OVERRIDE=simple G_SLICE=always-malloc WIRESHARK_EXTCAP_DIR=/nonexistent/tcpstate-no-extcap"
supp=()
[ -f /usr/share/glib-2.0/valgrind/glib.supp ] && supp=(--suppressions=/usr/share/glib-2.0/valgrind/glib.supp)

status=0

# ---- memcheck ---------------------------------------------------------------
memcheck_run() {   # $1: capture, $2: label, $3...: tshark options (default -2 -V)
    local cap=$1 label=$2 rc=0
    shift 2
    [ $# -gt 0 ] || set -- -2 -V
    TCPSTATE_TSHARK_WRAPPER="valgrind --tool=memcheck --error-exitcode=99 ${supp[*]} \
--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
--keep-debuginfo=yes --num-callers=50 --xml=yes --xml-file=$work/memcheck.$label.%p.xml" \
        "$here/run-tshark.sh" -n -r "$cap" "$@" >/dev/null 2>"$work/memcheck.$label.stderr" || rc=$?
    echo "valgrind.sh: memcheck $label ($*): tshark/valgrind exit $rc"
    if [ "$rc" != 0 ] && [ "$rc" != 99 ]; then
        echo "valgrind.sh: tshark failed under memcheck:" >&2
        tail -20 "$work/memcheck.$label.stderr" >&2
        return 1
    fi
}

if [ "$mode" != massif ]; then
    echo "valgrind.sh: memcheck over ${#caps[@]} captures ($(npkts "$all") packets)"
    if [ "${VALGRIND_EACH:-0}" = 1 ]; then
        for c in "${caps[@]}"; do
            memcheck_run "$c" "$(basename "$c" | tr -c 'A-Za-z0-9_.\n' _)" || status=1
        done
    else
        memcheck_run "$all" all || status=1
    fi
    # the statistics taps, when the plugin has them
    taps=()
    TCPSTATE_TSHARK_WRAPPER= "$here/run-tshark.sh" -z help >"$work/taps" 2>&1 || true
    for t in conns ladder tree; do
        grep -q "tcpstate,$t" "$work/taps" && taps+=(-z "tcpstate,$t")
    done
    if [ ${#taps[@]} -gt 0 ]; then
        memcheck_run "$all" taps1 -q "${taps[@]}" || status=1
        memcheck_run "$all" taps -2 -q "${taps[@]}" || status=1
    fi
    cp "$work"/memcheck.*.xml "$out"/ 2>/dev/null || true
    python3 - "$out" "$work"/memcheck.*.xml <<'PYEOF' || status=1
import os, re, sys
import xml.etree.ElementTree as ET

outdir, files = sys.argv[1], sys.argv[2:]
OUR_FILE = re.compile(r'^(packet-tcpstate|plugin|tcpstate_[a-z_]+)\.c$')
REGISTRATION = re.compile(r'^(proto_register_|proto_reg_handoff_|plugin_register|register_tcpstate)')
STATS_TREE = re.compile(r'^stats_tree_')   # Wireshark's stats tree API: its nodes are its own

def frames(stack):
    return [(f.findtext('fn') or '?', f.findtext('obj') or '', f.findtext('file') or '',
             f.findtext('line') or '') for f in stack.iter('frame')] if stack is not None else []

def ours(fr):
    fn, obj, fil, line = fr
    return os.path.basename(obj) == 'tcpstate.so' or bool(OUR_FILE.match(fil))

def show(fr):
    fn, obj, fil, line = fr
    where = '%s:%s' % (fil, line) if fil else os.path.basename(obj)
    return '%s (%s)' % (fn, where)

bad, warn, other_errors, other_leaks = [], [], 0, 0
for path in files:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print('valgrind.sh: cannot read %s: %s' % (path, e))
        bad.append(('unreadable report', path, []))
        continue
    for err in root.iter('error'):
        kind = err.findtext('kind') or '?'
        what = err.findtext('what') or err.findtext('xwhat/text') or ''
        stacks = err.findall('stack')
        main = frames(stacks[0]) if stacks else []
        aux = [f for s in stacks[1:] for f in frames(s)]
        mine = any(ours(f) for f in main) or (not kind.startswith('Leak_') and any(ours(f) for f in aux))
        if mine and kind.startswith('Leak_') and any(
                STATS_TREE.match(f[0]) and os.path.basename(f[1]).startswith('libwireshark')
                for f in main):
            mine = False
        if not mine:
            if kind.startswith('Leak_'):
                other_leaks += 1
            else:
                other_errors += 1
            continue
        entry = ('%s: %s' % (kind, what), path, main[:12])
        if kind.startswith('Leak_') and any(REGISTRATION.match(f[0]) for f in main):
            warn.append(entry)
        else:
            bad.append(entry)

summary = os.path.join(outdir, 'memcheck-summary.txt')
with open(summary, 'w') as out:
    def say(s=''):
        print(s)
        out.write(s + '\n')
    say('memcheck: %d error(s) and leak(s) of ours, %d registration-time leak(s) of ours;'
        ' not ours: %d error(s), %d definite leak(s) (Wireshark/GLib)'
        % (len(bad), len(warn), other_errors, other_leaks))
    for title, entries in (('OURS', bad), ('registration-time, constant (warning)', warn)):
        for what, path, fr in entries:
            say('  [%s] %s' % (title, what))
            for f in fr:
                say('      %s%s' % ('* ' if ours(f) else '  ', show(f)))
sys.exit(1 if bad else 0)
PYEOF
fi

# ---- massif -----------------------------------------------------------------
peak_of() {        # massif.out -> peak heap bytes (heap + extra)
    awk -F= '/^mem_heap_B=/ {h=$2} /^mem_heap_extra_B=/ {t=h+$2; if (t>m) m=t} END {print m+0}' "$1"
}
massif_run() {     # $1 capture, $2 label, $3... extra tshark args
    local cap=$1 label=$2 rc=0
    shift 2
    TCPSTATE_TSHARK_WRAPPER="valgrind --tool=massif --massif-out-file=$work/massif.$label.out" \
        "$here/run-tshark.sh" -n -r "$cap" -2 "$@" >/dev/null 2>"$work/massif.$label.stderr" || rc=$?
    if [ "$rc" != 0 ] || [ ! -f "$work/massif.$label.out" ]; then
        echo "valgrind.sh: massif $label failed (exit $rc)" >&2
        tail -10 "$work/massif.$label.stderr" >&2
        return 1
    fi
    cp "$work/massif.$label.out" "$out/"
    peak_of "$work/massif.$label.out"
}

if [ "$mode" != memcheck ]; then
    # N and 2N copies, each later than the previous (the same connections
    # again: port reuse and retransmissions for the core, as in long captures)
    mk_copies() {  # $1 count, $2 output
        local k parts=()
        for ((k = 0; k < $1; k++)); do
            editcap -t "$((k * 10000000))" "$all" "$work/copy$k.pcapng" >/dev/null
            parts+=("$work/copy$k.pcapng")
        done
        mergecap -a -F pcapng -w "$2" "${parts[@]}"
        chmod 644 "$2"
        rm -f "${parts[@]}"
    }
    mk_copies "$copies" "$work/n.pcapng"
    mk_copies "$((2 * copies))" "$work/2n.pcapng"
    p1=$(npkts "$work/n.pcapng"); p2=$(npkts "$work/2n.pcapng")
    echo "valgrind.sh: massif, tshark -n -2 over $copies copies ($p1 packets) and $((2 * copies)) copies ($p2 packets)"
    if on1=$(massif_run "$work/n.pcapng" on-n) && on2=$(massif_run "$work/2n.pcapng" on-2n) &&
       off1=$(massif_run "$work/n.pcapng" off-n --disable-protocol tcpstate) &&
       off2=$(massif_run "$work/2n.pcapng" off-2n --disable-protocol tcpstate); then
        python3 - "$p1" "$p2" "$on1" "$on2" "$off1" "$off2" "$max_pp" "$out/massif-summary.txt" <<'PYEOF' || status=1
import sys
p1, p2, on1, on2, off1, off2, limit = (int(x) for x in sys.argv[1:8])
dp = p2 - p1
lines = [
    'massif peak heap (bytes)      %10s %10s   growth/packet' % ('N', '2N'),
    '  with tcpstate               %10d %10d   %8.1f' % (on1, on2, (on2 - on1) / dp),
    '  tcpstate disabled           %10d %10d   %8.1f' % (off1, off2, (off2 - off1) / dp),
    '  tcpstate\'s share            %10d %10d   %8.1f' % (on1 - off1, on2 - off2,
                                                         ((on2 - off2) - (on1 - off1)) / dp),
    '  (N = %d packets, 2N = %d packets; peak = mem_heap_B + mem_heap_extra_B)' % (p1, p2),
]
share_pp = ((on2 - off2) - (on1 - off1)) / dp
verdict = ('memory grows linearly with the capture at %.0f bytes/packet for tcpstate (limit %d)'
           % (share_pp, limit))
lines.append(verdict)
with open(sys.argv[8], 'w') as f:
    f.write('\n'.join(lines) + '\n')
print('\n'.join(lines))
sys.exit(1 if share_pp > limit else 0)
PYEOF
    else
        status=1
    fi
fi

echo "valgrind.sh: reports in $out"
[ "$status" = 0 ] && echo "valgrind.sh: clean" || echo "valgrind.sh: FAILED" >&2
exit "$status"
