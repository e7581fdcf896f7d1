/**
 * The Raspberry Pi 3/4 image, checked from the outside (no Pi in the test machine and
 * qemu cannot run the Pi's GPU firmware): the partition table the Pi ROM needs, the
 * firmware, U-Boot and boot script on the FAT partition, and a slot holding what
 * boot.scr loads.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { partitionTable, rawImage, rpiImagePath, type RawImage } from './image-file';
import { mustRun } from './run-command';

const MiB = 1024 * 1024;

describe('Raspberry Pi image', () => {
  let dir: string;
  let image: RawImage;
  const fat = (): string => `${image.path}@@${image.partitions[0]!.offset}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-rpi-image-'));
    image = await rawImage(dir, rpiImagePath());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('MBR: FAT boot partition first (bootable), then rootfs-a, rootfs-b and data', async () => {
    const { stdout } = await mustRun('sfdisk', ['-J', image.path]);
    const table = JSON.parse(stdout).partitiontable as { label: string; partitions: { type: string; bootable?: boolean }[] };
    assert.equal(table.label, 'dos');
    assert.deepEqual(table.partitions.map((p) => p.type), ['c', '83', '83', '83']);
    assert.equal(table.partitions[0]!.bootable, true);
    const parts = await partitionTable(image.path);
    assert.equal(parts[0]!.offset, 4 * MiB, 'the gap before partition 1 holds the raw U-Boot state at 1 MiB');
    assert.equal(parts[1]!.size, parts[2]!.size, 'both slots the same size');
    assert.ok(parts[1]!.size >= 1024 * MiB);
  });

  test('boot partition: firmware, device trees for Pi 3 and 4, U-Boot, boot.scr, config.txt', async () => {
    const { stdout: label } = await mustRun('blkid', ['-p', '-o', 'export', '-O', String(image.partitions[0]!.offset), image.path]);
    assert.match(label, /^TYPE=vfat$/m);
    assert.match(label, /^LABEL=EDGESIPBOOT$/m);
    const { stdout: listing } = await mustRun('mdir', ['-b', '-i', fat(), '::/']);
    const names = listing.split('\n').map((l) => l.replace(/^::\//, '').trim()).filter(Boolean);
    for (const f of ['bootcode.bin', 'start.elf', 'fixup.dat', 'start4.elf', 'fixup4.dat', 'u-boot.bin', 'boot.scr', 'config.txt',
      'bcm2837-rpi-3-b.dtb', 'bcm2837-rpi-3-b-plus.dtb', 'bcm2711-rpi-4-b.dtb', 'edgesip.conf.example']) {
      assert.ok(names.includes(f), `${f} missing on the boot partition (has: ${names.join(' ')})`);
    }
    const config = (await mustRun('mtype', ['-i', fat(), '::/config.txt'])).stdout;
    assert.match(config, /^arm_64bit=1$/m);
    assert.match(config, /^kernel=u-boot\.bin$/m);
    const uboot = (await mustRun('mcopy', ['-i', fat(), '::/u-boot.bin', '-'])).stdout;
    assert.match(uboot, /U-Boot 20\d\d\.\d\d/, 'u-boot.bin is Debian U-Boot');
  });

  test('boot.scr is a U-Boot script that keeps the A/B state in raw sectors and loads from the slot', async () => {
    const scr = join(dir, 'boot.scr');
    await mustRun('mcopy', ['-i', fat(), '::/boot.scr', scr]);
    const { stdout: header } = await mustRun('mkimage', ['-l', scr]);
    assert.match(header, /Script/);
    const { stdout: script } = await mustRun('dd', [`if=${scr}`, 'bs=72', 'skip=1', 'status=none']);
    assert.match(script, /env import -c/);
    assert.match(script, /BOOT_ORDER/);
    assert.match(script, /edgesip\.slot=\$\{slot\}/);
    assert.match(script, /load \$\{devtype\} \$\{devnum\}:\$\{part\} \$\{kernel_addr_r\} \/vmlinuz/);
  });

  test('slot A holds the system: kernel, initrd and the Pi device trees where boot.scr looks', async () => {
    const a = image.partitions[1]!;
    const { stdout: probe } = await mustRun('blkid', ['-p', '-o', 'export', '-O', String(a.offset), image.path]);
    assert.match(probe, /^TYPE=ext4$/m);
    assert.match(probe, /^LABEL=rootfs-a$/m);
    const slot = join(dir, 'rootfs-a.ext4');
    await mustRun('dd', [`if=${image.path}`, `of=${slot}`, 'bs=1M', `skip=${a.offset / MiB}`, `count=${a.size / MiB}`, 'conv=sparse', 'status=none']);
    const ls = async (path: string): Promise<string> => (await mustRun('debugfs', ['-R', `ls -l ${path}`, slot])).stdout;
    assert.match(await ls('/'), /vmlinuz/);
    assert.match(await ls('/'), /initrd\.img/);
    const dtbLink = (await mustRun('debugfs', ['-R', 'stat /boot/dtbs', slot])).stdout;
    const target = /Fast link dest: "([^"]+)"/.exec(dtbLink)?.[1];
    assert.ok(target, `/boot/dtbs is not a symlink: ${dtbLink}`);
    assert.match(await ls(join('/boot', target!, 'broadcom')), /bcm2711-rpi-4-b\.dtb/);
    const data = image.partitions[3]!;
    const { stdout: dataProbe } = await mustRun('blkid', ['-p', '-o', 'export', '-O', String(data.offset), image.path]);
    assert.match(dataProbe, /^LABEL=edgesip-data$/m);
  });
});
