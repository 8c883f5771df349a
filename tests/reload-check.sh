#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Reloading a file or opening another one starts from a clean state and keeps
# memory flat (issues #3 and #6).  tshark opens one file per process, so this
# drives tests/reload_check.c, a minimal tshark that opens several files in
# one process the way Wireshark does on File > Open / Reload (epan_new() on
# open: init routines; epan_free() on close: cleanup routines and the end of
# wmem_file_scope()).
#
#   tests/reload-check.sh state    # A, B, A, B in one process == fresh runs == tshark
#   tests/reload-check.sh memory   # the same capture 20 times: the plugin's heap stays flat
#                                  # (exit 77, "skipped", when the program has no heap figures)
#
# Environment (ctest sets them):
#   TCPSTATE_RELOAD_CHECK  the built reload_check program (required)
#   TCPSTATE_PLUGIN, TCPSTATE_WS_VERSION, TSHARK   as for tests/run-tshark.sh
#   TCPSTATE_RELOAD_RUNS       runs of the memory test (default 20)
#   TCPSTATE_RELOAD_TOLERANCE  bytes the plugin's share of the heap may grow
#                              between run 2 and the last run (default 65536)
#
# The plugin is loaded by Wireshark's own loader (epan_init with plugins):
# reload_check is started through tests/run-tshark.sh, which puts the built
# tcpstate.so into a private HOME's personal plugin folder and, as root,
# drops to "nobody" (Wireshark ignores personal plugins when privileged).
# reload_check prints the file tcpstate.so was mapped from; this script
# checks it is that private copy.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
mode=${1:-}

die() { echo "reload-check: $*" >&2; exit 2; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$mode" = state ] || [ "$mode" = memory ] || die "usage: $0 state|memory"
command -v mergecap >/dev/null 2>&1 || die "mergecap not found (wireshark-common)"
prog=${TCPSTATE_RELOAD_CHECK:-}
[ -n "$prog" ] && [ -x "$prog" ] || die "set TCPSTATE_RELOAD_CHECK to the built reload_check"

wsver=${TCPSTATE_WS_VERSION:-}
if [ -z "$wsver" ]; then
    wsver=$("$prog" --version | sed -n -E '1s/^[^0-9]*([0-9]+)\.([0-9]+).*/\1.\2/p')
fi
[[ "$wsver" =~ ^[0-9]+\.[0-9]+$ ]] || die "cannot tell the Wireshark version (set TCPSTATE_WS_VERSION)"

work=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-reload.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT TERM HUP
# The program is copied where "nobody" may run it (the build folder may be
# inside a clone other users cannot enter).
chmod 755 "$work"
mkdir -m 755 "$work/bin"
cp "$prog" "$work/bin/reload_check"
chmod 755 "$work/bin/reload_check"

# reload_check through run-tshark.sh (private HOME with the plugin).
rc() { TSHARK="$work/bin/reload_check" TCPSTATE_WS_VERSION=$wsver "$here/run-tshark.sh" "$@"; }
# reload_check with no tcpstate: run-tshark.sh puts the plugin into the
# folder of a Wireshark version that does not exist (0.0), which the loader
# never reads; everything else (user, HOME, system plugins) is the same.
rc_without_plugin() { TSHARK="$work/bin/reload_check" TCPSTATE_WS_VERSION=0.0 "$here/run-tshark.sh" --baseline "$@"; }
ts() { TCPSTATE_WS_VERSION=$wsver "$here/run-tshark.sh" "$@"; }

# The plugin must be the private copy of the built one, loaded by Wireshark.
check_plugin_line() {
    local out=$1 line
    line=$(grep -m1 '^#plugin ' "$out" || true)
    case $line in
        "#plugin "*"/.local/lib/wireshark/plugins/$wsver/epan/tcpstate.so") ;;
        *) fail "tcpstate.so not loaded from the private personal plugin folder: '${line:-no #plugin line}'" ;;
    esac
}

