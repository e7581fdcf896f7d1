/**
 * The trunk registration client driven with a virtual clock and a fake TrunkNetwork.
 * Every REGISTER is serialised and parsed back before the test looks at it, and every
 * answer is built with createResponse, serialised and parsed, so both directions are
 * checked in their wire form. Digest answers are verified the way a provider would:
 * by recomputing the response with digest.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestResponse, parseCredentials, type DigestCredentials } from '../../sip/auth/digest';
import type { SipLogger } from '../../sip/logger';
import { createResponse } from '../../sip/message/build';
import { cseqOf } from '../../sip/message/headers/cseq';
import { fromOf, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, headersNamed, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseMessage } from '../../sip/message/parse';
import { serializeMessage } from '../../sip/message/serialize';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { ClientTransaction, ClientTransactionUser } from '../../sip/transaction/layer';
import { TransportError } from '../../sip/transaction/channel';
import { TrunkRegistration, type TrunkNetwork, type TrunkRegistrationConfig, type TrunkRegistrationState } from './trunk-registration';

const VIA = 'SIP/2.0/UDP 192.0.2.1:5060;rport';
const CONTACT = '<sip:trunk-x@192.0.2.1:5060>';
const PASSWORD = 'pr0vider-Secret';
const REALM = 'provider.test';
const S = 1000;

const CONFIG: TrunkRegistrationConfig = {
  name: 'carrier',
  domain: 'provider.test',
  username: '4930123456',
  authUsername: '',
  password: PASSWORD,
  realm: '',
  expires: 600,
  requestUriParams: '',
};

// --- fakes -------------------------------------------------------------------------

interface Sent {
  /** The request as parsed back from its wire form. */
  request: SipRequest;
  user: ClientTransactionUser;
  at: number;
  answered: boolean;
}

const TX = {} as ClientTransaction;

function reparse<T extends SipRequest | SipResponse>(msg: T): T {
  const r = parseMessage(serializeMessage(msg));
  if (!r.ok) assert.fail(`not parseable (${r.error.code}): ${serializeMessage(msg).toString('latin1')}`);
  return r.message as T;
}

class FakeNetwork implements TrunkNetwork {
  readonly sent: Sent[] = [];
  /** Thrown by the next sendRequest (no route, socket closed). */
  throwNext: Error | undefined;
  private branches = 0;

  constructor(private readonly clock: VirtualClock) {}

  sendRequest(request: SipRequest, user: ClientTransactionUser): void {
    if (this.throwNext) {
      const err = this.throwNext;
      this.throwNext = undefined;
      throw err;
    }
    // Like the transaction layer: the top Via gets its branch.
    const at = request.headers.findIndex((h) => h.name.toLowerCase() === 'via');
    assert.ok(at >= 0, 'REGISTER without Via');
    assert.ok(!/branch=/.test(request.headers[at]!.value), 'the layer adds the branch');
    request.headers[at] = { name: 'Via', value: `${request.headers[at]!.value};branch=z9hG4bK-t${++this.branches}` };
    this.sent.push({ request: reparse(request), user, at: this.clock.now(), answered: false });
  }

  via(): string {
    return VIA;
  }

  contact(): string {
    return CONTACT;
  }

  /** The one request still waiting for its final answer. */
  pending(): Sent {
    const open = this.sent.filter((s) => !s.answered);
    assert.equal(open.length, 1, `expected one request in flight, found ${open.length}`);
    return open[0]!;
  }

  last(): SipRequest {
    const s = this.sent.at(-1);
    assert.ok(s, 'nothing sent');
    return s.request;
  }

  /** Answer the request in flight; `headers` are added to the response. */
  answer(status: number, headers: Array<[string, string]> = []): void {
    const s = this.pending();
    if (status >= 200) s.answered = true;
    const res = createResponse(s.request, status, undefined, { toTag: 'prov1', headers: headers.map(([name, value]) => ({ name, value })) });
    s.user.onResponse(reparse(res), TX);
  }

  timeout(): void {
    const s = this.pending();
    s.answered = true;
    s.user.onTimeout(TX);
    s.user.onTerminated?.(TX);
  }

  transportError(): void {
    const s = this.pending();
    s.answered = true;
    s.user.onTransportError(TX, new TransportError('connection refused'));
    s.user.onTerminated?.(TX);
  }
}

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

