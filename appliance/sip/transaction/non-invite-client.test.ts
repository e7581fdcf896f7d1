import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipRequest, SipResponse } from '../message/message';
import { FakeChannel, fakeFlow } from '../testing/fake-channel';
import { responseTo, sipRequest } from '../testing/messages';
import { VirtualClock } from '../testing/virtual-clock';
import { TransportError } from './channel';
import { NonInviteClientTransaction } from './non-invite-client';
import { checkTransition, IllegalTransitionError, NON_INVITE_CLIENT_TRANSITIONS, type ClientTransactionUser } from './state';
import { timerValues } from './timers';

function register(method = 'REGISTER'): SipRequest {
  return sipRequest(method, 'sip:registrar.example.com', [
    ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7'],
    ['Max-Forwards', '70'],
    ['To', '<sip:bob@example.com>'],
    ['From', '<sip:bob@example.com>;tag=456248'],
    ['Call-ID', '843817637684230@998sdasdh09'],
    ['CSeq', `1826 ${method}`],
  ]);
}

function response(req: SipRequest, status: number): SipResponse {
  return responseTo(req, status, { toTag: 'srv' });
}

function setup(transport: 'UDP' | 'TCP' | 'TLS' = 'UDP', method = 'REGISTER') {
  const { clock, channel, timers } = fakeFlow(transport);
  const events: string[] = [];
  const user: ClientTransactionUser = {
    onResponse: (res, tx) => {
      assert.equal(tx.kind, 'non-invite-client');
      events.push(`response ${res.status}@${clock.now()}`);
    },
    onTimeout: () => void events.push(`timeout@${clock.now()}`),
    onTransportError: (_tx, err) => void events.push(`transport-error ${err.code}@${clock.now()}`),
    onTerminated: () => void events.push(`terminated@${clock.now()}`),
  };
  const tx = new NonInviteClientTransaction({
    request: register(method),
    channel,
    user,
    clock,
    timers,
  });
  return { clock, channel, events, tx };
}

describe('non-INVITE client transaction over UDP', () => {
  it('retransmits at 0, 500, 1500, 3500, 7500, 11500 … 31500 (E doubles up to T2) and times out (F) at 32000', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    assert.equal(tx.state, 'Trying');
    clock.advanceTo(31_999);
    assert.deepEqual(channel.times(), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(events, []);
    clock.advanceTo(32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['timeout@32000', 'terminated@32000']);
    assert.equal(clock.pending(), 0);
    clock.advance(60_000);
    assert.equal(channel.sent.length, 11);
  });

  it('after a provisional response, retransmits every T2 (§17.1.2.2) until Timer F', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(1000); // sent at 0 and 500; E next due at 1500
    tx.receiveResponse(response(tx.request, 100));
    assert.equal(tx.state, 'Proceeding');
    clock.advanceTo(31_999);
    assert.deepEqual(channel.times(), [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    clock.advanceTo(32_000);
    // §17.1.2.2: "If timer F fires while in the "Proceeding" state, the TU MUST be informed of a timeout".
    assert.deepEqual(events, ['response 100@1000', 'timeout@32000', 'terminated@32000']);
  });

  it('a provisional before the first retransmission: E fires at 500 then every 4000', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(100);
    tx.receiveResponse(response(tx.request, 183));
    clock.advanceTo(13_000);
    assert.deepEqual(channel.times(), [0, 500, 4500, 8500, 12500]);
    tx.dispose();
  });

  it('final response: to the TU once, Completed absorbs retransmissions, Timer K = T4', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(600);
    tx.receiveResponse(response(tx.request, 180));
    tx.receiveResponse(response(tx.request, 200));
    assert.equal(tx.state, 'Completed');
    tx.receiveResponse(response(tx.request, 200));
    tx.receiveResponse(response(tx.request, 180));
    clock.advanceTo(600 + 4999);
    assert.equal(tx.state, 'Completed');
    assert.deepEqual(channel.times(), [0, 500]); // no retransmission in Completed
    clock.advanceTo(600 + 5000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['response 180@600', 'response 200@600', 'terminated@5600']);
    assert.equal(clock.pending(), 0);
  });

  it('final response straight from Trying (e.g. 401) completes too', () => {
    const { clock, events, tx } = setup('UDP');
    tx.start();
    tx.receiveResponse(response(tx.request, 401));
    assert.equal(tx.state, 'Completed');
    clock.runAll();
    assert.deepEqual(events, ['response 401@0', 'terminated@5000']);
  });
});

describe('non-INVITE client transaction over TCP', () => {
  it('sends once, no retransmission over 64*T1, Timer F still 32000', () => {
    const { clock, channel, events, tx } = setup('TCP');
    tx.start();
    clock.advanceTo(31_999);
    assert.equal(channel.sent.length, 1);
    clock.advanceTo(32_000);
    assert.deepEqual(events, ['timeout@32000', 'terminated@32000']);
    clock.advance(32_000);
    assert.equal(channel.sent.length, 1);
  });

  it('Timer K is zero: a final response terminates at once', () => {
    const { clock, events, tx } = setup('TLS', 'OPTIONS');
    tx.start();
    clock.advanceTo(20);
    tx.receiveResponse(response(tx.request, 200));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['response 200@20', 'terminated@20']);
    assert.equal(clock.pending(), 0);
  });
});

describe('non-INVITE client transaction: errors and guards', () => {
  it('a failing send informs the TU and terminates (§17.1.4)', () => {
    const { clock, channel, events, tx } = setup('UDP');
    channel.failWith = new TransportError('too big', { code: 'SIP_ERR_TOO_LARGE' });
    tx.start();
    assert.deepEqual(events, ['transport-error SIP_ERR_TOO_LARGE@0', 'terminated@0']);
    assert.equal(clock.pending(), 0);
  });

  it('a failing retransmission in Proceeding terminates', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    tx.receiveResponse(response(tx.request, 100));
    channel.failWith = new Error('ENETUNREACH');
    clock.advanceTo(500);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['response 100@0', 'transport-error SIP_ERR_TRANSPORT@500', 'terminated@500']);
    assert.equal(clock.pending(), 0);
  });

  it('refuses INVITE, ACK and a CSeq method that differs', () => {
    const clock = new VirtualClock();
    const base = {
      channel: new FakeChannel(clock),
      user: { onResponse() {}, onTimeout() {}, onTransportError() {} },
      clock,
      timers: timerValues({ reliable: false }),
    };
    assert.throws(() => new NonInviteClientTransaction({ ...base, request: register('INVITE') }), TypeError);
    assert.throws(() => new NonInviteClientTransaction({ ...base, request: register('ACK') }), TypeError);
    assert.throws(() => new NonInviteClientTransaction({ ...base, request: { ...register(), method: 'OPTIONS' } }), TypeError);
  });

  it('the transition table rejects illegal transitions', () => {
    for (const [from, to] of [
      ['Completed', 'Proceeding'],
      ['Completed', 'Trying'],
      ['Proceeding', 'Trying'],
      ['Terminated', 'Trying'],
    ] as const) {
      assert.throws(() => checkTransition('non-invite-client', NON_INVITE_CLIENT_TRANSITIONS, from, to), IllegalTransitionError);
    }
    checkTransition('non-invite-client', NON_INVITE_CLIENT_TRANSITIONS, 'Trying', 'Completed');
  });
});
