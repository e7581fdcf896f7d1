/**
 * A tiny authoritative DNS server for tests: UDP on loopback, a zone given as data
 * (A, AAAA, SRV, NAPTR), the wire format written out by hand (RFC 1035 §4, SRV RDATA of
 * RFC 2782, NAPTR RDATA of RFC 3403 §4.1). Unknown names get NXDOMAIN; known names
 * (owners, or empty non-terminals above them) without the asked type get NODATA
 * (NOERROR, no answer). Answers are not compressed. Malformed queries get FORMERR when
 * their header can be read and are dropped otherwise; nothing a client sends can stop
 * the server. An answer too big for UDP (512 octets, or the EDNS size up to 1232) is
 * sent truncated (TC), and the same port serves TCP (RFC 1035 §4.2.2) for the retry.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';

export type ZoneRecord =
  | { name: string; type: 'A'; address: string; ttl?: number }
  | { name: string; type: 'AAAA'; address: string; ttl?: number }
  | { name: string; type: 'SRV'; priority: number; weight: number; port: number; target: string; ttl?: number }
  | {
      name: string;
      type: 'NAPTR';
      order: number;
      preference: number;
      flags: string;
      services: string;
      regexp: string;
      replacement: string;
      ttl?: number;
    };

export interface DnsServerOptions {
  records: ZoneRecord[];
  /** Names answered with SERVFAIL, whatever the type. */
  servfail?: string[];
  /** Names whose queries are never answered (to test timeouts). */
  silent?: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port, the same for UDP and TCP). */
  port?: number;
}

export interface DnsQueryLog {
  name: string;
  type: string;
}

export interface RunningDnsServer {
  readonly host: string;
  readonly port: number;
  /** "host:port" ("[host]:port" for IPv6), as dns.setServers takes it. */
  readonly server: string;
  /** Every well-formed question received, in order; names lower-cased, no final dot. */
  readonly queries: DnsQueryLog[];
  close(): Promise<void>;
}

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, SRV: 33, NAPTR: 35, OPT: 41, ANY: 255 } as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
const CLASS_IN = 1;
const CLASS_ANY = 255;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Largest UDP answer without EDNS (RFC 1035 §4.2.1), and the most we offer with it. */
const PLAIN_UDP_LIMIT = 512;
const EDNS_UDP_LIMIT = 1232;

