import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXIT_OK, EXIT_PROVISIONING_REFUSED } from './context';
import { provision, PROVISION_STEPS, runProvision, type ProvisionStep } from './provision';
import { HASHES, REAL_ECDSA, REAL_ED25519, sshKey, tempParent, testRoots, type TestRoots } from './testing/fixtures';

const parent = tempParent('edgesip-provision-');
after(() => parent.remove());

const FULL = [
  '# EdgeSIP provisioning for the office',
  'hostname = pbx-office',
  `ssh_authorized_key = ${REAL_ED25519}`,
  `ssh_authorized_key = ${REAL_ECDSA}`,
  `admin_password_hash = ${HASHES.yescrypt}`,
  'address = 192.0.2.10/24',
  'gateway = 192.0.2.1',
  'dns = 192.0.2.53, 1.1.1.1',
  'edgesip_admin_password = correct horse battery',
  '',
  'extension = 301 Vq7-tgh2-Lm9x Front desk',
  'extension = 302 Kd4-pp8w-Ze3n',
  '',
].join('\n');

const SCRUBBED_FULL = [
  '# EdgeSIP provisioning for the office',
  'hostname = pbx-office',
  `ssh_authorized_key = ${REAL_ED25519}`,
  `ssh_authorized_key = ${REAL_ECDSA}`,
  '# admin_password_hash: applied 2026-11-26T17:00:00Z, hash removed',
  'address = 192.0.2.10/24',
  'gateway = 192.0.2.1',
  'dns = 192.0.2.53, 1.1.1.1',
  '# edgesip_admin_password: applied 2026-11-26T17:00:00Z, password removed',
  '',
  '# extension 301 "Front desk": applied 2026-11-26T17:00:00Z, password removed',
  '# extension 302: applied 2026-11-26T17:00:00Z, password removed',
  '',
].join('\n');

const SECRETS = [HASHES.yescrypt, 'correct horse battery', 'Vq7-tgh2-Lm9x', 'Kd4-pp8w-Ze3n'];

/** A fresh board: an image's /etc/skel, no admin home yet, edgesip.conf on the boot partition. */
function board(conf?: string | Buffer): TestRoots {
  const t = testRoots(parent.dir);
  mkdirSync(join(t.ctx.etcDir, 'skel', '.config'), { recursive: true });
  writeFileSync(join(t.ctx.etcDir, 'skel', '.bashrc'), '# bashrc\n', { mode: 0o644 });
  writeFileSync(join(t.ctx.etcDir, 'skel', '.config', 'x.conf'), 'x\n', { mode: 0o600 });
  if (conf !== undefined) writeFileSync(t.ctx.paths.provisioningFile, conf);
  return t;
}

const read = (file: string): string => readFileSync(file, 'utf8');
const modeOf = (file: string): number => statSync(file).mode & 0o7777;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Every file and dir under the roots with its mode and content: the whole board's state. */
function snapshot(t: TestRoots): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const key = relative(t.root, p);
      if (e.isDirectory()) {
        out[`${key}/`] = modeOf(p).toString(8);
        walk(p);
      } else out[key] = `${modeOf(p).toString(8)} ${read(p)}`;
    }
  };
  walk(t.root);
  return out;
}

