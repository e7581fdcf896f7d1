#!/usr/bin/env bash
# The disk for generic UEFI arm64 boards and qemu virt, assembled without loop
# devices: every file system is made in a file (mkfs.ext4 -d, mkfs.vfat + mtools) and
# written into a GPT laid out by sfdisk.
#
#   image/disk-uefi.sh <rootfs dir> <output .img>
#
#   1 ESP        64 MiB  FAT, label EDGESIPBOOT: BOOTAA64.EFI (GRUB), grub.cfg, grubenv
#   2 rootfs-a 1536 MiB  ext4, the system (kernel and initrd inside), read-only
#   3 rootfs-b 1536 MiB  empty until the first update writes it (B_OK=0)
#   4 data      256 MiB  ext4, label edgesip-data, grown to the disk's end at first boot
set -euo pipefail
cd "$(dirname "$0")/.."
. image/disk-common.sh
rootfs=${1:?usage: image/disk-uefi.sh <rootfs dir> <img>}
img=${2:?usage: image/disk-uefi.sh <rootfs dir> <img>}
work=$(dirname "$img")/uefi-parts
rm -rf "$work" && mkdir -p "$work"

# GRUB from Debian's arm64 package, made into one EFI binary on this (x86) host.
grub_dir=$work/grub-efi-arm64-bin
extract_deb grub-efi-arm64-bin "$grub_dir"
cat >"$work/early.cfg" <<'CFG'
search --no-floppy --label --set=root EDGESIPBOOT
set prefix=($root)/EFI/BOOT
configfile $prefix/grub.cfg
CFG
grub-mkimage -O arm64-efi -d "$grub_dir/usr/lib/grub/arm64-efi" -c "$work/early.cfg" -p /EFI/BOOT \
  -o "$work/BOOTAA64.EFI" \
  part_gpt part_msdos fat ext2 normal configfile linux search search_label loadenv test echo \
  regexp gzio sleep reboot halt true boot efi_gop

grub-editenv "$work/grubenv" create
grub-editenv "$work/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0

esp=$work/esp.vfat
make_vfat "$esp" 64 EDGESIPBOOT
mmd -i "$esp" ::/EFI ::/EFI/BOOT
mcopy -i "$esp" "$work/BOOTAA64.EFI" "$work/grubenv" ::/EFI/BOOT/
mcopy -i "$esp" image/grub/grub.cfg ::/EFI/BOOT/grub.cfg
mcopy -i "$esp" overlays/boot/edgesip.conf.example ::/edgesip.conf.example

make_ext4 "$work/rootfs-a.ext4" 1536 rootfs-a "$rootfs"
make_ext4 "$work/data.ext4" 256 edgesip-data ""

# Sizes in MiB; 1 MiB alignment; the last MiB holds the backup GPT.
total=$(( 1 + 64 + 1536 + 1536 + 256 + 1 ))
rm -f "$img"
truncate -s "${total}M" "$img"
sfdisk -q "$img" <<TABLE
label: gpt
label-id: $(stable_uuid disk-uefi)
first-lba: 2048
start=1MiB, size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp, uuid=$(stable_uuid esp)
size=1536MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=rootfs-a, uuid=$(stable_uuid rootfs-a)
size=1536MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=rootfs-b, uuid=$(stable_uuid rootfs-b)
size=256MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=data, uuid=$(stable_uuid data)
TABLE
put_partition "$img" 1 "$esp"
put_partition "$img" 2 "$work/rootfs-a.ext4"
put_partition "$img" 4 "$work/data.ext4"
rm -rf "$work"
