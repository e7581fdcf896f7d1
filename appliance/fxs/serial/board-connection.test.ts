import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { BoardSimulator } from '../simulator/board-simulator';
import { BoardConnection } from './board-connection';
import { FxsLinkError } from './link-errors';
import type { BoardEvent, BoardHello } from './messages';
import { streamPair, type StreamPair } from './testing/stream-pair';

const settle = () => new Promise<void>((r) => setImmediate(r));

function captureLogger() {
  const lines: Array<{ level: 'info' | 'warn'; msg: string; o: object }> = [];
  return {
    lines,
    logger: {
      info: (o: object, msg: string) => void lines.push({ level: 'info', msg, o }),
      warn: (o: object, msg: string) => void lines.push({ level: 'warn', msg, o }),
    },
  };
}

/**
 * A connection whose open() hands out a fresh in-memory pair each time, with the board
 * simulator attached to the other end, unless `plugged` is false (then open() fails as
 * for a missing /dev/ttyUSB0) or `deaf` is true (nothing answers).
 */
function setup(opts: { reconnectMs?: number } = {}) {
  const clock = new VirtualClock();
  const sim = new BoardSimulator({ lines: 2, clock });
  const log = captureLogger();
  const pairs: StreamPair[] = [];
  const wiring = { plugged: true, deaf: false };
  const conn = new BoardConnection({
    clock,
    logger: log.logger,
    reconnectMs: opts.reconnectMs,
    keepaliveMs: 0,
    open: async () => {
      if (!wiring.plugged) throw new Error("ENOENT: no such file or directory, open '/dev/ttyUSB0'");
      const pair = streamPair();
      pairs.push(pair);
      if (!wiring.deaf) sim.attach(pair.board);
      return pair.agent;
    },
  });
  const ups: BoardHello[] = [];
  const downs: string[] = [];
  const events: BoardEvent[] = [];
  conn.onUp((h) => ups.push(h));
  conn.onDown((r) => downs.push(r));
  conn.onEvent((e) => events.push(e));
  return { clock, sim, log, pairs, wiring, conn, ups, downs, events };
}

test('start: opens, HELLO, up with the hook states; events and commands flow', async () => {
  const t = setup();
  t.sim.liftHandset(2);
  t.conn.start();
  assert.equal(t.conn.state, 'connecting');
  await settle();
  assert.equal(t.conn.state, 'up');
  assert.deepEqual(t.ups.map((h) => h.offHook), [[false, true]]);
  t.sim.liftHandset(1);
  assert.deepEqual(t.events, [{ kind: 'off-hook', line: 1 }]);
  await t.conn.send({ kind: 'tone', line: 1, tone: 'dial', country: 'cn' });
  assert.deepEqual(t.sim.tone(1), { tone: 'dial', country: 'cn' });
  assert.equal(t.log.lines.find((l) => l.level === 'info')?.msg, 'FXS board link up');
});

test('the stream closes (adapter unplugged): onDown, then open() again after reconnectMs and onUp with the new hook states', async () => {
  const t = setup({ reconnectMs: 1000 });
  t.conn.start();
  await settle();
  t.pairs[0]!.hangUp();
  assert.equal(t.conn.state, 'down');
  assert.deepEqual(t.downs, ['stream closed: device disconnected']);
  await assert.rejects(t.conn.send({ kind: 'ring-stop', line: 1 }), (e: unknown) => e instanceof FxsLinkError && e.code === 'FXS_ERR_LINK_DOWN');
  // While the link is down the handset on line 1 is lifted: the next HELLO says so.
  t.sim.liftHandset(1);
  t.clock.advance(999);
  await settle();
  assert.equal(t.pairs.length, 1);
  t.clock.advance(1);
  await settle();
  assert.equal(t.pairs.length, 2);
  assert.equal(t.conn.state, 'up');
  assert.deepEqual(t.ups.map((h) => h.offHook), [
    [false, false],
    [true, false],
  ]);
  assert.equal(t.log.lines.filter((l) => l.msg === 'FXS board link down').length, 1);
});

test('while the adapter is missing: a retry every reconnectMs, one warning for the same reason, no onDown', async () => {
  const t = setup({ reconnectMs: 500 });
  t.wiring.plugged = false;
  t.conn.start();
  for (let i = 0; i < 5; i++) {
    await settle();
    t.clock.advance(500);
  }
  await settle();
  assert.equal(t.conn.state, 'down', 'down between attempts');
  const warnings = t.log.lines.filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.msg, 'FXS board not reachable');
  assert.deepEqual(t.downs, []);
  t.wiring.plugged = true;
  t.clock.advance(500);
  await settle();
  assert.equal(t.conn.state, 'up');
  assert.equal(t.ups.length, 1);
});

test('a board that does not answer the HELLO: the stream is closed and opened again', async () => {
  const t = setup({ reconnectMs: 1000 });
  t.wiring.deaf = true;
  t.conn.start();
  await settle();
  t.clock.advance(1200);
  assert.equal(t.conn.state, 'down');
  assert.equal(t.pairs[0]!.agent.closed, true);
  assert.deepEqual(t.downs, [], 'never up, so never down');
  t.wiring.deaf = false;
  t.clock.advance(1000);
  await settle();
  assert.equal(t.conn.state, 'up');
});

test('a board restart (unsolicited HELLO) is a reconnection', async () => {
  const t = setup({ reconnectMs: 1000 });
  t.conn.start();
  await settle();
  await t.conn.send({ kind: 'ring', line: 1, cadenceMs: [1000, 4000] });
  t.sim.restart();
  assert.deepEqual(t.downs, ['the board restarted']);
  t.clock.advance(1000);
  await settle();
  assert.equal(t.conn.state, 'up');
  assert.equal(t.ups.length, 2);
});

test('stats cover every link of the connection', async () => {
  const t = setup({ reconnectMs: 10 });
  t.conn.start();
  await settle();
  t.conn.sendAudio(1, 'pcmu', Buffer.alloc(160));
  t.pairs[0]!.hangUp();
  t.conn.sendAudio(1, 'pcmu', Buffer.alloc(160)); // dropped while down
  t.clock.advance(10);
  await settle();
  t.conn.sendAudio(1, 'pcmu', Buffer.alloc(160));
  const s = t.conn.stats();
  assert.equal(s.audioOut, 2);
  assert.equal(s.framesOut, 2, 'one HELLO per link');
  assert.equal(s.framesIn, 2);
});

test('close(): onDown once, no reconnection, no timer left; an open() still running is closed when it ends', async () => {
  const t = setup();
  t.conn.start();
  await settle();
  t.conn.close();
  assert.equal(t.conn.state, 'down');
  assert.deepEqual(t.downs, ['closed']);
  assert.equal(t.pairs[0]!.agent.closed, true);
  t.clock.advance(10_000);
  await settle();
  assert.equal(t.pairs.length, 1);
  assert.equal(t.clock.pending(), 0);

  const u = setup();
  u.conn.start(); // open() has not resolved yet
  u.conn.close();
  await settle();
  assert.equal(u.pairs[0]!.agent.closed, true);
  assert.equal(u.conn.state, 'down');
  assert.deepEqual(u.ups, []);
});
