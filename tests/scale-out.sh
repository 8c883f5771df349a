#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Scale-out stays exact: a capture split by a direction-independent hash of
# the four-tuple (tests/scale_split.py), each part run through tshark with
# the plugin in parallel (xargs -P2), gives the same conn.log records as the
# whole capture, once sorted.  The capture: 400 generated IPv4 connections
# (captures/gen_traffic.py) merged with every bundled capture (IPv4, IPv6,
# tunnels, fragments, Zeek boundary scenarios).  Header lines (#open,
# #close) legitimately differ and are left out.
#
#   tests/scale-out.sh [PARTS]     (default 4)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
py=${PYTHON:-python3}
parts=${1:-4}
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

"$py" captures/gen_traffic.py --connections 400 --packets 6000 "$tmp/gen.pcap" >/dev/null
mergecap -F pcap -w "$tmp/whole.pcap" "$tmp/gen.pcap" captures/*.pcap

"$py" tests/scale_split.py "$tmp/whole.pcap" "$parts" "$tmp/part" > "$tmp/parts.txt"

tests/run-tshark.sh -q -r "$tmp/whole.pcap" -z tcpstate,connlog > "$tmp/whole.log"
# shellcheck disable=SC2016
xargs -P2 -I{} sh -c 'tests/run-tshark.sh -q -r "$1" -z tcpstate,connlog > "$1.log"' _ {} \
    < "$tmp/parts.txt"

grep -v '^#' "$tmp/whole.log" | sort > "$tmp/whole.rows"
for p in $(cat "$tmp/parts.txt"); do grep -v '^#' "$p.log" || true; done | sort > "$tmp/merged.rows"

fail=0
rows=$(wc -l < "$tmp/whole.rows")
v6=$(awk -F'\t' '$3 ~ /:/' "$tmp/whole.rows" | wc -l)
empty=0
for p in $(cat "$tmp/parts.txt"); do
    [ "$(grep -vc '^#' "$p.log" || true)" -gt 0 ] || empty=$((empty + 1))
done
echo "whole: $rows conn.log rows ($v6 IPv6), $parts parts, $empty empty"
[ "$rows" -ge 400 ] || { echo "FAIL: too few rows"; fail=1; }
[ "$v6" -ge 1 ] || { echo "FAIL: no IPv6 connection"; fail=1; }
[ "$empty" = 0 ] || { echo "FAIL: an empty part"; fail=1; }
if ! diff -q "$tmp/whole.rows" "$tmp/merged.rows" >/dev/null; then
    echo "FAIL: merged parts differ from the whole capture:"
    diff "$tmp/whole.rows" "$tmp/merged.rows" | head -20
    fail=1
fi
# the same header in every part (zeek-cut reads any of them)
for p in $(cat "$tmp/parts.txt"); do
    diff <(grep '^#fields\|^#types' "$tmp/whole.log") <(grep '^#fields\|^#types' "$p.log") \
        >/dev/null || { echo "FAIL: header of $p"; fail=1; }
done
[ "$fail" = 0 ] && echo "scale-out: merged conn.log equals the whole capture's"
exit "$fail"
