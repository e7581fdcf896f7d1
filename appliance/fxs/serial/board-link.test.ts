import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { BoardLink, FxsLinkError, type BoardLinkOptions } from './board-link';
import { encodeAudioFrame, encodeControlFrame, FrameDecoder, type AudioFrame } from './frame-codec';
import type { BoardEvent, BoardHello } from './messages';
import { streamPair } from './testing/stream-pair';

const SESSION = 'CAFE0001';
const BOARD_HELLO = `0 HELLO 1 lines=2 caps=cid-fsk,pcmu fw=sim hook=01 session=${SESSION}`;

/** A link on one end of an in-memory pair; the test plays the board on the other, frame by frame. */
function setup(opts: Partial<BoardLinkOptions> = {}) {
  const clock = new VirtualClock();
  const pair = streamPair();
  const link = new BoardLink({ stream: pair.agent, clock, session: SESSION, keepaliveMs: 0, ...opts });
  const fromAgent: Array<{ at: number; text: string }> = [];
  const audioFromAgent: AudioFrame[] = [];
  const decoder = new FrameDecoder();
  pair.board.onData((data) => {
    for (const f of decoder.push(data)) {
      if (f.type === 'control') fromAgent.push({ at: clock.now(), text: f.text });
      else audioFromAgent.push({ line: f.line, codec: f.codec, seq: f.seq, payload: f.payload });
    }
  });
  const ups: BoardHello[] = [];
  const downs: Array<{ reason: string; code: string }> = [];
  const events: BoardEvent[] = [];
  link.onUp((h) => ups.push(h));
  link.onDown((reason, code) => downs.push({ reason, code }));
  link.onEvent((e) => events.push(e));
  const board = (text: string) => pair.board.write(encodeControlFrame(text));
  const texts = () => fromAgent.map((f) => f.text);
  const up = () => {
    link.start();
    board(BOARD_HELLO);
    assert.equal(link.state, 'up');
    fromAgent.length = 0;
  };
  return { clock, pair, link, fromAgent, audioFromAgent, ups, downs, events, board, texts, up };
}