function captureLogger(): { logger: SipLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function setup(config: Partial<TrunkRegistrationConfig> = {}, random: () => number = () => 0) {
  const clock = new VirtualClock();
  const net = new FakeNetwork(clock);
  const { logger, lines } = captureLogger();
  const states: TrunkRegistrationState[] = [];
  const reg = new TrunkRegistration({ config: { ...CONFIG, ...config }, network: net, clock, logger, random, onChange: (s) => states.push(s) });
  return { clock, net, reg, lines, states };
}

// --- digest helpers ------------------------------------------------------------------

function challenge(nonce: string, extra = ', algorithm=MD5, qop="auth"', realm = REALM): string {
  return `Digest realm="${realm}", nonce="${nonce}"${extra}`;
}

function credentialsIn(req: SipRequest, header: 'Authorization' | 'Proxy-Authorization'): DigestCredentials {
  const values = headersNamed(req, header);
  assert.equal(values.length, 1, `one ${header} expected`);
  return parseCredentials(values[0]!.value);
}

/** What the provider does: recompute the response from the header's own fields. */
function verify(c: DigestCredentials, password: string): boolean {
  const expected = digestResponse({
    algorithm: c.algorithm ?? 'MD5',
    username: c.username,
    realm: c.realm,
    password,
    method: 'REGISTER',
    uri: c.uri,
    nonce: c.nonce,
    ...(c.qop !== undefined ? { qop: c.qop as 'auth', cnonce: c.cnonce!, nc: c.nc! } : {}),
  });
  return expected === c.response;
}

/** The state's kind, read afresh (assert.equal narrows `reg.state` as if it could not change). */
function kindOf(reg: TrunkRegistration): TrunkRegistrationState['kind'] {
  return reg.state.kind;
}

function expiresOf(req: SipRequest): string | undefined {
  return getHeader(req, 'expires');
}

// --- tests ---------------------------------------------------------------------------

describe('TrunkRegistration: the REGISTER (RFC 3261 §10.2)', () => {
  for (const [params, uri] of [
    ['', 'sip:provider.test'],
    ['user=phone', 'sip:provider.test;user=phone'],
    ['user=phone;foo=bar', 'sip:provider.test;user=phone;foo=bar'],
    [';user=phone', 'sip:provider.test;user=phone'],
  ] as const) {
    it(`requestUriParams '${params}' → Request-URI ${uri}`, () => {
      const { net, reg } = setup({ requestUriParams: params });
      reg.start();
      assert.equal(net.sent.length, 1);
      const r = net.last();
      assert.equal(r.method, 'REGISTER');
      assert.equal(r.uri, uri);
      assert.match(getHeader(r, 'via')!, /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;rport;branch=z9hG4bK/);
      assert.equal(getHeader(r, 'max-forwards'), '70');
      const from = fromOf(r);
      const to = toOf(r);
      assert.equal(from.uri, 'sip:4930123456@provider.test');
      assert.equal(to.uri, 'sip:4930123456@provider.test');
      assert.ok(tagOf(from), 'From carries our tag');
      assert.equal(tagOf(to), undefined, 'To has no tag');
      assert.ok((getHeader(r, 'call-id') ?? '').length >= 16);
      assert.deepEqual(cseqOf(r), { seq: 1, method: 'REGISTER' });
      assert.equal(getHeader(r, 'contact'), CONTACT);
      assert.equal(expiresOf(r), '600');
      assert.match(getHeader(r, 'user-agent')!, /^EdgeSIP\/\d/);
      assert.equal(getHeader(r, 'content-length'), '0');
      assert.equal(getHeader(r, 'authorization'), undefined);
      assert.deepEqual(reg.state, { kind: 'registering' });
    });
  }

  it('escapes a user name outside the URI user characters; refuses a config that makes no URI', () => {
    const { net, reg } = setup({ username: 'a b#c' });
    reg.start();
    assert.equal(toOf(net.last()).uri, 'sip:a%20b%23c@provider.test');
    assert.throws(() => setup({ domain: 'bad host' }), TypeError);
    assert.throws(() => setup({ requestUriParams: 'user=phone?x=y' }), TypeError);
    assert.throws(() => setup({ expires: 0 }), TypeError);
  });

  it('start() twice sends one REGISTER', () => {
    const { net, reg } = setup();
    reg.start();
    reg.start();
    assert.equal(net.sent.length, 1);
  });
});

describe('TrunkRegistration: digest (§22.2, §22.3, RFC 8760)', () => {
  it('401 with MD5, qop=auth: Authorization once, with the auth user name, cnonce and nc', () => {
    const { net, reg, lines } = setup({ authUsername: 'auth-4930', requestUriParams: 'user=phone' });
    reg.start();
    const first = net.last();
    net.answer(401, [['WWW-Authenticate', challenge('n-md5', ', algorithm=MD5, qop="auth,auth-int", opaque="op1"')]]);
    assert.equal(net.sent.length, 2);
    const second = net.last();
    assert.equal(getHeader(second, 'call-id'), getHeader(first, 'call-id'));
    assert.equal(tagOf(fromOf(second)), tagOf(fromOf(first)));
    assert.deepEqual(cseqOf(second), { seq: 2, method: 'REGISTER' });
    const c = credentialsIn(second, 'Authorization');
    assert.equal(c.username, 'auth-4930');
    assert.equal(c.realm, REALM);
    assert.equal(c.nonce, 'n-md5');
    assert.equal(c.uri, 'sip:provider.test;user=phone');
    assert.equal(c.algorithm, 'MD5');
    assert.equal(c.qop, 'auth');
    assert.equal(c.nc, '00000001');
    assert.match(c.cnonce ?? '', /^[0-9a-f]{16}$/);
    assert.equal(c.opaque, 'op1');
    assert.ok(verify(c, PASSWORD));
    assert.ok(!verify(c, 'wrong'));
    net.answer(200, [['Contact', `${CONTACT};expires=600`]]);
    assert.equal(reg.state.kind, 'registered');
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(PASSWORD) && !text.includes(c.response), 'neither password nor digest response logged');
  });

  it('407 offering MD5 and SHA-256: SHA-256 in Proxy-Authorization; kept (nc 2) when the registrar then challenges', () => {
    const { net, reg } = setup();
    reg.start();
    net.answer(407, [
      ['Proxy-Authenticate', challenge('p-md5', ', algorithm=MD5, qop="auth"')],
      ['Proxy-Authenticate', challenge('p-sha', ', algorithm=SHA-256, qop="auth"')],
    ]);
    const p = credentialsIn(net.last(), 'Proxy-Authorization');
    assert.equal(p.algorithm, 'SHA-256');
    assert.equal(p.nonce, 'p-sha');
    assert.equal(p.nc, '00000001');
    assert.equal(p.response.length, 64);
    assert.ok(verify(p, PASSWORD));
    assert.equal(getHeader(net.last(), 'authorization'), undefined);

    net.answer(401, [['WWW-Authenticate', challenge('w1')]]);
    const third = net.last();
    const p2 = credentialsIn(third, 'Proxy-Authorization');
    const w = credentialsIn(third, 'Authorization');
    assert.equal(p2.nonce, 'p-sha');
    assert.equal(p2.nc, '00000002');
    assert.ok(verify(p2, PASSWORD));
    assert.equal(w.algorithm, 'MD5');
    assert.equal(w.response.length, 32);
    assert.ok(verify(w, PASSWORD));
    net.answer(200);
    assert.equal(reg.state.kind, 'registered');
  });

  it('SHA-256 alone, and a challenge without qop gets the RFC 2069 form', () => {
    const a = setup();
    a.reg.start();
    a.net.answer(401, [['WWW-Authenticate', challenge('s', ', algorithm=SHA-256, qop="auth"')]]);
    const s = credentialsIn(a.net.last(), 'Authorization');
    assert.equal(s.algorithm, 'SHA-256');
    assert.ok(verify(s, PASSWORD));

    const b = setup();
    b.reg.start();
    b.net.answer(401, [['WWW-Authenticate', challenge('plain', '')]]);
    const c = credentialsIn(b.net.last(), 'Authorization');
    assert.equal(c.qop, undefined);
    assert.equal(c.nc, undefined);
    assert.equal(c.cnonce, undefined);
    assert.equal(c.algorithm, undefined);
    assert.ok(verify(c, PASSWORD));
  });

  it('the nonce is reused on refresh with the next nc; a fresh challenge to reused credentials is answered, not a rejection', () => {
    const { clock, net, reg, lines } = setup();
    reg.start();
    net.answer(401, [['WWW-Authenticate', challenge('n1')]]);
    net.answer(200, [['Expires', '600']]);
    clock.advance(300 * S);
    const refresh = credentialsIn(net.last(), 'Authorization');
    assert.equal(refresh.nonce, 'n1');
    assert.equal(refresh.nc, '00000002');
    assert.ok(verify(refresh, PASSWORD));
    // This provider wants a new nonce every time and does not say stale=true.
    net.answer(401, [['WWW-Authenticate', challenge('n2')]]);
    const answer = credentialsIn(net.last(), 'Authorization');
    assert.equal(answer.nonce, 'n2');
    assert.equal(answer.nc, '00000001');
    net.answer(200, [['Expires', '600']]);
    assert.equal(reg.state.kind, 'registered');
    assert.equal(lines.filter((l) => l.level === 'warn').length, 0);
  });

  it('stale=true after our answer: answered again with the new nonce, not counted as rejected', () => {
    const { net, reg, lines } = setup();
    reg.start();
    net.answer(401, [['WWW-Authenticate', challenge('old')]]);
    net.answer(401, [['WWW-Authenticate', challenge('new', ', algorithm=MD5, qop="auth", stale=TRUE')]]);
    assert.equal(net.sent.length, 3);
    assert.equal(credentialsIn(net.last(), 'Authorization').nonce, 'new');
    net.answer(200);
    assert.equal(reg.state.kind, 'registered');
    assert.equal(lines.filter((l) => l.level === 'warn').length, 0);
  });

  it('a fixed realm ignores challenges for other realms: failed, no answer sent', () => {
    const { net, reg } = setup({ realm: REALM });
    reg.start();
    net.answer(401, [['WWW-Authenticate', challenge('x', ', qop="auth"', 'elsewhere.test')]]);
    assert.equal(net.sent.length, 1);
    assert.equal(reg.state.kind, 'failed');
    assert.equal((reg.state as { status: number }).status, 401);
  });
});

