/**
 * The arm64 UEFI firmware image, booted in qemu (TCG) on a qcow2 overlay of the built
 * image: first-boot provisioning from edgesip.conf on the ESP, SSH, systemd, the
 * read-only root and the grown /data, SIP registrations and a call with SIPp through
 * qemu's forwarded ports, TLS 1.3 on the web admin, a clean reboot and a power cut.
 *
 * One VM serves the whole file; the checks run in order and build on each other.
 * Run by test/qemu/run.sh (make test-image) inside a network namespace with only `lo`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, startLines } from '../helpers/sipp';
import { freePort } from './free-port';
import { partition, rawImage, type RawImage } from './image-file';
import { ESP_PARTITION, provisionedDisk, readFileFromFat, readFromQcow2, type ProvisionedDisk } from './provisioned-disk';
import { provisionedSecrets, provisioningFile, type Provisioning } from './provisioning-file';
import { runCommand } from './run-command';
import { artifactsDir } from './serial-console';
import { SipReadyProbe } from './sip-ready-probe';
import { registerOnce, startSippRegistration } from './sipp-registration';
import { fingerprints, generateTestKey, SshClient } from './ssh';
import { QemuVm } from './vm';

/** The issue's budget from qemu start to the login prompt. */
const BOOT_TIMEOUT_MS = 180_000;
/** The data partition (ext4, label edgesip-data, mounted at /data). */
const DATA_PARTITION = 4;
const HOSTNAME = 'edgesip-qemu';
const KEEP = process.env.EDGESIP_KEEP_QEMU === '1';

