import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipRequest, SipResponse } from '../message/message';
import { fakeFlow } from '../testing/fake-channel';
import { responseTo, sipRequest } from '../testing/messages';
import { TransportError } from './channel';
import { NonInviteServerTransaction } from './non-invite-server';
import { checkTransition, IllegalTransitionError, NON_INVITE_SERVER_TRANSITIONS, type ServerTransactionUser } from './state';
import { timerValues } from './timers';

function options(): SipRequest {
  return sipRequest('OPTIONS', 'sip:edge.example.com', [
    ['Via', 'SIP/2.0/UDP 192.0.2.33:5062;branch=z9hG4bKopt1;rport'],
    ['Max-Forwards', '70'],
    ['To', '<sip:edge.example.com>'],
    ['From', '<sip:probe@example.com>;tag=p1'],
    ['Call-ID', 'opt-1'],
    ['CSeq', '7 OPTIONS'],
  ]);
}

function reply(req: SipRequest, status: number): SipResponse {
  return responseTo(req, status);
}

function setup(transport: 'UDP' | 'TCP' | 'TLS' = 'UDP') {
  const { clock, channel, timers } = fakeFlow(transport);
  const events: string[] = [];
  const user: ServerTransactionUser = {
    onTimeout: () => void events.push(`timeout@${clock.now()}`),
    onTransportError: (tx, err) => void events.push(`transport-error ${err.code} ${tx.kind}@${clock.now()}`),
    onTerminated: () => void events.push(`terminated@${clock.now()}`),
  };
  const tx = new NonInviteServerTransaction({ request: options(), channel, user, clock, timers });
  return { clock, channel, events, tx };
}

describe('non-INVITE server transaction over UDP', () => {
  it('Trying: nothing sent on start, request retransmissions absorbed', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    assert.equal(tx.state, 'Trying');
    tx.receiveRequest(options());
    tx.receiveRequest(options());
    clock.advance(10_000);
    assert.equal(channel.sent.length, 0);
    assert.equal(clock.pending(), 0);
  });

  it('Proceeding: a retransmission gets the most recent provisional again', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(100);
    assert.equal(tx.sendResponse(reply(tx.request, 100)), true);
    assert.equal(tx.state, 'Proceeding');
    clock.advanceTo(500);
    tx.receiveRequest(options());
    clock.advanceTo(600);
    tx.sendResponse(reply(tx.request, 182));
    clock.advanceTo(1500);
    tx.receiveRequest(options());
    assert.deepEqual(channel.statuses(), ['100@100', '100@500', '182@600', '182@1500']);
    tx.dispose();
  });

  it('Completed: retransmissions get the final again; Timer J = 64*T1; later finals discarded', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    clock.advanceTo(200);
    const ok = reply(tx.request, 200);
    assert.equal(tx.sendResponse(ok), true);
    assert.equal(tx.state, 'Completed');
    assert.equal(tx.lastResponse, ok);
    clock.advanceTo(700);
    tx.receiveRequest(options());
    assert.equal(tx.sendResponse(reply(tx.request, 500)), false); // §17.2.2: discarded
    assert.equal(tx.sendResponse(reply(tx.request, 180)), false);
    clock.advanceTo(200 + 31_999);
    tx.receiveRequest(options());
    assert.deepEqual(channel.statuses(), ['200@200', '200@700', '200@32199']);
    assert.equal(channel.sent[1]!.msg, ok);
    assert.equal(tx.state, 'Completed');
    clock.advanceTo(200 + 32_000);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated@32200']);
    assert.equal(clock.pending(), 0);
    // Nothing after termination.
    tx.receiveRequest(options());
    assert.equal(tx.sendResponse(reply(tx.request, 200)), false);
    assert.equal(channel.sent.length, 3);
  });

  it('the server transaction never retransmits on its own', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    tx.sendResponse(reply(tx.request, 404));
    clock.advance(64 * 500);
    assert.deepEqual(channel.statuses(), ['404@0']);
  });
});

describe('non-INVITE server transaction over TCP', () => {
  it('Timer J is zero: the final response terminates at once', () => {
    const { clock, channel, events, tx } = setup('TCP');
    tx.start();
    clock.advanceTo(5);
    tx.sendResponse(reply(tx.request, 200));
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['terminated@5']);
    assert.equal(channel.sent.length, 1);
    assert.equal(clock.pending(), 0);
  });
});

describe('non-INVITE server transaction: errors and guards', () => {
  it('a failing response informs the TU and terminates (§17.2.4)', () => {
    const { clock, channel, events, tx } = setup('UDP');
    tx.start();
    channel.failWith = new Error('ECONNRESET');
    assert.equal(tx.sendResponse(reply(tx.request, 200)), false);
    assert.equal(tx.state, 'Terminated');
    assert.deepEqual(events, ['transport-error SIP_ERR_TRANSPORT non-invite-server@0', 'terminated@0']);
    assert.equal(clock.pending(), 0);
  });

  it('a failing provisional terminates too; a late error in Trying is ignored', () => {
    const a = setup('TCP');
    a.tx.start();
    a.channel.failWith = new Error('EPIPE');
    assert.equal(a.tx.sendResponse(reply(a.tx.request, 100)), false);
    assert.equal(a.tx.state, 'Terminated');
    const b = setup('TCP');
    b.tx.start();
    b.tx.transportError(new TransportError('late write failure'));
    assert.equal(b.tx.state, 'Trying');
  });

  it('refuses INVITE/ACK, bad status codes and start() twice', () => {
    const { clock, channel, tx } = setup('UDP');
    tx.start();
    assert.throws(() => tx.start(), /twice/);
    assert.throws(() => tx.sendResponse(reply(tx.request, 700)), RangeError);
    for (const method of ['INVITE', 'ACK']) {
      assert.throws(
        () =>
          new NonInviteServerTransaction({
            request: { ...options(), method },
            channel,
            user: { onTimeout() {}, onTransportError() {} },
            clock,
            timers: timerValues({ reliable: false }),
          }),
        TypeError,
      );
    }
  });

  it('the transition table rejects illegal transitions', () => {
    for (const [from, to] of [
      ['Completed', 'Proceeding'],
      ['Proceeding', 'Trying'],
      ['Completed', 'Trying'],
      ['Terminated', 'Completed'],
    ] as const) {
      assert.throws(() => checkTransition('non-invite-server', NON_INVITE_SERVER_TRANSITIONS, from, to), IllegalTransitionError);
    }
    checkTransition('non-invite-server', NON_INVITE_SERVER_TRANSITIONS, 'Trying', 'Completed');
  });
});
