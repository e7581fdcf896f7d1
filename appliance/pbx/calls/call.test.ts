/**
 * The B2BUA (b2bua.ts + call.ts) driven end to end with a virtual clock: a fake
 * CallNetwork stands for the transaction layer (it records what the call sends and
 * lets the test play the phones through the ClientTransactionUser callbacks), a fake
 * directory for extensions and registrations, and a fake INVITE server transaction for
 * the caller's leg. Every message the B2BUA produces is serialised and parsed back, so
 * the tests also check that it would survive the wire.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultForward, type Extension, type ForwardSettings } from '../../config/schema';
import type { SipLogger } from '../../sip/logger';
import { reasonPhrase } from '../../sip/message/build';
import { cseqOf } from '../../sip/message/headers/cseq';
import { fromOf, parseNameAddr, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, headersNamed, type Header, type SipMessage, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseMessage } from '../../sip/message/parse';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { buildResponseFromRequest, type InviteServerTransaction } from '../../sip/transaction/invite-server';
import type { ServerTransaction } from '../../sip/transaction/layer';
import type { Flow } from '../../sip/transport/flow';
import type { CallRecord } from '../cdr/record';
import { B2bua } from './b2bua';
import { binding, FakeDirectory, FakeNet, FakeServerTx, LOCAL, OUR_CONTACT, START, udp, type OutRequest } from './testing/call-fakes';

const D = 'pbx.example';
const CALLER_ADDR = '198.51.100.10';
const REASON_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

const CALLER_FLOW = udp(CALLER_ADDR, 5062);

const CALLER_SDP = 'v=0\r\no=alice 1 1 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const CALLEE_SDP = 'v=0\r\no=bob 7 7 IN IP4 198.51.100.21\r\ns=-\r\nc=IN IP4 198.51.100.21\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

// --- wire check ------------------------------------------------------------------------


// --- fakes -----------------------------------------------------------------------------


function ext(number: string, forward: Partial<ForwardSettings> = {}, displayName = ''): Extension {
  return { number, displayName, maxContacts: 5, enabled: true, allowedNetworks: [], forward: { ...defaultForward(), ...forward }, permission: 'national' };
}



interface LogEntry {
  level: string;
  obj: object;
  msg: string | undefined;
}

/** A PBX with extension 200 ("Alice", the caller) and whatever the test adds. */
function world(setup: { exts?: Extension[]; phones?: Record<string, string[]>; limits?: Partial<FakeDirectory['lim']> } = {}) {
  const clock = new VirtualClock(START);
  const net = new FakeNet(clock);
  const dir = new FakeDirectory();
  dir.exts.set('200', ext('200', {}, 'Alice'));
  for (const e of setup.exts ?? []) dir.exts.set(e.number, e);
  for (const [aor, addresses] of Object.entries(setup.phones ?? {})) dir.binds.set(aor, addresses.map((a) => binding(aor, a)));
  dir.lim = { ...dir.lim, ...setup.limits };
  const records: CallRecord[] = [];
  const logs: LogEntry[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj, msg });
  const logger: SipLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const b2bua = new B2bua({ clock, net, directory: dir, logger, records: { append: (r) => void records.push(r) } });

  /** The caller (200 on CALLER_FLOW) dials `dialled`. */
  function dial(dialled: string, invite = callerInvite(dialled)): FakeServerTx {
    const tx = new FakeServerTx('invite-server', invite);
    b2bua.startCall(invite, tx as unknown as InviteServerTransaction, CALLER_FLOW, dir.extension('200')!, dialled);
    return tx;
  }

  /** An in-dialog request reaching the B2BUA; its server transaction. */
  function inDialog(req: SipRequest, flow: Flow): { tx: FakeServerTx; matched: boolean } {
    const tx = new FakeServerTx(req.method === 'INVITE' ? 'invite-server' : 'non-invite-server', req);
    const matched = b2bua.request(req, tx as unknown as ServerTransaction, flow);
    return { tx, matched };
  }

  return { clock, net, dir, records, logs, b2bua, dial, inDialog };
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

function callerInvite(dialled: string, o: { contact?: string | null; extra?: string[] } = {}): SipRequest {
  return parseRequest(
    [
      `INVITE sip:${dialled}@${D} SIP/2.0`,
      `Via: SIP/2.0/UDP ${CALLER_ADDR}:5062;branch=z9hG4bK-caller-inv;rport`,
      'Max-Forwards: 70',
      `From: ${CALLER_FROM}`,
      `To: <sip:${dialled}@${D}>`,
      `Call-ID: ${CALLER_CALL_ID}`,
      'CSeq: 10 INVITE',
      ...(o.contact === null ? [] : [`Contact: ${o.contact ?? `<sip:200@${CALLER_ADDR}:5062>`}`]),
      'Supported: timer, 100rel',
      'Allow: INVITE, ACK, CANCEL, BYE, UPDATE, INFO',
      'User-Agent: AlicePhone/1.0',
      'Content-Type: application/sdp',
      ...(o.extra ?? []),
    ],
    CALLER_SDP,
  );
}

/** A request from the caller inside the call: To is what our 2xx said (our tag). */
function callerRequest(method: string, cseq: number, ok: SipResponse, o: { extra?: string[]; body?: string; callId?: string } = {}): SipRequest {
  return parseRequest(
    [
      `${method} sip:edgesip@${LOCAL.address}:${LOCAL.port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${CALLER_ADDR}:5062;branch=z9hG4bK-caller-${++branchSeq};rport`,
      'Max-Forwards: 70',
      `From: ${CALLER_FROM}`,
      `To: ${getHeader(ok, 'to')}`,
      `Call-ID: ${o.callId ?? CALLER_CALL_ID}`,
      `CSeq: ${cseq} ${method}`,
      ...(o.extra ?? []),
      ...(o.body ? ['Content-Type: application/sdp'] : []),
    ],
    o.body ?? '',
  );
}

/** A request from the callee inside its leg: From/To swapped from our INVITE and its 2xx. */
function calleeRequest(method: string, cseq: number, invite: SipRequest, ok: SipResponse, o: { extra?: string[] } = {}): SipRequest {
  return parseRequest([
    `${method} sip:edgesip@${LOCAL.address}:${LOCAL.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 198.51.100.21:5070;branch=z9hG4bK-callee-${++branchSeq};rport`,
    'Max-Forwards: 70',
    `From: ${getHeader(ok, 'to')}`,
    `To: ${getHeader(invite, 'from')}`,
    `Call-ID: ${getHeader(invite, 'call-id')}`,
    `CSeq: ${cseq} ${method}`,
    ...(o.extra ?? []),
  ]);
}

interface PhoneAnswer {
  tag?: string;
  contact?: string;
  sdp?: string;
  headers?: Array<[string, string]>;
  reason?: string;
}

