import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../sip/testing/virtual-clock';
import { LoginThrottle } from './login-throttle';

describe('web login throttle', () => {
  const limits = { addressFailures: 3, accountFailures: 5, windowMs: 60_000, lockMs: 600_000 };

  test('failures spread beyond the window do not add up', () => {
    const clock = new VirtualClock(0);
    const t = new LoginThrottle(clock, limits);
    for (let i = 0; i < 10; i++) {
      t.failed('192.0.2.1', 'admin');
      clock.advance(31_000);
    }
    assert.deepEqual(t.check('192.0.2.1', 'admin'), { allowed: true });
  });

  test('an address is locked after its failures, for the lock time, other addresses are not', () => {
    const clock = new VirtualClock(0);
    const t = new LoginThrottle(clock, limits);
    for (const u of ['a', 'b', 'c']) t.failed('192.0.2.1', u);
    assert.deepEqual(t.check('192.0.2.1', 'admin'), { allowed: false, retryAfterMs: 600_000, scope: 'address' });
    assert.deepEqual(t.check('192.0.2.2', 'admin'), { allowed: true });
    clock.advance(599_999);
    assert.equal(t.check('192.0.2.1', 'admin').allowed, false);
    clock.advance(1);
    assert.equal(t.check('192.0.2.1', 'admin').allowed, true);
  });

  test('an account guessed at from many addresses is locked for all of them until unlocked', () => {
    const clock = new VirtualClock(0);
    const t = new LoginThrottle(clock, limits);
    for (let i = 1; i <= 5; i++) t.failed(`198.51.100.${i}`, 'admin');
    assert.deepEqual(t.check('203.0.113.9', 'admin'), { allowed: false, retryAfterMs: 600_000, scope: 'account' });
    assert.equal(t.accountLockedUntil('admin'), 600_000);
    assert.equal(t.check('203.0.113.9', 'other').allowed, true);
    t.unlockAccount('admin');
    assert.equal(t.check('203.0.113.9', 'admin').allowed, true);
    assert.equal(t.accountLockedUntil('admin'), undefined);
  });

  test('a success clears its address but not the account count', () => {
    const clock = new VirtualClock(0);
    const t = new LoginThrottle(clock, limits);
    t.failed('192.0.2.1', 'admin');
    t.failed('192.0.2.1', 'admin');
    t.succeeded('192.0.2.1');
    t.failed('192.0.2.1', 'admin');
    t.failed('192.0.2.1', 'admin');
    assert.equal(t.check('192.0.2.1', 'x').allowed, true, 'two after the success: below the address limit');
    t.failed('192.0.2.7', 'admin');
    assert.equal(t.check('192.0.2.8', 'admin').allowed, false, 'five against the account in the window');
  });
});
