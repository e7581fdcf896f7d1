import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createNonce, nonceIssuedAt, verifyNonce } from './nonce';

const secret = randomBytes(32);

test('a fresh nonce verifies, and carries its issue time', () => {
  const n = createNonce(secret, 1_000_000);
  assert.equal(verifyNonce(n, secret, 1_000_500, 300_000), 'valid');
  assert.equal(nonceIssuedAt(n), 1_000_000);
});

test('an old nonce is stale, not invalid (so the client retries without asking the user)', () => {
  const n = createNonce(secret, 1_000_000);
  assert.equal(verifyNonce(n, secret, 1_000_000 + 300_001, 300_000), 'stale');
});

test('a nonce under another secret, a tampered one, or garbage is invalid', () => {
  const n = createNonce(secret, 1_000_000);
  assert.equal(verifyNonce(n, randomBytes(32), 1_000_000, 300_000), 'invalid');
  const raw = Buffer.from(n, 'base64url');
  raw[0] = raw[0]! ^ 1; // shift the timestamp: the MAC no longer matches
  assert.equal(verifyNonce(raw.toString('base64url'), secret, 1_000_000, 300_000), 'invalid');
  assert.equal(verifyNonce('abc', secret, 1_000_000, 300_000), 'invalid');
  assert.equal(verifyNonce('', secret, 1_000_000, 300_000), 'invalid');
});

test('a nonce issued in the future is invalid', () => {
  const n = createNonce(secret, 2_000_000);
  assert.equal(verifyNonce(n, secret, 1_000_000, 300_000), 'invalid');
});

test('two nonces issued in the same millisecond differ (nonce-count is tracked per nonce)', () => {
  assert.notEqual(createNonce(secret, 1_000_000), createNonce(secret, 1_000_000));
});
