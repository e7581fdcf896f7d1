import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeader, getHeaderValues, type SipRequest, type SipResponse } from '../message/message';
import { FakeChannel, fakeFlow } from '../testing/fake-channel';
import { responseTo, sipRequest } from '../testing/messages';
import { VirtualClock } from '../testing/virtual-clock';
import { TransportError } from './channel';
import { buildNon2xxAck, InviteClientTransaction } from './invite-client';
import {
  checkTransition,
  IllegalTransitionError,
  INVITE_CLIENT_TRANSITIONS,
  type ClientTransaction,
  type ClientTransactionUser,
} from './state';
import { timerValues } from './timers';

// --- fixtures -----------------------------------------------------------------------

const BRANCH = 'z9hG4bK776asdhds';

function invite(): SipRequest {
  return sipRequest(
    'INVITE',
    'sip:bob@biloxi.example.com',
    [
      ['Via', `SIP/2.0/UDP pc33.atlanta.example.com;branch=${BRANCH}`],
      ['Via', 'SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKolder'],
      ['Route', '<sip:p1.example.com;lr>'],
      ['Route', '<sip:p2.example.com;lr>'],
      ['Max-Forwards', '69'],
      ['To', 'Bob <sip:bob@biloxi.example.com>'],
      ['From', 'Alice <sip:alice@atlanta.example.com>;tag=1928301774'],
      ['Call-ID', 'a84b4c76e66710@pc33.atlanta.example.com'],
      ['CSeq', '314159 INVITE'],
      ['Contact', '<sip:alice@pc33.atlanta.example.com>'],
      ['Content-Type', 'application/sdp'],
    ],
    Buffer.from('v=0\n'),
  );
}

function response(req: SipRequest, status: number, toTag?: string): SipResponse {
  return responseTo(req, status, { reason: 'Whatever', toTag });
}

function setup(transport: 'UDP' | 'TCP' | 'TLS' = 'UDP', t1?: number) {
  const { clock, channel, timers } = fakeFlow(transport, t1);
  const events: string[] = [];
  const responses: SipResponse[] = [];
  const errors: TransportError[] = [];
  const user: ClientTransactionUser = {
    onResponse(res: SipResponse, tx: ClientTransaction) {
      assert.equal(tx.kind, 'invite-client');
      responses.push(res);
      events.push(`response ${res.status}@${clock.now()}`);
    },
    onTimeout() {
      events.push(`timeout@${clock.now()}`);
    },
    onTransportError(_tx, err) {
      errors.push(err);
      events.push(`transport-error@${clock.now()}`);
    },
    onTerminated(tx) {
      assert.equal(tx.state, 'Terminated');
      events.push(`terminated@${clock.now()}`);
    },
  };
  const layerHook: string[] = [];
  const tx = new InviteClientTransaction({
    request: invite(),
    channel,
    user,
    clock,
    timers,
    onTerminated: () => layerHook.push(`hook@${clock.now()}`),
  });
  return { clock, channel, events, responses, errors, tx, layerHook };
}

// --- tests --------------------------------------------------------------------------

