import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, type GuardConfig } from '../../config/schema';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { Guard, type GuardOptions, type StoredBlock } from './guard';

interface Line {
  level: 'info' | 'warn';
  obj: Record<string, unknown>;
  msg: string;
}

const START = Date.parse('2025-01-01T00:00:00.000Z');
const GW = '192.0.2.10';

function setup(opts: Partial<Omit<GuardOptions, 'config'>> & { config?: Partial<GuardConfig> } = {}) {
  const clock = opts.clock instanceof VirtualClock ? opts.clock : new VirtualClock(START);
  const lines: Line[] = [];
  let changes = 0;
  const guard = new Guard({
    acl: { white: [], black: [] },
    ...opts,
    config: { ...defaultConfig().guard, ...opts.config },
    clock,
    logger: {
      info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    },
    onChange: () => {
      changes++;
      opts.onChange?.();
    },
  });
  return { guard, clock, lines, changes: () => changes };
}

/** What the daemon does for one authenticated request that fails (or is refused while blocked). */
function attempt(guard: Guard, address: string, account: string, kind: 'wrong-password' | 'unknown-user' = 'wrong-password', port = 5060): 'dropped' | 'blocked' | 'failed' {
  if (guard.admit(address) === 'drop') return 'dropped';
  if (guard.accountBlocked(address, account)) return 'blocked';
  guard.recordFailure(address, port, account, kind);
  return 'failed';
}

function keys(guard: Guard): string[] {
  return guard.list().map((b) => b.key);
}

describe('Guard: the FXS gateway (one address, many accounts)', () => {
  it('blocks only the failing account and keeps the other ports working', () => {
    const { guard, clock, lines } = setup();
    const good = ['101', '102', '103', '104', '105', '106', '107', '108'];
    const outcomes: string[] = [];
    for (let i = 0; i < 100; i++) {
      for (const acct of good) {
        assert.equal(guard.admit(GW), 'ok');
        assert.equal(guard.accountBlocked(GW, acct), false, `${acct} must never be blocked`);
        guard.recordSuccess(GW, acct);
      }
      outcomes.push(attempt(guard, GW, '109'));
      clock.advance(2000); // retries every 2 s
    }
    assert.deepEqual(outcomes.slice(0, 5), ['failed', 'failed', 'failed', 'failed', 'failed']);
    assert.ok(outcomes.slice(5).every((o) => o === 'blocked'));
    const list = guard.list();
    assert.equal(list.length, 1);
    const [block] = list;
    assert.equal(block!.key, '192.0.2.10|109');
    assert.equal(block!.address, GW);
    assert.equal(block!.account, '109');
    assert.equal(block!.reason, 'wrong-password');
    assert.equal(block!.count, 100);
    assert.equal(block!.firstSeen, new Date(START).toISOString());
    assert.equal(block!.lastSeen, new Date(START + 99 * 2000).toISOString());
    assert.equal(block!.expiresAt, new Date(START + 4 * 2000 + 600_000).toISOString());

    // One warn line for the block, a handful of summaries (at most one a minute), no flood of lines.
    const warns = lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1);
    assert.equal(warns[0]!.msg, 'account 109 at 192.0.2.10:5060: wrong password, 5 attempts, blocked 600 s');
    assert.deepEqual(
      { ...warns[0]!.obj, repeats: undefined },
      { address: GW, port: 5060, account: '109', reason: 'wrong-password', count: 5, blockSeconds: 600, repeats: undefined },
    );
    const summaries = lines.filter((l) => l.msg.includes('still retrying'));
    assert.ok(summaries.length >= 2 && summaries.length <= 4, `${summaries.length} summaries`);
    assert.match(summaries.at(-1)!.msg, /^account 109 at 192\.0\.2\.10:5060 still retrying while blocked \(wrong password\): \d+ attempts, \d+ s left$/);
    assert.ok(lines.length <= 6, `${lines.length} lines`);
    for (const l of lines) assert.doesNotMatch(JSON.stringify(l), /"(password|response|nonce|ha1)"/i);
    guard.close();
  });

  it('never counts a retrying port as enumeration, however long it goes on', () => {
    const { guard, clock } = setup();
    for (let i = 0; i < 2000; i++) {
      attempt(guard, GW, '109');
      attempt(guard, GW, '110', 'unknown-user'); // a port configured with a deleted extension
      clock.advance(5000);
    }
    assert.equal(guard.admit(GW), 'ok');
    assert.ok(keys(guard).every((k) => k.includes('|')), keys(guard).join());
    assert.equal(guard.accountBlocked(GW, '101'), false);
    guard.close();
  });
});

