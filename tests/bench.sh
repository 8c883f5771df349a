#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/bench.sh: performance benchmark of the tcpstate plugin (issue 7).
#
# NOT a test: never register it with ctest.  It compares, in one run, tshark
# with the plugin ("plug") against the same tshark without it ("none") and,
# when it can be built, with a do-nothing postdissector that wants the same
# fields as tcpstate ("noop": the floor any field-wanting postdissector pays).
#
#   tests/bench.sh                 full run (about 25 minutes on 2 cores)
#   TSB_QUICK=1 tests/bench.sh     small captures only (2k-packet mix for the
#                                  instruction counts; about 10 minutes on a
#                                  quiet 2-core machine, three times that
#                                  when it is shared)
#   TSB_SKIP="wall growth massif"  only what issue 14's table needs
#
# Measures
#   wall     median wall time of N runs (TSB_REPEAT, default 3; big captures
#            TSB_REPEAT_BIG, default 1), CPU time (user+sys) and peak RSS
#            (/usr/bin/time), for (a) `tshark -r X`, (b) `-T fields -e
#            frame.number -e tcp.stream -e tcp.flags.str`, (c) `-2 -V` (100k
#            capture only, output to /dev/null), (d) `-q -z tcpstate,conns`
#            vs `-q -z conv,tcp` (skipped while the tap does not exist).
#   icount   instructions per packet with valgrind --tool=callgrind ("perf
#            stat -e instructions" when the machine has the counter), start-up
#            removed: (I(N packets) - I(1 packet)) / (N - 1), for (a), (b)
#            and (c) on the mix, (a) on short connections (handshake and
#            close only) and (a) on the SYN flood's first frames.  These
#            ratios do not depend on the machine's load; the callgrind files
#            keep instruction-level data and debug info for
#            callgrind_annotate --inclusive=yes.
# The report ends with issue 14's table: each mode with the plugin against
# tshark without it and against the do-nothing floor, the floor's ratio
# beside ours, the goal and PASS/FAIL (SYN-flood CPU and peak RSS from the
# timed runs of section "big").
#   growth   (a) with the plugin on one connection truncated to 100k, 1M and
#            5M packets: 10x packets -> x time.
#   memory   the plugin's own bytes per TCP packet and per connection, from
#            peak RSS differences (one connection: per packet; SYN flood: per
#            packet + connection), and a massif run for the split by
#            allocation site.
# and prints a table with PASS/FAIL per budget line and the machine.
#
# Captures are made reproducibly (captures/gen_*.py) into the work folder
# (TSB_WORK, default /tmp/tcpstate-bench) and reused when present; results go
# to TSB_WORK/results-<date>/ (raw.tsv, icount.tsv, massif.*, table.txt).
#
# How tshark is run: like tests/run-tshark.sh -- a private HOME per
# configuration with the plugin in its personal plugin folder, as "nobody"
# when root (Wireshark ignores personal plugins for root) -- but the
# captures are read in place (the work folder must be readable by nobody)
# instead of being copied.  Each configuration is checked before use: plug
# must list tcpstate.so in `tshark -G plugins` and fill tcpstate.stage,
# none must list neither tcpstate nor the no-op plugin.
#
# Environment:
#   TCPSTATE_PLUGIN     the plugin (default build/tcpstate.so, else
#                       /tmp/bench-build/tcpstate.so)
#   TSB_WORK            work folder (default /tmp/tcpstate-bench)
#   TSB_REPEAT          runs per 100k measurement (default 3)
#   TSB_REPEAT_BIG      runs per 1M/5M measurement (default 1)
#   TSB_ICOUNT_PACKETS  packets of the instruction-count capture (default
#                       100000, 5000 with TSB_QUICK; the first N frames of the
#                       100k mix, at most the mix)
#   TSB_SYN_ICOUNT_PACKETS  SYN-flood frames counted (default: as many)
#   TSB_JOBS            parallel valgrind runs (default: number of CPUs;
#                       instruction counts do not care)
#   TSB_SKIP            space-separated sections to skip: wall big growth
#                       icount massif
#   TSB_QUICK=1         10k/20k captures instead of 1M/5M (smoke test)
#   TSB_ICOUNT_CACHE    folder of remembered instruction counts of the
#                       configurations that do not change between runs
#                       (none, noop): default TSB_WORK/icount-cache; "off"
#                       measures everything.  The key is the tshark binary,
#                       its libwireshark, valgrind, the capture, the mode and
#                       the no-op plugin's bytes, so a cached count is the
#                       count the run would make; only the plugin's runs are
#                       made again (a quick run: 8 valgrind runs instead of 24).
#   TSB_ICOUNT_REPEAT   runs per instruction count not taken from the cache
#                       (default 1); the median is kept.  A whole run's count
#                       drifts by a few hundred instructions a packet between
#                       runs of one build (tshark's start-up and its hash
#                       tables keyed by addresses), so telling two builds
#                       apart by less than that takes several runs.
#   TSHARK              tshark binary (default: tshark from PATH)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
TSHARK=$(command -v "${TSHARK:-tshark}") || { echo "bench: tshark not found" >&2; exit 2; }
WORK=${TSB_WORK:-/tmp/tcpstate-bench}
REPEAT=${TSB_REPEAT:-3}
REPEAT_BIG=${TSB_REPEAT_BIG:-1}
ICOUNT_N=${TSB_ICOUNT_PACKETS:-100000}
ICOUNT_REPEAT=${TSB_ICOUNT_REPEAT:-1}
[[ "$ICOUNT_REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "bench: TSB_ICOUNT_REPEAT must be a positive number" >&2; exit 2; }
JOBS=${TSB_JOBS:-$(nproc 2>/dev/null || echo 1)}
SKIP=" ${TSB_SKIP:-} "
QUICK=${TSB_QUICK:-0}
RUN_AS=nobody

die() { echo "bench: $*" >&2; exit 2; }
note() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
skipped() { [[ "$SKIP" == *" $1 "* ]]; }

plugin=${TCPSTATE_PLUGIN:-}
if [ -z "$plugin" ]; then
    for p in "$top/build/tcpstate.so" /tmp/bench-build/tcpstate.so; do
        [ -f "$p" ] && { plugin=$p; break; }
    done
fi
[ -n "$plugin" ] && [ -f "$plugin" ] || die "plugin not found: build it or set TCPSTATE_PLUGIN"
wsver=$("$TSHARK" --version 2>/dev/null | sed -n -E '1s/^[^0-9]*([0-9]+)\.([0-9]+).*/\1.\2/p')
wsfull=$("$TSHARK" --version 2>/dev/null | sed -n -E '1s/^[^0-9]*([0-9][0-9.]*).*/\1/p')
[[ "$wsver" =~ ^[0-9]+\.[0-9]+$ ]] || die "cannot tell the Wireshark version"

mkdir -p "$WORK"
chmod 755 "$WORK"
RES=$WORK/results-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RES"
chmod 777 "$RES"
RAW=$RES/raw.tsv
ICOUNT=$RES/icount.tsv
: >"$RAW"
: >"$ICOUNT"
echo "bench: results in $RES" >&2

# ---- Private homes: plug / none / noop -----------------------------------

homes=$(mktemp -d "${TMPDIR:-/tmp}/tsb-homes.XXXXXX")
chmod 755 "$homes"
# an installed copy would be in the "without the plugin" baseline too
. "$(dirname "${BASH_SOURCE[0]}")/installed-plugin.sh"
move_installed_plugin_aside
cleanup() { rm -rf -- "$homes"; put_installed_plugin_back; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for cfg in plug none noop; do
    mkdir -p "$homes/$cfg/.local/lib/wireshark/plugins/$wsver/epan" "$homes/$cfg/.config"
done
cp "$plugin" "$homes/plug/.local/lib/wireshark/plugins/$wsver/epan/tcpstate.so"

# The do-nothing postdissector: same wanted fields as the glue
# (tcpstate_glue_register.c; read from whichever plugin file holds the table).
wanted=$(cat "$top"/plugin/*.c | sed -n '/wanted_names\[W_COUNT\] = {/,/};/p' |
         grep -o '"[a-z0-9_.]*"' | paste -sd, -)
have_noop=0
if [ -n "$wanted" ] && command -v pkg-config >/dev/null && pkg-config --exists wireshark; then
    cat >"$homes/noop.c" <<'EOF'
/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark floor: a postdissector that wants tcpstate's fields and does nothing. */
#include <ws_version.h>
#include <ws_symbol_export.h>
#include <epan/packet.h>
#include <epan/proto.h>

WS_DLL_PUBLIC_DEF const char plugin_version[] = "0.0.0";
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);

static int proto_noop = -1;
static dissector_handle_t noop_handle;
static const char *const names[] = { WANTED };

static int
dissect_noop(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)tvb; (void)pinfo; (void)tree; (void)data;
    return 0;
}

static void
reg(void)
{
    proto_noop = proto_register_protocol("Benchmark no-op postdissector", "TSBNoop", "tsbnoop");
    noop_handle = create_dissector_handle(dissect_noop, proto_noop);
}

static void
handoff(void)
{
    GArray *ids = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    unsigned i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        int id = proto_registrar_get_id_byname(names[i]);
        if (id > 0)
            g_array_append_val(ids, id);
    }
    register_postdissector(noop_handle);
    set_postdissector_wanted_hfids(noop_handle, ids);
}

void
plugin_register(void)
{
    static proto_plugin p;
    p.register_protoinfo = reg;
    p.register_handoff = handoff;
    proto_register_plugin(&p);
}
EOF
    # shellcheck disable=SC2046
    if ${CC:-cc} -O2 -shared -fPIC -DWANTED="$wanted" $(pkg-config --cflags wireshark) \
            -o "$homes/noop/.local/lib/wireshark/plugins/$wsver/epan/tsbnoop.so" \
            "$homes/noop.c" 2>"$homes/noop.log"; then
        have_noop=1
    else
        note "no-op postdissector did not build (see below); floor not measured"
        cat "$homes/noop.log" >&2
    fi
fi
CFGS="none plug"
[ "$have_noop" = 1 ] && CFGS="none noop plug"

if [ "$(id -u)" = 0 ]; then
    group=$(id -gn "$RUN_AS")
    chown -R "$RUN_AS:$group" "$homes"
fi
chmod -R a+rX "$homes"

# as_cfg CFG CMD...: runs CMD in CFG's private home (as nobody when root).
as_cfg() {
    local cfg=$1
    shift
    local envs=(HOME="$homes/$cfg" XDG_CONFIG_HOME="$homes/$cfg/.config" LC_ALL=C.UTF-8)
    if [ "$(id -u)" = 0 ]; then
        (cd "$homes/$cfg" && setpriv --reuid="$RUN_AS" --regid="$group" --init-groups \
            env -u WIRESHARK_CONFIG_DIR -u WIRESHARK_PLUGIN_DIR "${envs[@]}" ${TSB_EXTRA_ENV:-} "$@")
    else
        (cd "$homes/$cfg" && env -u WIRESHARK_CONFIG_DIR -u WIRESHARK_PLUGIN_DIR \
            "${envs[@]}" ${TSB_EXTRA_ENV:-} "$@")
    fi
}

# ---- Captures ------------------------------------------------------------

gen() { # gen OUT COMMAND... : makes OUT unless it is there
    local out=$WORK/$1
    shift
    if [ ! -s "$out" ]; then
        note "making $(basename "$out")"
        "$@" "$out.tmp" >/dev/null
        mv "$out.tmp" "$out"
    fi
    chmod 644 "$out"
}
cut_cap() { # cut_cap OUT IN N : first N frames of IN
    if [ ! -s "$WORK/$1" ]; then
        note "making $1"
        editcap -r "$WORK/$2" "$WORK/$1.tmp" "1-$3" && mv "$WORK/$1.tmp" "$WORK/$1"
    fi
    chmod 644 "$WORK/$1"
}
GT="python3 $top/captures/gen_traffic.py"
GS="python3 $top/captures/gen_synflood.py"
if [ "$QUICK" = 1 ]; then
    BIG_P=20000; BIG_C=2000; SINGLE_P=50000; SYN_P=20000; SHORT_C=500
    [ -n "${TSB_ICOUNT_PACKETS:-}" ] || ICOUNT_N=5000
else
    BIG_P=1000000; BIG_C=100000; SINGLE_P=5000000; SYN_P=1000000; SHORT_C=2000
fi
SYN_ICOUNT_N=${TSB_SYN_ICOUNT_PACKETS:-$ICOUNT_N}
MID_P=$(( BIG_P / 10 )); MID_C=$(( BIG_C / 10 ))
SMALL_SINGLE=$(( SINGLE_P / 50 )); MID_SINGLE=$(( SINGLE_P / 5 ))
MIX=mix-$BIG_P.pcap; MIXS=mix-$MID_P.pcap; SYN=synflood-$SYN_P.pcap
SINGLE=single-$SINGLE_P.pcap
gen "$MIX" $GT --connections "$BIG_C" --packets "$BIG_P"
gen "$MIXS" $GT --connections "$MID_C" --packets "$MID_P"
gen "$SYN" $GS "$SYN_P"
gen "$SINGLE" $GT --single "$SINGLE_P"
cut_cap single-$MID_SINGLE.pcap "$SINGLE" "$MID_SINGLE"
cut_cap single-$SMALL_SINGLE.pcap "$SINGLE" "$SMALL_SINGLE"
cut_cap one.pcap "$MIXS" 1
# Short connections: handshake and close only (7 frames each), where the
# plugin's per-connection work weighs most in the summary mode.
SHORT=short-$SHORT_C.pcap
gen "$SHORT" $GT --connections "$SHORT_C" --packets $(( SHORT_C * 7 ))
# The SYN flood's instruction count: its first frames (one SYN, one
# connection each: the per-connection cost does not depend on how many).
[ "$SYN_ICOUNT_N" -gt "$SYN_P" ] && SYN_ICOUNT_N=$SYN_P
SYNI=synflood-first-$SYN_ICOUNT_N.pcap
cut_cap "$SYNI" "$SYN" "$SYN_ICOUNT_N"
[ "$ICOUNT_N" -gt "$MID_P" ] && ICOUNT_N=$MID_P
if [ "$ICOUNT_N" = "$MID_P" ]; then ICAP=$MIXS; else
    ICAP=mix-first-$ICOUNT_N.pcap; cut_cap "$ICAP" "$MIXS" "$ICOUNT_N"
fi

as_cfg none test -r "$WORK/$MIX" || die "$WORK is not readable by $RUN_AS; set TSB_WORK"

# Packets and connections of each capture (frames; tcp.stream count).
declare -A NPKT NCONN
for c in "$MIX" "$MIXS" "$SYN" "$SINGLE" single-$MID_SINGLE.pcap single-$SMALL_SINGLE.pcap one.pcap "$ICAP" \
         "$SHORT" "$SYNI"; do
    NPKT[$c]=$(capinfos -T -r -c "$WORK/$c" | awk -F'\t' '{print $2}')
done
NCONN[$MIX]=$BIG_C; NCONN[$MIXS]=$MID_C; NCONN[$SYN]=${NPKT[$SYN]}
NCONN[$SINGLE]=1; NCONN[single-$MID_SINGLE.pcap]=1; NCONN[single-$SMALL_SINGLE.pcap]=1
NCONN[one.pcap]=1; NCONN[$SHORT]=$SHORT_C; NCONN[$SYNI]=${NPKT[$SYNI]}
[ "$ICAP" = "$MIXS" ] || NCONN[$ICAP]=0

# ---- Check each configuration is what it claims ---------------------------

plugins_of() { as_cfg "$1" "$TSHARK" -G plugins 2>/dev/null | awk '{print $1}' | tr '\n' ' '; }
p=$(plugins_of plug); [[ "$p" == *tcpstate.so* ]] || die "plug: tcpstate.so not loaded ($p)"
p=$(plugins_of none); [[ "$p" != *tcpstate* && "$p" != *tsbnoop* ]] || die "none: loads $p"
if [ "$have_noop" = 1 ]; then
    p=$(plugins_of noop); [[ "$p" == *tsbnoop.so* && "$p" != *tcpstate* ]] || die "noop: $p"
fi
stage=$(as_cfg plug "$TSHARK" -r "$WORK/one.pcap" -T fields -e tcpstate.stage 2>/dev/null)
[[ "$stage" == Handshake* ]] || die "plug: tcpstate.stage empty on one.pcap ('$stage')"
note "configurations checked: $CFGS (plug stage on frame 1: $stage)"

have_tap=0
if as_cfg plug "$TSHARK" -z help 2>&1 | grep -q '^ *tcpstate,conns'; then have_tap=1; fi

# ---- Timed runs -----------------------------------------------------------

mode_args() { # mode_args MODE CAP -> sets ARGS
    local cap=$WORK/$2
    case $1 in
        a) ARGS=(-r "$cap") ;;
        b) ARGS=(-r "$cap" -T fields -e frame.number -e tcp.stream -e tcp.flags.str) ;;
        c) ARGS=(-r "$cap" -2 -V) ;;
        d) ARGS=(-r "$cap" -q -z tcpstate,conns) ;;
        dconv) ARGS=(-r "$cap" -q -z conv,tcp) ;;
        *) die "mode $1" ;;
    esac
}