# Splits reload_check output into $2.1, $2.2, ... (the field lines of each run).
split_runs() {
    awk -v pfx="$2" '
        /^#run / { n = $2; f = pfx "." n; printf "" > f; next }
        /^#end / { close(f); f = ""; next }
        /^#/ { next }
        f != "" { print > f }' "$1"
}

fields=(frame.number tcpstate.stage tcpstate.client.after tcpstate.server.after
        tcpstate.anomaly tcpstate.conn tcpstate.zeek.conn_state tcpstate.zeek.history)
eargs=()
for f in "${fields[@]}"; do eargs+=(-e "$f"); done

same() { # same <label> <expected file> <actual file>
    if ! cmp -s "$2" "$3"; then
        echo "--- $1: expected (left) vs got (right):" >&2
        diff -u "$2" "$3" | head -40 >&2 || true
        fail "$1"
    fi
    echo "ok: $1"
}

if [ "$mode" = state ]; then
    # A and B share the four-tuple 10.77.0.1:40001 <-> 10.77.0.2:5001 (mixed
    # is a merge of client_close and others), and in both that connection
    # ends with the client in TIME-WAIT.  State leaking from one file into
    # the next (the four-tuple table, the per-frame records, the capture end
    # time) would make the next file's SYN a reuse of a TIME-WAIT port, or
    # show the previous file's records: checked below by dissecting A and B
    # as one continuous capture, which must differ from B alone.
    A=$top/captures/client_close.pcap
    B=$top/captures/mixed.pcap

    for passes in 1 2; do
        p=(); [ "$passes" = 2 ] && p=(-2)
        out=$work/rc-$passes.out
        rc ${p[@]+"${p[@]}"} "${eargs[@]}" -r "$A" -r "$B" -r "$A" -r "$B" >"$out" \
            || fail "reload_check exited with $? ($passes pass(es))"
        check_plugin_line "$out"
        split_runs "$out" "$work/run-$passes"
        for n in 1 2 3 4; do
            [ -s "$work/run-$passes.$n" ] || fail "run $n ($passes pass(es)) printed nothing"
        done

        ts ${p[@]+"${p[@]}"} -r "$A" -T fields "${eargs[@]}" >"$work/tshark-$passes.A"
        ts ${p[@]+"${p[@]}"} -r "$B" -T fields "${eargs[@]}" >"$work/tshark-$passes.B"
        # Not vacuous: the plugin labelled the packets.
        grep -q 'TIME-WAIT' "$work/tshark-$passes.A" || fail "tshark shows no TIME-WAIT for $A: plugin not working?"

        same "$passes-pass: first A == tshark A" "$work/tshark-$passes.A" "$work/run-$passes.1"
        same "$passes-pass: first B (after A) == tshark B" "$work/tshark-$passes.B" "$work/run-$passes.2"
        same "$passes-pass: A reopened after B == first A" "$work/run-$passes.1" "$work/run-$passes.3"
        same "$passes-pass: B reopened after A == first B" "$work/run-$passes.2" "$work/run-$passes.4"
    done

    # The captures are sensitive to leaked state: B dissected as the
    # continuation of A (one capture, state carried over) differs from B.
    mergecap -a -F pcap -w "$work/AB.pcap" "$A" "$B"
    ts -r "$work/AB.pcap" -T fields "${eargs[@]}" >"$work/tshark.AB"
    nb=$(wc -l <"$work/tshark-1.B")
    tail -n "$nb" "$work/tshark.AB" | cut -f2- >"$work/AB.tail"
    cut -f2- "$work/tshark-1.B" >"$work/B.cut"
    if cmp -s "$work/AB.tail" "$work/B.cut"; then
        fail "B after A in one capture equals B alone: these captures would not reveal leaked state"
    fi
    echo "ok: B as a continuation of A differs from B alone ($(diff "$work/AB.tail" "$work/B.cut" | grep -c '^<') lines), so leaked state would be seen"
    exit 0
fi

