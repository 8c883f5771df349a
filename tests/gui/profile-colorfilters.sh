#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prints the colouring rules of the "tcpstate" profile: tcpstate's own rules
# (tests/gui/profile/colorfilters.tcpstate) merged with the default rules of
# the Wireshark installed here, so the profile keeps them (a profile's
# colorfilters file replaces the defaults entirely; an earlier profile lost
# "Bad TCP" that way).  The first matching rule colours a packet, so the
# order is:
#   1. tcpstate's anomaly rules (above the "# ---- stages" line),
#   2. Wireshark's "Bad TCP" (TCP's own analysis: retransmissions, ...),
#   3. tcpstate's stage rules (below that line),
#   4. every other Wireshark default rule, in Wireshark's order.
# Wireshark's rules are read from the installed file, never copied into this
# repository.
#
#   tests/gui/profile-colorfilters.sh [WIRESHARK_COLORFILTERS] > colorfilters
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ours=$here/profile/colorfilters.tcpstate
defaults=${1:-}
if [ -z "$defaults" ]; then
    global=$(tshark -G folders 2>/dev/null | sed -n 's/^Global configuration:[[:space:]]*//p')
    defaults=${global:-/usr/share/wireshark}/colorfilters
fi
[ -f "$ours" ] || { echo "profile-colorfilters: $ours missing" >&2; exit 2; }
[ -f "$defaults" ] || { echo "profile-colorfilters: Wireshark's default rules not found at $defaults" >&2; exit 2; }

echo "# Coloring rules of the tcpstate profile, made by tests/gui/profile-colorfilters.sh"
echo "# from $(basename "$ours") and this Wireshark's $defaults."
sed -n '/^# ---- stages/q; /^@/p' "$ours"
grep '^@Bad TCP@' "$defaults" || true
sed -n '/^# ---- stages/,$p' "$ours" | grep '^@'
grep '^@' "$defaults" | grep -v '^@Bad TCP@' || true
