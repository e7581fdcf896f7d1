#!/usr/bin/env bash
# Prints the path of a cached base chroot tarball for Debian 12 on <arch>, building it
# with mmdebstrap when the cache lacks it. The tarball holds a minimal system (apt
# variant) with its package lists and, downloaded but NOT installed, nodejs and what
# it needs: the install test then lets `apt-get install ./edgesip_*.deb` pull Debian's
# nodejs as a real user's machine would, without fetching it again on every run.
#
#   test/deb/base-chroot.sh <arm64|amd64>
#
# The cache (EDGESIP_CACHE, default /var/cache/edgesip-test) is keyed by everything
# that shapes the tarball, so a change here builds a new one; an empty cache works.
set -euo pipefail
arch=${1:?usage: test/deb/base-chroot.sh <arm64|amd64>}
cache=${EDGESIP_CACHE:-/var/cache/edgesip-test}
suite=bookworm
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
include=ca-certificates
# What the package will pull (its Depends and theirs), fetched into the apt cache.
download="nodejs adduser libc6 libgcc-s1 libstdc++6"

key=$(printf '%s\n' 3 "$arch" "$suite" "$mirror" "$security" "$include" "$download" | sha256sum | cut -c1-16)
tarball=$cache/debian-$suite-$arch-$key.tar
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi
mkdir -p "$cache"
tmp=$tarball.tmp.$$
trap 'rm -f "$tmp"' EXIT
start=$(date +%s)
# Recommends off: a server install; the apt lists and the downloaded .debs stay in.
mmdebstrap --mode=root --format=tar --variant=apt --architectures="$arch" --include="$include" \
  --aptopt='APT::Install-Recommends "false"' \
  --skip=cleanup/apt/lists --skip=cleanup/apt/cache \
  --customize-hook="chroot \"\$1\" apt-get install --download-only -y -q $download" \
  "$suite" "$tmp" \
  "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main" >&2
mv "$tmp" "$tarball"
echo "base chroot $arch built in $(( $(date +%s) - start )) s: $tarball" >&2
echo "$tarball"
