#!/usr/bin/env bash
# make image [BOARD=uefi|rpi|all] — the arm64 appliance images (Debian 12), as root
# on the x86 build machine:
#   build/edgesip-<version>-<board>-arm64.img.zst   the disk image (zstd)
#   build/edgesip-<version>-<board>-arm64.img.bmap  block map for bmaptool
#   build/edgesip-<version>-<board>-arm64.manifest  dpkg -l of the root filesystem
#   build/SHA256SUMS                                 sums of the files above
# One root filesystem serves both boards; only the boot partition and the partition
# table differ (image/disk-uefi.sh, image/disk-rpi.sh). Downloads are cached outside
# the repo (EDGESIP_CACHE, default /var/cache/edgesip-test); an empty cache works.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=EDGESIP_CACHE,BOARD bash "$0" "$@"
fi
umask 022
board=${BOARD:-all}
case "$board" in
  all) boards="uefi rpi" ;;
  uefi|rpi) boards=$board ;;
  *) echo "make image: BOARD must be uefi, rpi or all, not '$board'" >&2; exit 2 ;;
esac

start=$(date +%s)
bash image/host-tools.sh
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || dpkg-parsechangelog -l debian/changelog -S Timestamp)
export SOURCE_DATE_EPOCH version

echo "== image: the edgesip package (arm64)"
bash debian/build.sh arm64 >build/image-deb.log 2>&1 || { tail -30 build/image-deb.log; exit 1; }

echo "== image: root filesystem (mmdebstrap, arm64 under qemu-user)"
bash image/rootfs.sh "build/edgesip_${version}_arm64.deb" build/image-work/rootfs

for b in $boards; do
  echo "== image: $b disk"
  bash "image/disk-$b.sh" build/image-work/rootfs "build/image-work/edgesip-$version-$b-arm64.img"
  bash image/publish.sh build/image-work/rootfs "build/image-work/edgesip-$version-$b-arm64.img" build
done
echo "== image: done in $(( $(date +%s) - start )) s"
ls -l build/edgesip-"$version"-*-arm64.* build/SHA256SUMS
