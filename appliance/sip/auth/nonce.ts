import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stateless digest nonces: the issue time and an HMAC over it under a server secret.
 * A server verifies a nonce it issued without remembering it (so a flood of
 * unauthenticated requests costs no memory), and tells an expired one (`stale`,
 * RFC 3261 §22.4 / RFC 7616 §3.3) from a forged one.
 */
export type NonceVerdict = 'valid' | 'stale' | 'invalid';

const MAC_BYTES = 16;

export function createNonce(secret: Buffer, nowMs: number): string {
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(Math.floor(nowMs)));
  const mac = createHmac('sha256', secret).update(stamp).digest().subarray(0, MAC_BYTES);
  return Buffer.concat([stamp, mac]).toString('base64url');
}

export function verifyNonce(nonce: string, secret: Buffer, nowMs: number, maxAgeMs: number): NonceVerdict {
  const raw = Buffer.from(nonce, 'base64url');
  if (raw.length !== 8 + MAC_BYTES || raw.toString('base64url') !== nonce) return 'invalid';
  const stamp = raw.subarray(0, 8);
  const mac = createHmac('sha256', secret).update(stamp).digest().subarray(0, MAC_BYTES);
  if (!timingSafeEqual(mac, raw.subarray(8))) return 'invalid';
  const issued = Number(stamp.readBigUInt64BE());
  if (issued > nowMs + 1000) return 'invalid'; // from the future: not ours
  return nowMs - issued > maxAgeMs ? 'stale' : 'valid';
}

/** When a nonce was issued (ms), for nonce-count bookkeeping; undefined if malformed. */
export function nonceIssuedAt(nonce: string): number | undefined {
  const raw = Buffer.from(nonce, 'base64url');
  return raw.length === 8 + MAC_BYTES ? Number(raw.readBigUInt64BE()) : undefined;
}
