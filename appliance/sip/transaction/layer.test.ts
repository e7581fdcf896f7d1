import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branchOf, topVia } from '../message/headers/via';
import { getHeader, getHeaderValues, headersNamed, type SipRequest, type SipResponse } from '../message/message';
import { FakeChannel } from '../testing/fake-channel';
import { responseTo, sipRequest } from '../testing/messages';
import { VirtualClock } from '../testing/virtual-clock';
import { TransportError, type Channel } from './channel';
import { InviteServerTransaction } from './invite-server';
import { TransactionLayer, type TransactionCore } from './layer';
import { NonInviteServerTransaction } from './non-invite-server';
import type { ClientTransactionUser, ServerTransaction } from './state';
import { timerValues } from './timers';

interface ReqOpts {
  branch?: string | null; // null: no branch parameter
  cseq?: number;
  to?: string;
  callId?: string;
  sentBy?: string;
}

function req(method: string, o: ReqOpts = {}): SipRequest {
  const branch = o.branch === null ? '' : `;branch=${o.branch ?? 'z9hG4bKcall1'}`;
  return sipRequest(method, 'sip:bob@edge.example.com', [
    ['Via', `SIP/2.0/UDP ${o.sentBy ?? '192.0.2.20:5060'}${branch}`],
    ['Max-Forwards', '70'],
    ['To', o.to ?? '<sip:bob@edge.example.com>'],
    ['From', '<sip:alice@example.com>;tag=f1'],
    ['Call-ID', o.callId ?? 'layer-call-1'],
    ['CSeq', `${o.cseq ?? 1} ${method}`],
  ]);
}

function reply(r: SipRequest, status: number, toTag?: string): SipResponse {
  return responseTo(r, status, { toTag });
}

function setup(opts: { onRequest?: (r: SipRequest, tx: ServerTransaction) => void; withStray?: boolean; t1?: number } = {}) {
  const clock = new VirtualClock();
  const events: string[] = [];
  const cancels: Array<{ cancel: SipRequest; tx: NonInviteServerTransaction; invite: InviteServerTransaction | undefined }> = [];
  const acks: Array<{ ack: SipRequest; channel: Channel; tx: InviteServerTransaction | undefined }> = [];
  const core: TransactionCore = {
    onRequest(r, tx) {
      events.push(`request ${r.method} ${tx.kind}`);
      opts.onRequest?.(r, tx);
    },
    onAck(ack, channel, tx) {
      acks.push({ ack, channel, tx });
      events.push(`ack ${tx ? 'tx' : 'no-tx'}`);
    },
    onCancel(cancel, tx, invite) {
      cancels.push({ cancel, tx, invite });
      events.push(`cancel ${invite ? 'matched' : 'unmatched'}`);
    },
    onServerTimeout: (tx) => void events.push(`server-timeout ${tx.kind}@${clock.now()}`),
    onServerTransportError: (tx, err) => void events.push(`server-transport-error ${tx.kind} ${err.code}`),
    onServerTerminated: (tx) => void events.push(`server-terminated ${tx.kind}@${clock.now()}`),
  };
  if (opts.withStray !== false) core.onStrayResponse = (res) => void events.push(`stray ${res.status}`);
  const layer = new TransactionLayer({ clock, core, ...(opts.t1 ? { timers: { t1: opts.t1 } } : {}) });
  const udp = new FakeChannel(clock, 'UDP');
  const tcp = new FakeChannel(clock, 'TCP');
  return { clock, layer, events, cancels, acks, udp, tcp };
}

function clientUser(clock: VirtualClock, events: string[]): ClientTransactionUser {
  return {
    onResponse: (res, tx) => void events.push(`client ${tx.kind} ${res.status}@${clock.now()}`),
    onTimeout: (tx) => void events.push(`client-timeout ${tx.kind}@${clock.now()}`),
    onTransportError: (tx, err) => void events.push(`client-transport-error ${tx.kind} ${err.code}@${clock.now()}`),
    onTerminated: (tx) => void events.push(`client-terminated ${tx.kind}@${clock.now()}`),
  };
}

