#!/usr/bin/env bash
# Turns an assembled disk into what build/ publishes: <name>.img.zst, <name>.bmap (for
# bmaptool, made from the sparse raw image), <name>.manifest (dpkg -l of the root
# filesystem) and the SHA-256 sums in build/SHA256SUMS.
#
#   image/publish.sh <rootfs dir> <assembled .img> <output dir>
set -euo pipefail
rootfs=${1:?} img=${2:?} out=${3:?}
name=$(basename "$img" .img)
mkdir -p "$out"
bmaptool -q create -o "$out/$name.bmap" "$img"
zstd -q -f -T0 -10 "$img" -o "$out/$name.img.zst"
COLUMNS=200 dpkg --admindir="$rootfs/var/lib/dpkg" -l >"$out/$name.manifest"
(
  cd "$out"
  touch SHA256SUMS
  grep -v " $name\." SHA256SUMS >SHA256SUMS.new || true
  sha256sum "$name.img.zst" "$name.bmap" "$name.manifest" >>SHA256SUMS.new
  sort -k2 SHA256SUMS.new >SHA256SUMS && rm SHA256SUMS.new
)
echo "image: $out/$name.img.zst ($(du -h "$out/$name.img.zst" | cut -f1); $(du -h --apparent-size "$img" | cut -f1) disk)"