describe('TrunkRegistration: 2xx and refresh (§10.2.4)', () => {
  it("our Contact's expires wins over Expires; refresh at half; Expires next; else the requested value", () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.answer(200, [
      ['Contact', '<sip:other@198.51.100.9>;expires=900'],
      ['Contact', `${CONTACT};expires=120`],
      ['Expires', '600'],
    ]);
    assert.deepEqual(reg.state, { kind: 'registered', expiresAt: 120 * S, contactExpires: 120 });
    clock.advance(60 * S - 1);
    assert.equal(net.sent.length, 1);
    clock.advance(1);
    assert.equal(net.sent.length, 2);
    assert.equal(net.sent[1]!.at, 60 * S);
    assert.equal(reg.state.kind, 'registered', 'a refresh keeps the state');

    net.answer(200, [['Expires', '300']]);
    assert.deepEqual(reg.state, { kind: 'registered', expiresAt: 360 * S, contactExpires: 300 });
    clock.advance(150 * S);
    assert.equal(net.sent.length, 3);

    net.answer(200);
    assert.deepEqual(reg.state, { kind: 'registered', expiresAt: 810 * S, contactExpires: 600 });
    clock.advance(300 * S);
    assert.equal(net.sent.length, 4);
  });

  it('a short grant is refreshed 5 s before expiry; a NAT-rewritten single Contact with our user counts as ours', () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.answer(200, [['Contact', `${CONTACT};expires=8`]]);
    clock.advance(3 * S);
    assert.equal(net.sent.length, 2, 'refresh at 3 s of 8');
    net.answer(200, [
      ['Contact', '<sip:trunk-x@203.0.113.5:40123>;expires=200'],
      ['Expires', '600'],
    ]);
    assert.equal((reg.state as { contactExpires: number }).contactExpires, 200);
  });

  it('Call-ID constant, CSeq up by one across challenges, refreshes, failures and the unregister', async () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.answer(401, [['WWW-Authenticate', challenge('a')]]);
    net.answer(200, [['Expires', '100']]);
    clock.advance(50 * S);
    net.answer(200, [['Expires', '100']]);
    clock.advance(50 * S);
    net.answer(500);
    clock.advance(30 * S);
    net.answer(200, [['Expires', '100']]);
    const done = reg.stop();
    net.answer(200);
    await done;
    const ids = new Set(net.sent.map((s) => getHeader(s.request, 'call-id')));
    assert.equal(ids.size, 1);
    const tags = new Set(net.sent.map((s) => tagOf(fromOf(s.request))));
    assert.equal(tags.size, 1);
    assert.deepEqual(
      net.sent.map((s) => cseqOf(s.request).seq),
      net.sent.map((_, i) => i + 1),
    );
  });

  it('logs "registered" once per transition, not on every refresh; onChange sees each state', () => {
    const { clock, net, reg, lines, states } = setup();
    reg.start();
    net.answer(200, [['Expires', '60']]);
    for (let i = 0; i < 3; i++) {
      clock.advance(30 * S);
      net.answer(200, [['Expires', '60']]);
    }
    assert.equal(lines.filter((l) => l.level === 'info' && l.msg === 'trunk registered').length, 1);
    assert.deepEqual(
      states.map((s) => s.kind),
      ['registering', 'registered', 'registered', 'registered', 'registered'],
    );
  });
});