describe('Guard: pair blocks', () => {
  it('needs accountFailures within windowSeconds', () => {
    const { guard, clock } = setup();
    for (let i = 0; i < 20; i++) {
      attempt(guard, GW, '103');
      clock.advance(15_000); // 4 per minute: never 5 in one window
    }
    assert.deepEqual(guard.list(), []);
    guard.close();
  });

  it('expires after blockSeconds', () => {
    const { guard, clock, lines } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    assert.equal(guard.accountBlocked(GW, '103'), true);
    clock.advance(599_999);
    assert.equal(guard.accountBlocked(GW, '103'), true);
    clock.advance(1);
    assert.equal(guard.accountBlocked(GW, '103'), false);
    assert.deepEqual(guard.list(), []);
    assert.ok(lines.some((l) => l.msg === 'account 103 at 192.0.2.10:5060: block ended (wrong password, 7 attempts)'));
    // A fresh failure after the end does not block at once.
    attempt(guard, GW, '103');
    assert.equal(guard.accountBlocked(GW, '103'), false);
    guard.close();
  });

  it('doubles on each repeat, up to maxBlockSeconds', () => {
    const { guard, clock, lines } = setup({ config: { blockSeconds: 600, maxBlockSeconds: 3000 } });
    const durations: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
      const [b] = guard.list();
      durations.push((Date.parse(b!.expiresAt) - clock.now()) / 1000);
      clock.advance(durations.at(-1)! * 1000);
    }
    assert.deepEqual(durations, [600, 1200, 2400, 3000, 3000]);
    assert.ok(lines.some((l) => l.msg === 'account 103 at 192.0.2.10:5060: wrong password, 5 attempts, blocked 1200 s (block 2 in a row)'));
    guard.close();
  });

  it('forgets the repeat counter after a quiet maxBlockSeconds and on success', () => {
    const { guard, clock } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    clock.advance(600_000 + 86_400_000); // block over, then a quiet day
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    assert.equal(Date.parse(guard.list()[0]!.expiresAt) - clock.now(), 600_000);
    clock.advance(600_000);
    guard.recordSuccess(GW, '103'); // fixed the password
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    assert.equal(Date.parse(guard.list()[0]!.expiresAt) - clock.now(), 600_000);
    guard.close();
  });

  it('recordSuccess clears the failure count but not a block in force', () => {
    const { guard } = setup();
    for (let i = 0; i < 4; i++) attempt(guard, GW, '103');
    guard.recordSuccess(GW, '103');
    for (let i = 0; i < 4; i++) attempt(guard, GW, '103');
    assert.deepEqual(guard.list(), []);
    attempt(guard, GW, '103');
    assert.deepEqual(keys(guard), ['192.0.2.10|103']);
    guard.recordSuccess(GW, '103');
    assert.equal(guard.accountBlocked(GW, '103'), true);
    guard.close();
  });

  it('counts failures reported while the pair is blocked on the block', () => {
    const { guard } = setup();
    for (let i = 0; i < 5; i++) guard.recordFailure(GW, 5062, '103', 'wrong-password');
    for (let i = 0; i < 20; i++) guard.recordFailure(GW, 5062, '103', 'wrong-password');
    const [b] = guard.list();
    assert.equal(b!.count, 25);
    assert.equal(guard.list().length, 1);
    guard.close();
  });

  it('remove(key) lifts a pair block and forgets its counters', () => {
    const { guard, changes } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    const before = changes();
    assert.equal(guard.remove('192.0.2.10|103'), true);
    assert.equal(changes(), before + 1);
    assert.equal(guard.accountBlocked(GW, '103'), false);
    assert.deepEqual(guard.list(), []);
    assert.equal(guard.remove('192.0.2.10|103'), false);
    assert.equal(guard.remove('198.51.100.1'), false);
    guard.close();
  });
});

