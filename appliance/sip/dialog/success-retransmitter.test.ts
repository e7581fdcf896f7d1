import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../testing/virtual-clock';
import { SuccessRetransmitter } from './success-retransmitter';

function setup(reliable: boolean, t1 = 500, t2 = 4000) {
  const clock = new VirtualClock();
  const resends: number[] = [];
  const noAck: number[] = [];
  const r = new SuccessRetransmitter(clock, {
    reliable,
    t1,
    t2,
    resend: () => void resends.push(clock.now()),
    onNoAck: () => void noAck.push(clock.now()),
  });
  return { clock, resends, noAck, r };
}

describe('SuccessRetransmitter (RFC 3261 §13.3.1.4)', () => {
  it('on UDP resends at T1, doubling up to T2, and gives up at 64*T1 calling onNoAck once', () => {
    const { clock, resends, noAck } = setup(false);
    clock.runAll();
    // Intervals 500, 1000, 2000, 4000, 4000, …
    assert.deepEqual(resends, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    const gaps = resends.map((t, i) => t - (resends[i - 1] ?? 0));
    assert.deepEqual(gaps, [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    assert.deepEqual(noAck, [32000]);
    assert.equal(clock.pending(), 0, 'nothing left scheduled after giving up');
  });

  it('keeps to the schedule step by step (nothing early)', () => {
    const { clock, resends, noAck } = setup(false);
    clock.advance(499);
    assert.deepEqual(resends, []);
    clock.advance(1);
    assert.deepEqual(resends, [500]);
    clock.advance(999);
    assert.deepEqual(resends, [500]);
    clock.advance(1);
    assert.deepEqual(resends, [500, 1500]);
    clock.advanceTo(31999);
    assert.equal(resends.length, 10);
    assert.deepEqual(noAck, []);
    clock.advanceTo(32000);
    assert.deepEqual(noAck, [32000]);
  });

  it('follows other timer values (T1 = 1 s, T2 = 2 s)', () => {
    const { clock, resends, noAck } = setup(false, 1000, 2000);
    clock.runAll();
    assert.deepEqual(resends.slice(0, 4), [1000, 3000, 5000, 7000]);
    assert.equal(resends.at(-1), 63000);
    assert.deepEqual(noAck, [64000]);
  });

  it('on a reliable transport resends nothing but still calls onNoAck at 64*T1', () => {
    const { clock, resends, noAck } = setup(true);
    clock.advanceTo(31999);
    assert.deepEqual(noAck, []);
    clock.runAll();
    assert.deepEqual(resends, []);
    assert.deepEqual(noAck, [32000]);
    assert.equal(clock.pending(), 0);
  });

  it('stop() ends the resends and the give-up timer', () => {
    const { clock, resends, noAck, r } = setup(false);
    clock.advanceTo(2000);
    assert.deepEqual(resends, [500, 1500]);
    r.stop();
    assert.equal(clock.pending(), 0);
    clock.advanceTo(100_000);
    assert.deepEqual(resends, [500, 1500]);
    assert.deepEqual(noAck, []);
  });

  it('stop() on a reliable transport cancels onNoAck; stop() twice is harmless', () => {
    const { clock, noAck, r } = setup(true);
    r.stop();
    r.stop();
    clock.advanceTo(100_000);
    assert.deepEqual(noAck, []);
  });

  it('stop() from inside resend (the call ended) sends nothing more', () => {
    const clock = new VirtualClock();
    const resends: number[] = [];
    const noAck: number[] = [];
    const r: SuccessRetransmitter = new SuccessRetransmitter(clock, {
      reliable: false,
      t1: 500,
      t2: 4000,
      resend: () => {
        resends.push(clock.now());
        if (resends.length === 2) r.stop();
      },
      onNoAck: () => void noAck.push(clock.now()),
    });
    clock.runAll();
    assert.deepEqual(resends, [500, 1500]);
    assert.deepEqual(noAck, []);
  });
});
