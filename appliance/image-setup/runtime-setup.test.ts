import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { VERSION } from '../version';
import { EXIT_FAILURE, EXIT_OK, ImageSetupError } from './context';
import { provision } from './provision';
import { composeShadow, notProvisionedText, runSetup, runtimeSetup, staticNetworkUnit } from './runtime-setup';
import { HASHES, REAL_ED25519, tempParent, testRoots, type TestRoots } from './testing/fixtures';

const parent = tempParent('edgesip-setup-');
after(() => parent.remove());

const SHADOW = ['root:*:20000:0:99999:7:::', 'daemon:*:20000:0:99999:7:::', 'admin:!:20000:0:99999:7:::', 'edgesip:!:20000::::::', ''].join('\n');
const NOW = Date.parse('2026-11-26T17:00:00.000Z');

const read = (file: string): string => readFileSync(file, 'utf8');
const modeOf = (file: string): number => statSync(file).mode & 0o7777;

/** A board of the image (shadow with a locked admin), provisioned with `conf` when given. */
async function board(conf?: string): Promise<TestRoots> {
  const t = testRoots(parent.dir);
  writeFileSync(t.ctx.paths.etcShadow, SHADOW, { mode: 0o640 });
  if (conf !== undefined) {
    writeFileSync(t.ctx.paths.provisioningFile, conf);
    assert.equal((await provision(t.ctx)).status, 'applied');
  }
  return t.reboot();
}

const SHORT_ISSUE = `EdgeSIP ${VERSION} — ssh admin@\\4 — web admin https://\\4:8443/\n\n`;