describe('TrunkRegistration: 423, failures, backoff, Retry-After', () => {
  it('423: at once again with Min-Expires, which later refreshes keep (§10.2.8)', () => {
    const { clock, net, reg } = setup({ expires: 60 });
    reg.start();
    net.answer(423, [['Min-Expires', '300']]);
    assert.equal(net.sent.length, 2);
    assert.equal(net.sent[1]!.at, 0);
    assert.equal(expiresOf(net.last()), '300');
    assert.deepEqual(cseqOf(net.last()), { seq: 2, method: 'REGISTER' });
    net.answer(200);
    assert.deepEqual(reg.state, { kind: 'registered', expiresAt: 300 * S, contactExpires: 300 });
    clock.advance(150 * S);
    assert.equal(expiresOf(net.last()), '300');
  });

  it('423 without a usable Min-Expires is a failure', () => {
    const { net, reg } = setup({ expires: 60 });
    reg.start();
    net.answer(423);
    assert.equal(net.sent.length, 1);
    assert.equal(reg.state.kind, 'failed');
  });

  it('backoff 30 s, 60 s, 120 s … capped at 30 min; a 2xx starts over', () => {
    const { clock, net, reg, lines } = setup();
    reg.start();
    const expected = [30, 60, 120, 240, 480, 960, 1800, 1800];
    for (const delay of expected) {
      const now = clock.now();
      net.answer(500);
      assert.deepEqual(reg.state, { kind: 'failed', status: 500, reason: 'Server Internal Error', retryAt: now + delay * S });
      const warn = lines.at(-1)!;
      assert.equal(warn.level, 'warn');
      assert.deepEqual(warn.obj, { trunk: 'carrier', status: 500, reason: 'Server Internal Error', retryInSeconds: delay });
      const count = net.sent.length;
      clock.advance(delay * S - 1);
      assert.equal(net.sent.length, count);
      clock.advance(1);
      assert.equal(net.sent.length, count + 1, `retry after ${delay} s`);
      assert.equal(reg.state.kind, 'registering');
    }
    net.timeout();
    assert.deepEqual(reg.state, { kind: 'unreachable', retryAt: clock.now() + 1800 * S });
    clock.advance(1800 * S);
    net.answer(200, [['Expires', '600']]);
    clock.advance(300 * S);
    net.answer(404);
    assert.deepEqual(reg.state, { kind: 'failed', status: 404, reason: 'Not Found', retryAt: clock.now() + 30 * S });
  });

  it('jitter takes up to 20 % off, never more than the cap', () => {
    for (const [r, ms] of [
      [0.5, 27_000],
      [0.999, 24_006],
    ] as const) {
      const { net, reg } = setup({}, () => r);
      reg.start();
      net.answer(480);
      assert.equal((reg.state as { retryAt: number }).retryAt, ms);
    }
  });

  it('timeout, transport error and a throwing send are "unreachable"', () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.timeout();
    assert.deepEqual(reg.state, { kind: 'unreachable', retryAt: 30 * S });
    clock.advance(30 * S);
    net.transportError();
    assert.deepEqual(reg.state, { kind: 'unreachable', retryAt: 90 * S });
    net.throwNext = new TransportError('no route');
    clock.advance(60 * S);
    assert.deepEqual(reg.state, { kind: 'unreachable', retryAt: 210 * S });
  });

  it('503 Retry-After is honoured within 1 s .. 1 h; 503 without it backs off', () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.answer(503, [['Retry-After', '120']]);
    assert.equal((reg.state as { retryAt: number }).retryAt, 120 * S);
    clock.advance(120 * S);
    net.answer(503, [['Retry-After', '0']]);
    assert.equal((reg.state as { retryAt: number }).retryAt, 121 * S);
    clock.advance(1 * S);
    net.answer(503, [['Retry-After', '18000 (maintenance);duration=600']]);
    assert.equal((reg.state as { retryAt: number }).retryAt, 3721 * S);
    clock.advance(3600 * S);
    net.answer(503);
    // The fourth consecutive failure: 30 s * 2^3.
    assert.equal((reg.state as { retryAt: number }).retryAt, (3721 + 240) * S);
  });
});

