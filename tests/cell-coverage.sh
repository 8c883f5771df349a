#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Cell coverage of the transition table (plugin/tcpstate_model.c): runs the
# unit tests and every bundled capture (through ts_replay, the core without
# tshark) with the core counting each cell's use, then model_check fails if
# a cell no test reaches is not marked unreachable with a reason, or if a
# cell so marked is reached.  It prints, for every cell, the tests that use it.
#
#   bash tests/cell-coverage.sh BUILD_DIR
set -u
build=${1:?usage: cell-coverage.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
hits=$(mktemp)
trap 'rm -f "$hits"' EXIT
TS_CELL_HITS=$hits "$build/test_core" > /dev/null || { echo "test_core fails"; exit 1; }
TS_CELL_HITS=$hits "$build/test_explain" > /dev/null || { echo "test_explain fails"; exit 1; }
for cap in "$top"/captures/*.pcap "$top"/captures/*.pcapng; do
    [ -e "$cap" ] || continue
    "$build/ts_replay" -r "$cap" --hits "$hits" > /dev/null || { echo "ts_replay fails on $cap"; exit 1; }
done
exec "$build/model_check" --coverage "$hits"