/** The response a phone sends to `req` (§8.2.6), with its tag, Contact and body. */
function phoneResponse(req: SipRequest, status: number, o: PhoneAnswer = {}): SipResponse {
  const res = buildResponseFromRequest(req, status, o.reason ?? reasonPhrase(status));
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

/** The phone behind `out` answers `status`. */
function reply(out: OutRequest, status: number, o: PhoneAnswer = {}): SipResponse {
  const res = phoneResponse(out.request, status, o);
  out.user.onResponse(res, out.tx);
  return res;
}

function callerAck(ok: SipResponse, cseq = 10): SipRequest {
  return callerRequest('ACK', cseq, ok);
}

function header(msg: SipMessage, name: string): string | undefined {
  return getHeader(msg, name);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function callInfos(tx: FakeServerTx): string[] {
  return tx.responses.filter((r) => r.status === 181).map((r) => header(r, 'call-info') ?? '');
}

const CALLEE_CONTACT = '<sip:201@198.51.100.21:5070;ob>';

/** 200 calls 201 (one phone), 201 rings then answers; returns what the test needs next. */
function answeredCall(opts: { okHeaders?: Array<[string, string]>; ack?: boolean } = {}) {
  const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
  const tx = w.dial('201');
  const [inv] = w.net.out('INVITE');
  assert.ok(inv);
  reply(inv, 180, { tag: 'callee-tag' });
  w.clock.advance(2000);
  const calleeOk = reply(inv, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP, headers: opts.okHeaders ?? [] });
  const ok = tx.last();
  assert.equal(ok.status, 200);
  if (opts.ack !== false) w.b2bua.ack(callerAck(ok));
  return { ...w, tx, inv, ok, calleeOk };
}

// --- tests -----------------------------------------------------------------------------

describe('B2BUA: a call one phone answers', () => {
  it('sends one INVITE to the registered contact, carrying the session and a new dialog', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    w.dial('201');
    const invites = w.net.out('INVITE');
    assert.equal(invites.length, 1);
    const { request, flow } = invites[0]!;
    assert.equal(request.uri, 'sip:201@198.51.100.21:5070;ob');
    assert.deepEqual(flow.remote, { address: '198.51.100.21', port: 5070 });
    assert.equal(header(request, 'max-forwards'), '69');
    assert.match(header(request, 'from')!, /^"Alice" <sip:200@pbx\.example>;tag=[0-9a-f]+$/);
    assert.equal(header(request, 'to'), `<sip:201@${D}>`);
    assert.equal(header(request, 'cseq'), '1 INVITE');
    assert.equal(header(request, 'contact'), OUR_CONTACT);
    assert.notEqual(header(request, 'call-id'), CALLER_CALL_ID, 'a B2BUA leg has its own Call-ID');
    assert.equal(header(request, 'content-type'), 'application/sdp');
    assert.equal(request.body.toString('latin1'), CALLER_SDP);
    // 100rel is not offered on the leg (relay.ts); timer is.
    assert.equal(header(request, 'supported'), 'timer');
    assert.match(header(request, 'user-agent') ?? '', /^EdgeSIP\//, "the caller's User-Agent is not copied: the leg is ours");
    assert.equal(header(request, 'history-info'), undefined);
    assert.equal(header(request, 'diversion'), undefined);
    assert.equal(w.b2bua.size, 1);
    assert.deepEqual(
      w.b2bua.list().map((c) => [c.caller, c.callee, c.target, c.state]),
      [['200', '201', '201', 'ringing']],
    );
  });

  it('relays 180 then the 200 with the SDP, our tag and Contact; the ACK and the BYE cross; one CDR', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    const tx = w.dial('201');
    const inv = w.net.out('INVITE')[0]!;

    reply(inv, 100);
    assert.deepEqual(tx.statuses(), [], '100 is hop by hop');
    reply(inv, 180, { tag: 'callee-tag' });
    assert.deepEqual(tx.statuses(), [180]);
    const ringing = tx.responses[0]!;
    const ourTag = tagOf(toOf(ringing));
    assert.ok(ourTag, 'the 180 has our To tag');
    assert.notEqual(ourTag, 'callee-tag', "the callee's tag stays on its leg");
    assert.equal(header(ringing, 'contact'), OUR_CONTACT);
    assert.equal(header(ringing, 'call-id'), CALLER_CALL_ID);

    w.clock.advance(3000);
    reply(inv, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    assert.deepEqual(tx.statuses(), [180, 200]);
    const ok = tx.last();
    assert.equal(tagOf(toOf(ok)), ourTag, 'the same tag as the 180');
    assert.equal(header(ok, 'contact'), OUR_CONTACT);
    assert.equal(header(ok, 'cseq'), '10 INVITE');
    assert.equal(header(ok, 'content-type'), 'application/sdp');
    assert.equal(ok.body.toString('latin1'), CALLEE_SDP);
    assert.equal(header(ok, 'content-length'), String(Buffer.byteLength(CALLEE_SDP)));
    assert.deepEqual(w.net.acks(), [], 'the ACK to the callee waits for the caller (end to end)');
    assert.equal(w.b2bua.list()[0]!.state, 'answered');

    // The caller's ACK, matched by our To tag, becomes the ACK of the callee's 2xx.
    w.b2bua.ack(callerAck(ok));
    const acks = w.net.acks();
    assert.equal(acks.length, 1);
    const ack = acks[0]!.message;
    assert.deepEqual(acks[0]!.flow.remote, { address: '198.51.100.21', port: 5070 });
    assert.equal(ack.uri, 'sip:201@198.51.100.21:5070;ob', 'sent to the Contact of the 2xx');
    assert.equal(header(ack, 'cseq'), '1 ACK');
    assert.equal(header(ack, 'call-id'), header(inv.request, 'call-id'));
    assert.equal(tagOf(toOf(ack)), 'callee-tag');
    assert.equal(header(ack, 'from'), header(inv.request, 'from'));
    assert.match(header(ack, 'via')!, /;branch=z9hG4bK/);

    // A retransmitted 2xx from the callee (our ACK lost) is ACKed again.
    reply(inv, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    assert.equal(w.net.acks().length, 2);
    assert.deepEqual(tx.statuses(), [180, 200], 'not relayed twice');

    // BYE from the caller: 200 at once, BYE to the callee.
    w.clock.advance(60_000);
    const bye = callerRequest('BYE', 11, ok);
    const { tx: byeTx, matched } = w.inDialog(bye, CALLER_FLOW);
    assert.equal(matched, true);
    assert.deepEqual(byeTx.statuses(), [200]);
    assert.equal(tagOf(toOf(byeTx.last())), ourTag);
    const byes = w.net.out('BYE');
    assert.equal(byes.length, 1);
    const calleeBye = byes[0]!.request;
    assert.equal(byes[0]!.flow.remote.address, '198.51.100.21');
    assert.equal(calleeBye.uri, 'sip:201@198.51.100.21:5070;ob');
    assert.equal(header(calleeBye, 'cseq'), '2 BYE');
    assert.equal(tagOf(toOf(calleeBye)), 'callee-tag');
    assert.equal(tagOf(fromOf(calleeBye)), tagOf(fromOf(inv.request)));

    assert.equal(w.records.length, 1);
    assert.deepEqual(w.records[0], {
      id: w.records[0]!.id,
      callId: CALLER_CALL_ID,
      caller: '200',
      callerName: 'Alice',
      callee: '201',
      answeredBy: '201',
      forwarded: [],
      route: 'local',
      start: iso(START),
      answer: iso(START + 3000),
      end: iso(START + 63_000),
      durationSeconds: 60,
      disposition: 'answered',
      sipCode: 200,
      endedBy: 'caller',
    });
    assert.equal(w.b2bua.size, 0);
    assert.equal(w.b2bua.hasDialog(bye), false, 'the dialog is gone with the call');
    assert.equal(w.clock.pending(), 0, 'no timer left behind');
  });

  it('resends the 200 to the caller on UDP until the ACK, then stops', () => {
    const w = answeredCall({ ack: false });
    w.clock.advance(499);
    assert.equal(w.net.resent().length, 0);
    w.clock.advance(1);
    w.clock.advance(1000);
    assert.deepEqual(
      w.net.resent().map((s) => [s.message.status, s.at - START]),
      [
        [200, 2500],
        [200, 3500],
      ],
    );
    assert.equal(w.net.resent()[0]!.message, w.ok, 'the same 2xx');
    w.b2bua.ack(callerAck(w.ok));
    w.clock.advance(30_000);
    assert.equal(w.net.resent().length, 2);
    assert.equal(w.records.length, 0);
  });

  it('without the ACK within 64*T1 the call ends with BYE to both sides', () => {
    const w = answeredCall({ ack: false });
    w.clock.advance(32_000);
    const byes = w.net.out('BYE');
    assert.deepEqual(
      byes.map((b) => b.flow.remote.address),
      [CALLER_ADDR, '198.51.100.21'],
    );
    assert.equal(header(byes[1]!.request, 'reason'), 'SIP;cause=408;text="No ACK"');
    assert.equal(w.records[0]?.endedBy, 'system');
    assert.equal(w.records[0]?.disposition, 'answered');
  });

  it('a BYE from the callee ends the call the other way', () => {
    const w = answeredCall();
    const bye = calleeRequest('BYE', 1, w.inv.request, w.calleeOk, { extra: ['Reason: Q.850;cause=16'] });
    const { tx, matched } = w.inDialog(bye, udp('198.51.100.21', 5070));
    assert.equal(matched, true);
    assert.deepEqual(tx.statuses(), [200]);
    const [out] = w.net.out('BYE');
    assert.ok(out);
    assert.deepEqual(out.flow.remote, { address: CALLER_ADDR, port: 5062 });
    const toCaller = out.request;
    assert.equal(toCaller.uri, `sip:200@${CALLER_ADDR}:5062`, "the caller's Contact");
    assert.equal(header(toCaller, 'to'), CALLER_FROM);
    assert.equal(header(toCaller, 'from'), header(w.ok, 'to'));
    assert.equal(header(toCaller, 'call-id'), CALLER_CALL_ID);
    assert.equal(header(toCaller, 'cseq'), '1 BYE');
    assert.equal(header(toCaller, 'reason'), 'Q.850;cause=16', 'the Reason crosses');
    assert.equal(w.records[0]?.endedBy, 'callee');
  });

  it("§12.1.1: the caller's Record-Route is echoed and becomes the route of our requests to it", () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    const invite = callerInvite('201', { extra: ['Record-Route: <sip:sbc1.example;lr>', 'Record-Route: <sip:sbc2.example;lr>'] });
    const tx = w.dial('201', invite);
    const inv = w.net.out('INVITE')[0]!;
    assert.equal(header(inv.request, 'record-route'), undefined, 'hop headers stay on their leg');
    assert.equal(header(inv.request, 'route'), undefined);
    reply(inv, 180, { tag: 'callee-tag' });
    reply(inv, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP, headers: [['Record-Route', '<sip:callee-proxy.example;lr>']] });
    for (const res of tx.responses) {
      assert.deepEqual(getHeaderValues(res, 'record-route'), ['<sip:sbc1.example;lr>', '<sip:sbc2.example;lr>']);
      assert.deepEqual(getHeaderValues(res, 'contact'), [OUR_CONTACT], "one Contact, ours, never the callee's");
    }
    w.b2bua.ack(callerAck(tx.last()));
    // The callee's leg routes through its Record-Route.
    assert.deepEqual(getHeaderValues(w.net.acks()[0]!.message, 'route'), ['<sip:callee-proxy.example;lr>']);
    // A BYE from the callee reaches the caller through the caller's route set, in order.
    const calleeOk = phoneResponse(inv.request, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT });
    w.inDialog(calleeRequest('BYE', 1, inv.request, calleeOk), udp('198.51.100.21', 5070));
    const bye = w.net.out('BYE', CALLER_ADDR)[0]!.request;
    assert.equal(bye.uri, `sip:200@${CALLER_ADDR}:5062`);
    assert.deepEqual(getHeaderValues(bye, 'route'), ['<sip:sbc1.example;lr>', '<sip:sbc2.example;lr>']);
  });

  it('answers 404 for a number that is not an extension', () => {
    const w = world();
    const tx = w.dial('999');
    assert.deepEqual(tx.statuses(), [404]);
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records[0]?.disposition, 'failed');
    assert.equal(w.records[0]?.sipCode, 404);
  });

  it('refuses an INVITE without Contact with 400 instead of ringing a call it could not connect', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    const tx = w.dial('201', callerInvite('201', { contact: null }));
    assert.deepEqual(tx.statuses(), [400]);
    assert.equal(w.net.out('INVITE').length, 0);
    assert.equal(w.b2bua.size, 0);
    assert.equal(w.records[0]?.sipCode, 400);
  });
});

