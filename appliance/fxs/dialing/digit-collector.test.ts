import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { compileImmediatePattern, DigitCollector, MAX_DIALLED_DIGITS, type DialCompletion, type DigitCollectorOptions } from './digit-collector';

interface Harness {
  clock: VirtualClock;
  collector: DigitCollector;
  /** Every callback, in order: ['dial', number, how] or ['abandon']. */
  events: (readonly [string, ...string[]])[];
  /** Presses each key of `keys`, `gapMs` apart (the first one now). */
  press(keys: string, gapMs?: number): void;
}

function harness(over: Partial<DigitCollectorOptions> = {}): Harness {
  const clock = new VirtualClock(1_000_000);
  const events: (readonly [string, ...string[]])[] = [];
  const collector = new DigitCollector({
    clock,
    firstDigitMs: 10_000,
    interDigitMs: 4_000,
    sendKey: '#',
    immediate: ['1XX', '2XX', '*XX#'],
    onDial: (number: string, how: DialCompletion) => void events.push(['dial', number, how]),
    onAbandon: () => void events.push(['abandon']),
    ...over,
  });
  return {
    clock,
    collector,
    events,
    press(keys, gapMs = 500) {
      [...keys].forEach((k, i) => {
        if (i > 0) clock.advance(gapMs);
        collector.digit(k);
      });
    },
  };
}

