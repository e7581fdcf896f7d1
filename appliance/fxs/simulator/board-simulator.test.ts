import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { decodeMuLaw, encodeALaw } from '../media/g711';
import { detectTone } from '../media/goertzel';
import { sine } from '../media/tone';
import { BoardConnection } from '../serial/board-connection';
import { FxsLinkError } from '../serial/link-errors';
import type { AudioCodec, BoardEvent, BoardHello } from '../serial/messages';
import { seededRandom } from '../serial/testing/prng';
import { streamPair, type StreamPair } from '../serial/testing/stream-pair';
import { BoardSimulator, type BoardSimulatorOptions } from './board-simulator';

const settle = () => new Promise<void>((r) => setImmediate(r));
const quiet = { info: () => undefined, warn: () => undefined };

/** The simulator and a BoardConnection, end to end in memory, on a virtual clock. */
async function connected(opts: Partial<BoardSimulatorOptions> = {}) {
  const clock = new VirtualClock();
  const sim = new BoardSimulator({ lines: 2, clock, ...opts });
  const pairs: StreamPair[] = [];
  const conn = new BoardConnection({
    clock,
    logger: quiet,
    keepaliveMs: 0,
    open: async () => {
      const pair = streamPair();
      pairs.push(pair);
      sim.attach(pair.board);
      return pair.agent;
    },
  });
  const events: BoardEvent[] = [];
  const ups: BoardHello[] = [];
  const audio: Array<{ line: number; codec: AudioCodec; payload: Buffer }> = [];
  conn.onEvent((e) => events.push(e));
  conn.onUp((h) => ups.push(h));
  conn.onAudio((line, codec, payload) => audio.push({ line, codec, payload }));
  conn.start();
  await settle();
  return { clock, sim, conn, pairs, events, ups, audio };
}

const rejectedWith = (code: string, reason?: string) => (e: unknown) => e instanceof FxsLinkError && e.code === code && (reason === undefined || e.reason === reason);

test('the HELLO answer: lines, caps, firmware, hook states', async () => {
  const t = await connected({ firmware: 'fw 2.0', caps: ['cid-fsk', 'pcmu'] });
  assert.equal(t.conn.state, 'up');
  assert.deepEqual(t.ups, [{ version: 1, lines: 2, caps: ['cid-fsk', 'pcmu'], firmware: 'fw 2.0', offHook: [false, false] }]);
});

test('ringing, caller ID, and a ring trip when the handset is lifted', async () => {
  const t = await connected();
  await t.conn.send({ kind: 'ring', line: 2, cadenceMs: [1000, 4000] });
  await t.conn.send({ kind: 'caller-id', line: 2, mode: 'fsk', number: '1001', name: '张三' });
  assert.equal(t.sim.isRinging(2), true);
  assert.equal(t.sim.isRinging(1), false);
  assert.deepEqual(t.sim.callerId(2), { number: '1001', name: '张三', mode: 'fsk' });
  t.sim.liftHandset(2);
  assert.equal(t.sim.isRinging(2), false, 'the board stops ringing by itself');
  assert.deepEqual(t.events, [{ kind: 'ring-trip', line: 2 }]);
  t.sim.hangUp(2);
  t.sim.liftHandset(2);
  assert.deepEqual(t.events.slice(1), [
    { kind: 'on-hook', line: 2 },
    { kind: 'off-hook', line: 2 },
  ]);
  await t.conn.send({ kind: 'ring', line: 2, cadenceMs: [1000, 4000] });
  assert.equal(t.sim.isRinging(2), false, 'an off-hook phone does not ring');
});

test('tones, polarity, audio switch: what the phone sees', async () => {
  const t = await connected();
  assert.deepEqual(t.sim.tone(1), { tone: 'off', country: '' });
  await t.conn.send({ kind: 'tone', line: 1, tone: 'busy', country: 'gb' });
  await t.conn.send({ kind: 'polarity', line: 1, reversed: true });
  await t.conn.send({ kind: 'audio', line: 1, on: true, codec: 'pcma' });
  await t.conn.send({ kind: 'ring-stop', line: 1 });
  assert.deepEqual(t.sim.tone(1), { tone: 'busy', country: 'gb' });
  assert.equal(t.sim.polarityReversed(1), true);
  assert.deepEqual(t.sim.audio(1), { on: true, codec: 'pcma' });
  assert.deepEqual(t.sim.audio(2), { on: false, codec: 'pcmu' });
  assert.deepEqual(
    t.sim.events().filter((e) => e.line === 1).map((e) => e.what),
    ['tone busy gb', 'polarity reversed', 'audio on pcma', 'ring stop'],
  );
});

