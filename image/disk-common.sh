# Shared by image/disk-*.sh (sourced): file systems in files, placed into a disk
# image at their partition's offset. Reproducible from SOURCE_DATE_EPOCH and version.

# A UUID derived from the version and a name: the same build gives the same ids.
stable_uuid() {
  local h
  h=$(printf 'edgesip %s %s' "${version:?}" "$1" | sha256sum | cut -c1-32)
  printf '%s-%s-4%s-a%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "${h:17:3}" "${h:20:12}"
}

# extract_deb <package> <dir>: the newest cached .deb of a package (downloaded by
# image/customize.sh into the apt cache) unpacked into dir.
extract_deb() {
  local list deb
  list=$(dirname "$(dirname "$rootfs")")/bootloader-debs
  [ -f "$list" ] || list=build/image-work/bootloader-debs
  deb=$(grep "^$1_" "$list" | tail -1 || true)
  [ -n "$deb" ] || { echo "image: $1 is not in $list" >&2; return 1; }
  deb=${EDGESIP_CACHE:-/var/cache/edgesip-test}/image-apt-arm64/$deb
  [ -s "$deb" ] || { echo "image: $1 not downloaded ($deb)" >&2; return 1; }
  mkdir -p "$2"
  dpkg-deb -x "$deb" "$2"
}

# make_vfat <file> <MiB> <LABEL>
make_vfat() {
  rm -f "$1"
  mkfs.vfat -C --invariant -F 32 -n "$3" -i "$(stable_uuid "$3" | cut -c1-8)" "$1" $(( $2 * 1024 )) >/dev/null
}

# make_ext4 <file> <MiB> <label> <source dir or "">
make_ext4() {
  local uuid
  uuid=$(stable_uuid "$3")
  rm -f "$1"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L "$3" -U "$uuid" -E "hash_seed=$uuid" \
    -O ^orphan_file ${4:+-d "$4"} "$1" "${2}M"
}

# put_partition <img> <partition number> <file system file>
put_partition() {
  local start size
  # sfdisk -d prints "<img><N> : start=S, size=Z, ..." per partition.
  read -r start size < <(sfdisk -d "$1" | awk -v n="$1$2" '$1 == n {
    match($0, /start= *[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6)
    match($0, /size= *[0-9]+/); z = substr($0, RSTART + 5, RLENGTH - 5)
    print s + 0, z + 0 }')
  [ "$(stat -c %s "$3")" -le $(( size * 512 )) ] || { echo "image: $3 is larger than partition $2" >&2; return 1; }
  dd if="$3" of="$1" bs=1M seek=$(( start * 512 )) oflag=seek_bytes conv=notrunc,sparse status=none
}
