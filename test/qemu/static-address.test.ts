/**
 * A static address from edgesip.conf, and back to DHCP, in qemu. qemu's user network
 * (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3) hands out 10.0.2.15 by DHCP; this file
 * provisions 10.0.2.77 instead and points the forwarded ports at 10.0.2.77 only. SSH and
 * SIP then work only if the guest really took the static address; after
 * `address = dhcp` and a reboot they go back to 10.0.2.15.
 *
 * Run by test/qemu/run.sh (make test-image) inside a network namespace with only `lo`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawImage } from './image-file';
import { provisionedDisk } from './provisioned-disk';
import { provisioningFile, type Provisioning } from './provisioning-file';
import { SipReadyProbe } from './sip-ready-probe';
import { generateTestKey, SshClient } from './ssh';
import { QemuVm } from './vm';

const BOOT_TIMEOUT_MS = 180_000;
const STATIC = { address: '10.0.2.77/24', gateway: '10.0.2.2', dns: ['10.0.2.3'] };
const STATIC_IP = STATIC.address.split('/')[0]!;
/** What qemu's DHCP server hands out first. */
const DHCP_IP = '10.0.2.15';
const STATIC_UNIT = '/run/systemd/network/10-edgesip-static.network';
const KEEP = process.env.EDGESIP_KEEP_QEMU === '1';

interface LinkState {
  /** `ip -4 -o addr` lines of the wired interface: address/prefix and flags. */
  addresses: string[];
  defaultRoute: string;
  /** networkctl's "Network File" of the interface. */
  networkFile: string;
  dns: string;
}

