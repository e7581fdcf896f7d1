/**
 * The Raspberry Pi image booted in qemu's Raspberry Pi 3 B (`raspi3b`): Debian's U-Boot
 * from the boot partition runs boot.scr, which picks slot A by its try counter (kept in
 * raw sectors at 1 MiB); Debian's kernel boots from the slot with the Pi's own drivers
 * (SD host, mini UART); first boot grows /data and applies edgesip.conf from the FAT
 * partition; edgesip-boot-ok gives the slot its tries back with fw_setenv; and the
 * U-Boot of the next boot reads what Linux wrote.
 *
 * qemu cannot run the Pi's GPU firmware: it loads U-Boot and the device tree itself (see
 * raspi3bArgs). The VM has no network, so it is checked over its serial console after a
 * console login with the admin password provisioned as a hash.
 *
 * One deviation from the image, written into the VM's overlay only: a systemd drop-in
 * that leaves the watchdog off. qemu's model of the BCM2835 watchdog resets the machine
 * the moment a driver arms it (a real Pi counts down the timeout), and systemd arms it
 * at startup (RuntimeWatchdogSec, overlays/etc/systemd/system.conf.d).
 *
 * Run by test/qemu/run.sh (make test-image) inside a network namespace with only `lo`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConsoleShell } from './console-shell';
import { partition, rawImage, rpiImagePath, type RawImage } from './image-file';
import { addFileToExt4Partition, copyFileFromFat, provisionedDisk, type ProvisionedDisk } from './provisioned-disk';
import { provisionedSecrets, provisioningFile, type Provisioning } from './provisioning-file';
import { mustRun } from './run-command';
import { QemuVm } from './vm';

/** Four emulated cores on two host cores, an SD card model at ~1 MB/s: a Pi boot takes minutes. */
const BOOT_TIMEOUT_MS = 480_000;
const HOSTNAME = 'edgesip-pi';
const KEEP = process.env.EDGESIP_KEEP_QEMU === '1';

