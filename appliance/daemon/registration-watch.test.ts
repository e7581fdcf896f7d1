import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../sip/testing/virtual-clock';
import { RegistrationWatch } from './registration-watch';

function setup(counts: number[], opts: { minBefore?: number } = {}) {
  const clock = new VirtualClock(0);
  let i = 0;
  const drops: Array<{ at: number; dropped: number }> = [];
  const watch = new RegistrationWatch({
    clock,
    registered: () => counts[Math.min(i++, counts.length - 1)]!,
    onMassDrop: (dropped) => drops.push({ at: clock.now(), dropped }),
    intervalMs: 30_000,
    windowMs: 10 * 60_000,
    quietMs: 60 * 60_000,
    ...opts,
  });
  watch.start();
  return { clock, drops, watch };
}

test('every extension gone within the window: one alarm with the number that dropped', () => {
  const { clock, drops } = setup([5, 5, 4, 0, 0, 0]);
  clock.advance(5 * 30_000);
  assert.deepEqual(drops, [{ at: 90_000, dropped: 5 }]);
});

test('a slow decline over more than the window is not a mass drop', () => {
  // 3 registered, then 1 for 11 minutes, then 0: the peak inside the window is 1.
  const counts = [3, ...Array(22).fill(1), 0, 0];
  const { clock, drops } = setup(counts);
  clock.advance(counts.length * 30_000);
  assert.deepEqual(drops, []);
});

test('a single phone going away is not an alarm (minBefore 2)', () => {
  const { clock, drops } = setup([1, 1, 0, 0]);
  clock.advance(4 * 30_000);
  assert.deepEqual(drops, []);
});

test('after an alarm it stays quiet for an hour, then re-arms once phones are back', () => {
  const counts = [4, 0, 0, 4, 0, ...Array(130).fill(4), 0];
  const { clock, drops } = setup(counts);
  clock.advance(counts.length * 30_000);
  assert.equal(drops.length, 2);
  assert.equal(drops[0]!.at, 30_000);
  assert.ok(drops[1]!.at - drops[0]!.at >= 60 * 60_000);
});

test('stop() ends the sampling', () => {
  const { clock, drops, watch } = setup([3, 3, 0]);
  watch.stop();
  clock.advance(10 * 30_000);
  assert.deepEqual(drops, []);
});