describe('DigitCollector', () => {
  test('no digit within the first-digit time abandons, once', () => {
    const h = harness();
    h.clock.advance(9_999);
    assert.deepEqual(h.events, []);
    h.clock.advance(1);
    assert.deepEqual(h.events, [['abandon']]);
    assert.equal(h.collector.done, true);
    h.press('123');
    h.clock.runAll();
    assert.deepEqual(h.events, [['abandon']], 'nothing after the end');
    assert.equal(h.clock.pending(), 0);
  });

  test('the inter-digit timeout completes what was dialled; each digit restarts it', () => {
    const h = harness();
    h.clock.advance(9_000);
    h.press('010', 3_999);
    assert.equal(h.collector.digits, '010');
    h.clock.advance(3_999);
    assert.deepEqual(h.events, []);
    h.clock.advance(1);
    assert.deepEqual(h.events, [['dial', '010', 'timeout']]);
    assert.equal(h.clock.pending(), 0);
  });

  test('the send key completes at once and is not part of the number; alone it is ignored', () => {
    const h = harness();
    h.press('#');
    assert.deepEqual(h.events, []);
    assert.equal(h.collector.digits, '');
    h.clock.advance(5_000);
    h.press('5551234#', 100);
    assert.deepEqual(h.events, [['dial', '5551234', 'send-key']]);
    assert.equal(h.clock.pending(), 0);

    // A lone send key does not restart the first-digit timer.
    const lone = harness();
    lone.clock.advance(9_000);
    lone.press('#');
    lone.clock.advance(1_000);
    assert.deepEqual(lone.events, [['abandon']]);
  });

  test('the send key may be *, or none', () => {
    const star = harness({ sendKey: '*', immediate: [] });
    star.press('8001*');
    assert.deepEqual(star.events, [['dial', '8001', 'send-key']]);
    const none = harness({ sendKey: '', immediate: [] });
    none.press('80#1');
    assert.equal(none.collector.digits, '80#1');
    none.clock.advance(4_000);
    assert.deepEqual(none.events, [['dial', '80#1', 'timeout']]);
  });

  test('a full match of an immediate pattern that cannot grow completes at once', () => {
    const h = harness();
    h.press('12');
    assert.deepEqual(h.events, []);
    h.press('3');
    assert.deepEqual(h.events, [['dial', '123', 'pattern']]);
    assert.equal(h.clock.pending(), 0);
    const two = harness();
    two.press('299');
    assert.deepEqual(two.events, [['dial', '299', 'pattern']]);
  });

  test('a match that can still grow into a longer one waits for the timeout', () => {
    const h = harness({ immediate: ['1XX', '1XXX'] });
    h.press('123');
    assert.deepEqual(h.events, []);
    h.clock.advance(4_000);
    assert.deepEqual(h.events, [['dial', '123', 'timeout']]);
    const longer = harness({ immediate: ['1XX', '1XXX'] });
    longer.press('1234');
    assert.deepEqual(longer.events, [['dial', '1234', 'pattern']]);
    // An open pattern always can grow: it never completes at once.
    const open = harness({ immediate: ['9.'] });
    open.press('91234');
    assert.deepEqual(open.events, []);
    open.clock.advance(4_000);
    assert.deepEqual(open.events, [['dial', '91234', 'timeout']]);
  });

  test('a send key that continues a pattern is a digit (*XX# with # as send key)', () => {
    const h = harness();
    h.press('*72#');
    assert.deepEqual(h.events, [['dial', '*72#', 'pattern']]);
    // Where no pattern goes on with it, it is the send key again.
    const early = harness();
    early.press('*7#');
    assert.deepEqual(early.events, [['dial', '*7', 'send-key']]);
  });

  test('patterns with sets and N/Z elements', () => {
    const h = harness({ immediate: ['[2-4]N', '0Z[05]'] });
    h.press('31');
    assert.deepEqual(h.events, [], 'N is 2-9');
    const a = harness({ immediate: ['[2-4]N', '0Z[05]'] });
    a.press('39');
    assert.deepEqual(a.events, [['dial', '39', 'pattern']]);
    const b = harness({ immediate: ['[2-4]N', '0Z[05]'] });
    b.press('015');
    assert.deepEqual(b.events, [['dial', '015', 'pattern']]);
  });

  test('keys other than 0-9 * # are ignored, and digits beyond the maximum', () => {
    const h = harness({ immediate: [] });
    h.press('1A2 d3');
    assert.equal(h.collector.digits, '123');
    const long = harness({ immediate: [] });
    long.press('9'.repeat(MAX_DIALLED_DIGITS + 5), 10);
    assert.equal(long.collector.digits.length, MAX_DIALLED_DIGITS);
    long.press('#');
    assert.deepEqual(long.events, [['dial', '9'.repeat(MAX_DIALLED_DIGITS), 'send-key']]);
  });

  test('cancel stops everything without a callback', () => {
    const h = harness();
    h.press('55');
    h.collector.cancel();
    assert.equal(h.collector.done, true);
    assert.equal(h.clock.pending(), 0);
    h.press('5#');
    h.clock.runAll();
    assert.deepEqual(h.events, []);
    assert.equal(h.collector.digits, '55');
    const fresh = harness();
    fresh.collector.cancel();
    fresh.clock.runAll();
    assert.deepEqual(fresh.events, []);
  });

  test('a bad pattern is a programming error (the config refuses it first)', () => {
    assert.throws(() => harness({ immediate: ['1.X'] }), /immediate pattern "1\.X" '\.' may only come last/);
  });
});

test('compileImmediatePattern: matches and canGrow', () => {
  const p = compileImmediatePattern('+8[6-7]X.');
  assert.equal(p.matches('+861'), false, "'.' needs one more digit");
  assert.equal(p.matches('+8612'), true);
  assert.equal(p.canGrow(''), true);
  assert.equal(p.canGrow('+8'), true);
  assert.equal(p.canGrow('+88'), false);
  assert.equal(p.canGrow('+861'), true);
  assert.equal(p.canGrow('+8612345'), true);
  assert.equal(p.canGrow('+861234#'), false);
  const f = compileImmediatePattern('*X[12]#');
  assert.equal(f.canGrow('*'), true);
  assert.equal(f.canGrow('*9'), true);
  assert.equal(f.canGrow('*93'), false);
  assert.equal(f.canGrow('*91'), true);
  assert.equal(f.matches('*91#'), true);
  assert.equal(f.canGrow('*91#'), false);
});
