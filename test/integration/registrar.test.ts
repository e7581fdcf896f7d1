/**
 * The registrar and the guard against the real daemon on loopback: a multi-line FXS
 * gateway (eight good accounts and one misconfigured one, all from ONE socket or ONE
 * connection) must keep its good accounts while the bad one is blocked alone; attack
 * tools (sipvicious) learn nothing; the IP black/white list; state survives kill -9.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../appliance/config/schema';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { repoRoot } from '../helpers/paths';
import { cli, cliAsync, okTo, register } from '../helpers/registering';
import { headerOf, optionsRequest, statusOf, streamPeer, udpPeer, type Peer } from '../helpers/sip-peer';

const GOOD = ['101', '102', '103', '104', '105', '106', '107', '108'];
const BAD = '109';
const password = (n: string) => `gateway-line-${n}-secret`;

/** A data dir whose config offers MD5 first: SIPp 3.6 and sipvicious know only MD5 and read only the first challenge. */
function legacyClientDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgesipd-reg-'));
  const config = defaultConfig();
  config.sip.digestAlgorithms = ['MD5', 'SHA-256'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

/** A daemon on a legacy-client data dir with the nine lines, stopped and removed in `after`. */
function legacyClientDaemon(): { start(): Promise<RunningDaemon> } {
  let d: RunningDaemon | undefined;
  after(async () => {
    await d?.stop();
    if (d) rmSync(d.dataDir, { recursive: true, force: true });
  });
  return {
    async start() {
      d = await startDaemon({ dataDir: legacyClientDataDir() });
      addExtensions(d);
      return d;
    },
  };
}

function addExtensions(d: RunningDaemon): void {
  for (const n of [...GOOD, BAD]) {
    const r = cli(d.dataDir, 'ext', 'add', n, '--password', password(n), '--name', `Line ${n}`);
    assert.equal(r.status, 0, r.stderr);
  }
}

function blocks(d: RunningDaemon): { key: string; reason: string; count: number; account?: string }[] {
  const r = cli(d.dataDir, 'blocks', 'list', '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout || '[]');
}

function registrations(d: RunningDaemon): { aor: string; transport: string; source: string; expiresIn: number }[] {
  const r = cli(d.dataDir, 'reg', 'list', '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout || '[]');
}

/** SIPp, one socket (u1) or one connection (t1): 8 good, the 9th wrong 100 times, the 8 again (refresh). */
function sippGateway(d: RunningDaemon, transport: 'u1' | 't1'): { ok: number; failed: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  try {
    const line = (n: string, pw: string) => `${n};[authentication username=${n} password=${pw}]`;
    const rows = [...GOOD.map((n) => line(n, password(n))), ...Array.from({ length: 100 }, () => line(BAD, 'not-the-password')), ...GOOD.map((n) => line(n, password(n)))];
    writeFileSync(join(dir, 'users.csv'), `SEQUENTIAL\n${rows.join('\n')}\n`);
    const port = transport === 'u1' ? d.udpPort : d.tcpPort;
    spawnSync(
      'sipp',
      [`127.0.0.1:${port}`, '-sf', join(repoRoot(), 'test', 'interop', 'register.xml'), '-inf', join(dir, 'users.csv'), '-t', transport,
        '-m', String(rows.length), '-r', '40', '-l', '10', '-i', '127.0.0.1', '-nostdin', '-trace_screen', '-screen_file', join(dir, 'screen')],
      { timeout: 60000, stdio: 'ignore' },
    );
    const screen = readFileSync(join(dir, 'screen'), 'latin1');
    const last = (label: string) => Number(/(\d+)\s*$/.exec(screen.split('\n').filter((l) => l.includes(label)).pop()!.trim())![1]);
    return { ok: last('Successful call'), failed: last('Failed call') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const transport of ['u1', 't1'] as const) {
  describe(`an FXS gateway on one ${transport === 'u1' ? 'UDP socket' : 'TCP connection'} (SIPp)`, () => {
    const daemon = legacyClientDaemon();
    let d: RunningDaemon;
    before(async () => {
      d = await daemon.start();
    });

    test('the 8 good lines register and refresh; only (address, line 9) is blocked', async () => {
      const { ok, failed } = sippGateway(d, transport);
      await new Promise((r) => setTimeout(r, 200)); // let the daemon's log lines arrive
      assert.equal(ok, 16, 'every good REGISTER (and refresh) succeeds');
      assert.equal(failed, 100, 'every wrong-password REGISTER fails');
      const regs = registrations(d);
      assert.deepEqual([...new Set(regs.map((r) => r.aor))].sort(), GOOD);
      assert.equal(regs.length, GOOD.length, 'a refresh replaces, it does not add');
      const sources = new Set(regs.map((r) => r.source));
      assert.equal(sources.size, 1, 'all lines share one flow');
      assert.ok(regs.every((r) => r.transport === (transport === 'u1' ? 'UDP' : 'TCP') && r.expiresIn > 250));
      const list = blocks(d);
      assert.equal(list.length, 1, JSON.stringify(list));
      assert.equal(list[0]!.key, `127.0.0.1|${BAD}`);
      assert.equal(list[0]!.reason, 'wrong-password');
      assert.ok(list[0]!.count >= 95, `count ${list[0]!.count}`);
      const line = d.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith(`account ${BAD} at 127.0.0.1:`));
      assert.ok(line, 'the misconfigured device is logged as such');
    });

    test('a good line from the same address still registers while line 9 is blocked', async () => {
      const peer = transport === 'u1' ? await udpPeer(d.udpPort) : await streamPeer('TCP', d.tcpPort);
      try {
        assert.equal((await register(peer, '101', password('101'))).status, 200);
        // And line 9 with the RIGHT password is still refused while blocked (403, no challenge).
        assert.equal((await register(peer, BAD, password(BAD))).status, 403);
      } finally {
        peer.close();
      }
    });
  });
}

describe('the same gateway over ONE TLS connection (SHA-256 digest)', () => {
  let d: RunningDaemon;
  before(async () => {
    d = await startDaemon();
    addExtensions(d);
  });
  after(async () => {
    await d?.stop();
  });

  test('8 lines register, the 9th fails 100 times and is blocked alone; every line answers reg ping', async () => {
    const peer = await streamPeer('TLS', d.tlsPort);
    try {
      for (const n of GOOD) {
        const r = await register(peer, n, password(n));
        assert.equal(r.status, 200, `line ${n}`);
        assert.match(r.response!.toString('latin1'), /Contact: <sip:\d+@127\.0\.0\.1:\d+;transport=tls>;expires=300/);
      }
      for (let i = 0; i < 100; i++) assert.equal((await register(peer, BAD, 'not-the-password')).status, 403);
      for (const n of GOOD) assert.equal((await register(peer, n, password(n), { algorithm: 'SHA-256' })).status, 200, `refresh ${n}`);
      // Every line can be reached over the one connection it registered from.
      for (const n of GOOD) {
        const ping = cliAsync(d.dataDir, 'reg', 'ping', n, '--json');
        const options = await peer.next(5000);
        assert.match(options?.toString('latin1') ?? '', new RegExp(`^OPTIONS sip:${n}@127\\.0\\.0\\.1:${peer.localPort};transport=tls SIP/2\\.0`));
        peer.send(okTo(options!));
        const r = await ping;
        assert.equal(r.status, 0, r.stderr);
        const results = JSON.parse(r.stdout) as { status?: number; transport: string }[];
        assert.ok(results.some((x) => x.status === 200 && x.transport === 'TLS'), r.stdout);
      }
    } finally {
      peer.close();
    }
    const list = blocks(d);
    assert.deepEqual(list.map((b) => b.key), [`127.0.0.1|${BAD}`]);
    assert.equal(registrations(d).filter((r) => r.transport === 'TLS').length, GOOD.length);
  });

  test('a contact that does not answer makes reg ping exit 1 with a timeout', async () => {
    const peer = await udpPeer(d.udpPort);
    assert.equal((await register(peer, '106', password('106'))).status, 200);
    peer.close();
    const r = await cliAsync(d.dataDir, 'reg', 'ping', '106', '--json');
    assert.equal(r.status, 1);
    const results = JSON.parse(r.stdout) as { error?: string; transport: string }[];
    assert.ok(results.some((x) => x.transport === 'UDP' && x.error === 'timeout'), r.stdout);
  });

  test('an unknown user gets exactly the answers a known user with a wrong password gets', async () => {
    const peer = await udpPeer(d.udpPort);
    try {
      const known = await register(peer, '101', 'wrong-password');
      const unknown = await register(peer, '999', 'wrong-password');
      assert.equal(known.status, 403);
      assert.equal(unknown.status, 403);
      const shape = (b: Buffer) => b.toString('latin1').split('\r\n').map((l) => l.split(':')[0]).join('|');
      assert.equal(shape(known.response!), shape(unknown.response!));
    } finally {
      peer.close();
    }
  });
});

describe('digest algorithms set while running (edgesip settings set --digest-algorithms)', () => {
  let d: RunningDaemon;
  before(async () => {
    d = await startDaemon();
    const r = cli(d.dataDir, 'ext', 'add', '101', '--password', password('101'));
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    await d?.stop();
  });

  /** The algorithms of the WWW-Authenticate challenges to a REGISTER without credentials, in order. */
  async function challenged(peer: Peer): Promise<string[]> {
    const callId = `${Math.random().toString(16).slice(2)}@algorithms`;
    peer.send(
      `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.localPort};branch=z9hG4bK${callId.slice(0, 8)};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:101@127.0.0.1>;tag=a1\r\nTo: <sip:101@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 REGISTER\r\n` +
        `Contact: <sip:101@127.0.0.1:${peer.localPort}>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n`,
    );
    const answer = await peer.next(3000);
    assert.equal(statusOf(answer), 401, answer?.toString('latin1'));
    return answer!
      .toString('latin1')
      .split('\r\n')
      .filter((l) => /^WWW-Authenticate:/i.test(l))
      .map((l) => /algorithm=([\w-]+)/.exec(l)?.[1] ?? 'MD5');
  }

  test('the next REGISTER is challenged in the new order, without a restart', async () => {
    const peer = await udpPeer(d.udpPort);
    try {
      assert.deepEqual(await challenged(peer), ['SHA-256', 'MD5'], 'the default');
      const set = cli(d.dataDir, 'settings', 'set', '--digest-algorithms', 'MD5,SHA-256');
      assert.equal(set.status, 0, set.stderr);
      assert.doesNotMatch(set.stdout, /restart/);
      assert.deepEqual(await challenged(peer), ['MD5', 'SHA-256'], 'MD5 first, for phones that read only the first challenge');
      // A client answering the first challenge (as SIPp does) now uses MD5, and is let in.
      assert.equal((await register(peer, '101', password('101'))).status, 200);

      assert.equal(cli(d.dataDir, 'settings', 'set', '--digest-algorithms', 'SHA-256').status, 0);
      assert.deepEqual(await challenged(peer), ['SHA-256']);
      assert.equal((await register(peer, '101', password('101'))).status, 200);
      assert.deepEqual(JSON.parse(cli(d.dataDir, 'settings', 'show', '--json').stdout).sip.digestAlgorithms, ['SHA-256']);
      assert.deepEqual(JSON.parse(readFileSync(join(d.dataDir, 'config.json'), 'utf8')).sip.digestAlgorithms, ['SHA-256'], 'saved');
      assert.equal(d.child.exitCode, null, 'the same daemon all along');
    } finally {
      peer.close();
    }
  });
});

describe('attack tools and the IP black/white list', () => {
  const daemon = legacyClientDaemon();
  let d: RunningDaemon;
  before(async () => {
    d = await daemon.start();
  });

  test('svwar finds no extension', () => {
    for (const force of [[], ['--force']]) {
      const r = spawnSync('svwar', [...force, '-p', String(d.udpPort), '-e100-120', '127.0.0.1'], { encoding: 'utf8', timeout: 60000 });
      const out = r.stdout + r.stderr;
      assert.match(out, /found nothing/, out);
      assert.doesNotMatch(out, /\| 10[1-9]\s+\|/, out);
    }
  });

  test('svcrack against one extension is blocked and never finds the password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dict-'));
    try {
      // The right password sits after the block threshold in the dictionary.
      writeFileSync(join(dir, 'dict.txt'), ['123456', 'password', '101', 'admin', 'secret', 'letmein', 'qwerty', password('101')].join('\n') + '\n');
      const r = spawnSync('svcrack', ['-p', String(d.udpPort), '-u', '101', '-d', join(dir, 'dict.txt'), '127.0.0.1'], { encoding: 'utf8', timeout: 20000 });
      const out = r.stdout + r.stderr;
      assert.doesNotMatch(out, new RegExp(password('101')), 'svcrack found the password');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const list = blocks(d);
    const block = list.find((b) => b.key === '127.0.0.1|101');
    assert.ok(block, JSON.stringify(list));
    assert.equal(block.reason, 'wrong-password');
    // The rest of the address is not blocked.
    assert.ok(!list.some((b) => b.key === '127.0.0.1'));
    // An admin lifts the block; a wrong key is refused with exit code 1.
    assert.equal(cli(d.dataDir, 'blocks', 'remove', '127.0.0.1|101').status, 0);
    assert.ok(!blocks(d).some((b) => b.key === '127.0.0.1|101'));
    assert.equal(cli(d.dataDir, 'blocks', 'remove', '127.0.0.1|101').status, 1);
  });

  test('disabling an extension drops its bindings and refuses it; removing deletes its secret', async () => {
    const peer = await udpPeer(d.udpPort);
    try {
      assert.equal((await register(peer, '105', password('105'))).status, 200);
      assert.ok(registrations(d).some((r) => r.aor === '105'));
      assert.equal(cli(d.dataDir, 'ext', 'set', '105', '--disable').status, 0);
      assert.ok(!registrations(d).some((r) => r.aor === '105'));
      assert.equal((await register(peer, '105', password('105'))).status, 403);
      assert.equal(cli(d.dataDir, 'ext', 'remove', '105').status, 0);
      const secrets = JSON.parse(readFileSync(join(d.dataDir, 'secrets.json'), 'utf8'));
      assert.equal(secrets.secrets['105'], undefined);
      assert.ok(!JSON.stringify(secrets).includes(password('104')), 'cleartext on disk');
    } finally {
      peer.close();
    }
  });

  test('a black-listed address gets no answer at all', async () => {
    assert.equal(cli(d.dataDir, 'acl', 'add', 'black', '127.0.0.2/32').status, 0);
    const peer = await udpPeer(d.udpPort, { host: '127.0.0.1', bindHost: '127.0.0.2' });
    try {
      peer.send(optionsRequest(peer).replace(/127\.0\.0\.1:(\d+);branch/, '127.0.0.2:$1;branch'));
      assert.equal(await peer.next(1000), undefined);
    } finally {
      peer.close();
    }
    const other = await udpPeer(d.udpPort);
    other.send(optionsRequest(other));
    assert.equal(statusOf(await other.next()), 200, 'others are still served');
    other.close();
    assert.equal(cli(d.dataDir, 'acl', 'remove', 'black', '127.0.0.2/32').status, 0);
  });

  test('a white-listed address is never blocked by 100 wrong passwords, yet needs the right one', async () => {
    assert.equal(cli(d.dataDir, 'acl', 'add', 'white', '127.0.0.3').status, 0);
    const peer = await udpPeer(d.udpPort, { host: '127.0.0.1', bindHost: '127.0.0.3' });
    try {
      for (let i = 0; i < 100; i++) assert.equal((await register(peer, '102', 'wrong-password')).status, 403);
      assert.ok(!blocks(d).some((b) => b.key.startsWith('127.0.0.3')), 'white-listed address blocked');
      const right = await register(peer, '102', password('102'));
      assert.equal(right.status, 200);
      assert.match(headerOf(right.response!, 'Contact') ?? '', /sip:102@/);
    } finally {
      peer.close();
    }
    const acl = JSON.parse(cli(d.dataDir, 'acl', 'list', '--json').stdout);
    assert.deepEqual(acl.white, ['127.0.0.3']);
  });
});

describe('power loss', () => {
  test('kill -9 under registration load: bindings and blocks come back and the files parse', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgesipd-kill-'));
    try {
      const d = await startDaemon({ dataDir });
      addExtensions(d);
      const peer = await udpPeer(d.udpPort);
      for (const n of GOOD) assert.equal((await register(peer, n, password(n), { expires: 600 })).status, 200);
      for (let i = 0; i < 6; i++) await register(peer, BAD, 'not-the-password');
      // Keep registering while the daemon is killed.
      const load = (async () => {
        for (let i = 0; i < 200; i++) await register(peer, GOOD[i % GOOD.length]!, password(GOOD[i % GOOD.length]!), { expires: 600 }).catch(() => undefined);
      })();
      await new Promise((r) => setTimeout(r, 1500)); // past the 1 s snapshot debounce
      d.child.kill('SIGKILL');
      await d.stop();
      await load;
      peer.close();
      for (const file of ['config.json', 'secrets.json', 'registrations.json', 'blocks.json']) {
        assert.doesNotThrow(() => JSON.parse(readFileSync(join(dataDir, file), 'utf8')), `${file} does not parse`);
      }
      const again = await startDaemon({ dataDir });
      try {
        const regs = registrations(again);
        assert.deepEqual([...new Set(regs.map((r) => r.aor))].sort(), GOOD);
        assert.ok(regs.every((r) => r.expiresIn > 500 && r.expiresIn <= 600), 'they still expire on time');
        assert.deepEqual(blocks(again).map((b) => b.key), [`127.0.0.1|${BAD}`]);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('control socket', () => {
  test('is created 0660 and refuses bad input naming the field', async () => {
    const d = await startDaemon();
    try {
      const mode = statSync(join(d.dataDir, 'control.sock')).mode & 0o777;
      assert.equal(mode, 0o660);
      assert.equal(mode & 0o007, 0, 'others have no access');
      const r = cli(d.dataDir, 'ext', 'add', '200', '--password', 'short');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /password/);
      const j = spawn(process.execPath, [join(repoRoot(), 'dist', 'edgesip.js'), '--data-dir', d.dataDir, 'ext', 'list', '--json']);
      let out = '';
      j.stdout.on('data', (b: Buffer) => (out += b));
      await new Promise((res) => j.on('exit', res));
      assert.deepEqual(JSON.parse(out || '[]'), []);
    } finally {
      await d.stop();
    }
  });

  // The appliance's SSH admin is in group edgesip and runs edgesip without sudo.
  test("a member of the socket's group may use edgesip; anyone else is told to join the group or use sudo", { skip: canSwitchUser() ? false : 'needs root that may switch user' }, async () => {
    const d = await startDaemon();
    try {
      const socket = join(d.dataDir, 'control.sock');
      // Traversable by all, so that only the socket's own mode decides.
      chmodSync(d.dataDir, 0o711);
      chownSync(socket, 0, SERVICE_GID);
      const asNobody = (gid: number, lang: string) =>
        spawnSync(process.execPath, [join(repoRoot(), 'dist', 'edgesip.js'), '--data-dir', d.dataDir, 'status', '--json'], { uid: NOBODY, gid, encoding: 'utf8', timeout: 15000, env: { ...process.env, LANG: lang } });

      const member = asNobody(SERVICE_GID, 'C');
      assert.equal(member.status, 0, member.stderr);
      assert.equal(typeof JSON.parse(member.stdout).version, 'string');

      const other = asNobody(NOBODY, 'C');
      assert.equal(other.status, 1);
      assert.match(other.stderr, /permission denied on .*control\.sock: join group edgesip \(then log in again\) or use sudo/);
      const otherZh = asNobody(NOBODY, 'zh_CN.UTF-8');
      assert.equal(otherZh.status, 1);
      assert.match(otherZh.stderr, /无权访问 .*control\.sock：请加入 edgesip 组（之后重新登录）或使用 sudo/);
    } finally {
      await d.stop();
    }
  });
});

/** nobody/nogroup, and a group id standing for the service account's group. */
const NOBODY = 65534;
const SERVICE_GID = 64999;

/** True when this process may run children as another user (root, not in a user namespace). */
/** Root that may become nobody, and nobody may run this node and read the CLI (a clone under a private home may not be readable). */
function canSwitchUser(): boolean {
  if (process.getuid?.() !== 0) return false;
  const cli = join(repoRoot(), 'dist', 'edgesip.js');
  return spawnSync(process.execPath, [cli, '--version'], { uid: NOBODY, gid: NOBODY, stdio: 'ignore' }).status === 0;
}
