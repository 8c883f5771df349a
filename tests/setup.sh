#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Set-up for a fresh Debian machine, in one command.
#   bash tests/setup.sh demo   install what is missing, build, install the plugin and
#                              label every packet of a bundled capture
#   bash tests/setup.sh test   install what is missing, build, run the whole test suite
# Runs apt-get through sudo when not root (without sudo: says what to run as
# root).  Builds into build/ beside this folder.
set -euo pipefail

usage() {
    echo "usage: bash tests/setup.sh demo|test" >&2
    echo "  demo   install what is missing (incl. the Wireshark GUI and a CJK font), build," >&2
    echo "         install the plugin, label a bundled capture" >&2
    echo "  test   install what is missing, build, run the whole test suite" >&2
    echo "  TCPSTATE_SETUP_DRY_RUN=1: only say what would be installed and run" >&2
}

# The argument is checked before anything is installed or built.
mode=${1:-demo}
case "$mode" in
demo|test) ;;
-h|--help|help) usage; exit 0 ;;
*) echo "setup.sh: unknown mode \"$mode\"" >&2; usage; exit 2 ;;
esac
[ $# -le 1 ] || { echo "setup.sh: one mode only, got: $*" >&2; usage; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
dry=${TCPSTATE_SETUP_DRY_RUN:-0}

packages="cmake make gcc libc6-dev pkgconf libglib2.0-dev wireshark-dev libwireshark-dev tshark python3 util-linux"
# demo: the GUI the README's screenshots show, and a font with Chinese
# glyphs for tcpstate.language:zh (without one the GUI shows boxes).
[ "$mode" = demo ] && packages="$packages wireshark fonts-noto-cjk"

sudo=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        sudo=missing
    fi
fi

missing_packages() {
    local missing=
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    echo "$missing"
}

install_missing() {
    local missing
    missing=$(missing_packages)
    if [ -z "$missing" ]; then
        echo "setup.sh: all needed Debian packages are installed ($packages)"
        return 0
    fi
    echo "setup.sh: will install these Debian packages:$missing"
    if [ "$sudo" = missing ]; then
        echo "setup.sh: you are not root and sudo is not installed: run as root" >&2
        echo "    apt-get install -y --no-install-recommends$missing" >&2
        echo "then run this script again." >&2
        exit 1
    fi
    if [ "$dry" = 1 ]; then
        echo "setup.sh: (dry run) would run: ${sudo:+$sudo }apt-get update && ${sudo:+$sudo }apt-get install -y --no-install-recommends$missing"
        return 0
    fi
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
    echo
    echo "== The GUI: wireshark $cap  (Statistics > TCP Connection States)"
}

install_missing
if [ "$dry" = 1 ]; then
    echo "setup.sh: (dry run) would build into $top/build and then run: $mode"
    exit 0
fi
build
case "$mode" in
demo) demo ;;
test)
    # an installed copy would be loaded instead of the build under test
    . "$top/tests/installed-plugin.sh"
    move_installed_plugin_aside "$sudo"
    ctest --test-dir "$top/build" --output-on-failure -j"$(nproc)" ;;
esac
