#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fuzz the Wireshark-independent core with libFuzzer.
#
#   tests/fuzz-core.sh [seconds]          (default 60)
#
# Builds tests/fuzz_core.c with the core sources using
#   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# into build/fuzz-core/ ($FUZZ_BUILD_DIR; nothing is written to the source
# tree outside build/), writes a small seed corpus of hand-encoded
# connections, and runs the fuzzer for the given time.  The corpus it grows
# is kept in build/fuzz-core/corpus/ and reused by the next run.
#
# Exit status: 0 when the run found nothing; 1 on any crash, sanitizer
# report, invariant violation (abort), leak, timeout or out-of-memory; 2 when
# it could not build.  A failing input is saved in $FUZZ_FINDINGS
# (default build/fuzz-core/findings/) together with a minimized copy
# (minimized-*), and can be replayed with
#   build/fuzz-core/fuzz_core FILE
# or, without libFuzzer (gcc, valgrind):
#   cc -DFUZZ_CORE_STANDALONE -Iplugin tests/fuzz_core.c plugin/tcpstate_*.c
#
# Environment:
#   CC              clang to use (default: clang)
#   FUZZ_BUILD_DIR  where to build and keep the corpus (default build/fuzz-core
#                   in the source tree)
#   FUZZ_FINDINGS   where failing inputs go
#   FUZZ_JOBS       parallel fuzzing processes (default 1; >1 uses -fork)
#   FUZZ_EXTRA      extra libFuzzer options
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds]" >&2; exit 2; }

CC=${CC:-clang}
bdir=${FUZZ_BUILD_DIR:-$top/build/fuzz-core}
findings=${FUZZ_FINDINGS:-$bdir/findings}
jobs=${FUZZ_JOBS:-1}

if ! command -v "$CC" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "fuzz-core: installing clang" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >&2; }
    fi
    command -v "$CC" >/dev/null 2>&1 || { echo "fuzz-core: $CC not found" >&2; exit 2; }
fi

mkdir -p "$bdir" "$bdir/corpus" "$findings"

# ---- build ----------------------------------------------------------------
# every core source, chosen as CMakeLists.txt chooses them: plugin/tcpstate_*.c
# except the taps and the glue (which use Wireshark); the explanation writer among them
# (the harness has a weak reference to ts_explain and skips those checks without it)
srcs=()
for src in "$top"/plugin/tcpstate_*.c; do
    [[ $(basename "$src") =~ ^tcpstate_(taps?|glue)(_[a-z0-9_]+)?\.c$ ]] || srcs+=("$src")
done

