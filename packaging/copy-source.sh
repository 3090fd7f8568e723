#!/usr/bin/env bash
# copy-source.sh DEST: copy the source tree (what git tracks, and new files it
# does not ignore) to DEST, for the package builds.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "$1"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$1"
