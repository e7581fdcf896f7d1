import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { decodeMuLaw, encodeMuLaw } from './g711';
import { JitterBuffer, g711Concealment, type JitterBufferOptions } from './jitter-buffer';

const CONCEALED = 0xee;

/** A frame whose bytes all say which packet it came from (1..0x7f). */
const frame = (id: number, length = 160) => Buffer.alloc(length, id);

/**
 * A buffer on a virtual clock whose concealment frames are all 0xEE, and the ids of
 * what it played with the time each came out.
 */
function harness(options: Partial<JitterBufferOptions> = {}) {
  const clock = new VirtualClock();
  const out: Array<{ at: number; id: number | 'C' }> = [];
  const jb = new JitterBuffer({
    clock,
    codec: 'PCMU',
    conceal: () => Buffer.alloc(160, CONCEALED),
    onFrame: (f) => {
      assert.equal(f.length, 160);
      out.push({ at: clock.now(), id: f[0] === CONCEALED ? 'C' : f[0]! });
    },
    ...options,
  });
  const ids = () => out.map((o) => o.id);
  return { clock, jb, out, ids };
}

/** Packet i of a stream starting at seq0/ts0: seq0 + i, ts0 + 160·i, payload id i + 1. */
const packet = (i: number, opts: { seq0?: number; ts0?: number; ssrc?: number; id?: number } = {}) => ({
  sequenceNumber: ((opts.seq0 ?? 1000) + i) & 0xffff,
  timestamp: ((opts.ts0 ?? 50_000) + 160 * i) >>> 0,
  ssrc: opts.ssrc ?? 0xabc,
  payload: frame(opts.id ?? (i % 127) + 1),
});