/** The settled outcome of a promise: 'resolved' or its error code, or 'pending'. */
function track(p: Promise<void>): { outcome: string } {
  const t = { outcome: 'pending' };
  p.then(
    () => (t.outcome = 'resolved'),
    (e: unknown) => (t.outcome = e instanceof FxsLinkError ? e.code : `other: ${String(e)}`),
  );
  return t;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

test('HELLO exchange: version and session out, the board HELLO with our session brings the link up', () => {
  const t = setup();
  t.link.start();
  assert.equal(t.link.state, 'hello');
  assert.deepEqual(t.texts(), [`0 HELLO 1 session=${SESSION}`]);
  t.board(BOARD_HELLO);
  assert.equal(t.link.state, 'up');
  assert.deepEqual(t.ups, [{ version: 1, lines: 2, caps: ['cid-fsk', 'pcmu'], firmware: 'sim', offHook: [false, true] }]);
  // HELLOs are never acknowledged: the board's HELLO is the answer.
  assert.deepEqual(t.texts(), [`0 HELLO 1 session=${SESSION}`]);
  assert.equal(t.clock.pending(), 0, 'no timer left once up (keepalive off)');
});

test('an unanswered HELLO is sent again every 200 ms, five times, then the link is down', () => {
  const t = setup();
  t.link.start();
  t.clock.advance(2000);
  assert.deepEqual(
    t.fromAgent.map((f) => f.at),
    [0, 200, 400, 600, 800, 1000],
  );
  assert.deepEqual(t.downs, [{ reason: 'no HELLO from the board after 5 retransmissions', code: 'FXS_ERR_NO_ANSWER' }]);
  assert.equal(t.link.state, 'down');
  assert.equal(t.link.stats().retransmits, 5);
});

test("another session's HELLO (a board just powered up) is not the answer; ours is", () => {
  const t = setup();
  t.link.start();
  t.board('0 HELLO 1 lines=2 caps= fw=sim hook=00 session=00000000');
  t.board('0 HELLO 1 lines=2 caps= fw=sim hook=00 session=DEADBEEF');
  assert.equal(t.link.state, 'hello');
  t.clock.advance(200);
  t.board(BOARD_HELLO);
  assert.equal(t.link.state, 'up');
  assert.equal(t.ups.length, 1);
});

test('a board speaking another version: down with FXS_ERR_VERSION', () => {
  const t = setup();
  t.link.start();
  t.board(`0 HELLO 2 lines=2 caps= fw=future hook=00 session=${SESSION}`);
  assert.deepEqual(t.downs, [{ reason: 'the board speaks protocol version 2, this agent 1', code: 'FXS_ERR_VERSION' }]);
  assert.equal(t.clock.pending(), 0);
});

test('commands: numbered from 1 after the HELLO, one at a time, each resolved by its ACK', async () => {
  const t = setup();
  t.up();
  const a = track(t.link.send({ kind: 'ring', line: 1, cadenceMs: [1000, 4000] }));
  const b = track(t.link.send({ kind: 'tone', line: 2, tone: 'dial', country: 'cn' }));
  assert.deepEqual(t.texts(), ['1 RING 1 1000,4000'], 'the second waits for the first');
  t.board('A 1');
  await settle();
  assert.equal(a.outcome, 'resolved');
  assert.deepEqual(t.texts(), ['1 RING 1 1000,4000', '2 TONE 2 dial cn']);
  t.board('A 1'); // a late duplicate ACK changes nothing
  await settle();
  assert.equal(b.outcome, 'pending');
  t.board('A 2');
  await settle();
  assert.equal(b.outcome, 'resolved');
  assert.equal(t.link.stats().retransmits, 0);
});

test('an unacknowledged command: retransmitted at 200 ms intervals, five times, then rejected and the link down', async () => {
  const t = setup();
  t.up();
  const a = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  const queued = track(t.link.send({ kind: 'ring-stop', line: 2 }));
  t.clock.advance(1199);
  assert.deepEqual(
    t.fromAgent.map((f) => `${f.at} ${f.text}`),
    ['0 1 RINGSTOP 1', '200 1 RINGSTOP 1', '400 1 RINGSTOP 1', '600 1 RINGSTOP 1', '800 1 RINGSTOP 1', '1000 1 RINGSTOP 1'],
  );
  assert.equal(t.link.state, 'up');
  t.clock.advance(1);
  await settle();
  assert.equal(a.outcome, 'FXS_ERR_NO_ANSWER');
  assert.equal(queued.outcome, 'FXS_ERR_LINK_DOWN');
  assert.deepEqual(t.downs, [{ reason: 'no answer to frame 1 after 5 retransmissions', code: 'FXS_ERR_NO_ANSWER' }]);
  assert.equal(t.link.stats().retransmits, 5);
  const after = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  await settle();
  assert.equal(after.outcome, 'FXS_ERR_LINK_DOWN');
  assert.equal(t.clock.pending(), 0);
});

test('an ACK after two retransmissions resolves the command', async () => {
  const t = setup();
  t.up();
  const a = track(t.link.send({ kind: 'polarity', line: 1, reversed: true }));
  t.clock.advance(450);
  t.board('A 1');
  await settle();
  assert.equal(a.outcome, 'resolved');
  assert.equal(t.link.stats().retransmits, 2);
  t.clock.advance(5000);
  assert.equal(t.fromAgent.length, 3);
});

test('a NAK rejects that command with FXS_ERR_REJECTED and its reason; the link stays up', async () => {
  const t = setup();
  t.up();
  const p = t.link.send({ kind: 'ring', line: 2, cadenceMs: [1000, 4000] });
  const next = track(t.link.send({ kind: 'ring-stop', line: 2 }));
  t.board('N 1 bad-line');
  await assert.rejects(p, (e: unknown) => e instanceof FxsLinkError && e.code === 'FXS_ERR_REJECTED' && e.reason === 'bad-line');
  assert.equal(t.link.state, 'up');
  assert.deepEqual(t.texts(), ['1 RING 2 1000,4000', '2 RINGSTOP 2']);
  t.board('A 2');
  await settle();
  assert.equal(next.outcome, 'resolved');
});

test('NAK no-session: the board forgot us, the link goes down to start again', async () => {
  const t = setup();
  t.up();
  const p = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  t.board('N 1 no-session');
  await settle();
  assert.equal(p.outcome, 'FXS_ERR_LINK_DOWN');
  assert.deepEqual(t.downs, [{ reason: 'the board has no session (it restarted)', code: 'FXS_ERR_BOARD_RESET' }]);
});

test('a command that cannot be encoded is rejected at once with FXS_ERR_BAD_COMMAND; nothing is sent', async () => {
  const t = setup();
  t.up();
  await assert.rejects(t.link.send({ kind: 'ring', line: 1, cadenceMs: [1000] }), (e: unknown) => e instanceof FxsLinkError && e.code === 'FXS_ERR_BAD_COMMAND');
  await assert.rejects(t.link.send({ kind: 'ring-stop', line: 0 }), (e: unknown) => e instanceof FxsLinkError && e.code === 'FXS_ERR_BAD_COMMAND' && e.reason === 'bad-line');
  assert.deepEqual(t.texts(), []);
});

test('commands before the HELLO exchange are refused with FXS_ERR_LINK_DOWN', async () => {
  const t = setup();
  t.link.start();
  await assert.rejects(t.link.send({ kind: 'ring-stop', line: 1 }), (e: unknown) => e instanceof FxsLinkError && e.code === 'FXS_ERR_LINK_DOWN');
});

test('more than 64 commands waiting: FXS_ERR_QUEUE_FULL', async () => {
  const t = setup();
  t.up();
  const all = Array.from({ length: 66 }, () => t.link.send({ kind: 'ring-stop', line: 1 }).catch((e: FxsLinkError) => e.code));
  // One outstanding plus 64 queued fit; the 66th does not.
  assert.equal(await all[65], 'FXS_ERR_QUEUE_FULL');
  t.link.close();
  assert.equal(await all[0], 'FXS_ERR_CLOSED');
});

test('events: acknowledged and delivered once; a duplicate is acknowledged again and not delivered', () => {
  const t = setup();
  t.up();
  t.board('1 OFFHOOK 1');
  t.board('1 OFFHOOK 1');
  t.board('2 DIGIT 1 *');
  assert.deepEqual(t.events, [
    { kind: 'off-hook', line: 1 },
    { kind: 'digit', line: 1, digit: '*' },
  ]);
  assert.deepEqual(t.texts(), ['A 1', 'A 1', 'A 2']);
});

test('an event the agent does not understand is refused with a NAK, again for a duplicate', () => {
  const t = setup();
  t.up();
  t.board('1 SMOKE 1');
  t.board('1 SMOKE 1');
  t.board('2 DIGIT 9 1');
  assert.deepEqual(t.events, []);
  assert.deepEqual(t.texts(), ['N 1 unknown-verb', 'N 1 unknown-verb', 'N 2 bad-line']);
});

test('sequence numbers start again after a HELLO exchange', async () => {
  const t = setup();
  t.up();
  t.board('7 OFFHOOK 1');
  assert.deepEqual(t.events.length, 1);
  const p = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  assert.deepEqual(t.texts(), ['A 7', '1 RINGSTOP 1']);
  t.board('A 1');
  await settle();
  assert.equal(p.outcome, 'resolved');
});

test('events before the HELLO exchange get no answer (the board sends them again later)', () => {
  const t = setup();
  t.link.start();
  t.board('1 OFFHOOK 1');
  assert.deepEqual(t.texts(), [`0 HELLO 1 session=${SESSION}`]);
  assert.deepEqual(t.events, []);
});

test('the board restarted (its HELLO with another session while up): down with FXS_ERR_BOARD_RESET', () => {
  const t = setup();
  t.up();
  // A repeat of the answer to our HELLO is harmless.
  t.board(BOARD_HELLO);
  assert.equal(t.link.state, 'up');
  t.board('0 HELLO 1 lines=2 caps= fw=sim hook=00 session=00000000');
  assert.deepEqual(t.downs, [{ reason: 'the board restarted', code: 'FXS_ERR_BOARD_RESET' }]);
});

test('the stream closing takes the link down and rejects what was pending', async () => {
  const t = setup();
  t.up();
  const p = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  t.pair.hangUp(new Error('device disconnected'));
  await settle();
  assert.equal(p.outcome, 'FXS_ERR_LINK_DOWN');
  assert.deepEqual(t.downs, [{ reason: 'stream closed: device disconnected', code: 'FXS_ERR_STREAM_CLOSED' }]);
  assert.equal(t.clock.pending(), 0);
});

test('audio: frames out with a sequence per line, frames in delivered, nothing while not up', () => {
  const t = setup();
  const heard: Array<[number, string, number]> = [];
  t.link.onAudio((line, codec, payload) => heard.push([line, codec, payload.length]));
  t.link.start();
  t.link.sendAudio(1, 'pcmu', Buffer.alloc(160));
  t.pair.board.write(encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(160) }));
  t.board(BOARD_HELLO);
  for (let i = 0; i < 3; i++) t.link.sendAudio(1, 'pcmu', Buffer.alloc(160, i));
  t.link.sendAudio(2, 'pcma', Buffer.alloc(80));
  assert.deepEqual(
    t.audioFromAgent.map((f) => [f.line, f.codec, f.seq, f.payload.length, f.payload[0]]),
    [
      [1, 'pcmu', 0, 160, 0],
      [1, 'pcmu', 1, 160, 1],
      [1, 'pcmu', 2, 160, 2],
      [2, 'pcma', 0, 80, 0],
    ],
  );
  t.pair.board.write(encodeAudioFrame({ line: 2, codec: 'pcma', seq: 5, payload: Buffer.alloc(160) }));
  assert.deepEqual(heard, [[2, 'pcma', 160]]);
  const s = t.link.stats();
  assert.equal(s.audioOut, 4);
  assert.equal(s.audioIn, 1);
});