describe('INVITE client transaction over UDP', () => {
  it('retransmits at 0, 500, 1500, 3500, 7500, 15500, 31500 and times out (Timer B) at 32000', () => {
    const { clock, channel, events, tx, layerHook } = setup('UDP');
    tx.start();
    assert.equal(tx.state, 'Calling');
    assert.deepEqual(channel.times(), [0]);
    clock.advanceTo(31_999);
    assert.deepEqual(channel.times(), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.equal(tx.state, 'Calling');
    assert.deepEqual(events, []);
    clock.advanceTo(32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['timeout@32000', 'terminated@32000']);
    assert.deepEqual(layerHook, ['hook@32000']);
    // Every retransmission is the very same request object.
    for (const s of channel.sent) assert.equal(s.msg, tx.request);
    assert.equal(clock.pending(), 0);
    clock.advance(100_000);
    assert.equal(channel.sent.length, 7);
  });

  it('Timer A doubles without a T2 cap (INVITE) and B scales with T1', () => {
    const { clock, channel, events, tx } = setup('UDP', 250);
    tx.start();
    clock.advance(20_000);
    assert.deepEqual(channel.times(), [0, 250, 750, 1750, 3750, 7750, 15750]);
    assert.deepEqual(events, ['timeout@16000', 'terminated@16000']);
  });

  it('a provisional response stops retransmissions and Timer B; 1xx go to the TU', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(700);
    tx.receiveResponse(response(tx.request, 100));
    assert.equal(tx.state, 'Proceeding');
    tx.receiveResponse(response(tx.request, 180, 'b1'));
    clock.advance(200_000);
    assert.deepEqual(channel.times(), [0, 500]);
    assert.equal(tx.state, 'Proceeding');
    assert.deepEqual(events, ['response 100@700', 'response 180@700']);
    assert.deepEqual(tx.runningTimers(), []);
  });

  it('486: ACK built per §17.1.1.3, response to TU once, retransmitted 486 re-ACKed, Timer D = 32 s', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(600);
    tx.receiveResponse(response(tx.request, 180, 'xyz'));
    clock.advanceTo(2000);
    const busy = response(tx.request, 486, 'xyz');
    tx.receiveResponse(busy);
    assert.equal(tx.state, 'Completed');
    assert.deepEqual(events, ['response 180@600', 'response 486@2000']);

    const acks = channel.requests('ACK');
    assert.equal(acks.length, 1);
    const ack = acks[0]!.msg;
    assert.equal(ack, tx.ack);
    assert.equal(acks[0]!.at, 2000);
    assert.equal(ack.uri, 'sip:bob@biloxi.example.com');
    assert.deepEqual(getHeaderValues(ack, 'via'), [`SIP/2.0/UDP pc33.atlanta.example.com;branch=${BRANCH}`]);
    assert.deepEqual(getHeaderValues(ack, 'route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    assert.equal(getHeader(ack, 'max-forwards'), '70');
    assert.equal(getHeader(ack, 'from'), 'Alice <sip:alice@atlanta.example.com>;tag=1928301774');
    assert.equal(getHeader(ack, 'to'), 'Bob <sip:bob@biloxi.example.com>;tag=xyz');
    assert.equal(getHeader(ack, 'call-id'), 'a84b4c76e66710@pc33.atlanta.example.com');
    assert.equal(getHeader(ack, 'cseq'), '314159 ACK');
    assert.equal(getHeader(ack, 'content-length'), '0');
    assert.equal(getHeader(ack, 'contact'), undefined);
    assert.equal(getHeader(ack, 'content-type'), undefined);
    assert.equal(ack.body.length, 0);

    // Retransmitted 486s: the same ACK again, nothing to the TU.
    clock.advanceTo(2500);
    tx.receiveResponse(response(tx.request, 486, 'xyz'));
    clock.advanceTo(3500);
    tx.receiveResponse(response(tx.request, 486, 'xyz'));
    assert.deepEqual(
      channel.requests('ACK').map((s) => s.at),
      [2000, 2500, 3500],
    );
    for (const s of channel.requests('ACK')) assert.equal(s.msg, ack);
    // 1xx and other non-2xx late arrivals are absorbed.
    tx.receiveResponse(response(tx.request, 180, 'xyz'));
    assert.deepEqual(events, ['response 180@600', 'response 486@2000']);
    // No INVITE retransmission after the 180 (Proceeding) nor after the final response.
    assert.deepEqual(
      channel.requests('INVITE').map((s) => s.at),
      [0, 500],
    );

    // Timer D: 32 s after entering Completed.
    clock.advanceTo(2000 + 31_999);
    assert.equal(tx.state, 'Completed');
    clock.advanceTo(2000 + 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events.slice(2), ['terminated@34000']);
    assert.equal(clock.pending(), 0);
    // A 486 after termination does nothing.
    tx.receiveResponse(response(tx.request, 486, 'xyz'));
    assert.equal(channel.requests('ACK').length, 3);
  });

  it('2xx: Accepted, no ACK from the transaction, 2xx retransmissions and forks to the TU, Timer M = 32 s', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(1000);
    tx.receiveResponse(response(tx.request, 200, 'fork1'));
    assert.equal(tx.state, 'Accepted');
    clock.advanceTo(1500);
    tx.receiveResponse(response(tx.request, 200, 'fork1')); // retransmission
    tx.receiveResponse(response(tx.request, 200, 'fork2')); // another fork
    tx.receiveResponse(response(tx.request, 486, 'fork3')); // absorbed
    tx.receiveResponse(response(tx.request, 180, 'fork4')); // absorbed
    assert.deepEqual(events, ['response 200@1000', 'response 200@1500', 'response 200@1500']);
    assert.equal(channel.requests('ACK').length, 0);
    clock.advanceTo(1000 + 31_999);
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(channel.requests('INVITE').length, 2); // 0 and 500, nothing after the 2xx
    clock.advanceTo(1000 + 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events.slice(3), ['terminated@33000']);
    assert.equal(clock.pending(), 0);
  });

  it('a 2xx from another fork after a non-2xx still reaches the TU (no ACK for it)', () => {
    const { clock, channel, responses, tx } = setup('UDP');
    tx.start();
    tx.receiveResponse(response(tx.request, 404, 'a'));
    tx.receiveResponse(response(tx.request, 200, 'b'));
    assert.deepEqual(
      responses.map((r) => r.status),
      [404, 200],
    );
    assert.equal(channel.requests('ACK').length, 1);
    assert.equal(tx.state, 'Completed');
    clock.runAll();
  });

  it('drops responses with impossible status codes', () => {
    const { responses, tx } = setup('UDP');
    tx.start();
    tx.receiveResponse({ ...response(tx.request, 200), status: 99 });
    tx.receiveResponse({ ...response(tx.request, 200), status: 700 });
    assert.equal(responses.length, 0);
    assert.equal(tx.state, 'Calling');
    tx.dispose();
  });
});

