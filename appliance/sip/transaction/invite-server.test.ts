import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeader, getHeaderValues, headersNamed, type SipRequest, type SipResponse } from '../message/message';
import { fakeFlow } from '../testing/fake-channel';
import { responseTo, sipRequest } from '../testing/messages';
import { TransportError } from './channel';
import { InviteServerTransaction } from './invite-server';
import { checkTransition, IllegalTransitionError, INVITE_SERVER_TRANSITIONS, type ServerTransactionUser } from './state';
import { timerValues } from './timers';

function invite(): SipRequest {
  return sipRequest('INVITE', 'sip:bob@192.0.2.4', [
    ['Via', 'SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1'],
    ['v', 'SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1, SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1'],
    ['Max-Forwards', '68'],
    ['To', 'Bob <sip:bob@biloxi.example.com>'],
    ['From', 'Alice <sip:alice@atlanta.example.com>;tag=1928301774'],
    ['Call-ID', 'a84b4c76e66710'],
    ['CSeq', '314159 INVITE'],
    ['Timestamp', '54'],
    ['Contact', '<sip:alice@pc33.atlanta.example.com>'],
  ]);
}

function ack(req: SipRequest): SipRequest {
  return { ...req, method: 'ACK', headers: req.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: '314159 ACK' } : h)) };
}

function reply(req: SipRequest, status: number, reason = 'X'): SipResponse {
  return responseTo(req, status, { reason, toTag: 'a6c85cf' });
}

function setup(transport: 'UDP' | 'TCP' | 'TLS' = 'UDP') {
  const { clock, channel, timers } = fakeFlow(transport);
  const events: string[] = [];
  const user: ServerTransactionUser = {
    onTimeout: (tx) => void events.push(`timeout ${tx.state}@${clock.now()}`),
    onTransportError: (tx, err) => void events.push(`transport-error ${err.code} ${tx.state}@${clock.now()}`),
    onAck: (a, tx) => {
      assert.equal(tx.state, 'Accepted');
      events.push(`ack ${a.method}@${clock.now()}`);
    },
    onTerminated: () => void events.push(`terminated@${clock.now()}`),
  };
  const tx = new InviteServerTransaction({ request: invite(), channel, user, clock, timers });
  return { clock, channel, events, tx };
}

describe('INVITE server transaction: Proceeding', () => {
  it('sends 100 Trying at once on start, copying Via (all, in order), From, To, Call-ID, CSeq, Timestamp', () => {
    const { channel, tx } = setup('UDP');
    tx.start();
    assert.equal(tx.state, 'Proceeding');
    assert.deepEqual(channel.statuses(), ['100@0']);
    const trying = channel.sent[0]!.msg as SipResponse;
    assert.equal(trying.reason, 'Trying');
    assert.deepEqual(getHeaderValues(trying, 'via'), getHeaderValues(tx.request, 'via'));
    assert.equal(headersNamed(trying, 'via').length, 2);
    assert.equal(getHeader(trying, 'from'), 'Alice <sip:alice@atlanta.example.com>;tag=1928301774');
    assert.equal(getHeader(trying, 'to'), 'Bob <sip:bob@biloxi.example.com>');
    assert.equal(getHeader(trying, 'call-id'), 'a84b4c76e66710');
    assert.equal(getHeader(trying, 'cseq'), '314159 INVITE');
    assert.equal(getHeader(trying, 'timestamp'), '54');
    assert.equal(getHeader(trying, 'content-length'), '0');
    assert.equal(getHeader(trying, 'contact'), undefined);
    assert.equal(tx.lastResponse, trying);
  });

  it('a request retransmission in Proceeding resends the most recent provisional', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(500);
    tx.receiveRequest(invite());
    clock.advanceTo(800);
    const ringing = reply(tx.request, 180, 'Ringing');
    assert.equal(tx.sendResponse(ringing), true);
    clock.advanceTo(1500);
    tx.receiveRequest(invite());
    assert.deepEqual(channel.statuses(), ['100@0', '100@500', '180@800', '180@1500']);
    assert.equal(channel.sent[3]!.msg, ringing);
    // An ACK before any final response is dropped.
    tx.receiveRequest(ack(tx.request));
    assert.equal(tx.state, 'Proceeding');
    assert.equal(channel.sent.length, 4);
    // Nothing runs in Proceeding: no timer, no retransmission.
    clock.advance(100_000);
    assert.equal(channel.sent.length, 4);
    assert.equal(clock.pending(), 0);
  });
});

