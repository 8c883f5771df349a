#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proof that a change left the output alone: runs two builds of the plugin
# over the same captures in every mode whose output a user sees, and
# compares the outputs byte for byte.  Not a ctest test (a few minutes);
# for cost work (tests/README.md "Performance").
#
#   tests/compare-builds.sh BASE.so NEW.so [capture...]
#
# Captures: by default every capture of captures/ merged by time into one
# file and appended one after another into another (clocks that go back),
# plus any given.  Modes: the summary lines (plain, with info_column_first
# and info_column_data, with tcp.check_checksum), -T fields with every
# tcpstate.* field and _ws.col.Info (one pass, -2, -2 with
# info_column_data), -2 -V, -z tcpstate,conns and -z tcpstate,connlog.
# Exit status 0 when every output (and tshark's status) is the same, 1 if
# any differs (their names are printed), 2 on a usage error.
# Environment: TCPSTATE_COMPARE_KEEP=dir keeps the outputs there.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

[ $# -ge 2 ] || { echo "usage: $0 BASE.so NEW.so [capture...]" >&2; exit 2; }
base=$(readlink -f "$1"); new=$(readlink -f "$2"); shift 2
for so in "$base" "$new"; do
    [ -r "$so" ] || { echo "compare-builds: cannot read $so" >&2; exit 2; }
done

work=${TCPSTATE_COMPARE_KEEP:-$(mktemp -d)}
mkdir -p "$work/caps" "$work/base" "$work/new"
chmod 755 "$work" "$work/caps"
[ -n "${TCPSTATE_COMPARE_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

caps=()
if [ $# -eq 0 ]; then
    mergecap -F pcap -w "$work/caps/merged.pcap" "$top"/captures/*.pcap
    mergecap -a -F pcap -w "$work/caps/appended.pcap" "$top"/captures/*.pcap
    caps=("$work/caps/merged.pcap" "$work/caps/appended.pcap")
else
    for c in "$@"; do
        cp "$c" "$work/caps/" && caps+=("$work/caps/$(basename "$c")")
    done
fi
chmod 644 "$work"/caps/*

eargs=()
while read -r f; do eargs+=(-e "$f"); done < <(
    TCPSTATE_PLUGIN=$new bash "$here/run-tshark.sh" -G fields 2>/dev/null |
        awk -F'\t' '$3 ~ /^tcpstate/ {print $3}')
eargs+=(-e _ws.col.Info)

run() {   # plugin out-dir name tshark-args...
    local so=$1 dir=$2 name=$3 rc=0
    shift 3
    TCPSTATE_PLUGIN=$so bash "$here/run-tshark.sh" "$@" > "$dir/$name" 2> "$dir/$name.err" || rc=$?
    echo "exit status $rc" >> "$dir/$name"
}

modes() { # plugin out-dir capture
    local so=$1 d=$2 c=$3 t
    t=$(basename "$c" .pcap)
    run "$so" "$d" "$t.summary" -r "$c"
    run "$so" "$d" "$t.summary-prefs" -r "$c" -o tcpstate.info_column_first:TRUE \
        -o tcpstate.info_column_data:TRUE
    run "$so" "$d" "$t.summary-checksum" -r "$c" -o tcp.check_checksum:TRUE
    run "$so" "$d" "$t.fields" -r "$c" -T fields "${eargs[@]}"
    run "$so" "$d" "$t.fields-2" -r "$c" -2 -T fields "${eargs[@]}"
    run "$so" "$d" "$t.fields-2-data" -r "$c" -2 -T fields -o tcpstate.info_column_data:TRUE \
        "${eargs[@]}"
    run "$so" "$d" "$t.2V" -r "$c" -2 -V
    run "$so" "$d" "$t.conns" -r "$c" -q -z tcpstate,conns
    run "$so" "$d" "$t.connlog" -r "$c" -q -z tcpstate,connlog
}

for c in "${caps[@]}"; do
    modes "$base" "$work/base" "$c" &
    modes "$new" "$work/new" "$c"
    wait
done

differ=0
for f in "$work"/base/*; do
    case $f in *.err) continue ;; esac
    if ! cmp -s "$f" "$work/new/$(basename "$f")"; then
        echo "differs: $(basename "$f")"
        differ=$((differ + 1))
    fi
done
total=$(find "$work/base" -type f ! -name '*.err' | wc -l)
echo "compare-builds: $total outputs, $differ differ"
[ "$differ" -eq 0 ]
