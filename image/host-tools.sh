#!/usr/bin/env bash
# Installs the build machine's tools for make image when missing (Debian 12 host),
# and switches on the qemu-user handler that runs arm64 programs in the rootfs.
set -euo pipefail
need=()
for tool_pkg in mmdebstrap:mmdebstrap qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support \
  mkfs.vfat:dosfstools mcopy:mtools mkfs.ext4:e2fsprogs sfdisk:fdisk grub-mkimage:grub-common \
  mkimage:u-boot-tools zstd:zstd bmaptool:bmap-tools dpkg-parsechangelog:dpkg-dev git:git; do
  tool=${tool_pkg%%:*} pkg=${tool_pkg#*:}
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "image: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "image: the qemu-aarch64 binfmt handler is not registered" >&2; exit 1; }
