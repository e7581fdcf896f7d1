/**
 * Calls through the real daemon, driven message by message by scripted phones on real
 * sockets (test/helpers/sip-peer.ts), so that every message the B2BUA sends is checked
 * on the wire: a TCP caller reaching a TLS phone behind NAT over its registered flow,
 * forking to two contacts (CANCEL of the loser, busy everywhere), the session-timer
 * and capability headers relayed (100rel removed), the refusals (420, 483, 481, 404),
 * and in-dialog requests relayed both ways (re-INVITE for hold, UPDATE, INFO) with the
 * identifiers and CSeq numbers of each leg's own dialog.
 *
 * Extensions: 201 calls ("Alice Caller"); 202 is a TLS phone registered with an
 * unreachable Contact; 203 is registered from two UDP sockets; 204, 205 and 206 are
 * single phones (UDP, TCP, UDP). The SIPp call tests (test/integration/calls.test.ts)
 * cover bulk calls, forwarding, CANCEL by the caller and hold over UDP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { digestResponse, parseChallenge } from '../../appliance/sip/auth/digest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { cli, register } from '../helpers/registering';
import { branch, streamPeer, udpPeer, type Peer } from '../helpers/sip-peer';

const password = (n: string) => `transports-${n}-secret`;
/** Longest wait for one expected message (a 2-core machine running other suites). */
const WAIT = 10_000;
/** The unreachable Contact a TLS phone behind NAT registers (TEST-NET-1). */
const NAT_CONTACT = 'sip:202@192.0.2.99:5999;transport=tls';

let d: RunningDaemon;

// --- raw messages ------------------------------------------------------------------

interface Msg {
  raw: Buffer;
  start: string;
  method?: string;
  uri?: string;
  status?: number;
  headers: { name: string; value: string }[];
  body: Buffer;
}

function parse(raw: Buffer): Msg {
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, sep < 0 ? raw.length : sep).toString('latin1');
  const body = sep < 0 ? Buffer.alloc(0) : raw.subarray(sep + 4);
  const lines = head.split('\r\n');
  const start = lines.shift()!;
  const headers: { name: string; value: string }[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const res = /^SIP\/2\.0 (\d{3}) /.exec(start);
  const req = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(start);
  return {
    raw,
    start,
    headers,
    body,
    ...(res ? { status: Number(res[1]) } : {}),
    ...(req ? { method: req[1]!, uri: req[2]! } : {}),
  };
}

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', x: 'session-expires' };

/** Every value of a header (compact forms included), in order. */
function all(m: Msg, name: string): string[] {
  const want = name.toLowerCase();
  return m.headers
    .filter((h) => {
      const n = h.name.toLowerCase();
      return (COMPACT[n] ?? n) === want;
    })
    .map((h) => h.value);
}

/** The value of a header that must be present exactly once. */
function one(m: Msg, name: string): string {
  const values = all(m, name);
  assert.equal(values.length, 1, `${name} once in "${m.start}": ${JSON.stringify(values)}`);
  return values[0]!;
}

function opt(m: Msg, name: string): string | undefined {
  return all(m, name)[0];
}

function cseq(m: Msg): string {
  return (opt(m, 'cseq') ?? '').replace(/\s+/g, ' ');
}

/** The tag parameter of a From/To value. */
function tagOf(value: string): string | undefined {
  const params = value.includes('>') ? value.slice(value.lastIndexOf('>')) : value;
  return /;\s*tag=([^;\s]+)/i.exec(params)?.[1];
}

/** The URI of a name-addr (`<uri>;params`) or addr-spec. */
function uriOf(value: string): string {
  return /<([^>]*)>/.exec(value)?.[1] ?? value.split(';')[0]!.trim();
}

function branchOf(via: string): string | undefined {
  return /;\s*branch=([^;\s,]+)/i.exec(via)?.[1];
}