describe('TrunkRegistration: rejected credentials', () => {
  /** One attempt the provider refuses: challenge, our answer, challenge again. */
  function refuse(net: FakeNetwork, round: number): void {
    assert.equal(getHeader(net.last(), 'authorization'), undefined, 'a new attempt starts without the refused nonce');
    net.answer(401, [['WWW-Authenticate', challenge(`r${round}a`)]]);
    net.answer(401, [['WWW-Authenticate', challenge(`r${round}b`)]]);
  }

  it('after 3 rejections: wrong-credentials, then one attempt per hour', () => {
    const { clock, net, reg, lines } = setup();
    reg.start();
    refuse(net, 1);
    assert.deepEqual(reg.state, { kind: 'failed', status: 401, reason: 'Unauthorized', retryAt: 30 * S });
    clock.advance(30 * S);
    refuse(net, 2);
    assert.deepEqual(reg.state, { kind: 'failed', status: 401, reason: 'Unauthorized', retryAt: 90 * S });
    clock.advance(60 * S);
    refuse(net, 3);
    assert.deepEqual(reg.state, { kind: 'wrong-credentials', status: 401, retryAt: 90 * S + 3600 * S });
    assert.equal(net.sent.length, 6);
    const warn = lines.at(-1)!;
    assert.equal(warn.level, 'warn');
    assert.deepEqual(warn.obj, { trunk: 'carrier', status: 401, rejections: 3, retryInSeconds: 3600 });

    clock.advance(3600 * S - 1);
    assert.equal(net.sent.length, 6, 'quiet for an hour');
    clock.advance(1);
    assert.equal(net.sent.length, 7, 'still retried: the provider side may be fixed');
    refuse(net, 4);
    assert.deepEqual(reg.state, { kind: 'wrong-credentials', status: 401, retryAt: 90 * S + 7200 * S });
    clock.advance(3600 * S);
    net.answer(401, [['WWW-Authenticate', challenge('fixed')]]);
    net.answer(200);
    assert.equal(reg.state.kind, 'registered');

    const text = JSON.stringify(lines);
    assert.ok(!text.includes(PASSWORD), 'password never logged');
    for (const s of net.sent) {
      const auth = getHeader(s.request, 'authorization');
      if (auth !== undefined) assert.ok(!text.includes(parseCredentials(auth).response), 'digest response never logged');
    }
  });

  it('403 counts as a rejection, as does 407 twice for the same credentials', () => {
    const { clock, net, reg } = setup();
    reg.start();
    net.answer(403);
    clock.advance(30 * S);
    net.answer(407, [['Proxy-Authenticate', challenge('p1')]]);
    net.answer(407, [['Proxy-Authenticate', challenge('p2')]]);
    assert.equal(reg.state.kind, 'failed');
    clock.advance(60 * S);
    net.answer(403);
    assert.deepEqual(reg.state, { kind: 'wrong-credentials', status: 403, retryAt: 90 * S + 3600 * S });
  });

  it('update() with new credentials leaves wrong-credentials at once; unchanged ones do not', () => {
    const { clock, net, reg, states } = setup();
    reg.start();
    net.answer(403);
    clock.advance(30 * S);
    net.answer(403);
    clock.advance(60 * S);
    net.answer(403);
    assert.equal(reg.state.kind, 'wrong-credentials');
    const sent = net.sent.length;

    reg.update({ ...CONFIG });
    reg.update({ ...CONFIG, expires: 900 });
    reg.update({ ...CONFIG, expires: 900, name: 'renamed' });
    assert.equal(net.sent.length, sent, 'no request without new credentials');
    assert.equal(reg.state.kind, 'wrong-credentials');

    reg.update({ ...CONFIG, expires: 900, password: 'new-secret' });
    assert.equal(net.sent.length, sent + 1);
    assert.equal(reg.state.kind, 'registering');
    assert.equal(states.at(-1)!.kind, 'registering');
    assert.equal(expiresOf(net.last()), '900');
    net.answer(401, [['WWW-Authenticate', challenge('k')]]);
    const c = credentialsIn(net.last(), 'Authorization');
    assert.ok(verify(c, 'new-secret'));
    net.answer(200);
    assert.equal(kindOf(reg), 'registered');
    assert.equal(clock.pending(), 1, 'only the refresh timer');
  });

  it('update() while a REGISTER is in flight waits for its final response (§10.2)', () => {
    const { net, reg } = setup();
    reg.start();
    reg.update({ ...CONFIG, username: '4930999' });
    assert.equal(net.sent.length, 1);
    net.answer(200);
    assert.equal(net.sent.length, 2);
    assert.equal(toOf(net.last()).uri, 'sip:4930999@provider.test');
    net.answer(200);
    assert.equal(reg.state.kind, 'registered');
  });
});