describe('timerValues', () => {
  it('gives the RFC 3261 / RFC 6026 table for unreliable and reliable transports', () => {
    assert.deepEqual(timerValues({ reliable: false }), {
      T1: 500,
      T2: 4000,
      T4: 5000,
      A: 500,
      B: 32000,
      D: 32000,
      E: 500,
      F: 32000,
      G: 500,
      H: 32000,
      I: 5000,
      J: 32000,
      K: 5000,
      L: 32000,
      M: 32000,
    });
    const tcp = timerValues({ reliable: true });
    assert.deepEqual([tcp.B, tcp.D, tcp.F, tcp.H, tcp.I, tcp.J, tcp.K, tcp.L, tcp.M], [32000, 0, 32000, 32000, 0, 0, 0, 32000, 32000]);
  });

  it('derives from configured T1/T2/T4; D stays at least 32 s; bad values throw', () => {
    const v = timerValues({ reliable: false, t1: 250, t2: 2000, t4: 2500 });
    assert.deepEqual([v.A, v.B, v.D, v.F, v.H, v.I, v.J, v.K, v.L, v.M], [250, 16000, 32000, 16000, 16000, 2500, 16000, 2500, 16000, 16000]);
    assert.equal(timerValues({ reliable: false, t1: 1000 }).D, 64000);
    assert.throws(() => timerValues({ reliable: false, t1: 0 }), RangeError);
    assert.throws(() => timerValues({ reliable: true, t2: Number.NaN }), RangeError);
  });
});