describe('setup (every boot)', () => {
  test('an unprovisioned board: default host name, DHCP, no password login, a console hint', async () => {
    const t = await board();
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    const { paths } = t.ctx;
    assert.deepEqual(t.commands.calls, [['setHostname', 'edgesip']]);
    assert.equal(existsSync(paths.staticNetwork), false);
    assert.equal(existsSync(paths.sshPasswordConf), false);
    assert.equal(existsSync(paths.shadow), false);
    assert.equal(read(paths.sudoersAdmin), 'admin ALL=(ALL:ALL) NOPASSWD: ALL\n');
    assert.equal(modeOf(paths.sudoersAdmin), 0o440);
    assert.equal(modeOf(paths.sudoersDir), 0o750);
    const hint = [
      `EdgeSIP ${VERSION}: this appliance is not provisioned.`,
      '  SSH password login is off and no SSH key is installed: nobody can log in over the network.',
      '  Put edgesip.conf on the boot partition (an example is in /boot/firmware/edgesip.conf.example,',
      '  see docs/flashing.md) and reboot.',
      `EdgeSIP ${VERSION}：此设备尚未完成初始配置。`,
      '  SSH 密码登录已关闭，且未安装任何 SSH 密钥：无法通过网络登录。',
      '  请将 edgesip.conf 放到引导分区（示例见 /boot/firmware/edgesip.conf.example，',
      '  参见 docs/flashing.md），然后重启。',
    ];
    assert.deepEqual(notProvisionedText(), hint);
    assert.equal(read(paths.consoleIssue), `${hint.join('\n')}\n\n`);
    assert.equal(modeOf(paths.consoleIssue), 0o644);
    assert.deepEqual(t.out, hint);
    assert.deepEqual(t.err, []);
  });

  test('a provisioned board: host name, static network, password login, the shadow bound over /etc/shadow', async () => {
    const t = await board(
      [`ssh_authorized_key = ${REAL_ED25519}`, `admin_password_hash = ${HASHES.sha512}`, 'hostname = pbx-office', 'address = 192.0.2.10/24', 'gateway = 192.0.2.1', 'dns = 192.0.2.53 1.1.1.1'].join('\n'),
    );
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    const { paths } = t.ctx;
    assert.deepEqual(t.commands.calls, [
      ['setHostname', 'pbx-office'],
      ['bindMount', join(t.ctx.runDir, 'edgesip', 'shadow'), join(t.ctx.etcDir, 'shadow')],
    ]);
    assert.equal(paths.staticNetwork, join(t.ctx.runDir, 'systemd', 'network', '10-edgesip-static.network'));
    assert.equal(read(paths.staticNetwork), '[Match]\nType=ether\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.53\nDNS=1.1.1.1\n');
    assert.equal(modeOf(paths.staticNetwork), 0o644);
    assert.equal(modeOf(dirname(paths.staticNetwork)) & 0o005, 0o005, 'networkd (not root) reads the directory');
    assert.equal(paths.sshPasswordConf, join(t.ctx.runDir, 'edgesip', 'sshd_config.d', 'password.conf'));
    assert.equal(read(paths.sshPasswordConf), 'PasswordAuthentication yes\n');
    assert.equal(read(paths.shadow), SHADOW.replace('admin:!:', `admin:${HASHES.sha512}:`));
    assert.equal(modeOf(paths.shadow), 0o640);
    assert.equal(read(paths.etcShadow), SHADOW, 'the image file is never written');
    assert.equal(read(paths.sudoersAdmin), 'admin ALL=(ALL:ALL) ALL\n');
    assert.equal(read(paths.consoleIssue), SHORT_ISSUE);
    assert.deepEqual(t.out, []);
  });

  test('run twice in one boot: /etc/shadow is bound only once', async () => {
    const t = await board(`admin_password_hash = ${HASHES.yescrypt}\n`);
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    // On the device /etc/shadow would now show the composed copy: a second composition
    // would read that; a second bind would stack on the first.
    writeFileSync(t.ctx.paths.etcShadow, 'changed underneath\n');
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    assert.equal(t.commands.of('bindMount').length, 1);
    assert.equal(read(t.ctx.paths.shadow), SHADOW.replace('admin:!:', `admin:${HASHES.yescrypt}:`));
  });

  test('a failed bind leaves no composed shadow behind, so the next run binds again; the other steps still run', async () => {
    const t = await board(`admin_password_hash = ${HASHES.yescrypt}\n`);
    t.commands.fail.bindMount = new ImageSetupError('EDGESIP_ERR_COMMAND', '/usr/bin/mount --bind failed: permission denied');
    assert.equal(await runSetup(t.ctx), EXIT_FAILURE);
    assert.deepEqual(t.err, ['edgesip-image-setup setup: admin password: EDGESIP_ERR_COMMAND: /usr/bin/mount --bind failed: permission denied']);
    assert.equal(existsSync(t.ctx.paths.shadow), false);
    assert.equal(read(t.ctx.paths.consoleIssue), SHORT_ISSUE);
    assert.equal(read(t.ctx.paths.sudoersAdmin), 'admin ALL=(ALL:ALL) ALL\n');
    t.commands.fail = {};
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    assert.equal(t.commands.of('bindMount').length, 1);
  });

  test('keys only: the short hint, sudo without a password, no password login', async () => {
    const t = await board(`ssh_authorized_key = ${REAL_ED25519}\n`);
    // Left over from an earlier run of this boot with other state: removed.
    mkdirSync(dirname(t.ctx.paths.sshPasswordConf), { recursive: true });
    writeFileSync(t.ctx.paths.sshPasswordConf, 'PasswordAuthentication yes\n');
    mkdirSync(dirname(t.ctx.paths.staticNetwork), { recursive: true });
    writeFileSync(t.ctx.paths.staticNetwork, 'old');
    assert.equal(await runSetup(t.ctx), EXIT_OK);
    assert.equal(existsSync(t.ctx.paths.sshPasswordConf), false);
    assert.equal(existsSync(t.ctx.paths.staticNetwork), false);
    assert.equal(read(t.ctx.paths.sudoersAdmin), 'admin ALL=(ALL:ALL) NOPASSWD: ALL\n');
    assert.equal(read(t.ctx.paths.consoleIssue), SHORT_ISSUE);
    assert.deepEqual(t.commands.of('bindMount'), []);
    assert.deepEqual(t.out, []);
  });

  test('an authorized_keys file without a key is not enough to call the board provisioned', async () => {
    const t = await board();
    mkdirSync(join(t.ctx.paths.adminHome, '.ssh'), { recursive: true });
    writeFileSync(join(t.ctx.paths.adminHome, '.ssh', 'authorized_keys'), '# no keys yet\n\n');
    const report = await runtimeSetup(t.ctx);
    assert.equal(report.provisioned, false);
    assert.match(read(t.ctx.paths.consoleIssue), /not provisioned/);
  });

  test('damaged state: reported, defaults used, every other step still done', async () => {
    const t = await board(`ssh_authorized_key = ${REAL_ED25519}\n`);
    writeFileSync(t.ctx.paths.settings, '{"hostname": ');
    writeFileSync(t.ctx.paths.adminPasswordHash, 'plaintext-password\n');
    assert.equal(await runSetup(t.ctx), EXIT_FAILURE);
    assert.deepEqual(t.err, [
      `edgesip-image-setup setup: settings: EDGESIP_ERR_IMAGE_STATE: ${t.ctx.paths.settings}: is not valid JSON`,
      `edgesip-image-setup setup: admin password: EDGESIP_ERR_IMAGE_STATE: ${t.ctx.paths.adminPasswordHash} does not hold an accepted crypt(3) hash; ignored`,
    ]);
    assert.deepEqual(t.commands.calls, [['setHostname', 'edgesip']]);
    assert.equal(read(t.ctx.paths.sudoersAdmin), 'admin ALL=(ALL:ALL) NOPASSWD: ALL\n');
    assert.equal(read(t.ctx.paths.consoleIssue), SHORT_ISSUE);
    assert.ok(!t.err.join('\n').includes('plaintext-password'));

    writeFileSync(t.ctx.paths.settings, JSON.stringify({ hostname: 'bad_name', network: { address: '192.0.2.10/24\nDNS=evil', dns: [] } }));
    writeFileSync(t.ctx.paths.adminPasswordHash, `${HASHES.sha256}\n`);
    const again = t.reboot();
    assert.equal(await runSetup(again.ctx), EXIT_FAILURE);
    assert.equal(again.err.length, 2);
    assert.match(again.err[0] as string, /hostname: EDGESIP_ERR_IMAGE_STATE: .*hostname is not a valid host name; edgesip used/);
    assert.match(again.err[1] as string, /network: EDGESIP_ERR_IMAGE_STATE: .*network is not a valid static address; DHCP used/);
    assert.deepEqual(again.commands.of('setHostname'), [['setHostname', 'edgesip']]);
    assert.equal(existsSync(t.ctx.paths.staticNetwork), false);
  });
});