function message(start: string, headers: string[], body = ''): string {
  return `${start}\r\n${[...headers, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`].join('\r\n')}\r\n\r\n${body}`;
}

function sdp(user: string, port: number, direction = 'sendrecv'): string {
  return [
    'v=0',
    `o=${user} ${port} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${direction}`,
    '',
  ].join('\r\n');
}

const REASONS: Record<number, string> = { 100: 'Trying', 180: 'Ringing', 200: 'OK', 486: 'Busy Here', 487: 'Request Terminated' };

/** A phone's response to a request it received (§8.2.6: Via, From, To, Call-ID, CSeq copied). */
function response(req: Msg, status: number, o: { toTag?: string; contact?: string; headers?: string[]; body?: string; contentType?: string } = {}): string {
  const to = one(req, 'to');
  const headers = [
    ...all(req, 'via').map((v) => `Via: ${v}`),
    `From: ${one(req, 'from')}`,
    `To: ${o.toTag && tagOf(to) === undefined ? `${to};tag=${o.toTag}` : to}`,
    `Call-ID: ${one(req, 'call-id')}`,
    `CSeq: ${cseq(req)}`,
    ...(o.contact ? [`Contact: ${o.contact}`] : []),
    ...(o.headers ?? []),
    ...(o.body ? [`Content-Type: ${o.contentType ?? 'application/sdp'}`] : []),
  ];
  return message(`SIP/2.0 ${status} ${REASONS[status] ?? 'Whatever'}`, headers, o.body ?? '');
}

// --- scripted phones -----------------------------------------------------------------

/**
 * A peer with a backlog: `wait` returns the first message matching, earlier or later
 * ones stay for later waits. Over UDP, byte-identical copies of a message already
 * consumed are retransmissions and are dropped.
 */
class Phone {
  private readonly backlog: Msg[] = [];
  private readonly consumed = new Set<string>();

  constructor(
    readonly peer: Peer,
    readonly user: string,
  ) {}

  static async udp(user: string): Promise<Phone> {
    return new Phone(await udpPeer(d.udpPort), user);
  }

  static async stream(transport: 'TCP' | 'TLS', user: string): Promise<Phone> {
    return new Phone(await streamPeer(transport, transport === 'TLS' ? d.tlsPort : d.tcpPort), user);
  }

  get port(): number {
    return this.peer.localPort;
  }

  get transport(): 'UDP' | 'TCP' | 'TLS' {
    return this.peer.transport;
  }

  via(b = branch()): string {
    return `SIP/2.0/${this.transport} 127.0.0.1:${this.port};branch=${b};rport`;
  }

  get contactUri(): string {
    return `sip:${this.user}@127.0.0.1:${this.port}${this.transport === 'UDP' ? '' : `;transport=${this.transport.toLowerCase()}`}`;
  }

  send(text: string): void {
    this.peer.send(text);
  }

  async wait(what: string, match: (m: Msg) => boolean, timeoutMs = WAIT): Promise<Msg> {
    const at = this.backlog.findIndex(match);
    if (at >= 0) return this.take(this.backlog.splice(at, 1)[0]!);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const raw = left > 0 ? await this.peer.next(left) : undefined;
      if (!raw) throw new Error(`${this.user}/${this.transport}: no ${what} within ${timeoutMs} ms; unread: ${JSON.stringify(this.unread().map((m) => m.start))}`);
      const m = parse(raw);
      if (this.transport === 'UDP' && this.consumed.has(raw.toString('latin1'))) continue;
      if (match(m)) return this.take(m);
      this.backlog.push(m);
    }
  }

  /** What arrived and was not consumed (retransmissions of consumed messages excluded). */
  unread(): Msg[] {
    return this.backlog.filter((m) => !(this.transport === 'UDP' && this.consumed.has(m.raw.toString('latin1'))));
  }

  close(): void {
    this.peer.close();
  }

  private take(m: Msg): Msg {
    this.consumed.add(m.raw.toString('latin1'));
    return m;
  }
}

const isRequest = (method: string, callId?: string) => (m: Msg) => m.method === method && (callId === undefined || opt(m, 'call-id') === callId);
const isResponse = (status: number, callId: string, cseqValue: string) => (m: Msg) => m.status === status && opt(m, 'call-id') === callId && cseq(m) === cseqValue;
const isFinal = (callId: string, cseqValue: string) => (m: Msg) => m.status !== undefined && m.status >= 200 && opt(m, 'call-id') === callId && cseq(m) === cseqValue;

async function registered(phone: Phone, o: { contact?: string } = {}): Promise<Msg> {
  const r = await register(phone.peer, phone.user, password(phone.user), o);
  assert.equal(r.status, 200, `REGISTER ${phone.user}: ${r.response?.toString('latin1')}`);
  return parse(r.response!);
}

// --- the caller's INVITE --------------------------------------------------------------

interface Outgoing {
  phone: Phone;
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  branch: string;
  maxForwards: number;
  headers: string[];
  body: string;
}

interface InviteOptions {
  headers?: string[];
  maxForwards?: number;
  body?: string;
}

function inviteText(out: Outgoing, auth?: string): string {
  return message(
    `INVITE ${out.uri} SIP/2.0`,
    [
      `Via: ${out.phone.via(out.branch)}`,
      `Max-Forwards: ${out.maxForwards}`,
      `From: ${out.from}`,
      `To: ${out.to}`,
      `Call-ID: ${out.callId}`,
      `CSeq: ${out.cseq} INVITE`,
      `Contact: <${out.phone.contactUri}>`,
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
      ...out.headers,
      ...(out.body ? ['Content-Type: application/sdp'] : []),
    ],
    out.body,
  );
}

/** An INVITE without credentials (CSeq 1). */
function sendInvite(phone: Phone, target: string, o: InviteOptions = {}): Outgoing {
  const out: Outgoing = {
    phone,
    uri: `sip:${target}@127.0.0.1`,
    from: `<sip:${phone.user}@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
    to: `<sip:${target}@127.0.0.1>`,
    callId: `${randomBytes(8).toString('hex')}@127.0.0.1`,
    cseq: 1,
    branch: branch(),
    maxForwards: o.maxForwards ?? 70,
    headers: o.headers ?? [],
    body: o.body ?? sdp(phone.user, 40000 + (phone.port % 10000)),
  };
  phone.send(inviteText(out));
  return out;
}

/** §17.1.1.3: the ACK for a non-2xx final response, in the INVITE's transaction. */
function ackFailure(out: Outgoing, res: Msg): void {
  out.phone.send(
    message(`ACK ${out.uri} SIP/2.0`, [
      `Via: ${out.phone.via(out.branch)}`,
      'Max-Forwards: 70',
      `From: ${out.from}`,
      `To: ${one(res, 'to')}`,
      `Call-ID: ${out.callId}`,
      `CSeq: ${out.cseq} ACK`,
    ]),
  );
}

function finalTo(out: Outgoing): Promise<Msg> {
  return out.phone.wait(`final response to ${out.cseq} INVITE`, isFinal(out.callId, `${out.cseq} INVITE`));
}