describe('B2BUA: parallel forking', () => {
  const twoPhones = () => world({ exts: [ext('201')], phones: { '201': ['198.51.100.21', '198.51.100.22'] } });

  it('sends an INVITE to every contact, each its own leg', () => {
    const w = twoPhones();
    w.dial('201');
    const invites = w.net.out('INVITE');
    assert.deepEqual(
      invites.map((i) => i.flow.remote.address),
      ['198.51.100.21', '198.51.100.22'],
    );
    assert.deepEqual(
      invites.map((i) => i.request.uri),
      ['sip:201@198.51.100.21:5070;ob', 'sip:201@198.51.100.22:5070;ob'],
    );
    assert.notEqual(header(invites[0]!.request, 'call-id'), header(invites[1]!.request, 'call-id'));
    for (const i of invites) assert.equal(i.request.body.toString('latin1'), CALLER_SDP);
  });

  it('the first 2xx wins; a ringing loser gets CANCEL at once with the Reason; its late 2xx gets ACK + BYE', () => {
    const w = twoPhones();
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(b, 180, { tag: 'b-tag' });
    reply(a, 200, { tag: 'a-tag', contact: '<sip:201@198.51.100.21:5070>', sdp: CALLEE_SDP });
    assert.deepEqual(tx.statuses(), [180, 200]);

    const cancels = w.net.out('CANCEL');
    assert.equal(cancels.length, 1);
    const cancel = cancels[0]!;
    assert.equal(cancel.flow.remote.address, '198.51.100.22');
    // §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via as the INVITE.
    assert.equal(cancel.request.uri, b.request.uri);
    assert.equal(header(cancel.request, 'via'), header(b.request, 'via'));
    assert.equal(header(cancel.request, 'from'), header(b.request, 'from'));
    assert.equal(header(cancel.request, 'to'), header(b.request, 'to'));
    assert.equal(header(cancel.request, 'call-id'), header(b.request, 'call-id'));
    assert.equal(header(cancel.request, 'cseq'), '1 CANCEL');
    assert.equal(header(cancel.request, 'reason'), REASON_ELSEWHERE);

    // The loser answered anyway (its 200 crossed the CANCEL): ACK it and hang it up.
    reply(b, 200, { tag: 'b-tag', contact: '<sip:201@198.51.100.22:5070>', sdp: CALLEE_SDP });
    assert.deepEqual(tx.statuses(), [180, 200], 'nothing more for the caller');
    const acks = w.net.acks('198.51.100.22');
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.message.uri, 'sip:201@198.51.100.22:5070');
    assert.equal(header(acks[0]!.message, 'cseq'), '1 ACK');
    assert.equal(tagOf(toOf(acks[0]!.message)), 'b-tag');
    const byes = w.net.out('BYE', '198.51.100.22');
    assert.equal(byes.length, 1);
    assert.equal(byes[0]!.request.uri, 'sip:201@198.51.100.22:5070');
    assert.equal(header(byes[0]!.request, 'call-id'), header(b.request, 'call-id'));
    assert.equal(tagOf(toOf(byes[0]!.request)), 'b-tag');
    assert.equal(header(byes[0]!.request, 'reason'), REASON_ELSEWHERE);
    // A retransmission of that 2xx is ACKed again but not hung up twice.
    reply(b, 200, { tag: 'b-tag', contact: '<sip:201@198.51.100.22:5070>', sdp: CALLEE_SDP });
    assert.equal(w.net.acks('198.51.100.22').length, 2);
    assert.equal(w.net.out('BYE', '198.51.100.22').length, 1);
    // The winner's leg is untouched.
    assert.equal(w.net.out('BYE', '198.51.100.21').length, 0);
    assert.equal(w.net.out('CANCEL', '198.51.100.21').length, 0);
  });

  it('§9.1: a loser that has sent nothing yet gets its CANCEL only after its first provisional', () => {
    const w = twoPhones();
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(a, 200, { tag: 'a-tag', contact: '<sip:201@198.51.100.21:5070>', sdp: CALLEE_SDP });
    assert.deepEqual(tx.statuses(), [200]);
    assert.equal(w.net.out('CANCEL').length, 0, 'no CANCEL before a provisional');
    reply(b, 180, { tag: 'b-tag' });
    assert.deepEqual(tx.statuses(), [200], "the loser's 180 is not relayed");
    const cancels = w.net.out('CANCEL');
    assert.equal(cancels.length, 1);
    assert.equal(cancels[0]!.flow.remote.address, '198.51.100.22');
    assert.equal(header(cancels[0]!.request, 'via'), header(b.request, 'via'));
    assert.equal(header(cancels[0]!.request, 'reason'), REASON_ELSEWHERE);
    reply(b, 487, { tag: 'b-tag' });
    assert.deepEqual(tx.statuses(), [200]);
    assert.equal(w.net.out('CANCEL').length, 1);
  });

  it('a loser that fails without a provisional never gets a CANCEL', () => {
    const w = twoPhones();
    w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(a, 200, { tag: 'a-tag', contact: '<sip:201@198.51.100.21:5070>' });
    reply(b, 486, { tag: 'b-tag' });
    assert.equal(w.net.out('CANCEL').length, 0);
  });
});