test('what the board cannot do is refused: a line it lacks, a capability it lacks', async () => {
  const t = await connected({ caps: ['cid-fsk', 'pcmu'] });
  await assert.rejects(t.conn.send({ kind: 'ring', line: 3, cadenceMs: [1000, 4000] }), rejectedWith('FXS_ERR_REJECTED', 'bad-line'));
  await assert.rejects(t.conn.send({ kind: 'caller-id', line: 1, mode: 'dtmf', number: '1', name: '' }), rejectedWith('FXS_ERR_REJECTED', 'unsupported'));
  await assert.rejects(t.conn.send({ kind: 'audio', line: 1, on: true, codec: 'pcma' }), rejectedWith('FXS_ERR_REJECTED', 'unsupported'));
  await assert.rejects(t.conn.send({ kind: 'polarity', line: 1, reversed: true }), rejectedWith('FXS_ERR_REJECTED', 'unsupported'));
  await t.conn.send({ kind: 'audio', line: 1, on: false, codec: 'pcma' });
  await t.conn.send({ kind: 'tone', line: 1, tone: 'off', country: 'cn' });
  assert.equal(t.conn.state, 'up');
});

test('dial: digit events spaced on the clock; only from an off-hook phone; only DTMF digits', async () => {
  const t = await connected();
  await assert.rejects(t.sim.dial(1, '1'), /on-hook/);
  t.sim.liftHandset(1);
  await assert.rejects(t.sim.dial(1, '12x'), RangeError);
  let done = false;
  const at: number[] = [];
  t.conn.onEvent((e) => {
    if (e.kind === 'digit') at.push(t.clock.now());
  });
  void t.sim.dial(1, '20*#', 100).then(() => (done = true));
  t.clock.advance(299);
  await settle();
  assert.equal(done, false);
  t.clock.advance(1);
  await settle();
  assert.equal(done, true);
  assert.deepEqual(at, [0, 100, 200, 300]);
  assert.deepEqual(
    t.events.filter((e) => e.kind === 'digit').map((e) => (e.kind === 'digit' ? e.digit : '')),
    ['2', '0', '*', '#'],
  );
});

test('hook flash only from an off-hook phone', async () => {
  const t = await connected();
  t.sim.flash(1);
  t.sim.liftHandset(1);
  t.sim.flash(1);
  assert.deepEqual(t.events, [
    { kind: 'off-hook', line: 1 },
    { kind: 'flash', line: 1 },
  ]);
});

test('the microphone: one 160-byte frame every 20 ms while off-hook with the audio on, in the line codec', async () => {
  const t = await connected();
  t.sim.speak(1, sine(440));
  t.clock.advance(100);
  assert.equal(t.audio.length, 0, 'audio off: nothing');
  await t.conn.send({ kind: 'audio', line: 1, on: true, codec: 'pcmu' });
  t.clock.advance(100);
  assert.equal(t.audio.length, 0, 'on-hook: nothing');
  t.sim.liftHandset(1);
  t.clock.advance(200);
  assert.equal(t.audio.length, 10);
  assert.ok(t.audio.every((a) => a.line === 1 && a.codec === 'pcmu' && a.payload.length === 160));
  const pcm = decodeMuLaw(Buffer.concat(t.audio.map((a) => a.payload)));
  assert.ok(detectTone(pcm, 440));
  assert.ok(!detectTone(pcm, 1000));
  await t.conn.send({ kind: 'audio', line: 1, on: false, codec: 'pcmu' });
  t.clock.advance(200);
  assert.equal(t.audio.length, 10);
  await t.conn.send({ kind: 'audio', line: 1, on: true, codec: 'pcmu' });
  t.clock.advance(40);
  assert.equal(t.audio.length, 12);
  t.sim.stopSpeaking(1);
  t.clock.advance(200);
  assert.equal(t.audio.length, 12);
  let left = 2;
  t.sim.speak(1, (n) => (left-- > 0 ? new Int16Array(n) : undefined));
  t.clock.advance(200);
  assert.equal(t.audio.length, 14, 'a generator returning undefined ends the speech');
  assert.equal(t.clock.pending(), 0, 'no microphone timer left');
});

test('the earpiece: frames from the agent decoded by their codec while the audio is on', async () => {
  const t = await connected();
  const heard: Int16Array[] = [];
  t.sim.onHeard(2, (pcm) => heard.push(pcm));
  const tone = sine(1000);
  t.conn.sendAudio(2, 'pcma', encodeALaw(tone(160)));
  assert.equal(heard.length, 0, 'audio off: the earpiece is silent');
  await t.conn.send({ kind: 'audio', line: 2, on: true, codec: 'pcma' });
  for (let i = 0; i < 5; i++) t.conn.sendAudio(2, 'pcma', encodeALaw(tone(160)));
  assert.equal(heard.length, 5);
  const all = new Int16Array(800);
  heard.forEach((h, i) => all.set(h, i * 160));
  assert.ok(detectTone(all, 1000));
});

