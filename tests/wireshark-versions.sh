#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and test the tcpstate plugin against the Wireshark versions of other
# Debian suites (default: trixie = 4.4, sid = 4.6), each inside a cached
# debootstrap chroot.  Run as root, no stdin needed.
#
# Environment:
#   TCPSTATE_SUITES          suites to test            (default "trixie sid")
#   TCPSTATE_CHROOT_CACHE    where chroots are kept    (default /var/cache/tcpstate-chroots)
#   TCPSTATE_MIRROR          Debian mirror URL         (default: the host's apt mirror)
#   TCPSTATE_EXTRA_PACKAGES  more packages to install in each chroot
#   TCPSTATE_PREPARE_ONLY=1  only create/update the chroots, do not build
#   TCPSTATE_KEEP_BUILD=1    keep the copied tree + build dir inside the chroot
#   TCPSTATE_GUI=1           instead of ctest, run the GUI script
#                            (tests/gui/run-gui-check.sh) inside each chroot,
#                            with Wireshark's Qt GUI under Xvfb; screenshots
#                            go to $CACHE/<suite>-gui/ (not part of CI: it
#                            adds the Qt GUI and fonts to the chroots)
#
# Cache layout, per suite:  $CACHE/<suite>/            the chroot
#                           $CACHE/<suite>/.tcpstate-bootstrapped   debootstrap done
#                           $CACHE/<suite>/.tcpstate-packages       package list installed
#                           $CACHE/<suite>.log                      last run's build log
# A marker is written only after its step completed, so an interrupted run is
# redone next time; apt-get runs again only when the package list changed.
set -euo pipefail

