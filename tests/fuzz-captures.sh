#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Mutation fuzzing of whole captures through tshark with the sanitizer build
# of the plugin, the way Wireshark fuzzes its dissectors (editcap -E).
#
#   tests/fuzz-captures.sh [iterations]   (default: 4, stopping after 90 s: ~2 min)
#
# Each iteration mutates every capture in captures/ (*.pcap, *.pcapng) once:
# random bytes changed with one of several error probabilities (editcap -E,
# sometimes sparing the link and IP headers with -o so that the TCP header
# takes the hits), sometimes also cut short (editcap -s), moved to hostile
# times (editcap -t: past the year 2262, or before 1970, which pcapng
# wraps to the far future) or interleaved with
# a second, differently mutated copy of itself (mergecap: duplicates and
# reordering).  The mutated captures are concatenated into one file, which
# tshark then reads twice through tests/run-tshark.sh:
#     -n -2 -V                     (both passes, the whole tree)
#     -n -q -z tcpstate,conns      (the statistics tap, when it exists)
# with the ASan/UBSan build of the plugin from build-asan/ (built by
# tests/sanitize.sh if needed), wmem replaced by plain malloc
# (WIRESHARK_DEBUG_WMEM_OVERRIDE=simple) so that ASan sees every block, and
# a timeout.  A crash, a sanitizer report, a timeout, or a "Dissector bug"
# of tcpstate fails the run; the failing mutated capture and tshark's stderr
# are kept in $FUZZ_FINDINGS (default build-asan/fuzz-captures-findings/).
#
# Environment:
#   FUZZ_FINDINGS     where failing captures go
#   FUZZ_TIMEOUT      seconds per tshark run (default 300)
#   FUZZ_MAX_SECONDS  stop starting new iterations after this long (default
#                     90 when no iteration count is given, else no limit)
#   FUZZ_SEED         seed for the choices of this script ($RANDOM)
#   ASAN_BUILD_DIR    sanitizer build folder (default build-asan)
#   FUZZ_CLOCKS=0     skip the hostile-clock mutation (while a known clock
#                     bug is open, so that it does not hide other findings)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
iterations=${1:-4}
[[ "$iterations" =~ ^[0-9]+$ ]] || { echo "usage: $0 [iterations]" >&2; exit 2; }
bdir=${ASAN_BUILD_DIR:-$top/build-asan}
findings=${FUZZ_FINDINGS:-$bdir/fuzz-captures-findings}
tmo=${FUZZ_TIMEOUT:-300}
max_secs=${FUZZ_MAX_SECONDS:-$([ $# -eq 0 ] && echo 90 || echo 0)}
seed=${FUZZ_SEED:-$$}
RANDOM=$seed

for tool in editcap mergecap capinfos timeout; do
    command -v "$tool" >/dev/null 2>&1 || { echo "fuzz-captures: $tool not found" >&2; exit 2; }
done

# The sanitizer build (incremental when it exists).
ASAN_BUILD_DIR=$bdir SANITIZE_ONLY_BUILD=1 "$here/sanitize.sh" >/dev/null ||
    { echo "fuzz-captures: cannot build the sanitizer build (tests/sanitize.sh)" >&2; exit 2; }
# shellcheck disable=SC1091
. "$bdir/tshark-env.sh"
export TCPSTATE_TSHARK_ENV="$TCPSTATE_TSHARK_ENV WIRESHARK_DEBUG_WMEM_OVERRIDE=simple"

shopt -s nullglob
caps=("$top"/captures/*.pcap "$top"/captures/*.pcapng)
shopt -u nullglob
[ ${#caps[@]} -gt 0 ] || { echo "fuzz-captures: no captures in captures/" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-fuzzcap.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$findings"

have_conns=0
timeout "$tmo" "$here/run-tshark.sh" -z help >"$work/taps" 2>&1 || true  # the list goes to stderr
grep -q 'tcpstate,conns' "$work/taps" && have_conns=1

probs=(0.001 0.005 0.02 0.02 0.05 0.1 0.3)
offsets=(0 0 14 34 34 54)
clocks=(10000000000000 9300000000 -1800000000 4294967295 -86400)

# Mutates one capture into $2; prints what was done.
mutate() {
    local src=$1 dst=$2 p o how
    p=${probs[RANDOM % ${#probs[@]}]}
    o=${offsets[RANDOM % ${#offsets[@]}]}
    how="-E $p -o $o"
    editcap -E "$p" -o "$o" "$src" "$dst.a" >/dev/null 2>&1 || cp "$src" "$dst.a"
    case $((RANDOM % 8)) in
        0)  local s=$((20 + RANDOM % 60))
            editcap -s "$s" "$dst.a" "$dst" >/dev/null 2>&1 || mv "$dst.a" "$dst"
            how="$how -s $s" ;;
        1)  editcap -E "$p" -o "$o" "$src" "$dst.b" >/dev/null 2>&1 || cp "$src" "$dst.b"
            # the second copy a little later: duplicates, retransmissions, reordering
            editcap -t "0.0000$((RANDOM % 100))" "$dst.b" "$dst.c" >/dev/null 2>&1 || mv "$dst.b" "$dst.c"
            mergecap -w "$dst" "$dst.a" "$dst.c" >/dev/null 2>&1 || mv "$dst.a" "$dst"
            how="$how +interleaved copy" ;;
        2)  [ "${FUZZ_CLOCKS:-1}" = 0 ] && { mv "$dst.a" "$dst"; rm -f "$dst.a"; printf '%s' "$how"; return; }
            # hostile clocks: pcapng holds 64-bit times (past the year 2262
            # in nanoseconds), and times before 1970
            local t=${clocks[RANDOM % ${#clocks[@]}]}
            editcap -F pcapng -t "$t" "$dst.a" "$dst" >/dev/null 2>&1 || mv "$dst.a" "$dst"
            how="$how -t $t" ;;
        *)  mv "$dst.a" "$dst" ;;
    esac
    rm -f "$dst.a" "$dst.b" "$dst.c"
    printf '%s' "$how"
}

# Runs tshark on $1 with the remaining arguments; returns 0 when clean.
check_run() {
    local cap=$1 what=$2 rc=0
    shift 2
    timeout --kill-after=10 "$tmo" "$here/run-tshark.sh" -r "$cap" "$@" \
        >"$work/out" 2>"$work/err" || rc=$?
    local why=""
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        why="timeout after ${tmo}s"
    elif grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer' "$work/err"; then
        why="sanitizer report"
    elif [ "$rc" -ge 128 ]; then
        why="killed by signal $((rc - 128))"
    elif [ "$rc" != 0 ]; then
        why="exit status $rc"
    elif grep -q -i -E 'Dissector bug, protocol (tcpstate|TCP state)' "$work/out" "$work/err"; then
        why="dissector bug in tcpstate"
    fi
    [ -z "$why" ] && return 0
    local keep
    keep=$findings/fuzzcap-$(date +%Y%m%d-%H%M%S)-$$-$RANDOM
    cp "$cap" "$keep.pcapng"
    cp "$work/err" "$keep.stderr"
    grep -i -E -B2 -A8 'Dissector bug' "$work/out" >"$keep.dissector-bug" 2>/dev/null || rm -f "$keep.dissector-bug"
    echo "fuzz-captures: FAILED ($why) running: tests/run-tshark.sh -r $keep.pcapng $*" >&2
    echo "fuzz-captures: mutations: $what" >&2
    head -40 "$work/err" >&2
    return 1
}

start=$SECONDS
failed=0
runs=0
echo "fuzz-captures: ${#caps[@]} captures, $iterations iterations, seed $seed, conns tap: $have_conns"
for ((it = 1; it <= iterations; it++)); do
    if [ "$max_secs" -gt 0 ] && [ $((SECONDS - start)) -ge "$max_secs" ]; then
        echo "fuzz-captures: time budget of ${max_secs}s used after $((it - 1)) iterations"
        break
    fi
    parts=()
    log=$work/mutations
    : >"$log"
    n=0
    for cap in "${caps[@]}"; do
        n=$((n + 1))
        m=$work/m$n.pcapng
        printf '%s: %s\n' "$(basename "$cap")" "$(mutate "$cap" "$m")" >>"$log"
        parts+=("$m")
    done
    merged=$work/iter$it.pcapng
    # -a: one after the other, so every capture keeps its own connections
    mergecap -a -F pcapng -w "$merged" "${parts[@]}" 2>/dev/null ||
        { echo "fuzz-captures: mergecap failed" >&2; exit 2; }
    rm -f "${parts[@]}"
    what=$(tr '\n' ';' <"$log")
    ok=1
    check_run "$merged" "$what" -n -2 -V || ok=0
    runs=$((runs + 1))
    if [ "$ok" = 1 ] && [ "$have_conns" = 1 ]; then
        check_run "$merged" "$what" -n -q -z tcpstate,conns || ok=0
        runs=$((runs + 1))
    fi
    [ "$ok" = 1 ] || failed=$((failed + 1))
    echo "fuzz-captures: iteration $it: $([ "$ok" = 1 ] && echo clean || echo FAILED) ($((SECONDS - start))s)"
    rm -f "$merged"
done

echo "fuzz-captures: $runs tshark runs in $((SECONDS - start))s, $failed failing iterations"
[ "$failed" = 0 ]
