import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalAddress, CidrError, CidrSet, formatCidr, parseAddress, parseCidr } from './cidr';

describe('parseCidr', () => {
  it('parses IPv4 networks and clears host bits', () => {
    assert.equal(formatCidr(parseCidr('192.0.2.77/24')), '192.0.2.0/24');
    assert.equal(formatCidr(parseCidr('10.1.2.3')), '10.1.2.3/32');
    assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
    assert.equal(formatCidr(parseCidr('255.255.255.255/31')), '255.255.255.254/31');
  });

  it('parses IPv6 networks in every text form', () => {
    assert.equal(formatCidr(parseCidr('2001:DB8::1/32')), '2001:db8::/32');
    assert.equal(formatCidr(parseCidr('2001:db8:0:0:0:0:0:1')), '2001:db8::1/128');
    assert.equal(formatCidr(parseCidr('::/0')), '::/0');
    assert.equal(formatCidr(parseCidr('fe80::1:2:3:4/64')), 'fe80::/64');
    assert.equal(formatCidr(parseCidr('::1')), '::1/128');
    assert.equal(formatCidr(parseCidr('1:2:3:4:5:6:7:8/127')), '1:2:3:4:5:6:7:8/127');
    assert.equal(formatCidr(parseCidr('64:ff9b::192.0.2.1/120')), '64:ff9b::c000:200/120');
  });

  it('turns networks inside ::ffff:0:0/96 into IPv4 networks', () => {
    assert.equal(formatCidr(parseCidr('::ffff:192.0.2.0/120')), '192.0.2.0/24');
    assert.equal(formatCidr(parseCidr('::ffff:c000:201')), '192.0.2.1/32');
  });

  it('throws a CidrError with code EDGESIP_ERR_CIDR for bad input', () => {
    for (const bad of [
      '',
      '192.0.2.1/33',
      '192.0.2/24',
      '192.0.2.256',
      '192.0.2.1/',
      '192.0.2.1/24/1',
      '192.0.2.1/-1',
      '1.2.3.4.5',
      '2001:db8::/129',
      '2001:db8:::1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'fe80::1%eth0',
      'example.com',
      '::1.2.3',
      '1.2.3.4::',
    ]) {
      assert.throws(
        () => parseCidr(bad),
        (err: unknown) => err instanceof CidrError && err.code === 'EDGESIP_ERR_CIDR' && err.cidr === bad,
        bad,
      );
    }
    assert.throws(() => new CidrSet(['192.0.2.0/24', 'nonsense']), { code: 'EDGESIP_ERR_CIDR' });
  });
});

describe('parseAddress / canonicalAddress', () => {
  it('canonicalises the spellings a socket or an admin may use', () => {
    assert.equal(canonicalAddress('192.0.2.10'), '192.0.2.10');
    assert.equal(canonicalAddress('::ffff:192.0.2.10'), '192.0.2.10');
    assert.equal(canonicalAddress('::FFFF:C000:020A'), '192.0.2.10');
    assert.equal(canonicalAddress('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalAddress('2001:db8:0:0:1::'), '2001:db8:0:0:1::');
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalAddress('[2001:db8::1]'), '2001:db8::1');
    assert.equal(canonicalAddress('not an address'), 'not an address');
    assert.equal(parseAddress('1.2.3'), undefined);
    assert.equal(parseAddress('::ffff:1.2.3.4')?.version, 4);
  });
});

describe('CidrSet', () => {
  it('matches IPv4 addresses against networks and single hosts', () => {
    const set = new CidrSet(['192.0.2.0/24', '198.51.100.7', '10.0.0.0/8']);
    assert.equal(set.has('192.0.2.1'), true);
    assert.equal(set.has('192.0.2.255'), true);
    assert.equal(set.has('192.0.3.0'), false);
    assert.equal(set.has('198.51.100.7'), true);
    assert.equal(set.has('198.51.100.8'), false);
    assert.equal(set.has('10.255.255.255'), true);
    assert.equal(set.has('11.0.0.0'), false);
    assert.equal(set.has('garbage'), false);
    assert.equal(set.size, 3);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 rules and mapped rules against IPv4', () => {
    const set = new CidrSet(['192.0.2.0/24', '::ffff:203.0.113.0/120']);
    assert.equal(set.has('::ffff:192.0.2.10'), true);
    assert.equal(set.has('::ffff:192.0.3.10'), false);
    assert.equal(set.has('203.0.113.9'), true);
    assert.equal(set.has('::ffff:203.0.113.9'), true);
  });

  it('matches IPv6 addresses, and ::/0 does not cover IPv4', () => {
    const set = new CidrSet(['2001:db8::/32', 'fe80::/10', '2001:db9::42']);
    assert.equal(set.has('2001:db8:ffff::1'), true);
    assert.equal(set.has('2001:db9::1'), false);
    assert.equal(set.has('2001:DB9:0::42'), true);
    assert.equal(set.has('febf::1'), true);
    assert.equal(set.has('fec0::1'), false);
    assert.equal(set.has('fe80::1%eth0'), true);
    assert.equal(set.has('192.0.2.1'), false);
    const all6 = new CidrSet(['::/0']);
    assert.equal(all6.has('2001:db8::1'), true);
    assert.equal(all6.has('192.0.2.1'), false);
    assert.equal(new CidrSet(['0.0.0.0/0']).has('::ffff:192.0.2.1'), true);
    assert.equal(new CidrSet(['0.0.0.0/0']).has('2001:db8::1'), false);
  });

  it('handles prefix lengths on every word boundary', () => {
    for (const [cidr, inside, outside] of [
      ['2001:db8:1234:5678::/63', '2001:db8:1234:5679::1', '2001:db8:1234:567a::1'],
      ['2001:db8:1234:5678::/64', '2001:db8:1234:5678:ffff::', '2001:db8:1234:5679::'],
      ['2001:db8:1234:5678:9abc::/80', '2001:db8:1234:5678:9abc:ffff::', '2001:db8:1234:5678:9abd::'],
      ['2001:db8::8000:0/97', '2001:db8::ffff:ffff', '2001:db8::7fff:ffff'],
      ['2001:db8::/31', '2001:db9::', '2001:dba::'],
    ] as const) {
      const set = new CidrSet([cidr]);
      assert.equal(set.has(inside), true, `${inside} in ${cidr}`);
      assert.equal(set.has(outside), false, `${outside} not in ${cidr}`);
    }
  });

  it('is an empty set for no networks', () => {
    const set = new CidrSet([]);
    assert.equal(set.has('192.0.2.1'), false);
    assert.equal(set.has('::1'), false);
  });

  it('answers quickly for a large list', () => {
    const cidrs: string[] = [];
    for (let i = 0; i < 10_000; i++) cidrs.push(`10.${(i >> 8) & 255}.${i & 255}.0/24`);
    cidrs.push('2001:db8::/48', '192.0.2.1');
    const set = new CidrSet(cidrs);
    const started = process.hrtime.bigint();
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (set.has(`10.${i & 31}.${(i >> 5) & 255}.9`)) hits++;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(hits, 100_000);
    assert.ok(ms < 2000, `100k lookups took ${ms} ms`);
  });
});
