import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createResponse } from '../../sip/message/build';
import { getHeader, type SipRequest } from '../../sip/message/message';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { silentLogger } from '../../sip/logger';
import type { ClientTransaction, ClientTransactionUser } from '../../sip/transaction/layer';
import type { GatewaySip } from './gateway-sip';
import { LineRegistration } from './line-registration';

/** A registrar that challenges every REGISTER without credentials and answers the rest with `verdict`. */
function fakeServer(clock: VirtualClock, verdict: (req: SipRequest) => number) {
  const sent: { at: number; request: SipRequest }[] = [];
  const sip = {
    domain: 'pbx.example',
    via: () => 'SIP/2.0/UDP 192.0.2.10:5070;rport',
    contactUri: (user: string) => `sip:${user}@192.0.2.10:5070`,
    sendRequest(request: SipRequest, user: ClientTransactionUser) {
      sent.push({ at: clock.now(), request });
      const authorized = getHeader(request, 'authorization') !== undefined;
      const status = authorized ? verdict(request) : 401;
      const headers = status === 401 ? [{ name: 'WWW-Authenticate', value: `Digest realm="pbx.example", nonce="n${sent.length}", algorithm=MD5, qop="auth"` }] : [];
      const response = createResponse(request, status, undefined, { headers: status === 200 ? [...headers, { name: 'Contact', value: '<sip:301@192.0.2.10:5070>;expires=300' }] : headers });
      // Answer on the next tick, as a network would.
      clock.setTimer(10, () => user.onResponse(response, {} as ClientTransaction));
      return {} as ClientTransaction;
    },
  };
  return { sip: sip as unknown as GatewaySip, sent };
}

const account = { line: 3, username: '303', authUsername: '', password: 'wrong-password', expires: 300, authFailureLimit: 3 };

describe('FXS line registration', () => {
  test('refused credentials: exponential backoff, then auth-failed and silence until the config changes', () => {
    const clock = new VirtualClock(0);
    const { sip, sent } = fakeServer(clock, () => 401);
    const reg = new LineRegistration(account, sip, clock, silentLogger);
    reg.start();
    clock.advance(100);
    assert.equal(reg.view().registration, 'failed');
    const firstRetry = reg.view().retryInSeconds!;
    assert.ok(firstRetry >= 23 && firstRetry <= 30, `first retry in ${firstRetry} s`);
    clock.advance(31_000);
    assert.equal(reg.view().registration, 'failed');
    // The wait counts from the second refusal (the last request's answer, 10 ms after it
    // went out), not from the first retry: 60 s minus up to 20 % jitter.
    const secondRefusalAt = sent.at(-1)!.at + 10;
    const secondWait = (clock.now() + reg.view().retryInSeconds! * 1000 - secondRefusalAt) / 1000;
    assert.ok(secondWait >= 47 && secondWait <= 61, `the wait doubles: ${secondWait} s`);
    clock.advance(61_000);
    assert.equal(reg.view().registration, 'auth-failed', 'the third refusal stops the line');
    assert.match(reg.view().lastError ?? '', /credentials refused 3 times/);
    const count = sent.length;
    assert.equal(count, 6, 'three attempts, each a challenge and an answer');
    clock.advance(24 * 3600_000);
    assert.equal(sent.length, count, 'nothing more is sent');
    assert.equal(reg.view().registration, 'auth-failed');
  });

  test('accepted credentials register and refresh; another line is not affected by a refused one', () => {
    const clock = new VirtualClock(0);
    const { sip, sent } = fakeServer(clock, (req) => (getHeader(req, 'to')?.includes('301') ? 200 : 403));
    const good = new LineRegistration({ ...account, line: 1, username: '301', password: 'good-password' }, sip, clock, silentLogger);
    const bad = new LineRegistration({ ...account, authFailureLimit: 1 }, sip, clock, silentLogger);
    good.start();
    bad.start();
    clock.advance(100);
    assert.equal(good.view().registration, 'registered');
    assert.equal(bad.view().registration, 'auth-failed', 'with a limit of 1 the first refusal stops it');
    const before = sent.filter((s) => getHeader(s.request, 'to')?.includes('301')).length;
    clock.advance(200_000);
    assert.equal(good.view().registration, 'registered', 'refreshed');
    assert.ok(sent.filter((s) => getHeader(s.request, 'to')?.includes('301')).length > before, 'a refresh went out at half the granted time');
  });
});