describe('INVITE client transaction over TCP', () => {
  it('never retransmits; Timer B is still 64*T1', () => {
    const { clock, channel, events, tx } = setup('TCP');
    tx.start();
    clock.advanceTo(31_999);
    assert.equal(channel.sent.length, 1);
    assert.deepEqual(tx.runningTimers(), ['B']);
    clock.advanceTo(32_000);
    assert.deepEqual(events, ['timeout@32000', 'terminated@32000']);
    clock.advance(64 * 500);
    assert.equal(channel.sent.length, 1);
  });

  it('486 is ACKed and the transaction terminates at once (Timer D = 0)', () => {
    const { clock, channel, events, tx } = setup('TLS');
    tx.start();
    clock.advanceTo(300);
    tx.receiveResponse(response(tx.request, 486, 't'));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['response 486@300', 'terminated@300']);
    assert.equal(channel.requests('ACK').length, 1);
    assert.equal(getHeader(channel.requests('ACK')[0]!.msg, 'to'), 'Bob <sip:bob@biloxi.example.com>;tag=t');
    assert.equal(clock.pending(), 0);
  });

  it('2xx still waits Timer M (64*T1) in Accepted', () => {
    const { clock, events, tx } = setup('TCP');
    tx.start();
    tx.receiveResponse(response(tx.request, 200, 't'));
    clock.advanceTo(31_999);
    assert.equal(tx.state, 'Accepted');
    clock.advanceTo(32_000);
    assert.deepEqual(events, ['response 200@0', 'terminated@32000']);
  });
});

describe('INVITE client transaction: transport errors (§17.1.4)', () => {
  it('a failing first send informs the TU and terminates, leaving no timer', () => {
    const { clock, channel, events, errors, tx, layerHook } = setup('UDP');
    channel.failWith = new Error('EHOSTUNREACH');
    tx.start();
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error@0', 'terminated@0']);
    assert.equal(errors[0]!.code, 'SIP_ERR_TRANSPORT');
    assert.ok(errors[0] instanceof TransportError);
    assert.equal((errors[0]!.cause as Error).message, 'EHOSTUNREACH');
    assert.deepEqual(layerHook, ['hook@0']);
    assert.equal(clock.pending(), 0);
  });

  it('a failing retransmission terminates; a TransportError thrown keeps its code', () => {
    const { clock, channel, events, errors, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(500);
    channel.failWith = new TransportError('no route', { code: 'SIP_ERR_NO_ROUTE' });
    clock.advanceTo(1500);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error@1500', 'terminated@1500']);
    assert.equal(errors[0]!.code, 'SIP_ERR_NO_ROUTE');
    assert.equal(clock.pending(), 0);
  });

  it('a failing ACK terminates after the final response reached the TU', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    channel.failWith = new Error('socket closed');
    tx.receiveResponse(response(tx.request, 503, 'x'));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['response 503@0', 'transport-error@0', 'terminated@0']);
    assert.equal(clock.pending(), 0);
  });

  it('a late report (channelFailed) in Calling terminates; in Accepted it is ignored', () => {
    const a = setup('TCP');
    a.tx.start();
    a.tx.transportError(new TransportError('write EPIPE'));
    assert.deepEqual(a.events, ['transport-error@0', 'terminated@0']);
    const b = setup('TCP');
    b.tx.start();
    b.tx.receiveResponse(response(b.tx.request, 200, 'x'));
    b.tx.transportError(new TransportError('write EPIPE'));
    assert.equal(b.tx.state, 'Accepted');
    b.tx.dispose();
    assert.equal(b.clock.pending(), 0);
  });
});