/** The smallest power of two ≥ n (qemu's SD card model wants such a size). */
function powerOfTwoAtLeast(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

describe('EdgeSIP Raspberry Pi image in qemu raspi3b: U-Boot A/B, first boot, console', { timeout: 30 * 60_000 }, () => {
  let dir: string | undefined;
  let image: RawImage;
  let disk: ProvisionedDisk;
  let vm: QemuVm | undefined;
  let shell: ConsoleShell;
  const password = `Pi-${randomBytes(12).toString('base64url')}`;
  let provisioning: Provisioning;
  let loggedIn = false;

  function running(): QemuVm {
    assert.ok(vm?.running, `qemu is not running; last console output:\n${vm?.console.tail() ?? '(no VM)'}`);
    return vm;
  }

  function shellReady(): ConsoleShell {
    running();
    assert.ok(loggedIn, 'no console login (see check 2)');
    return shell;
  }

  /**
   * Waits for U-Boot's boot script, the kernel and the login prompt; returns what U-Boot
   * printed from its autoboot countdown to "Starting kernel" (U-Boot's banner goes to
   * the first UART, before the device tree moves its console to the mini UART).
   */
  async function bootToLogin(v: QemuVm, boot: string): Promise<string> {
    const start = v.secondsSinceStart();
    const uboot = await v.console.expect(/(Hit any key to stop autoboot[\s\S]*?)Starting kernel/, BOOT_TIMEOUT_MS);
    const kernelAt = v.secondsSinceStart();
    await v.console.expect(new RegExp(`${HOSTNAME} login: *$`, 'm'), BOOT_TIMEOUT_MS);
    console.log(`${boot}: U-Boot to "Starting kernel" ${(kernelAt - start).toFixed(1)} s, login prompt ${(v.secondsSinceStart() - start).toFixed(1)} s`);
    return uboot[1]!;
  }

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'edgesip-qemu-rpi-'));
      image = await rawImage(dir, rpiImagePath());
      const hash = (await mustRun('openssl', ['passwd', '-6', password])).stdout.trim();
      provisioning = { hostname: HOSTNAME, sshAuthorizedKeys: [], adminPasswordHash: hash, extensions: [{ number: '401', password: `Ext401-${randomBytes(6).toString('hex')}` }] };
      disk = await provisionedDisk(image, dir, 'rpi', provisioningFile(provisioning), powerOfTwoAtLeast(image.size) - image.size);
      const dropIn = join(dir, 'zz-qemu-no-watchdog.conf');
      writeFileSync(dropIn, '# qemu raspi3b only: its BCM2835 watchdog model resets at once when armed.\n[Manager]\nRuntimeWatchdogSec=off\nRebootWatchdogSec=off\n');
      await addFileToExt4Partition(image, disk.path, partition(image, 2), dropIn, '/etc/systemd/system.conf.d/zz-qemu-no-watchdog.conf', dir);
      // What the Pi firmware would load (config.txt: kernel=u-boot.bin), from the disk's own boot partition.
      const uboot = join(dir, 'u-boot.bin');
      const dtb = join(dir, 'bcm2837-rpi-3-b.dtb');
      await copyFileFromFat(disk.espImage, 'u-boot.bin', uboot);
      await copyFileFromFat(disk.espImage, 'bcm2837-rpi-3-b.dtb', dtb);
      vm = QemuVm.raspi3b('rpi', { disk: disk.path, uboot, dtb });
      shell = new ConsoleShell(vm.console);
      console.log(`SD card ${(disk.size / 2 ** 20).toFixed(0)} MiB (image ${(image.size / 2 ** 20).toFixed(0)} MiB); console log ${vm.console.logFile}`);
      vm.boot();
    },
    { timeout: 10 * 60_000 },
  );

  after(async () => {
    if (vm?.running) await vm.kill().catch((err: Error) => console.log(`teardown: ${err.message}`));
    if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`EDGESIP_KEEP_QEMU=1: kept ${dir}`);
  });

  test('1. U-Boot runs boot.scr: no state yet, slot A with 3 tries, one used; the kernel boots to a login prompt', { timeout: 2 * BOOT_TIMEOUT_MS }, async () => {
    const v = running();
    const uboot = await bootToLogin(v, 'first boot');
    assert.match(uboot, /EdgeSIP: no boot state yet; slot A with 3 tries/);
    assert.match(uboot, /EdgeSIP: booting slot A \(partition 2, tries left A=2 B=0\)/);
    assert.match(v.console.transcript(), /root=PARTUUID=[0-9a-f]{8}-02 ro .*edgesip\.slot=A/, 'kernel command line from boot.scr');
  });

  test('2. edgesip.conf from the FAT partition: host name, console login with the provisioned password hash, secrets scrubbed', { timeout: 300_000 }, async () => {
    running();
    await shell.login('admin', password, 120_000);
    loggedIn = true;
    assert.equal((await shell.output('hostname')).trim(), HOSTNAME);
    // With a password provisioned, sudo asks for it (without one it would not: key-only admin).
    const noPassword = await shell.run('sudo -n true');
    assert.notEqual(noPassword.code, 0, 'sudo without the password must fail for an admin with a password');
    assert.match(noPassword.output, /a password is required/);
    await shell.sudoLogin(password);
    const conf = await shell.output('sudo -n cat /boot/firmware/edgesip.conf');
    for (const s of provisionedSecrets(provisioning)) assert.ok(!conf.includes(s), `a provisioned secret is still in /boot/firmware/edgesip.conf:\n${conf}`);
  });

  test('3. running system: no failed unit, edgesipd and the CLI, / read-only on the SD card, /data grown, extension provisioned', { timeout: 600_000 }, async () => {
    const sh = shellReady();
    const state = await sh.run('systemctl is-system-running --wait', 480_000);
    if (state.output.trim() !== 'running') {
      const failed = await sh.run('systemctl --failed --no-pager');
      assert.fail(`system state: ${state.output.trim()}\n${failed.output}`);
    }
    assert.equal((await sh.output('systemctl is-active edgesipd')).trim(), 'active');
    const status = await sh.run('edgesip status', 120_000);
    console.log(`edgesip status (exit ${status.code}):\n${status.output.trim()}`);
    assert.equal(status.code, 0);
    assert.equal((await sh.output('findmnt -no SOURCE,OPTIONS /')).trim().split(/\s+/)[0], '/dev/mmcblk0p2');
    assert.ok((await sh.output('findmnt -no OPTIONS /')).trim().split(',').includes('ro'));
    // The initramfs mounts /data by label: the source is that link, to partition 4 of the SD card.
    assert.equal((await sh.output('readlink -f "$(findmnt -no SOURCE /data)"')).trim(), '/dev/mmcblk0p4');
    const dataBytes = Number((await sh.output('df -B1 --output=size /data | tail -1')).trim());
    assert.ok(dataBytes > partition(image, 4).size, `/data (${dataBytes} bytes) not grown beyond the image's ${partition(image, 4).size}`);
    const extensions = JSON.parse(await sh.output('edgesip ext list --json', 120_000)) as { number: string }[];
    assert.deepEqual(extensions.map((e) => e.number), ['401']);
  });

  test('4. edgesip-boot-ok gives slot A its 3 tries back; after a reboot U-Boot reads that state (A=3 → 2)', { timeout: 2 * BOOT_TIMEOUT_MS + 120_000 }, async () => {
    const sh = shellReady();
    await sh.sudoLogin(password);
    assert.equal((await sh.output('systemctl is-active edgesip-boot-ok')).trim(), 'active');
    const env = await sh.output('sudo -n fw_printenv -c /run/edgesip/fw_env.config');
    console.log(`U-Boot state as Linux reads it: ${env.trim().replace(/\n/g, ' ')}`);
    assert.match(env, /^BOOT_ORDER=A B$/m);
    assert.match(env, /^BOOT_A_LEFT=3$/m);
    assert.match(env, /^BOOT_B_LEFT=0$/m);

    const v = running();
    v.console.skipToEnd();
    shell = new ConsoleShell(v.console);
    loggedIn = false;
    v.console.send('sudo -n systemctl reboot\r');
    const uboot = await bootToLogin(v, 'reboot');
    assert.doesNotMatch(uboot, /bad CRC|no boot state yet/, 'U-Boot did not read the state Linux wrote');
    assert.match(uboot, /EdgeSIP: booting slot A \(partition 2, tries left A=2 B=0\)/);
    await shell.login('admin', password, 120_000);
    await shell.sudoLogin(password);
    loggedIn = true;
    assert.equal((await shell.output('hostname')).trim(), HOSTNAME);
    assert.equal((await shell.output('systemctl is-system-running --wait', 480_000)).trim(), 'running');
    assert.match(await shell.output('sudo -n fw_printenv -c /run/edgesip/fw_env.config BOOT_A_LEFT'), /^BOOT_A_LEFT=3$/m);
  });
});