export async function startDnsServer(options: DnsServerOptions): Promise<RunningDnsServer> {
  const zone = compileZone(options.records);
  const servfail = new Set((options.servfail ?? []).map(normalize));
  const silent = new Set((options.silent ?? []).map(normalize));
  const host = options.host ?? '127.0.0.1';
  const queries: DnsQueryLog[] = [];
  const reply = (packet: Buffer, udpLimit: number | undefined): Buffer | undefined => {
    try {
      return answer(packet, zone, servfail, silent, queries, udpLimit);
    } catch {
      return undefined; // never let one packet stop the server
    }
  };

  // UDP and TCP on one port: with port 0, retry until a free UDP port is free for TCP too.
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(host, options.port ?? 0, reply);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(host, port, reply);
      return {
        host,
        port,
        server: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`,
        queries,
        close: () => Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), closeTcp(tcp)]).then(() => undefined),
      };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (options.port !== undefined && options.port !== 0) throw err;
      if (attempt >= 20) throw err;
    }
  }
}

type Reply = (packet: Buffer, udpLimit: number | undefined) => Buffer | undefined;

async function bindUdp(host: string, port: number, reply: Reply): Promise<Socket> {
  const socket: Socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  socket.on('message', (packet: Buffer, from: RemoteInfo) => {
    const out = reply(packet, PLAIN_UDP_LIMIT);
    if (out) socket.send(out, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {
    // A send to a vanished client, say: a test server keeps serving.
  });
  return socket;
}

/** RFC 1035 §4.2.2: each message behind a two-octet length; several per connection. */
async function listenTcp(host: string, port: number, reply: Reply): Promise<{ server: Server; connections: Set<TcpSocket> }> {
  const connections = new Set<TcpSocket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        const out = reply(message, undefined);
        if (out && out.length <= 0xffff) socket.write(Buffer.concat([u16(out.length), out]));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, connections };
}

function closeTcp(tcp: { server: Server; connections: Set<TcpSocket> }): Promise<void> {
  for (const socket of tcp.connections) socket.destroy();
  return new Promise<void>((resolve) => tcp.server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------
// Zone

interface Zone {
  /** Owner name (normalized) → its records, encoded once. */
  owners: Map<string, Array<{ type: number; ttl: number; rdata: Buffer }>>;
  /** Every owner and every name above an owner (empty non-terminals are NODATA). */
  known: Set<string>;
}

function compileZone(records: readonly ZoneRecord[]): Zone {
  const owners: Zone['owners'] = new Map();
  const known = new Set<string>();
  for (const record of records) {
    const name = normalize(record.name);
    encodeName(name); // validates the owner name
    const list = owners.get(name) ?? [];
    list.push({ type: TYPE[record.type], ttl: record.ttl ?? 60, rdata: encodeRdata(record) });
    owners.set(name, list);
    const labels = name.split('.');
    for (let i = 0; i < labels.length; i++) known.add(labels.slice(i).join('.'));
  }
  return { owners, known };
}

function encodeRdata(record: ZoneRecord): Buffer {
  switch (record.type) {
    case 'A':
      if (isIP(record.address) !== 4) throw new Error(`zone: ${record.name} A ${record.address} is not IPv4`);
      return Buffer.from(record.address.split('.').map(Number));
    case 'AAAA':
      return ipv6Bytes(record.address);
    case 'SRV':
      // RFC 2782: priority, weight, port, target (a domain name, never compressed).
      return Buffer.concat([u16(record.priority), u16(record.weight), u16(record.port), encodeName(record.target)]);
    case 'NAPTR':
      // RFC 3403 §4.1: order, preference, flags, services, regexp, replacement.
      return Buffer.concat([
        u16(record.order),
        u16(record.preference),
        characterString(record.flags),
        characterString(record.services),
        characterString(record.regexp),
        encodeName(record.replacement),
      ]);
  }
}

/** Lower case, no final dot; "" is the root. */
function normalize(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

// ---------------------------------------------------------------------------------
// Wire format

function u16(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`not a 16-bit value: ${n}`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** RFC 1035 §3.3 <character-string>: a length octet and up to 255 octets. */
function characterString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 255) throw new RangeError(`character-string longer than 255 octets: ${text}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** RFC 1035 §3.1, uncompressed: labels of 1–63 octets, 255 octets at most; "." is the root. */
export function encodeName(name: string | Buffer[]): Buffer {
  const labels = typeof name === 'string' ? textLabels(name) : name;
  const parts: Buffer[] = [];
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) throw new RangeError(`bad label length ${label.length} in ${String(name)}`);
    parts.push(Buffer.from([label.length]), label);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new RangeError(`domain name longer than 255 octets: ${String(name)}`);
  return wire;
}

function textLabels(name: string): Buffer[] {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? [] : n.split('.').map((l) => Buffer.from(l, 'latin1'));
}

function ipv6Bytes(address: string): Buffer {
  if (isIP(address) !== 6 || address.includes('%')) throw new Error(`zone: AAAA ${address} is not IPv6`);
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = dotted[1]!.split('.').map(Number);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, -dotted[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = [...parse(rest), ...tail];
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<number>(zeros).fill(0), ...right];
  if (groups.length !== 8) throw new Error(`zone: AAAA ${address} did not parse`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

class Malformed extends Error {}

/** A name at `offset` (compression pointers allowed, as a query may use them). */
function readName(packet: Buffer, offset: number): { labels: Buffer[]; next: number } {
  const labels: Buffer[] = [];
  let pos = offset;
  let next: number | undefined;
  let length = 1;
  for (let jumps = 0; ; ) {
    if (pos >= packet.length) throw new Malformed('name runs past the packet');
    const len = packet[pos]!;
    if (len === 0) {
      return { labels, next: next ?? pos + 1 };
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= packet.length) throw new Malformed('truncated pointer');
      if (++jumps > 32) throw new Malformed('pointer loop');
      next ??= pos + 2;
      pos = ((len & 0x3f) << 8) | packet[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Malformed('unknown label type');
    if (pos + 1 + len > packet.length) throw new Malformed('label runs past the packet');
    length += len + 1;
    if (length > 255) throw new Malformed('name longer than 255 octets');
    labels.push(packet.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

/** Skips one resource record; returns its type, class and the offset after it. */
function readRecordHead(packet: Buffer, offset: number): { type: number; klass: number; ttl: number; next: number } {
  const { next } = readName(packet, offset);
  if (next + 10 > packet.length) throw new Malformed('record header runs past the packet');
  const rdlength = packet.readUInt16BE(next + 8);
  if (next + 10 + rdlength > packet.length) throw new Malformed('rdata runs past the packet');
  return { type: packet.readUInt16BE(next), klass: packet.readUInt16BE(next + 2), ttl: packet.readUInt32BE(next + 4), next: next + 10 + rdlength };
}

/** The reply to one query, or undefined to stay silent; `plainUdpLimit` undefined over TCP. */
function answer(
  packet: Buffer,
  zone: Zone,
  servfail: Set<string>,
  silent: Set<string>,
  log: DnsQueryLog[],
  plainUdpLimit: number | undefined,
): Buffer | undefined {
  if (packet.length < 12) return undefined; // not even a header: nobody to answer
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: never answer those
  const opcode = (flags >> 11) & 0xf;
  const rd = flags & 0x0100;
  const header = (rcode: number, counts: [number, number, number, number], extra = 0) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(id, 0);
    h.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | extra | rd | rcode, 2);
    counts.forEach((c, i) => h.writeUInt16BE(c, 4 + i * 2));
    return h;
  };
  if (opcode !== 0) return header(RCODE.NOTIMP, [0, 0, 0, 0]);
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => packet.readUInt16BE(o)) as [number, number, number, number];
  if (qd !== 1) return header(RCODE.FORMERR, [0, 0, 0, 0]);

  let labels: Buffer[];
  let qtype: number;
  let qclass: number;
  let udpLimit = plainUdpLimit;
  let edns = false;
  try {
    const q = readName(packet, 12);
    if (q.next + 4 > packet.length) throw new Malformed('question runs past the packet');
    labels = q.labels;
    qtype = packet.readUInt16BE(q.next);
    qclass = packet.readUInt16BE(q.next + 2);
    // RFC 6891: an OPT record in the additional section raises the UDP limit.
    let pos = q.next + 4;
    for (let i = 0; i < an + ns + ar; i++) {
      const rr = readRecordHead(packet, pos);
      if (i >= an + ns && rr.type === TYPE.OPT) {
        edns = true;
        if (udpLimit !== undefined) udpLimit = Math.min(EDNS_UDP_LIMIT, Math.max(PLAIN_UDP_LIMIT, rr.klass));
      }
      pos = rr.next;
    }
  } catch (err) {
    if (err instanceof Malformed) return header(RCODE.FORMERR, [0, 0, 0, 0]);
    throw err;
  }

  const name = normalize(labels.map((l) => l.toString('latin1')).join('.'));
  log.push({ name, type: TYPE_NAMES.get(qtype) ?? String(qtype) });
  if (silent.has(name)) return undefined;
  const question = Buffer.concat([encodeName(labels), u16(qtype), u16(qclass)]);
  const opt = edns ? Buffer.concat([Buffer.from([0]), u16(TYPE.OPT), u16(EDNS_UDP_LIMIT), Buffer.alloc(4), u16(0)]) : Buffer.alloc(0);
  const reply = (rcode: number, answers: Buffer[], extra = 0) =>
    Buffer.concat([header(rcode, [1, answers.length, 0, edns ? 1 : 0], extra), question, ...answers, opt]);

  if (qclass !== CLASS_IN && qclass !== CLASS_ANY) return reply(RCODE.REFUSED, []);
  if (servfail.has(name)) return reply(RCODE.SERVFAIL, []);
  if (!zone.known.has(name)) return reply(RCODE.NXDOMAIN, []);
  const owner = encodeName(labels);
  const answers = (zone.owners.get(name) ?? [])
    .filter((r) => qtype === TYPE.ANY || r.type === qtype)
    .map((r) => {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(r.type, 0);
      fixed.writeUInt16BE(CLASS_IN, 2);
      fixed.writeUInt32BE(r.ttl, 4);
      fixed.writeUInt16BE(r.rdata.length, 8);
      return Buffer.concat([owner, fixed, r.rdata]);
    });
  const full = reply(RCODE.NOERROR, answers);
  // RFC 1035 §4.2.1: too big for UDP → TC set, answers left out (the client retries over TCP).
  return udpLimit === undefined || full.length <= udpLimit ? full : reply(RCODE.NOERROR, [], 0x0200);
}

/** A query datagram, for tests that speak to the server directly; `edns`: an OPT with that UDP size. */
export function buildQuery(id: number, name: string, type: number, options: { rd?: boolean; edns?: number } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(options.rd === false ? 0 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(options.edns === undefined ? 0 : 1, 10);
  const opt = options.edns === undefined ? [] : [Buffer.from([0]), u16(TYPE.OPT), u16(options.edns), Buffer.alloc(4), u16(0)];
  return Buffer.concat([h, encodeName(name), u16(type), u16(CLASS_IN), ...opt]);
}

/** The header fields and answer count of a reply, for tests. */
export function readReplyHeader(reply: Buffer): { id: number; rcode: number; aa: boolean; tc: boolean; qd: number; an: number; ar: number } {
  const flags = reply.readUInt16BE(2);
  return {
    id: reply.readUInt16BE(0),
    rcode: flags & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    qd: reply.readUInt16BE(4),
    an: reply.readUInt16BE(6),
    ar: reply.readUInt16BE(10),
  };
}