echo "fuzz-core: building $bdir/fuzz_core (${#srcs[@]} core sources)"
san=(-g -O1 -std=c99 -D_DEFAULT_SOURCE -fno-omit-frame-pointer
     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
objs=()
for src in "${srcs[@]}"; do
    obj=$bdir/$(basename "$src" .c).o
    "$CC" "${san[@]}" -I"$top/plugin" -c "$src" -o "$obj" ||
        { echo "fuzz-core: build failed: $src" >&2; exit 2; }
    objs+=("$obj")
done
"$CC" "${san[@]}" -Wall -Wextra -I"$top/plugin" "$here/fuzz_core.c" "${objs[@]}" \
    -o "$bdir/fuzz_core" || { echo "fuzz-core: build failed" >&2; exit 2; }

# ---- seeds ----------------------------------------------------------------
# Encoding (see tests/fuzz_core.c): header h0 [port bytes], then per segment
# op = dir | flagsel<<1 | seqmode<<5, a shape byte, optional extra bytes.
# Flag selectors: 0 SYN, 1 SYN-ACK, 2 ACK, 4 PSH-ACK, 5 FIN-ACK, 7 RST,
# 8 RST-ACK, 10 SYN with a new ISN (+2 bytes).  Shape 0x04 = 1460 bytes of
# data, 0x18 = time step of N*10 ms (+1 byte), 0x20 = backwards (+1 byte).
# Selector 9 is an ICMP destination unreachable quoting a segment of that
# direction (op 0x12 | dir, seq mode in bits 5-7: 0 its latest segment,
# 1 its ISN, 2 SND.NXT) and its shape byte's bits 0-1 are the kind (0 port,
# 1 prohibited, 2 no route).
seeds=$bdir/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
seed() { printf "$2" >"$seeds/$1"; }
hs='\x00\x00\x03\x00\x04\x00'                      # SYN, SYN-ACK, ACK
close4='\x0a\x00\x05\x00\x0b\x00\x04\x00'          # FIN, ACK, FIN, ACK
seed normal          "\x00\x10\x00${hs}\x08\x04\x05\x00\x09\x04\x04\x00${close4}"
seed finack3         "\x00\x10\x00${hs}\x08\x04\x05\x00\x0a\x00\x0b\x00\x04\x00"
seed refused         "\x00\x10\x00\x00\x00\x11\x00"
seed syn_retrans     "\x00\x10\x00\x00\x00\x60\x18\x64\x60\x18\xc8"
seed synack_unanswd  "\x00\x10\x00\x00\x00\x03\x00\x63\x18\x64"
seed simopen         "\x00\x10\x00\x00\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00"
seed simclose        "\x00\x10\x00${hs}\x0a\x00\x0b\x00\x04\x00\x05\x00"
seed half_close      "\x00\x10\x00${hs}\x0a\x00\x05\x00\x09\x04\x04\x00\x0b\x00\x04\x00"
seed abort           "\x00\x10\x00${hs}\x08\x04\x11\x00\x08\x00"
seed midstream       "\x00\x10\x00\x08\x04\x05\x00\x08\x04\x0e\x00"
seed synack_first    "\x00\x10\x00\x03\x00\x04\x00\x08\x04\x05\x00"
seed late_flip       "\x02\xc0\x00\xc0\x01\x03\x00\x04\x00\x08\x04\x05\x00"
seed wrap            "\x20\x10\x00${hs}\x08\x04\x08\x04\x08\x04\x05\x00\x09\x05\x04\x00${close4}"
seed time_backwards  "\x00\x10\x00${hs}\x08\x20\x10\x05\x00${close4}"
seed port_reuse      "\x00\x10\x00${hs}${close4}\x14\x00\x00\x10\x03\x00\x04\x00"
seed rst_ignored     "\x00\x10\x00${hs}\xee\x00\x12\x34\x56\x78\x00\x00\x00\x00\x05\x00"
seed invalid_flags   "\x00\x10\x00\x1a\x00\x18\x00\x1e\x00\x1c\x00\x29\x00"
seed zero_window     "\x00\x10\x00${hs}\x08\x04\x05\x40\x05\x40\x08\x04\x05\x00"
# SYN, port unreachable quoting it, the SYN again (1 s later), unreachable again
seed icmp_syn        "\x00\x10\x00\x00\x00\x32\x00\x60\x18\x64\x32\x00"
# data in flight, then "no route" quoting it: a soft error
seed icmp_data       "\x00\x10\x00${hs}\x08\x04\x12\x02\x08\x04"
# the server's SYN-ACK quoted, prohibited: the half-open connection dropped
seed icmp_synrcvd    "\x00\x10\x00\x00\x00\x03\x00\x33\x01"
# only the client's side: SYN, ACK of the unseen SYN-ACK, data, FIN, ACK of
# the unseen server FIN (ack + 1)
seed one_sided       "\x00\x10\x00\x00\x00\x04\x00\x08\x04\x0a\x00\x84\x00\x00\x01"

# ---- run ------------------------------------------------------------------
opts=(-max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$findings/")
if [ "$jobs" -gt 1 ]; then
    opts+=(-fork="$jobs")
fi
# shellcheck disable=SC2206
[ -n "${FUZZ_EXTRA:-}" ] && opts+=($FUZZ_EXTRA)

stamp=$(mktemp "$bdir/.stamp.XXXXXX")
log=$bdir/fuzz.log
echo "fuzz-core: fuzzing for ${secs}s (log: $log)"
rc=0
(cd "$bdir" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ./fuzz_core "${opts[@]}" "$bdir/corpus" "$seeds") >"$log" 2>&1 || rc=$?
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" || true

if [ "$rc" -ne 0 ]; then
    echo "fuzz-core: FAILED (exit $rc); the report:" >&2
    grep -E -A40 '^==[0-9]+==ERROR|runtime error|invariant violated|ERROR: libFuzzer' "$log" | head -80 >&2 || tail -40 "$log" >&2
    # minimize every new failing input next to the original
    while IFS= read -r -d '' f; do
        base=$(basename "$f")
        case $base in minimized-*) continue ;; esac
        echo "fuzz-core: failing input $f" >&2
        (cd "$bdir" && ./fuzz_core -minimize_crash=1 -max_total_time=60 -runs=100000 \
            -exact_artifact_path="$findings/minimized-$base" "$f") >"$bdir/minimize.log" 2>&1 || true
        [ -f "$findings/minimized-$base" ] &&
            echo "fuzz-core: minimized: $findings/minimized-$base ($(stat -c %s "$findings/minimized-$base") bytes)" >&2
    done < <(find "$findings" -maxdepth 1 -type f -newer "$stamp" -print0)
    rm -f "$stamp"
    exit 1
fi
rm -f "$stamp"
echo "fuzz-core: no findings in ${secs}s"