describe('Guard: address blocks', () => {
  it('blocks the address after addressUserNames distinct failing names (enumeration)', () => {
    const { guard, lines } = setup();
    const attacker = '192.0.2.66';
    assert.equal(attempt(guard, attacker, '100'), 'failed');
    assert.equal(attempt(guard, attacker, '101'), 'failed');
    assert.equal(attempt(guard, attacker, 'admin', 'unknown-user'), 'failed');
    assert.equal(guard.admit(attacker), 'ok');
    assert.equal(attempt(guard, attacker, '102'), 'failed');
    assert.equal(guard.admit(attacker), 'drop');
    assert.deepEqual(keys(guard), [attacker]);
    const [b] = guard.list();
    assert.equal(b!.reason, 'enumeration');
    assert.equal(b!.account, undefined);
    assert.equal(Date.parse(b!.expiresAt) - START, 3_600_000);
    const warn = lines.find((l) => l.level === 'warn');
    assert.equal(warn!.msg, 'address 192.0.2.66 blocked: enumeration (4 user names), 3600 s');
    assert.equal(warn!.obj.userNames, 4);
    // Other addresses are not affected.
    assert.equal(guard.admit(GW), 'ok');
    guard.close();
  });

  it('does not count names that have since succeeded from the address', () => {
    const { guard } = setup();
    for (const acct of ['101', '102', '103']) {
      attempt(guard, GW, acct);
      guard.recordSuccess(GW, acct); // e.g. a stale credential retried once
    }
    attempt(guard, GW, '104');
    assert.equal(guard.admit(GW), 'ok');
    assert.deepEqual(guard.list(), []);
    guard.close();
  });

  it('blocks the address after addressUnknownUsers unknown-user failures', () => {
    const { guard, lines } = setup();
    const scanner = '203.0.113.5';
    const names = ['a', 'b', 'c'];
    for (let i = 0; i < 9; i++) assert.equal(attempt(guard, scanner, names[i % 3]!, 'unknown-user'), 'failed');
    assert.equal(guard.admit(scanner), 'ok');
    assert.equal(attempt(guard, scanner, 'a', 'unknown-user'), 'failed');
    assert.equal(guard.admit(scanner), 'drop');
    const [b] = guard.list();
    assert.equal(b!.key, scanner);
    assert.equal(b!.reason, 'unknown-user');
    assert.equal(b!.count >= 10, true);
    assert.ok(lines.some((l) => l.msg === 'address 203.0.113.5 blocked: unknown user (10 failures for unknown user names), 3600 s'));
    guard.close();
  });

  it('blocks a flooding address for addressBlockSeconds', () => {
    const { guard, clock, lines } = setup({ config: { addressRequestsPerSecond: 50, addressBlockSeconds: 120 } });
    const flooder = '198.51.100.9';
    // 40 requests/s sustained: fine.
    for (let i = 0; i < 400; i++) {
      assert.equal(guard.admit(flooder), 'ok');
      clock.advance(25);
    }
    // A burst of 100 within 100 ms: over the rate.
    const results: string[] = [];
    for (let i = 0; i < 100; i++) {
      results.push(guard.admit(flooder));
      clock.advance(1);
    }
    assert.ok(results.includes('drop'));
    const firstDrop = results.indexOf('drop');
    assert.ok(results.slice(firstDrop).every((r) => r === 'drop'));
    const [b] = guard.list();
    assert.equal(b!.key, flooder);
    assert.equal(b!.reason, 'flood');
    assert.equal(lines.filter((l) => l.level === 'warn').length, 1);
    assert.equal(lines.find((l) => l.level === 'warn')!.msg, 'address 198.51.100.9 blocked: flood (over 50 requests/s), 120 s');
    assert.equal(guard.admit('198.51.100.10'), 'ok');
    clock.advance(120_000);
    assert.equal(guard.admit(flooder), 'ok');
    guard.close();
  });

  it('remove(key) lifts an address block', () => {
    const { guard } = setup();
    for (const acct of ['1', '2', '3', '4']) attempt(guard, '192.0.2.66', acct);
    assert.equal(guard.admit('192.0.2.66'), 'drop');
    assert.equal(guard.remove('192.0.2.66'), true);
    assert.equal(guard.admit('192.0.2.66'), 'ok');
    // The counters were forgotten with it: one more failure does not re-block.
    attempt(guard, '192.0.2.66', '5');
    assert.equal(guard.admit('192.0.2.66'), 'ok');
    guard.close();
  });
});

