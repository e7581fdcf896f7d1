#!/usr/bin/env bash
# mmdebstrap essential hook (the essential packages are in; the rest is not yet):
# what must be in place before the kernel and the edgesip package are installed.
set -euo pipefail
root=${1:?}
here=$(cd "$(dirname "$0")/.." && pwd)
# The initramfs settings and hooks, for the one initramfs image/customize.sh makes.
mkdir -p "$root/etc/initramfs-tools" "$root/usr/share/initramfs-tools"
cp -R "$here/overlays/etc/initramfs-tools/." "$root/etc/initramfs-tools/"
cp -R "$here/overlays/usr/share/initramfs-tools/." "$root/usr/share/initramfs-tools/"

# While packages are installed, update-initramfs is a no-op: the kernel's postinst
# would make an initramfs and initramfs-tools' trigger would make it again, about two
# minutes each under emulation. customize.sh removes this diversion and makes it once.
chroot "$root" dpkg-divert --quiet --local --no-rename --divert /usr/sbin/update-initramfs.edgesip-build --add /usr/sbin/update-initramfs
printf '#!/bin/sh\n# Stand-in while the image is built (image/essential.sh); image/customize.sh makes the initramfs.\nexit 0\n' \
  >"$root/usr/sbin/update-initramfs"
chmod 0755 "$root/usr/sbin/update-initramfs"

# Placeholder host keys, so that openssh-server's postinst does not spend a minute of
# emulated RSA key generation on keys customize.sh deletes anyway (each device makes
# its own at first boot: edgesip-ssh-host-keys.service).
mkdir -p "$root/etc/ssh"
for type in rsa ecdsa ed25519; do : >"$root/etc/ssh/ssh_host_${type}_key"; done