/**
 * The caller's INVITE with proxy digest: the INVITE, its 407 (SHA-256 offered first,
 * MD5 second) and the ACK for it, then the INVITE again with Proxy-Authorization
 * (same Call-ID and From tag, CSeq 2, new branch). Returns the authenticated INVITE.
 */
async function authenticatedInvite(phone: Phone, target: string, o: InviteOptions = {}): Promise<Outgoing> {
  const first = sendInvite(phone, target, o);
  const challenge = await finalTo(first);
  assert.equal(challenge.status, 407, challenge.start);
  ackFailure(first, challenge);
  const offers = all(challenge, 'proxy-authenticate').map((v) => parseChallenge(v));
  assert.deepEqual(
    offers.map((c) => c.algorithm),
    ['SHA-256', 'MD5'],
  );
  const c = offers[0]!;
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({
    algorithm: c.algorithm,
    username: phone.user,
    realm: c.realm,
    password: password(phone.user),
    method: 'INVITE',
    uri: first.uri,
    nonce: c.nonce,
    qop: 'auth',
    nc: '00000001',
    cnonce,
  });
  const auth =
    `Digest username="${phone.user}", realm="${c.realm}", nonce="${c.nonce}", uri="${first.uri}", response="${response}", ` +
    `algorithm=${c.algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  const second: Outgoing = { ...first, cseq: 2, branch: branch() };
  phone.send(inviteText(second, auth));
  return second;
}

// --- dialogs as the phones see them ---------------------------------------------------

interface Dialog {
  phone: Phone;
  callId: string;
  /** Our From for requests (with our tag). */
  local: string;
  /** Our To for requests (with the other end's tag). */
  remote: string;
  /** The Request-URI: the other end's Contact. */
  target: string;
  cseq: number;
}

/** The caller's dialog from its INVITE and the 2xx it received. */
function callerDialog(out: Outgoing, ok: Msg): Dialog {
  return { phone: out.phone, callId: out.callId, local: out.from, remote: one(ok, 'to'), target: uriOf(one(ok, 'contact')), cseq: out.cseq };
}

/** The callee's dialog from the INVITE it received and the tag it answered with. */
function calleeDialog(phone: Phone, invite: Msg, toTag: string, firstCseq = 100): Dialog {
  return { phone, callId: one(invite, 'call-id'), local: `${one(invite, 'to')};tag=${toTag}`, remote: one(invite, 'from'), target: uriOf(one(invite, 'contact')), cseq: firstCseq };
}

interface InDialogOptions {
  body?: string;
  contentType?: string;
  headers?: string[];
  /** CSeq number (ACK: the INVITE's); the dialog's next one when absent. */
  cseq?: number;
  branch?: string;
}

/** §12.2.1.1: a request within the dialog; returns its CSeq value. */
function sendInDialog(dialog: Dialog, method: string, o: InDialogOptions = {}): string {
  let seq = o.cseq;
  if (seq === undefined) {
    dialog.cseq += 1;
    seq = dialog.cseq;
  }
  const { phone } = dialog;
  phone.send(
    message(
      `${method} ${dialog.target} SIP/2.0`,
      [
        `Via: ${phone.via(o.branch)}`,
        'Max-Forwards: 70',
        `From: ${dialog.local}`,
        `To: ${dialog.remote}`,
        `Call-ID: ${dialog.callId}`,
        `CSeq: ${seq} ${method}`,
        ...(method === 'INVITE' || method === 'UPDATE' ? [`Contact: <${phone.contactUri}>`] : []),
        ...(o.headers ?? []),
        ...(o.body ? [`Content-Type: ${o.contentType ?? 'application/sdp'}`] : []),
      ],
      o.body ?? '',
    ),
  );
  return `${seq} ${method}`;
}

/** Our Contact on a transport, as the daemon writes it. */
function daemonContact(transport: 'UDP' | 'TCP' | 'TLS'): string {
  if (transport === 'UDP') return `<sip:edgesip@127.0.0.1:${d.udpPort}>`;
  return `<sip:edgesip@127.0.0.1:${transport === 'TCP' ? d.tcpPort : d.tlsPort};transport=${transport.toLowerCase()}>`;
}

function daemonPort(transport: 'UDP' | 'TCP' | 'TLS'): number {
  return transport === 'UDP' ? d.udpPort : transport === 'TCP' ? d.tcpPort : d.tlsPort;
}

/** Our single Via on a request to a phone: `SIP/2.0/<T> 127.0.0.1:<port>` with rport and a magic-cookie branch. */
function assertDaemonVia(m: Msg, transport: 'UDP' | 'TCP' | 'TLS'): string {
  const vias = all(m, 'via');
  assert.equal(vias.length, 1, `one Via (ours) in "${m.start}": ${JSON.stringify(vias)}`);
  const via = vias[0]!;
  assert.match(via, new RegExp(`^SIP/2\\.0/${transport} 127\\.0\\.0\\.1:${daemonPort(transport)};`));
  assert.match(via, /;rport(;|$)/);
  assert.match(branchOf(via) ?? '', /^z9hG4bK./);
  return via;
}

interface Established {
  out: Outgoing;
  /** The INVITE as the callee received it. */
  invite: Msg;
  /** The 200 as the caller received it. */
  ok: Msg;
  caller: Dialog;
  callee: Dialog;
}

/**
 * A whole call set-up: authenticated INVITE, the callee answers 180 then 200 (with its
 * SDP and `okHeaders`), the caller ACKs and the callee receives that ACK.
 */
async function establish(caller: Phone, callee: Phone, number: string, o: InviteOptions & { okHeaders?: string[]; calleeContact?: string } = {}): Promise<Established> {
  const out = await authenticatedInvite(caller, number, o);
  const invite = await callee.wait('INVITE', isRequest('INVITE'));
  const toTag = randomBytes(4).toString('hex');
  const contact = `<${o.calleeContact ?? callee.contactUri}>`;
  callee.send(response(invite, 180, { toTag, contact }));
  await caller.wait('180', isResponse(180, out.callId, `${out.cseq} INVITE`));
  callee.send(response(invite, 200, { toTag, contact, headers: o.okHeaders ?? [], body: sdp(callee.user, 50000 + (callee.port % 10000)) }));
  const ok = await caller.wait('200', isResponse(200, out.callId, `${out.cseq} INVITE`));
  const callerSide = callerDialog(out, ok);
  sendInDialog(callerSide, 'ACK', { cseq: out.cseq });
  const ack = await callee.wait('ACK', isRequest('ACK', one(invite, 'call-id')));
  assert.equal(cseq(ack), `${cseq(invite).split(' ')[0]} ACK`);
  return { out, invite, ok, caller: callerSide, callee: calleeDialog(callee, invite, toTag) };
}

/** The caller hangs up: BYE relayed to the callee, both get their 200. */
async function hangUp(call: Established): Promise<void> {
  const byeCseq = sendInDialog(call.caller, 'BYE');
  const bye = await call.callee.phone.wait('BYE', isRequest('BYE', call.callee.callId));
  call.callee.phone.send(response(bye, 200));
  await call.caller.phone.wait('200 to BYE', isResponse(200, call.caller.callId, byeCseq));
}

async function withPhones<T>(phones: Promise<Phone>[], body: (...p: Phone[]) => Promise<T>): Promise<T> {
  const opened = await Promise.all(phones);
  try {
    return await body(...opened);
  } finally {
    for (const p of opened) p.close();
  }
}

// --- the tests ------------------------------------------------------------------------

describe('calls driven message by message (UDP, TCP, TLS)', { timeout: 180_000 }, () => {
  before(async () => {
    d = await startDaemon();
    for (const n of ['201', '202', '203', '204', '205', '206']) {
      const args = ['ext', 'add', n, '--password', password(n), ...(n === '201' ? ['--name', 'Alice Caller'] : [])];
      const r = cli(d.dataDir, ...args);
      assert.equal(r.status, 0, `edgesip ${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    await d?.stop();
  });

  test('TCP caller → TLS phone behind NAT: INVITE, 180, 200 with SDP, ACK and BYE all over the registered TLS connection', async () => {
    await withPhones([Phone.stream('TCP', '201'), Phone.stream('TLS', '202')], async (caller, callee) => {
      const reg = await registered(callee, { contact: NAT_CONTACT });
      assert.equal(uriOf(one(reg, 'contact')), NAT_CONTACT);

      const offer = sdp('201', 40100);
      const out = await authenticatedInvite(caller, '202', { body: offer });
      // The INVITE reaches the phone on its own TLS connection, addressed to the
      // Contact it registered (unreachable as an address: only the flow works).
      const invite = await callee.wait('INVITE', isRequest('INVITE'));
      assert.equal(invite.uri, NAT_CONTACT);
      assertDaemonVia(invite, 'TLS');
      assert.equal(one(invite, 'contact'), daemonContact('TLS'));
      assert.equal(one(invite, 'to'), '<sip:202@127.0.0.1>');
      assert.match(one(invite, 'from'), /^"Alice Caller" <sip:201@127\.0\.0\.1>;tag=\S+$/);
      assert.equal(cseq(invite), '1 INVITE');
      assert.equal(one(invite, 'content-type'), 'application/sdp');
      assert.equal(invite.body.toString('latin1'), offer);
      assert.equal(all(invite, 'proxy-authorization').length, 0, 'credentials are not relayed');

      const trying = await caller.wait('100 Trying', isResponse(100, out.callId, '2 INVITE'));
      assert.equal(tagOf(one(trying, 'to')), undefined);

      const toTag = 'nat-phone-1';
      const answer = sdp('202', 50200);
      callee.send(response(invite, 180, { toTag, contact: `<${NAT_CONTACT}>` }));
      const ringing = await caller.wait('180', isResponse(180, out.callId, '2 INVITE'));
      const ourTag = tagOf(one(ringing, 'to'));
      assert.ok(ourTag && ourTag !== toTag, 'the caller sees the B2BUA tag, not the phone tag');
      assert.equal(one(ringing, 'contact'), daemonContact('TCP'));
      assert.equal(all(ringing, 'via').length, 1);
      assert.equal(branchOf(one(ringing, 'via')), out.branch);

      callee.send(response(invite, 200, { toTag, contact: `<${NAT_CONTACT}>`, body: answer }));
      const ok = await caller.wait('200', isResponse(200, out.callId, '2 INVITE'));
      assert.equal(ok.body.toString('latin1'), answer, 'the callee SDP arrives byte for byte');
      assert.equal(one(ok, 'content-type'), 'application/sdp');
      assert.equal(one(ok, 'content-length'), String(Buffer.byteLength(answer)));
      assert.equal(tagOf(one(ok, 'to')), ourTag);
      assert.equal(one(ok, 'contact'), daemonContact('TCP'));

      // ACK to the Contact of the 200, on the caller's TCP connection.
      const callerSide = callerDialog(out, ok);
      assert.equal(callerSide.target, `sip:edgesip@127.0.0.1:${d.tcpPort};transport=tcp`);
      sendInDialog(callerSide, 'ACK', { cseq: 2 });
      const ack = await callee.wait('ACK', isRequest('ACK', one(invite, 'call-id')));
      assert.equal(ack.uri, NAT_CONTACT, 'the ACK goes to the Contact of the 200, over the flow');
      assert.equal(cseq(ack), '1 ACK');
      assert.equal(one(ack, 'from'), one(invite, 'from'));
      assert.equal(one(ack, 'to'), `<sip:202@127.0.0.1>;tag=${toTag}`);
      const ackVia = assertDaemonVia(ack, 'TLS');
      assert.notEqual(branchOf(ackVia), branchOf(one(invite, 'via')), 'the ACK for a 2xx is a new transaction');

      const byeCseq = sendInDialog(callerSide, 'BYE');
      assert.equal(byeCseq, '3 BYE');
      const bye = await callee.wait('BYE', isRequest('BYE', one(invite, 'call-id')));
      assert.equal(bye.uri, NAT_CONTACT);
      assert.equal(cseq(bye), '2 BYE');
      assert.equal(one(bye, 'to'), `<sip:202@127.0.0.1>;tag=${toTag}`);
      assertDaemonVia(bye, 'TLS');
      callee.send(response(bye, 200));
      const byeOk = await caller.wait('200 to BYE', isResponse(200, out.callId, '3 BYE'));
      assert.equal(tagOf(one(byeOk, 'to')), ourTag);

      // The reverse: the NATed TLS phone hangs up, the TCP caller gets the BYE.
      const out2 = await authenticatedInvite(caller, '202');
      const invite2 = await callee.wait('INVITE', isRequest('INVITE'));
      assert.notEqual(one(invite2, 'call-id'), one(invite, 'call-id'));
      callee.send(response(invite2, 200, { toTag: 'nat-phone-2', contact: `<${NAT_CONTACT}>`, body: answer }));
      const ok2 = await caller.wait('200', isResponse(200, out2.callId, '2 INVITE'));
      const caller2 = callerDialog(out2, ok2);
      sendInDialog(caller2, 'ACK', { cseq: 2 });
      await callee.wait('ACK', isRequest('ACK', one(invite2, 'call-id')));
      const callee2 = calleeDialog(callee, invite2, 'nat-phone-2', 0);
      assert.equal(callee2.target, `sip:edgesip@127.0.0.1:${d.tlsPort};transport=tls`);
      const calleeBye = sendInDialog(callee2, 'BYE');
      const calleeByeOk = await callee.wait('200 to BYE', isResponse(200, one(invite2, 'call-id'), calleeBye));
      assert.equal(tagOf(one(calleeByeOk, 'to')), tagOf(one(invite2, 'from')));
      const bye2 = await caller.wait('BYE', isRequest('BYE', out2.callId));
      assert.equal(bye2.uri, caller.contactUri, 'the BYE goes to the caller Contact, over its TCP connection');
      assert.equal(cseq(bye2), '1 BYE');
      assert.equal(one(bye2, 'from'), one(ok2, 'to'));
      assert.equal(one(bye2, 'to'), out2.from);
      assertDaemonVia(bye2, 'TCP');
      caller.send(response(bye2, 200));
      assert.deepEqual(caller.unread().filter((m) => m.status === undefined || m.status >= 200).map((m) => m.start), [], 'nothing else reached the caller');
    });
  });

  test('forking to two contacts: both ring, the loser gets CANCEL and 487s, the caller one 200; both busy gives 486', async () => {
    await withPhones([Phone.stream('TCP', '201'), Phone.udp('203'), Phone.udp('203')], async (caller, a, b) => {
      await registered(a);
      await registered(b);

      const out = await authenticatedInvite(caller, '203');
      const inviteA = await a.wait('INVITE', isRequest('INVITE'));
      const inviteB = await b.wait('INVITE', isRequest('INVITE'));
      assert.equal(inviteA.uri, `sip:203@127.0.0.1:${a.port};transport=udp`);
      assert.equal(inviteB.uri, `sip:203@127.0.0.1:${b.port};transport=udp`);
      assert.notEqual(one(inviteA, 'call-id'), one(inviteB, 'call-id'), 'each fork is its own dialog');
      assert.notEqual(one(inviteA, 'call-id'), out.callId);
      assertDaemonVia(inviteA, 'UDP');
      assertDaemonVia(inviteB, 'UDP');

      a.send(response(inviteA, 180, { toTag: 'fork-a', contact: `<${a.contactUri}>` }));
      b.send(response(inviteB, 180, { toTag: 'fork-b', contact: `<${b.contactUri}>` }));
      // Both provisionals reach the caller (so the daemon has seen B's 180 before A answers).
      await caller.wait('first 180', isResponse(180, out.callId, '2 INVITE'));
      await caller.wait('second 180', isResponse(180, out.callId, '2 INVITE'));

      const answer = sdp('203', 50300);
      a.send(response(inviteA, 200, { toTag: 'fork-a', contact: `<${a.contactUri}>`, body: answer }));

      const cancel = await b.wait('CANCEL', isRequest('CANCEL', one(inviteB, 'call-id')));
      assert.equal(cancel.uri, inviteB.uri, '§9.1: the Request-URI of the INVITE');
      assert.equal(one(cancel, 'via'), one(inviteB, 'via'), '§9.1: the top Via of the INVITE, branch included');
      assert.equal(cseq(cancel), '1 CANCEL');
      assert.equal(one(cancel, 'from'), one(inviteB, 'from'));
      assert.equal(one(cancel, 'to'), one(inviteB, 'to'), 'the To of the INVITE, without the tag of the 180');
      assert.equal(one(cancel, 'reason'), 'SIP;cause=200;text="Call completed elsewhere"');
      b.send(response(cancel, 200));
      b.send(response(inviteB, 487, { toTag: 'fork-b' }));
      const ack487 = await b.wait('ACK for 487', isRequest('ACK', one(inviteB, 'call-id')));
      assert.equal(one(ack487, 'via'), one(inviteB, 'via'), 'the ACK for a failure shares the INVITE branch');
      assert.equal(cseq(ack487), '1 ACK');
      assert.equal(one(ack487, 'to'), `${one(inviteB, 'to')};tag=fork-b`);

      const ok = await caller.wait('200', isResponse(200, out.callId, '2 INVITE'));
      assert.equal(ok.body.toString('latin1'), answer);
      const call: Established = { out, invite: inviteA, ok, caller: callerDialog(out, ok), callee: calleeDialog(a, inviteA, 'fork-a') };
      sendInDialog(call.caller, 'ACK', { cseq: 2 });
      const ackA = await a.wait('ACK', isRequest('ACK', one(inviteA, 'call-id')));
      assert.equal(ackA.uri, a.contactUri);
      await hangUp(call);
      // TCP keeps order: everything the daemon sent the caller about this call is here.
      const finals = caller.unread().filter(isFinal(out.callId, '2 INVITE'));
      assert.deepEqual(finals.map((m) => m.start), [], 'exactly one final response (the 200) reached the caller');
      assert.deepEqual(b.unread().filter((m) => m.method !== undefined && m.method !== 'INVITE').map((m) => m.start), [], 'the loser got nothing but its CANCEL and ACK');

      // Second call: both phones are busy.
      const out2 = await authenticatedInvite(caller, '203');
      const busyA = await a.wait('INVITE', isRequest('INVITE'));
      const busyB = await b.wait('INVITE', isRequest('INVITE'));
      a.send(response(busyA, 486, { toTag: 'busy-a' }));
      const ackBusyA = await a.wait('ACK for 486', isRequest('ACK', one(busyA, 'call-id')));
      assert.equal(branchOf(one(ackBusyA, 'via')), branchOf(one(busyA, 'via')));
      // One fork busy is not the end: B still rings and the caller hears it.
      b.send(response(busyB, 180, { toTag: 'busy-b', contact: `<${b.contactUri}>` }));
      await caller.wait('180', isResponse(180, out2.callId, '2 INVITE'));
      assert.deepEqual(caller.unread().filter(isFinal(out2.callId, '2 INVITE')).map((m) => m.start), [], 'no final answer while B rings');
      b.send(response(busyB, 486, { toTag: 'busy-b' }));
      await b.wait('ACK for 486', isRequest('ACK', one(busyB, 'call-id')));
      const busy = await finalTo(out2);
      assert.equal(busy.start, 'SIP/2.0 486 Busy Here');
      assert.ok(tagOf(one(busy, 'to')), 'the 486 carries our tag');
      ackFailure(out2, busy);
    });
  });

  test('session timer and capability headers are relayed, 100rel removed, Max-Forwards decremented, our own Via/Contact/Call-ID', async () => {
    await withPhones([Phone.udp('201'), Phone.udp('204')], async (caller, callee) => {
      await registered(callee);
      const offer = sdp('201', 40400);
      const out = await authenticatedInvite(caller, '204', {
        body: offer,
        maxForwards: 12,
        headers: ['Supported: 100rel, timer', 'Session-Expires: 1800;refresher=uac', 'Min-SE: 90'],
      });
      const invite = await callee.wait('INVITE', isRequest('INVITE'));
      assert.equal(invite.uri, `sip:204@127.0.0.1:${callee.port};transport=udp`);
      assert.deepEqual(all(invite, 'supported'), ['timer'], '100rel is removed, timer kept');
      assert.deepEqual(all(invite, 'session-expires'), ['1800;refresher=uac']);
      assert.deepEqual(all(invite, 'min-se'), ['90']);
      assert.equal(one(invite, 'max-forwards'), '11');
      assert.match(one(invite, 'from'), /^"Alice Caller" <sip:201@127\.0\.0\.1>;tag=\S+$/);
      assert.notEqual(tagOf(one(invite, 'from')), tagOf(out.from), 'our own From tag');
      assert.equal(one(invite, 'to'), '<sip:204@127.0.0.1>');
      const callId = one(invite, 'call-id');
      assert.notEqual(callId, out.callId, 'our own Call-ID');
      assert.equal(one(invite, 'contact'), daemonContact('UDP'));
      const via = assertDaemonVia(invite, 'UDP');
      assert.notEqual(branchOf(via), out.branch);
      assert.equal(cseq(invite), '1 INVITE');
      assert.equal(invite.body.toString('latin1'), offer);
      assert.equal(all(invite, 'proxy-authorization').length, 0);
      assert.equal(all(invite, 'require').length, 0);

      const answer = sdp('204', 50400);
      callee.send(
        response(invite, 200, {
          toTag: 'timer-phone',
          contact: `<${callee.contactUri}>`,
          headers: ['Session-Expires: 1800;refresher=uac', 'Require: timer', 'Supported: timer'],
          body: answer,
        }),
      );
      const ok = await caller.wait('200', isResponse(200, out.callId, '2 INVITE'));
      assert.deepEqual(all(ok, 'session-expires'), ['1800;refresher=uac']);
      assert.deepEqual(all(ok, 'require'), ['timer']);
      assert.deepEqual(all(ok, 'supported'), ['timer']);
      assert.equal(ok.body.toString('latin1'), answer);
      assert.equal(one(ok, 'contact'), daemonContact('UDP'));
      assert.equal(one(ok, 'from'), out.from);
      assert.equal(one(ok, 'call-id'), out.callId);
      assert.equal(branchOf(one(ok, 'via')), out.branch);
      const callerSide = callerDialog(out, ok);
      sendInDialog(callerSide, 'ACK', { cseq: 2 });
      await callee.wait('ACK', isRequest('ACK', callId));
      await hangUp({ out, invite, ok, caller: callerSide, callee: calleeDialog(callee, invite, 'timer-phone') });
    });
  });

  test('refusals: 420 for Require: 100rel, 483 for Max-Forwards 0, 481 for unknown dialogs, 404 for a number that is no extension', async () => {
    await withPhones([Phone.udp('201'), Phone.udp('206')], async (caller, callee) => {
      await registered(callee);

      const needs100rel = sendInvite(caller, '206', { headers: ['Require: 100rel', 'Supported: 100rel'] });
      const r420 = await finalTo(needs100rel);
      assert.equal(r420.status, 420, r420.start);
      assert.deepEqual(all(r420, 'unsupported'), ['100rel']);
      assert.equal(all(r420, 'proxy-authenticate').length, 0, 'refused before any challenge');
      ackFailure(needs100rel, r420);

      const noHops = sendInvite(caller, '206', { maxForwards: 0 });
      const r483 = await finalTo(noHops);
      assert.equal(r483.status, 483, r483.start);
      ackFailure(noHops, r483);

      const strayBye = message(`BYE sip:edgesip@127.0.0.1:${d.udpPort} SIP/2.0`, [
        `Via: ${caller.via()}`,
        'Max-Forwards: 70',
        `From: <sip:201@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:206@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
        'Call-ID: no-such-call@127.0.0.1',
        'CSeq: 7 BYE',
      ]);
      caller.send(strayBye);
      const r481 = await caller.wait('481 to BYE', isFinal('no-such-call@127.0.0.1', '7 BYE'));
      assert.equal(r481.status, 481, r481.start);

      // A call that is up: requests with its Call-ID but an unknown To tag are not in it.
      const call = await establish(caller, callee, '206');
      const ourTag = tagOf(call.caller.remote)!;
      const forged: Dialog = { ...call.caller, remote: call.caller.remote.replace(`tag=${ourTag}`, 'tag=not-our-tag') };
      const byeCseq = sendInDialog(forged, 'BYE');
      const forgedBye = await caller.wait('481 to BYE', isFinal(call.out.callId, byeCseq));
      assert.equal(forgedBye.status, 481, forgedBye.start);
      const reinviteBranch = branch();
      const reinviteCseq = sendInDialog(forged, 'INVITE', { body: sdp('201', 40600, 'sendonly'), branch: reinviteBranch });
      const forgedInvite = await caller.wait('481 to re-INVITE', isFinal(call.out.callId, reinviteCseq));
      assert.equal(forgedInvite.status, 481, forgedInvite.start);
      ackFailure({ ...call.out, uri: forged.target, cseq: Number(reinviteCseq.split(' ')[0]), branch: reinviteBranch }, forgedInvite);
      assert.deepEqual(callee.unread().map((m) => m.start), [], 'nothing was relayed to the callee');
      call.caller.cseq = forged.cseq;
      await hangUp(call);

      const nobody = await authenticatedInvite(caller, '299');
      const r404 = await finalTo(nobody);
      assert.equal(r404.status, 404, r404.start);
      assert.ok(tagOf(one(r404, 'to')));
      ackFailure(nobody, r404);
    });
  });

  test('re-INVITE (hold) from the callee, UPDATE and INFO both ways: relayed with each leg’s own dialog identifiers', async () => {
    await withPhones([Phone.udp('201'), Phone.stream('TCP', '205')], async (caller, callee) => {
      await registered(callee);
      const call = await establish(caller, callee, '205');
      const callerCallId = call.out.callId;
      const callerTag = tagOf(call.out.from)!;
      const ourCallerTag = tagOf(one(call.ok, 'to'))!;
      const inCallerDialog = (m: Msg): void => {
        assert.equal(m.uri, caller.contactUri, `${m.start}: to the caller Contact`);
        assert.equal(one(m, 'call-id'), callerCallId);
        assert.equal(one(m, 'from'), one(call.ok, 'to'), `${m.start}: From is our side of the caller dialog`);
        assert.equal(tagOf(one(m, 'from')), ourCallerTag);
        assert.equal(one(m, 'to'), call.out.from);
        assert.equal(tagOf(one(m, 'to')), callerTag);
        assertDaemonVia(m, 'UDP');
      };
      const inCalleeDialog = (m: Msg): void => {
        assert.equal(m.uri, callee.contactUri);
        assert.equal(one(m, 'call-id'), call.callee.callId);
        assert.equal(one(m, 'from'), call.callee.remote);
        assert.equal(one(m, 'to'), call.callee.local);
        assertDaemonVia(m, 'TCP');
      };

      // The callee puts the caller on hold.
      const hold = sdp('205', 50500, 'sendonly');
      const holdCseq = sendInDialog(call.callee, 'INVITE', { body: hold });
      const reinvite = await caller.wait('re-INVITE', isRequest('INVITE', callerCallId));
      inCallerDialog(reinvite);
      assert.equal(cseq(reinvite), '1 INVITE', 'the first request we send in the caller dialog');
      assert.equal(one(reinvite, 'contact'), daemonContact('UDP'));
      assert.equal(reinvite.body.toString('latin1'), hold);
      assert.equal(one(reinvite, 'content-type'), 'application/sdp');
      const held = sdp('201', 40500, 'recvonly');
      caller.send(response(reinvite, 200, { contact: `<${caller.contactUri}>`, body: held }));
      const holdOk = await callee.wait('200 to re-INVITE', isResponse(200, call.callee.callId, holdCseq));
      assert.equal(holdOk.body.toString('latin1'), held);
      assert.equal(one(holdOk, 'contact'), daemonContact('TCP'));
      assert.equal(one(holdOk, 'to'), call.callee.remote);
      sendInDialog(call.callee, 'ACK', { cseq: Number(holdCseq.split(' ')[0]) });
      const holdAck = await caller.wait('ACK of re-INVITE', isRequest('ACK', callerCallId));
      inCallerDialog(holdAck);
      assert.equal(cseq(holdAck), '1 ACK');

      // UPDATE from the caller → the callee, 200 back.
      const resume = sdp('201', 40500, 'sendrecv');
      const updateCseq = sendInDialog(call.caller, 'UPDATE', { body: resume });
      const update = await callee.wait('UPDATE', isRequest('UPDATE', call.callee.callId));
      inCalleeDialog(update);
      assert.equal(cseq(update), '2 UPDATE', 'after the INVITE (1) in the callee dialog');
      assert.equal(update.body.toString('latin1'), resume);
      assert.equal(one(update, 'contact'), daemonContact('TCP'));
      const resumed = sdp('205', 50500, 'sendrecv');
      callee.send(response(update, 200, { contact: `<${callee.contactUri}>`, body: resumed }));
      const updateOk = await caller.wait('200 to UPDATE', isResponse(200, callerCallId, updateCseq));
      assert.equal(updateOk.body.toString('latin1'), resumed);
      assert.equal(one(updateOk, 'contact'), daemonContact('UDP'));

      // UPDATE from the callee → the caller.
      const calleeUpdateCseq = sendInDialog(call.callee, 'UPDATE', { body: hold });
      const update2 = await caller.wait('UPDATE', isRequest('UPDATE', callerCallId));
      inCallerDialog(update2);
      assert.equal(cseq(update2), '2 UPDATE');
      assert.equal(update2.body.toString('latin1'), hold);
      caller.send(response(update2, 200, { contact: `<${caller.contactUri}>`, body: held }));
      const update2Ok = await callee.wait('200 to UPDATE', isResponse(200, call.callee.callId, calleeUpdateCseq));
      assert.equal(update2Ok.body.toString('latin1'), held);

      // INFO (DTMF) from the caller → the callee.
      const dtmf = 'Signal=5\r\nDuration=160\r\n';
      const infoCseq = sendInDialog(call.caller, 'INFO', { body: dtmf, contentType: 'application/dtmf-relay' });
      const info = await callee.wait('INFO', isRequest('INFO', call.callee.callId));
      inCalleeDialog(info);
      assert.equal(cseq(info), '3 INFO');
      assert.equal(one(info, 'content-type'), 'application/dtmf-relay');
      assert.equal(info.body.toString('latin1'), dtmf);
      callee.send(response(info, 200));
      const infoOk = await caller.wait('200 to INFO', isResponse(200, callerCallId, infoCseq));
      assert.equal(tagOf(one(infoOk, 'to')), ourCallerTag);

      // INFO from the callee → the caller.
      const dtmf2 = 'Signal=#\r\nDuration=100\r\n';
      const calleeInfoCseq = sendInDialog(call.callee, 'INFO', { body: dtmf2, contentType: 'application/dtmf-relay' });
      const info2 = await caller.wait('INFO', isRequest('INFO', callerCallId));
      inCallerDialog(info2);
      assert.equal(cseq(info2), '3 INFO');
      assert.equal(info2.body.toString('latin1'), dtmf2);
      caller.send(response(info2, 200));
      await callee.wait('200 to INFO', isResponse(200, call.callee.callId, calleeInfoCseq));

      // The callee hangs up; the caller's BYE is the 4th request in its dialog.
      const byeCseq = sendInDialog(call.callee, 'BYE');
      await callee.wait('200 to BYE', isResponse(200, call.callee.callId, byeCseq));
      const bye = await caller.wait('BYE', isRequest('BYE', callerCallId));
      inCallerDialog(bye);
      assert.equal(cseq(bye), '4 BYE');
      caller.send(response(bye, 200));
      assert.deepEqual(
        caller.unread().filter((m) => m.method !== undefined).map((m) => m.start),
        [],
        'no request reached the caller but those relayed',
      );
    });
  });
});
