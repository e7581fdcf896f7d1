import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeHA1, digestResponse, formatCredentials, formatNonceCount, parseChallenge } from '../sip/auth/digest';
import type { SipRequest } from '../sip/message/message';
import { VirtualClock } from '../sip/testing/virtual-clock';
import { Authenticator, type AccountLookup, type StoredSecret } from './authenticator';

const REALM = 'pbx.example';
const SECRET = Buffer.alloc(32, 7);
const URI = 'sip:pbx.example';

function secretFor(user: string, password: string): StoredSecret {
  return { ha1: { MD5: computeHA1('MD5', user, REALM, password), 'SHA-256': computeHA1('SHA-256', user, REALM, password) } };
}

const ACCOUNTS: AccountLookup = { find: (u) => (u === '100' ? secretFor('100', 'hunter2') : undefined) };

function setup(start = 1_700_000_000_000, maxTrackedNonces?: number): { clock: VirtualClock; auth: Authenticator } {
  const clock = new VirtualClock(start);
  const auth = new Authenticator(REALM, SECRET, clock, ACCOUNTS, maxTrackedNonces === undefined ? {} : { maxTrackedNonces });
  return { clock, auth };
}

/** A fresh nonce from the authenticator's own challenge. */
function nonceOf(auth: Authenticator): string {
  return parseChallenge(auth.challengeHeaders(401, false)[0]!.value).nonce;
}

function register(authorization: string[]): SipRequest {
  return {
    kind: 'request',
    method: 'REGISTER',
    uri: URI,
    headers: authorization.map((value) => ({ name: 'Authorization', value })),
    body: Buffer.alloc(0),
  };
}

interface CredOptions {
  user?: string;
  password?: string;
  algorithm?: 'MD5' | 'SHA-256';
  nonce: string;
  nc?: number;
  realm?: string;
  qop?: boolean;
}

function credentials(o: CredOptions): string {
  const user = o.user ?? '100';
  const realm = o.realm ?? REALM;
  const nc = formatNonceCount(o.nc ?? 1);
  const cnonce = 'c0ffee';
  const qop = o.qop ?? true;
  const response = digestResponse({
    algorithm: o.algorithm ?? 'MD5',
    password: o.password ?? 'hunter2',
    username: user,
    realm,
    method: 'REGISTER',
    uri: URI,
    nonce: o.nonce,
    ...(qop ? { qop: 'auth' as const, nc, cnonce } : {}),
  });
  return formatCredentials({
    username: user,
    realm,
    nonce: o.nonce,
    uri: URI,
    response,
    ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
    ...(qop ? { qop: 'auth', nc, cnonce } : {}),
    other: [],
  });
}

test('challenges offer SHA-256 first, then MD5, with qop=auth', () => {
  const { auth } = setup();
  const headers = auth.challengeHeaders(401, false);
  assert.deepEqual(
    headers.map((h) => [h.name, parseChallenge(h.value).algorithm, parseChallenge(h.value).qop]),
    [
      ['WWW-Authenticate', 'SHA-256', ['auth']],
      ['WWW-Authenticate', 'MD5', ['auth']],
    ],
  );
  assert.equal(auth.challengeHeaders(407, true)[0]!.name, 'Proxy-Authenticate');
  assert.equal(parseChallenge(auth.challengeHeaders(407, true)[0]!.value).stale, true);
});

test('the offered algorithms are read at each challenge: a changed setting applies to the next one', () => {
  let offered: ('SHA-256' | 'MD5')[] = ['SHA-256', 'MD5'];
  const auth = new Authenticator(REALM, SECRET, new VirtualClock(1_700_000_000_000), ACCOUNTS, { algorithms: () => offered });
  const algorithms = () => auth.challengeHeaders(401, false).map((h) => parseChallenge(h.value).algorithm);
  assert.deepEqual(algorithms(), ['SHA-256', 'MD5']);
  offered = ['MD5', 'SHA-256'];
  assert.deepEqual(algorithms(), ['MD5', 'SHA-256'], 'MD5 first for phones that read only the first challenge');
  offered = ['MD5'];
  assert.deepEqual(algorithms(), ['MD5']);
  // A fixed list still works.
  const fixed = new Authenticator(REALM, SECRET, new VirtualClock(1_700_000_000_000), ACCOUNTS, { algorithms: ['SHA-256'] });
  assert.deepEqual(fixed.challengeHeaders(407, false).map((h) => parseChallenge(h.value).algorithm), ['SHA-256']);
});