test('line noise both ways: everything still arrives, the bad frames are counted', async () => {
  const t = await connected();
  const rnd = seededRandom(7);
  const agentToBoard = t.pairs[0]!.agent;
  for (let i = 0; i < 50; i++) {
    t.sim.injectNoise(rnd.bytes(1 + rnd.int(40)));
    agentToBoard.write(rnd.bytes(1 + rnd.int(40)));
    // The gap rule flushes anything a noise burst left half-open.
    t.clock.advance(150);
    t.sim.liftHandset(1);
    await t.conn.send({ kind: 'tone', line: 1, tone: 'dial', country: 'cn' });
    t.sim.hangUp(1);
  }
  assert.equal(t.events.length, 100);
  assert.equal(t.conn.state, 'up');
  assert.ok(t.conn.stats().badFrames > 0);
});

test('lost ACKs: the board retransmits its event; the agent delivers it once', async () => {
  const t = await connected();
  const wire = t.pairs[0]!.agent;
  let dropped = 0;
  wire.tap = (data) => (dropped++ < 2 ? undefined : data); // the agent's first two ACKs are lost
  t.sim.liftHandset(1);
  t.clock.advance(400);
  assert.deepEqual(t.events, [{ kind: 'off-hook', line: 1 }]);
  const fromBoard = t.pairs[0]!.board.written.map((b) => b.toString('latin1'));
  assert.equal(fromBoard.filter((f) => f.startsWith('!1 OFFHOOK 1*')).length, 3, 'the event, sent three times');
});

test('an agent that stops answering: the board drops the session; the agent then comes back with a new HELLO', async () => {
  const t = await connected();
  t.pairs[0]!.agent.cut = true;
  t.sim.liftHandset(1);
  t.clock.advance(1200);
  assert.ok(t.sim.events().some((e) => e.what === 'event 1 unanswered: session dropped'));
  t.pairs[0]!.agent.cut = false;
  // The agent's next command meets "no session": the link restarts and the HELLO reports the hook.
  await assert.rejects(t.conn.send({ kind: 'ring-stop', line: 1 }), rejectedWith('FXS_ERR_LINK_DOWN'));
  t.clock.advance(1000);
  await settle();
  assert.equal(t.conn.state, 'up');
  assert.deepEqual(t.ups.map((h) => h.offHook), [
    [false, false],
    [true, false],
  ]);
});

test('a new session starts with every output off; a repeated HELLO of the same session changes nothing', async () => {
  const t = await connected();
  await t.conn.send({ kind: 'ring', line: 1, cadenceMs: [1000, 4000] });
  await t.conn.send({ kind: 'tone', line: 2, tone: 'dial', country: 'cn' });
  // The same session's HELLO again (the agent retransmitted it): nothing is reset.
  const hello = t.pairs[0]!.agent.written[0]!;
  t.pairs[0]!.agent.write(hello);
  assert.equal(t.sim.isRinging(1), true);
  assert.equal(t.conn.state, 'up');
  t.pairs[0]!.hangUp();
  t.clock.advance(1000);
  await settle();
  assert.equal(t.conn.state, 'up');
  assert.equal(t.sim.isRinging(1), false);
  assert.deepEqual(t.sim.tone(2), { tone: 'off', country: '' });
});

test('a board of another protocol version never comes up', async () => {
  const t = await connected({ protocolVersion: 2 });
  assert.equal(t.conn.state, 'down');
  assert.deepEqual(t.ups, []);
  assert.ok(t.sim.events().some((e) => e.what === 'HELLO version 1 refused (board speaks 2)'));
});

test('events(): what happened, when, on which line', async () => {
  const t = await connected();
  t.clock.advance(50);
  t.sim.liftHandset(1);
  void t.sim.dial(1, '1');
  t.sim.injectNoise(Buffer.from('xyz'));
  const log = t.sim.events();
  assert.deepEqual(log.slice(-3), [
    { at: 50, line: 1, what: 'off-hook' },
    { at: 50, line: 1, what: 'digit 1' },
    { at: 50, line: 0, what: 'noise 3 bytes' },
  ]);
  assert.ok(log.some((e) => e.line === 0 && e.what.startsWith('session ')));
  assert.throws(() => t.sim.liftHandset(3), RangeError);
});
