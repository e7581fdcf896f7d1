/**
 * The FXS gateway agent end to end: the real edgesip-fxs bundle on a simulated line
 * board (a pseudo-terminal), registering four lines to the real edgesipd from one
 * address and port; a call from line 1 to line 2 with audio both ways (tones detected
 * by frequency); a line with a wrong password that stops without getting the gateway
 * blocked; line noise and an unplugged adapter survived without a restart.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BlockView, CallRecord, RegistrationView } from '../../appliance/control/backend';
import { controlRequest } from '../../appliance/control/client';
import { defaultFxsConfig, type FxsConfig } from '../../appliance/fxs/config';
import { detectTone } from '../../appliance/fxs/media/goertzel';
import { sine } from '../../appliance/fxs/media/tone';
import { BoardSimulator } from '../../appliance/fxs/simulator/board-simulator';
import { openPtyPair, type PtyPair } from '../../appliance/fxs/simulator/pty-pair';
import type { FxsLineStatus, FxsStatus } from '../../appliance/fxs/status';
import { realClock } from '../../appliance/platform/real-clock';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { repoRoot } from '../helpers/paths';

const PASSWORDS: Record<string, string> = { '301': 'line-one-secret', '302': 'line-two-secret', '303': 'line-three-secret', '304': 'line-four-secret' };

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fxsStatus(dir: string): Promise<FxsStatus | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath: join(dir, 'fxs.sock'), path: '/v1/status' }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text) as FxsStatus);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

describe('edgesip-fxs with a simulated board and the real edgesipd', () => {
  let daemon: RunningDaemon;
  let dir: string;
  let agent: ChildProcess;
  let pty: PtyPair;
  let link: string;
  const agentLog: string[] = [];
  const sim = new BoardSimulator({ lines: 4, clock: realClock() });
  const control = (method: string, path: string, body?: unknown) => controlRequest(join(daemon.dataDir, 'control.sock'), method, path, body);
  const line = async (n: number): Promise<FxsLineStatus | undefined> => (await fxsStatus(dir))?.lines.find((l) => l.line === n);

  before(async () => {
    daemon = await startDaemon();
    for (const [number, password] of Object.entries(PASSWORDS)) {
      assert.equal((await control('POST', '/v1/extensions', { number, password, displayName: `Line ${number.slice(2)}` })).status, 201);
    }
    dir = mkdtempSync(join(tmpdir(), 'edgesip-fxs-'));
    link = join(dir, 'ttyFXS0');
    pty = await openPtyPair(link);
    sim.attach(pty.board);
    const rtpBase = 20000 + 2 * Math.floor(Math.random() * 10000);
    const config: FxsConfig = {
      ...defaultFxsConfig(),
      serial: { path: link, baudRate: 921600 },
      server: { host: '127.0.0.1', port: daemon.udpPort, transport: 'UDP', domain: '' },
      local: { address: '127.0.0.1', sipPort: 0, rtpPortMin: rtpBase, rtpPortMax: rtpBase + 20 },
      authFailureLimit: 2,
      dialing: { firstDigitSeconds: 10, interDigitSeconds: 3, sendKey: '#', immediate: ['3XX'] },
      lines: ['301', '302', '303', '304'].map((username, i) => ({
        line: i + 1,
        enabled: true,
        username,
        authUsername: '',
        password: username === '303' ? 'not-the-password' : PASSWORDS[username]!,
        displayName: `Line ${i + 1}`,
      })),
    };
    writeFileSync(join(dir, 'fxs.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    agent = spawn(process.execPath, [join(repoRoot(), 'dist', 'edgesip-fxs.js'), '--data-dir', dir, '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => agentLog.push(d.toString()));
    agent.stderr!.on('data', (d: Buffer) => agentLog.push(d.toString()));
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    pty?.close();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the lines register from ONE source address and port', async () => {
    await until('lines 1, 2 and 4 registered', async () => {
      const s = await fxsStatus(dir);
      return s && [1, 2, 4].every((n) => s.lines.find((l) => l.line === n)?.registration === 'registered') ? s : undefined;
    });
    const regs = (await control('GET', '/v1/registrations')).body as RegistrationView[];
    const ours = regs.filter((r) => ['301', '302', '304'].includes(r.aor));
    assert.equal(ours.length, 3, JSON.stringify(regs));
    assert.equal(new Set(ours.map((r) => r.source)).size, 1, `one source address:port for every line: ${ours.map((r) => r.source).join(', ')}`);
  });

  test('line 1 calls line 2: caller ID, ringing, audio both ways, hang-up, busy tone, a CDR', async () => {
    sim.liftHandset(1);
    await until('dial tone on line 1', () => sim.tone(1).tone === 'dial');
    await sim.dial(1, '302');
    await until('line 2 rings', () => sim.isRinging(2));
    assert.equal(sim.callerId(2)?.number, '301');
    assert.equal(sim.tone(1).tone, 'ringback');
    sim.liftHandset(2);
    await until('audio on both lines', () => sim.audio(1).on && sim.audio(2).on);
    assert.equal((await line(1))?.call, 'connected');
    assert.equal((await line(2))?.peer, '301');
    const heardOn2: Int16Array[] = [];
    const heardOn1: Int16Array[] = [];
    sim.onHeard(2, (pcm) => heardOn2.push(pcm));
    sim.onHeard(1, (pcm) => heardOn1.push(pcm));
    sim.speak(1, sine(1000));
    sim.speak(2, sine(440));
    await new Promise((r) => setTimeout(r, 1500));
    sim.stopSpeaking(1);
    sim.stopSpeaking(2);
    const join16 = (frames: Int16Array[]) => Int16Array.from(frames.slice(5).flatMap((f) => [...f]));
    const on2 = join16(heardOn2);
    const on1 = join16(heardOn1);
    assert.ok(on2.length >= 4000, `line 2 heard ${on2.length} samples`);
    assert.ok(on1.length >= 4000, `line 1 heard ${on1.length} samples`);
    assert.ok(detectTone(on2, 1000), 'line 2 hears line 1\'s 1 kHz');
    assert.ok(!detectTone(on2, 440), 'and not its own 440 Hz');
    assert.ok(detectTone(on1, 440), 'line 1 hears line 2\'s 440 Hz');
    sim.hangUp(1);
    await until('busy tone on line 2', () => sim.tone(2).tone === 'busy');
    assert.equal(sim.audio(2).on, false);
    sim.hangUp(2);
    await until('both lines idle', async () => (await line(1))?.call === 'idle' && (await line(2))?.call === 'idle');
    const cdr = await until('the call record', async () => {
      const records = (await control('GET', '/v1/cdr')).body as CallRecord[];
      return records.find((r) => r.caller === '301' && r.callee === '302');
    });
    assert.equal(cdr.disposition, 'answered');
  });

  test('line 3 (wrong password) backs off, stops as auth-failed, and never gets the gateway address blocked', async () => {
    // Line 3: refused, backs off, refused again (authFailureLimit 2) and stops. The first
    // retry waits the backoff (24-30 s).
    const three = await until('line 3 auth-failed', async () => ((await line(3))?.registration === 'auth-failed' ? line(3) : undefined), 60_000);
    assert.match(String(three?.lastError), /credentials refused 2 times/);
    const blocks = (await control('GET', '/v1/blocks')).body as BlockView[];
    assert.ok(blocks.every((b) => b.account === '303'), `never an address-wide block: ${JSON.stringify(blocks)}`);
    for (const n of [1, 2, 4]) assert.equal((await line(n))?.registration, 'registered', `line ${n} stays registered`);
  });

  test('line noise and an unplugged adapter: the agent resynchronises and reconnects without a restart', async () => {
    // Random bytes, and a frame whose CRC is wrong (an OFFHOOK that must NOT be believed).
    for (let i = 0; i < 20; i++) sim.injectNoise(randomBytes(1 + Math.floor(Math.random() * 64)));
    sim.injectNoise(Buffer.from('!9 OFFHOOK 4*0000\n'));
    for (let i = 0; i < 5; i++) sim.injectNoise(randomBytes(16));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await line(4))?.hook, 'on-hook', 'a corrupted frame is not obeyed');
    sim.liftHandset(4);
    await until('line 4 off-hook after noise', async () => (await line(4))?.hook === 'off-hook');
    sim.hangUp(4);
    await until('line 4 on-hook', async () => (await line(4))?.hook === 'on-hook');
    const before = await fxsStatus(dir);
    assert.ok((before?.board.badFrames ?? 0) > 0, 'the noise was seen and dropped');

    pty.close();
    await until('board down', async () => ((await fxsStatus(dir))?.board.state !== 'up' ? true : undefined));
    pty = await openPtyPair(link);
    sim.attach(pty.board);
    const up = await until('board up again', async () => {
      const s = await fxsStatus(dir);
      return s?.board.state === 'up' && s.board.reconnects >= 1 ? s : undefined;
    });
    assert.equal(agent.exitCode, null, 'the agent kept running');
    assert.equal(up.lines.find((l) => l.line === 1)?.registration, 'registered');
    sim.liftHandset(4);
    await until('dial tone on line 4 after the reconnection', () => sim.tone(4).tone === 'dial');
    sim.hangUp(4);
  });
});
