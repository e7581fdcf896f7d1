import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  locateServers,
  orderSrv,
  TargetCursor,
  type DnsQueries,
  type NaptrRecord,
  type SipTarget,
  type SrvRecord,
} from './server-locator';

type Kind = 'NAPTR' | 'SRV' | 'A' | 'AAAA';

interface FakeZone {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
  /** "KIND name" entries whose query rejects (SERVFAIL, timeout). */
  fail?: string[];
}

/** DnsQueries from a table; records every query as "KIND name". */
class FakeDns implements DnsQueries {
  readonly asked: string[] = [];
  constructor(private readonly zone: FakeZone) {}
  naptr(name: string) {
    return this.answer('NAPTR', name, this.zone.naptr);
  }
  srv(name: string) {
    return this.answer('SRV', name, this.zone.srv);
  }
  a(name: string) {
    return this.answer('A', name, this.zone.a);
  }
  aaaa(name: string) {
    return this.answer('AAAA', name, this.zone.aaaa);
  }
  private async answer<T>(kind: Kind, name: string, table: Record<string, T[]> | undefined): Promise<T[]> {
    this.asked.push(`${kind} ${name}`);
    if (this.zone.fail?.includes(`${kind} ${name}`)) throw Object.assign(new Error(`${kind} ${name} failed`), { code: 'ESERVFAIL' });
    return table?.[name] ?? [];
  }
}

function naptr(order: number, preference: number, service: string, replacement: string, flags = 's', regexp = ''): NaptrRecord {
  return { order, preference, service, replacement, flags, regexp };
}

function srv(priority: number, weight: number, port: number, name: string): SrvRecord {
  return { priority, weight, port, name };
}

/** "TRANSPORT address:port" for compact assertions. */
function show(targets: SipTarget[]): string[] {
  return targets.map((t) => `${t.transport} ${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}`);
}