describe('EdgeSIP arm64 UEFI image in qemu: static address and back to DHCP', { timeout: 20 * 60_000 }, () => {
  let dir: string | undefined;
  let vm: QemuVm | undefined;
  let ssh: SshClient;
  let probe: SipReadyProbe | undefined;
  let provisioning: Provisioning;

  async function loginPrompt(v: QemuVm): Promise<number> {
    await v.console.expect(/\S+ login: *$/m, Math.max(BOOT_TIMEOUT_MS - v.secondsSinceStart() * 1000, 1));
    return v.secondsSinceStart();
  }

  /** The address, route, networkd file and DNS of the guest's wired interface. */
  async function linkState(): Promise<LinkState> {
    const iface = (await ssh.output("ip -o link show | awk -F': ' '$2 != \"lo\" {print $2; exit}'")).trim();
    assert.ok(iface, 'the guest has no interface but lo');
    const addresses = (await ssh.output(`ip -4 -o addr show dev ${iface}`))
      .trim()
      .split('\n')
      .filter(Boolean)
      // `ip -o` ends each address's first line with a backslash; the lifetimes follow it.
      .map((l) => l.replace(/^\d+:\s+\S+\s+inet\s+/, '').replace(/\\\s+/g, ' ').trim());
    const defaultRoute = (await ssh.output('ip -4 route show default')).trim();
    const status = await ssh.output(`networkctl status --no-pager ${iface}`);
    const networkFile = /Network File:\s*(\S+)/.exec(status)?.[1] ?? '';
    const dns = (await ssh.output(`resolvectl dns ${iface}`)).trim();
    return { addresses, defaultRoute, networkFile, dns };
  }

  async function sipAnswers(v: QemuVm): Promise<void> {
    probe?.stop();
    probe = await SipReadyProbe.start(v.ports.sip);
    await probe.waitForOk(120_000);
    console.log(`SIP OPTIONS over the forwarded UDP port: ${probe.firstOk ?? ''}`);
  }

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'edgesip-qemu-static-'));
      const image = await rawImage(dir);
      const key = await generateTestKey(dir);
      provisioning = { hostname: 'edgesip-static', sshAuthorizedKeys: [key.publicKey], network: STATIC, extensions: [] };
      const disk = await provisionedDisk(image, dir, 'static', provisioningFile(provisioning));
      vm = await QemuVm.create('static-address', disk.path, dir);
      vm.guestAddress = STATIC_IP;
      ssh = new SshClient(vm.ports.ssh, key, join(dir, 'known_hosts'));
      console.log(`VM ports on 127.0.0.1 → ${STATIC_IP}: ssh ${vm.ports.ssh}, sip ${vm.ports.sip}; console log ${vm.console.logFile}`);
      vm.boot();
    },
    { timeout: 10 * 60_000 },
  );

  after(async () => {
    probe?.stop();
    if (vm?.running) await vm.kill().catch((err: Error) => console.log(`teardown: ${err.message}`));
    if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`EDGESIP_KEEP_QEMU=1: kept ${dir}`);
  });

  test(`1. address = ${STATIC.address}: SSH and SIP reach the guest at ${STATIC_IP}, and only that address is on the wire`, { timeout: BOOT_TIMEOUT_MS + 300_000 }, async () => {
    assert.ok(vm?.running, 'qemu is not running');
    const v = vm;
    console.log(`static address: login prompt after ${(await loginPrompt(v)).toFixed(1)} s`);
    // The forwarded ports go to 10.0.2.77 only: a guest on DHCP (10.0.2.15) would never answer.
    await ssh.waitForSsh(120_000);
    const state = await linkState();
    console.log(`static address: ${JSON.stringify(state)}`);
    assert.deepEqual(state.addresses.map((a) => a.split(/\s+/)[0]), [STATIC.address], `IPv4 addresses: ${state.addresses.join('; ')}`);
    assert.ok(!state.addresses.some((a) => /\bdynamic\b/.test(a)), `a DHCP lease on the wired interface: ${state.addresses.join('; ')}`);
    assert.match(state.defaultRoute, new RegExp(`^default via ${STATIC.gateway.replace(/\./g, '\\.')} `), `default route: ${state.defaultRoute}`);
    assert.equal(state.networkFile, STATIC_UNIT);
    assert.match(state.dns, new RegExp(`\\b${STATIC.dns[0]!.replace(/\./g, '\\.')}\\b`), `resolvectl dns: ${state.dns}`);
    await sipAnswers(v);
  });

  test(`2. address = dhcp in edgesip.conf and a reboot: back on DHCP (${DHCP_IP}), the static unit gone`, { timeout: BOOT_TIMEOUT_MS + 420_000 }, async () => {
    assert.ok(vm?.running, 'qemu is not running');
    const v = vm;
    // A new edgesip.conf on the boot partition, as a user would put it there: applied at the next boot.
    const conf = provisioningFile({ ...provisioning, network: 'dhcp' });
    const write = await ssh.run(`printf '%s' '${conf.replace(/'/g, "'\\''")}' | sudo -n tee /boot/firmware/edgesip.conf >/dev/null && sync`);
    assert.equal(write.code, 0, `writing /boot/firmware/edgesip.conf: ${write.stderr}`);
    await v.powerOff(ssh);
    v.guestAddress = undefined;
    v.boot();
    console.log(`back to DHCP: login prompt after ${(await loginPrompt(v)).toFixed(1)} s`);
    await ssh.waitForSsh(120_000);
    const state = await linkState();
    console.log(`back to DHCP: ${JSON.stringify(state)}`);
    assert.deepEqual(state.addresses.map((a) => a.split(/\s+/)[0]), [`${DHCP_IP}/24`], `IPv4 addresses: ${state.addresses.join('; ')}`);
    assert.ok(state.addresses.every((a) => /\bdynamic\b/.test(a)), `not a DHCP lease: ${state.addresses.join('; ')}`);
    assert.notEqual(state.networkFile, STATIC_UNIT);
    assert.equal((await ssh.run(`test -e ${STATIC_UNIT}`)).code, 1, `${STATIC_UNIT} is still there`);
    await sipAnswers(v);
  });
});