# ---- memory ---------------------------------------------------------------
# Wireshark 4.0.17 itself keeps about 10 MB more after every epan_new(), with
# or without tcpstate (addr_resolv reloads its name tables into
# wmem_epan_scope() on every file without freeing the old ones), so the raw
# heap is not flat.  The plugin's share is the difference between a run with
# it and a run without it (same program, user, HOME and system plugins); it
# must not grow from run 2 to the last run by more than the tolerance.
# WIRESHARK_DEBUG_WMEM_OVERRIDE=simple makes every wmem allocation its own
# malloc(): with the default block allocator a plugin leaking into
# wmem_epan_scope() hides in the slack of blocks Wireshark grows anyway (a
# copy of the plugin keeping its per-packet records in wmem_epan_scope()
# passed with the block allocator and fails with this one).
runs=${TCPSTATE_RELOAD_RUNS:-20}
tol=${TCPSTATE_RELOAD_TOLERANCE:-65536}
[ "$runs" -ge 3 ] || die "TCPSTATE_RELOAD_RUNS must be at least 3"
export TCPSTATE_TSHARK_ENV="${TCPSTATE_TSHARK_ENV:+$TCPSTATE_TSHARK_ENV }WIRESHARK_DEBUG_WMEM_OVERRIDE=simple"

heaps() { sed -n -E 's/^#end [0-9]+ frames=[0-9]+ heap=([0-9]+) rss_kb=(-?[0-9]+)$/\1 \2/p' "$1"; }

status=0
# long_transfer: 1525 packets of one connection (per-packet state);
# mixed: 8 connections of every kind (per-connection state).
for cap in long_transfer mixed; do
    C=$top/captures/$cap.pcap
    for passes in 1 2; do
        p=(); [ "$passes" = 2 ] && p=(-2)
        w=$work/with-$cap-$passes wo=$work/without-$cap-$passes
        rc ${p[@]+"${p[@]}"} -q --repeat "$runs" -r "$C" >"$w" \
            || fail "reload_check exited with $? ($cap, $passes pass(es))"
        check_plugin_line "$w"
        rc_without_plugin ${p[@]+"${p[@]}"} -q --repeat "$runs" -r "$C" >"$wo" \
            || fail "reload_check --baseline exited with $? ($cap, $passes pass(es))"
        grep -q '^#plugin (none mapped)' "$wo" || fail "the run without the plugin mapped tcpstate.so"
        frames=$(sed -n -E 's/^#end 1 frames=([0-9]+).*/\1/p' "$w")
        [ "${frames:-0}" -gt 0 ] || fail "no frames dissected"
        heaps "$w" >"$w.h"
        heaps "$wo" >"$wo.h"
        [ "$(wc -l <"$w.h")" -eq "$runs" ] && [ "$(wc -l <"$wo.h")" -eq "$runs" ] \
            || fail "expected $runs runs"
        read -r w2 r2 < <(sed -n 2p "$w.h")
        read -r wn rn < <(sed -n "${runs}p" "$w.h")
        read -r o2 _ < <(sed -n 2p "$wo.h")
        read -r on _ < <(sed -n "${runs}p" "$wo.h")
        if [ "$w2" -eq 0 ]; then
            echo "skipped: reload_check has no heap figures (built with AddressSanitizer, or no glibc mallinfo2)"
            exit 77
        fi
        own=$(( (wn - w2) - (on - o2) ))
        printf '%s, %s pass(es), %s frames, %s runs: heap with tcpstate %d -> %d B (RSS %d -> %d kB), without %d -> %d B (run 2 -> %d)\n' \
            "$cap" "$passes" "$frames" "$runs" "$w2" "$wn" "$r2" "$rn" "$o2" "$on" "$runs"
        if [ "$own" -gt "$tol" ]; then
            echo "FAIL: $cap, $passes pass(es): the plugin's share of the heap grew by $own B over $((runs - 2)) reopenings (tolerance $tol B)" >&2
            status=1
        else
            echo "ok: $cap, $passes pass(es): the plugin's share grew by $own B over $((runs - 2)) reopenings (tolerance $tol B)"
        fi
    done
done
exit "$status"
