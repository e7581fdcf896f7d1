import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from './virtual-clock';

describe('VirtualClock', () => {
  it('starts at the given time and moves only on advance', () => {
    const clock = new VirtualClock(1000);
    assert.equal(clock.now(), 1000);
    let fired = false;
    clock.setTimer(10, () => (fired = true));
    assert.equal(clock.now(), 1000);
    assert.equal(fired, false);
    assert.equal(clock.advance(9), 0);
    assert.equal(clock.now(), 1009);
    assert.equal(fired, false);
    assert.equal(clock.advance(1), 1);
    assert.equal(fired, true);
    assert.equal(clock.now(), 1010);
  });

  it('fires in due order, ties in creation order, with now() at each due time', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(30, () => log.push(`c@${clock.now()}`));
    clock.setTimer(10, () => log.push(`a@${clock.now()}`));
    clock.setTimer(20, () => log.push(`b1@${clock.now()}`));
    clock.setTimer(20, () => log.push(`b2@${clock.now()}`));
    clock.setTimer(20, () => log.push(`b3@${clock.now()}`));
    assert.equal(clock.advance(100), 5);
    assert.deepEqual(log, ['a@10', 'b1@20', 'b2@20', 'b3@20', 'c@30']);
    assert.equal(clock.now(), 100);
  });

  it('fires timers created by callbacks during the same advance, in order', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(10, () => {
      log.push(`outer@${clock.now()}`);
      clock.setTimer(5, () => log.push(`inner@${clock.now()}`)); // due 15
      clock.setTimer(0, () => log.push(`zero@${clock.now()}`)); // due 10, after already-due ones
      clock.setTimer(100, () => log.push(`late@${clock.now()}`)); // due 110, beyond the advance
    });
    clock.setTimer(10, () => log.push(`sibling@${clock.now()}`));
    clock.setTimer(12, () => log.push(`twelve@${clock.now()}`));
    clock.advanceTo(50);
    assert.deepEqual(log, ['outer@10', 'sibling@10', 'zero@10', 'twelve@12', 'inner@15']);
    assert.equal(clock.pending(), 1);
    assert.equal(clock.nextDue(), 110);
    clock.advance(60);
    assert.deepEqual(log.at(-1), 'late@110');
  });

  it('runs a self-rescheduling timer once per period', () => {
    const clock = new VirtualClock();
    const at: number[] = [];
    const tick = () => {
      at.push(clock.now());
      if (at.length < 5) clock.setTimer(100, tick);
    };
    clock.setTimer(100, tick);
    clock.advance(1000);
    assert.deepEqual(at, [100, 200, 300, 400, 500]);
    assert.equal(clock.pending(), 0);
  });

  it('clearTimer cancels, also from inside another callback, and ignores unknown handles', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const later = clock.setTimer(20, () => log.push('later'));
    clock.setTimer(10, () => {
      log.push('first');
      clock.clearTimer(later);
    });
    const gone = clock.setTimer(5, () => log.push('gone'));
    clock.clearTimer(gone);
    clock.clearTimer(gone);
    clock.clearTimer(undefined);
    clock.advance(100);
    assert.deepEqual(log, ['first']);
    assert.equal(clock.pending(), 0);
  });

  it('treats negative and NaN delays as zero', () => {
    const clock = new VirtualClock(5);
    const log: number[] = [];
    clock.setTimer(-10, () => log.push(clock.now()));
    clock.setTimer(Number.NaN, () => log.push(clock.now()));
    clock.advance(0);
    assert.deepEqual(log, [5, 5]);
  });

  it('rejects going backwards, bad durations and re-entrant advance', () => {
    const clock = new VirtualClock(100);
    assert.throws(() => clock.advanceTo(99), RangeError);
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.advance(Number.NaN), RangeError);
    let inner: unknown;
    clock.setTimer(1, () => {
      try {
        clock.advance(1);
      } catch (err) {
        inner = err;
      }
    });
    clock.advance(5);
    assert.ok(inner instanceof Error);
    // The clock still works after that.
    let ok = false;
    clock.setTimer(1, () => (ok = true));
    clock.advance(1);
    assert.equal(ok, true);
  });

  it('runAll drains everything and guards against endless timers', () => {
    const clock = new VirtualClock();
    clock.setTimer(1000, () => {});
    clock.setTimer(5000, () => {});
    assert.equal(clock.runAll(), 2);
    assert.equal(clock.now(), 5000);
    const forever = () => void clock.setTimer(1, forever);
    clock.setTimer(1, forever);
    assert.throws(() => clock.runAll(50), /more than 50/);
  });
});
