/**
 * RFC 3263 location over real DNS packets: test/helpers/dns-server.ts serves a zone on
 * loopback, appliance/platform/dns-queries.ts asks it through c-ares, and
 * locateServers turns the answers into a failover list that TargetCursor walks while
 * real sockets refuse, ignore or accept us.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NodeDnsQueries } from '../../appliance/platform/dns-queries';
import { locateServers, TargetCursor, type SipTarget } from '../../appliance/sip/locate/server-locator';
import { buildQuery, RCODE, readReplyHeader, startDnsServer, TYPE, type RunningDnsServer, type ZoneRecord } from '../helpers/dns-server';

/** "TRANSPORT address:port via" for compact assertions. */
function show(targets: SipTarget[]): string[] {
  return targets.map((t) => `${t.transport} ${t.address}:${t.port} ${t.via}`);
}

/** One datagram to the server, the reply or undefined after `timeoutMs`. */
async function rawQuery(server: RunningDnsServer, packet: Buffer, timeoutMs = 500): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      socket.send(packet, server.port, server.host);
    });
  } finally {
    socket.close();
  }
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
async function deadTcpPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** 'connected', or the error code of the attempt ('ETIMEDOUT' after `timeoutMs`). */
function tryTcp(target: SipTarget, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.address, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('ETIMEDOUT');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'error');
    });
  });
}

/** Sends one datagram and waits for any answer: its text, or 'timeout'. */
async function tryUdp(target: SipTarget, payload: string, timeoutMs: number): Promise<string> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      socket.on('message', (m) => {
        clearTimeout(timer);
        resolve(m.toString('latin1'));
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(err.code ?? 'error');
      });
      socket.send(payload, target.port, target.address);
    });
  } finally {
    socket.close();
  }
}

