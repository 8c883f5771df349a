#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Set-up for a fresh Debian machine, in one command.
#   bash tests/setup.sh demo   install what is missing, build, install the plugin and
#                              label every packet of a bundled capture
#   bash tests/setup.sh test   install what is missing, build, run the whole test suite
# Runs apt-get through sudo when not root.  Builds into build/ beside this folder.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-demo}
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

packages="cmake make gcc libc6-dev pkgconf libglib2.0-dev wireshark-dev libwireshark-dev tshark python3 util-linux"

install_missing() {
    local missing=
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "Installing:$missing"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
}

build() {
    cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "$top/build" -j"$(nproc)"
}

demo() {
    # Installs into the folder this user's Wireshark reads: the personal plugin
    # folder for a normal user, the system one for root.
    cmake --install "$top/build"
    local cap="$top/captures/client_close.pcap"
    echo
    echo "== Every packet of $cap, with its stage and both endpoints' states:"
    tshark -r "$cap" -T fields -E header=y -E separator=/t \
        -e frame.number -e tcp.flags.str -e tcpstate.stage \
        -e tcpstate.client.before -e tcpstate.client.after \
        -e tcpstate.server.before -e tcpstate.server.after
    echo
    echo "== The explanation of each packet:"
    tshark -r "$cap" -T fields -e frame.number -e tcpstate.explanation
}

install_missing
build
case "$mode" in
demo) demo ;;
test)
    # An installed copy (from `demo` as root) in Wireshark's global plugin
    # folder would be loaded instead of the build under test, and would spoil
    # the no-plugin baselines: it is moved aside while the tests run.
    global=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Plugins:[[:space:]]*//p')
    aside=
    if [ -n "$global" ] && [ -f "$global/epan/tcpstate.so" ]; then
        aside=$(mktemp -d)
        echo "Moving the installed $global/epan/tcpstate.so aside while testing"
        $sudo mv "$global/epan/tcpstate.so" "$aside/"
        trap '$sudo mv "$aside/tcpstate.so" "$global/epan/" && rmdir "$aside"' EXIT
    fi
    ctest --test-dir "$top/build" --output-on-failure -j"$(nproc)" ;;
*) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