describe('B2BUA: busy', () => {
  it('every fork 486 → the caller gets 486 and the CDR says busy', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21', '198.51.100.22'] } });
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(a, 486, { tag: 'a' });
    assert.deepEqual(tx.statuses(), [], 'waits for every fork');
    w.clock.advance(1500);
    reply(b, 486, { tag: 'b' });
    assert.deepEqual(tx.statuses(), [486]);
    assert.ok(tagOf(toOf(tx.last())));
    assert.equal(w.records.length, 1);
    assert.deepEqual(
      { disposition: w.records[0]!.disposition, sipCode: w.records[0]!.sipCode, endedBy: w.records[0]!.endedBy, durationSeconds: w.records[0]!.durationSeconds, end: w.records[0]!.end },
      { disposition: 'busy', sipCode: 486, endedBy: 'system', durationSeconds: 0, end: iso(START + 1500) },
    );
    assert.equal(w.records[0]!.answer, undefined);
    assert.equal(w.clock.pending(), 0, 'the ring timer is cleared');
  });

  it('one busy fork and one other failure still count as busy; all 404 → 404', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21', '198.51.100.22'] } });
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(a, 404, { tag: 'a' });
    reply(b, 603, { tag: 'b' });
    assert.deepEqual(tx.statuses(), [603]);
    assert.equal(w.records[0]!.disposition, 'busy');

    const w2 = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] } });
    const tx2 = w2.dial('201');
    reply(w2.net.out('INVITE')[0]!, 404, { tag: 'a' });
    assert.deepEqual(tx2.statuses(), [404]);
    assert.equal(w2.records[0]!.disposition, 'failed');
  });

  it('forward.busy: 181 with the exact Call-Info, then an INVITE to the new target with History-Info and Diversion', () => {
    const w = world({ exts: [ext('201', { busy: '202' }), ext('202')], phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'] } });
    const tx = w.dial('201');
    const first = w.net.out('INVITE')[0]!;
    reply(first, 180, { tag: 'r' });
    reply(first, 486, { tag: 'r' });
    assert.deepEqual(tx.statuses(), [180, 181]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"']);
    assert.equal(tagOf(toOf(tx.responses[1]!)), tagOf(toOf(tx.responses[0]!)), 'one To tag towards the caller');

    const invites = w.net.out('INVITE');
    assert.equal(invites.length, 2);
    const next = invites[1]!;
    assert.equal(next.flow.remote.address, '198.51.100.22');
    assert.equal(next.request.uri, 'sip:202@198.51.100.22:5070;ob');
    assert.equal(header(next.request, 'to'), `<sip:202@${D}>`);
    assert.equal(header(next.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D486>;index=1, <sip:202@${D};cause=486>;index=1.1;mp=1`);
    assert.deepEqual(
      headersNamed(next.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=user-busy;counter=1;privacy=off`],
    );
    assert.deepEqual(w.b2bua.list()[0]!.forwarded, [{ from: '201', to: '202', reason: 'busy' }]);

    // 202 answers: the call is connected, the record names who answered and the chain.
    reply(next, 200, { tag: 's', contact: '<sip:202@198.51.100.22:5070>', sdp: CALLEE_SDP });
    assert.deepEqual(tx.statuses(), [180, 181, 200]);
    w.b2bua.ack(callerAck(tx.last()));
    assert.equal(w.net.acks('198.51.100.22').length, 1);
    w.inDialog(callerRequest('BYE', 11, tx.last()), CALLER_FLOW);
    assert.equal(w.records[0]!.answeredBy, '202');
    assert.equal(w.records[0]!.callee, '201');
    assert.deepEqual(w.records[0]!.forwarded, [{ from: '201', to: '202', reason: 'busy' }]);
  });
});

describe('B2BUA: forwarding always, loops and hop limit', () => {
  it('201→202→203: two 181s in order, the INVITE to 203 carries the whole chain', () => {
    const w = world({
      exts: [ext('201', { always: '202' }), ext('202', { always: '203' }), ext('203')],
      phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'], '203': ['198.51.100.23'] },
    });
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [181, 181]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"', 'purpose=forwarding, username="202", contact="203"']);
    const invites = w.net.out('INVITE');
    assert.equal(invites.length, 1, 'phones of an always-forwarding extension do not ring');
    const inv = invites[0]!.request;
    assert.equal(invites[0]!.flow.remote.address, '198.51.100.23');
    assert.equal(header(inv, 'to'), `<sip:203@${D}>`);
    assert.equal(
      header(inv, 'history-info'),
      `<sip:201@${D}?Reason=SIP%3Bcause%3D302>;index=1, <sip:202@${D};cause=302?Reason=SIP%3Bcause%3D302>;index=1.1;mp=1, <sip:203@${D};cause=302>;index=1.1.1;mp=1.1`,
    );
    assert.deepEqual(
      headersNamed(inv, 'diversion').map((h) => h.value),
      [`<sip:202@${D}>;reason=unconditional;counter=1;privacy=off`, `<sip:201@${D}>;reason=unconditional;counter=1;privacy=off`],
    );
    assert.equal(w.b2bua.list()[0]!.target, '203');
  });

  it('a loop 202→203→202 is stopped with 482 and a warning', () => {
    const w = world({ exts: [ext('202', { always: '203' }), ext('203', { always: '202' })], phones: { '202': ['198.51.100.22'], '203': ['198.51.100.23'] } });
    const tx = w.dial('202');
    assert.deepEqual(tx.statuses(), [181, 482]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="202", contact="203"']);
    assert.equal(w.net.out('INVITE').length, 0);
    const warns = w.logs.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1);
    assert.equal(warns[0]!.msg, 'call forwarding loop stopped');
    assert.deepEqual((warns[0]!.obj as { chain: unknown }).chain, [
      { from: '202', to: '203', reason: 'unconditional' },
      { from: '203', to: '202', reason: 'unconditional' },
    ]);
    assert.equal(w.records[0]!.sipCode, 482);
    assert.equal(w.records[0]!.disposition, 'failed');
  });

  it('maxForwardHops = 1: the second hop is refused with 483', () => {
    const w = world({
      exts: [ext('201', { always: '202' }), ext('202', { always: '203' }), ext('203')],
      phones: { '203': ['198.51.100.23'] },
      limits: { maxForwardHops: 1 },
    });
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [181, 483]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"']);
    assert.equal(w.net.out('INVITE').length, 0);
    assert.ok(w.logs.some((l) => l.level === 'warn' && l.msg === 'call forwarding hop limit reached'));
    assert.equal(w.records[0]!.sipCode, 483);
    assert.deepEqual(w.records[0]!.forwarded, [{ from: '201', to: '202', reason: 'unconditional' }]);
  });
});

describe('B2BUA: no answer', () => {
  it('forward.noAnswer: after noAnswerSeconds the fork is cancelled and the call forwarded', () => {
    const w = world({ exts: [ext('201', { noAnswer: '202', noAnswerSeconds: 15 }), ext('202')], phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'] } });
    const tx = w.dial('201');
    const first = w.net.out('INVITE')[0]!;
    reply(first, 180, { tag: 'r' });
    w.clock.advance(14_999);
    assert.equal(w.net.out('CANCEL').length, 0);
    assert.deepEqual(tx.statuses(), [180]);
    w.clock.advance(1);
    const cancels = w.net.out('CANCEL');
    assert.equal(cancels.length, 1);
    assert.equal(cancels[0]!.flow.remote.address, '198.51.100.21');
    assert.equal(header(cancels[0]!.request, 'via'), header(first.request, 'via'));
    assert.deepEqual(tx.statuses(), [180, 181]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"']);
    const next = w.net.out('INVITE')[1]!;
    assert.equal(next.flow.remote.address, '198.51.100.22');
    assert.equal(next.at, START + 15_000);
    assert.deepEqual(
      headersNamed(next.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=no-answer;counter=1;privacy=off`],
    );
    assert.equal(header(next.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D408>;index=1, <sip:202@${D};cause=408>;index=1.1;mp=1`);
    // The cancelled phone's 487 changes nothing for the caller.
    reply(first, 487, { tag: 'r' });
    assert.deepEqual(tx.statuses(), [180, 181]);
    assert.equal(w.records.length, 0);
  });

  it('a phone silent for 4 s (not even 100) counts as unreachable; its late first provisional gets a CANCEL', () => {
    const w = world({ exts: [ext('201', { unavailable: '202' }), ext('202')], phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'] } });
    const tx = w.dial('201');
    const first = w.net.out('INVITE')[0]!;
    w.clock.advance(3999);
    assert.equal(w.net.out('INVITE').length, 1);
    w.clock.advance(1);
    assert.equal(w.net.out('INVITE').length, 2, 'forwarded as unavailable');
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"']);
    assert.deepEqual(headersNamed(w.net.out('INVITE')[1]!.request, 'diversion').map((h) => h.value), [`<sip:201@${D}>;reason=unavailable;counter=1;privacy=off`]);
    assert.equal(w.net.out('CANCEL').length, 0, '§9.1: no CANCEL before a provisional');
    reply(first, 180, { tag: 'late' });
    assert.equal(w.net.out('CANCEL', '198.51.100.21').length, 1);
  });

  it('a phone that answered 100 Trying is not silent: it rings on until the no-answer timer', () => {
    const w = world({ exts: [ext('201', { noAnswer: '202', noAnswerSeconds: 10 }), ext('202')], phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'] } });
    w.dial('201');
    const first = w.net.out('INVITE')[0]!;
    reply(first, 100);
    w.clock.advance(9999);
    assert.equal(w.net.out('INVITE').length, 1);
    w.clock.advance(1);
    assert.equal(w.net.out('INVITE').length, 2);
    assert.equal(w.net.out('CANCEL', '198.51.100.21').length, 1, 'CANCEL is legal after the 100');
  });

  it('without forwarding, maxRingSeconds ends the call with 480 and a no-answer record', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21'] }, limits: { maxRingSeconds: 30 } });
    const tx = w.dial('201');
    const inv = w.net.out('INVITE')[0]!;
    reply(inv, 180, { tag: 'r' });
    w.clock.advance(29_999);
    assert.deepEqual(tx.statuses(), [180]);
    w.clock.advance(1);
    assert.deepEqual(tx.statuses(), [180, 480]);
    assert.equal(w.net.out('CANCEL').length, 1);
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'no-answer');
    assert.equal(w.records[0]!.sipCode, 480);
    assert.equal(w.records[0]!.end, iso(START + 30_000));
    assert.equal(w.b2bua.size, 0);
  });
});

describe('B2BUA: unavailable', () => {
  it('no registered phone → 480', () => {
    const w = world({ exts: [ext('201')] });
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [480]);
    assert.equal(w.net.requests.length, 0);
    assert.equal(w.records[0]!.disposition, 'failed');
    assert.equal(w.records[0]!.sipCode, 480);
    assert.equal(w.clock.pending(), 0);
  });

  it('no registered phone with forward.unavailable → forwarded with reason unavailable', () => {
    const w = world({ exts: [ext('201', { unavailable: '202' }), ext('202')], phones: { '202': ['198.51.100.22'] } });
    const tx = w.dial('201');
    assert.deepEqual(tx.statuses(), [181]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="202"']);
    const [inv] = w.net.out('INVITE');
    assert.ok(inv);
    assert.equal(inv.flow.remote.address, '198.51.100.22');
    assert.deepEqual(
      headersNamed(inv.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=unavailable;counter=1;privacy=off`],
    );
    assert.equal(header(inv.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D404>;index=1, <sip:202@${D};cause=404>;index=1.1;mp=1`);
  });

  it('a phone that never answers the INVITE (timeout) or cannot be reached counts as unavailable', () => {
    const w = world({ exts: [ext('201', { unavailable: '202' }), ext('202')], phones: { '201': ['198.51.100.21', '198.51.100.24'], '202': ['198.51.100.22'] } });
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    a.user.onTimeout(a.tx);
    b.user.onTransportError(b.tx, Object.assign(new Error('unreachable'), { code: 'SIP_ERR_TRANSPORT' }) as never);
    assert.deepEqual(tx.statuses(), [181]);
    assert.equal(w.net.out('INVITE').length, 3);
    assert.equal(w.net.out('INVITE')[2]!.flow.remote.address, '198.51.100.22');
  });
});

describe('B2BUA: deflection (3xx from the phone)', () => {
  it('302 with Contact sip:203@… forwards the call to 203', () => {
    const w = world({ exts: [ext('201'), ext('203')], phones: { '201': ['198.51.100.21'], '203': ['198.51.100.23'] } });
    const tx = w.dial('201');
    const first = w.net.out('INVITE')[0]!;
    reply(first, 180, { tag: 'r' });
    reply(first, 302, { tag: 'r', contact: '<sip:203@198.51.100.99:5060>' });
    assert.deepEqual(tx.statuses(), [180, 181]);
    assert.deepEqual(callInfos(tx), ['purpose=forwarding, username="201", contact="203"']);
    const next = w.net.out('INVITE')[1]!;
    assert.equal(next.flow.remote.address, '198.51.100.23', "203's registered phone, not the 3xx host");
    assert.equal(header(next.request, 'to'), `<sip:203@${D}>`);
    assert.deepEqual(
      headersNamed(next.request, 'diversion').map((h) => h.value),
      [`<sip:201@${D}>;reason=deflection;counter=1;privacy=off`],
    );
    assert.equal(header(next.request, 'history-info'), `<sip:201@${D}?Reason=SIP%3Bcause%3D480>;index=1, <sip:203@${D};cause=480>;index=1.1;mp=1`);
    assert.equal(w.net.out('CANCEL').length, 0, 'the deflecting fork is already finished');
  });
});

describe('B2BUA: the caller cancels', () => {
  it('487 to the caller, CANCEL to the ringing forks (the silent one on its first 1xx), cancelled record', () => {
    const w = world({ exts: [ext('201')], phones: { '201': ['198.51.100.21', '198.51.100.22'] } });
    const tx = w.dial('201');
    const [a, b] = w.net.out('INVITE') as [OutRequest, OutRequest];
    reply(a, 180, { tag: 'a' });
    w.clock.advance(4000);
    assert.equal(w.b2bua.cancel(tx as unknown as InviteServerTransaction), true);
    assert.deepEqual(tx.statuses(), [180, 487]);
    assert.equal(tagOf(toOf(tx.last())), tagOf(toOf(tx.responses[0]!)));
    const cancels = w.net.out('CANCEL');
    assert.deepEqual(
      cancels.map((c) => c.flow.remote.address),
      ['198.51.100.21'],
    );
    assert.equal(header(cancels[0]!.request, 'via'), header(a.request, 'via'));
    assert.equal(header(cancels[0]!.request, 'reason'), undefined);
    reply(b, 183, { tag: 'b' });
    assert.deepEqual(
      w.net.out('CANCEL').map((c) => c.flow.remote.address),
      ['198.51.100.21', '198.51.100.22'],
    );
    assert.deepEqual(tx.statuses(), [180, 487], 'nothing relayed after the CANCEL');
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.disposition, 'cancelled');
    assert.equal(w.records[0]!.sipCode, 487);
    assert.equal(w.records[0]!.endedBy, 'caller');
    assert.equal(w.records[0]!.end, iso(START + 4000));
    // A 2xx that crossed the CANCEL is ACKed and hung up.
    reply(a, 200, { tag: 'a', contact: '<sip:201@198.51.100.21:5070>' });
    assert.equal(w.net.acks('198.51.100.21').length, 1);
    assert.equal(w.net.out('BYE', '198.51.100.21').length, 1);
    assert.deepEqual(tx.statuses(), [180, 487]);
    assert.equal(w.records.length, 1);
  });

  it('a CANCEL for an unknown INVITE transaction is not taken', () => {
    const w = world();
    assert.equal(w.b2bua.cancel(new FakeServerTx('invite-server', callerInvite('201')) as unknown as InviteServerTransaction), false);
  });
});

describe('B2BUA: re-INVITE', () => {
  it('is relayed with the next CSeq of the callee leg; the answer and the ACK come back the same way', () => {
    const w = answeredCall();
    const offer = CALLER_SDP.replace('4000', '4002');
    const reinvite = callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: offer });
    const { tx, matched } = w.inDialog(reinvite, CALLER_FLOW);
    assert.equal(matched, true);
    assert.deepEqual(tx.statuses(), []);
    const out = w.net.out('INVITE')[1]!;
    assert.equal(out.flow.remote.address, '198.51.100.21');
    assert.equal(out.request.uri, 'sip:201@198.51.100.21:5070;ob');
    assert.equal(header(out.request, 'cseq'), '2 INVITE');
    assert.equal(header(out.request, 'call-id'), header(w.inv.request, 'call-id'));
    assert.equal(tagOf(toOf(out.request)), 'callee-tag');
    assert.equal(header(out.request, 'contact'), OUR_CONTACT);
    assert.equal(header(out.request, 'max-forwards'), '69');
    assert.equal(out.request.body.toString('latin1'), offer);

    const answer = CALLEE_SDP.replace('5000', '5002');
    reply(out, 200, { tag: 'callee-tag', contact: '<sip:201@198.51.100.21:5071>', sdp: answer });
    assert.deepEqual(tx.statuses(), [200]);
    const ok = tx.last();
    assert.equal(ok.body.toString('latin1'), answer);
    assert.equal(header(ok, 'cseq'), '11 INVITE');
    assert.equal(header(ok, 'contact'), OUR_CONTACT);
    assert.equal(tagOf(toOf(ok)), tagOf(toOf(w.ok)));

    w.b2bua.ack(callerAck(ok, 11));
    const acks = w.net.acks('198.51.100.21');
    assert.equal(acks.length, 2, 'the ACK of the first 2xx and this one');
    assert.equal(header(acks[1]!.message, 'cseq'), '2 ACK');
    assert.equal(acks[1]!.message.uri, 'sip:201@198.51.100.21:5071', 'the 2xx refreshed the target');

    // The next request on the leg uses the next number and the new target.
    w.inDialog(callerRequest('BYE', 12, w.ok), CALLER_FLOW);
    const bye = w.net.out('BYE')[0]!.request;
    assert.equal(header(bye, 'cseq'), '3 BYE');
    assert.equal(bye.uri, 'sip:201@198.51.100.21:5071');
  });

  it('§13.2.2.4: a retransmitted 2xx to the relayed re-INVITE is ACKed again', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    const out = w.net.out('INVITE')[1]!;
    reply(out, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    // Before the caller's ACK there is nothing to resend (the ACK is end to end).
    reply(out, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    assert.equal(w.net.acks('198.51.100.21').length, 1, 'only the first INVITE ACK so far');
    w.b2bua.ack(callerAck(tx.last(), 11));
    assert.equal(w.net.acks('198.51.100.21').length, 2);
    reply(out, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    const acks = w.net.acks('198.51.100.21');
    assert.equal(acks.length, 3);
    assert.equal(acks[2]!.message, acks[1]!.message, 'the same ACK again');
    assert.equal(header(acks[2]!.message, 'cseq'), '2 ACK');
    assert.deepEqual(tx.statuses(), [200], 'relayed once');
    // The first INVITE's 2xx, retransmitted, still gets the first ACK.
    reply(w.inv, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    assert.equal(header(w.net.acks('198.51.100.21')[3]!.message, 'cseq'), '1 ACK');
  });

  it('a second re-INVITE while one is pending gets 491', () => {
    const w = answeredCall();
    const first = w.inDialog(callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    const second = w.inDialog(callerRequest('INVITE', 12, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    assert.deepEqual(second.tx.statuses(), [491]);
    assert.deepEqual(first.tx.statuses(), []);
    assert.equal(w.net.out('INVITE').length, 2, 'only one relayed');

    // Answered but not yet ACKed: still pending.
    reply(w.net.out('INVITE')[1]!, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, sdp: CALLEE_SDP });
    const third = w.inDialog(callerRequest('INVITE', 13, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    assert.deepEqual(third.tx.statuses(), [491]);
    w.b2bua.ack(callerAck(first.tx.last(), 11));
    const fourth = w.inDialog(callerRequest('INVITE', 14, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    assert.deepEqual(fourth.tx.statuses(), []);
    assert.equal(header(w.net.out('INVITE')[2]!.request, 'cseq'), '3 INVITE');
  });

  it('a refused re-INVITE is relayed as refused and the call stays up', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    reply(w.net.out('INVITE')[1]!, 488, { tag: 'callee-tag' });
    assert.deepEqual(tx.statuses(), [488]);
    assert.equal(w.records.length, 0);
    assert.equal(w.b2bua.list()[0]!.state, 'answered');
  });
});

describe('B2BUA: session timer (RFC 4028)', () => {
  it('Session-Expires 90 without refresh: BYE to both sides at 60 s, ended by the system', () => {
    const w = answeredCall({ okHeaders: [['Session-Expires', '90;refresher=uac']] });
    assert.equal(header(w.ok, 'session-expires'), '90;refresher=uac', 'the caller learns it too');
    const answeredAt = w.clock.now();
    w.clock.advance(59_999);
    assert.equal(w.net.out('BYE').length, 0);
    w.clock.advance(1);
    const byes = w.net.out('BYE');
    assert.deepEqual(
      byes.map((b) => b.flow.remote.address),
      [CALLER_ADDR, '198.51.100.21'],
    );
    for (const b of byes) assert.equal(header(b.request, 'reason'), 'SIP;cause=408;text="Session expired"');
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.endedBy, 'system');
    assert.equal(w.records[0]!.disposition, 'answered');
    assert.equal(w.records[0]!.end, iso(answeredAt + 60_000));
    assert.equal(w.records[0]!.durationSeconds, 60);
    assert.equal(w.clock.pending(), 0);
  });

  it('a relayed UPDATE answered 200 with Session-Expires re-arms the timer', () => {
    const w = answeredCall({ okHeaders: [['Session-Expires', '90;refresher=uac']] });
    const answeredAt = w.clock.now();
    w.clock.advance(50_000);
    const update = callerRequest('UPDATE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`, 'Session-Expires: 90;refresher=uac'] });
    const { tx } = w.inDialog(update, CALLER_FLOW);
    const out = w.net.out('UPDATE')[0]!;
    assert.equal(header(out.request, 'session-expires'), '90;refresher=uac');
    assert.equal(header(out.request, 'cseq'), '2 UPDATE');
    assert.equal(header(out.request, 'contact'), OUR_CONTACT);
    reply(out, 200, { tag: 'callee-tag', contact: CALLEE_CONTACT, headers: [['Session-Expires', '90;refresher=uac']] });
    assert.deepEqual(tx.statuses(), [200]);
    assert.equal(header(tx.last(), 'session-expires'), '90;refresher=uac');
    w.clock.advanceTo(answeredAt + 60_000);
    assert.equal(w.net.out('BYE').length, 0, 'the old expiry passed without effect');
    w.clock.advanceTo(answeredAt + 50_000 + 59_999);
    assert.equal(w.net.out('BYE').length, 0);
    w.clock.advance(1);
    assert.equal(w.net.out('BYE').length, 2);
    assert.equal(w.records[0]!.endedBy, 'system');
  });

  it('without Session-Expires there is no session timer', () => {
    const w = answeredCall();
    w.clock.advance(24 * 3_600_000);
    assert.equal(w.net.out('BYE').length, 0);
    assert.equal(w.records.length, 0);
  });
});

describe('B2BUA: in-dialog checks', () => {
  it('a request from another IP address than the leg is refused with 403', () => {
    const w = answeredCall();
    const bye = callerRequest('BYE', 11, w.ok);
    const { tx, matched } = w.inDialog(bye, udp('203.0.113.66', 5062));
    assert.equal(matched, true);
    assert.deepEqual(tx.statuses(), [403]);
    assert.equal(w.net.out('BYE').length, 0);
    assert.equal(w.records.length, 0);
    assert.equal(w.b2bua.list()[0]!.state, 'answered');
    // The same request from the phone's address still works (another port is fine).
    const again = w.inDialog(callerRequest('BYE', 12, w.ok), udp(CALLER_ADDR, 6000));
    assert.deepEqual(again.tx.statuses(), [200]);
  });

  it('a CSeq not above the last one gets 500', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('BYE', 10, w.ok), CALLER_FLOW);
    assert.deepEqual(tx.statuses(), [500]);
    assert.equal(w.records.length, 0);
  });

  it('a request with a tag the call does not know is not matched', () => {
    const w = answeredCall();
    const stray = callerRequest('BYE', 11, w.ok);
    stray.headers = stray.headers.map((h) => (h.name === 'To' ? { name: 'To', value: `<sip:201@${D}>;tag=unknown` } : h));
    assert.equal(w.inDialog(stray, CALLER_FLOW).matched, false);
    assert.equal(w.b2bua.hasDialog(stray), false);
    assert.equal(w.b2bua.hasDialog(callerRequest('BYE', 11, w.ok)), true);
  });

  it('an INFO is relayed and its answer comes back', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INFO', 11, w.ok, { extra: ['Content-Type: application/dtmf-relay'] }), CALLER_FLOW);
    const out = w.net.out('INFO')[0]!;
    assert.equal(header(out.request, 'cseq'), '2 INFO');
    assert.equal(header(out.request, 'content-type'), 'application/dtmf-relay');
    reply(out, 200, { tag: 'callee-tag' });
    assert.deepEqual(tx.statuses(), [200]);
    assert.equal(tagOf(toOf(tx.last())), tagOf(toOf(w.ok)));
  });

  it('the B2BUA answers the caller INVITE with parseable From/To/CSeq from the request', () => {
    const w = answeredCall();
    assert.equal(cseqOf(w.ok).seq, 10);
    assert.equal(parseNameAddr(header(w.ok, 'from')!, 'From').params.get('tag'), 'caller-tag');
    assert.deepEqual(getHeaderValues(w.ok, 'via'), [`SIP/2.0/UDP ${CALLER_ADDR}:5062;branch=z9hG4bK-caller-inv;rport`]);
  });
});

describe('B2BUA: relayed CANCEL, dead dialogs, stray answers, shutdown', () => {
  it('a CANCEL of a relayed re-INVITE goes on to the callee once it has sent a provisional', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    const out = w.net.out('INVITE')[1]!;
    assert.equal(w.b2bua.cancel(tx as unknown as InviteServerTransaction), true);
    assert.equal(w.net.out('CANCEL').length, 0, '§9.1: not before a provisional');
    reply(out, 180, { tag: 'callee-tag' });
    const [cancel] = w.net.out('CANCEL');
    assert.ok(cancel);
    assert.equal(header(cancel.request, 'via'), header(out.request, 'via'));
    assert.equal(header(cancel.request, 'cseq'), '2 CANCEL');
    reply(out, 487, { tag: 'callee-tag' });
    assert.deepEqual(tx.statuses(), [487]);
    assert.equal(w.b2bua.list()[0]!.state, 'answered', 'a cancelled re-INVITE leaves the call up');
  });

  it('RFC 5057: 481 to a relayed request ends the call with a BYE to the side that sent it', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INFO', 11, w.ok), CALLER_FLOW);
    reply(w.net.out('INFO')[0]!, 481, { tag: 'callee-tag' });
    assert.deepEqual(tx.statuses(), [481]);
    const byes = w.net.out('BYE');
    assert.deepEqual(
      byes.map((b) => b.flow.remote.address),
      [CALLER_ADDR],
    );
    assert.equal(header(byes[0]!.request, 'reason'), 'SIP;cause=481');
    assert.equal(w.records[0]!.endedBy, 'system');
  });

  it('§15.1.2: a request still pending when the other side hangs up is answered 487', () => {
    const w = answeredCall();
    const reinvite = w.inDialog(callerRequest('INVITE', 11, w.ok, { extra: [`Contact: <sip:200@${CALLER_ADDR}:5062>`], body: CALLER_SDP }), CALLER_FLOW);
    const out = w.net.out('INVITE')[1]!;
    reply(out, 100);
    const bye = w.inDialog(calleeRequest('BYE', 1, w.inv.request, w.calleeOk), udp('198.51.100.21', 5070));
    assert.deepEqual(bye.tx.statuses(), [200]);
    assert.deepEqual(reinvite.tx.statuses(), [487]);
    assert.equal(tagOf(toOf(reinvite.tx.last())), tagOf(toOf(w.ok)));
    // The callee's late answer to the relayed re-INVITE changes nothing.
    reply(out, 481, { tag: 'callee-tag' });
    assert.deepEqual(reinvite.tx.statuses(), [487]);
    assert.equal(w.records.length, 1);
    assert.equal(w.records[0]!.endedBy, 'callee');
  });

  it('a relayed request that times out is answered 408 to its sender', () => {
    const w = answeredCall();
    const { tx } = w.inDialog(callerRequest('INFO', 11, w.ok), CALLER_FLOW);
    const out = w.net.out('INFO')[0]!;
    out.user.onTimeout(out.tx);
    assert.deepEqual(tx.statuses(), [408]);
    assert.equal(w.records.length, 1);
  });

  it('strayAnswer: a 2xx of no live call is ACKed and hung up; one of a live call only ACKed', () => {
    const w = answeredCall();
    const stray = phoneResponse(w.inv.request, 200, { tag: 'other-tag', contact: '<sip:201@198.51.100.21:5070>' });
    stray.headers = stray.headers.map((h) => (h.name === 'Call-ID' ? { name: 'Call-ID', value: 'gone@pbx' } : h));
    const phone = udp('198.51.100.21', 5070);
    w.b2bua.strayAnswer(stray, phone);
    assert.equal(header(w.net.acks().at(-1)!.message, 'call-id'), 'gone@pbx');
    const byes = w.net.out('BYE');
    assert.equal(byes.length, 1);
    assert.equal(header(byes[0]!.request, 'call-id'), 'gone@pbx');
    assert.equal(header(byes[0]!.request, 'cseq'), '2 BYE');

    const acksBefore = w.net.acks().length;
    w.b2bua.strayAnswer(w.calleeOk, phone);
    assert.equal(w.net.acks().length, acksBefore + 1);
    assert.equal(w.net.out('BYE').length, 1, 'the live call is not hung up');
  });

  it('hangupAll: BYE both sides of an answered call, 503 to a ringing one, both recorded', () => {
    const w = world({ exts: [ext('201'), ext('202')], phones: { '201': ['198.51.100.21'], '202': ['198.51.100.22'] } });
    const tx1 = w.dial('201');
    const inv1 = w.net.out('INVITE')[0]!;
    reply(inv1, 200, { tag: 't1', contact: '<sip:201@198.51.100.21:5070>' });
    w.b2bua.ack(callerAck(tx1.last()));
    const invite2 = callerInvite('202');
    invite2.headers = invite2.headers.map((h) => (h.name === 'Call-ID' ? { name: 'Call-ID', value: 'second@alice' } : h));
    const tx2 = w.dial('202', invite2);
    reply(w.net.out('INVITE')[1]!, 180, { tag: 't2' });
    assert.equal(w.b2bua.list().length, 2);

    w.b2bua.hangupAll();
    assert.deepEqual(tx2.statuses(), [180, 503]);
    const byes = w.net.out('BYE');
    assert.deepEqual(
      byes.map((b) => b.flow.remote.address),
      [CALLER_ADDR, '198.51.100.21'],
    );
    for (const b of byes) assert.equal(header(b.request, 'reason'), 'SIP;cause=503;text="Service shutting down"');
    assert.equal(w.net.out('CANCEL', '198.51.100.22').length, 1);
    assert.deepEqual(w.records.map((r) => [r.callee, r.disposition, r.endedBy]).sort(), [
      ['201', 'answered', 'system'],
      ['202', 'failed', 'system'],
    ]);
    assert.equal(w.b2bua.size, 0);
  });
});
