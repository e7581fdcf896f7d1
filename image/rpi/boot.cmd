# EdgeSIP A/B boot selection for Raspberry Pi 3/4 (Debian's U-Boot; compiled into
# boot.scr with mkimage).
#
# State: BOOT_ORDER (slots, preferred first), BOOT_A_LEFT and BOOT_B_LEFT (tries
# left; 0 = not bootable). It is kept in raw sectors at 1 MiB on the boot disk (the
# gap before partition 1) in U-Boot's checksummed environment format, not in a file
# on the FAT partition: a raw write of 16 KiB cannot corrupt the FAT when the power
# fails. Linux reads and writes the same sectors with fw_setenv
# (edgesip-boot-ok.service gives the booted slot its 3 tries back).
setenv bootstate_blk 0x800
setenv bootstate_cnt 0x20
setenv BOOT_ORDER
${devtype} dev ${devnum}
if ${devtype} read ${kernel_addr_r} ${bootstate_blk} ${bootstate_cnt}; then
  env import -c ${kernel_addr_r} 0x4000 BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
fi
if test -z "${BOOT_ORDER}"; then
  echo "EdgeSIP: no boot state yet; slot A with 3 tries"
  setenv BOOT_ORDER "A B"
  setenv BOOT_A_LEFT 3
  setenv BOOT_B_LEFT 0
fi

setenv slot
for s in ${BOOT_ORDER}; do
  if test -z "${slot}"; then
    if test "${s}" = "A" && test ${BOOT_A_LEFT} -gt 0; then
      setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
      setenv slot A
      setenv part 2
    elif test "${s}" = "B" && test ${BOOT_B_LEFT} -gt 0; then
      setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
      setenv slot B
      setenv part 3
    fi
  fi
done
if test -z "${slot}"; then
  # Every slot used its tries: start over with A rather than brick the board.
  echo "EdgeSIP: no slot has tries left; trying slot A again"
  setenv BOOT_A_LEFT 2
  setenv slot A
  setenv part 2
fi

env export -c -s 0x4000 ${kernel_addr_r} BOOT_ORDER BOOT_A_LEFT BOOT_B_LEFT
${devtype} write ${kernel_addr_r} ${bootstate_blk} ${bootstate_cnt}

# Debian's arm64 kernel is a gzip-compressed Image: booti unpacks it here.
if test -z "${kernel_comp_addr_r}"; then
  setenv kernel_comp_addr_r 0x0a000000
  setenv kernel_comp_size 0x04000000
fi
part uuid ${devtype} ${devnum}:${part} partuuid
echo "EdgeSIP: booting slot ${slot} (partition ${part}, tries left A=${BOOT_A_LEFT} B=${BOOT_B_LEFT})"
load ${devtype} ${devnum}:${part} ${kernel_addr_r} /vmlinuz
load ${devtype} ${devnum}:${part} ${fdt_addr_r} /boot/dtbs/${fdtfile}
load ${devtype} ${devnum}:${part} ${ramdisk_addr_r} /initrd.img
setenv bootargs "root=PARTUUID=${partuuid} ro rootwait panic=10 console=tty0 console=ttyS1,115200 edgesip.slot=${slot} rauc.slot=${slot}"
booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdt_addr_r}