test('credentials in an algorithm not offered (any more) get a fresh challenge, never authentication', () => {
  let offered: ('SHA-256' | 'MD5')[] = ['SHA-256', 'MD5'];
  const auth = new Authenticator(REALM, SECRET, new VirtualClock(1_700_000_000_000), ACCOUNTS, { algorithms: () => offered });
  const nonce = nonceOf(auth);
  offered = ['SHA-256'];
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, algorithm: 'MD5' })]), 'authorization'), { kind: 'challenge', stale: false });
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, qop: false })]), 'authorization'), { kind: 'challenge', stale: false }, 'no algorithm parameter means MD5');
  assert.equal(auth.authenticate(register([credentials({ nonce, algorithm: 'SHA-256' })]), 'authorization').kind, 'authenticated');
  offered = ['MD5'];
  assert.equal(auth.authenticate(register([credentials({ nonce, algorithm: 'SHA-256', nc: 2 })]), 'authorization').kind, 'challenge');
  assert.equal(auth.authenticate(register([credentials({ nonce, algorithm: 'MD5', nc: 3 })]), 'authorization').kind, 'authenticated');
});

test('no credentials: a plain challenge', () => {
  const { auth } = setup();
  assert.deepEqual(auth.authenticate(register([]), 'authorization'), { kind: 'challenge', stale: false });
});

test('MD5 with qop=auth: a correct response authenticates', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, algorithm: 'MD5' })]), 'authorization'), {
    kind: 'authenticated',
    username: '100',
  });
});

test('MD5 without an algorithm parameter and without qop (RFC 2069 form) authenticates', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  assert.equal(auth.authenticate(register([credentials({ nonce, qop: false })]), 'authorization').kind, 'authenticated');
  assert.equal(auth.trackedNonces, 0, 'no nonce-count to track without qop');
});

test('SHA-256 (RFC 8760): a correct response authenticates', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, algorithm: 'SHA-256' })]), 'authorization'), {
    kind: 'authenticated',
    username: '100',
  });
});

test('a wrong password is forbidden (bad-response), with either algorithm', () => {
  const { auth } = setup();
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const nonce = nonceOf(auth);
    assert.deepEqual(auth.authenticate(register([credentials({ nonce, algorithm, password: 'wrong' })]), 'authorization'), {
      kind: 'forbidden',
      username: '100',
      reason: 'bad-response',
    });
  }
});

test('an unknown user is forbidden like a wrong password (same outcome kind)', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  const unknown = auth.authenticate(register([credentials({ nonce, user: '999' })]), 'authorization');
  const wrong = auth.authenticate(register([credentials({ nonce, password: 'nope' })]), 'authorization');
  assert.deepEqual(unknown, { kind: 'forbidden', username: '999', reason: 'unknown-user' });
  assert.equal(unknown.kind, wrong.kind);
});

test('a stale nonce gets a challenge with stale=true, even with the right password', () => {
  const { clock, auth } = setup();
  const nonce = nonceOf(auth);
  clock.advance(5 * 60_000 + 1);
  assert.deepEqual(auth.authenticate(register([credentials({ nonce })]), 'authorization'), { kind: 'challenge', stale: true });
});

test('a forged nonce is ignored: plain challenge', () => {
  const { auth } = setup();
  const other = new Authenticator(REALM, Buffer.alloc(32, 9), new VirtualClock(1_700_000_000_000), ACCOUNTS);
  const nonce = nonceOf(other);
  assert.deepEqual(auth.authenticate(register([credentials({ nonce })]), 'authorization'), { kind: 'challenge', stale: false });
});

test('a replayed nonce-count gets a fresh challenge and is never authenticated', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  const first = register([credentials({ nonce, nc: 1 })]);
  assert.equal(auth.authenticate(first, 'authorization').kind, 'authenticated');
  // The very same request again (a captured message replayed outside its transaction).
  assert.deepEqual(auth.authenticate(first, 'authorization'), { kind: 'challenge', stale: false });
  assert.deepEqual(auth.authenticate(first, 'authorization'), { kind: 'challenge', stale: false });
});