async function udpSocket(host: string, onMessage: (socket: UdpSocket, m: Buffer, port: number, address: string) => void): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  socket.on('message', (m, from) => onMessage(socket, m, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return socket;
}

const BASE_ZONE: ZoneRecord[] = [
  // A domain with NAPTR → SRV (two targets, priorities 10 and 20) → A/AAAA.
  { name: 'example.test', type: 'NAPTR', order: 10, preference: 20, flags: 's', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' },
  { name: 'example.test', type: 'NAPTR', order: 10, preference: 10, flags: 'S', services: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.test.' },
  { name: 'example.test', type: 'NAPTR', order: 10, preference: 30, flags: 's', services: 'SIP+D2S', regexp: '', replacement: '_sip._sctp.example.test' },
  { name: 'example.test', type: 'NAPTR', order: 5, preference: 10, flags: 'u', services: 'E2U+sip', regexp: '!^.*$!sip:info@example.test!', replacement: '.' },
  { name: '_sip._tcp.example.test', type: 'SRV', priority: 20, weight: 0, port: 5080, target: 'pbx2.example.test' },
  { name: '_sip._tcp.example.test', type: 'SRV', priority: 10, weight: 5, port: 5070, target: 'pbx1.example.test' },
  { name: '_sip._udp.example.test', type: 'SRV', priority: 10, weight: 0, port: 5070, target: 'pbx1.example.test' },
  { name: 'pbx1.example.test', type: 'A', address: '127.0.0.1' },
  { name: 'pbx2.example.test', type: 'A', address: '127.0.0.2' },
  { name: 'pbx2.example.test', type: 'AAAA', address: '2001:db8::2' },
  { name: 'example.test', type: 'A', address: '127.0.0.9' },
  // A domain whose SRV says "no SIP here", though it has an address.
  { name: '_sip._udp.nosip.test', type: 'SRV', priority: 0, weight: 0, port: 0, target: '.' },
  { name: 'nosip.test', type: 'A', address: '127.0.0.10' },
  // A name with too many addresses for 512 octets.
  ...Array.from({ length: 40 }, (_, i): ZoneRecord => ({ name: 'big.test', type: 'A', address: `10.0.0.${i + 1}` })),
];

describe('test DNS server and NodeDnsQueries', () => {
  let server: RunningDnsServer;
  let dns: NodeDnsQueries;
  before(async () => {
    server = await startDnsServer({ records: BASE_ZONE, servfail: ['broken.test'], silent: ['slow.test'] });
    dns = new NodeDnsQueries({ servers: [server.server], timeoutMs: 2000 });
  });
  after(() => server.close());

  it('answers A, AAAA, SRV and NAPTR with the zone data', async () => {
    assert.deepEqual(await dns.a('pbx2.example.test'), ['127.0.0.2']);
    assert.deepEqual(await dns.aaaa('pbx2.example.test'), ['2001:db8::2']);
    const srv = await dns.srv('_sip._tcp.example.test');
    assert.deepEqual(
      srv.sort((x, y) => x.priority - y.priority),
      [
        { name: 'pbx1.example.test', port: 5070, priority: 10, weight: 5 },
        { name: 'pbx2.example.test', port: 5080, priority: 20, weight: 0 },
      ],
    );
    const naptr = await dns.naptr('example.test');
    assert.equal(naptr.length, 4);
    assert.deepEqual(
      naptr.find((r) => r.service === 'E2U+sip'),
      { flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:info@example.test!', replacement: '', order: 5, preference: 10 },
    );
    assert.deepEqual(
      naptr.find((r) => r.service === 'SIP+D2T'),
      { flags: 'S', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.test', order: 10, preference: 10 },
    );
  });

  it('maps NXDOMAIN and NODATA (empty non-terminals too) to []', async () => {
    assert.deepEqual(await dns.a('unknown.test'), []);
    assert.deepEqual(await dns.srv('_sip._udp.unknown.test'), []);
    assert.deepEqual(await dns.aaaa('pbx1.example.test'), []);
    assert.deepEqual(await dns.naptr('pbx1.example.test'), []);
    assert.deepEqual(await dns.srv('_tcp.example.test'), []);
    const nx = await rawQuery(server, buildQuery(7, 'unknown.test', TYPE.A));
    const nodata = await rawQuery(server, buildQuery(8, '_tcp.example.test', TYPE.SRV));
    assert.deepEqual(readReplyHeader(nx!), { id: 7, rcode: RCODE.NXDOMAIN, aa: true, tc: false, qd: 1, an: 0, ar: 0 });
    assert.deepEqual(readReplyHeader(nodata!), { id: 8, rcode: RCODE.NOERROR, aa: true, tc: false, qd: 1, an: 0, ar: 0 });
  });

  it('rejects real failures: SERVFAIL, and a server that does not answer (bounded wait)', async () => {
    await assert.rejects(dns.a('broken.test'), { code: 'ESERVFAIL' });
    const quick = new NodeDnsQueries({ servers: [server.server], timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(quick.srv('slow.test'), { code: 'ETIMEOUT' });
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  it('matches names case-insensitively and echoes the question as asked', async () => {
    const reply = await rawQuery(server, buildQuery(9, 'PbX1.Example.TEST', TYPE.A));
    assert.deepEqual(readReplyHeader(reply!), { id: 9, rcode: RCODE.NOERROR, aa: true, tc: false, qd: 1, an: 1, ar: 0 });
    assert.ok(reply!.includes(Buffer.from('PbX1')));
    assert.deepEqual([...reply!.subarray(reply!.length - 4)], [127, 0, 0, 1]);
  });

  it('sets TC when the answer does not fit in 512 octets, unless EDNS allows more', async () => {
    const reply = await rawQuery(server, buildQuery(10, 'big.test', TYPE.A));
    assert.ok(reply!.length <= 512);
    assert.deepEqual(readReplyHeader(reply!), { id: 10, rcode: RCODE.NOERROR, aa: true, tc: true, qd: 1, an: 0, ar: 0 });
    const large = await rawQuery(server, buildQuery(11, 'big.test', TYPE.A, { edns: 4096 }));
    assert.ok(large!.length > 512 && large!.length <= 1232);
    assert.deepEqual(readReplyHeader(large!), { id: 11, rcode: RCODE.NOERROR, aa: true, tc: false, qd: 1, an: 40, ar: 1 });
    // c-ares (Node 18 and 20) asks without EDNS, sees TC and asks again over TCP.
    assert.equal((await dns.a('big.test')).length, 40);
  });

  it('serves TCP on the same port: two length-prefixed queries in one write, answered in order', async () => {
    const framed = (q: Buffer) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    const socket = connect({ host: server.host, port: server.port });
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
        if (replies.length === 2) resolve();
      });
      socket.write(Buffer.concat([framed(buildQuery(20, 'big.test', TYPE.A)), framed(buildQuery(21, 'unknown.test', TYPE.A))]));
    });
    socket.destroy();
    assert.deepEqual(readReplyHeader(replies[0]!), { id: 20, rcode: RCODE.NOERROR, aa: true, tc: false, qd: 1, an: 40, ar: 0 });
    assert.deepEqual(readReplyHeader(replies[1]!), { id: 21, rcode: RCODE.NXDOMAIN, aa: true, tc: false, qd: 1, an: 0, ar: 0 });
  });

  it('survives malformed queries: FORMERR when the header is readable, silence otherwise', async () => {
    assert.equal(await rawQuery(server, Buffer.from([1, 2, 3]), 200), undefined);
    // A compression pointer that points at itself.
    const loop = Buffer.concat([buildQuery(11, 'x.test', TYPE.A).subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    assert.equal(readReplyHeader((await rawQuery(server, loop))!).rcode, RCODE.FORMERR);
    // A label running past the end, and two questions.
    const cut = Buffer.concat([buildQuery(12, 'x.test', TYPE.A).subarray(0, 12), Buffer.from([40, 0x61])]);
    assert.equal(readReplyHeader((await rawQuery(server, cut))!).rcode, RCODE.FORMERR);
    const two = buildQuery(13, 'x.test', TYPE.A);
    two.writeUInt16BE(2, 4);
    assert.equal(readReplyHeader((await rawQuery(server, two))!).rcode, RCODE.FORMERR);
    // A response (QR set) is never answered.
    const response = buildQuery(14, 'x.test', TYPE.A);
    response.writeUInt16BE(0x8000, 2);
    assert.equal(await rawQuery(server, response, 200), undefined);
    // Still serving.
    assert.deepEqual(await dns.a('pbx1.example.test'), ['127.0.0.1']);
  });
});

describe('locateServers over real DNS', () => {
  let server: RunningDnsServer;
  let dns: NodeDnsQueries;
  before(async () => {
    server = await startDnsServer({ records: BASE_ZONE });
    dns = new NodeDnsQueries({ servers: [server.server], timeoutMs: 2000 });
  });
  after(() => server.close());

  it('follows NAPTR → SRV (priority 10, then 20) → A/AAAA', async () => {
    const targets = await locateServers({ host: 'example.test' }, dns);
    assert.deepEqual(show(targets), [
      // SIP+D2T (preference 10): its SRV by priority, each target's A then AAAA.
      'TCP 127.0.0.1:5070 pbx1.example.test',
      'TCP 127.0.0.2:5080 pbx2.example.test',
      'TCP 2001:db8::2:5080 pbx2.example.test',
      // SIP+D2U (preference 20).
      'UDP 127.0.0.1:5070 pbx1.example.test',
    ]);
    const asked = server.queries.map((q) => `${q.type} ${q.name}`);
    assert.equal(asked[0], 'NAPTR example.test');
    assert.ok(asked.includes('SRV _sip._tcp.example.test') && asked.includes('A pbx2.example.test'));
    assert.ok(!asked.includes('SRV _sip._sctp.example.test'), 'SCTP is not ours');
    assert.ok(!asked.includes('A example.test'), 'no A/AAAA fallback when SRV answered');
  });

  it('queries only A/AAAA for a domain with a port, and honours a "." SRV target', async () => {
    server.queries.length = 0;
    assert.deepEqual(show(await locateServers({ host: 'example.test', port: 5099 }, dns)), ['UDP 127.0.0.9:5099 example.test']);
    assert.deepEqual(server.queries.map((q) => q.type).sort(), ['A', 'AAAA']);
    assert.deepEqual(await locateServers({ host: 'nosip.test', transport: 'UDP' }, dns), []);
    assert.ok(!server.queries.some((q) => q.name === 'nosip.test' && q.type === 'A'));
  });

  it('fails over over TCP: the first SRV target refuses, the second accepts', async () => {
    const dead = await deadTcpPort();
    const accepted: string[] = [];
    const live: Server = createServer((socket) => {
      accepted.push(socket.localAddress ?? '');
      socket.destroy();
    });
    await new Promise<void>((resolve) => live.listen(0, '127.0.0.2', resolve));
    after(() => live.close());
    const livePort = (live.address() as { port: number }).port;
    const zone = await startDnsServer({
      records: [
        { name: 'failover.test', type: 'NAPTR', order: 10, preference: 10, flags: 's', services: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.failover.test' },
        { name: '_sip._tcp.failover.test', type: 'SRV', priority: 10, weight: 0, port: dead, target: 'primary.failover.test' },
        { name: '_sip._tcp.failover.test', type: 'SRV', priority: 20, weight: 0, port: livePort, target: 'backup.failover.test' },
        { name: 'primary.failover.test', type: 'A', address: '127.0.0.1' },
        { name: 'backup.failover.test', type: 'A', address: '127.0.0.2' },
      ],
    });
    after(() => zone.close());

    const targets = await locateServers({ host: 'failover.test' }, new NodeDnsQueries({ servers: [zone.server], timeoutMs: 2000 }));
    assert.deepEqual(show(targets), [`TCP 127.0.0.1:${dead} primary.failover.test`, `TCP 127.0.0.2:${livePort} backup.failover.test`]);

    const cursor = new TargetCursor(targets);
    const attempts: string[] = [];
    let reached: SipTarget | undefined;
    for (let target = cursor.current(); target !== undefined; ) {
      const outcome = await tryTcp(target, 1000);
      attempts.push(`${target.via} ${outcome}`);
      if (outcome === 'connected') {
        reached = target;
        break;
      }
      target = cursor.failed(target);
    }
    assert.deepEqual(attempts, ['primary.failover.test ECONNREFUSED', 'backup.failover.test connected']);
    assert.equal(reached, targets[1]);
    assert.equal(cursor.remaining, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(accepted, ['127.0.0.2']);
  });

  it('fails over over UDP: the first SRV target never answers, the second does, within a per-target timeout', async () => {
    const blackHoleGot: string[] = [];
    const blackHole = await udpSocket('127.0.0.1', (_s, m) => blackHoleGot.push(m.toString('latin1')));
    const responder = await udpSocket('127.0.0.2', (s, m, port, address) => {
      if (m.toString('latin1').startsWith('OPTIONS ')) s.send('SIP/2.0 200 OK\r\n\r\n', port, address);
    });
    after(() => {
      blackHole.close();
      responder.close();
    });
    const zone = await startDnsServer({
      records: [
        { name: '_sip._udp.udp-failover.test', type: 'SRV', priority: 10, weight: 0, port: blackHole.address().port, target: 'mute.udp-failover.test' },
        { name: '_sip._udp.udp-failover.test', type: 'SRV', priority: 20, weight: 0, port: responder.address().port, target: 'alive.udp-failover.test' },
        { name: 'mute.udp-failover.test', type: 'A', address: '127.0.0.1' },
        { name: 'alive.udp-failover.test', type: 'A', address: '127.0.0.2' },
      ],
    });
    after(() => zone.close());

    // No NAPTR for this domain: SRV for each supported transport, UDP first.
    const targets = await locateServers({ host: 'udp-failover.test' }, new NodeDnsQueries({ servers: [zone.server], timeoutMs: 2000 }), { supported: ['UDP'] });
    assert.deepEqual(targets.map((t) => t.via), ['mute.udp-failover.test', 'alive.udp-failover.test']);

    const cursor = new TargetCursor(targets);
    const attempts: string[] = [];
    const started = Date.now();
    for (let target = cursor.current(); target !== undefined; ) {
      const outcome = await tryUdp(target, 'OPTIONS sip:udp-failover.test SIP/2.0\r\n\r\n', 300);
      attempts.push(`${target.via} ${outcome.split('\r\n')[0]}`);
      if (outcome.startsWith('SIP/2.0 ')) break;
      target = cursor.failed(target);
    }
    assert.deepEqual(attempts, ['mute.udp-failover.test timeout', 'alive.udp-failover.test SIP/2.0 200 OK']);
    assert.equal(blackHoleGot.length, 1);
    assert.ok(Date.now() - started < 1500);
  });
});