describe('Guard: black and white lists', () => {
  it('drops black-listed sources without a block entry, counted and logged sparingly', () => {
    const { guard, clock, lines } = setup({ acl: { white: [], black: ['203.0.113.0/24', '2001:db8:bad::/48'] } });
    for (let i = 0; i < 1000; i++) {
      assert.equal(guard.admit('203.0.113.7'), 'drop');
      clock.advance(100); // 10 requests/s for 100 s
    }
    assert.equal(guard.admit('::ffff:203.0.113.8'), 'drop');
    assert.equal(guard.admit('2001:db8:bad::1'), 'drop');
    assert.equal(guard.admit('2001:db8:bae::1'), 'ok');
    assert.deepEqual(guard.list(), []);
    assert.equal(guard.stats().blackListDrops, 1002);
    const about7 = lines.filter((l) => l.obj.address === '203.0.113.7');
    assert.equal(about7.length, 2); // the first one, then one after a minute
    assert.equal(about7[0]!.msg, 'address 203.0.113.7: black list, 1 request dropped');
    guard.close();
  });

  it('black list wins over white list', () => {
    const { guard } = setup({ acl: { white: ['192.0.2.0/24'], black: ['192.0.2.66'] } });
    assert.equal(guard.admit('192.0.2.66'), 'drop');
    assert.equal(guard.admit('192.0.2.67'), 'ok');
    guard.close();
  });

  it('never blocks nor drops a white-listed address, but logs its failures', () => {
    const { guard, lines } = setup({ acl: { white: ['192.0.2.0/24', '2001:db8::/32'], black: [] }, config: { addressRequestsPerSecond: 10 } });
    for (let i = 0; i < 100; i++) {
      assert.equal(attempt(guard, GW, '109'), 'failed');
      assert.equal(attempt(guard, GW, `x${i}`, 'unknown-user'), 'failed');
      assert.equal(attempt(guard, '2001:db8::7', '109'), 'failed');
    }
    for (let i = 0; i < 1000; i++) assert.equal(guard.admit(GW), 'ok');
    assert.deepEqual(guard.list(), []);
    assert.ok(lines.some((l) => l.msg === 'account 109 at 192.0.2.10:5060: wrong password, 5 attempts, not blocked (white list)'));
    assert.ok(lines.some((l) => l.msg.startsWith('address 192.0.2.10: enumeration (4 user names), not blocked (white list)')));
    assert.ok(lines.some((l) => l.msg.startsWith('account 109 at [2001:db8::7]:5060:')));
    guard.close();
  });

  it('setAcl applies at once and lifts blocks of newly white-listed addresses', () => {
    const { guard, changes } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, GW, '109');
    assert.equal(guard.list().length, 1);
    guard.setAcl({ white: [], black: ['198.51.100.0/24'] });
    assert.equal(guard.admit('198.51.100.1'), 'drop');
    assert.equal(guard.list().length, 1);
    const before = changes();
    guard.setAcl({ white: ['192.0.2.0/28'], black: [] });
    assert.equal(changes(), before + 1);
    assert.deepEqual(guard.list(), []);
    assert.equal(guard.admit('198.51.100.1'), 'ok');
    assert.equal(guard.accountBlocked(GW, '109'), false);
    assert.throws(() => guard.setAcl({ white: ['bad'], black: [] }), { code: 'EDGESIP_ERR_CIDR' });
    assert.equal(guard.admit('198.51.100.1'), 'ok'); // unchanged after the failed call
    guard.close();
  });
});

