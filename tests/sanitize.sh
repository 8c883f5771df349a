#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build everything with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ and run the whole ctest suite there.
#
#   tests/sanitize.sh [ctest arguments...]     e.g. tests/sanitize.sh -R unit
#
# Flags: -fsanitize=address,undefined -fno-omit-frame-pointer
#        -fno-sanitize-recover=undefined (any UB aborts the program).
#
# The unit tests are instrumented executables and run as they are (leak
# detection on).  tshark is not instrumented, so the plugin's sanitizer
# runtime must be the first library loaded into it: tshark gets
# LD_PRELOAD=<the compiler's libasan> through tests/run-tshark.sh
# (TCPSTATE_TSHARK_ENV), with ASAN_OPTIONS=detect_leaks=0 (GLib and
# Wireshark keep memory until exit by design) and verify_asan_link_order=0.
# A sanitizer report in tshark makes it exit non-zero, which fails the e2e
# test that ran it.
#
# Environment:
#   CC              compiler (default: cc; gcc and clang both work)
#   ASAN_BUILD_DIR  build folder (default: build-asan in the source tree)
#   SANITIZE_ONLY_BUILD=1  configure and build only (used by fuzz-captures.sh)
# It prints the variables a caller needs to run tshark with this build:
# see the "export" lines it writes to $ASAN_BUILD_DIR/tshark-env.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
bdir=${ASAN_BUILD_DIR:-$top/build-asan}
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || { echo "sanitize: compiler $CC not found" >&2; exit 2; }

[ -f "$top/CMakeLists.txt" ] || { echo "sanitize: no CMakeLists.txt yet" >&2; exit 2; }

flags="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
ccver=$("$CC" --version 2>/dev/null | head -1)
case $ccver in
    *clang*)
        # clang links its ASan runtime statically into executables only; a
        # shared object (the plugin) needs the shared runtime
        ldflags="-fsanitize=address,undefined -shared-libasan"
        runtime=$("$CC" -print-file-name="libclang_rt.asan-$(uname -m).so") ;;
    *)
        ldflags="-fsanitize=address,undefined"
        runtime=$("$CC" -print-file-name=libasan.so) ;;
esac
runtime=$(readlink -f "$runtime" 2>/dev/null || echo "$runtime")
[ -f "$runtime" ] || { echo "sanitize: cannot find the ASan runtime of $CC ($runtime)" >&2; exit 2; }

# an installed copy would be loaded instead of the sanitizer build
. "$here/installed-plugin.sh"
move_installed_plugin_aside

mkdir -p "$bdir"
echo "sanitize: $ccver; runtime $runtime; build in $bdir"
cmake -S "$top" -B "$bdir" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" \
    -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" >"$bdir/cmake-configure.log" 2>&1 ||
    { cat "$bdir/cmake-configure.log" >&2; echo "sanitize: cmake configure failed" >&2; exit 2; }
cmake --build "$bdir" -j"$(nproc 2>/dev/null || echo 2)" >"$bdir/cmake-build.log" 2>&1 ||
    { tail -40 "$bdir/cmake-build.log" >&2; echo "sanitize: build failed" >&2; exit 2; }

plugin=$(find "$bdir" -maxdepth 2 -name tcpstate.so -print -quit)
[ -n "$plugin" ] || { echo "sanitize: no tcpstate.so in $bdir" >&2; exit 2; }

# ASan's own options for tshark.  abort_on_error=0 keeps the exit status at
# exitcode=66 (recognisable); UBSan aborts through -fno-sanitize-recover.
tshark_asan="detect_leaks=0:verify_asan_link_order=0:exitcode=66:halt_on_error=1"
tshark_ubsan="print_stacktrace=1:halt_on_error=1:exitcode=67"
cat >"$bdir/tshark-env.sh" <<EOF
# SPDX-License-Identifier: GPL-2.0-or-later
# Written by tests/sanitize.sh: source it to run tests/run-tshark.sh with
# the sanitizer build of the plugin.
export TCPSTATE_PLUGIN='$plugin'
export TCPSTATE_TSHARK_ENV='LD_PRELOAD=$runtime ASAN_OPTIONS=$tshark_asan UBSAN_OPTIONS=$tshark_ubsan WIRESHARK_EXTCAP_DIR=/nonexistent/tcpstate-no-extcap'
EOF

# tshark must start and load the instrumented plugin, or every e2e test
# would fail for a reason unrelated to the plugin's code
# shellcheck disable=SC1091
. "$bdir/tshark-env.sh"
if ! timeout 120 "$here/run-tshark.sh" -G plugins 2>"$bdir/tshark-check.err" | grep -q tcpstate; then
    cat "$bdir/tshark-check.err" >&2
    echo "sanitize: tshark does not load the sanitizer build of the plugin" >&2
    exit 2
fi

[ "${SANITIZE_ONLY_BUILD:-0}" = 1 ] && { echo "sanitize: built $plugin"; exit 0; }

# The unit tests are instrumented programs: full checks, leaks included,
# except what the core allocates through a test's own allocator: the core
# takes its memory from the caller's arena (wmem file scope in Wireshark) and
# never frees it, and the unit tests' allocators leave it to process exit.
# (tests/fuzz_core.c frees its arena after each input and is leak-checked.)
printf 'leak:test_alloc\n' >"$bdir/lsan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$bdir/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
(cd "$bdir" && ctest --output-on-failure "$@") || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "sanitize: ctest failed (exit $rc)" >&2
else
    echo "sanitize: all tests passed under ASan+UBSan"
fi
exit "$rc"