describe('TransactionLayer: server side', () => {
  it('a new INVITE creates an INVITE server transaction (100 at once) and reaches the core; its retransmission does not', () => {
    const { layer, events, udp } = setup();
    assert.equal(layer.receiveRequest(req('INVITE'), udp), 'new');
    assert.deepEqual(events, ['request INVITE invite-server']);
    assert.deepEqual(udp.statuses(), ['100@0']);
    assert.equal(layer.receiveRequest(req('INVITE'), udp), 'retransmission');
    assert.deepEqual(events, ['request INVITE invite-server']);
    assert.deepEqual(udp.statuses(), ['100@0', '100@0']);
    assert.deepEqual(layer.counts(), { inviteClient: 0, nonInviteClient: 0, inviteServer: 1, nonInviteServer: 0, total: 1 });
    layer.close();
  });

  it('non-INVITE requests get a non-INVITE server transaction; the same branch from another sent-by is another transaction', () => {
    const { layer, events, udp } = setup();
    assert.equal(layer.receiveRequest(req('REGISTER'), udp), 'new');
    assert.equal(layer.receiveRequest(req('REGISTER', { sentBy: '192.0.2.21' }), udp), 'new');
    assert.equal(layer.receiveRequest(req('REGISTER'), udp), 'retransmission');
    assert.deepEqual(events, ['request REGISTER non-invite-server', 'request REGISTER non-invite-server']);
    assert.equal(layer.counts().nonInviteServer, 2);
    layer.close();
  });

  it('ACK for a non-2xx matches the INVITE transaction (Confirmed); an ACK with its own branch goes to the core', () => {
    let ist: ServerTransaction | undefined;
    const { clock, layer, events, acks, udp } = setup({ onRequest: (_r, tx) => (ist = tx) });
    layer.receiveRequest(req('INVITE'), udp);
    assert.ok(ist instanceof InviteServerTransaction);
    ist.sendResponse(reply(ist.request, 486, 'callee'));
    assert.equal(layer.receiveRequest(req('ACK', { to: '<sip:bob@edge.example.com>;tag=callee' }), udp), 'ack-matched');
    assert.equal(ist.state, 'Confirmed');
    assert.equal(acks.length, 0);
    clock.advance(5000);
    assert.equal(ist.state, 'Terminated');
    assert.equal(layer.counts().total, 0);
    // ACK for a 2xx (new branch) → core, without a transaction.
    assert.equal(layer.receiveRequest(req('ACK', { branch: 'z9hG4bKack2xx' }), udp), 'ack-to-core');
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.tx, undefined);
    assert.equal(acks[0]!.channel, udp);
    assert.deepEqual(events, ['request INVITE invite-server', 'server-terminated invite-server@5000', 'ack no-tx']);
  });

  it('an ACK matching an INVITE transaction in Accepted goes to the core with the transaction', () => {
    let ist: ServerTransaction | undefined;
    const { layer, acks, udp } = setup({ onRequest: (_r, tx) => (ist = tx) });
    layer.receiveRequest(req('INVITE'), udp);
    ist!.sendResponse(reply(ist!.request, 200, 'callee'));
    assert.equal(layer.receiveRequest(req('ACK'), udp), 'ack-matched');
    assert.equal(acks.length, 1);
    assert.equal(acks[0]!.tx, ist);
    layer.close();
  });

  it('CANCEL gets its own transaction and the matching INVITE transaction (§9.2)', () => {
    let ist: ServerTransaction | undefined;
    const { layer, events, cancels, udp } = setup({ onRequest: (_r, tx) => (ist = tx) });
    layer.receiveRequest(req('INVITE'), udp);
    assert.equal(layer.receiveRequest(req('CANCEL'), udp), 'cancel');
    assert.equal(cancels.length, 1);
    const { tx, invite } = cancels[0]!;
    assert.ok(tx instanceof NonInviteServerTransaction);
    assert.equal(invite, ist);
    // The core answers: 200 to the CANCEL, 487 to the INVITE.
    tx.sendResponse(reply(tx.request, 200, 'c'));
    invite!.sendResponse(reply(invite!.request, 487, 'c'));
    assert.deepEqual(udp.statuses(), ['100@0', '200@0', '487@0']);
    // A retransmitted CANCEL is absorbed by its transaction (200 resent), not a new cancel.
    assert.equal(layer.receiveRequest(req('CANCEL'), udp), 'retransmission');
    assert.deepEqual(udp.statuses(), ['100@0', '200@0', '487@0', '200@0']);
    assert.equal(cancels.length, 1);
    assert.deepEqual(layer.counts(), { inviteClient: 0, nonInviteClient: 0, inviteServer: 1, nonInviteServer: 1, total: 2 });
    // A CANCEL for an unknown INVITE: no INVITE transaction (the core answers 481).
    assert.equal(layer.receiveRequest(req('CANCEL', { branch: 'z9hG4bKnothing' }), udp), 'cancel');
    assert.equal(cancels[1]!.invite, undefined);
    assert.deepEqual(events.slice(0, 3), ['request INVITE invite-server', 'cancel matched', 'cancel unmatched']);
    layer.close();
  });

  it('a CANCEL from another sent-by does not match the INVITE', () => {
    const { layer, cancels, udp } = setup();
    layer.receiveRequest(req('INVITE'), udp);
    layer.receiveRequest(req('CANCEL', { sentBy: '203.0.113.9' }), udp);
    assert.equal(cancels[0]!.invite, undefined);
    layer.close();
  });

  it('RFC 2543 peers (no cookie): retransmission, ACK by To tag of our response, CANCEL', () => {
    const created: ServerTransaction[] = [];
    const { clock, layer, events, cancels, acks, udp } = setup({ onRequest: (_r, tx) => void created.push(tx) });
    assert.equal(layer.receiveRequest(req('INVITE', { branch: null }), udp), 'new');
    assert.equal(layer.receiveRequest(req('INVITE', { branch: null }), udp), 'retransmission');
    assert.equal(layer.receiveRequest(req('INVITE', { branch: null, callId: 'another' }), udp), 'new');
    assert.equal(layer.counts().inviteServer, 2);
    assert.equal(created.length, 2);
    // The CANCEL (same Request-URI, tags, Call-ID, CSeq number, top Via) finds the first INVITE.
    assert.equal(layer.receiveRequest(req('CANCEL', { branch: null }), udp), 'cancel');
    assert.equal(cancels[0]!.invite, created[0]);
    assert.notEqual(cancels[0]!.tx, created[0]);

    const first = cancels[0]!.invite!;
    first.sendResponse(reply(first.request, 487, 'ours'));
    // An ACK with another To tag is not for this transaction.
    assert.equal(layer.receiveRequest(req('ACK', { branch: null, to: '<sip:bob@edge.example.com>;tag=theirs' }), udp), 'ack-to-core');
    assert.equal(first.state, 'Completed');
    // With our To tag it is.
    assert.equal(layer.receiveRequest(req('ACK', { branch: null, to: '<sip:bob@edge.example.com>;tag=ours' }), udp), 'ack-matched');
    assert.equal(first.state, 'Confirmed');
    assert.equal(acks.length, 1);
    clock.advance(5000);
    assert.equal(first.state, 'Terminated');
    assert.equal(layer.counts().inviteServer, 1);
    assert.ok(events.includes('server-terminated invite-server@5000'));
    layer.close();
  });

  it('non-cookie branches (old devices) also use the RFC 2543 rules', () => {
    const { layer, udp } = setup();
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: '1234.0' }), udp), 'new');
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: '1234.0' }), udp), 'retransmission');
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: '1234.0', cseq: 2 }), udp), 'new');
    layer.close();
  });

  it('requests without a usable Via or CSeq are dropped', () => {
    const { layer, events, udp } = setup();
    const noVia = req('OPTIONS');
    noVia.headers = noVia.headers.filter((h) => h.name !== 'Via');
    assert.equal(layer.receiveRequest(noVia, udp), 'dropped');
    const badCseq = req('INVITE', { branch: null });
    badCseq.headers = badCseq.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: 'x INVITE' } : h));
    assert.equal(layer.receiveRequest(badCseq, udp), 'dropped');
    assert.deepEqual(events, []);
    assert.equal(layer.counts().total, 0);
  });

  it('INVITE server over UDP: H fires → core told, transaction gone', () => {
    let ist: ServerTransaction | undefined;
    const { clock, layer, events, udp } = setup({ onRequest: (_r, tx) => (ist = tx) });
    layer.receiveRequest(req('INVITE'), udp);
    ist!.sendResponse(reply(ist!.request, 480, 't'));
    clock.advance(32_000);
    assert.deepEqual(events.slice(1), ['server-timeout invite-server@32000', 'server-terminated invite-server@32000']);
    assert.equal(layer.counts().total, 0);
    assert.equal(clock.pending(), 0);
  });

  it('TCP: a non-INVITE transaction ends as soon as the final response is sent (J = 0)', () => {
    const { clock, layer, tcp } = setup({ onRequest: (_r, tx) => void tx.sendResponse(reply(tx.request, 200, 'r')) });
    assert.equal(layer.receiveRequest(req('OPTIONS'), tcp), 'new');
    assert.equal(layer.counts().total, 0);
    assert.equal(clock.pending(), 0);
    assert.deepEqual(tcp.statuses(), ['200@0']);
  });

  it('an INVITE whose 100 Trying cannot be sent is dropped; the core hears the transport error', () => {
    const { layer, events, tcp } = setup();
    tcp.failWith = new Error('EPIPE');
    assert.equal(layer.receiveRequest(req('INVITE'), tcp), 'dropped');
    assert.deepEqual(events, ['server-transport-error invite-server SIP_ERR_TRANSPORT', 'server-terminated invite-server@0']);
    assert.equal(layer.counts().total, 0);
  });
});

