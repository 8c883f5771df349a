#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks that two builds of the plugin print the same, byte for byte, in
# every output mode: for work that must only make the plugin cheaper (issue
# 14), the proof that nothing a user sees has changed.  Not a ctest test (it
# runs tshark about 60 times; a few minutes).
#
#   tests/same-output.sh BASE.so NEW.so [CAPTURE...]
#
# BASE.so / NEW.so: two builds of tcpstate.so (e.g. one of main and one of
# a branch).  The captures: every capture of captures/ concatenated into one
# file (mergecap -a: clocks that go back between them) and merged by time
# into another (streams interleaved), then each CAPTURE given (e.g. the
# benchmark's 2k mix).  Modes: -T fields with every tcpstate.* field and
# _ws.col.Info in one pass, with -2, and with info_column_first +
# info_column_data; -2 -V in English and Chinese, each with and without the
# analogy; -V in one pass in both languages; -2 -T pdml in both; -2 -T json;
# the summary lines, plain, with info_column_first + info_column_data, with
# info_column_first in Chinese, and with TCP checksums checked;
# -z tcpstate,conns and -z tcpstate,connlog; and tshark's exit status.  The
# PDML header's time and capture_file (a temporary path) are left out of
# the comparison.
#
# Prints "same" or "DIFF" per capture and mode; exits 1 when any differs,
# 2 on a usage error.  Outputs stay in $SAME_OUTPUT_DIR (default: a
# temporary directory, removed unless something differed).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

if [ $# -lt 2 ] || [ ! -f "$1" ] || [ ! -f "$2" ]; then
    echo "usage: $0 BASE.so NEW.so [CAPTURE...]" >&2
    exit 2
fi
base=$(realpath "$1")
new=$(realpath "$2")
shift 2

out=${SAME_OUTPUT_DIR:-$(mktemp -d)}
mkdir -p "$out"
chmod 1777 "$out"       # run-tshark.sh reads the captures as user nobody

mergecap -a -F pcapng -w "$out/all-captures.pcapng" "$top"/captures/*.pcap || exit 2
mergecap -F pcapng -w "$out/all-captures-by-time.pcapng" "$top"/captures/*.pcap || exit 2
chmod 644 "$out"/all-captures*.pcapng
caps=("$out/all-captures.pcapng" "$out/all-captures-by-time.pcapng")
for c in "$@"; do
    [ -f "$c" ] || { echo "no such capture: $c" >&2; exit 2; }
    caps+=("$(realpath "$c")")
done

run() { # run SO CAPTURE OUTFILE ARGS... : tshark with the plugin SO
    local so=$1 cap=$2 file=$3
    shift 3
    TCPSTATE_PLUGIN=$so bash "$here/run-tshark.sh" -r "$cap" "$@" 2>"$file.err" |
        sed '/^<pdml /s/ time="[^"]*"\| capture_file="[^"]*"//g' >"$file"
    echo "exit status ${PIPESTATUS[0]}" >>"$file"
}

fields=()
while IFS= read -r f; do
    fields+=(-e "$f")
done < <(TCPSTATE_PLUGIN=$new bash "$here/run-tshark.sh" -G fields 2>/dev/null |
         awk -F'\t' '$3 ~ /^tcpstate\./ {print $3}')
fields+=(-e _ws.col.Info)

first=(-o tcpstate.info_column_first:TRUE)
zh=(-o tcpstate.language:zh)
analogy=(-o tcpstate.analogy:TRUE)
modes=(fields1 fields2 fields2-data V2 V2-zh V2-analogy V2-zh-analogy V1 V1-zh
       pdml2 pdml2-zh json2 summary summary-prefs summary-first-zh summary-checksum
       conns connlog)

# shellcheck disable=SC2054  # tcpstate,conns is one argument of -z, not two elements
args_of() { # the tshark arguments of mode $1 (into the array "args")
    case $1 in
        fields1)          args=(-T fields -E occurrence=a "${fields[@]}") ;;
        fields2)          args=(-2 -T fields "${fields[@]}") ;;
        fields2-data)     args=(-2 "${first[@]}" -o tcpstate.info_column_data:TRUE -T fields "${fields[@]}") ;;
        V2)               args=(-2 -V) ;;
        V2-zh)            args=(-2 -V "${zh[@]}") ;;
        V2-analogy)       args=(-2 -V "${analogy[@]}") ;;
        V2-zh-analogy)    args=(-2 -V "${zh[@]}" "${analogy[@]}") ;;
        V1)               args=(-V) ;;
        V1-zh)            args=(-V "${zh[@]}") ;;
        pdml2)            args=(-2 -T pdml) ;;
        pdml2-zh)         args=(-2 -T pdml "${zh[@]}") ;;
        json2)            args=(-2 -T json) ;;
        summary)          args=() ;;
        summary-prefs)    args=("${first[@]}" -o tcpstate.info_column_data:TRUE) ;;
        summary-first-zh) args=("${first[@]}" "${zh[@]}") ;;
        summary-checksum) args=(-o tcp.check_checksum:TRUE) ;;
        conns)            args=(-q -z tcpstate,conns) ;;
        connlog)          args=(-q -z tcpstate,connlog) ;;
    esac
}

rc=0
for cap in "${caps[@]}"; do
    name=$(basename "$cap")
    for m in "${modes[@]}"; do
        args_of "$m"
        run "$base" "$cap" "$out/$name.$m.base" "${args[@]}" &
        run "$new" "$cap" "$out/$name.$m.new" "${args[@]}" &
        wait
        if cmp -s "$out/$name.$m.base" "$out/$name.$m.new" &&
           cmp -s "$out/$name.$m.base.err" "$out/$name.$m.new.err" &&
           [ -s "$out/$name.$m.base" ]; then
            echo "same  $name $m ($(wc -c <"$out/$name.$m.base") bytes)"
        else
            echo "DIFF  $name $m (see $out/$name.$m.{base,new}{,.err})"
            rc=1
        fi
    done
done
if [ $rc = 0 ] && [ -z "${SAME_OUTPUT_DIR:-}" ]; then
    rm -rf "$out"
fi
exit $rc
