import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  SipAuthError,
  computeHA1,
  digestResponse,
  formatChallenge,
  formatCredentials,
  formatNonceCount,
  normalizeAlgorithm,
  parseAuthorization,
  parseChallenge,
  parseCredentials,
  type DigestChallenge,
  type DigestCredentials,
} from './digest';

function assertAuthError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SipAuthError, `expected SipAuthError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

// RFC 2617 §3.5: the worked example (password "Circle Of Life", capital O).
const RFC2617 = {
  username: 'Mufasa',
  realm: 'testrealm@host.com',
  password: 'Circle Of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
  nc: '00000001',
  cnonce: '0a4f113b',
  qop: 'auth' as const,
  opaque: '5ccc069c403ebaf9f0171e9517f40e41',
  response: '6629fae49393a05397450978507c4ef1',
};

// RFC 7616 §3.9.1: same request with both algorithms (password "Circle of Life").
const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth' as const,
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  md5: '8ca523f5e9506fed4657c9700eebdbec',
  sha256: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
};

test('RFC 2617 §3.5 example response', () => {
  const { response, opaque: _opaque, ...input } = RFC2617;
  assert.equal(digestResponse(input), response);
  assert.equal(digestResponse({ ...input, algorithm: 'MD5' }), response);
});

test('RFC 2617 §3.5 Authorization header parses and verifies', () => {
  const header =
    'Digest username="Mufasa",\r\n realm="testrealm@host.com",\r\n nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n' +
    ' uri="/dir/index.html",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce="0a4f113b",\r\n' +
    ' response="6629fae49393a05397450978507c4ef1",\r\n opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const c = parseCredentials(header);
  assert.equal(c.username, 'Mufasa');
  assert.equal(c.qop, 'auth');
  assert.equal(c.nc, '00000001');
  assert.equal(c.opaque, RFC2617.opaque);
  const expected = digestResponse({
    password: RFC2617.password,
    username: c.username,
    realm: c.realm,
    method: 'GET',
    uri: c.uri,
    nonce: c.nonce,
    qop: 'auth',
    nc: c.nc,
    cnonce: c.cnonce,
  });
  assert.equal(expected, c.response);
});

test('RFC 7616 §3.9.1 MD5 and SHA-256 responses', () => {
  const { md5, sha256, opaque: _opaque, ...input } = RFC7616;
  assert.equal(digestResponse({ ...input, algorithm: 'MD5' }), md5);
  assert.equal(digestResponse({ ...input, algorithm: 'SHA-256' }), sha256);
});

test('RFC 7616 §3.9.1 with a stored HA1 instead of the password', () => {
  const { md5, sha256, opaque: _opaque, password, ...input } = RFC7616;
  const ha1Md5 = computeHA1('MD5', input.username, input.realm, password);
  const ha1Sha = computeHA1('SHA-256', input.username, input.realm, password);
  assert.equal(ha1Md5.length, 32);
  assert.equal(ha1Sha.length, 64);
  assert.equal(ha1Md5, createHash('md5').update('Mufasa:http-auth@example.org:Circle of Life').digest('hex'));
  assert.equal(digestResponse({ ...input, algorithm: 'MD5', ha1: ha1Md5 }), md5);
  assert.equal(digestResponse({ ...input, algorithm: 'SHA-256', ha1: ha1Sha }), sha256);
  // Upper-case hex from a database still works.
  assert.equal(digestResponse({ ...input, algorithm: 'SHA-256', ha1: ha1Sha.toUpperCase() }), sha256);
});

test('RFC 7616 §3.9.1 challenge and both credentials parse', () => {
  const challenge = parseChallenge(
    'Digest\r\n    realm="http-auth@example.org",\r\n    qop="auth, auth-int",\r\n    algorithm=SHA-256,\r\n' +
      '    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  );
  assert.deepEqual(challenge, {
    realm: RFC7616.realm,
    nonce: RFC7616.nonce,
    algorithm: 'SHA-256',
    qop: ['auth', 'auth-int'],
    opaque: RFC7616.opaque,
    other: [],
  });
  for (const [algorithm, response] of [
    ['MD5', RFC7616.md5],
    ['SHA-256', RFC7616.sha256],
  ] as const) {
    const c = parseCredentials(
      `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=${algorithm}, ` +
        `nonce="${RFC7616.nonce}", nc=00000001, cnonce="${RFC7616.cnonce}", qop=auth, ` +
        `response="${response}", opaque="${RFC7616.opaque}"`,
    );
    assert.equal(c.algorithm, algorithm);
    assert.equal(
      digestResponse({ algorithm, password: RFC7616.password, method: 'GET', ...c, qop: 'auth' }),
      c.response,
    );
  }
});

test('SIP REGISTER challenge as phones send it, and the RFC 2069 form without qop', () => {
  const challenge = parseChallenge('Digest realm="atlanta.com", domain="sip:ss1.carrier.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5');
  assert.equal(challenge.domain, 'sip:ss1.carrier.com');
  assert.equal(challenge.opaque, '');
  assert.equal(challenge.stale, false);
  assert.deepEqual(challenge.qop, ['auth']);

  const noQop = digestResponse({
    password: 'secret',
    username: 'bob',
    realm: 'biloxi.com',
    method: 'REGISTER',
    uri: 'sip:biloxi.com',
    nonce: 'abc',
  });
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  assert.equal(noQop, md5(`${md5('bob:biloxi.com:secret')}:abc:${md5('REGISTER:sip:biloxi.com')}`));
});

test('-sess variants fold nonce and cnonce into HA1', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const ha1 = sha('u:r:p');
  const sessHa1 = sha(`${ha1}:n:c`);
  const expected = sha(`${sessHa1}:n:00000002:c:auth:${sha('INVITE:sip:x@y')}`);
  const input = { username: 'u', realm: 'r', method: 'INVITE', uri: 'sip:x@y', nonce: 'n', cnonce: 'c', nc: '00000002', qop: 'auth' as const };
  assert.equal(digestResponse({ ...input, algorithm: 'SHA-256-sess', password: 'p' }), expected);
  assert.equal(digestResponse({ ...input, algorithm: 'sha-256-SESS', ha1 }), expected);
  // The -sess form cannot be computed without a cnonce.
  assertAuthError(() => digestResponse({ ...input, cnonce: undefined, algorithm: 'MD5-sess', password: 'p' }), 'SIP_ERR_AUTH_INPUT');
});

test('qop=auth-int hashes the body into A2', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const body = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n';
  const ha1 = md5('u:r:p');
  const ha2 = md5(`INVITE:sip:x@y:${md5(body)}`);
  const input = { username: 'u', realm: 'r', password: 'p', method: 'INVITE', uri: 'sip:x@y', nonce: 'n', cnonce: 'c', nc: '00000001' };
  assert.equal(digestResponse({ ...input, qop: 'auth-int', body }), md5(`${ha1}:n:00000001:c:auth-int:${ha2}`));
  assert.equal(digestResponse({ ...input, qop: 'auth-int', body: Buffer.from(body) }), md5(`${ha1}:n:00000001:c:auth-int:${ha2}`));
});

test('SHA-512-256 uses the FIPS 180-4 truncated hash', () => {
  // FIPS 180-4 / NIST example: SHA-512/256("abc").
  assert.equal(
    createHash('sha512-256').update('abc').digest('hex'),
    '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23',
  );
  assert.equal(computeHA1('SHA-512-256', 'a', 'b', 'c'), createHash('sha512-256').update('a:b:c').digest('hex'));
});

test('computation errors are typed', () => {
  const base = { username: 'u', realm: 'r', method: 'M', uri: 'sip:a', nonce: 'n' };
  assertAuthError(() => digestResponse({ ...base, password: 'p', algorithm: 'SHA-1' }), 'SIP_ERR_AUTH_ALGORITHM');
  assertAuthError(() => computeHA1('AKAv1-MD5', 'u', 'r', 'p'), 'SIP_ERR_AUTH_ALGORITHM');
  assertAuthError(() => digestResponse({ ...base, password: 'p', qop: 'auth', cnonce: 'c' }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => digestResponse({ ...base, password: 'p', qop: 'auth', nc: '00000001' }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => digestResponse({ ...base, ha1: 'not-hex' }), 'SIP_ERR_AUTH_INPUT');
});

test('normalizeAlgorithm is case-insensitive and soft on unknown names', () => {
  assert.equal(normalizeAlgorithm('md5'), 'MD5');
  assert.equal(normalizeAlgorithm('Sha-256'), 'SHA-256');
  assert.equal(normalizeAlgorithm('md5-SESS'), 'MD5-sess');
  assert.equal(normalizeAlgorithm('AKAv1-MD5'), undefined);
});

test('real-world header forms: spacing, case, unquoted values, escapes', () => {
  const c = parseChallenge('digest   REALM = "a\\"b\\\\c" ,NONCE="n1",Algorithm = md5 ,qop=auth,  STALE="true"');
  assert.equal(c.realm, 'a"b\\c');
  assert.equal(c.nonce, 'n1');
  assert.equal(c.algorithm, 'md5');
  assert.equal(normalizeAlgorithm(c.algorithm ?? ''), 'MD5');
  assert.deepEqual(c.qop, ['auth']);
  assert.equal(c.stale, true);

  const tabs = parseChallenge('Digest\trealm="r",\tnonce="n",\tstale=true');
  assert.equal(tabs.stale, true);
  assert.equal(parseChallenge('Digest realm="r", nonce="n", stale=no').stale, false);

  // Quoted qop and nc (some clients do it), unquoted username, escaped quote in uri.
  const cred = parseCredentials('Digest username=alice,realm="r",nonce="n",uri="sip:a\\"b@c",response="00ff",qop="auth",nc="0000000A",cnonce="x y"');
  assert.equal(cred.username, 'alice');
  assert.equal(cred.uri, 'sip:a"b@c');
  assert.equal(cred.qop, 'auth');
  assert.equal(cred.nc, '0000000A');
  assert.equal(cred.cnonce, 'x y');

  // UTF-8 in a quoted string is kept as is.
  assert.equal(parseCredentials('Digest username="Jäsøn", realm="r", nonce="n", uri="u", response="r"').username, 'Jäsøn');
});

test('unknown params are kept and replayed', () => {
  const c = parseChallenge('Digest realm="r", nonce="n", charset=UTF-8, userhash=true, x-vendor="a,b"');
  assert.deepEqual(c.other, [
    { name: 'charset', value: 'UTF-8', quoted: false },
    { name: 'userhash', value: 'true', quoted: false },
    { name: 'x-vendor', value: 'a,b', quoted: true },
  ]);
  assert.equal(formatChallenge(c), 'Digest realm="r", nonce="n", charset=UTF-8, userhash=true, x-vendor="a,b"');
});

test('parseAuthorization exposes the scheme so unknown schemes can be skipped', () => {
  const basic = parseAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  assert.equal(basic.scheme, 'Basic');
  assert.equal(basic.token68, 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  assert.equal(basic.params.size, 0);

  const other = parseAuthorization('NTLM realm="r", targetname="t"');
  assert.equal(other.scheme, 'NTLM');
  assert.equal(other.params.get('targetname')?.value, 't');

  assert.equal(parseAuthorization('Negotiate').scheme, 'Negotiate');

  const digest = parseAuthorization('DIGEST realm="r", nonce="n"');
  assert.equal(digest.scheme, 'DIGEST');
  assert.equal(digest.params.get('realm')?.quoted, true);

  assertAuthError(() => parseChallenge('Basic realm="r"'), 'SIP_ERR_AUTH_SCHEME');
  assertAuthError(() => parseCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), 'SIP_ERR_AUTH_SCHEME');
});

test('garbage throws SIP_ERR_AUTH_SYNTAX, never an untyped error', () => {
  const bad = [
    '',
    '   ',
    '"Digest"',
    'Digest realm',
    'Digest realm=',
    'Digest realm="unterminated',
    'Digest realm="r" nonce="n"',
    'Digest realm="r",, nonce="n"',
    'Digest realm="r", nonce="n",',
    'Digest ,realm="r", nonce="n"',
    'Digest realm="r", nonce="n", realm="other"',
    'Digest realm="r", =x',
    'Digest realm="r",\r\nnonce="n"', // bare CRLF: not a folded line
    'Digest realm="a\nb", nonce="n"',
    'Digest realm="a\\\nb", nonce="n"',
    'Digest realm="r", nonce="n"\u0000',
    'Digest nonce="n"', // realm missing
    'Digest realm="r"', // nonce missing
    'Digest realm="r", nonce="n", qop=""',
    'Digest realm="r", nonce="n", qop="auth, a b"',
    'Digest realm=r@x, nonce="n"', // '@' is not a token char
    'Digest="x"',
    'Digest realm="r", nonce="n" trailing',
    'Digest\u00a0realm="r", nonce="n"',
  ];
  for (const value of bad) {
    assert.throws(
      () => parseChallenge(value),
      (err: unknown) => err instanceof SipAuthError && err.code === 'SIP_ERR_AUTH_SYNTAX',
      `should reject ${JSON.stringify(value)}`,
    );
  }

  const credBase = 'Digest username="u", realm="r", nonce="n", uri="sip:a", response="00"';
  const badCredentials = [
    'Digest username="u", realm="r", nonce="n", uri="sip:a"', // response missing
    `${credBase}, qop=auth, nc=00000001`, // cnonce missing
    `${credBase}, qop=auth, cnonce="c"`, // nc missing
    `${credBase}, qop=auth, cnonce="c", nc=1`, // nc not 8 hex
    `${credBase}, qop=auth, cnonce="c", nc=0000000g`,
    `${credBase}, qop="auth,auth-int", cnonce="c", nc=00000001`, // a list, not one qop
  ];
  for (const value of badCredentials) {
    assert.throws(
      () => parseCredentials(value),
      (err: unknown) => err instanceof SipAuthError && err.code === 'SIP_ERR_AUTH_SYNTAX',
      `should reject ${JSON.stringify(value)}`,
    );
  }

  // Random bytes never produce anything but the typed error (or a result).
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = 'Digest realm=nonce"\\, \t\r\n=qopauth\u00ff\u0001';
  for (let k = 0; k < 2000; k++) {
    let value = '';
    const len = Math.floor(rnd() * 40);
    for (let j = 0; j < len; j++) value += alphabet[Math.floor(rnd() * alphabet.length)];
    for (const parse of [parseAuthorization, parseChallenge, parseCredentials]) {
      try {
        parse(value);
      } catch (err) {
        assert.ok(err instanceof SipAuthError, `untyped error for ${JSON.stringify(value)}: ${String(err)}`);
      }
    }
  }
});

test('formatChallenge quotes what RFC 7616 quotes, and round-trips', () => {
  const challenge: DigestChallenge = {
    realm: 'edge "lab" \\ 1',
    domain: 'sip:a.example sip:b.example',
    nonce: 'bm9uY2U=',
    opaque: 'op',
    stale: true,
    algorithm: 'SHA-256',
    qop: ['auth', 'auth-int'],
    other: [],
  };
  const text = formatChallenge(challenge);
  assert.equal(
    text,
    'Digest realm="edge \\"lab\\" \\\\ 1", domain="sip:a.example sip:b.example", nonce="bm9uY2U=", opaque="op", stale=TRUE, algorithm=SHA-256, qop="auth,auth-int"',
  );
  assert.deepEqual(parseChallenge(text), challenge);

  const minimal: DigestChallenge = { realm: 'r', nonce: 'n', other: [] };
  assert.equal(formatChallenge(minimal), 'Digest realm="r", nonce="n"');
  assert.deepEqual(parseChallenge(formatChallenge(minimal)), minimal);
});

test('formatCredentials leaves algorithm, qop and nc unquoted, and round-trips', () => {
  const { md5: _md5, sha256, password: _password, method: _method, ...fields } = RFC7616;
  const credentials: DigestCredentials = { ...fields, response: sha256, algorithm: 'SHA-256', other: [] };
  const text = formatCredentials(credentials);
  assert.equal(
    text,
    `Digest username="Mufasa", realm="http-auth@example.org", nonce="${RFC7616.nonce}", uri="/dir/index.html", ` +
      `response="${sha256}", algorithm=SHA-256, cnonce="${RFC7616.cnonce}", opaque="${RFC7616.opaque}", qop=auth, nc=00000001`,
  );
  assert.deepEqual(parseCredentials(text), credentials);

  const odd: DigestCredentials = {
    username: 'a"b\\c',
    realm: 'r',
    nonce: 'n',
    uri: 'sip:bob@biloxi.com;transport=tcp',
    response: 'ff',
    other: [{ name: 'x-extra', value: 'v w', quoted: false }],
  };
  const back = parseCredentials(formatCredentials(odd));
  // A value that is not a token is quoted on the way out, whatever `quoted` said.
  assert.deepEqual(back, { ...odd, other: [{ name: 'x-extra', value: 'v w', quoted: true }] });
});

test('formatting refuses values that would break the header', () => {
  assertAuthError(() => formatChallenge({ realm: 'a\r\nVia: x', nonce: 'n', other: [] }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatChallenge({ realm: 'r', nonce: 'n', algorithm: 'MD5, x=1', other: [] }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatChallenge({ realm: 'r', nonce: 'n', qop: [], other: [] }), 'SIP_ERR_AUTH_INPUT');
  const c: DigestCredentials = { username: 'u', realm: 'r', nonce: 'n', uri: 'u', response: 'x', other: [] };
  assertAuthError(() => formatCredentials({ ...c, nc: '1' }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatCredentials({ ...c, qop: 'auth int' }), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatCredentials({ ...c, other: [{ name: 'bad name', value: 'v', quoted: true }] }), 'SIP_ERR_AUTH_INPUT');
});

test('formatNonceCount', () => {
  assert.equal(formatNonceCount(1), '00000001');
  assert.equal(formatNonceCount(255), '000000ff');
  assert.equal(formatNonceCount(0xffffffff), 'ffffffff');
  assertAuthError(() => formatNonceCount(0), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatNonceCount(2 ** 32), 'SIP_ERR_AUTH_INPUT');
  assertAuthError(() => formatNonceCount(1.5), 'SIP_ERR_AUTH_INPUT');
});
