#!/usr/bin/env bash
# The appliance's root filesystem as a directory: Debian 12 arm64 by mmdebstrap
# (programs run under qemu-user), with the edgesip package and overlays/ inside.
#
#   image/rootfs.sh <edgesip_*_arm64.deb> <output dir>
#
# Downloaded packages are kept in $EDGESIP_CACHE/image-apt-arm64 (outside the repo),
# so a warm build fetches nothing. The initramfs is made with MODULES=list (see
# overlays/etc/initramfs-tools/conf.d/edgesip.conf): the default would take ~6 min
# per run under emulation, and dpkg runs it more than once. dpkg skips its fsyncs while
# building (force-unsafe-io; the files end up in a fresh mkfs image anyway); the option
# is taken out of the image's dpkg configuration at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "${1:?usage: image/rootfs.sh <deb> <dir>}")
out=${2:?usage: image/rootfs.sh <deb> <dir>}
cache=${EDGESIP_CACHE:-/var/cache/edgesip-test}/image-apt-arm64
suite=bookworm
mirror=http://deb.debian.org/debian
security=http://deb.debian.org/debian-security
components="main non-free-firmware"
mkdir -p "$cache" "$(dirname "$out")"
rm -rf "$out"

# What an SSH-managed appliance needs, nothing more (Recommends off). nodejs and the
# libraries come through the edgesip package's Depends.
packages=(
  systemd-sysv udev kmod dbus libpam-systemd
  linux-image-arm64 initramfs-tools busybox zstd
  openssh-server sudo bash-completion less procps
  systemd-resolved libnss-myhostname libnss-resolve systemd-timesyncd iproute2 iputils-ping ca-certificates
  e2fsprogs fdisk dosfstools
  # boot-slot bookkeeping: grub-editenv (UEFI) and fw_setenv (Raspberry Pi U-Boot)
  grub-common libubootenv-tool
)
include=$(printf '%s\n' "${packages[@]}" | grep -v '^#' | paste -sd, -)

started=$(date +%s)
EDGESIP_DEB=$deb mmdebstrap --mode=root --variant=minbase --architectures=arm64 --format=directory \
  --components="${components// /,}" --include="$include" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='force-unsafe-io' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-include=/usr/share/doc/edgesip' --dpkgopt='path-include=/usr/share/doc/edgesip/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-include=/usr/share/man/man1' --dpkgopt='path-include=/usr/share/man/man1/edgesip*' \
  --dpkgopt='path-include=/usr/share/man/man8' --dpkgopt='path-include=/usr/share/man/man8/edgesipd*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --skip=essential/unlink \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
  --setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
  --essential-hook="bash '$PWD/image/essential.sh' \"\$1\"" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache'" \
  --customize-hook="bash '$PWD/image/customize.sh' \"\$1\"" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache'" \
  --customize-hook="copy-out /tmp/bootloader-debs '$(dirname "$out")'" \
  --customize-hook="copy-out /var/log/dpkg.log '$(dirname "$out")'" \
  --customize-hook='rm -f "$1/tmp/bootloader-debs" "$1"/tmp/edgesip_*.deb' \
  --customize-hook='sed -i "/^force-unsafe-io\$/d" "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"' \
  "$suite" "$out" \
  "deb $mirror $suite $components" "deb $mirror $suite-updates $components" "deb $security $suite-security $components" \
  2>&1 | while IFS= read -r line; do printf '%(%T)T %s\n' -1 "$line"; done
# ^ every line with the time of day, to see which step a slow build spends its time on
echo "image: root filesystem in $(( $(date +%s) - started )) s, $(du -sh "$out" | cut -f1)"
