# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sourced by the scripts that test a build of the plugin (setup.sh test,
# sanitize.sh, .ci/run).  A copy installed in Wireshark's global plugin
# folder (`setup.sh demo` as root does that) is loaded instead of the build
# under test and spoils the no-plugin baselines, so it is moved aside while
# the caller runs and put back when the caller exits.
#
#   move_installed_plugin_aside [command prefix, e.g. sudo]
# Sets an EXIT trap: call it before setting one of your own, or chain them.

move_installed_plugin_aside() {
    local as=${1:-}
    local global
    global=$(tshark -G folders 2>/dev/null | sed -n 's/^Global Plugins:[[:space:]]*//p')
    [ -n "$global" ] && [ -f "$global/epan/tcpstate.so" ] || return 0
    installed_plugin_aside=$(mktemp -d)
    installed_plugin_home="$global/epan"
    installed_plugin_as=$as
    echo "Moving the installed $global/epan/tcpstate.so aside while testing"
    $as mv "$global/epan/tcpstate.so" "$installed_plugin_aside/"
    trap put_installed_plugin_back EXIT
}

put_installed_plugin_back() {
    [ -n "${installed_plugin_aside:-}" ] || return 0
    $installed_plugin_as mv "$installed_plugin_aside/tcpstate.so" "$installed_plugin_home/" &&
        rmdir "$installed_plugin_aside"
    installed_plugin_aside=
}