describe('runtime files', () => {
  test('the networkd unit: IPv6, no gateway, several DNS servers', () => {
    assert.equal(staticNetworkUnit({ address: '2001:db8::10/64', dns: ['2001:db8::53', '192.0.2.53'] }), '[Match]\nType=ether\n\n[Network]\nAddress=2001:db8::10/64\nDNS=2001:db8::53\nDNS=192.0.2.53\n');
    assert.equal(staticNetworkUnit({ address: '192.0.2.10/24', dns: [] }), '[Match]\nType=ether\n\n[Network]\nAddress=192.0.2.10/24\n');
  });

  test('the shadow copy: only the admin line changes; a forced password change becomes today', () => {
    assert.equal(composeShadow(SHADOW, HASHES.yescrypt, NOW), SHADOW.replace('admin:!:', `admin:${HASHES.yescrypt}:`));
    const forced = SHADOW.replace('admin:!:20000:', 'admin:*:0:');
    const today = Math.floor(NOW / 86_400_000);
    assert.equal(composeShadow(forced, HASHES.yescrypt, NOW), SHADOW.replace('admin:!:20000:', `admin:${HASHES.yescrypt}:${today}:`));
    // "administrator" is another account: only "admin:" is the admin's line.
    const similar = `administrator:!:20000:0:99999:7:::\n${SHADOW}`;
    assert.equal(composeShadow(similar, HASHES.yescrypt, NOW), `administrator:!:20000:0:99999:7:::\n${SHADOW.replace('admin:!:', `admin:${HASHES.yescrypt}:`)}`);
    assert.throws(() => composeShadow('root:*:20000:0:99999:7:::\n', HASHES.yescrypt, NOW), { code: 'EDGESIP_ERR_NO_ADMIN_ACCOUNT' });
  });
});