describe('TrunkRegistration: stop()', () => {
  it('sends Expires: 0 for our Contact, answers a challenge, resolves, leaves no timer', async () => {
    const { clock, net, reg, lines } = setup();
    reg.start();
    net.answer(200, [['Expires', '600']]);
    let resolved = false;
    const done = reg.stop();
    assert.ok(done instanceof Promise);
    void done.then(() => (resolved = true));
    const unreg = net.last();
    assert.equal(expiresOf(unreg), '0');
    assert.equal(getHeader(unreg, 'contact'), CONTACT);
    assert.equal(cseqOf(unreg).seq, 2);
    net.answer(401, [['WWW-Authenticate', challenge('u')]]);
    const c = credentialsIn(net.last(), 'Authorization');
    assert.equal(expiresOf(net.last()), '0');
    assert.ok(verify(c, PASSWORD));
    await Promise.resolve();
    assert.equal(resolved, false);
    net.answer(200);
    await done;
    assert.deepEqual(reg.state, { kind: 'idle' });
    assert.equal(clock.pending(), 0);
    assert.ok(lines.some((l) => l.level === 'info' && l.msg === 'trunk unregistered'));
    clock.advance(86_400 * S);
    assert.equal(net.sent.length, 3);
  });

  it('without a binding nothing is sent', () => {
    const { clock, net, reg } = setup();
    assert.equal(reg.stop(), undefined);
    reg.start();
    net.answer(500);
    assert.equal(reg.stop(), undefined);
    assert.deepEqual(reg.state, { kind: 'idle' });
    assert.equal(clock.pending(), 0);
    assert.equal(net.sent.length, 1);
  });

  it('while a REGISTER is in flight: waits for it, unregisters only if it created a binding', async () => {
    const a = setup();
    a.reg.start();
    const doneA = a.reg.stop();
    assert.equal(a.net.sent.length, 1, '§10.2: no second REGISTER while one is in flight');
    a.net.answer(200);
    assert.equal(expiresOf(a.net.last()), '0');
    a.net.timeout();
    await doneA;
    assert.deepEqual(a.reg.state, { kind: 'idle' });

    const b = setup();
    b.reg.start();
    const doneB = b.reg.stop();
    b.net.answer(403);
    await doneB;
    assert.equal(b.net.sent.length, 1);
    assert.deepEqual(b.reg.state, { kind: 'idle' });
    assert.equal(b.clock.pending(), 0);
  });

  it('start() during the unregister registers again once it is done', async () => {
    const { net, reg } = setup();
    reg.start();
    net.answer(200);
    const done = reg.stop();
    reg.start();
    assert.equal(net.sent.length, 2);
    net.answer(200);
    await done;
    assert.equal(net.sent.length, 3);
    assert.equal(expiresOf(net.last()), '600');
    net.answer(200);
    assert.equal(reg.state.kind, 'registered');
  });
});
