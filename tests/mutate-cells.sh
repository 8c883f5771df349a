#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Mutation check of the transition table (plugin/tcpstate_model.c): for each
# cell that changes a state, rebuild the core with -DTS_MUTATE_CELL=n (that
# cell keeps its state instead) and run the fast tests: the unit tests and
# every e2e case that ts_replay can run without tshark.  A mutant that
# passes them all "survives": no test notices the cell.  Fails if any does.
#
#   bash tests/mutate-cells.sh [BUILD_DIR]     (BUILD_DIR: for model_check;
#                                               default: build)
# CI: cmake -S . -B build -DTCPSTATE_MUTATION=ON && ctest --test-dir build -L mutation
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# every core source, chosen as CMakeLists.txt chooses them (not the taps, not the glue)
src=()
for f in "$top"/plugin/tcpstate_*.c; do
    [[ $(basename "$f") =~ ^tcpstate_(taps?|glue)(_[a-z0-9_]+)?\.c$ ]] || src+=("$f")
done
n=$("$build/model_check" --mutants) || { echo "model_check missing: build first"; exit 2; }
echo "$n state-changing cells"
survivors=0
for ((i = 0; i < n; i++)); do
    flags=(-std=c99 -O1 -w -I"$top/plugin" -DTS_MUTATE_CELL=$i)
    $cc "${flags[@]}" -o "$work/test_core" "$top/tests/test_core.c" "${src[@]}" &&
    $cc "${flags[@]}" -o "$work/test_explain" "$top/tests/test_explain.c" "${src[@]}" &&
    $cc "${flags[@]}" -o "$work/ts_replay" "$top/tests/ts_replay.c" "${src[@]}" ||
        { echo "mutant $i: build failed"; exit 2; }
    killed=""
    if ! "$work/test_core" > /dev/null; then
        killed="unit.test_core"
    elif ! "$work/test_explain" > /dev/null; then
        killed="unit.test_explain"
    elif ! out=$(python3 "$top/tests/replay.py" "$work/ts_replay" --batch "$top"/tests/e2e/*.case); then
        killed=$out
    fi
    cell=$("$build/model_check" --mutant "$i")
    if [ -n "$killed" ]; then
        echo "mutant $i $cell: killed by $killed"
    else
        echo "mutant $i $cell: SURVIVED (no test notices this cell keeping its state)"
        survivors=$((survivors + 1))
    fi
done
echo "$((n - survivors)) of $n mutants killed"
[ "$survivors" -eq 0 ]