/** A password the daemon accepts (letters and digits, not digits only), new each run. */
const secret = (label: string): string => `${label}-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;

const provisioning: Provisioning = {
  hostname: HOSTNAME,
  sshAuthorizedKeys: [],
  webAdminPassword: secret('WebAdmin'),
  extensions: [
    { number: '301', password: secret('Ext301'), name: 'QemuCaller' },
    { number: '302', password: secret('Ext302'), name: 'QemuCallee' },
  ],
};
const ext = (n: string) => provisioning.extensions.find((e) => e.number === n)!;

/** A line in the run's output (node --test shows a test file's stdout as comments). */
function log(line: string): void {
  console.log(line);
}

describe('EdgeSIP arm64 UEFI image in qemu', { timeout: 25 * 60_000 }, () => {
  let dir: string | undefined;
  let image: RawImage;
  let disk: ProvisionedDisk;
  let vm: QemuVm | undefined;
  let ssh: SshClient;
  let probe: SipReadyProbe | undefined;
  const sippDir = join(artifactsDir(), 'sipp');
  /** performance.now() at the first boot's qemu start, and the seconds from it to the login prompt. */
  let firstBootStart = 0;
  let loginSeconds: number | undefined;

  /** The boot (vm.boots) that last reached its login prompt. */
  let promptedBoot = 0;

  /**
   * The VM must run and its current boot must have reached the login prompt: a check
   * after a failed boot then fails at once instead of waiting out its own timeouts.
   */
  function running(): QemuVm {
    assert.ok(vm?.running, `qemu is not running; last console output:\n${vm?.console.tail() ?? '(no VM)'}`);
    assert.equal(promptedBoot, vm.boots, `boot ${vm.boots} never reached the login prompt (see check 1 or the console log ${vm.console.logFile})`);
    return vm;
  }

  /** Waits for this boot's login prompt; returns the seconds since qemu started. */
  async function loginPrompt(v: QemuVm): Promise<number> {
    const left = BOOT_TIMEOUT_MS - v.secondsSinceStart() * 1000;
    await v.console.expect(/\S+ login: *$/m, Math.max(left, 1));
    promptedBoot = v.boots;
    return v.secondsSinceStart();
  }

  /** `systemctl is-system-running --wait` must print running; else the failed units and warnings. */
  async function assertSystemRunning(): Promise<void> {
    const r = await ssh.run('systemctl is-system-running --wait', { timeoutMs: 300_000 });
    const state = r.stdout.trim();
    if (state === 'running') return;
    const failed = await ssh.run('systemctl --failed --no-pager');
    const warnings = await ssh.run('sudo -n journalctl -b -p warning --no-pager | tail -50');
    assert.fail(`system state: ${state || `(none; ssh exit ${r.code}: ${r.stderr.trim()})`}\n--- systemctl --failed\n${failed.stdout}${failed.stderr}--- journalctl -b -p warning | tail -50\n${warnings.stdout}${warnings.stderr}`);
  }

  async function extensionNumbers(): Promise<string[]> {
    const out = await ssh.output('edgesip ext list --json', { timeoutMs: 60_000 });
    return (JSON.parse(out) as { number: string }[]).map((e) => e.number).sort();
  }

  /** The ESP's edgesip.conf as the guest sees it; no provisioned secret may be in it. */
  async function assertConfScrubbed(where: string): Promise<string> {
    const conf = await ssh.output('sudo -n cat /boot/firmware/edgesip.conf');
    for (const s of provisionedSecrets(provisioning)) assert.ok(!conf.includes(s), `${where}: a provisioned password is still in /boot/firmware/edgesip.conf:\n${conf}`);
    return conf;
  }

  async function sshdSettings(): Promise<string> {
    const r = await ssh.run("sudo -n sshd -T 2>&1 | grep -Ei '^(permitrootlogin|passwordauthentication|kbdinteractiveauthentication|hostkey) '");
    return r.stdout.trim();
  }

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'edgesip-qemu-'));
      image = await rawImage(dir);
      log(`image ${image.path}: ${(image.size / 2 ** 20).toFixed(0)} MiB, partitions ${image.partitions.map((p) => `${p.number}:${p.name ?? '-'}@${p.offset}+${p.size}`).join(' ')}`);
      const key = await generateTestKey(dir);
      provisioning.sshAuthorizedKeys = [key.publicKey];
      disk = await provisionedDisk(image, dir, 'appliance', provisioningFile(provisioning));
      vm = await QemuVm.create('appliance', disk.path, dir);
      ssh = new SshClient(vm.ports.ssh, key, join(dir, 'known_hosts'));
      log(`VM ports on 127.0.0.1: ssh ${vm.ports.ssh}, sip ${vm.ports.sip} (udp+tcp), https ${vm.ports.https}; console log ${vm.console.logFile}`);
      // From the start of boot: an OPTIONS every second, until the first 200.
      probe = await SipReadyProbe.start(vm.ports.sip);
      vm.boot();
      firstBootStart = vm.startedAt;
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    probe?.stop();
    if (vm?.running) await vm.kill().catch((err: Error) => log(`teardown: ${err.message}`));
    if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) log(`EDGESIP_KEEP_QEMU=1: kept ${dir}`);
  });

  test('1. boots to a login prompt on the serial console within 180 s', { timeout: BOOT_TIMEOUT_MS + 30_000 }, async () => {
    assert.ok(vm?.running, `qemu is not running; last console output:\n${vm?.console.tail() ?? '(no VM)'}`);
    const v = vm;
    loginSeconds = await loginPrompt(v);
    log(`image: qemu start to login prompt: ${loginSeconds.toFixed(1)} s`);
    assert.ok(loginSeconds <= BOOT_TIMEOUT_MS / 1000);
  });

  test('2. first boot applied edgesip.conf: SSH key login as admin, secrets scrubbed, no root login, no password login', { timeout: 240_000 }, async () => {
    const v = running();
    await ssh.waitForSsh(120_000);
    log(`SSH login as admin works ${v.secondsSinceStart().toFixed(1)} s after qemu start`);
    assert.equal((await ssh.output('hostname')).trim(), HOSTNAME, 'hostname from edgesip.conf');

    const conf = await assertConfScrubbed('first boot');
    assert.match(conf, /hostname/, `/boot/firmware/edgesip.conf lost its other lines:\n${conf}`);

    const root = await ssh.run('true', { user: 'root' });
    assert.notEqual(root.code, 0, 'ssh root@ with the admin key must fail');
    assert.match(root.stderr, /Permission denied/, `ssh root@: ${root.stderr}`);

    const password = await ssh.run('true', { options: ['PreferredAuthentications=password,keyboard-interactive', 'PubkeyAuthentication=no'] });
    assert.notEqual(password.code, 0, 'ssh with password authentication only must fail');
    const denied = /Permission denied \(([^)]*)\)/.exec(password.stderr);
    assert.ok(denied, `ssh with password authentication: no "Permission denied": ${password.stderr}`);
    const offered = denied[1]!.split(',');
    assert.ok(!offered.includes('password') && !offered.includes('keyboard-interactive'), `sshd offers ${denied[1]} to admin (no password hash was provisioned)`);
    log(`sshd -T: ${(await sshdSettings()).replace(/\n/g, '; ')}`);
  });

  test('3. systemctl is-system-running --wait is "running"', { timeout: 360_000 }, async () => {
    running();
    await assertSystemRunning();
  });

  test('4. edgesipd active, edgesip status as admin, / read-only, /data ext4 and grown, machine-id set, watchdog armed', { timeout: 180_000 }, async () => {
    running();
    assert.equal((await ssh.run('systemctl is-active edgesipd')).stdout.trim(), 'active');

    const status = await ssh.run('edgesip status', { timeoutMs: 60_000 });
    log(`edgesip status (exit ${status.code}):\n${status.stdout.trim()}`);
    assert.equal(status.code, 0, `edgesip status as admin: exit ${status.code}\n${status.stdout}${status.stderr}`);

    const rootOptions = (await ssh.output('findmnt -no OPTIONS /')).trim();
    assert.ok(rootOptions.split(',').includes('ro'), `/ is mounted ${rootOptions}`);

    assert.equal((await ssh.output('findmnt -no FSTYPE /data')).trim(), 'ext4');
    const dataBytes = Number((await ssh.output('df -B1 --output=size /data | tail -1')).trim());
    const imageData = partition(image, DATA_PARTITION).size;
    log(`/data: ${(dataBytes / 2 ** 20).toFixed(0)} MiB file system; data partition in the image ${(imageData / 2 ** 20).toFixed(0)} MiB; disk ${(disk.size / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(dataBytes > imageData, `/data (${dataBytes} bytes) is not larger than the image's data partition (${imageData} bytes): not grown`);

    assert.match((await ssh.output('cat /etc/machine-id')).trim(), /^[0-9a-f]{32}$/);

    // The VM has an i6300esb: systemd (PID 1) must hold its device open and pet it.
    const timeout = (await ssh.output('systemctl show --property=RuntimeWatchdogUSec --value')).trim();
    assert.equal(timeout, '30s', 'RuntimeWatchdogSec of the image (system.conf.d)');
    const fds = await ssh.output('sudo -n find /proc/1/fd -lname "/dev/watchdog*" -printf "%l\\n"');
    assert.match(fds, /^\/dev\/watchdog\d*$/m, 'PID 1 does not hold a /dev/watchdog device open');
    log(`watchdog: PID 1 holds ${fds.trim().split('\n').join(', ')} with a ${timeout} timeout`);
  });

  test('5. SIPp on the host registers 301 and 302 and calls 301 → 302 through the forwarded UDP port', { timeout: 300_000 }, async () => {
    const v = running();
    const set = await ssh.run('edgesip settings set --digest-algorithms MD5,SHA-256', { timeoutMs: 60_000 });
    assert.equal(set.code, 0, `edgesip settings set --digest-algorithms MD5,SHA-256: exit ${set.code}\n${set.stdout}${set.stderr}`);

    const port301 = await freePort({ udp: true, taken: Object.values(v.ports) });
    const port302 = await freePort({ udp: true, taken: [...Object.values(v.ports), port301] });
    for (const [n, port] of [['301', port301], ['302', port302]] as const) {
      const r = await registerOnce({ server: v.ports.sip, port, extension: n, password: ext(n).password, dir: sippDir, name: `register-${n}` });
      assert.equal(r.code, 0, `SIPp REGISTER of ${n} from 127.0.0.1:${port}: exit ${r.code}\n${startLines(r.messages).join('\n')}\n${r.output.slice(-1500)}`);
    }

    const regs = JSON.parse(await ssh.output('edgesip reg list --json', { timeoutMs: 60_000 })) as { aor: string; contact: string; source: string }[];
    for (const r of regs) log(`registered ${r.aor}: contact ${r.contact}, source ${r.source}`);
    assert.deepEqual([...new Set(regs.map((r) => r.aor))].sort(), ['301', '302']);

    const common = { server: v.ports.sip, dir: sippDir, timeoutSeconds: 60 };
    const callee = runSipp('call-uas.xml', { ...common, port: port302, name: 'call-uas-302' });
    await sleep(1000);
    const caller = await runSipp('call-uac.xml', {
      ...common,
      port: port301,
      name: 'call-uac-301',
      service: '302',
      auth: { user: '301', password: ext('301').password },
      keys: { caller: '301' },
      pauseMs: 1000,
    });
    const answered = await callee;
    const journal = async (): Promise<string> => (await ssh.run('sudo -n journalctl -u edgesipd -n 40 --no-pager')).stdout;
    if (caller.code !== 0 || answered.code !== 0) {
      assert.fail(
        `call 301 → 302: caller exit ${caller.code}, callee exit ${answered.code}\n` +
          `--- caller (301) messages\n${startLines(caller.messages).join('\n')}\n--- callee (302) messages\n${startLines(answered.messages).join('\n')}\n` +
          `--- caller output\n${caller.output.slice(-1500)}\n--- journalctl -u edgesipd\n${await journal()}`,
      );
    }
    assert.equal(caller.ok, 1);
    assert.equal(answered.ok, 1);
    log(`call 301 → 302: ${startLines(caller.messages).join(' | ')}`);
  });

  test('6. the HTTPS admin port negotiates TLS 1.3', { timeout: 120_000 }, async () => {
    const v = running();
    const r = await runCommand('openssl', ['s_client', '-connect', `127.0.0.1:${v.ports.https}`, '-tls1_3'], { timeoutMs: 60_000 });
    const out = r.stdout + r.stderr;
    assert.match(out, /TLSv1\.3/, `openssl s_client -tls1_3 (exit ${r.code}):\n${out.slice(-2000)}`);
    log(`web admin TLS: ${/^.*(?:New|Protocol).*TLSv1\.3.*$/m.exec(out)?.[0]?.trim() ?? 'TLSv1.3'}`);
  });

  test('7. qemu start to SIP ready (first OPTIONS answered with 200)', { timeout: 120_000 }, async () => {
    assert.ok(probe, 'no OPTIONS probe');
    const okAt = await probe.waitForOk(60_000);
    const seconds = (okAt - firstBootStart) / 1000;
    log(`first 200, to OPTIONS number ${probe.sent}: ${probe.firstOk ?? ''}`);
    log(`image: qemu start to SIP ready: ${seconds.toFixed(1)} s`);
    if (loginSeconds !== undefined) log(`image: qemu start to login prompt: ${loginSeconds.toFixed(1)} s`);
    assert.ok(seconds > 0);
    // Where the boot time goes, as the guest saw it (information for the image, not a check).
    if (vm?.running) {
      const analyze = await ssh.run('systemd-analyze --no-pager; systemd-analyze blame --no-pager | head -8', { timeoutMs: 60_000 });
      log(`guest ${analyze.stdout.trim().replace(/\n\s*/g, '; ')}`);
    }
  });

  test('8. a clean power-off and second boot keep host keys, machine-id, extensions and /data; no secret comes back', { timeout: 480_000 }, async () => {
    const v = running();
    const hostKeys = await ssh.scanHostKeys();
    assert.ok(hostKeys.length > 0, 'ssh-keyscan found no host key');
    // known_hosts holds the key the first login negotiated (one type); ssh-keyscan gets all.
    const known = await ssh.knownHostKeys();
    assert.ok(known.length > 0 && known.every((k) => hostKeys.includes(k)), `the host key of the first login is no longer served:\nknown ${known.join('\n')}\nserved ${hostKeys.join('\n')}`);
    const machineId = (await ssh.output('cat /etc/machine-id')).trim();
    const marker = randomBytes(16).toString('hex');
    await ssh.output(`echo ${marker} | sudo -n tee /data/qemu-test-marker >/dev/null && sync`);

    await v.powerOff(ssh);
    log(`powered off cleanly ${v.secondsSinceStart().toFixed(1)} s after the first boot's start`);

    // The ESP as written on the disk: read back from the qcow2 on the host.
    const esp = join(dir!, 'esp-after-first-boot.img');
    await readFromQcow2(disk.path, partition(image, ESP_PARTITION), esp);
    const onDisk = await readFileFromFat(esp, 'edgesip.conf');
    for (const s of provisionedSecrets(provisioning)) assert.ok(!onDisk.includes(s), `a provisioned password is in edgesip.conf on the powered-off disk:\n${onDisk}`);

    v.boot();
    log(`second boot: login prompt after ${(await loginPrompt(v)).toFixed(1)} s`);
    // Compared before any login: with a new host key, ssh would only refuse to connect.
    const again = await ssh.waitForHostKeys(120_000);
    assert.deepEqual(again, hostKeys, `SSH host keys changed across a reboot:\nbefore ${(await fingerprints(hostKeys)).join('; ')}\nafter ${(await fingerprints(again)).join('; ')}`);
    log(`host keys unchanged: ${(await fingerprints(again)).join('; ')}`);
    await ssh.waitForSsh(120_000);
    assert.equal((await ssh.output('cat /etc/machine-id')).trim(), machineId, '/etc/machine-id changed across a reboot');
    assert.equal((await ssh.output('cat /data/qemu-test-marker')).trim(), marker, '/data/qemu-test-marker');
    assert.deepEqual(await extensionNumbers(), ['301', '302']);
    await assertConfScrubbed('second boot');
    await assertSystemRunning();
    const boots = (await ssh.output('sudo -n journalctl --list-boots --no-pager')).trim().split('\n').filter((l) => /^\s*-?\d+\s/.test(l));
    assert.ok(boots.length >= 2, `persistent journal: journalctl --list-boots shows ${boots.length} boot(s)`);
  });

  test('9. a power cut under a registration load: the next boot is clean and SIP answers', { timeout: 480_000 }, async () => {
    const v = running();
    const set = await ssh.run('edgesip settings set --digest-algorithms MD5,SHA-256', { timeoutMs: 60_000 });
    assert.equal(set.code, 0, `edgesip settings set: ${set.stderr}`);
    const port = await freePort({ udp: true, taken: Object.values(v.ports) });
    // 20 REGISTERs (each with its 401 round trip) per second of 301 for 20 s; the power
    // is cut after 10 s, and SIPp's global timeout ends it 5 s later with its statistics.
    const load = startSippRegistration({ server: v.ports.sip, port, extension: '301', password: ext('301').password, dir: sippDir, name: 'register-load-301', count: 400, rate: 20, timeoutSeconds: 15 });
    await sleep(10_000);
    await v.kill();
    log(`power cut ${v.secondsSinceStart().toFixed(1)} s into boot ${v.boots}, 10 s into the registration load`);
    const stopper = setTimeout(() => load.stop(), 30_000);
    const loaded = await load.done;
    clearTimeout(stopper);
    log(`registration load: ${loaded.accepted} REGISTERs accepted (200) before the power cut`);
    assert.ok(loaded.accepted > 0, `no REGISTER of the load was accepted before the power cut:\n${startLines(loaded.messages).slice(-10).join('\n')}\n${loaded.output.slice(-1500)}`);

    probe?.stop();
    probe = await SipReadyProbe.start(v.ports.sip);
    v.boot();
    log(`boot after the power cut: login prompt after ${(await loginPrompt(v)).toFixed(1)} s`);
    await ssh.waitForSsh(120_000);
    await assertSystemRunning();
    assert.deepEqual(await extensionNumbers(), ['301', '302']);
    const okAt = await probe.waitForOk(120_000);
    log(`boot after the power cut: SIP ready ${((okAt - v.startedAt) / 1000).toFixed(1)} s after qemu start (${probe.firstOk ?? ''})`);
  });
});