test('increasing nonce-counts on one nonce are accepted; a lower one afterwards is a replay', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  for (const nc of [1, 2, 5]) {
    assert.equal(auth.authenticate(register([credentials({ nonce, nc })]), 'authorization').kind, 'authenticated', `nc ${nc}`);
  }
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, nc: 4 })]), 'authorization'), { kind: 'challenge', stale: false });
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, nc: 5 })]), 'authorization'), { kind: 'challenge', stale: false });
  assert.equal(auth.authenticate(register([credentials({ nonce, nc: 6 })]), 'authorization').kind, 'authenticated');
});

test('nonce-counts are tracked per nonce', () => {
  const { clock, auth } = setup();
  const a = nonceOf(auth);
  clock.advance(1000);
  const b = nonceOf(auth);
  assert.notEqual(a, b);
  assert.equal(auth.authenticate(register([credentials({ nonce: a, nc: 3 })]), 'authorization').kind, 'authenticated');
  assert.equal(auth.authenticate(register([credentials({ nonce: b, nc: 1 })]), 'authorization').kind, 'authenticated');
  assert.equal(auth.trackedNonces, 2);
});

test('a wrong response never advances the nonce-count', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  assert.equal(auth.authenticate(register([credentials({ nonce, nc: 9, password: 'bad' })]), 'authorization').kind, 'forbidden');
  assert.equal(auth.authenticate(register([credentials({ nonce, nc: 1 })]), 'authorization').kind, 'authenticated');
});

test('the nonce-count memory is bounded: stale entries and the oldest beyond the cap go', () => {
  const { clock, auth } = setup(1_700_000_000_000, 3);
  const nonces: string[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    const nonce = nonceOf(auth);
    nonces.push(nonce);
    assert.equal(auth.authenticate(register([credentials({ nonce })]), 'authorization').kind, 'authenticated');
    assert.ok(auth.trackedNonces <= 3);
  }
  assert.equal(auth.trackedNonces, 3);
  // The most recent ones are still protected.
  assert.equal(auth.authenticate(register([credentials({ nonce: nonces[4]! })]), 'authorization').kind, 'challenge');
  // Once every tracked nonce is stale, the next new one clears them out.
  clock.advance(5 * 60_000 + 10_000);
  const fresh = nonceOf(auth);
  assert.equal(auth.authenticate(register([credentials({ nonce: fresh })]), 'authorization').kind, 'authenticated');
  assert.equal(auth.trackedNonces, 1);
});

test('credentials for another realm are ignored: challenge', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  assert.deepEqual(auth.authenticate(register([credentials({ nonce, realm: 'elsewhere.example' })]), 'authorization'), {
    kind: 'challenge',
    stale: false,
  });
});

test('credentials of an unknown scheme are ignored; Digest beside them is still used', () => {
  const { auth } = setup();
  assert.deepEqual(auth.authenticate(register(['NoOneKnowsThisScheme opaque-data=here']), 'authorization'), { kind: 'challenge', stale: false });
  const nonce = nonceOf(auth);
  assert.equal(
    auth.authenticate(register(['NoOneKnowsThisScheme opaque-data=here', credentials({ nonce })]), 'authorization').kind,
    'authenticated',
  );
});

test('malformed Digest credentials are forbidden (malformed)', () => {
  const { auth } = setup();
  assert.deepEqual(auth.authenticate(register(['Digest username="100", realm=']), 'authorization'), {
    kind: 'forbidden',
    username: '',
    reason: 'malformed',
  });
});

test('Proxy-Authorization is read for 407 challenges, Authorization is not', () => {
  const { auth } = setup();
  const nonce = nonceOf(auth);
  const req = register([]);
  req.headers.push({ name: 'Proxy-Authorization', value: credentials({ nonce }) });
  assert.equal(auth.authenticate(req, 'proxy-authorization').kind, 'authenticated');
  assert.equal(auth.authenticate(req, 'authorization').kind, 'challenge');
});
