import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { realClock } from '../../platform/real-clock';
import { openSerialStream } from '../../platform/serial-port-stream';
import { BoardConnection } from '../serial/board-connection';
import { parseStep, runSimulate } from './simulate-command';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgesip-sim-'));
  dirs.push(dir);
  return dir;
}

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, stdin: new PassThrough() },
  };
}

test('script lines: each command and its arguments, comments and blanks', () => {
  assert.deepEqual(parseStep('  dial 1 202#  ', 2), { step: { kind: 'dial', line: 1, digits: '202#', gapMs: undefined } });
  assert.deepEqual(parseStep('dial 1 #', 2), { step: { kind: 'dial', line: 1, digits: '#', gapMs: undefined } });
  assert.deepEqual(parseStep('  # a comment', 2), {});
  assert.deepEqual(parseStep('dial 2 1 80', 2), { step: { kind: 'dial', line: 2, digits: '1', gapMs: 80 } });
  assert.deepEqual(parseStep('expect-heard 2 440 3000', 2), { step: { kind: 'expect-heard', line: 2, hz: 440, ms: 3000 } });
  assert.deepEqual(parseStep('expect-tone 1 busy 500', 2), { step: { kind: 'expect-tone', line: 1, tone: 'busy', ms: 500 } });
  assert.deepEqual(parseStep('reopen', 2), { step: { kind: 'reopen', ms: 500 } });
  assert.deepEqual(parseStep('# nothing', 2), {});
  assert.deepEqual(parseStep('', 2), {});
  for (const [line, problem] of [
    ['lift 3', 'lift: the line must be an integer in 1..2, got 3'],
    ['lift', 'lift takes 1 argument'],
    ['dial 1 12x', 'dial: digits are 0-9 * # A-D, got 12x'],
    ['expect-tone 1 howl 100', 'expect-tone: the tone is one of dial, busy, ringback, congestion, off, got howl'],
    ['jump 1', 'unknown command: jump'],
    ['wait -1', 'wait: the time (ms) must be an integer in 0..3600000, got -1'],
  ]) {
    assert.equal(parseStep(line!, 2).problem, problem, line);
  }
});

test('usage errors: exit 2 with the reason; a bad script is refused whole, every problem with its line', async () => {
  const a = captured();
  assert.equal(await runSimulate(['--lines', '2'], a.io), 2);
  assert.match(a.err.join(''), /--link PATH is required/);
  const b = captured();
  assert.equal(await runSimulate(['--lines', '0', '--link', '/tmp/x'], b.io), 2);
  const c = captured();
  assert.equal(await runSimulate(['--bogus'], c.io), 2);
  const dir = await tempDir();
  const script = join(dir, 'bad.txt');
  await writeFile(script, 'lift 1\nlift 9\nwait 10\nfly 1\n');
  const d = captured();
  assert.equal(await runSimulate(['--lines', '2', '--link', join(dir, 'tty'), '--script', script], d.io), 2);
  assert.equal(d.err.join(''), `${script}:2: lift: the line must be an integer in 1..2, got 9\n${script}:4: unknown command: fly\n`);
});

/**
 * A tiny agent over the real serial port: dial tone on off-hook, "202" rings line 2 with
 * caller ID 201, answering connects the audio of lines 1 and 2 both ways.
 */