describe('INVITE client transaction: guards', () => {
  it('the transition table rejects illegal transitions', () => {
    const illegal: Array<[string, string]> = [
      ['Completed', 'Proceeding'],
      ['Accepted', 'Completed'],
      ['Proceeding', 'Calling'],
      ['Terminated', 'Calling'],
      ['Terminated', 'Terminated'],
      ['Completed', 'Accepted'],
    ];
    for (const [from, to] of illegal) {
      assert.throws(
        () => checkTransition('invite-client', INVITE_CLIENT_TRANSITIONS, from as 'Calling', to as 'Calling'),
        (err: unknown) => err instanceof IllegalTransitionError && err.code === 'SIP_ERR_TX_TRANSITION',
        `${from} -> ${to}`,
      );
    }
    checkTransition('invite-client', INVITE_CLIENT_TRANSITIONS, 'Calling', 'Accepted');
    checkTransition('invite-client', INVITE_CLIENT_TRANSITIONS, 'Proceeding', 'Completed');
  });

  it('start() twice throws; wrong method or missing branch are refused', () => {
    const { tx } = setup('TCP');
    tx.start();
    assert.throws(() => tx.start(), /twice/);
    tx.dispose();
    const clock = new VirtualClock();
    const base = {
      channel: new FakeChannel(clock, 'UDP'),
      user: { onResponse() {}, onTimeout() {}, onTransportError() {} },
      clock,
      timers: timerValues({ reliable: false }),
    };
    assert.throws(() => new InviteClientTransaction({ ...base, request: { ...invite(), method: 'OPTIONS' } }), TypeError);
    const noBranch = invite();
    noBranch.headers[0] = { name: 'Via', value: 'SIP/2.0/UDP pc33.atlanta.example.com' };
    assert.throws(() => new InviteClientTransaction({ ...base, request: noBranch }), TypeError);
  });

  it('dispose() ends silently and clears every timer', () => {
    const { clock, events, tx, layerHook } = setup('UDP');
    tx.start();
    assert.deepEqual(tx.runningTimers().sort(), ['A', 'B']);
    tx.dispose();
    assert.equal(tx.state, 'Terminated');
    assert.equal(clock.pending(), 0);
    assert.deepEqual(events, []);
    assert.deepEqual(layerHook, []);
  });

  it('a throwing TU does not break the state machine', () => {
    const clock = new VirtualClock();
    const channel = new FakeChannel(clock, 'UDP');
    const warnings: string[] = [];
    const tx = new InviteClientTransaction({
      request: invite(),
      channel,
      user: {
        onResponse() {
          throw new Error('TU bug');
        },
        onTimeout() {},
        onTransportError() {},
      },
      clock,
      timers: timerValues({ reliable: false }),
      logger: { debug() {}, warn: (_o, msg) => void warnings.push(msg ?? '') },
    });
    tx.start();
    tx.receiveResponse(response(tx.request, 486, 'x'));
    assert.equal(tx.state, 'Completed');
    assert.equal(channel.requests('ACK').length, 1);
    assert.equal(warnings.length, 1);
    clock.runAll();
    assert.equal(tx.state, 'Terminated');
  });

  it('buildNon2xxAck works for an INVITE without Route', () => {
    const req = invite();
    req.headers = req.headers.filter((h) => h.name !== 'Route');
    const ack = buildNon2xxAck(req, response(req, 603, 'q'));
    assert.deepEqual(
      ack.headers.map((h) => h.name),
      ['Via', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length'],
    );
  });
});
