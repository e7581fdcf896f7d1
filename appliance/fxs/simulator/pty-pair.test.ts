/**
 * The pty pair with the real serialport package on the slave side, as the agent uses
 * it: every byte value must cross unchanged both ways, and closing and reopening the
 * pair on the same link path must look like an unplug and a replug.
 */
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { realClock } from '../../platform/real-clock';
import { openSerialStream } from '../../platform/serial-port-stream';
import { BoardConnection } from '../serial/board-connection';
import type { BoardEvent, BoardHello } from '../serial/messages';
import { BoardSimulator } from './board-simulator';
import { openPtyPair, type PtyPair } from './pty-pair';

const dirs: string[] = [];
const toClose: Array<{ close(): void }> = [];
after(async () => {
  for (const c of toClose) c.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function linkPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgesip-pty-'));
  dirs.push(dir);
  return join(dir, 'ttyFXS0');
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}


test('the link path is a symlink to the slave; every byte value crosses unchanged both ways', async () => {
  const path = await linkPath();
  const pty = await openPtyPair(path);
  toClose.push(pty);
  assert.equal(pty.path, path);
  assert.ok((await lstat(path)).isSymbolicLink());
  assert.match(await readlink(path), /^\/dev\/pts\/\d+$/);
  assert.equal(await readlink(path), pty.slavePath);

  const agent = await openSerialStream(path, 115200);
  toClose.push(agent);
  const atAgent: Buffer[] = [];
  const atBoard: Buffer[] = [];
  agent.onData((d) => atAgent.push(d));
  pty.board.onData((d) => atBoard.push(d));
  // Every value, including ^C, ^D, ^Q/^S, ^Z, CR, DEL and 0xFF, several times over.
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const reversed = Buffer.from(all).reverse();
  const sent = Buffer.concat([all, reversed, all, all.subarray(0, 100)]);
  agent.write(sent);
  pty.board.write(sent);
  await until('both directions', () => Buffer.concat(atAgent).length >= sent.length && Buffer.concat(atBoard).length >= sent.length);
  await new Promise((r) => setTimeout(r, 50)); // nothing extra (an echo, a translation) may follow
  assert.ok(Buffer.concat(atBoard).equals(sent), 'agent → board');
  assert.ok(Buffer.concat(atAgent).equals(sent), 'board → agent');
  assert.equal(pty.droppedBytes(), 0);

  agent.close();
  pty.close();
  // As udev removes /dev/serial/by-id/… on an unplug.
  for (let i = 0; i < 100 && (await lstat(path).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 5));
  await assert.rejects(lstat(path), { code: 'ENOENT' });
});

test('BoardConnection over a real SerialPort on the pty: up, events, commands, audio; close and reopen the pty: up again', async () => {
  const path = await linkPath();
  const clock = realClock();
  const sim = new BoardSimulator({ lines: 2, clock });
  let pty: PtyPair = await openPtyPair(path);
  sim.attach(pty.board);
  const conn = new BoardConnection({ open: () => openSerialStream(path, 115200), clock, logger: { info: () => undefined, warn: () => undefined }, reconnectMs: 100 });
  toClose.push(conn, { close: () => pty.close() });
  const ups: BoardHello[] = [];
  const downs: string[] = [];
  const events: BoardEvent[] = [];
  const audio: Buffer[] = [];
  conn.onUp((h) => ups.push(h));
  conn.onDown((r) => downs.push(r));
  conn.onEvent((e) => events.push(e));
  conn.onAudio((_line, _codec, payload) => audio.push(payload));
  conn.start();
  await until('up', () => conn.state === 'up');
  assert.deepEqual(ups[0]?.offHook, [false, false]);

  await conn.send({ kind: 'ring', line: 1, cadenceMs: [1000, 4000] });
  assert.equal(sim.isRinging(1), true);
  sim.liftHandset(1);
  await until('ring trip', () => events.length === 1);
  assert.deepEqual(events, [{ kind: 'ring-trip', line: 1 }]);

  // Audio frames carry every byte value; a few each way.
  const heard: Int16Array[] = [];
  sim.onHeard(1, (pcm) => heard.push(pcm));
  await conn.send({ kind: 'audio', line: 1, on: true, codec: 'pcmu' });
  const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff));
  for (let i = 0; i < 5; i++) conn.sendAudio(1, 'pcmu', payload);
  sim.speak(1, (n) => new Int16Array(n).fill(1000));
  await until('audio both ways', () => heard.length >= 5 && audio.length >= 5);
  sim.stopSpeaking(1);
  assert.ok(audio.every((a) => a.length === 160));

  // Unplug: the pty goes away; the connection notices, and retries until it is back.
  pty.close();
  await until('down', () => conn.state !== 'up');
  assert.equal(downs.length, 1);
  sim.hangUp(1);
  await new Promise((r) => setTimeout(r, 300)); // a few failed reopen attempts
  pty = await openPtyPair(path);
  sim.attach(pty.board);
  await until('up again', () => conn.state === 'up' && ups.length === 2);
  assert.deepEqual(ups[1]?.offHook, [false, false]);
  assert.equal(sim.isRinging(1), false);
  sim.liftHandset(2);
  await until('event after the reconnection', () => events.length === 2);
  assert.deepEqual(events[1], { kind: 'off-hook', line: 2 });
  assert.equal(conn.stats().badFrames, 0);
  conn.close();
  pty.close();
});
