#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Zip the "tcpstate" Wireshark configuration profile (tests/gui/profile/
# tcpstate/) for Edit > Configuration Profiles > Import > from zip file.
#
#   tests/gui/make-profile-zip.sh [OUTPUT.zip]
#
# Default output: build/tcpstate-profile.zip in the source tree (build/ is
# ignored by git: the zip is a build artefact).  The zip holds one folder,
# tcpstate/, with the profile's files, which is the layout Wireshark's
# import expects, and its colorfilters made by profile-colorfilters.sh
# (tcpstate's rules merged with this Wireshark's defaults).  Uses `zip` if
# installed, else python3's zipfile.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/tcpstate-profile.zip}

[ -d "$here/profile/tcpstate" ] || { echo "make-profile-zip: $here/profile/tcpstate missing" >&2; exit 2; }
mkdir -p "$(dirname -- "$out")"
out=$(cd "$(dirname -- "$out")" && pwd)/$(basename -- "$out")
rm -f -- "$out"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$here/profile/tcpstate" "$stage/"
bash "$here/profile-colorfilters.sh" > "$stage/tcpstate/colorfilters"

if command -v zip >/dev/null 2>&1; then
    (cd "$stage" && zip -q -r -X "$out" tcpstate)
else
    python3 - "$stage" "$out" <<'EOF'
import os, sys, zipfile
base, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(os.path.join(base, "tcpstate")):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            z.write(p, os.path.relpath(p, base))
EOF
fi
echo "$out"
