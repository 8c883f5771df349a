#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installs the "tcpstate" Wireshark configuration profile for the current
# user: tests/gui/profile/tcpstate/ plus its colorfilters made by
# profile-colorfilters.sh (tcpstate's colouring rules merged with the
# installed Wireshark's defaults, which a plain copy of the folder would
# not have).  Then choose it in Wireshark's status bar (bottom right).
#
#   bash tests/gui/install-profile.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${XDG_CONFIG_HOME:-$HOME/.config}/wireshark/profiles/tcpstate
mkdir -p "$dest"
cp "$here"/profile/tcpstate/* "$dest/"
bash "$here/profile-colorfilters.sh" > "$dest/colorfilters"
echo "installed the tcpstate profile in $dest"