describe('TransactionLayer: client side', () => {
  it('adds a branch when the top Via has none; responses are matched by branch and CSeq method', () => {
    const { clock, layer, udp } = setup();
    const events: string[] = [];
    const r = req('OPTIONS', { branch: null });
    const tx = layer.sendRequest(r, udp, clientUser(clock, events));
    const branch = branchOf(topVia(r));
    assert.match(branch ?? '', /^z9hG4bK[0-9a-f]{32}$/);
    assert.equal(tx.branch, branch);
    assert.equal(udp.sent[0]!.msg, r);
    assert.equal(layer.counts().nonInviteClient, 1);
    assert.equal(layer.receiveResponse(reply(r, 200, 'x'), udp), 'matched');
    assert.equal(tx.state, 'Completed');
    assert.deepEqual(events, ['client non-invite-client 200@0']);
    clock.advance(5000);
    assert.equal(layer.counts().total, 0);
    assert.deepEqual(events.slice(1), ['client-terminated non-invite-client@5000']);
  });

  it('keeps an existing RFC 3261 branch and only rewrites the first Via value', () => {
    const { layer, udp, clock } = setup();
    const r = req('INVITE', { branch: 'z9hG4bKmine' });
    layer.sendRequest(r, udp, clientUser(clock, []));
    assert.equal(branchOf(topVia(r)), 'z9hG4bKmine');
    const two = req('MESSAGE', { branch: null });
    two.headers[0] = { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.20:5060, SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKlower' };
    layer.sendRequest(two, udp, clientUser(clock, []));
    const values = getHeaderValues(two, 'via');
    assert.equal(values.length, 2);
    assert.match(values[0]!, /^SIP\/2\.0\/UDP 192\.0\.2\.20:5060;branch=z9hG4bK[0-9a-f]{32}$/);
    assert.equal(values[1], 'SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKlower');
    layer.close();
  });

  it('refuses ACK, a non-cookie branch, a missing Via and a duplicate transaction', () => {
    const { layer, udp, clock } = setup();
    const user = clientUser(clock, []);
    assert.throws(() => layer.sendRequest(req('ACK'), udp, user), TypeError);
    assert.throws(() => layer.sendRequest(req('OPTIONS', { branch: '12345' }), udp, user), TypeError);
    const noVia = req('OPTIONS');
    noVia.headers = noVia.headers.filter((h) => h.name !== 'Via');
    assert.throws(() => layer.sendRequest(noVia, udp, user), TypeError);
    layer.sendRequest(req('INVITE'), udp, user);
    assert.throws(() => layer.sendRequest(req('INVITE'), udp, user), TypeError);
    // A CANCEL with the INVITE's branch is a different transaction.
    layer.sendRequest(req('CANCEL'), udp, user);
    assert.deepEqual(layer.counts(), { inviteClient: 1, nonInviteClient: 1, inviteServer: 0, nonInviteServer: 0, total: 2 });
    layer.close();
  });

  it('INVITE client via the layer: 486 → ACK with the same branch, retransmitted 486 → ACK again, D = 32 s', () => {
    const { clock, layer, udp } = setup();
    const events: string[] = [];
    const inv = req('INVITE', { branch: 'z9hG4bKinv1' });
    layer.sendRequest(inv, udp, clientUser(clock, events));
    clock.advanceTo(100);
    assert.equal(layer.receiveResponse(reply(inv, 486, 'busy'), udp), 'matched');
    assert.equal(layer.receiveResponse(reply(inv, 486, 'busy'), udp), 'matched');
    const acks = udp.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK');
    assert.equal(acks.length, 2);
    const ack = acks[0]!.msg as SipRequest;
    assert.equal(branchOf(topVia(ack)), 'z9hG4bKinv1');
    assert.equal(getHeader(ack, 'cseq'), '1 ACK');
    assert.equal(getHeader(ack, 'to'), '<sip:bob@edge.example.com>;tag=busy');
    assert.deepEqual(events, ['client invite-client 486@100']);
    clock.advanceTo(100 + 32_000);
    assert.deepEqual(events.slice(1), ['client-terminated invite-client@32100']);
    assert.equal(layer.counts().total, 0);
  });

  it('2xx retransmissions after Timer M are stray responses for the core; other strays are dropped (§18.1.2)', () => {
    const { clock, layer, events, udp } = setup();
    const inv = req('INVITE', { branch: 'z9hG4bKinv2' });
    const userEvents: string[] = [];
    layer.sendRequest(inv, udp, clientUser(clock, userEvents));
    assert.equal(layer.receiveResponse(reply(inv, 200, 'uas'), udp), 'matched');
    assert.equal(layer.receiveResponse(reply(inv, 200, 'uas'), udp), 'matched'); // Accepted: to the TU
    assert.deepEqual(userEvents, ['client invite-client 200@0', 'client invite-client 200@0']);
    clock.advance(32_000);
    assert.equal(layer.counts().total, 0);
    assert.equal(layer.receiveResponse(reply(inv, 200, 'uas'), udp), 'stray');
    assert.deepEqual(events, ['stray 200']);
    assert.equal(layer.receiveResponse(reply(inv, 486, 'uas'), udp), 'dropped');
    assert.equal(layer.receiveResponse(reply(req('OPTIONS', { branch: 'z9hG4bKnone' }), 200), udp), 'dropped');
    assert.deepEqual(events, ['stray 200']);
    const noVia = reply(inv, 200);
    noVia.headers = noVia.headers.filter((h) => h.name !== 'Via');
    assert.equal(layer.receiveResponse(noVia, udp), 'dropped');
  });

  it('without onStrayResponse every unmatched response is dropped', () => {
    const { layer, udp } = setup({ withStray: false });
    assert.equal(layer.receiveResponse(reply(req('INVITE'), 200, 'x'), udp), 'dropped');
  });

  it('a failing first send: TU notified, transaction terminated and removed', () => {
    const { clock, layer, udp } = setup();
    const events: string[] = [];
    udp.failWith = new TransportError('no route', { code: 'SIP_ERR_NO_ROUTE' });
    const tx = layer.sendRequest(req('INVITE'), udp, clientUser(clock, events));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['client-transport-error invite-client SIP_ERR_NO_ROUTE@0', 'client-terminated invite-client@0']);
    assert.equal(layer.counts().total, 0);
    assert.equal(clock.pending(), 0);
  });

  it('Timer F through the layer: UDP schedule and timeout, then removal', () => {
    const { clock, layer, udp } = setup();
    const events: string[] = [];
    layer.sendRequest(req('BYE'), udp, clientUser(clock, events));
    clock.advance(32_000);
    assert.deepEqual(
      udp.sent.map((s) => s.at),
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
    );
    assert.deepEqual(events, ['client-timeout non-invite-client@32000', 'client-terminated non-invite-client@32000']);
    assert.equal(layer.counts().total, 0);
  });

  it('TCP through the layer: one send only, B still 32 s', () => {
    const { clock, layer, tcp } = setup();
    const events: string[] = [];
    layer.sendRequest(req('INVITE'), tcp, clientUser(clock, events));
    clock.advance(64 * 500);
    assert.equal(tcp.sent.length, 1);
    assert.deepEqual(events, ['client-timeout invite-client@32000', 'client-terminated invite-client@32000']);
  });
});

