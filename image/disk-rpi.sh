#!/usr/bin/env bash
# The disk for Raspberry Pi 3 and 4, assembled without loop devices. MBR (the Pi 3's
# boot ROM reads only MBR), firmware FAT first:
#
#   (gap)      4 MiB  U-Boot's A/B state in raw sectors at 1 MiB (image/rpi/boot.cmd)
#   1 boot   128 MiB  FAT, label EDGESIPBOOT: firmware blobs from Debian's
#                     raspi-firmware, device trees, Debian's U-Boot, boot.scr
#   2 rootfs-a 1536 MiB  ext4, the system (kernel and initrd inside), read-only
#   3 rootfs-b 1536 MiB  empty until the first update writes it
#   4 data      256 MiB  ext4, label edgesip-data, grown at first boot
#
#   image/disk-rpi.sh <rootfs dir> <output .img>
set -euo pipefail
cd "$(dirname "$0")/.."
. image/disk-common.sh
rootfs=${1:?usage: image/disk-rpi.sh <rootfs dir> <img>}
img=${2:?usage: image/disk-rpi.sh <rootfs dir> <img>}
work=$(dirname "$img")/rpi-parts
rm -rf "$work" && mkdir -p "$work"

extract_deb raspi-firmware "$work/raspi-firmware"
extract_deb u-boot-rpi "$work/u-boot-rpi"
mkimage -q -A arm64 -O linux -T script -C none -n "EdgeSIP A/B" -d image/rpi/boot.cmd "$work/boot.scr"

boot=$work/boot.vfat
make_vfat "$boot" 128 EDGESIPBOOT
# The firmware's own files (bootcode.bin, start*.elf, fixup*.dat, …).
mcopy -i "$boot" "$work"/raspi-firmware/usr/lib/raspi-firmware/* ::/
# Device trees for the firmware (it hands the right one to U-Boot; Linux gets the
# one from the slot, so kernel and device tree change together).
dtbs=$(ls -d "$rootfs"/usr/lib/linux-image-*/broadcom | sort -V | tail -1)
mcopy -i "$boot" "$dtbs"/bcm2837-rpi-*.dtb "$dtbs"/bcm2711-rpi-*.dtb ::/
mcopy -i "$boot" "$work/u-boot-rpi/usr/lib/u-boot/rpi_arm64/u-boot.bin" ::/u-boot.bin
mcopy -i "$boot" "$work/boot.scr" image/rpi/config.txt ::/
mcopy -i "$boot" overlays/boot/edgesip.conf.example ::/edgesip.conf.example

make_ext4 "$work/rootfs-a.ext4" 1536 rootfs-a "$rootfs"
make_ext4 "$work/data.ext4" 256 edgesip-data ""

total=$(( 4 + 128 + 1536 + 1536 + 256 ))
rm -f "$img"
truncate -s "${total}M" "$img"
sfdisk -q "$img" <<TABLE
label: dos
label-id: 0x$(stable_uuid disk-rpi | cut -c1-8)
start=4MiB, size=128MiB, type=c, bootable
size=1536MiB, type=83
size=1536MiB, type=83
size=256MiB, type=83
TABLE
put_partition "$img" 1 "$boot"
put_partition "$img" 2 "$work/rootfs-a.ext4"
put_partition "$img" 4 "$work/data.ext4"
rm -rf "$work"
