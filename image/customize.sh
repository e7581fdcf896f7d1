#!/usr/bin/env bash
# mmdebstrap customize hook: the edgesip package, overlays/, the admin account,
# units, and the removal of everything that must differ per device.
set -euo pipefail
root=${1:?}
here=$(cd "$(dirname "$0")/.." && pwd)
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"; }

# systemd-resolved made /etc/resolv.conf a link into /run, empty in this chroot: apt
# below resolves names with the build machine's resolver, and the link comes back.
resolv=$(readlink "$root/etc/resolv.conf" || true)
rm -f "$root/etc/resolv.conf"
cp /etc/resolv.conf "$root/etc/resolv.conf"
restore_resolv() { rm -f "$root/etc/resolv.conf"; [ -z "$resolv" ] || ln -s "$resolv" "$root/etc/resolv.conf"; }
trap restore_resolv EXIT

# The service account with fixed ids: files on /data keep their owner when an update
# brings a root filesystem whose package set would have numbered it differently.
in_root groupadd --system --gid 990 edgesip
in_root useradd --system --uid 990 --gid 990 --home-dir /var/lib/edgesip --no-create-home \
  --shell /usr/sbin/nologin --comment "EdgeSIP server" edgesip

# The appliance's own package (pulls Debian's nodejs through its Depends).
cp "${EDGESIP_DEB:?}" "$root/tmp/"
in_root apt-get install -y -q -o Dpkg::Use-Pty=0 "/tmp/$(basename "$EDGESIP_DEB")"

# The boot loaders and Raspberry Pi firmware are extracted by the disk scripts on the
# host, not installed: raspi-firmware's kernel hook would rewrite config.txt, and GRUB
# is assembled by grub-mkimage. Downloaded into apt's cache so the next build has them.
: >"$root/tmp/bootloader-debs"
for pkg in grub-efi-arm64-bin u-boot-rpi raspi-firmware; do
  # --print-uris prints nothing for a file already in the current directory, so
  # ask from an empty one.
  file=$(in_root sh -c "mkdir -p /tmp/uris && cd /tmp/uris && apt-get download --print-uris $pkg" | awk '{print $2}')
  [ -n "$file" ] || { echo "image: no download for $pkg" >&2; exit 1; }
  [ -s "$root/var/cache/apt/archives/$file" ] || in_root sh -c "cd /var/cache/apt/archives && apt-get download -q $pkg"
  echo "$file" >>"$root/tmp/bootloader-debs"
done
rmdir "$root/tmp/uris"

# overlays/ is the root filesystem's own files (units, configuration, first-boot
# scripts); boot/edgesip.conf.example also goes onto the boot partition.
cp -R --no-preserve=ownership "$here/overlays/." "$root/"
chmod 0440 "$root/etc/sudoers.d/edgesip"
chmod 0755 "$root"/usr/libexec/edgesip-image/* "$root/etc/initramfs-tools/hooks/edgesip-data" \
  "$root/etc/initramfs-tools/scripts/local-bottom/edgesip-data"
mkdir -p "$root/data" "$root/boot/firmware"

# The administrator (group edgesip: the edgesip command; systemd-journal: the whole
# journal without sudo). SSH keys and an optional password come from the provisioning
# file at first boot. '*' is no password at all (not "locked": key login works).
in_root useradd --uid 1000 --user-group --groups sudo,edgesip,systemd-journal --home-dir /home/admin --no-create-home \
  --shell /bin/bash --comment "EdgeSIP administrator" admin
in_root usermod --password '*' admin
# No password on any account: every shadow entry must be '*' or '!…'.
if awk -F: '$2 != "*" && $2 !~ /^!/ { print $1; bad = 1 } END { exit !bad }' "$root/etc/shadow"; then
  echo "image: an account has a password set (above)" >&2; exit 1
fi

in_root systemctl enable edgesip-data-init.service edgesip-ssh-host-keys.service edgesip-provision.service edgesip-setup.service \
  edgesip-provision-pbx.service edgesip-boot-ok.service systemd-networkd.service systemd-resolved.service \
  systemd-timesyncd.service >/dev/null
# Jobs that write to the read-only root: the machine-id lives on /data (bound by the
# initramfs), and packages change only by a whole-slot update, never by apt.
in_root systemctl set-default multi-user.target >/dev/null
# e2scrub checks ext4 on LVM snapshots only; there is no LVM here (and e2scrub_reap
# alone took 33 s of the first boot under emulation).
in_root systemctl mask systemd-machine-id-commit.service apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service >/dev/null
# The one initramfs, now that every package and overlays/ are in (essential.sh kept
# update-initramfs idle until here).
rm -f "$root/usr/sbin/update-initramfs"
in_root dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.edgesip-build --remove /usr/sbin/update-initramfs
in_root update-initramfs -c -k all
for link in vmlinuz initrd.img; do
  [ -e "$root/$link" ] || { echo "image: /$link is missing or dangling" >&2; exit 1; }
done

# The kernel's device trees under a stable name for U-Boot's boot script.
dtbs=$(cd "$root/usr/lib" && ls -d linux-image-* | sort -V | tail -1)
ln -sfn "../usr/lib/$dtbs" "$root/boot/dtbs"

# Per-device identity is made at first boot on /data, never shipped.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
ln -sfn /etc/machine-id "$root/var/lib/dbus/machine-id"
echo edgesip >"$root/etc/hostname"
# "Already updated" for ConditionNeedsUpdate= (ldconfig, systemd-update-done): /usr
# never changes under a running slot, and /etc and /var cannot be written anyway.
touch -r "$root/usr" "$root/etc/.updated" "$root/var/.updated"