describe('TransactionLayer: channel failures, counters, close', () => {
  it('channelFailed reports a transport error to every transaction on that channel only', () => {
    const { clock, layer, events, udp, tcp } = setup();
    const userEvents: string[] = [];
    layer.sendRequest(req('INVITE', { branch: 'z9hG4bKt1' }), tcp, clientUser(clock, userEvents));
    layer.sendRequest(req('INVITE', { branch: 'z9hG4bKu1' }), udp, clientUser(clock, userEvents));
    layer.receiveRequest(req('SUBSCRIBE', { branch: 'z9hG4bKs1' }), tcp);
    assert.equal(layer.counts().total, 3);
    layer.channelFailed(tcp, new TransportError('write EPIPE'));
    // The client transaction on TCP is gone; the SUBSCRIBE transaction in Trying had sent
    // nothing and stays; the UDP one is untouched.
    assert.deepEqual(userEvents, ['client-transport-error invite-client SIP_ERR_TRANSPORT@0', 'client-terminated invite-client@0']);
    assert.deepEqual(layer.counts(), { inviteClient: 1, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 1, total: 2 });
    assert.deepEqual(events, ['request SUBSCRIBE non-invite-server']);
    layer.close();
  });

  it('counts live transactions by type', () => {
    const { clock, layer, udp } = setup();
    const user = clientUser(clock, []);
    layer.sendRequest(req('INVITE', { branch: 'z9hG4bKc1' }), udp, user);
    layer.sendRequest(req('OPTIONS', { branch: 'z9hG4bKc2' }), udp, user);
    layer.sendRequest(req('REGISTER', { branch: 'z9hG4bKc3' }), udp, user);
    layer.receiveRequest(req('INVITE', { branch: 'z9hG4bKs1' }), udp);
    layer.receiveRequest(req('BYE', { branch: 'z9hG4bKs2' }), udp);
    assert.deepEqual(layer.counts(), { inviteClient: 1, nonInviteClient: 2, inviteServer: 1, nonInviteServer: 1, total: 5 });
    layer.close();
    assert.deepEqual(layer.counts(), { inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0, total: 0 });
  });

  it('close() clears every transaction and timer, tells nobody, and refuses further work', () => {
    let ist: ServerTransaction | undefined;
    const { clock, layer, events, udp } = setup({ onRequest: (_r, tx) => (ist = tx) });
    const userEvents: string[] = [];
    layer.sendRequest(req('INVITE', { branch: 'z9hG4bKc1' }), udp, clientUser(clock, userEvents));
    layer.sendRequest(req('OPTIONS', { branch: 'z9hG4bKc2' }), udp, clientUser(clock, userEvents));
    layer.receiveRequest(req('INVITE', { branch: 'z9hG4bKs1' }), udp);
    ist!.sendResponse(reply(ist!.request, 486, 'x'));
    assert.ok(clock.pending() > 0);
    layer.close();
    assert.equal(clock.pending(), 0);
    assert.equal(layer.counts().total, 0);
    assert.equal(ist!.state, 'Terminated');
    const sentBefore = udp.sent.length;
    clock.advance(100_000);
    assert.equal(udp.sent.length, sentBefore);
    assert.deepEqual(userEvents, []);
    assert.deepEqual(events, ['request INVITE invite-server']);
    assert.equal(layer.receiveRequest(req('INVITE', { branch: 'z9hG4bKs9' }), udp), 'dropped');
    assert.equal(layer.receiveResponse(reply(req('INVITE', { branch: 'z9hG4bKc1' }), 200), udp), 'dropped');
    assert.throws(() => layer.sendRequest(req('OPTIONS', { branch: 'z9hG4bKc5' }), udp, clientUser(clock, [])), /closed/);
    assert.equal(clock.pending(), 0);
  });

  it('a throwing core does not break the layer', () => {
    const warnings: string[] = [];
    const clock = new VirtualClock();
    const layer = new TransactionLayer({
      clock,
      core: {
        onRequest() {
          throw new Error('core bug');
        },
        onAck() {},
        onCancel() {},
      },
      logger: { debug() {}, warn: (_o, m) => void warnings.push(m ?? '') },
    });
    const udp = new FakeChannel(clock);
    assert.equal(layer.receiveRequest(req('INVITE'), udp), 'new');
    assert.equal(layer.receiveRequest(req('INVITE'), udp), 'retransmission');
    assert.equal(warnings.length, 1);
    assert.equal(headersNamed(udp.sent[0]!.msg, 'via').length, 1);
    layer.close();
  });

  it('custom T1 flows into the transactions', () => {
    const { clock, layer, udp } = setup({ t1: 100 });
    layer.sendRequest(req('INVITE'), udp, clientUser(clock, []));
    clock.advance(6400);
    assert.deepEqual(
      udp.sent.map((s) => s.at),
      [0, 100, 300, 700, 1500, 3100, 6300],
    );
    assert.equal(layer.counts().total, 0);
  });
});