# timed SECTION CAP MODE CFG REP: one run, appended to raw.tsv.
timed() {
    local section=$1 cap=$2 mode=$3 cfg=$4 rep=$5 tf=$RES/time.$$ rc=0
    mode_args "$mode" "$cap"
    as_cfg "$cfg" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$TSHARK" "${ARGS[@]}" \
        >/dev/null 2>"$RES/stderr.last" || rc=$?
    [ "$rc" = 0 ] || { cat "$RES/stderr.last" >&2; die "tshark failed ($cfg $mode $cap)"; }
    read -r wall user sys rss < <(tail -1 "$tf")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$cap" "$mode" "$cfg" "$rep" \
        "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" "$rss" "${NPKT[$cap]}" "${NCONN[$cap]}" >>"$RAW"
    note "$section $cap $mode $cfg #$rep: ${wall}s wall, ${user}+${sys}s cpu, ${rss} KB"
}

# series SECTION CAP REPS "MODES" "CFGS": interleaved so drift hits all alike.
series() {
    local section=$1 cap=$2 reps=$3 modes=$4 cfgs=$5 r m c
    for ((r = 1; r <= reps; r++)); do
        for m in $modes; do for c in $cfgs; do timed "$section" "$cap" "$m" "$c" "$r"; done; done
    done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

if ! skipped wall; then
    series startup one.pcap "$REPEAT" "a b" "none plug"
    series wall "$MIXS" "$REPEAT" "a b c" "$CFGS"
    if [ "$have_tap" = 1 ]; then
        series tap "$MIXS" "$REPEAT" "d" "plug"
        series tap "$MIXS" "$REPEAT" "dconv" "none plug"
    fi
fi
if ! skipped big; then
    series big "$MIX" "$REPEAT_BIG" "a b" "$CFGS"
    series big "$SYN" "$REPEAT_BIG" "a b" "none plug"
fi
if ! skipped growth; then
    series growth single-$SMALL_SINGLE.pcap "$REPEAT" "a" "none plug"
    series growth single-$MID_SINGLE.pcap "$REPEAT_BIG" "a" "none plug"
    series growth "$SINGLE" "$REPEAT_BIG" "a" "plug"     # no baseline: 5 more minutes
fi

# ---- Instruction counts ---------------------------------------------------

icount_tool=callgrind
if perf stat -x, -e instructions:u true 2>&1 | grep -q '^[0-9]'; then icount_tool=perf; fi

icount_run() { # icount_run CFG OUT: one count of ARGS (set by mode_args), printed
    local cfg=$1 out=$2
    if [ "$icount_tool" = perf ]; then
        as_cfg "$cfg" perf stat -x, -e instructions:u -o "$out.perf" "$TSHARK" "${ARGS[@]}" >/dev/null 2>&1
        awk -F, '/instructions/ {printf "%s", $1}' "$out.perf"
    else
        as_cfg "$cfg" valgrind --tool=callgrind --dump-instr=yes --keep-debuginfo=yes \
            --callgrind-out-file="$out.out" \
            "$TSHARK" "${ARGS[@]}" >/dev/null 2>"$out.log"
        awk '/^(summary|totals):/ {printf "%s", $2; exit}' "$out.out"
    fi
}

icount_one() { # icount_one CAP MODE CFG
    local cap=$1 mode=$2 cfg=$3 out n key=
    out=$RES/cg.$cfg.$mode.${cap%.pcap}
    mode_args "$mode" "$cap"
    if [ -n "$ICACHE" ] && [ "$cfg" != plug ]; then
        key=$( { echo "$ICACHE_BASE $icount_tool $mode $cfg"
                 sha256sum <"$WORK/$cap"
                 [ "$cfg" = noop ] && sha256sum <"$NOOP_SO"; } | sha256sum | cut -c1-24)
        if [ -s "$ICACHE/$key" ]; then
            n=$(cat "$ICACHE/$key")
            printf '%s\t%s\t%s\t%s\t%s\n' "$cap" "$mode" "$cfg" "$n" "${NPKT[$cap]}" >>"$ICOUNT"
            note "icount $cap $mode $cfg: $n instructions (cached)"
            return 0
        fi
    fi
    n=$(for r in $(seq 1 "$ICOUNT_REPEAT"); do icount_run "$cfg" "$out.$r"; echo; done |
        sort -n | awk 'NF {v[++k] = $1} END {if (k) print v[int((k + 1) / 2)]}')
    printf '%s\t%s\t%s\t%s\t%s\n' "$cap" "$mode" "$cfg" "$n" "${NPKT[$cap]}" >>"$ICOUNT"
    note "icount $cap $mode $cfg: $n instructions"
    if [ -n "$key" ] && [[ "$n" =~ ^[0-9]+$ ]]; then
        echo "$n" >"$ICACHE/$key.tmp.$$" && mv "$ICACHE/$key.tmp.$$" "$ICACHE/$key"
    fi
}

# The cache of counts that do not depend on the plugin (see TSB_ICOUNT_CACHE).
ICACHE=${TSB_ICOUNT_CACHE:-$WORK/icount-cache}
[ "$ICACHE" = off ] && ICACHE=
ICACHE_BASE=
NOOP_SO=$homes/noop/.local/lib/wireshark/plugins/$wsver/epan/tsbnoop.so
if [ -n "$ICACHE" ]; then
    mkdir -p "$ICACHE"
    libws=$(ldd "$TSHARK" | awk '/libwireshark\.so/ {print $3; exit}')
    ICACHE_BASE=$( { sha256sum <"$TSHARK"; [ -n "$libws" ] && sha256sum <"$libws"
                     valgrind --version 2>/dev/null; "$TSHARK" --version 2>/dev/null | head -1; } |
                   sha256sum | cut -c1-24)
fi

massif_pid=
if ! skipped massif; then
    note "massif on $ICAP (b), plug, wmem simple allocator and G_SLICE=always-malloc"
    mode_args b "$ICAP"
    TSB_EXTRA_ENV="WIRESHARK_DEBUG_WMEM_OVERRIDE=simple G_SLICE=always-malloc" \
        as_cfg plug valgrind --tool=massif --keep-debuginfo=yes --threshold=0.01 --depth=40 \
        --massif-out-file="$RES/massif.out" "$TSHARK" "${ARGS[@]}" >/dev/null 2>"$RES/massif.log" &
    massif_pid=$!
fi

if ! skipped icount; then
    command -v valgrind >/dev/null || [ "$icount_tool" = perf ] || die "valgrind missing"
    note "instruction counts with $icount_tool on one.pcap and $ICAP, $JOBS at a time"
    export -f icount_one icount_run mode_args as_cfg note die
    export RES ICOUNT TSHARK WORK homes group RUN_AS icount_tool ICACHE ICACHE_BASE NOOP_SO
    export ICOUNT_REPEAT
    # The issue-14 table: (a) on the mix and on short connections, (b) and
    # (c) on the mix, (a) on the SYN flood; one.pcap gives the start-up.
    # The longest runs first, so that the parallel slots end together.
    jobs_list=()
    for m in c b a; do for c in $CFGS; do jobs_list+=("$ICAP $m $c"); done; done
    for c in $CFGS; do jobs_list+=("$SYNI a $c" "$SHORT a $c"); done
    for m in a b c; do for c in $CFGS; do jobs_list+=("one.pcap $m $c"); done; done
    # NPKT is an associative array: pass the counts through the environment.
    export NP_ONE=${NPKT[one.pcap]} NP_ICAP=${NPKT[$ICAP]} ICAP
    export NP_SHORT=${NPKT[$SHORT]} SHORT NP_SYNI=${NPKT[$SYNI]} SYNI
    printf '%s\n' "${jobs_list[@]}" | xargs -P "$JOBS" -L 1 bash -c '
        declare -A NPKT=([one.pcap]=$NP_ONE [$ICAP]=$NP_ICAP [$SHORT]=$NP_SHORT [$SYNI]=$NP_SYNI)
        icount_one "$@"' _
fi

if [ -n "$massif_pid" ]; then
    wait "$massif_pid" || note "massif failed (see $RES/massif.log)"
fi

T1=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- Report ---------------------------------------------------------------

{
    echo "cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "cpus=$(nproc)"
    echo "ram=$(free -h | awk '/^Mem:/ {print $2}')"
    echo "wireshark=$wsfull"
    echo "plugin=$plugin"
    echo "plugin_sha=$(sha256sum "$plugin" | cut -c1-12)"
    echo "git=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "load_start=$LOAD_START"
    echo "load_end=$LOAD_END"
    echo "seconds=$((T1 - T0))"
    echo "repeat=$REPEAT"
    echo "repeat_big=$REPEAT_BIG"
    echo "icount_tool=$icount_tool"
    echo "icount_capture=$ICAP"
    echo "short=$SHORT"
    echo "syn_icount=$SYNI"
    echo "have_noop=$have_noop"
    echo "have_tap=$have_tap"
    echo "mix=$MIX"; echo "mix_small=$MIXS"; echo "syn=$SYN"
    echo "single=$SINGLE"; echo "single_mid=single-$MID_SINGLE.pcap"
    echo "single_small=single-$SMALL_SINGLE.pcap"
    echo "quick=$QUICK"
} >"$RES/meta.txt"

python3 "$here/bench_report.py" "$RES" | tee "$RES/table.txt"
