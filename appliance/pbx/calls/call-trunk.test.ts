/**
 * The B2BUA dialling out over trunks (call.ts: dialOut, nextTrunkTarget, startTrunkLeg,
 * trunkResponse, trunkFailed, silentForks) and taking calls in from one (startCall with
 * { ring, inbound }), driven with a virtual clock. As in call.test.ts, a fake CallNetwork
 * records what the call sends and lets the test play the provider and the phones through
 * the ClientTransactionUser callbacks; fake TrunkDialers stand for the trunk service
 * (targets as flows, addressing, credentials). Everything the B2BUA sends is serialised
 * and parsed back. Digest answers are checked the way a provider would: by recomputing
 * the response with digest.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultForward, type CallClass, type Extension, type ForwardSettings } from '../../config/schema';
import { digestResponse, parseCredentials } from '../../sip/auth/digest';
import type { ClientCredentials } from '../../sip/auth/digest-client';
import type { SipLogger } from '../../sip/logger';
import { reasonPhrase } from '../../sip/message/build';
import { fromOf, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, headersNamed, type Header, type SipMessage, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseMessage } from '../../sip/message/parse';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { TransportError } from '../../sip/transaction/channel';
import { buildResponseFromRequest, type InviteServerTransaction } from '../../sip/transaction/invite-server';
import type { ServerTransaction } from '../../sip/transaction/layer';
import type { Flow } from '../../sip/transport/flow';
import type { CallRecord } from '../cdr/record';
import { B2bua } from './b2bua';
import { binding, FakeDirectory, FakeNet, FakeServerTx, LOCAL, OUR_CONTACT, START, udp, type OutRequest } from './testing/call-fakes';
import type { CallerParty, TrunkDialer } from './call';

const D = 'pbx.example';
const CALLER_ADDR = '198.51.100.10';
const PROVIDER = 'voip.example';

const CALLER_FLOW = udp(CALLER_ADDR, 5062);
/** The provider's servers: two targets of trunk "prov", one of trunk "backup". */
const PROV_A = udp('203.0.113.10', 5060);
const PROV_B = udp('203.0.113.11', 5060);
const BACKUP = udp('198.18.0.5', 5080);

const CALLER_SDP = 'v=0\r\no=alice 1 1 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const FAR_SDP = 'v=0\r\no=far 7 7 IN IP4 203.0.113.99\r\ns=-\r\nc=IN IP4 203.0.113.99\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\n';
const PHONE_SDP = 'v=0\r\no=bob 7 7 IN IP4 198.51.100.31\r\ns=-\r\nc=IN IP4 198.51.100.31\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

// --- wire check ------------------------------------------------------------------------


/** Lets the promise chains run (a dialer's targets() is asynchronous). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

// --- fakes -----------------------------------------------------------------------------


/** One trunk as the call sees it. `flows` may be a list, an error (DNS down) or a pending promise. */
class FakeDialer implements TrunkDialer {
  readonly addressed: Array<{ number: string; caller: CallerParty }> = [];
  targetCalls = 0;

  constructor(
    readonly name: string,
    public flows: Flow[] | Error | Promise<Flow[]>,
    public creds?: ClientCredentials,
    readonly domain = PROVIDER,
  ) {}

  async targets(): Promise<Flow[]> {
    this.targetCalls++;
    if (this.flows instanceof Error) throw this.flows;
    return this.flows instanceof Promise ? this.flows : [...this.flows];
  }

  addressing(number: string, caller: CallerParty): { uri: string; from: string; to: string; headers: Header[] } {
    this.addressed.push({ number, caller });
    return {
      uri: `sip:${number}@${this.domain};user=phone`,
      from: `${caller.displayName ? `"${caller.displayName}" ` : ''}<sip:${caller.number}@${this.domain}>`,
      to: `<sip:${number}@${this.domain}>`,
      headers: [{ name: 'P-Asserted-Identity', value: `<sip:+4930555${caller.number}@${this.domain}>` }],
    };
  }

  credentials(): ClientCredentials | undefined {
    return this.creds;
  }
}

function ext(number: string, o: { forward?: Partial<ForwardSettings>; displayName?: string; permission?: CallClass } = {}): Extension {
  return {
    number,
    displayName: o.displayName ?? '',
    maxContacts: 5,
    enabled: true,
    allowedNetworks: [],
    forward: { ...defaultForward(), ...o.forward },
    permission: o.permission ?? 'national',
  };
}



interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A PBX with extension 200 ("Alice", national, the caller) and whatever the test adds. */
function world(setup: { exts?: Extension[]; phones?: Record<string, string[]>; limits?: Partial<FakeDirectory['lim']> } = {}) {
  const clock = new VirtualClock(START);
  const net = new FakeNet(clock);
  const dir = new FakeDirectory();
  dir.exts.set('200', ext('200', { displayName: 'Alice' }));
  for (const e of setup.exts ?? []) dir.exts.set(e.number, e);
  for (const [aor, addresses] of Object.entries(setup.phones ?? {})) dir.binds.set(aor, addresses.map((a) => binding(aor, a)));
  dir.lim = { ...dir.lim, ...setup.limits };
  const records: CallRecord[] = [];
  const logs: LogEntry[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: SipLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const b2bua = new B2bua({ clock, net, directory: dir, logger, records: { append: (r) => void records.push(r) } });

  /** The caller (200 on CALLER_FLOW) dials `dialled`. */
  function dial(dialled: string, invite = callerInvite(dialled)): FakeServerTx {
    const tx = new FakeServerTx('invite-server', invite);
    b2bua.startCall(invite, tx as unknown as InviteServerTransaction, CALLER_FLOW, dir.extension('200')!, dialled);
    return tx;
  }

  function inDialog(req: SipRequest, flow: Flow): { tx: FakeServerTx; matched: boolean } {
    const tx = new FakeServerTx(req.method === 'INVITE' ? 'invite-server' : 'non-invite-server', req);
    const matched = b2bua.request(req, tx as unknown as ServerTransaction, flow);
    return { tx, matched };
  }

  /** Routes every number to `trunks`, sending `number` (default: what was dialled). */
  function route(trunks: TrunkDialer[], number?: string): void {
    dir.plan = (n) => ({ number: number ?? n, trunks });
  }

  return { clock, net, dir, records, logs, b2bua, dial, inDialog, route };
}

// --- messages --------------------------------------------------------------------------

function parseRequest(lines: string[], body = ''): SipRequest {
  const text = [...lines, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`, '', body].join('\r\n');
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw r.error;
  assert.equal(r.message.kind, 'request');
  return r.message as SipRequest;
}

const CALLER_FROM = `"Alice" <sip:200@${D}>;tag=caller-tag`;
const CALLER_CALL_ID = 'caller-call-1@198.51.100.10';
let branchSeq = 0;

function callerInvite(dialled: string, o: { maxForwards?: number } = {}): SipRequest {
  return parseRequest(
    [
      `INVITE sip:${dialled}@${D} SIP/2.0`,
      `Via: SIP/2.0/UDP ${CALLER_ADDR}:5062;branch=z9hG4bK-caller-inv;rport`,
      `Max-Forwards: ${o.maxForwards ?? 70}`,
      `From: ${CALLER_FROM}`,
      `To: <sip:${dialled}@${D}>`,
      `Call-ID: ${CALLER_CALL_ID}`,
      'CSeq: 10 INVITE',
      `Contact: <sip:200@${CALLER_ADDR}:5062>`,
      'Supported: timer, 100rel',
      'Allow: INVITE, ACK, CANCEL, BYE, UPDATE, INFO',
      'User-Agent: AlicePhone/1.0',
      'Content-Type: application/sdp',
    ],
    CALLER_SDP,
  );
}

/** A request from the caller inside the call: To is what our 2xx said (our tag). */
function callerRequest(method: string, cseq: number, ok: SipResponse): SipRequest {
  return parseRequest([
    `${method} sip:edgesip@${LOCAL.address}:${LOCAL.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${CALLER_ADDR}:5062;branch=z9hG4bK-caller-${++branchSeq};rport`,
    'Max-Forwards: 70',
    `From: ${CALLER_FROM}`,
    `To: ${getHeader(ok, 'to')}`,
    `Call-ID: ${CALLER_CALL_ID}`,
    `CSeq: ${cseq} ${method}`,
  ]);
}

/** A request from the far end inside its leg: From/To swapped from our INVITE and its 2xx. */
function calleeRequest(method: string, cseq: number, invite: SipRequest, ok: SipResponse, o: { extra?: string[] } = {}): SipRequest {
  return parseRequest([
    `${method} sip:edgesip@${LOCAL.address}:${LOCAL.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-far-${++branchSeq};rport`,
    'Max-Forwards: 70',
    `From: ${getHeader(ok, 'to')}`,
    `To: ${getHeader(invite, 'from')}`,
    `Call-ID: ${getHeader(invite, 'call-id')}`,
    `CSeq: ${cseq} ${method}`,
    ...(o.extra ?? []),
  ]);
}

/** An INVITE from the provider to a DID of ours. */
function providerInvite(did: string, from = `"Far" <sip:0301234567@${PROVIDER}>;tag=far-tag`): SipRequest {
  return parseRequest(
    [
      `INVITE sip:${did}@${LOCAL.address}:${LOCAL.port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${PROV_A.remote.address}:5060;branch=z9hG4bK-prov-inv;rport`,
      'Max-Forwards: 68',
      `From: ${from}`,
      `To: <sip:${did}@${PROVIDER}>`,
      'Call-ID: prov-call-1@203.0.113.10',
      'CSeq: 1 INVITE',
      `Contact: <sip:gw@${PROV_A.remote.address}:5060>`,
      'Content-Type: application/sdp',
    ],
    FAR_SDP,
  );
}

interface Answer {
  tag?: string;
  contact?: string;
  sdp?: string;
  headers?: Array<[string, string]>;
}

function farResponse(req: SipRequest, status: number, o: Answer = {}): SipResponse {
  const res = buildResponseFromRequest(req, status, reasonPhrase(status));
  const headers: Header[] = res.headers
    .filter((h) => h.name !== 'Content-Length')
    .map((h) => (h.name === 'To' && o.tag ? { name: 'To', value: `${h.value};tag=${o.tag}` } : h));
  if (o.contact) headers.push({ name: 'Contact', value: o.contact });
  for (const [name, value] of o.headers ?? []) headers.push({ name, value });
  const body = Buffer.from(o.sdp ?? '', 'latin1');
  if (body.length > 0) headers.push({ name: 'Content-Type', value: 'application/sdp' });
  headers.push({ name: 'Content-Length', value: String(body.length) });
  return { kind: 'response', status, reason: res.reason, headers, body };
}

/** The far end behind `out` answers `status`. */
function reply(out: OutRequest, status: number, o: Answer = {}): SipResponse {
  const res = farResponse(out.request, status, o);
  out.user.onResponse(res, out.tx);
  return res;
}

function header(msg: SipMessage, name: string): string | undefined {
  return getHeader(msg, name);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function only<T>(list: T[], what: string): T {
  assert.equal(list.length, 1, `expected one ${what}, found ${list.length}`);
  return list[0]!;
}

const FAR_CONTACT = `<sip:far@${PROV_A.remote.address}:5060>`;
const CREDS: ClientCredentials = { username: 'pbx1-auth', password: 'pr0vider-Secret', realm: '' };

/** Checks credentials the way the provider would: recompute the digest. */
function verifyDigest(value: string, request: SipRequest, o: { algorithm: string; realm: string; nonce: string; qop?: 'auth' }): void {
  const c = parseCredentials(value);
  assert.equal(c.username, CREDS.username);
  assert.equal(c.realm, o.realm);
  assert.equal(c.nonce, o.nonce);
  assert.equal(c.uri, request.uri, 'digest-uri is the Request-URI (§22.4)');
  if (o.qop) {
    assert.equal(c.qop, o.qop);
    assert.equal(c.nc, '00000001');
    assert.ok(c.cnonce);
  } else {
    assert.equal(c.qop, undefined);
  }
  const expected = digestResponse({
    algorithm: o.algorithm,
    username: CREDS.username,
    realm: o.realm,
    password: CREDS.password,
    method: 'INVITE',
    uri: c.uri,
    nonce: o.nonce,
    ...(o.qop ? { qop: o.qop, nc: c.nc!, cnonce: c.cnonce! } : {}),
  });
  assert.equal(c.response, expected, 'the digest response verifies');
}

// --- tests -----------------------------------------------------------------------------

describe('B2BUA trunks: the dial plan decides', () => {
  it('a number that is no extension goes to directory.outbound with the calling extension', async () => {
    const w = world();
    const prov = new FakeDialer('prov', [PROV_A]);
    w.route([prov]);
    w.dial('0301234567');
    assert.equal(w.dir.asked.length, 1);
    assert.equal(w.dir.asked[0]!.number, '0301234567');
    assert.deepEqual(w.dir.asked[0]!.caller, { number: '200', displayName: 'Alice', extension: w.dir.extension('200') });
    await settle();
    assert.equal(w.net.out('INVITE').length, 1);
  });

  it('an extension is rung, the dial plan is not asked', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    w.route([new FakeDialer('prov', [PROV_A])]);
    w.dial('201');
    assert.equal(w.dir.asked.length, 0);
    assert.equal(w.net.out('INVITE')[0]!.flow.remote.address, '198.51.100.21');
  });

  it('no rule (undefined) → 404, nothing sent, a failed record', () => {
    const w = world();
    const tx = w.dial('0301234567');
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'failed');
    assert.equal(w.records[0]!.sipCode, 404);
    assert.equal(w.clock.pending(), 0);
  });

  it('a rule whose trunks are all gone (empty list) → 404', () => {
    const w = world();
    w.route([]);
    const tx = w.dial('0301234567');
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.net.requests.length, 0);
  });

  it("'forbidden' → 403 \"Call Class Not Allowed\" and an info log, nothing sent", () => {
    const w = world();
    w.dir.plan = () => 'forbidden';
    const tx = w.dial('00861012345678');
    assert.deepEqual(tx.statuses(), [403]);
    assert.equal(tx.last().reason, 'Call Class Not Allowed');
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records[0]!.sipCode, 403);
    assert.equal(w.records[0]!.disposition, 'failed');
    const info = w.logs.find((l) => l.level === 'info' && /call class/.test(l.msg ?? ''));
    assert.ok(info, 'the refusal is logged');
    assert.equal(info.obj.number, '00861012345678');
  });
});

describe('B2BUA trunks: the INVITE to the provider', () => {
  it("carries the dialer's Request-URI, From (our tag), To, P-Asserted-Identity, the caller's SDP, Max-Forwards one less", async () => {
    const w = world();
    const prov = new FakeDialer('prov', [PROV_A]);
    w.route([prov], '+49301234567');
    const tx = w.dial('0301234567');
    assert.deepEqual(tx.statuses(), [], 'nothing for the caller before the provider speaks');
    await settle();
    const inv = only(w.net.out('INVITE'), 'INVITE');
    assert.deepEqual(inv.flow, PROV_A, 'over the first target');
    assert.deepEqual(prov.addressed, [{ number: '+49301234567', caller: w.dir.asked[0]!.caller }], 'addressed for the number after strip/prefix');
    const r = inv.request;
    assert.equal(r.uri, `sip:+49301234567@${PROVIDER};user=phone`);
    assert.match(header(r, 'from')!, /^"Alice" <sip:200@voip\.example>;tag=[0-9a-f]{16}$/);
    assert.equal(header(r, 'to'), `<sip:+49301234567@${PROVIDER}>`);
    assert.deepEqual(
      headersNamed(r, 'p-asserted-identity').map((h) => h.value),
      [`<sip:+4930555200@${PROVIDER}>`],
    );
    assert.equal(header(r, 'max-forwards'), '69');
    assert.equal(header(r, 'cseq'), '1 INVITE');
    assert.notEqual(header(r, 'call-id'), CALLER_CALL_ID, 'the leg has its own Call-ID');
    assert.equal(header(r, 'contact'), OUR_CONTACT);
    assert.match(header(r, 'via')!, /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;rport;branch=z9hG4bK/);
    assert.equal(header(r, 'content-type'), 'application/sdp');
    assert.equal(r.body.toString('latin1'), CALLER_SDP);
    assert.equal(header(r, 'supported'), 'timer', '100rel is not offered on the leg');
    assert.match(header(r, 'user-agent')!, /^EdgeSIP\//);
    for (const name of ['authorization', 'proxy-authorization', 'history-info', 'diversion', 'route']) assert.equal(header(r, name), undefined, name);
    assert.deepEqual(
      w.b2bua.list().map((c) => [c.caller, c.callee, c.target, c.state]),
      [['200', '0301234567', '+49301234567', 'ringing']],
    );
  });

  it("Max-Forwards follows the caller's: 10 in, 9 out", async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A])]);
    w.dial('0301234567', callerInvite('0301234567', { maxForwards: 10 }));
    await settle();
    assert.equal(header(w.net.out('INVITE')[0]!.request, 'max-forwards'), '9');
  });
});

describe('B2BUA trunks: digest authentication towards the provider', () => {
  const PROXY_CHALLENGE = `Digest realm="${PROVIDER}", nonce="n-407-1", opaque="op-1", algorithm=MD5, qop="auth"`;

  it('407: one retry with Proxy-Authorization, same Call-ID and From tag, CSeq + 1; then the call connects', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B], CREDS)]);
    const tx = w.dial('0301234567');
    await settle();
    const first = w.net.out('INVITE')[0]!;
    reply(first, 100);
    reply(first, 407, { tag: 'proxy-tag', headers: [['Proxy-Authenticate', PROXY_CHALLENGE]] });
    assert.deepEqual(tx.statuses(), [], 'the challenge is ours to answer, not relayed');

    const invites = w.net.out('INVITE');
    assert.equal(invites.length, 2);
    const second = invites[1]!;
    assert.deepEqual(second.flow, PROV_A, 'the same target');
    const [a, b] = [first.request, second.request];
    assert.equal(header(b, 'call-id'), header(a, 'call-id'), '§22.2: same Call-ID');
    assert.equal(header(b, 'from'), header(a, 'from'), '§22.2: same From tag');
    assert.equal(header(b, 'to'), header(a, 'to'));
    assert.equal(toOf(b).params.get('tag'), undefined, 'no To tag: a new request, not in a dialog');
    assert.equal(header(b, 'cseq'), '2 INVITE', '§22.2: CSeq incremented');
    assert.equal(b.uri, a.uri);
    assert.notEqual(header(b, 'via'), header(a, 'via'), 'a new transaction (new branch)');
    assert.equal(b.body.toString('latin1'), CALLER_SDP);
    assert.equal(header(b, 'authorization'), undefined);
    const auth = headersNamed(b, 'proxy-authorization');
    assert.equal(auth.length, 1);
    verifyDigest(auth[0]!.value, b, { algorithm: 'MD5', realm: PROVIDER, nonce: 'n-407-1', qop: 'auth' });
    assert.equal(parseCredentials(auth[0]!.value).opaque, 'op-1');

    reply(second, 180, { tag: 'far-tag' });
    const ok = reply(second, 200, { tag: 'far-tag', contact: FAR_CONTACT, sdp: FAR_SDP });
    assert.deepEqual(tx.statuses(), [180, 200]);
    assert.equal(w.net.out('INVITE').length, 2, 'no failover after a successful retry');
    w.b2bua.ack(callerRequest('ACK', 10, tx.last()));
    const ack = only(w.net.acks(PROV_A.remote.address), 'ACK');
    assert.equal(header(ack.message, 'cseq'), '2 ACK', "the ACK carries the retried INVITE's CSeq number");
    // The far end hangs up: its BYE finds the call through the retried leg's dialog.
    const { tx: byeTx, matched } = w.inDialog(calleeRequest('BYE', 1, b, ok), PROV_A);
    assert.equal(matched, true);
    assert.deepEqual(byeTx.statuses(), [200]);
    assert.equal(w.net.out('BYE', CALLER_ADDR).length, 1);
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.records[0]!.endedBy, 'callee');
  });

  it('401: one retry with Authorization (SHA-256, no qop: the RFC 2069 form)', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A], CREDS)]);
    const tx = w.dial('0301234567');
    await settle();
    const first = w.net.out('INVITE')[0]!;
    reply(first, 401, { tag: 'reg-tag', headers: [['WWW-Authenticate', `Digest realm="${PROVIDER}", nonce="n-401", algorithm=SHA-256`]] });
    const second = w.net.out('INVITE')[1];
    assert.ok(second, 'retried');
    assert.equal(header(second.request, 'call-id'), header(first.request, 'call-id'));
    assert.equal(tagOf(fromOf(second.request)), tagOf(fromOf(first.request)));
    assert.equal(header(second.request, 'cseq'), '2 INVITE');
    assert.equal(header(second.request, 'proxy-authorization'), undefined);
    verifyDigest(header(second.request, 'authorization')!, second.request, { algorithm: 'SHA-256', realm: PROVIDER, nonce: 'n-401' });
    assert.equal(parseCredentials(header(second.request, 'authorization')!).algorithm, 'SHA-256');
    assert.deepEqual(tx.statuses(), []);
  });

  it('a second 407 on the retried leg: the credentials are wrong → 403 to the caller, a warning, no failover', async () => {
    const w = world();
    const backup = new FakeDialer('backup', [BACKUP], CREDS);
    w.route([new FakeDialer('prov', [PROV_A, PROV_B], CREDS), backup]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 407, { tag: 'p1', headers: [['Proxy-Authenticate', PROXY_CHALLENGE]] });
    const second = w.net.out('INVITE')[1]!;
    reply(second, 407, { tag: 'p2', headers: [['Proxy-Authenticate', PROXY_CHALLENGE.replace('n-407-1', 'n-407-2')]] });
    await settle();
    assert.deepEqual(tx.statuses(), [403]);
    assert.equal(w.net.out('INVITE').length, 2, 'neither the next target nor the next trunk is tried');
    assert.equal(backup.targetCalls, 0);
    const warn = w.logs.find((l) => l.level === 'warn' && l.msg === 'trunk refused our credentials');
    assert.ok(warn, 'a warning');
    assert.equal(warn.obj.trunk, 'prov');
    assert.equal(warn.obj.status, 407);
    assert.equal(JSON.stringify(w.logs).includes(CREDS.password), false, 'the password is never logged');
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'failed');
    assert.equal(w.records[0]!.sipCode, 403);
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.clock.pending(), 0);
  });

  it('a challenge on a trunk without credentials → 403 and the same warning', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 407, { tag: 'p1', headers: [['Proxy-Authenticate', PROXY_CHALLENGE]] });
    assert.deepEqual(tx.statuses(), [403]);
    assert.equal(w.net.out('INVITE').length, 1);
    assert.ok(w.logs.some((l) => l.level === 'warn' && l.msg === 'trunk refused our credentials'));
  });
});

describe('B2BUA trunks: failover', () => {
  it('503 → next target of the trunk, 500 → next trunk, all failed → 503 to the caller, a failed trunk record', async () => {
    const w = world();
    const prov = new FakeDialer('prov', [PROV_A, PROV_B]);
    const backup = new FakeDialer('backup', [BACKUP]);
    w.route([prov, backup], '+49301234567');
    const tx = w.dial('0301234567');
    await settle();
    assert.equal(backup.targetCalls, 0, 'the next trunk is resolved only when needed');
    const a = w.net.out('INVITE')[0]!;
    reply(a, 503, { tag: 'a', headers: [['Retry-After', '60']] });
    const b = w.net.out('INVITE')[1];
    assert.ok(b, 'the next target at once');
    assert.deepEqual(b.flow, PROV_B);
    assert.notEqual(header(b.request, 'call-id'), header(a.request, 'call-id'), 'a new INVITE, not a retry');
    assert.equal(header(b.request, 'cseq'), '1 INVITE');
    assert.equal(b.request.uri, a.request.uri);
    reply(b, 500, { tag: 'b' });
    await settle();
    const c = w.net.out('INVITE')[2];
    assert.ok(c, 'the next trunk');
    assert.deepEqual(c.flow, BACKUP);
    assert.deepEqual(
      backup.addressed.map((x) => x.number),
      ['+49301234567'],
    );
    assert.deepEqual(tx.statuses(), [], 'the caller hears nothing of the failures');
    reply(c, 503, { tag: 'c' });
    await settle();
    assert.deepEqual(tx.statuses(), [503]);
    assert.equal(w.net.out('INVITE').length, 3);
    assert.equal(w.records.length, 1);
    const rec = w.records[0]!;
    assert.equal(rec.disposition, 'failed');
    assert.equal(rec.sipCode, 503);
    assert.equal(rec.route, 'trunk');
    assert.equal(rec.callee, '0301234567');
    assert.equal(rec.answeredBy, undefined);
    assert.equal(w.b2bua.size, 0);
    assert.equal(w.clock.pending(), 0, 'no timer left behind');
  });

  it('timeout → next target, transport error → next trunk; the last a timeout → 408 to the caller', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B]), new FakeDialer('backup', [BACKUP])]);
    const tx = w.dial('0301234567');
    await settle();
    const a = w.net.out('INVITE')[0]!;
    reply(a, 100);
    a.user.onTimeout(a.tx);
    const b = w.net.out('INVITE')[1]!;
    assert.deepEqual(b.flow, PROV_B);
    reply(b, 100);
    b.user.onTransportError(b.tx, new TransportError('ICMP port unreachable'));
    await settle();
    const c = w.net.out('INVITE')[2]!;
    assert.deepEqual(c.flow, BACKUP);
    reply(c, 100);
    c.user.onTimeout(c.tx);
    await settle();
    assert.deepEqual(tx.statuses(), [408]);
    assert.equal(w.records[0]!.sipCode, 408);
    assert.equal(w.records[0]!.route, 'trunk');
  });

  it('a 408 response counts as a timeout; the last a transport error → 503', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 408, { tag: 'a' });
    const b = w.net.out('INVITE')[1]!;
    b.user.onTransportError(b.tx, new TransportError('connection refused'));
    await settle();
    assert.deepEqual(tx.statuses(), [503]);
  });

  it('a last 408 response → 408 to the caller', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 408, { tag: 'a' });
    await settle();
    assert.deepEqual(tx.statuses(), [408]);
  });

  it('a target that cannot even be sent to (sendRequest throws) is skipped for the next', async () => {
    const w = world();
    w.net.unreachable.add(PROV_A.remote.address);
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    const inv = only(w.net.out('INVITE'), 'INVITE');
    assert.deepEqual(inv.flow, PROV_B);
    reply(inv, 180, { tag: 'b' });
    assert.deepEqual(tx.statuses(), [180]);
  });

  it('a trunk whose targets cannot be resolved (DNS failure, or none) is skipped with a warning', async () => {
    const w = world();
    const dead = new FakeDialer('dead', new Error('SERVFAIL'));
    const empty = new FakeDialer('empty', []);
    const backup = new FakeDialer('backup', [BACKUP]);
    w.route([dead, empty, backup]);
    const tx = w.dial('0301234567');
    await settle();
    const inv = only(w.net.out('INVITE'), 'INVITE');
    assert.deepEqual(inv.flow, BACKUP);
    assert.deepEqual(dead.addressed, [], 'no INVITE built for a trunk without targets');
    const warn = w.logs.find((l) => l.level === 'warn' && l.msg === 'trunk has no reachable target');
    assert.ok(warn);
    assert.equal(warn.obj.trunk, 'dead');
    assert.deepEqual(tx.statuses(), []);
  });

  it('no trunk reachable at all → 503', async () => {
    const w = world();
    w.route([new FakeDialer('dead', new Error('SERVFAIL')), new FakeDialer('empty', [])]);
    const tx = w.dial('0301234567');
    await settle();
    assert.deepEqual(tx.statuses(), [503]);
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.clock.pending(), 0);
  });

  it('a target silent for 4 s (no provisional) is given up for the next; its late 180 gets a CANCEL', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    const a = w.net.out('INVITE')[0]!;
    w.clock.advance(3999);
    assert.equal(w.net.out('INVITE').length, 1);
    w.clock.advance(1);
    const b = w.net.out('INVITE')[1];
    assert.ok(b, 'the next target after 4 s');
    assert.deepEqual(b.flow, PROV_B);
    assert.equal(b.at, START + 4000);
    assert.equal(w.net.out('CANCEL').length, 0, '§9.1: no CANCEL before a provisional');

    reply(a, 180, { tag: 'late' });
    const cancel = only(w.net.out('CANCEL'), 'CANCEL');
    assert.deepEqual(cancel.flow, PROV_A);
    assert.equal(cancel.request.uri, a.request.uri);
    assert.equal(header(cancel.request, 'via'), header(a.request, 'via'), '§9.1: the INVITE top Via');
    assert.equal(header(cancel.request, 'call-id'), header(a.request, 'call-id'));
    assert.equal(header(cancel.request, 'from'), header(a.request, 'from'));
    assert.equal(header(cancel.request, 'to'), header(a.request, 'to'));
    assert.equal(header(cancel.request, 'cseq'), '1 CANCEL');
    assert.deepEqual(tx.statuses(), [], "the abandoned leg's 180 is not relayed");

    reply(b, 180, { tag: 'b' });
    assert.deepEqual(tx.statuses(), [180]);
    reply(b, 200, { tag: 'b', contact: FAR_CONTACT, sdp: FAR_SDP });
    assert.deepEqual(tx.statuses(), [180, 200]);
    // The abandoned leg answered anyway: ACK and BYE, nothing for the caller.
    reply(a, 200, { tag: 'late', contact: `<sip:far@${PROV_A.remote.address}:5060>` });
    assert.equal(w.net.acks(PROV_A.remote.address).length, 1);
    assert.equal(w.net.out('BYE', PROV_A.remote.address).length, 1);
    assert.deepEqual(tx.statuses(), [180, 200]);
  });

  it('every target silent → 408 to the caller after 4 s each', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    w.clock.advance(4000);
    assert.equal(w.net.out('INVITE').length, 2);
    w.clock.advance(3999);
    assert.deepEqual(tx.statuses(), []);
    w.clock.advance(1);
    await settle();
    assert.deepEqual(tx.statuses(), [408]);
    assert.equal(w.records[0]!.end, iso(START + 8000));
  });

  it('a target that sent 100 Trying is not silent: no failover at 4 s', async () => {
    const w = world({ limits: { maxRingSeconds: 30 } });
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 100);
    w.clock.advance(20_000);
    assert.equal(w.net.out('INVITE').length, 1);
    assert.deepEqual(tx.statuses(), []);
  });

  it('486 from the provider → 486 to the caller, a busy record, no failover', async () => {
    const w = world();
    const backup = new FakeDialer('backup', [BACKUP]);
    w.route([new FakeDialer('prov', [PROV_A, PROV_B]), backup]);
    const tx = w.dial('0301234567');
    await settle();
    const a = w.net.out('INVITE')[0]!;
    reply(a, 180, { tag: 'a' });
    reply(a, 486, { tag: 'a' });
    await settle();
    assert.deepEqual(tx.statuses(), [180, 486]);
    assert.equal(w.net.out('INVITE').length, 1);
    assert.equal(backup.targetCalls, 0);
    assert.equal(w.records[0]!.disposition, 'busy');
    assert.equal(w.records[0]!.sipCode, 486);
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.clock.pending(), 0);
  });

  it('404 from the provider → 404 to the caller, no failover', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    reply(w.net.out('INVITE')[0]!, 404, { tag: 'a' });
    await settle();
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.net.out('INVITE').length, 1);
    assert.equal(w.records[0]!.disposition, 'failed');
  });

  for (const status of [600, 603]) {
    it(
      `${status} from the provider (§21.6: a global failure) → ${status} to the caller, busy, no failover`,
      async () => {
        const w = world();
        const backup = new FakeDialer('backup', [BACKUP]);
        w.route([new FakeDialer('prov', [PROV_A, PROV_B]), backup]);
        const tx = w.dial('0301234567');
        await settle();
        reply(w.net.out('INVITE')[0]!, status, { tag: 'a' });
        await settle();
        assert.equal(w.net.out('INVITE').length, 1, 'the callee declined: nobody else is called');
        assert.deepEqual(tx.statuses(), [status]);
        assert.equal(w.records[0]!.disposition, 'busy');
      },
    );
  }
});

describe('B2BUA trunks: the call connects', () => {
  async function ringing() {
    const w = world();
    const prov = new FakeDialer('prov', [PROV_A]);
    w.route([prov], '+49301234567');
    const tx = w.dial('0301234567');
    await settle();
    const inv = w.net.out('INVITE')[0]!;
    return { ...w, tx, inv, prov };
  }

  it('180 and 183 with SDP are relayed; the 200 answers; ACK and BYE cross; the record says trunk and the number sent', async () => {
    const w = await ringing();
    reply(w.inv, 100);
    assert.deepEqual(w.tx.statuses(), [], '100 is hop by hop');
    reply(w.inv, 180, { tag: 'far-tag' });
    reply(w.inv, 183, { tag: 'far-tag', sdp: FAR_SDP });
    assert.deepEqual(w.tx.statuses(), [180, 183]);
    const [ringingRes, progress] = w.tx.responses as [SipResponse, SipResponse];
    const ourTag = tagOf(toOf(ringingRes));
    assert.ok(ourTag);
    assert.notEqual(ourTag, 'far-tag', "the provider's tag stays on its leg");
    assert.equal(tagOf(toOf(progress)), ourTag);
    assert.equal(header(ringingRes, 'contact'), OUR_CONTACT);
    assert.equal(header(progress, 'content-type'), 'application/sdp');
    assert.equal(progress.body.toString('latin1'), FAR_SDP, 'early media reaches the caller');

    w.clock.advance(5000);
    reply(w.inv, 200, { tag: 'far-tag', contact: FAR_CONTACT, sdp: FAR_SDP });
    assert.deepEqual(w.tx.statuses(), [180, 183, 200]);
    const ok = w.tx.last();
    assert.equal(tagOf(toOf(ok)), ourTag);
    assert.equal(header(ok, 'contact'), OUR_CONTACT);
    assert.equal(ok.body.toString('latin1'), FAR_SDP);
    assert.equal(w.b2bua.list()[0]!.state, 'answered');
    assert.deepEqual(w.net.acks(), [], 'the ACK waits for the caller');

    w.b2bua.ack(callerRequest('ACK', 10, ok));
    const ack = only(w.net.acks(), 'ACK');
    assert.deepEqual(ack.flow, PROV_A);
    assert.equal(ack.message.uri, `sip:far@${PROV_A.remote.address}:5060`, 'to the Contact of the 2xx');
    assert.equal(header(ack.message, 'cseq'), '1 ACK');
    assert.equal(tagOf(toOf(ack.message)), 'far-tag');

    w.clock.advance(60_000);
    const { tx: byeTx, matched } = w.inDialog(callerRequest('BYE', 11, ok), CALLER_FLOW);
    assert.equal(matched, true);
    assert.deepEqual(byeTx.statuses(), [200]);
    const bye = only(w.net.out('BYE'), 'BYE');
    assert.deepEqual(bye.flow, PROV_A);
    assert.equal(bye.request.uri, `sip:far@${PROV_A.remote.address}:5060`);
    assert.equal(header(bye.request, 'cseq'), '2 BYE');
    assert.equal(header(bye.request, 'call-id'), header(w.inv.request, 'call-id'));
    assert.equal(tagOf(toOf(bye.request)), 'far-tag');

    assert.deepEqual(w.records, [
      {
        id: w.records[0]!.id,
        callId: CALLER_CALL_ID,
        caller: '200',
        callerName: 'Alice',
        callee: '0301234567',
        answeredBy: '+49301234567',
        forwarded: [],
        route: 'trunk',
        start: iso(START),
        answer: iso(START + 5000),
        end: iso(START + 65_000),
        durationSeconds: 60,
        disposition: 'answered',
        sipCode: 200,
        endedBy: 'caller',
      },
    ]);
    assert.equal(w.b2bua.size, 0);
    assert.equal(w.clock.pending(), 0);
  });

  it("the provider's BYE ends the call the other way", async () => {
    const w = await ringing();
    const farOk = reply(w.inv, 200, { tag: 'far-tag', contact: FAR_CONTACT, sdp: FAR_SDP });
    const ok = w.tx.last();
    w.b2bua.ack(callerRequest('ACK', 10, ok));
    const { tx, matched } = w.inDialog(calleeRequest('BYE', 1, w.inv.request, farOk, { extra: ['Reason: Q.850;cause=16'] }), PROV_A);
    assert.equal(matched, true);
    assert.deepEqual(tx.statuses(), [200]);
    const bye = only(w.net.out('BYE'), 'BYE');
    assert.deepEqual(bye.flow, CALLER_FLOW);
    assert.equal(bye.request.uri, `sip:200@${CALLER_ADDR}:5062`);
    assert.equal(header(bye.request, 'call-id'), CALLER_CALL_ID);
    assert.equal(header(bye.request, 'reason'), 'Q.850;cause=16');
    assert.equal(w.records[0]!.endedBy, 'callee');
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.records[0]!.answeredBy, '+49301234567');
  });

  it('no answer within maxRingSeconds → CANCEL to the provider, 480 to the caller, no-answer', async () => {
    const w = world({ limits: { maxRingSeconds: 30 } });
    w.route([new FakeDialer('prov', [PROV_A]), new FakeDialer('backup', [BACKUP])]);
    const tx = w.dial('0301234567');
    await settle();
    const inv = w.net.out('INVITE')[0]!;
    reply(inv, 180, { tag: 'far' });
    w.clock.advance(29_999);
    assert.deepEqual(tx.statuses(), [180]);
    w.clock.advance(1);
    await settle();
    assert.deepEqual(tx.statuses(), [180, 480]);
    assert.deepEqual(only(w.net.out('CANCEL'), 'CANCEL').flow, inv.flow);
    assert.equal(w.net.out('INVITE').length, 1, 'no failover for a callee that does not answer');
    assert.equal(w.records[0]!.disposition, 'no-answer');
    assert.equal(w.records[0]!.route, 'trunk');
  });
});

describe('B2BUA trunks: the caller cancels', () => {
  it('while the provider rings: CANCEL to the provider leg, 487 to the caller, a cancelled record, no failover', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B]), new FakeDialer('backup', [BACKUP])]);
    const tx = w.dial('0301234567');
    await settle();
    const inv = w.net.out('INVITE')[0]!;
    reply(inv, 180, { tag: 'far' });
    w.clock.advance(2000);
    assert.equal(w.b2bua.cancel(tx as unknown as InviteServerTransaction), true);
    assert.deepEqual(tx.statuses(), [180, 487]);
    assert.equal(tagOf(toOf(tx.last())), tagOf(toOf(tx.responses[0]!)));
    const cancel = only(w.net.out('CANCEL'), 'CANCEL');
    assert.deepEqual(cancel.flow, PROV_A);
    assert.equal(header(cancel.request, 'via'), header(inv.request, 'via'));
    assert.equal(header(cancel.request, 'cseq'), '1 CANCEL');
    reply(inv, 487, { tag: 'far' });
    await settle();
    assert.equal(w.net.out('INVITE').length, 1);
    assert.deepEqual(tx.statuses(), [180, 487]);
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'cancelled');
    assert.equal(w.records[0]!.sipCode, 487);
    assert.equal(w.records[0]!.endedBy, 'caller');
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.clock.pending(), 0);
  });

  it('§9.1: before any provisional from the provider the CANCEL waits for one', async () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A, PROV_B])]);
    const tx = w.dial('0301234567');
    await settle();
    const inv = w.net.out('INVITE')[0]!;
    w.b2bua.cancel(tx as unknown as InviteServerTransaction);
    assert.deepEqual(tx.statuses(), [487]);
    assert.equal(w.net.out('CANCEL').length, 0);
    w.clock.advance(10_000);
    assert.equal(w.net.out('INVITE').length, 1, 'no failover once cancelled');
    reply(inv, 100);
    assert.equal(only(w.net.out('CANCEL'), 'CANCEL').flow, PROV_A);
  });

  it('while the targets are still being resolved: no INVITE at all', async () => {
    const w = world();
    let resolve!: (flows: Flow[]) => void;
    w.route([new FakeDialer('prov', new Promise<Flow[]>((r) => (resolve = r)))]);
    const tx = w.dial('0301234567');
    await settle();
    w.b2bua.cancel(tx as unknown as InviteServerTransaction);
    assert.deepEqual(tx.statuses(), [487]);
    resolve([PROV_A]);
    await settle();
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'cancelled');
  });
});

describe('B2BUA trunks: forwarding to a number', () => {
  it("forward.always to a number dials out under the forwarding extension's class, with 181, Diversion and History-Info", async () => {
    const w = world({ exts: [ext('201', { displayName: 'Bob', forward: { always: '0301234567' } })], phones: { '201': ['198.51.100.21'] } });
    const prov = new FakeDialer('prov', [PROV_A]);
    w.route([prov]);
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [181]);
    assert.equal(header(tx.responses[0]!, 'call-info'), 'purpose=forwarding, username="201", contact="0301234567"');
    assert.equal(w.dir.asked.length, 1);
    assert.equal(w.dir.asked[0]!.number, '0301234567');
    assert.deepEqual(w.dir.asked[0]!.caller, { number: '201', displayName: 'Bob', extension: w.dir.extension('201') }, 'the class of the extension that forwards');
    await settle();
    const inv = only(w.net.out('INVITE'), 'INVITE');
    assert.deepEqual(inv.flow, PROV_A, "201's phone does not ring");
    assert.equal(inv.request.uri, `sip:0301234567@${PROVIDER};user=phone`);
    assert.equal(header(inv.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D302>;index=1, <sip:0301234567@${D};cause=302>;index=1.1;mp=1`);
    assert.deepEqual(
      headersNamed(inv.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=unconditional;counter=1;privacy=off`],
    );
    // The provider is told who calls (the original caller); Diversion says who forwarded.
    assert.equal(prov.addressed[0]!.caller.number, '200');
    assert.deepEqual(w.b2bua.list()[0]!.forwarded, [{ from: '201', to: '0301234567', reason: 'unconditional' }]);

    reply(inv, 180, { tag: 'far' });
    reply(inv, 200, { tag: 'far', contact: FAR_CONTACT, sdp: FAR_SDP });
    assert.deepEqual(tx.statuses(), [181, 180, 200]);
    w.b2bua.ack(callerRequest('ACK', 10, tx.last()));
    w.inDialog(callerRequest('BYE', 11, tx.last()), CALLER_FLOW);
    const rec = only(w.records, 'record');
    assert.equal(rec.callee, '201');
    assert.equal(rec.answeredBy, '0301234567');
    assert.equal(rec.route, 'trunk');
    assert.deepEqual(rec.forwarded, [{ from: '201', to: '0301234567', reason: 'unconditional' }]);
  });

  it("the forwarding extension's class forbids the number: 403, no 181, a warning (the caller's own class does not matter)", () => {
    const w = world({ exts: [ext('201', { permission: 'internal', forward: { always: '0301234567' } })] });
    w.dir.plan = (_n, caller) => ((caller.extension?.permission ?? 'national') === 'internal' ? 'forbidden' : { number: '0301234567', trunks: [new FakeDialer('prov', [PROV_A])] });
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [403]);
    assert.equal(tx.last().reason, 'Call Class Not Allowed');
    assert.equal(w.net.requests.length, 0);
    assert.ok(w.logs.some((l) => l.level === 'warn' && l.msg === 'call forwarding target cannot be reached'));
    assert.deepEqual(w.records[0]!.forwarded, []);
    assert.equal(w.records[0]!.sipCode, 403);
  });

  it('forward.busy to a number: the busy phone gives way to the trunk with reason user-busy', async () => {
    const w = world({ exts: [ext('201', { forward: { busy: '0301234567' } })], phones: { '201': ['198.51.100.21'] } });
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = w.dial('201');
    const phone = w.net.out('INVITE')[0]!;
    reply(phone, 180, { tag: 'r' });
    reply(phone, 486, { tag: 'r' });
    assert.deepEqual(tx.statuses(), [180, 181]);
    await settle();
    const inv = w.net.out('INVITE')[1]!;
    assert.deepEqual(inv.flow, PROV_A);
    assert.deepEqual(
      headersNamed(inv.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=user-busy;counter=1;privacy=off`],
    );
    assert.equal(header(inv.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D486>;index=1, <sip:0301234567@${D};cause=486>;index=1.1;mp=1`);
    reply(inv, 503, { tag: 'x' });
    await settle();
    assert.deepEqual(tx.statuses(), [180, 181, 503]);
    assert.equal(w.records[0]!.route, 'trunk');
  });
});

describe('B2BUA trunks: calls coming in', () => {
  function inbound(w: ReturnType<typeof world>, ring: string | undefined, party: CallerParty = { number: '0301234567', displayName: 'Far', trunk: 'prov' }, invite = providerInvite('5550100')) {
    const tx = new FakeServerTx('invite-server', invite);
    w.b2bua.startCall(invite, tx as unknown as InviteServerTransaction, PROV_A, party, '5550100', { ...(ring !== undefined ? { ring } : {}), inbound: true });
    return tx;
  }

  it("rings the mapped extension's phones with the far party as From; the record says trunk", () => {
    const w = world({ exts: [ext('102')], phones: { '102': ['198.51.100.31', '198.51.100.32'] } });
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = inbound(w, '102');
    const invites = w.net.out('INVITE');
    assert.deepEqual(
      invites.map((i) => i.flow.remote.address),
      ['198.51.100.31', '198.51.100.32'],
    );
    assert.equal(w.dir.asked.length, 0, 'the dial plan is not asked');
    const r = invites[0]!.request;
    assert.equal(r.uri, 'sip:102@198.51.100.31:5070;ob');
    const from = fromOf(r);
    assert.equal(from.displayName, 'Far');
    assert.equal(from.uri, `sip:0301234567@${LOCAL.address}`);
    assert.equal(toOf(r).uri, `sip:102@${LOCAL.address}`);
    assert.equal(r.body.toString('latin1'), FAR_SDP);
    assert.equal(header(r, 'max-forwards'), '67');
    assert.deepEqual(
      w.b2bua.list().map((c) => [c.caller, c.callee, c.target]),
      [['0301234567', '5550100', '102']],
    );

    reply(invites[0]!, 100);
    reply(invites[1]!, 180, { tag: 'p2' });
    assert.deepEqual(tx.statuses(), [180]);
    w.clock.advance(3000);
    const phoneOk = reply(invites[1]!, 200, { tag: 'p2', contact: '<sip:102@198.51.100.32:5070>', sdp: PHONE_SDP });
    assert.deepEqual(tx.statuses(), [180, 200]);
    assert.equal(only(w.net.out('CANCEL'), 'CANCEL').flow.remote.address, '198.51.100.31');
    // The phone hangs up: BYE to the provider over the flow the call came in on.
    w.inDialog(calleeRequest('BYE', 1, invites[1]!.request, phoneOk), udp('198.51.100.32', 5070));
    const bye = only(w.net.out('BYE'), 'BYE');
    assert.deepEqual(bye.flow, PROV_A);
    assert.equal(bye.request.uri, `sip:gw@${PROV_A.remote.address}:5060`);
    const rec = only(w.records, 'record');
    assert.equal(rec.caller, '0301234567');
    assert.equal(rec.callerName, 'Far');
    assert.equal(rec.callee, '5550100');
    assert.equal(rec.answeredBy, '102');
    assert.equal(rec.route, 'trunk');
    assert.equal(rec.disposition, 'answered');
    assert.equal(rec.endedBy, 'callee');
  });

  it('an unknown ring target → 404, nothing rung, nothing dialled out', () => {
    const w = world({ exts: [ext('102')], phones: { '102': ['198.51.100.31'] } });
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = inbound(w, '109');
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.dir.asked.length, 0, 'a call from a trunk never goes back out by the dial plan');
    assert.equal(w.records[0]!.route, 'trunk');
    assert.equal(w.records[0]!.sipCode, 404);
    assert.equal(w.records[0]!.caller, '0301234567');
  });

  it('without ring, a dialled number that is no extension → 404 (no hairpin through the dial plan)', () => {
    const w = world();
    w.route([new FakeDialer('prov', [PROV_A])]);
    const tx = inbound(w, undefined);
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.dir.asked.length, 0);
  });

  it('the mapped extension has no phone registered → 480, route trunk', () => {
    const w = world({ exts: [ext('102')] });
    const tx = inbound(w, '102');
    assert.deepEqual(tx.statuses(), [480]);
    assert.equal(w.records[0]!.route, 'trunk');
  });

  it(
    "a far party's display name with quotes reaches the phone escaped (§25.1 quoted-pair)",
    () => {
      const w = world({ exts: [ext('102')], phones: { '102': ['198.51.100.31'] } });
      const invite = providerInvite('5550100', `"Smith \\"Bob\\"" <sip:0301234567@${PROVIDER}>;tag=far-tag`);
      assert.equal(fromOf(invite).displayName, 'Smith "Bob"', 'the party as sip-service extracts it');
      inbound(w, '102', { number: '0301234567', displayName: 'Smith "Bob"', trunk: 'prov' }, invite);
      const inv = only(w.net.out('INVITE'), 'INVITE');
      assert.equal(fromOf(inv.request).displayName, 'Smith "Bob"');
    },
  );
});