describe('overload bound', () => {
  it('creates no server transaction past maxServerTransactions; retransmissions still match', () => {
    const clock = new VirtualClock();
    const overloaded: string[] = [];
    const core: TransactionCore = {
      onRequest: (r, tx) => void tx.sendResponse(reply(r, 200, 't')),
      onAck() {},
      onCancel() {},
      onOverload: (r) => void overloaded.push(getHeader(r, 'call-id')!),
    };
    const layer = new TransactionLayer({ clock, core, maxServerTransactions: 2 });
    const udp = new FakeChannel(clock, 'UDP');
    const first = req('OPTIONS', { branch: 'z9hG4bKo1', callId: 'o1' });
    assert.equal(layer.receiveRequest(first, udp), 'new');
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: 'z9hG4bKo2', callId: 'o2' }), udp), 'new');
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: 'z9hG4bKo3', callId: 'o3' }), udp), 'overload');
    assert.deepEqual(overloaded, ['o3']);
    assert.equal(layer.size, 2);
    // A retransmission of a live transaction is still absorbed and answered.
    assert.equal(layer.receiveRequest(first, udp), 'retransmission');
    // Timer J frees the slots (64*T1 on UDP): new requests are served again.
    clock.advance(32_000);
    assert.equal(layer.size, 0);
    assert.equal(layer.receiveRequest(req('OPTIONS', { branch: 'z9hG4bKo4', callId: 'o4' }), udp), 'new');
  });
});
