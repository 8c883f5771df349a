#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks tests/setup.sh without installing anything (ctest: setup.args):
#  1. a wrong mode ("tests") is refused first: exit 2, usage on stderr, and
#     nothing checked, installed or built (no other output);
#  2. `demo` names the GUI (wireshark, the Qt GUI) and a CJK font among what it needs;
#  3. a normal user without sudo is told what to run as root (exit 1), never
#     a "sudo: command not found" halfway.
# Each run uses a PATH of stand-ins: dpkg-query says nothing is installed,
# id says a normal user, there is no sudo; apt-get/cmake would fail loudly.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
pass() { echo "PASS $*"; }

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for t in bash dirname grep cat; do ln -s "$(command -v $t)" "$bin/$t"; done
printf '#!/bin/sh\nexit 1\n' > "$bin/dpkg-query"
printf '#!/bin/sh\necho 1000\n' > "$bin/id"
for t in apt-get cmake ctest tshark sudo; do
    printf '#!/bin/sh\necho "setup-check: %s must not run" >&2; exit 99\n' "$t" > "$bin/$t.never"
done
for t in apt-get cmake ctest tshark; do mv "$bin/$t.never" "$bin/$t"; done
rm -f "$bin/sudo.never"
chmod +x "$bin"/*

run() { env -i PATH="$bin" HOME=/nonexistent "$@" bash "$here/setup.sh" "${args[@]}"; }

args=(tests)
out=$(run 2>"$bin/err"); rc=$?
err=$(cat "$bin/err")
[ $rc = 2 ] && pass "wrong mode exits 2" || fail "wrong mode: exit $rc, want 2"
grep -q 'unknown mode "tests"' <<<"$err" && grep -q 'usage: bash tests/setup.sh demo|test' <<<"$err" \
    && pass "wrong mode: says so and shows the usage" || fail "wrong mode: stderr was: $err"
[ -z "$out" ] && ! grep -q "must not run" <<<"$err" \
    && pass "wrong mode: nothing checked or run before" || fail "wrong mode: ran something: $out $err"

args=(demo)
out=$(run 2>"$bin/err"); rc=$?
err=$(cat "$bin/err")
grep -q "will install these Debian packages:.* wireshark fonts-noto-cjk" <<<"$out" \
    && pass "demo installs the GUI and a CJK font" || fail "demo does not name wireshark fonts-noto-cjk: $out"
[ $rc = 1 ] && grep -q "not root and sudo is not installed: run as root" <<<"$err" \
    && grep -q "apt-get install -y --no-install-recommends .*wireshark fonts" <<<"$err" \
    && ! grep -q "must not run" <<<"$err" \
    && pass "no sudo: tells what to run as root, exit 1" || fail "no sudo: exit $rc, stderr: $err"

args=(test)
out=$(run 2>"$bin/err"); rc=$?
! grep -qE "(^| )wireshark( |$)" <<<"$out" && pass "test mode does not need the GUI" || fail "test mode wants the GUI: $out"

echo "$fails failure(s)"
[ $fails = 0 ]