describe('INVITE server transaction: non-2xx final over UDP', () => {
  it('retransmits at 500, 1500, 3500, 7500, 11500 … (G doubling up to T2); H at 32000 informs the TU', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    assert.equal(tx.sendResponse(reply(tx.request, 486, 'Busy Here')), true);
    assert.equal(tx.state, 'Completed');
    clock.advanceTo(31_999);
    const finals = channel.sent.filter((s) => s.msg.kind === 'response' && s.msg.status === 486).map((s) => s.at);
    assert.deepEqual(finals, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(events, []);
    clock.advanceTo(32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['timeout Terminated@32000', 'terminated@32000']);
    assert.equal(clock.pending(), 0);
  });

  it('the schedule is relative to the final response', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(10_000);
    tx.sendResponse(reply(tx.request, 603));
    clock.advanceTo(10_000 + 7600);
    assert.deepEqual(channel.statuses(), ['100@0', '603@10000', '603@10500', '603@11500', '603@13500', '603@17500']);
    tx.dispose();
  });

  it('an INVITE retransmission in Completed resends the final; ACK → Confirmed, retransmissions stop, Timer I = T4', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(100);
    tx.sendResponse(reply(tx.request, 404));
    clock.advanceTo(900);
    tx.receiveRequest(invite());
    assert.deepEqual(channel.statuses(), ['100@0', '404@100', '404@600', '404@900']);
    clock.advanceTo(1000);
    tx.receiveRequest(ack(tx.request));
    assert.equal(tx.state, 'Confirmed');
    assert.deepEqual(tx.runningTimers(), ['I']);
    // Retransmitted ACKs and INVITEs are absorbed in Confirmed.
    tx.receiveRequest(ack(tx.request));
    tx.receiveRequest(invite());
    clock.advanceTo(1000 + 4999);
    assert.equal(tx.state, 'Confirmed');
    assert.equal(channel.sent.length, 4);
    clock.advanceTo(1000 + 5000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated@6000']);
    assert.equal(clock.pending(), 0);
  });

  it('responses after the final are discarded; a bad status throws', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    tx.sendResponse(reply(tx.request, 480));
    assert.equal(tx.sendResponse(reply(tx.request, 486)), false);
    assert.equal(tx.sendResponse(reply(tx.request, 180)), false);
    assert.equal(tx.sendResponse(reply(tx.request, 200)), false);
    assert.throws(() => tx.sendResponse(reply(tx.request, 99)), RangeError);
    assert.deepEqual(channel.statuses(), ['100@0', '480@0']);
    clock.runAll();
    assert.equal(tx.state, 'Terminated');
    assert.equal(tx.sendResponse(reply(tx.request, 500)), false);
  });
});

describe('INVITE server transaction over TCP', () => {
  it('no retransmission of the final; H still 32000 without ACK', () => {
    const { clock, channel, events, tx } = setup('TCP');
    tx.start();
    tx.sendResponse(reply(tx.request, 486));
    assert.deepEqual(tx.runningTimers(), ['H']);
    clock.advanceTo(31_999);
    assert.equal(channel.sent.length, 2);
    clock.advanceTo(32_000);
    assert.deepEqual(events, ['timeout Terminated@32000', 'terminated@32000']);
    clock.advance(64 * 500);
    assert.equal(channel.sent.length, 2);
  });

  it('ACK terminates at once (Timer I = 0)', () => {
    const { clock, events, tx } = setup('TLS');
    tx.start();
    tx.sendResponse(reply(tx.request, 486));
    clock.advanceTo(40);
    tx.receiveRequest(ack(tx.request));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated@40']);
    assert.equal(clock.pending(), 0);
  });
});