/** Returns the given values in turn (then 0), for exact SRV weight scenarios. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++] ?? 0;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('locateServers: numeric IP hosts (§4.1, §4.2)', () => {
  it('uses the address with UDP and 5060 by default, and asks DNS nothing', async () => {
    const dns = new FakeDns({});
    assert.deepEqual(await locateServers({ host: '192.0.2.7' }, dns), [{ transport: 'UDP', address: '192.0.2.7', port: 5060, via: '192.0.2.7' }]);
    assert.deepEqual(dns.asked, []);
  });

  it('honours the transport parameter and the port', async () => {
    const dns = new FakeDns({});
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7', transport: 'TCP' }, dns)), ['TCP 192.0.2.7:5060']);
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7', port: 5070 }, dns)), ['UDP 192.0.2.7:5070']);
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7', transport: 'TLS' }, dns)), ['TLS 192.0.2.7:5061']);
    assert.deepEqual(dns.asked, []);
  });

  it('uses TLS on 5061 for a SIPS URI, and TLS for transport=tcp in it', async () => {
    const dns = new FakeDns({});
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7', secure: true }, dns)), ['TLS 192.0.2.7:5061']);
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7', secure: true, transport: 'TCP', port: 6000 }, dns)), ['TLS 192.0.2.7:6000']);
  });

  it('accepts IPv6 references with or without brackets and returns the bare address', async () => {
    const dns = new FakeDns({});
    assert.deepEqual(await locateServers({ host: '[2001:db8::1]', port: 5080 }, dns), [
      { transport: 'UDP', address: '2001:db8::1', port: 5080, via: '2001:db8::1' },
    ]);
    assert.deepEqual(show(await locateServers({ host: '::1', transport: 'TCP' }, dns)), ['TCP [::1]:5060']);
    assert.deepEqual(dns.asked, []);
  });

  it('gives nothing for a transport the client does not support, or UDP in a SIPS URI', async () => {
    const dns = new FakeDns({});
    assert.deepEqual(await locateServers({ host: '192.0.2.7', transport: 'TLS' }, dns, { supported: ['UDP', 'TCP'] }), []);
    assert.deepEqual(await locateServers({ host: '192.0.2.7', transport: 'UDP', secure: true }, dns), []);
    assert.deepEqual(await locateServers({ host: '192.0.2.7', secure: true }, dns, { supported: ['UDP'] }), []);
  });

  it('falls back to TCP when the client cannot do UDP', async () => {
    assert.deepEqual(show(await locateServers({ host: '192.0.2.7' }, new FakeDns({}), { supported: ['TCP'] })), ['TCP 192.0.2.7:5060']);
  });

  it('rejects a bad port or an empty host', async () => {
    await assert.rejects(locateServers({ host: 'example.com', port: 0 }, new FakeDns({})), RangeError);
    await assert.rejects(locateServers({ host: 'example.com', port: 70000 }, new FakeDns({})), RangeError);
    await assert.rejects(locateServers({ host: '' }, new FakeDns({})), RangeError);
  });
});

describe('locateServers: a domain with a port (§4.2)', () => {
  const zone: FakeZone = {
    naptr: { 'example.com': [naptr(10, 10, 'SIP+D2T', '_sip._tcp.example.com')] },
    srv: { '_sip._udp.example.com': [srv(10, 0, 5090, 'other.example.com')] },
    a: { 'example.com': ['192.0.2.1', '192.0.2.2'] },
    aaaa: { 'example.com': ['2001:db8::1'] },
  };

  it('looks up A then AAAA only, no NAPTR or SRV, and keeps the port', async () => {
    const dns = new FakeDns(zone);
    const targets = await locateServers({ host: 'example.com', port: 5070 }, dns);
    assert.deepEqual(show(targets), ['UDP 192.0.2.1:5070', 'UDP 192.0.2.2:5070', 'UDP [2001:db8::1]:5070']);
    assert.equal(targets[0]!.via, 'example.com');
    assert.deepEqual(dns.asked.sort(), ['A example.com', 'AAAA example.com']);
  });

  it('uses the transport parameter, TLS for SIPS', async () => {
    assert.deepEqual(show(await locateServers({ host: 'example.com', port: 5070, transport: 'TCP' }, new FakeDns(zone))).slice(0, 1), ['TCP 192.0.2.1:5070']);
    assert.deepEqual(show(await locateServers({ host: 'example.com', port: 5071, secure: true }, new FakeDns(zone))).slice(0, 1), ['TLS 192.0.2.1:5071']);
  });

  it('ignores a final dot on the domain', async () => {
    const dns = new FakeDns(zone);
    assert.equal((await locateServers({ host: 'example.com.', port: 5070 }, dns)).length, 3);
    assert.ok(dns.asked.includes('A example.com'));
  });
});

describe('locateServers: a domain with a transport, no port (§4.1, §4.2)', () => {
  it('queries the SRV name of that transport only, never NAPTR', async () => {
    const dns = new FakeDns({
      srv: { '_sip._tcp.example.com': [srv(10, 0, 5062, 'pbx.example.com')] },
      a: { 'pbx.example.com': ['192.0.2.10'] },
    });
    const targets = await locateServers({ host: 'example.com', transport: 'TCP' }, dns);
    assert.deepEqual(targets, [{ transport: 'TCP', address: '192.0.2.10', port: 5062, via: 'pbx.example.com' }]);
    assert.ok(!dns.asked.some((q) => q.startsWith('NAPTR')));
    assert.deepEqual(dns.asked.filter((q) => q.startsWith('SRV')), ['SRV _sip._tcp.example.com']);
  });

  it('uses _sips._tcp for TLS and for transport=tcp in a SIPS URI', async () => {
    const zone: FakeZone = { srv: { '_sips._tcp.example.com': [srv(10, 0, 5063, 'tls.example.com')] }, a: { 'tls.example.com': ['192.0.2.11'] } };
    assert.deepEqual(show(await locateServers({ host: 'example.com', transport: 'TLS' }, new FakeDns(zone))), ['TLS 192.0.2.11:5063']);
    assert.deepEqual(show(await locateServers({ host: 'example.com', transport: 'TCP', secure: true }, new FakeDns(zone))), ['TLS 192.0.2.11:5063']);
  });

  it('falls back to A/AAAA of the domain at the default port of the transport', async () => {
    const zone: FakeZone = { a: { 'example.com': ['192.0.2.1'] }, aaaa: { 'example.com': ['2001:db8::1'] } };
    assert.deepEqual(show(await locateServers({ host: 'example.com', transport: 'TCP' }, new FakeDns(zone))), ['TCP 192.0.2.1:5060', 'TCP [2001:db8::1]:5060']);
    assert.deepEqual(show(await locateServers({ host: 'example.com', transport: 'TLS' }, new FakeDns(zone))), ['TLS 192.0.2.1:5061', 'TLS [2001:db8::1]:5061']);
  });

  it('gives nothing when the transport is not supported', async () => {
    const dns = new FakeDns({ a: { 'example.com': ['192.0.2.1'] } });
    assert.deepEqual(await locateServers({ host: 'example.com', transport: 'TLS' }, dns, { supported: ['UDP'] }), []);
    assert.deepEqual(dns.asked, []);
  });
});

describe('locateServers: NAPTR (§4.1)', () => {
  const base: FakeZone = {
    srv: {
      '_sip._udp.example.com': [srv(10, 0, 5060, 'udp.example.com')],
      '_sip._tcp.example.com': [srv(10, 0, 5060, 'tcp.example.com')],
      '_sips._tcp.example.com': [srv(10, 0, 5061, 'tls.example.com')],
    },
    a: { 'udp.example.com': ['192.0.2.1'], 'tcp.example.com': ['192.0.2.2'], 'tls.example.com': ['192.0.2.3'] },
  };

  it('follows the records by preference within the lowest order, each through SRV', async () => {
    const dns = new FakeDns({
      ...base,
      naptr: {
        'example.com': [
          naptr(50, 30, 'SIP+D2U', '_sip._udp.example.com'),
          naptr(50, 10, 'SIPS+D2T', '_sips._tcp.example.com'),
          naptr(50, 20, 'SIP+D2T', '_sip._tcp.example.com.'),
        ],
      },
    });
    const targets = await locateServers({ host: 'example.com' }, dns);
    assert.deepEqual(show(targets), ['TLS 192.0.2.3:5061', 'TCP 192.0.2.2:5060', 'UDP 192.0.2.1:5060']);
    assert.deepEqual(targets.map((t) => t.via), ['tls.example.com', 'tcp.example.com', 'udp.example.com']);
  });

  it('never considers a higher order once a record of a lower order is usable (RFC 3403)', async () => {
    const dns = new FakeDns({
      ...base,
      naptr: { 'example.com': [naptr(20, 10, 'SIP+D2U', '_sip._udp.example.com'), naptr(10, 50, 'SIP+D2T', '_sip._tcp.example.com')] },
    });
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['TCP 192.0.2.2:5060']);
  });

  it('skips records that are not "s", carry a regexp, name other services or unsupported transports', async () => {
    const records = [
      naptr(10, 10, 'SIP+D2T', '_sip._tcp.example.com', 'a'),
      naptr(10, 11, 'SIP+D2T', '', 's', '!^.*$!sip:x@example.com!'),
      naptr(10, 12, 'SIP+D2S', '_sip._sctp.example.com'),
      naptr(10, 13, 'E2U+sip', '_sip._tcp.example.com', 'u'),
      naptr(10, 14, 'SIPS+D2T', '_sips._tcp.example.com'),
      naptr(20, 10, 'sip+d2u', '_sip._udp.example.com', 'S'),
    ];
    const dns = new FakeDns({ ...base, naptr: { 'example.com': records } });
    // TLS (order 10) is not supported, so the usable lowest order is 20: case-insensitive match.
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns, { supported: ['UDP', 'TCP'] })), ['UDP 192.0.2.1:5060']);
    assert.ok(!dns.asked.includes('SRV _sip._sctp.example.com'));
  });

  it('takes only SIPS+D2T for a SIPS URI', async () => {
    const dns = new FakeDns({
      ...base,
      naptr: { 'example.com': [naptr(10, 10, 'SIP+D2U', '_sip._udp.example.com'), naptr(10, 20, 'SIPS+D2T', '_sips._tcp.example.com')] },
    });
    assert.deepEqual(show(await locateServers({ host: 'example.com', secure: true }, dns)), ['TLS 192.0.2.3:5061']);
  });

  it('falls back to the SRV queries when no NAPTR record is usable', async () => {
    const dns = new FakeDns({ ...base, naptr: { 'example.com': [naptr(10, 10, 'SIP+D2S', '_sip._sctp.example.com')] } });
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['UDP 192.0.2.1:5060', 'TCP 192.0.2.2:5060', 'TLS 192.0.2.3:5061']);
  });

  it('falls back to A/AAAA of the domain when the NAPTR SRV names have no records', async () => {
    const dns = new FakeDns({ naptr: { 'example.com': [naptr(10, 10, 'SIP+D2T', '_sip._tcp.example.com')] }, a: { 'example.com': ['192.0.2.9'] } });
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['UDP 192.0.2.9:5060']);
  });
});

describe('locateServers: no NAPTR (§4.1)', () => {
  it('queries SRV for each supported transport, in the client order, and keeps that order', async () => {
    const zone: FakeZone = {
      srv: {
        '_sip._udp.example.com': [srv(10, 0, 5060, 'udp.example.com')],
        '_sip._tcp.example.com': [srv(10, 0, 5060, 'tcp.example.com')],
        '_sips._tcp.example.com': [srv(10, 0, 5061, 'tls.example.com')],
      },
      a: { 'udp.example.com': ['192.0.2.1'], 'tcp.example.com': ['192.0.2.2'], 'tls.example.com': ['192.0.2.3'] },
    };
    const dns = new FakeDns(zone);
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['UDP 192.0.2.1:5060', 'TCP 192.0.2.2:5060', 'TLS 192.0.2.3:5061']);
    assert.deepEqual(dns.asked.slice(0, 4), ['NAPTR example.com', 'SRV _sip._udp.example.com', 'SRV _sip._tcp.example.com', 'SRV _sips._tcp.example.com']);
    const tcpFirst = await locateServers({ host: 'example.com' }, new FakeDns(zone), { supported: ['TLS', 'TCP'] });
    assert.deepEqual(show(tcpFirst), ['TLS 192.0.2.3:5061', 'TCP 192.0.2.2:5060']);
  });

  it('queries only _sips._tcp for a SIPS URI', async () => {
    const dns = new FakeDns({ srv: { '_sip._udp.example.com': [srv(10, 0, 5060, 'udp.example.com')] }, a: { 'udp.example.com': ['192.0.2.1'] } });
    assert.deepEqual(await locateServers({ host: 'example.com', secure: true }, dns), []);
    assert.deepEqual(dns.asked.filter((q) => q.startsWith('SRV')), ['SRV _sips._tcp.example.com']);
  });

  it('falls back to A/AAAA with UDP on 5060, or TLS on 5061 for SIPS', async () => {
    const zone: FakeZone = { a: { 'example.com': ['192.0.2.1'] }, aaaa: { 'example.com': ['2001:db8::5'] } };
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, new FakeDns(zone))), ['UDP 192.0.2.1:5060', 'UDP [2001:db8::5]:5060']);
    assert.deepEqual(show(await locateServers({ host: 'example.com', secure: true }, new FakeDns(zone))), ['TLS 192.0.2.1:5061', 'TLS [2001:db8::5]:5061']);
  });

  it('gives nothing for a domain without any record', async () => {
    assert.deepEqual(await locateServers({ host: 'nowhere.example' }, new FakeDns({})), []);
  });
});

describe('SRV ordering (RFC 2782)', () => {
  it('sorts by priority before weight', () => {
    const records = [srv(20, 100, 1, 'c'), srv(10, 1, 1, 'a'), srv(30, 0, 1, 'd'), srv(10, 1, 1, 'b')];
    const order = orderSrv(records, () => 0.999).map((r) => r.name);
    assert.deepEqual(order.slice(2), ['c', 'd']);
    assert.deepEqual(new Set(order.slice(0, 2)), new Set(['a', 'b']));
  });

  it('selects by running sum of weights with the injected random', () => {
    // Weights 60, 30, 10: draw ⌊0.65 × 101⌋ = 65, running sums 60, 90 → b. Then a, c
    // (sum 70): ⌊0.9 × 71⌋ = 63, running sums 60, 70 → c. Then a.
    const records = [srv(10, 60, 1, 'a'), srv(10, 30, 1, 'b'), srv(10, 10, 1, 'c')];
    assert.deepEqual(orderSrv(records, scripted(0.65, 0.9)).map((r) => r.name), ['b', 'c', 'a']);
    assert.deepEqual(orderSrv(records, scripted(0, 0)).map((r) => r.name), ['a', 'b', 'c']);
    assert.deepEqual(orderSrv(records, scripted(0.99, 0.99)).map((r) => r.name), ['c', 'b', 'a']);
  });

  it('puts zero weights first in the running sum: chosen only on a zero draw', () => {
    const records = [srv(10, 10, 1, 'heavy'), srv(10, 0, 1, 'zero')];
    assert.deepEqual(orderSrv(records, scripted(0)).map((r) => r.name), ['zero', 'heavy']);
    assert.deepEqual(orderSrv(records, scripted(0.5)).map((r) => r.name), ['heavy', 'zero']);
    // All zero: any order is fair; with a zero draw, the answer order is kept.
    assert.deepEqual(orderSrv([srv(1, 0, 1, 'x'), srv(1, 0, 1, 'y')], () => 0).map((r) => r.name), ['x', 'y']);
  });

  it('picks first in proportion to weight (seeded, 20,000 draws)', () => {
    const records = [srv(10, 60, 1, 'a'), srv(10, 30, 1, 'b'), srv(10, 10, 1, 'c')];
    const random = seeded(42);
    const firsts = new Map<string, number>();
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const first = orderSrv(records, random)[0]!.name;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // The draw is uniform over 0..100: a on 0..60, b on 61..90, c on 91..100.
    assert.ok(Math.abs(firsts.get('a')! / n - 61 / 101) < 0.02, String(firsts.get('a')));
    assert.ok(Math.abs(firsts.get('b')! / n - 30 / 101) < 0.02, String(firsts.get('b')));
    assert.ok(Math.abs(firsts.get('c')! / n - 10 / 101) < 0.02, String(firsts.get('c')));
  });

  it('is applied by locateServers, with the injected random, per SRV set', async () => {
    const dns = () =>
      new FakeDns({
        srv: {
          '_sip._udp.example.com': [srv(20, 0, 5060, 'backup.example.com'), srv(10, 60, 5060, 'one.example.com'), srv(10, 40, 5060, 'two.example.com')],
        },
        a: { 'one.example.com': ['192.0.2.1'], 'two.example.com': ['192.0.2.2'], 'backup.example.com': ['192.0.2.9'] },
      });
    const first = await locateServers({ host: 'example.com', transport: 'UDP' }, dns(), { random: scripted(0.1) });
    assert.deepEqual(show(first), ['UDP 192.0.2.1:5060', 'UDP 192.0.2.2:5060', 'UDP 192.0.2.9:5060']);
    const second = await locateServers({ host: 'example.com', transport: 'UDP' }, dns(), { random: scripted(0.9) });
    assert.deepEqual(show(second), ['UDP 192.0.2.2:5060', 'UDP 192.0.2.1:5060', 'UDP 192.0.2.9:5060']);
  });
});

describe('SRV targets', () => {
  it('treats a "." target as service not available: no A/AAAA fallback', async () => {
    for (const root of ['.', '']) {
      const dns = new FakeDns({ srv: { '_sip._tcp.example.com': [srv(0, 0, 0, root)] }, a: { 'example.com': ['192.0.2.1'] } });
      assert.deepEqual(await locateServers({ host: 'example.com', transport: 'TCP' }, dns), []);
      assert.ok(!dns.asked.includes('A example.com'), root);
    }
  });

  it('answers [] for "." targets even when the NAPTR query failed', async () => {
    const dns = new FakeDns({ fail: ['NAPTR example.com'], srv: { '_sip._udp.example.com': [srv(0, 0, 0, '.')] }, a: { 'example.com': ['192.0.2.1'] } });
    assert.deepEqual(await locateServers({ host: 'example.com' }, dns, { supported: ['UDP'] }), []);
  });

  it('skips "." among real targets', async () => {
    const dns = new FakeDns({ srv: { '_sip._tcp.example.com': [srv(5, 0, 0, '.'), srv(10, 0, 5060, 'pbx.example.com')] }, a: { 'pbx.example.com': ['192.0.2.4'] } });
    assert.deepEqual(show(await locateServers({ host: 'example.com', transport: 'TCP' }, dns)), ['TCP 192.0.2.4:5060']);
  });

  it('expands each target to its A then AAAA addresses, IPv6-only targets included', async () => {
    const dns = new FakeDns({
      srv: { '_sip._udp.example.com': [srv(10, 0, 5060, 'dual.example.com'), srv(20, 0, 5070, 'v6.example.com')] },
      a: { 'dual.example.com': ['192.0.2.1', '192.0.2.2'] },
      aaaa: { 'dual.example.com': ['2001:db8::1'], 'v6.example.com': ['2001:db8::2'] },
    });
    const targets = await locateServers({ host: 'example.com', transport: 'UDP' }, dns);
    assert.deepEqual(show(targets), ['UDP 192.0.2.1:5060', 'UDP 192.0.2.2:5060', 'UDP [2001:db8::1]:5060', 'UDP [2001:db8::2]:5070']);
    assert.deepEqual(targets.map((t) => t.via), ['dual.example.com', 'dual.example.com', 'dual.example.com', 'v6.example.com']);
  });

  it('removes duplicates, keeping the first, and looks each host up once', async () => {
    const dns = new FakeDns({
      naptr: {
        'example.com': [
          naptr(10, 10, 'SIP+D2U', '_sip._udp.example.com'),
          naptr(10, 20, 'SIP+D2U', '_sip._udp.alias.example.com'),
          naptr(10, 30, 'SIP+D2T', '_sip._tcp.example.com'),
        ],
      },
      srv: {
        '_sip._udp.example.com': [srv(10, 0, 5060, 'pbx.example.com'), srv(20, 0, 5060, 'PBX.example.com.')],
        '_sip._udp.alias.example.com': [srv(10, 0, 5060, 'pbx.example.com')],
        '_sip._tcp.example.com': [srv(10, 0, 5060, 'pbx.example.com')],
      },
      a: { 'pbx.example.com': ['192.0.2.1'] },
      aaaa: { 'pbx.example.com': ['2001:DB8::1', '2001:db8::1'] },
    });
    const targets = await locateServers({ host: 'example.com' }, dns);
    assert.deepEqual(show(targets), ['UDP 192.0.2.1:5060', 'UDP [2001:DB8::1]:5060', 'TCP 192.0.2.1:5060', 'TCP [2001:DB8::1]:5060']);
    assert.equal(dns.asked.filter((q) => q === 'A pbx.example.com').length, 1);
  });
});

describe('locateServers: DNS failures', () => {
  it('keeps what it found when some queries fail', async () => {
    const dns = new FakeDns({
      naptr: {},
      srv: { '_sip._udp.example.com': [srv(10, 0, 5060, 'down.example.com'), srv(20, 0, 5060, 'up.example.com')] },
      a: { 'up.example.com': ['192.0.2.2'] },
      fail: ['NAPTR example.com', 'A down.example.com', 'AAAA down.example.com', 'SRV _sip._tcp.example.com'],
    });
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['UDP 192.0.2.2:5060']);
  });

  it('rethrows the first failure when nothing was found', async () => {
    const dns = new FakeDns({ fail: ['SRV _sip._tcp.example.com'], a: { 'example.com': ['192.0.2.1'] } });
    // A failed SRV query is not "no SRV": no guess at the default port.
    await assert.rejects(locateServers({ host: 'example.com', transport: 'TCP' }, dns), { code: 'ESERVFAIL' });
    assert.ok(!dns.asked.includes('A example.com'));
    const down = new FakeDns({ fail: ['A example.com', 'AAAA example.com'] });
    await assert.rejects(locateServers({ host: 'example.com', port: 5060 }, down), /A example.com failed/);
  });

  it('still tries SRV when the NAPTR query fails', async () => {
    const dns = new FakeDns({
      fail: ['NAPTR example.com'],
      srv: { '_sip._tcp.example.com': [srv(10, 0, 5060, 'pbx.example.com')] },
      a: { 'pbx.example.com': ['192.0.2.1'] },
    });
    assert.deepEqual(show(await locateServers({ host: 'example.com' }, dns)), ['TCP 192.0.2.1:5060']);
  });
});

describe('TargetCursor (§4.3 failover)', () => {
  const targets: SipTarget[] = [
    { transport: 'UDP', address: '192.0.2.1', port: 5060, via: 'a' },
    { transport: 'UDP', address: '192.0.2.2', port: 5060, via: 'b' },
    { transport: 'TCP', address: '192.0.2.3', port: 5060, via: 'c' },
  ];

  it('walks the list on each failure, then reports exhaustion', () => {
    const cursor = new TargetCursor(targets);
    assert.equal(cursor.current(), targets[0]);
    assert.equal(cursor.remaining, 3);
    assert.equal(cursor.failed(), targets[1]);
    assert.equal(cursor.failed(), targets[2]);
    assert.equal(cursor.exhausted, false);
    assert.equal(cursor.failed(), undefined);
    assert.equal(cursor.exhausted, true);
    assert.equal(cursor.remaining, 0);
    assert.equal(cursor.failed(), undefined);
    assert.equal(cursor.current(), undefined);
  });

  it('ignores a late failure report for a target it already left', () => {
    const cursor = new TargetCursor(targets);
    const first = cursor.current()!;
    assert.equal(cursor.failed(first), targets[1]); // transport error
    assert.equal(cursor.failed(first), targets[1]); // the same target's timer fires later
    assert.equal(cursor.failed(targets[1]), targets[2]);
  });

  it('is exhausted at once on an empty list', () => {
    const cursor = new TargetCursor([]);
    assert.equal(cursor.current(), undefined);
    assert.equal(cursor.exhausted, true);
    assert.equal(cursor.failed(), undefined);
  });
});