describe('JitterBuffer', () => {
  it('plays in-order packets every 20 ms after the 40 ms target delay', () => {
    const { clock, jb, out } = harness();
    for (let i = 0; i < 5; i++) {
      clock.advanceTo(i * 20);
      jb.push(packet(i));
    }
    clock.advanceTo(120);
    assert.deepEqual(out, [
      { at: 40, id: 1 },
      { at: 60, id: 2 },
      { at: 80, id: 3 },
      { at: 100, id: 4 },
      { at: 120, id: 5 },
    ]);
    assert.deepEqual(jb.stats(), { received: 5, played: 5, late: 0, lost: 0, duplicates: 0, concealed: 0, overflow: 0, resets: 0, delayMs: 40 });
  });

  it('puts reordered packets back in order', () => {
    const { clock, jb, ids } = harness();
    const order = [0, 2, 1, 3, 5, 4, 6, 7];
    order.forEach((i, k) => {
      clock.advanceTo(k * 20);
      jb.push(packet(i));
    });
    clock.advanceTo(200);
    assert.deepEqual(ids().slice(0, 8), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(jb.stats().lost, 0);
    assert.equal(jb.stats().late, 0);
  });

  it('conceals a lost packet in its slot and counts it', () => {
    const { clock, jb, ids } = harness();
    for (const i of [0, 1, 3, 4, 5]) {
      clock.advanceTo(i * 20);
      jb.push(packet(i));
    }
    clock.advanceTo(140);
    assert.deepEqual(ids(), [1, 2, 'C', 4, 5, 6]);
    assert.equal(jb.stats().lost, 1);
    assert.equal(jb.stats().concealed, 1);
    assert.equal(jb.stats().played, 5);
  });

  it('drops duplicates', () => {
    const { clock, jb, ids } = harness();
    jb.push(packet(0));
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push(packet(1));
    jb.push(packet(0));
    clock.advanceTo(60);
    assert.deepEqual(ids(), [1, 2]);
    assert.equal(jb.stats().duplicates, 2);
    assert.equal(jb.stats().received, 2);
  });

  it('drops a late packet, conceals its slot, and grows the delay by a frame', () => {
    const { clock, jb, ids } = harness();
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push(packet(1));
    clock.advanceTo(40);
    jb.push(packet(2));
    // packet 3 held up in the network; 4 and 5 on time
    clock.advanceTo(80);
    jb.push(packet(4));
    clock.advanceTo(100);
    jb.push(packet(5));
    jb.push(packet(3)); // slot 3 was played (concealed) at t=100
    clock.advanceTo(120);
    jb.push(packet(6));
    clock.advanceTo(200);
    assert.deepEqual(ids().slice(0, 8), [1, 2, 3, 'C', 'C', 5, 6, 7]);
    const stats = jb.stats();
    assert.equal(stats.late, 1);
    assert.equal(stats.lost, 1);
    assert.equal(stats.delayMs, 60);
  });

  it('never grows the delay past the maximum', () => {
    const { clock, jb } = harness({ maxDelayMs: 80 });
    jb.push(packet(10));
    for (let k = 0; k < 6; k++) {
      clock.advance(20);
      jb.push(packet(20 + k)); // keeps the stream going
      jb.push(packet(k)); // always behind what plays
    }
    assert.equal(jb.stats().delayMs, 80);
    assert.equal(jb.stats().late, 6);
  });

  it('follows sequence numbers and timestamps across their wrap-around', () => {
    const { clock, jb, ids } = harness();
    const opts = { seq0: 65533, ts0: 0xffffffff - 320 };
    for (let i = 0; i < 6; i++) {
      clock.advanceTo(i * 20);
      jb.push(packet(i, opts));
    }
    clock.advanceTo(140);
    assert.deepEqual(ids(), [1, 2, 3, 4, 5, 6]);
    assert.equal(jb.stats().resets, 0);
  });

  it('starts over on a new SSRC', () => {
    const { clock, jb, ids } = harness();
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push(packet(1));
    clock.advanceTo(40); // plays 1
    jb.push(packet(0, { ssrc: 0x999, seq0: 7, ts0: 123, id: 0x50 }));
    clock.advanceTo(60);
    jb.push(packet(1, { ssrc: 0x999, seq0: 7, ts0: 123, id: 0x51 }));
    clock.advanceTo(120);
    assert.deepEqual(ids().slice(0, 4), [1, 'C', 0x50, 0x51]);
    assert.equal(jb.stats().resets, 1);
  });

  it('starts over on a large sequence jump', () => {
    const { clock, jb, out } = harness();
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push(packet(5000, { id: 0x40 }));
    clock.advanceTo(100);
    // The old stream's queued frame goes with it; the new one plays 40 ms after arriving.
    assert.deepEqual(out.slice(0, 2), [
      { at: 40, id: 'C' },
      { at: 60, id: 0x40 },
    ]);
    assert.equal(jb.stats().resets, 1);
  });

  it('starts over when timestamps go back more than a second', () => {
    const { clock, jb, ids } = harness();
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push({ ...packet(1), timestamp: 0, payload: frame(0x33) });
    clock.advanceTo(100);
    assert.deepEqual(ids().slice(0, 2), ['C', 0x33]);
    assert.equal(jb.stats().resets, 1);
  });

  it('keeps the timing of a pause in the far end audio (timestamps, not sequence numbers)', () => {
    const { clock, jb, out } = harness();
    jb.push(packet(0));
    clock.advanceTo(20);
    jb.push(packet(1));
    // 100 ms without audio (say, RFC 4733 events using sequence numbers 1002..1006)
    clock.advanceTo(140);
    jb.push({ ...packet(7), sequenceNumber: 1007 });
    clock.advanceTo(200);
    const played = out.filter((o) => o.id !== 'C');
    assert.deepEqual(played, [
      { at: 40, id: 1 },
      { at: 60, id: 2 },
      { at: 180, id: 8 },
    ]);
  });

  it('assembles 10 ms packets and splits 40 ms ones into 20 ms frames', () => {
    const { clock, jb, out } = harness();
    const frames: Buffer[] = [];
    const jb2 = new JitterBuffer({ clock, codec: 'PCMA', onFrame: (f) => frames.push(f) });
    for (let i = 0; i < 4; i++) {
      jb2.push({ sequenceNumber: i, timestamp: 80 * i, ssrc: 1, payload: frame(i + 1, 80) });
    }
    jb.push({ sequenceNumber: 9, timestamp: 0, ssrc: 2, payload: Buffer.concat([frame(1), frame(2)]) });
    clock.advanceTo(60);
    assert.deepEqual(
      frames.map((f) => [f[0], f[79], f[80], f[159]]),
      [
        [1, 1, 2, 2],
        [3, 3, 4, 4],
      ],
    );
    assert.deepEqual(
      out.map((o) => o.id),
      [1, 2],
    );
    jb2.close();
  });

  it('drops the oldest frames when the queue outgrows the maximum delay', () => {
    const { clock, jb, ids } = harness();
    // A burst: 10 packets (200 ms) at once.
    for (let i = 0; i < 10; i++) jb.push(packet(i));
    clock.advanceTo(100);
    const stats = jb.stats();
    assert.ok(stats.overflow > 0);
    // What plays is in order and ends with the newest packets.
    const played = ids().filter((x): x is number => x !== 'C');
    assert.deepEqual(
      played,
      [...played].sort((a, b) => a - b),
    );
    clock.advanceTo(200);
    assert.equal(ids().filter((x) => x !== 'C').at(-1), 10);
  });

  it('stops after 200 ms with nothing to play, and starts again with the next packet', () => {
    const { clock, jb, out } = harness();
    jb.push(packet(0));
    clock.advanceTo(1000);
    // frame at 40, then 10 concealment frames (60..240), then nothing
    assert.equal(out.length, 11);
    assert.equal(out.at(-1)?.at, 240);
    assert.equal(clock.pending(), 0);
    jb.push(packet(50));
    clock.advanceTo(1040);
    assert.deepEqual(out.at(-1), { at: 1040, id: 51 });
    assert.equal(jb.stats().resets, 0);
  });

  it('after stopping, restarts even on a timestamp behind the last one played', () => {
    const { clock, jb, out } = harness();
    jb.push(packet(10));
    clock.advanceTo(1000); // stopped
    jb.push({ ...packet(11), timestamp: packet(5).timestamp, payload: frame(0x60) });
    clock.advanceTo(1040);
    assert.deepEqual(out.at(-1), { at: 1040, id: 0x60 });
    assert.equal(jb.stats().late, 0);
  });

  it('close() stops the timer and ignores further packets', () => {
    const { clock, jb, out } = harness();
    jb.push(packet(0));
    jb.close();
    assert.equal(clock.pending(), 0);
    jb.push(packet(1));
    clock.advanceTo(200);
    assert.equal(out.length, 0);
  });
});

describe('g711Concealment', () => {
  it('repeats the last frame quieter, then plays silence', () => {
    const conceal = g711Concealment('PCMU');
    const pcm = new Int16Array(160).fill(10000);
    const last = encodeMuLaw(pcm);
    const level = (f: Buffer) => decodeMuLaw(f)[0]!;
    assert.ok(Math.abs(level(conceal(last, 1)) - 8000) < 400);
    assert.ok(Math.abs(level(conceal(last, 2)) - 5000) < 300);
    assert.ok(Math.abs(level(conceal(last, 3)) - 2500) < 200);
    assert.deepEqual(conceal(last, 4), Buffer.alloc(160, 0xff));
    assert.deepEqual(conceal(undefined, 1), Buffer.alloc(160, 0xff));
    assert.deepEqual(g711Concealment('PCMA')(undefined, 1), Buffer.alloc(160, 0xd5));
  });
});
