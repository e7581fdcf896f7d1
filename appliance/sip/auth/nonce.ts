import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * Stateless digest nonces: the issue time and an HMAC over it under a server secret.
 * A server verifies a nonce it issued without remembering it (so a flood of
 * unauthenticated requests costs no memory), and tells an expired one (`stale`,
 * RFC 3261 §22.4 / RFC 7616 §3.3) from a forged one.
 */
export type NonceVerdict = 'valid' | 'stale' | 'invalid';

const STAMP_BYTES = 8;
/**
 * Random bytes make every nonce unique: challenges issued in the same millisecond
 * must differ, or nonce-count replay protection would refuse the second client.
 */
const SALT_BYTES = 8;
const MAC_BYTES = 16;
const BODY_BYTES = STAMP_BYTES + SALT_BYTES;

export function createNonce(secret: Buffer, nowMs: number): string {
  const body = Buffer.alloc(BODY_BYTES);
  body.writeBigUInt64BE(BigInt(Math.floor(nowMs)));
  randomFillSync(body, STAMP_BYTES);
  const mac = createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
  return Buffer.concat([body, mac]).toString('base64url');
}

export function verifyNonce(nonce: string, secret: Buffer, nowMs: number, maxAgeMs: number): NonceVerdict {
  const raw = Buffer.from(nonce, 'base64url');
  if (raw.length !== BODY_BYTES + MAC_BYTES || raw.toString('base64url') !== nonce) return 'invalid';
  const body = raw.subarray(0, BODY_BYTES);
  const mac = createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
  if (!timingSafeEqual(mac, raw.subarray(BODY_BYTES))) return 'invalid';
  const stamp = body.subarray(0, STAMP_BYTES);
  const issued = Number(stamp.readBigUInt64BE());
  if (issued > nowMs + 1000) return 'invalid'; // from the future: not ours
  return nowMs - issued > maxAgeMs ? 'stale' : 'valid';
}

/** When a nonce was issued (ms), for nonce-count bookkeeping; undefined if malformed. */
export function nonceIssuedAt(nonce: string): number | undefined {
  const raw = Buffer.from(nonce, 'base64url');
  return raw.length === BODY_BYTES + MAC_BYTES ? Number(raw.readBigUInt64BE()) : undefined;
}