function miniAgent(path: string): BoardConnection {
  const conn = new BoardConnection({ open: () => openSerialStream(path, 115200), clock: realClock(), logger: { info: () => undefined, warn: () => undefined }, reconnectMs: 50 });
  let dialled = '';
  const send = (cmd: Parameters<BoardConnection['send']>[0]) => void conn.send(cmd).catch(() => undefined);
  conn.onUp((hello) => {
    dialled = '';
    hello.offHook.forEach((off, i) => off && send({ kind: 'tone', line: i + 1, tone: 'dial', country: 'cn' }));
  });
  conn.onEvent((e) => {
    if (e.kind === 'off-hook' && e.line === 1) send({ kind: 'tone', line: 1, tone: 'dial', country: 'cn' });
    if (e.kind === 'digit' && e.line === 1) {
      dialled += e.digit;
      send({ kind: 'tone', line: 1, tone: 'off', country: 'cn' });
      if (dialled === '202') {
        send({ kind: 'ring', line: 2, cadenceMs: [1000, 4000] });
        send({ kind: 'caller-id', line: 2, mode: 'fsk', number: '201', name: 'Line One' });
        send({ kind: 'tone', line: 1, tone: 'ringback', country: 'cn' });
      }
    }
    if (e.kind === 'ring-trip' && e.line === 2) {
      send({ kind: 'tone', line: 1, tone: 'off', country: 'cn' });
      send({ kind: 'audio', line: 1, on: true, codec: 'pcmu' });
      send({ kind: 'audio', line: 2, on: true, codec: 'pcmu' });
    }
  });
  conn.onAudio((line, codec, payload) => conn.sendAudio(line === 1 ? 2 : 1, codec, payload));
  return conn;
}


test('a script against a live agent over the pty: dial, ring, caller ID, audio both ways, noise, reopen', async () => {
  const dir = await tempDir();
  const link = join(dir, 'ttyFXS0');
  const script = join(dir, 'call.txt');
  await writeFile(
    script,
    [
      '# line 1 calls line 2',
      'lift 1',
      'expect-tone 1 dial 5000',
      'dial 1 202 60',
      'expect-ring 2 3000',
      'expect-cid 2 201 1000',
      'expect-tone 1 ringback 1000',
      'lift 2',
      'tone 1 440',
      'tone 2 1000',
      'expect-heard 2 440 3000',
      'expect-heard 1 1000 3000',
      'noise 64',
      'expect-heard 2 440 3000',
      'silence 1',
      'silence 2',
      'hangup 1',
      'hangup 2',
      '# unplug and replug: the agent reconnects and gives dial tone again',
      'reopen 300',
      'lift 1',
      'expect-tone 1 dial 5000',
      '',
    ].join('\n'),
  );
  const c = captured();
  const agent = miniAgent(link);
  agent.start();
  try {
    const code = await runSimulate(['--lines', '2', '--link', link, '--script', script], c.io);
    assert.equal(code, 0, c.err.join(''));
  } finally {
    agent.close();
  }
  const out = c.out.join('');
  assert.match(out, new RegExp(`board with 2 lines on ${link} -> /dev/pts/\\d+`));
  assert.match(out, /line 2 {2}ring-trip/);
  assert.match(out, /line 1 {2}digit 2/);
  assert.match(out, /board +noise 64 bytes/);
  assert.match(out, /script done/);
  assert.equal(c.err.join(''), '');
});

test('an expectation not met: exit 1 and the reason', async () => {
  const dir = await tempDir();
  const script = join(dir, 'fail.txt');
  await writeFile(script, 'expect-ring 1 100\n');
  const c = captured();
  assert.equal(await runSimulate(['--lines', '1', '--link', join(dir, 'tty'), '--script', script], c.io), 1);
  assert.equal(c.err.join(''), 'FAIL line 1 did not ring within 100 ms\n');
});

test('interactive: commands from stdin, events printed, bad lines reported, quit ends', async () => {
  const dir = await tempDir();
  const c = captured();
  const run = runSimulate(['--lines', '2', '--link', join(dir, 'tty')], c.io);
  c.io.stdin.write('lift 1\nfly away\nflash 1\n');
  c.io.stdin.write('quit\n');
  assert.equal(await run, 0);
  const out = c.out.join('');
  assert.match(out, /line 1 {2}off-hook/);
  assert.match(out, /line 1 {2}flash/);
  assert.equal(c.err.join(''), 'unknown command: fly\n');
});
