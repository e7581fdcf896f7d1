import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsQueries, NaptrRecord, SrvRecord } from '../../sip/locate/server-locator';
import { checkDns, commandLines, questionsFor, serverOf, type DnsCheckResolver } from './dns-check';

type Answer = string[] | SrvRecord[] | NaptrRecord[] | { code: string };

/** A resolver answering from a table keyed "TYPE name"; a missing key is [] (NXDOMAIN/NODATA). */
function fake(table: Record<string, Answer>, asked: string[] = []): DnsQueries {
  const answer = <T>(type: string, name: string): Promise<T[]> => {
    asked.push(`${type} ${name}`);
    const a = table[`${type} ${name}`];
    if (a === undefined) return Promise.resolve([]);
    if (!Array.isArray(a)) return Promise.reject(Object.assign(new Error(a.code), { code: a.code }));
    return Promise.resolve(a as T[]);
  };
  return {
    a: (n) => answer('A', n),
    aaaa: (n) => answer('AAAA', n),
    srv: (n) => answer('SRV', n),
    naptr: (n) => answer('NAPTR', n),
  };
}

const SRV: SrvRecord[] = [
  { name: 'b.example.net', port: 5060, priority: 20, weight: 0 },
  { name: 'a.example.net', port: 5060, priority: 10, weight: 50 },
];
const NAPTR: NaptrRecord[] = [{ order: 10, preference: 50, flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.net' }];

test('the questions: A, AAAA, three SIP SRV names and NAPTR', () => {
  assert.deepEqual(questionsFor('example.net'), [
    { type: 'A', query: 'example.net' },
    { type: 'AAAA', query: 'example.net' },
    { type: 'SRV', query: '_sip._udp.example.net' },
    { type: 'SRV', query: '_sip._tcp.example.net' },
    { type: 'SRV', query: '_sips._tcp.example.net' },
    { type: 'NAPTR', query: 'example.net' },
  ]);
});

test('agree: the same records in any order, every question asked of every resolver', async () => {
  const askedA: string[] = [];
  const askedB: string[] = [];
  const table = { 'A example.net': ['192.0.2.2', '192.0.2.1'], 'SRV _sip._udp.example.net': SRV, 'NAPTR example.net': NAPTR };
  const reversed = { ...table, 'A example.net': ['192.0.2.1', '192.0.2.2'], 'SRV _sip._udp.example.net': [...SRV].reverse() };
  const report = await checkDns(['Example.NET.'], [
    { label: 'system', dns: fake(table, askedA) },
    { label: '119.29.29.29', dns: fake(reversed, askedB) },
  ]);
  assert.deepEqual(report.findings, []);
  assert.equal(report.names.length, 1);
  assert.equal(report.names[0]!.name, 'example.net');
  const [a, aaaa, udp, tcp, , naptr] = report.names[0]!.checks;
  assert.deepEqual(a, {
    type: 'A',
    query: 'example.net',
    answers: [
      { resolver: 'system', records: ['192.0.2.1', '192.0.2.2'] },
      { resolver: '119.29.29.29', records: ['192.0.2.1', '192.0.2.2'] },
    ],
    verdict: 'agree',
  });
  assert.equal(aaaa!.verdict, 'empty');
  assert.deepEqual(udp!.answers[0]!.records, ['10 50 5060 a.example.net', '20 0 5060 b.example.net']);
  assert.equal(udp!.verdict, 'agree');
  assert.equal(tcp!.verdict, 'empty');
  assert.deepEqual(naptr!.answers[0]!.records, ['10 50 "s" "SIP+D2U" "" _sip._udp.example.net']);
  assert.equal(askedA.length, 6);
  assert.deepEqual([...askedA].sort(), [...askedB].sort());
});

test('disagree: different records, or records against none', async () => {
  const report = await checkDns(
    ['sip.example.net'],
    [
      { label: 'system', dns: fake({ 'A sip.example.net': ['10.0.0.1'] }) },
      { label: '119.29.29.29', dns: fake({ 'A sip.example.net': ['198.51.100.10'], 'AAAA sip.example.net': ['2001:db8::10'] }) },
      { label: '223.5.5.5', dns: fake({ 'A sip.example.net': ['198.51.100.10'], 'AAAA sip.example.net': ['2001:db8::10'] }) },
    ],
  );
  const checks = report.names[0]!.checks;
  assert.equal(checks[0]!.verdict, 'disagree');
  assert.equal(checks[1]!.verdict, 'disagree');
  assert.equal(checks[2]!.verdict, 'empty');
  assert.deepEqual(report.findings, [
    { name: 'sip.example.net', type: 'A', query: 'sip.example.net', kind: 'disagree', resolvers: ['system', '119.29.29.29', '223.5.5.5'] },
    { name: 'sip.example.net', type: 'AAAA', query: 'sip.example.net', kind: 'disagree', resolvers: ['system', '119.29.29.29', '223.5.5.5'] },
  ]);
});

test('empty: every resolver answers nothing, no finding', async () => {
  const report = await checkDns(['nowhere.example'], [
    { label: 'system', dns: fake({}) },
    { label: '223.5.5.5', dns: fake({}) },
  ]);
  assert.ok(report.names[0]!.checks.every((c) => c.verdict === 'empty'));
  assert.deepEqual(report.findings, []);
});

test('errors and timeouts: reported per resolver; the answers of the others still compared', async () => {
  const report = await checkDns(
    ['sip.example.net'],
    [
      { label: 'system', dns: fake({ 'A sip.example.net': { code: 'ESERVFAIL' }, 'NAPTR sip.example.net': { code: 'ETIMEOUT' } }) },
      { label: '119.29.29.29', dns: fake({ 'A sip.example.net': ['198.51.100.10'], 'NAPTR sip.example.net': { code: 'ETIMEOUT' } }) },
      { label: '223.5.5.5', dns: fake({ 'A sip.example.net': { code: 'ETIMEOUT' } }) },
    ],
    { timeoutMs: 3000 },
  );
  const [a, , , , , naptr] = report.names[0]!.checks;
  assert.deepEqual(a!.answers, [
    { resolver: 'system', error: 'ESERVFAIL' },
    { resolver: '119.29.29.29', records: ['198.51.100.10'] },
    { resolver: '223.5.5.5', error: 'ETIMEOUT' },
  ]);
  assert.equal(a!.verdict, 'agree', 'one answer agrees with itself');
  assert.equal(naptr!.verdict, 'empty', '223.5.5.5 answered nothing, the others failed');
  assert.equal(report.timeoutMs, 3000);
  assert.deepEqual(report.findings, [
    { name: 'sip.example.net', type: 'A', query: 'sip.example.net', kind: 'timeout', resolvers: ['223.5.5.5'] },
    { name: 'sip.example.net', type: 'A', query: 'sip.example.net', kind: 'error', resolvers: ['system'], errors: ['ESERVFAIL'] },
    { name: 'sip.example.net', type: 'NAPTR', query: 'sip.example.net', kind: 'timeout', resolvers: ['system', '119.29.29.29'] },
  ]);
  const allFail = await checkDns(['x.example'], [{ label: 'system', dns: fake({ 'A x.example': { code: 'ECONNREFUSED' } }) }]);
  assert.equal(allFail.names[0]!.checks[0]!.verdict, 'error');
  const odd: DnsQueries = { ...fake({}), a: () => Promise.reject(new Error('no code')) };
  assert.deepEqual((await checkDns(['x.example'], [{ label: 'system', dns: odd }])).names[0]!.checks[0]!.answers, [{ resolver: 'system', error: 'EUNKNOWN' }]);
});

test('commands: dig and nslookup lines for each A question and each question with a finding', async () => {
  const resolvers: DnsCheckResolver[] = [
    { label: 'system', dns: fake({ 'SRV _sip._udp.sip.example.net': SRV }) },
    { label: '223.5.5.5', dns: fake({}) },
    { label: 'local', server: '127.0.0.1:5353', dns: fake({}) },
  ];
  const report = await checkDns(['sip.example.net', 'sip.example.net'], resolvers);
  assert.equal(report.names.length, 1, 'a name given twice is checked once');
  assert.deepEqual(report.commands, [
    'dig sip.example.net A',
    'nslookup -type=A sip.example.net',
    'dig @223.5.5.5 sip.example.net A',
    'nslookup -type=A sip.example.net 223.5.5.5',
    'dig @127.0.0.1 -p 5353 sip.example.net A',
    'nslookup -port=5353 -type=A sip.example.net 127.0.0.1',
    'dig _sip._udp.sip.example.net SRV',
    'nslookup -type=SRV _sip._udp.sip.example.net',
    'dig @223.5.5.5 _sip._udp.sip.example.net SRV',
    'nslookup -type=SRV _sip._udp.sip.example.net 223.5.5.5',
    'dig @127.0.0.1 -p 5353 _sip._udp.sip.example.net SRV',
    'nslookup -port=5353 -type=SRV _sip._udp.sip.example.net 127.0.0.1',
  ]);
  assert.deepEqual(commandLines('A', 'sip.example.net', { label: '119.29.29.29' }), ['dig @119.29.29.29 sip.example.net A', 'nslookup -type=A sip.example.net 119.29.29.29']);
  assert.deepEqual(serverOf({ label: '[2001:db8::53]:5353' }), { host: '2001:db8::53', port: 5353 });
  assert.deepEqual(serverOf({ label: '2001:db8::53' }), { host: '2001:db8::53' });
  assert.equal(serverOf({ label: 'system' }), undefined);
});
