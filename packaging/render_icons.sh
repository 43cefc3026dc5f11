#!/usr/bin/env bash
# Renders resources/icons/org.blendiff.Blendiff.svg to the PNG sizes the package installs
# (hicolor theme) and commits them next to it. Needs rsvg-convert (librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/../resources/icons"
for n in 16 32 48 64 128 256; do
  rsvg-convert -w "$n" -h "$n" org.blendiff.Blendiff.svg -o "org.blendiff.Blendiff-$n.png"
done
