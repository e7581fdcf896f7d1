#!/usr/bin/env bash
# make deb ARCH=arm64|amd64 — builds build/edgesip_<version>_<arch>.deb on the x86
# build machine: the esbuild bundles plus a node_modules holding only the N-API
# addons for the target architecture (prebuilt binaries from the npm tarballs,
# checked with `file`), packaged by dpkg-buildpackage with plain dh.
#
#   debian/build.sh <arm64|amd64> [version]
#
# Reproducible: SOURCE_DATE_EPOCH is the last commit's time, every file in the
# source tree gets that mtime, and two builds of one commit are byte-identical.
# `version` (default: debian/changelog's) lets the install test build an older one.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022

arch=${1:?usage: debian/build.sh <arm64|amd64> [version]}
version=${2:-}
case "$arch" in
  arm64) elf='ARM aarch64' ;;
  amd64) elf='x86-64' ;;
  *) echo "debian/build.sh: architecture must be arm64 or amd64, not $arch" >&2; exit 2 ;;
esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v dpkg-buildpackage >/dev/null || missing+=(dpkg-dev)
command -v dh >/dev/null || missing+=(debhelper)
command -v file >/dev/null || missing+=(file)
command -v git >/dev/null || missing+=(git)
# dh_strip strips the arm64 addons with the target's strip.
[ "$arch" != arm64 ] || command -v aarch64-linux-gnu-strip >/dev/null || missing+=(binutils-aarch64-linux-gnu)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deb: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash test/setup.sh

SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
node appliance/build.mjs

work=build/deb/$arch
src=$work/edgesip
rm -rf "$work"
mkdir -p "$src/debian/stage" "$src/docs"
cp -R debian/. "$src/debian/"
rm -f "$src/debian/build.sh" "$src/debian/stage-addons.mjs"
cp README.md "$src/"
cp docs/*.md "$src/docs/"
# The bash completion script (debian/rules installs it under bash-completion's directory).
mkdir -p "$src/appliance/cli"
cp appliance/cli/completion.bash "$src/appliance/cli/"

# The bundles, without their shebang (wrappers in /usr/bin and /usr/sbin run them
# with Debian's node; edgesip-image-setup has none: the image's boot units run
# /usr/bin/node /usr/lib/edgesip/edgesip-image-setup.js), and their source maps for
# readable stack traces.
stage=$src/debian/stage
for bin in edgesipd edgesip edgesip-fxs edgesip-image-setup; do
  tail -n +2 "dist/$bin.js" > "$stage/$bin.js"
  cp "dist/$bin.js.map" "$stage/"
done
node debian/stage-addons.mjs "$arch" "$stage/node_modules"

# Every native file must be for the target: a wrong prebuild (an x86 file in a
# linux-arm64 folder has happened upstream) would only fail on the device.
found=0
while IFS= read -r -d '' so; do
  found=$((found + 1))
  desc=$(file -b "$so")
  if [[ "$desc" != *"$elf"* ]]; then
    echo "deb: $so is not $elf: $desc" >&2
    exit 1
  fi
  echo "deb: ${so#"$stage"/}: $elf"
done < <(find "$stage" -name '*.node' -print0)
[ "$found" -ge 2 ] || { echo "deb: expected the node-pty and serialport addons, found $found .node files" >&2; exit 1; }

if [ -n "$version" ]; then
  sed -i "1s/(.*)/($version)/" "$src/debian/changelog"
fi
find "$src" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

(cd "$src" && dpkg-buildpackage -a"$arch" -b -us -uc -d >../build.log 2>&1) || {
  tail -40 "$work/build.log" >&2
  exit 1
}
deb=$(ls "$work"/edgesip_*_"$arch".deb)
mkdir -p build
cp "$deb" build/
echo "deb: build/$(basename "$deb") ($(stat -c %s "$deb") bytes, sha256 $(sha256sum "$deb" | cut -c1-16)…)"
