#!/usr/bin/env bash
# mmdebstrap essential hook (the essential packages are in; the rest is not yet):
# what must be in place before the kernel and the edgesip package are installed.
set -euo pipefail
root=${1:?}
here=$(cd "$(dirname "$0")/.." && pwd)
# The initramfs settings, so that the kernel's own installation builds the small
# initramfs once instead of the slow default.
mkdir -p "$root/etc/initramfs-tools" "$root/usr/share/initramfs-tools"
cp -R "$here/overlays/etc/initramfs-tools/." "$root/etc/initramfs-tools/"
cp -R "$here/overlays/usr/share/initramfs-tools/." "$root/usr/share/initramfs-tools/"
