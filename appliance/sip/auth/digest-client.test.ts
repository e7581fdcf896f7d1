import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendHeader } from '../message/message';
import { responseTo, sipRequest } from '../testing/messages';
import { digestResponse, parseCredentials } from './digest';
import { answerChallenge } from './digest-client';

const creds = { username: 'trunk1', password: 'provider-secret', realm: '' };

function invite() {
  return sipRequest('INVITE', 'sip:5551234@provider.test;user=phone', [
    ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1'],
    ['From', '<sip:trunk1@provider.test>;tag=a'],
    ['To', '<sip:5551234@provider.test>'],
    ['Call-ID', 'c1'],
    ['CSeq', '1 INVITE'],
  ]);
}

function challenged(status: 401 | 407, ...challenges: string[]) {
  const req = invite();
  const res = responseTo(req, status);
  for (const c of challenges) appendHeader(res, status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate', c);
  return { req, res };
}

/** The server's check: recompute the response from what the header says. */
function verify(value: string, method: string, password: string): boolean {
  const c = parseCredentials(value);
  const expected = digestResponse({
    algorithm: c.algorithm ?? 'MD5',
    username: c.username,
    realm: c.realm,
    password,
    method,
    uri: c.uri,
    nonce: c.nonce,
    ...(c.qop ? { qop: c.qop as 'auth', cnonce: c.cnonce, nc: c.nc } : {}),
  });
  return expected === c.response;
}

test('407: Proxy-Authorization with SHA-256 when offered beside MD5 (RFC 8760 §2.4), qop=auth, nc given', () => {
  const { req, res } = challenged(407, 'Digest realm="p", nonce="n1", algorithm=MD5, qop="auth"', 'Digest realm="p", nonce="n2", algorithm=SHA-256, qop="auth", opaque="o"');
  const answer = answerChallenge(req, res, creds, 3)!;
  assert.equal(answer.header.name, 'Proxy-Authorization');
  const c = parseCredentials(answer.header.value);
  assert.equal(c.algorithm, 'SHA-256');
  assert.equal(c.nonce, 'n2');
  assert.equal(c.uri, 'sip:5551234@provider.test;user=phone');
  assert.equal(c.opaque, 'o');
  assert.equal(c.qop, 'auth');
  assert.equal(c.nc, '00000003');
  assert.ok(verify(answer.header.value, 'INVITE', 'provider-secret'));
  assert.ok(!verify(answer.header.value, 'INVITE', 'wrong'));
});

test('401 without algorithm and qop: the RFC 2069 form with MD5 and no algorithm parameter', () => {
  const { req, res } = challenged(401, 'Digest realm="p", nonce="n"');
  const answer = answerChallenge(req, res, creds)!;
  assert.equal(answer.header.name, 'Authorization');
  const c = parseCredentials(answer.header.value);
  assert.equal(c.algorithm, undefined);
  assert.equal(c.qop, undefined);
  assert.equal(c.cnonce, undefined);
  assert.ok(verify(answer.header.value, 'INVITE', 'provider-secret'));
});

test('a fixed realm answers only its own challenges; unknown algorithms and schemes are skipped', () => {
  const { req, res } = challenged(401, 'Basic realm="x"', 'Digest realm="other", nonce="n", algorithm=MD5', 'Digest realm="p", nonce="n", algorithm=SHA-512-256');
  assert.equal(answerChallenge(req, res, { ...creds, realm: 'p' }), undefined);
  assert.equal(answerChallenge(req, res, creds)?.challenge.realm, 'other');
});
