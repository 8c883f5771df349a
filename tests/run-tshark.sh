#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run tshark with the freshly built tcpstate plugin and nothing else of the
# caller's configuration.
#
#   tests/run-tshark.sh [tshark arguments...]
#   e.g. tests/run-tshark.sh -r captures/foo.pcap -V -Y tcp
#
# Wireshark loads personal plugins from $HOME/.local/lib/wireshark/plugins/
# <X.Y>/epan/, but does not honour that (nor WIRESHARK_PLUGIN_DIR) for root,
# and CI runs as root from a clone that other users may not be able to
# enter.  So this script builds a private HOME in a temporary directory,
# copies the plugin and every capture given with -r there, and runs tshark
# with HOME pointing to it -- as user "nobody" when started as root.  The
# temporary directory is removed on exit; tshark's exit status is returned.
#
# Environment:
#   TCPSTATE_PLUGIN      the built plugin (default: build/tcpstate.so in the
#                        source tree, else the first tcpstate.so under build*/)
#   TCPSTATE_WS_VERSION  Wireshark X.Y whose plugin folder to use
#                        (default: from `tshark --version`)
#   TSHARK               tshark binary (default: tshark from PATH)
#   TCPSTATE_RUN_AS      user to run as when root (default: nobody)
#   TCPSTATE_TSHARK_ENV  extra VAR=value words (separated by blanks, no quoting)
#                        put into tshark's environment only, e.g. for the
#                        sanitizer build (tests/sanitize.sh):
#                        "LD_PRELOAD=/usr/lib/.../libasan.so.8 ASAN_OPTIONS=detect_leaks=0"
#   TCPSTATE_TSHARK_WRAPPER  command words put before tshark (split at blanks,
#                        no quoting), e.g. "valgrind --error-exitcode=99"
#                        (tests/valgrind.sh); it runs as the same user
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
TSHARK=${TSHARK:-tshark}
RUN_AS=${TCPSTATE_RUN_AS:-nobody}

die() { echo "run-tshark: $*" >&2; exit 2; }

command -v "$TSHARK" >/dev/null 2>&1 || die "tshark not found (set TSHARK)"

plugin=${TCPSTATE_PLUGIN:-}
if [ -z "$plugin" ]; then
    if [ -f "$top/build/tcpstate.so" ]; then
        plugin=$top/build/tcpstate.so
    else
        plugin=$(find "$top" -maxdepth 3 -path "$top/build*" -name tcpstate.so -print -quit 2>/dev/null || true)
    fi
fi
[ -n "$plugin" ] && [ -f "$plugin" ] || die "plugin not found: build it first or set TCPSTATE_PLUGIN"

wsver=${TCPSTATE_WS_VERSION:-}
if [ -z "$wsver" ]; then
    wsver=$("$TSHARK" --version 2>/dev/null | sed -n -E '1s/^[^0-9]*([0-9]+)\.([0-9]+).*/\1.\2/p')
fi
[[ "$wsver" =~ ^[0-9]+\.[0-9]+$ ]] || die "cannot tell the Wireshark version (set TCPSTATE_WS_VERSION)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpstate-tshark.XXXXXX")
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$tmp"

plugdir=$tmp/.local/lib/wireshark/plugins/$wsver/epan
mkdir -p "$plugdir" "$tmp/.config" "$tmp/captures"
cp "$plugin" "$plugdir/tcpstate.so"
chmod 644 "$plugdir/tcpstate.so"

# Copies one capture into the private folder as <n>-<name> (n counts the
# captures, so two with the same name do not overwrite each other); sets
# $staged to its new path.  Called directly, not in $(...): a subshell
# would lose the count.
ncap=0
staged=
stage_capture() {
    local src=$1
    [ -f "$src" ] || die "capture not found: $src"
    ncap=$((ncap + 1))
    staged=$tmp/captures/$ncap-$(basename -- "$src")
    cp -- "$src" "$staged"
    chmod 644 "$staged"
}

args=()
while [ $# -gt 0 ]; do
    case $1 in
        -r|--read-file)
            [ $# -ge 2 ] || die "$1 needs a file"
            if [ "$2" = - ]; then
                args+=("$1" -)
            else
                stage_capture "$2"
                args+=("$1" "$staged")
            fi
            shift 2 ;;
        --read-file=*)
            stage_capture "${1#--read-file=}"
            args+=("--read-file=$staged"); shift ;;
        -r?*)
            stage_capture "${1#-r}"
            args+=("-r" "$staged"); shift ;;
        *)
            args+=("$1"); shift ;;
    esac
done

env_args=(HOME="$tmp" XDG_CONFIG_HOME="$tmp/.config" LC_ALL=C.UTF-8)
if [ -n "${TCPSTATE_TSHARK_ENV:-}" ]; then
    read -r -a extra_env <<<"$TCPSTATE_TSHARK_ENV"
    for kv in "${extra_env[@]}"; do
        [[ "$kv" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "TCPSTATE_TSHARK_ENV: not VAR=value: $kv"
        env_args+=("$kv")
    done
fi
wrapper=()
[ -n "${TCPSTATE_TSHARK_WRAPPER:-}" ] && read -r -a wrapper <<<"$TCPSTATE_TSHARK_WRAPPER"
rc=0
if [ "$(id -u)" = 0 ]; then
    group=$(id -gn "$RUN_AS" 2>/dev/null) || die "user $RUN_AS does not exist"
    chown -R "$RUN_AS:$group" "$tmp"
    if command -v setpriv >/dev/null 2>&1; then
        (cd "$tmp" && setpriv --reuid="$RUN_AS" --regid="$group" --init-groups \
            env -u WIRESHARK_CONFIG_DIR -u WIRESHARK_PLUGIN_DIR "${env_args[@]}" \
            ${wrapper[@]+"${wrapper[@]}"} "$TSHARK" "${args[@]}") || rc=$?
    else
        (cd "$tmp" && runuser -u "$RUN_AS" -- \
            env -u WIRESHARK_CONFIG_DIR -u WIRESHARK_PLUGIN_DIR "${env_args[@]}" \
            ${wrapper[@]+"${wrapper[@]}"} "$TSHARK" "${args[@]}") || rc=$?
    fi
else
    env -u WIRESHARK_CONFIG_DIR -u WIRESHARK_PLUGIN_DIR "${env_args[@]}" \
        ${wrapper[@]+"${wrapper[@]}"} "$TSHARK" "${args[@]}" || rc=$?
fi
exit "$rc"