describe('Guard: IPv6', () => {
  it('keys blocks by the canonical address, mapped IPv4 included', () => {
    const { guard } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, '2001:DB8:0::1', '103');
    assert.deepEqual(keys(guard), ['2001:db8::1|103']);
    assert.equal(guard.accountBlocked('2001:db8::1', '103'), true);
    assert.equal(guard.accountBlocked('2001:db8::2', '103'), false);
    for (let i = 0; i < 5; i++) attempt(guard, '::ffff:192.0.2.10', '104');
    assert.equal(guard.accountBlocked(GW, '104'), true);
    assert.ok(keys(guard).includes('192.0.2.10|104'));
    assert.equal(guard.remove('2001:db8:0:0::1|103'), true);
    guard.close();
  });

  it('blocks an enumerating IPv6 address', () => {
    const { guard } = setup();
    for (const a of ['1', '2', '3', '4']) attempt(guard, '2001:db8::66', a);
    assert.equal(guard.admit('2001:db8::66'), 'drop');
    assert.equal(guard.admit('2001:db8::67'), 'ok');
    assert.deepEqual(keys(guard), ['2001:db8::66']);
    guard.close();
  });
});

describe('Guard: persistence', () => {
  it('snapshot → new Guard restores blocks with their remaining time and repeat counter', () => {
    const first = setup();
    for (let i = 0; i < 5; i++) attempt(first.guard, GW, '103');
    first.clock.advance(600_000);
    for (let i = 0; i < 5; i++) attempt(first.guard, GW, '103'); // second block: 1200 s
    for (const a of ['1', '2', '3', '4']) attempt(first.guard, '192.0.2.66', a);
    first.clock.advance(200_000);
    const snap: StoredBlock[] = JSON.parse(JSON.stringify(first.guard.snapshot())) as StoredBlock[];
    const before = first.guard.list();
    first.guard.close();

    const clock = new VirtualClock(first.clock.now() + 100_000); // down for 100 s
    const second = setup({ clock, initialBlocks: snap });
    const after = second.guard.list();
    assert.deepEqual(after, before);
    assert.equal(Date.parse(after.find((b) => b.key === '192.0.2.10|103')!.expiresAt) - clock.now(), 900_000);
    assert.equal(second.guard.admit('192.0.2.66'), 'drop');
    assert.equal(second.guard.accountBlocked(GW, '103'), true);
    // The repeat counter survived: the next block lasts 2400 s.
    clock.advance(900_000);
    for (let i = 0; i < 5; i++) attempt(second.guard, GW, '103');
    assert.equal(Date.parse(second.guard.list().find((b) => b.key === '192.0.2.10|103')!.expiresAt) - clock.now(), 2_400_000);
    second.guard.close();
  });

  it('drops expired, forgotten, malformed and white-listed entries on load', () => {
    const now = START;
    const entry = (over: Partial<StoredBlock>): StoredBlock => ({
      address: GW,
      account: '103',
      reason: 'wrong-password',
      count: 5,
      firstSeen: now - 10_000,
      lastSeen: now - 1000,
      expiresAt: now + 60_000,
      repeats: 1,
      forgetAt: now + 60_000 + 86_400_000,
      ...over,
    });
    const { guard } = setup({
      acl: { white: ['198.51.100.0/24'], black: [] },
      initialBlocks: [
        entry({}),
        entry({ account: '104', expiresAt: now - 1 }), // ended: remembered only
        entry({ account: '105', expiresAt: now - 2, forgetAt: now - 1 }), // forgotten
        entry({ address: '198.51.100.5' }), // white-listed now
        entry({ account: '106', expiresAt: now + 10 * 86_400_000 * 1000 }), // absurd: capped
        { ...entry({}), reason: 'bogus' } as unknown as StoredBlock,
        null as unknown as StoredBlock,
      ],
    });
    assert.deepEqual(keys(guard).sort(), ['192.0.2.10|103', '192.0.2.10|106']);
    const capped = guard.list().find((b) => b.account === '106')!;
    assert.ok(Date.parse(capped.expiresAt) - now <= 86_400_000);
    assert.deepEqual(guard.snapshot().map((s) => s.account).sort(), ['103', '104', '106']);
    guard.close();
  });

  it('calls onChange when blocks change, not on every blocked attempt', () => {
    const { guard, clock, changes } = setup();
    for (let i = 0; i < 5; i++) attempt(guard, GW, '103');
    assert.equal(changes(), 1);
    for (let i = 0; i < 50; i++) attempt(guard, GW, '103');
    assert.equal(changes(), 1);
    clock.advance(600_000 + 60_000); // the sweep notices the end
    assert.equal(changes(), 2);
    guard.close();
  });
});