describe('INVITE server transaction: 2xx (RFC 6026 Accepted)', () => {
  it('2xx → Accepted; no retransmission by the transaction; the TU’s 2xx pass; INVITE absorbed; ACK to the TU; L = 32 s', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(2000);
    const ok = reply(tx.request, 200, 'OK');
    assert.equal(tx.sendResponse(ok), true);
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(tx.runningTimers(), ['L']);
    clock.advanceTo(2500);
    assert.equal(tx.sendResponse(ok), true); // the TU's own retransmission (§13.3.1.4)
    tx.receiveRequest(invite()); // absorbed
    assert.equal(tx.sendResponse(reply(tx.request, 486)), false); // not allowed in Accepted
    assert.equal(tx.sendResponse(reply(tx.request, 183)), false);
    clock.advanceTo(3000);
    tx.receiveRequest(ack(tx.request));
    tx.receiveRequest(ack(tx.request));
    assert.deepEqual(channel.statuses(), ['100@0', '200@2000', '200@2500']);
    assert.deepEqual(events, ['ack ACK@3000', 'ack ACK@3000']);
    assert.equal(tx.state, 'Accepted');
    clock.advanceTo(2000 + 31_999);
    assert.equal(tx.state, 'Accepted');
    assert.equal(channel.sent.length, 3);
    clock.advanceTo(2000 + 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events.slice(2), ['terminated@34000']);
    assert.equal(clock.pending(), 0);
  });
});

describe('INVITE server transaction: transport errors (§17.2.4)', () => {
  it('failing final response: TU informed, terminated, no timers left', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    channel.failWith = new Error('EPIPE');
    assert.equal(tx.sendResponse(reply(tx.request, 486)), false);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error SIP_ERR_TRANSPORT Terminated@0', 'terminated@0']);
    assert.equal(clock.pending(), 0);
  });

  it('failing Timer G retransmission terminates', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    tx.sendResponse(reply(tx.request, 486));
    clock.advanceTo(500);
    channel.failWith = new Error('EHOSTUNREACH');
    clock.advanceTo(1500);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error SIP_ERR_TRANSPORT Terminated@1500', 'terminated@1500']);
    assert.equal(clock.pending(), 0);
  });

  it('failing 100 Trying terminates at start', () => {
    const { channel, events, tx } = setup('TCP');
    channel.failWith = new TransportError('connection gone');
    tx.start();
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error SIP_ERR_TRANSPORT Terminated@0', 'terminated@0']);
  });

  it('in Accepted the TU is informed but the transaction stays until Timer L', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    channel.failWith = new Error('ENOBUFS');
    assert.equal(tx.sendResponse(reply(tx.request, 200)), false);
    assert.equal(tx.state, 'Accepted');
    assert.deepEqual(events, ['transport-error SIP_ERR_TRANSPORT Accepted@0']);
    channel.failWith = undefined;
    tx.receiveRequest(ack(tx.request));
    clock.runAll();
    assert.deepEqual(events.slice(1), ['ack ACK@0', 'terminated@32000']);
  });
});

describe('INVITE server transaction: guards', () => {
  it('the transition table rejects illegal transitions', () => {
    for (const [from, to] of [
      ['Completed', 'Accepted'],
      ['Accepted', 'Completed'],
      ['Accepted', 'Confirmed'],
      ['Confirmed', 'Completed'],
      ['Proceeding', 'Confirmed'],
      ['Terminated', 'Proceeding'],
    ] as const) {
      assert.throws(() => checkTransition('invite-server', INVITE_SERVER_TRANSITIONS, from, to), IllegalTransitionError);
    }
  });

  it('refuses a non-INVITE request and a second start()', () => {
    const { tx, clock, channel } = setup('UDP');
    tx.start();
    assert.throws(() => tx.start(), /twice/);
    assert.throws(
      () =>
        new InviteServerTransaction({
          request: { ...invite(), method: 'BYE' },
          channel,
          user: { onTimeout() {}, onTransportError() {} },
          clock,
          timers: timerValues({ reliable: false }),
        }),
      TypeError,
    );
  });
});