test('keepalive: a PING after the set silence; unanswered, the link goes down', () => {
  const t = setup({ keepaliveMs: 5000 });
  t.up();
  t.clock.advance(5000);
  assert.deepEqual(t.texts(), ['1 PING']);
  t.board('A 1');
  t.clock.advance(4999);
  assert.deepEqual(t.texts(), ['1 PING']);
  t.clock.advance(1);
  assert.deepEqual(t.texts(), ['1 PING', '2 PING']);
  t.clock.advance(1200);
  assert.equal(t.downs[0]?.code, 'FXS_ERR_NO_ANSWER');
  assert.equal(t.clock.pending(), 0);
});

test('line noise between frames is dropped and counted; the exchange goes on', async () => {
  const t = setup();
  t.link.start();
  t.pair.board.write(Buffer.from('!garbage\n\xa5\x5a\x01', 'latin1'));
  t.board(BOARD_HELLO);
  const p = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  // A flipped bit in the ACK: dropped; the retransmission is answered.
  const ack = encodeControlFrame('A 1');
  ack[3] = ack[3]! ^ 0x04;
  t.pair.board.write(ack);
  t.clock.advance(200);
  t.board('A 1');
  await settle();
  assert.equal(p.outcome, 'resolved');
  const s = t.link.stats();
  assert.ok(s.badFrames >= 2, JSON.stringify(s));
  assert.equal(s.retransmits, 1);
});

test('close(): pending commands are rejected with FXS_ERR_CLOSED and onDown says closed', async () => {
  const t = setup();
  t.up();
  const p = track(t.link.send({ kind: 'ring-stop', line: 1 }));
  t.link.close();
  await settle();
  assert.equal(p.outcome, 'FXS_ERR_CLOSED');
  assert.deepEqual(t.downs, [{ reason: 'closed', code: 'FXS_ERR_CLOSED' }]);
});