describe('provision', () => {
  test('no edgesip.conf: nothing is written', async () => {
    const t = board();
    assert.equal(await runProvision(t.ctx), EXIT_OK);
    assert.deepEqual(t.out, ['no edgesip.conf on the boot partition: nothing to provision']);
    assert.equal(existsSync(t.ctx.paths.stateDir), false);
    assert.deepEqual(t.commands.calls, []);
  });

  test('a full file: state, keys, pending items, then the scrub and its sha256', async () => {
    const t = board(FULL);
    assert.equal(await runProvision(t.ctx), EXIT_OK);
    const { paths } = t.ctx;

    assert.equal(modeOf(paths.stateDir), 0o700);
    assert.deepEqual(JSON.parse(read(paths.settings)), {
      hostname: 'pbx-office',
      network: { address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '1.1.1.1'] },
    });
    assert.equal(read(paths.adminPasswordHash), `${HASHES.yescrypt}\n`);
    assert.equal(modeOf(paths.adminPasswordHash), 0o600);

    const home = paths.adminHome;
    const keys = join(home, '.ssh', 'authorized_keys');
    assert.equal(read(keys), `${REAL_ED25519}\n${REAL_ECDSA}\n`);
    assert.equal(modeOf(home), 0o700);
    assert.equal(modeOf(join(home, '.ssh')), 0o700);
    assert.equal(modeOf(keys), 0o600);
    assert.equal(read(join(home, '.bashrc')), '# bashrc\n');
    assert.equal(read(join(home, '.config', 'x.conf')), 'x\n');
    assert.equal(modeOf(join(home, '.config', 'x.conf')), 0o600);
    assert.deepEqual(readdirSync(t.ctx.homeDir), ['admin'], 'no temporary home left');
    // Everything in the home is the admin's (the copy was made under a temp name, then renamed).
    const owned = new Set(t.commands.of('chown').map((c) => relative(t.ctx.homeDir, c[1] as string).replace(/^\.admin\.edgesip-new/, 'admin')));
    for (const p of ['admin', 'admin/.bashrc', 'admin/.config', 'admin/.config/x.conf', 'admin/.ssh', 'admin/.ssh/authorized_keys']) assert.ok(owned.has(p), `${p} chowned`);
    assert.ok(t.commands.of('chown').every((c) => c[2] === 'admin'));

    assert.deepEqual(JSON.parse(read(paths.pbxPending)), {
      edgesipAdminPassword: 'correct horse battery',
      extensions: [
        { number: '301', password: 'Vq7-tgh2-Lm9x', name: 'Front desk' },
        { number: '302', password: 'Kd4-pp8w-Ze3n' },
      ],
    });
    assert.equal(modeOf(paths.pbxPending), 0o600);

    assert.equal(read(paths.provisioningFile), SCRUBBED_FULL);
    assert.equal(read(paths.appliedSha256), `${sha256(SCRUBBED_FULL)}\n`);
    assert.deepEqual(readdirSync(t.ctx.bootDir), ['edgesip.conf'], 'no temp file left on the boot partition');

    assert.deepEqual(t.out, [
      'provisioned: 2 SSH keys for admin, login password for admin, hostname pbx-office, static address 192.0.2.10/24, web admin password pending for edgesipd, 2 extensions pending for edgesipd',
      '已配置：admin 的 2 个 SSH 密钥，admin 的登录密码，主机名 pbx-office，静态地址 192.0.2.10/24，Web 管理密码待 edgesipd 设置，2 个分机待 edgesipd 设置',
    ]);
    assert.deepEqual(t.err, []);
    for (const s of SECRETS) assert.ok(!t.out.join('\n').includes(s));
  });

  test('the summary of the brief\'s example', async () => {
    const t = board(`hostname = pbx-office\nssh_authorized_key = ${REAL_ED25519}\naddress = 192.0.2.10/24\nextension = 301 Vq7-tgh2-Lm9x\nextension = 302 Kd4-pp8w-Ze3n\n`);
    assert.equal(await runProvision(t.ctx), EXIT_OK);
    assert.deepEqual(t.out[0], 'provisioned: 1 SSH key for admin, hostname pbx-office, static address 192.0.2.10/24, 2 extensions pending for edgesipd');
  });

  test('the same file next boot: its sha256 matches, nothing is written', async () => {
    const t = board(FULL);
    await provision(t.ctx);
    rmSync(t.ctx.paths.pbxPending); // as if edgesipd took it
    const before = snapshot(t);
    const next = t.reboot();
    assert.equal(await runProvision(next.ctx), EXIT_OK);
    assert.deepEqual(next.out, ['edgesip.conf was applied before and has not changed since: nothing to provision']);
    assert.deepEqual(snapshot(t), before);
    assert.deepEqual(next.commands.calls, []);
  });

  test('applying the same file twice is harmless: keys not doubled, pending merged', async () => {
    const t = board(FULL);
    await provision(t.ctx);
    const once = snapshot(t);
    // The original file again (as if the scrub had never happened), applied a second time.
    writeFileSync(t.ctx.paths.provisioningFile, FULL);
    rmSync(t.ctx.paths.appliedSha256);
    assert.equal((await provision(t.reboot().ctx)).status, 'applied');
    assert.deepEqual(snapshot(t), once);
  });

  test('an edited file is applied again: a key added later, a new host name; absent keys keep their values', async () => {
    const t = board(FULL);
    await provision(t.ctx);
    rmSync(t.ctx.paths.pbxPending);
    const edited = read(t.ctx.paths.provisioningFile)
      .replace('hostname = pbx-office', 'hostname = pbx-branch')
      .replace(/^address.*\n|^gateway.*\n|^dns.*\n/gm, '')
      .concat(`ssh_authorized_key = ${sshKey('ssh-rsa', 7, 'carol@desktop')}\n`);
    writeFileSync(t.ctx.paths.provisioningFile, edited);
    const next = t.reboot();
    assert.equal(await runProvision(next.ctx), EXIT_OK);
    assert.deepEqual(next.out[0], 'provisioned: 3 SSH keys for admin (2 already there), hostname pbx-branch');
    assert.deepEqual(JSON.parse(read(t.ctx.paths.settings)), {
      hostname: 'pbx-branch',
      network: { address: '192.0.2.10/24', gateway: '192.0.2.1', dns: ['192.0.2.53', '1.1.1.1'] },
    });
    assert.equal(read(join(t.ctx.paths.adminHome, '.ssh', 'authorized_keys')), `${REAL_ED25519}\n${REAL_ECDSA}\n${sshKey('ssh-rsa', 7, 'carol@desktop')}\n`);
    assert.equal(read(t.ctx.paths.provisioningFile), edited, 'no secret line: not rewritten');
    assert.equal(read(t.ctx.paths.appliedSha256), `${sha256(edited)}\n`);
    assert.equal(existsSync(t.ctx.paths.pbxPending), false);
  });

  test('address = dhcp drops the static address', async () => {
    const t = board('address = 192.0.2.10/24\nhostname = a\n');
    await provision(t.ctx);
    writeFileSync(t.ctx.paths.provisioningFile, 'address = dhcp\n');
    const next = t.reboot();
    await runProvision(next.ctx);
    assert.deepEqual(JSON.parse(read(t.ctx.paths.settings)), { hostname: 'a' });
    assert.deepEqual(next.out[0], 'provisioned: address by DHCP');
  });

  test('pending items merge with those edgesipd has not taken yet', async () => {
    const t = board('edgesip_admin_password = first-long-password\nextension = 301 Old-pass-1234 Old name\nextension = 303 Kd4-pp8w-Ze3x\n');
    await provision(t.ctx);
    writeFileSync(t.ctx.paths.provisioningFile, 'extension = 301 New-pass-5678 New name\nextension = 302 Kd4-pp8w-Ze3n\n');
    await provision(t.reboot().ctx);
    assert.deepEqual(JSON.parse(read(t.ctx.paths.pbxPending)), {
      edgesipAdminPassword: 'first-long-password',
      extensions: [
        { number: '301', password: 'New-pass-5678', name: 'New name' },
        { number: '303', password: 'Kd4-pp8w-Ze3x' },
        { number: '302', password: 'Kd4-pp8w-Ze3n' },
      ],
    });
  });

  test('an existing home and authorized_keys: kept, the new key appended once', async () => {
    const t = board(`ssh_authorized_key = ${REAL_ED25519.replace('alice@laptop', 'another comment')}\nssh_authorized_key = ${REAL_ECDSA}\n`);
    const ssh = join(t.ctx.paths.adminHome, '.ssh');
    mkdirSync(ssh, { recursive: true, mode: 0o755 });
    writeFileSync(join(t.ctx.paths.adminHome, 'notes.txt'), 'mine\n');
    const existing = `# my keys\nfrom="192.0.2.0/24",no-pty ${REAL_ED25519}`; // no final newline
    writeFileSync(join(ssh, 'authorized_keys'), existing, { mode: 0o644 });
    await runProvision(t.ctx);
    assert.equal(read(join(ssh, 'authorized_keys')), `${existing}\n${REAL_ECDSA}\n`);
    assert.equal(modeOf(ssh), 0o700);
    assert.equal(modeOf(join(ssh, 'authorized_keys')), 0o600);
    assert.equal(read(join(t.ctx.paths.adminHome, 'notes.txt')), 'mine\n');
    assert.equal(existsSync(join(t.ctx.paths.adminHome, '.bashrc')), false, 'skel only for a new home');
    assert.deepEqual(t.out[0], 'provisioned: 2 SSH keys for admin (1 already there)');
  });

  test('a refused file: nothing applied, the file left as it is, problems on stderr and above the login prompt', async () => {
    const bad = `hostname = pbx_office\r\nedgesip_admin_password = short-pw\r\naddress = 10.0.0.5\r\n`;
    const t = board(bad);
    assert.equal(await runProvision(t.ctx), EXIT_PROVISIONING_REFUSED);
    assert.equal(read(t.ctx.paths.provisioningFile), bad);
    assert.equal(existsSync(t.ctx.paths.stateDir), false);
    assert.equal(existsSync(t.ctx.paths.adminHome), false);
    const expected = [
      'EdgeSIP: edgesip.conf on the boot partition was refused (3 problems); nothing in it was applied.',
      'EdgeSIP：引导分区上的 edgesip.conf 被拒绝（3 个问题），其中的设置均未生效。',
      'edgesip.conf line 1 (hostname): "pbx_office" may contain only letters a-z, digits 0-9, hyphens and dots, e.g. pbx-office',
      'edgesip.conf 第 1 行（hostname）："pbx_office" 只能包含字母 a-z、数字 0-9、连字符和点，例如 pbx-office',
      'edgesip.conf line 2 (edgesip_admin_password): (value hidden) is too short: at least 12 characters',
      'edgesip.conf 第 2 行（edgesip_admin_password）：（值已隐藏）太短：至少需要 12 个字符',
      'edgesip.conf line 3 (address): "10.0.0.5" needs a prefix length, e.g. 10.0.0.5/24',
      'edgesip.conf 第 3 行（address）："10.0.0.5" 缺少前缀长度，例如 10.0.0.5/24',
      'Fix these lines in edgesip.conf (on the boot partition) and reboot.',
      '请修改引导分区上 edgesip.conf 中的以上各行，然后重启。',
    ];
    assert.deepEqual(t.err, [...expected, '(EDGESIP_ERR_PROVISIONING_FILE; the same text is shown above the console login prompt)']);
    assert.equal(read(t.ctx.paths.provisioningIssue), `${expected.join('\n')}\n\n`);
    assert.equal(modeOf(t.ctx.paths.provisioningIssue), 0o644);
    assert.ok(!t.err.join('\n').includes('short-pw'));

    // Fixed and run again: applied, and the console message is gone.
    writeFileSync(t.ctx.paths.provisioningFile, 'hostname = pbx-office\r\n');
    const next = t.reboot();
    assert.equal(await runProvision(next.ctx), EXIT_OK);
    assert.equal(existsSync(t.ctx.paths.provisioningIssue), false);
  });

  describe('a power cut between any two steps: the next boot finishes the job', () => {
    const reference = (async () => {
      const t = board(FULL);
      await provision(t.ctx);
      return snapshot(t);
    })();

    for (const step of PROVISION_STEPS) {
      test(`cut after ${step}`, async () => {
        const t = board(FULL);
        const cut = new Error(`power cut after ${step}`);
        const ran: ProvisionStep[] = [];
        await assert.rejects(
          provision(t.ctx, {
            afterStep: (s) => {
              ran.push(s);
              if (s === step) throw cut;
            },
          }),
          cut,
        );
        assert.equal(ran.at(-1), step);
        const result = await provision(t.reboot().ctx);
        assert.equal(result.status, step === 'applied-sha256' ? 'already-applied' : 'applied');
        assert.deepEqual(snapshot(t), await reference);
      });
    }
  });
});