describe('Guard: bounded memory', () => {
  it('keeps every table at or below the cap under 200k distinct addresses', () => {
    const { guard, clock, lines } = setup();
    for (let i = 0; i < 200_000; i++) {
      const addr = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      guard.admit(addr);
      guard.recordFailure(addr, 5060, '100', 'wrong-password');
      if (i % 1000 === 0) clock.advance(1);
    }
    const s = guard.stats();
    assert.ok(s.pairFailures <= 50_000, `pairs ${s.pairFailures}`);
    assert.ok(s.addressFailures <= 50_000, `addresses ${s.addressFailures}`);
    assert.ok(s.rateBuckets <= 50_000, `buckets ${s.rateBuckets}`);
    assert.ok(s.pairFailures >= 45_000, `pairs ${s.pairFailures}`); // evicted in batches, but most are kept
    // The eviction is reported, sparingly.
    assert.ok(lines.filter((l) => l.msg.startsWith('guard: too many')).length <= 3);
    // The sweep empties what has expired.
    clock.advance(120_000);
    const t = guard.stats();
    assert.deepEqual([t.pairFailures, t.addressFailures, t.rateBuckets], [0, 0, 0]);
    guard.close();
    assert.equal(clock.pending(), 0);
  });

  it('caps the block table too, dropping the oldest', () => {
    const { guard } = setup({ maxTracked: 1000, config: { addressRequestsPerSecond: 1 } });
    for (let i = 0; i < 5000; i++) {
      const addr = `10.0.${(i >> 8) & 255}.${i & 255}`;
      guard.admit(addr);
      assert.equal(guard.admit(addr), 'drop');
    }
    const s = guard.stats();
    assert.ok(s.blocks <= 1000);
    assert.ok(s.rateBuckets <= 1000);
    assert.equal(guard.admit('10.0.19.135'), 'drop'); // the newest is still blocked (i = 4999)
    guard.close();
  });

  it('bounds the length of account names it keeps', () => {
    const { guard } = setup();
    const long = 'x'.repeat(10_000);
    for (let i = 0; i < 5; i++) attempt(guard, GW, long);
    const [b] = guard.list();
    assert.equal(b!.account!.length, 128);
    assert.equal(guard.accountBlocked(GW, long), true);
    guard.close();
  });
});