SUITES=${TCPSTATE_SUITES:-trixie sid}
CACHE=${TCPSTATE_CHROOT_CACHE:-/var/cache/tcpstate-chroots}
PACKAGES="cmake make gcc libc6-dev pkgconf wireshark-dev libwireshark-dev tshark python3 util-linux procps ca-certificates ${TCPSTATE_EXTRA_PACKAGES:-}"
GUI=${TCPSTATE_GUI:-0}
# What tests/gui/run-gui-check.sh needs; passwd for useradd, xauth for Xvfb.
[ "$GUI" = 1 ] && PACKAGES="$PACKAGES wireshark xvfb xauth imagemagick x11-utils xdotool passwd fonts-dejavu-core fonts-noto-cjk"
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "wireshark-versions: $*" >&2; exit 2; }
log() { echo "wireshark-versions: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
for tool in debootstrap chroot mount umount flock git tar; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (apt-get install debootstrap)"
done

SRC=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || die "not inside a git work tree"

# The Debian mirror the host uses (deb822 .sources or one-line .list), first
# URI ending in /debian, so chroots are fetched the same way as host packages.
host_mirror() {
    local f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        uri=$(sed -n -E \
            -e 's/^[[:space:]]*URIs:[[:space:]]*([^[:space:]]+\/debian)\/?([[:space:]].*)?$/\1/p' \
            -e 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+\/debian)\/?[[:space:]].*$/\2/p' \
            "$f" | head -n1)
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    echo http://deb.debian.org/debian
}
MIRROR=${TCPSTATE_MIRROR:-$(host_mirror)}

# ---- mounts, always undone on exit -------------------------------------
MOUNTS=()
CLEAN_DIRS=()
CURRENT_ROOT=        # chroot in use; its mounts are swept on exit
cleanup() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
    done
    MOUNTS=()
    [ -z "$CURRENT_ROOT" ] || unmount_all_under "$CURRENT_ROOT"
    for i in "${CLEAN_DIRS[@]}"; do rm -rf -- "$i"; done
    CLEAN_DIRS=()
}
# Long steps run in the background and are waited for, so that a signal is
# handled at once: stop our own child processes (by pid, deepest first),
# then exit, which unmounts through the EXIT trap.
kill_tree() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
    kill -TERM "$1" 2>/dev/null || true
}
on_signal() {
    local kids c
    trap '' INT TERM HUP
    kids=$(pgrep -P $$ 2>/dev/null || true)
    for c in $kids; do kill_tree "$c"; done
    wait 2>/dev/null || true
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP
run_bg() { "$@" & wait $!; }

is_mounted() { grep -qF " $1 " /proc/mounts; }

mount_into() {       # mount_into CHROOT
    local root=$1
    mkdir -p "$root/proc" "$root/dev"
    if ! is_mounted "$root/proc"; then
        mount -t proc proc "$root/proc"; MOUNTS+=("$root/proc")
    fi
    if ! is_mounted "$root/dev"; then
        mount --bind /dev "$root/dev"; MOUNTS+=("$root/dev")
        if [ -d "$root/dev/pts" ] && ! is_mounted "$root/dev/pts"; then
            mount --bind /dev/pts "$root/dev/pts" && MOUNTS+=("$root/dev/pts") || true
        fi
    fi
}

unmount_all_under() {  # for stale mounts left by a killed run
    local d=$1 m
    for m in $(awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
}

in_chroot() {        # in_chroot CHROOT SCRIPT
    chroot "$1" env -i PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive bash -c "$2"
}

ws_version() {       # "TShark (Wireshark) 4.4.19." -> "Wireshark 4.4.19"
    local v
    v=$(in_chroot "$1" 'tshark --version 2>/dev/null | head -n1' </dev/null || true)
    v=$(printf '%s\n' "$v" | sed -n -E 's/.*\(Wireshark\) ([0-9][^ ]*[0-9]).*/\1/p')
    echo "Wireshark ${v:-unknown}"
}

# ---- chroot creation (cached) -------------------------------------------
prepare_chroot() {   # prepare_chroot SUITE
    local suite=$1 root="$CACHE/$1"
    local want have
    unmount_all_under "$root"   # left over by a killed run (we hold the lock)
    want=$(echo "$PACKAGES" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')

    if [ ! -f "$root/.tcpstate-bootstrapped" ]; then
        log "$suite: debootstrap from $MIRROR (a few minutes)"
        unmount_all_under "$root"
        rm -rf -- "$root"
        mkdir -p "$root"
        debootstrap --variant=minbase "$suite" "$root" "$MIRROR" >"$CACHE/$suite.debootstrap.log" 2>&1 ||
            { tail -n 30 "$CACHE/$suite.debootstrap.log" >&2; die "$suite: debootstrap failed"; }
        # Never start daemons from package scripts inside the chroot.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        touch "$root/.tcpstate-bootstrapped"
    fi

    have=$(cat "$root/.tcpstate-packages" 2>/dev/null || true)
    if [ "$have" != "$want" ]; then
        log "$suite: installing packages: $want"
        cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
        # sources.list is rewritten every time so a changed mirror takes effect.
        echo "deb $MIRROR $suite main" >"$root/etc/apt/sources.list"
        mount_into "$root"
        rm -f "$root/.tcpstate-packages"
        # Check-Valid-Until=false: a pinned/snapshot mirror's sid index is past
        # its Valid-Until date; harmless for suites without one.
        in_chroot "$root" "
            set -e
            apt-get -o Acquire::Check-Valid-Until=false -q update
            apt-get -o Acquire::Check-Valid-Until=false -q -y --no-install-recommends install $want
            apt-get clean
        " >"$CACHE/$suite.apt.log" 2>&1 ||
            { tail -n 40 "$CACHE/$suite.apt.log" >&2; die "$suite: package installation failed"; }
        echo "$want" >"$root/.tcpstate-packages"
    fi
}

# ---- copy the current tree and build/test it ------------------------------
run_suite() {        # run_suite SUITE -> sets RESULT and WSVER
    local suite=$1 root="$CACHE/$1" rel=/tcpstate-build/src
    WSVER=$(ws_version "$root")

    rm -rf -- "$root/tcpstate-build"
    mkdir -p "$root$rel"
    [ "${TCPSTATE_KEEP_BUILD:-0}" = 1 ] || CLEAN_DIRS+=("$root/tcpstate-build")
    # Tracked + untracked-but-not-ignored files of the working tree as they are
    # now (uncommitted edits included, deleted files skipped, and never a
    # top-level build/ whose CMakeCache would point back at the host tree).
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            case $f in build/*) continue ;; esac
            [ -e "$f" ] && printf '%s\0' "$f"
        done |
        tar --null -T - -cf -) | tar -xf - -C "$root$rel"

    mount_into "$root"
    log "$suite: building ($WSVER); log in $CACHE/$suite.log"
    if [ "$GUI" = 1 ]; then
        if run_bg gui_in_chroot "$suite"; then RESULT=PASS; else RESULT=FAIL; fi
        rm -rf -- "$CACHE/$suite-gui"
        cp -r "$root/tcpstate-build/gui" "$CACHE/$suite-gui" 2>/dev/null || true
    elif run_bg build_in_chroot "$suite"; then RESULT=PASS; else RESULT=FAIL; fi
    cleanup
}

gui_in_chroot() {    # the GUI script, as on a host; its user is created in the chroot
    local suite=$1 root="$CACHE/$1" rel=/tcpstate-build/src
    in_chroot "$root" "
        set -e
        cd $rel
        cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build build -j2 --target tcpstate >/dev/null
        chmod 755 /tcpstate-build /tcpstate-build/src
        TCPSTATE_GUI_ONLY='${TCPSTATE_GUI_ONLY:-}' bash tests/gui/run-gui-check.sh /tcpstate-build/gui
    " </dev/null 2>&1 | tee "$CACHE/$suite.log"
}

build_in_chroot() {  # runs in the background (see run_bg); pipefail keeps ctest's status
    local suite=$1 root="$CACHE/$1" rel=/tcpstate-build/src
    in_chroot "$root" "
        set -e
        cd $rel
        echo '== ws_version.h:'; grep -E 'define WIRESHARK_VERSION_(MAJOR|MINOR|MICRO)' /usr/include/wireshark/ws_version.h || true
        echo '== cmake configure'
        cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS='-Wall -Wextra -Werror'
        echo '== cmake build'
        cmake --build build -j2
        echo '== ctest'
        ctest --test-dir build --output-on-failure
    " </dev/null 2>&1 | tee "$CACHE/$suite.log"
}

mkdir -p "$CACHE"

# Phase 1: create/update all chroots in parallel (a cold start is mostly
# download and unpack time).  Each job holds its suite's lock and has its own
# EXIT trap, so a failure (die) or a signal undoes only its own mounts.
prepare_locked() {
    local suite=$1
    exec 8>"$CACHE/$suite.lock"
    flock 8
    CURRENT_ROOT="$CACHE/$suite"
    trap cleanup EXIT
    prepare_chroot "$suite"
}
declare -A PREP_RC
pids=()
for suite in $SUITES; do
    prepare_locked "$suite" &
    pids+=($!)
done
i=0
for suite in $SUITES; do
    rc=0
    wait "${pids[i]}" || rc=$?
    PREP_RC[$suite]=$rc
    i=$((i + 1))
done

# Phase 2: build and test, one suite at a time (2 cores).
SUMMARY=()
failed=0
for suite in $SUITES; do
    if [ "${PREP_RC[$suite]}" != 0 ]; then
        SUMMARY+=("$(printf '%-8s %-18s %s' "$suite" "-" "FAIL (chroot setup, see $CACHE/$suite.*.log)")")
        failed=1
        continue
    fi
    exec 9>"$CACHE/$suite.lock"
    flock 9
    CURRENT_ROOT="$CACHE/$suite"
    if [ "${TCPSTATE_PREPARE_ONLY:-0}" = 1 ]; then
        SUMMARY+=("$(printf '%-8s %-18s %s' "$suite" "$(ws_version "$CACHE/$suite")" "READY")")
    else
        RESULT=FAIL WSVER=unknown
        run_suite "$suite"
        SUMMARY+=("$(printf '%-8s %-18s %s (%s compiler diagnostics; log %s)' "$suite" "$WSVER" "$RESULT" \
            "$(grep -cE '(warning|error): ' "$CACHE/$suite.log" || true)" "$CACHE/$suite.log")")
        [ "$RESULT" = PASS ] || failed=1
    fi
    cleanup
    CURRENT_ROOT=
    exec 9>&-
done

echo "== wireshark-versions summary"
printf '%s\n' "${SUMMARY[@]}"
exit "$failed"
