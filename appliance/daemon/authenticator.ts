import { timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithmName } from '../config/schema';
import { digestResponse, formatChallenge, normalizeAlgorithm, parseAuthorization, parseCredentials, SipAuthError, type DigestCredentials } from '../sip/auth/digest';
import { createNonce, nonceIssuedAt, verifyNonce } from '../sip/auth/nonce';
import type { Clock } from '../sip/clock';
import { getHeaderValues, type Header, type SipRequest } from '../sip/message/message';

/** What the server stores per account: HA1 for each algorithm, never the password. */
export interface StoredSecret {
  ha1: { MD5: string; 'SHA-256': string };
}

export interface AccountLookup {
  find(username: string): StoredSecret | undefined;
}

export type AuthOutcome =
  | { kind: 'authenticated'; username: string }
  /** No usable credentials (none, unknown scheme, other realm, stale nonce): challenge. */
  | { kind: 'challenge'; stale: boolean }
  /** Credentials that are ours and wrong, or name no account. */
  | { kind: 'forbidden'; username: string; reason: 'unknown-user' | 'bad-response' | 'malformed' };

/** RFC 8760 §2.4: offer the strongest algorithm first, MD5 last for old phones. */
const OFFERED: readonly DigestAlgorithmName[] = ['SHA-256', 'MD5'];
const NONCE_LIFETIME_MS = 5 * 60_000;
/** Nonces whose last nonce-count is remembered; past this the least recently first-used is forgotten. */
const MAX_TRACKED_NONCES = 100_000;

export interface AuthenticatorOptions {
  /** Bound of the nonce-count memory (default 100,000 nonces, a few MiB). */
  maxTrackedNonces?: number;
  /**
   * Challenges offered, most preferred first (config sip.digestAlgorithms); only these
   * are accepted in credentials. A function is asked at every challenge and check, so
   * a changed setting applies to the next request without a restart.
   */
  algorithms?: readonly DigestAlgorithmName[] | (() => readonly DigestAlgorithmName[]);
}

interface NonceUse {
  /** Highest nonce-count accepted with this nonce. */
  nc: number;
  /** When the nonce turns stale and the entry is useless (epoch ms). */
  until: number;
}

/**
 * Digest authentication of requests (RFC 3261 §22, RFC 8760): challenges with
 * stateless HMAC nonces and checks credentials against stored HA1 values.
 */
export class Authenticator {
  /**
   * Replay protection for qop=auth (RFC 7616 §3.4.5, RFC 3261 §22.4): per nonce the
   * highest nc accepted. Insertion order is first-use order, so the oldest go first.
   */
  private readonly nonceUses = new Map<string, NonceUse>();
  private readonly maxTrackedNonces: number;
  private readonly algorithms: () => readonly DigestAlgorithmName[];

  constructor(
    private readonly realm: string,
    private readonly secret: Buffer,
    private readonly clock: Clock,
    private readonly accounts: AccountLookup,
    options: AuthenticatorOptions = {},
  ) {
    this.maxTrackedNonces = Math.max(1, options.maxTrackedNonces ?? MAX_TRACKED_NONCES);
    const algorithms = options.algorithms ?? OFFERED;
    this.algorithms = typeof algorithms === 'function' ? algorithms : () => algorithms;
  }

  /** 401 challenges carry WWW-Authenticate; 407 Proxy-Authenticate (§22.2, §22.3). */
  challengeHeaders(status: 401 | 407, stale: boolean): Header[] {
    const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const nonce = createNonce(this.secret, this.clock.now());
    return this.algorithms().map((algorithm) => ({
      name,
      value: formatChallenge({ realm: this.realm, nonce, algorithm, qop: ['auth'], ...(stale ? { stale: true } : {}), other: [] }),
    }));
  }

  authenticate(request: SipRequest, header: 'authorization' | 'proxy-authorization'): AuthOutcome {
    let stale = false;
    for (const value of getHeaderValues(request, header)) {
      let creds: DigestCredentials;
      try {
        // §22.1: credentials of a scheme we do not implement are ignored, not refused.
        if (parseAuthorization(value).scheme.toLowerCase() !== 'digest') continue;
        creds = parseCredentials(value);
      } catch (err) {
        if (err instanceof SipAuthError) return { kind: 'forbidden', username: '', reason: 'malformed' };
        throw err;
      }
      if (creds.realm !== this.realm) continue; // meant for another hop
      const algorithm = normalizeAlgorithm(creds.algorithm ?? 'MD5');
      if (algorithm !== 'MD5' && algorithm !== 'SHA-256') continue;
      // An algorithm no longer offered (e.g. MD5 after "SHA-256 only") gets a fresh challenge.
      if (!this.algorithms().includes(algorithm)) continue;
      const verdict = verifyNonce(creds.nonce, this.secret, this.clock.now(), NONCE_LIFETIME_MS);
      if (verdict === 'stale') {
        stale = true;
        continue;
      }
      if (verdict === 'invalid') continue;
      const account = this.accounts.find(creds.username);
      if (!account) return { kind: 'forbidden', username: creds.username, reason: 'unknown-user' };
      const expected = digestResponse({
        algorithm,
        ha1: account.ha1[algorithm],
        username: creds.username,
        realm: this.realm,
        method: request.method,
        uri: creds.uri,
        nonce: creds.nonce,
        ...(creds.qop === 'auth' ? { qop: 'auth' as const, nc: creds.nc ?? '', cnonce: creds.cnonce ?? '' } : {}),
      });
      const given = Buffer.from(creds.response.toLowerCase(), 'latin1');
      const want = Buffer.from(expected, 'latin1');
      if (given.length !== want.length || !timingSafeEqual(given, want)) {
        return { kind: 'forbidden', username: creds.username, reason: 'bad-response' };
      }
      // A correct response with a nonce-count already used is a replay (or a broken
      // client): never authenticate it, offer a fresh nonce instead.
      if (creds.qop === 'auth' && !this.acceptNonceCount(creds.nonce, creds.nc ?? '')) return { kind: 'challenge', stale: false };
      return { kind: 'authenticated', username: creds.username };
    }
    return { kind: 'challenge', stale };
  }

  /** Nonces whose nonce-count is being tracked (for tests and metrics). */
  get trackedNonces(): number {
    return this.nonceUses.size;
  }

  /** True, and remembered, when `nc` is above every nc accepted so far with `nonce`. */
  private acceptNonceCount(nonce: string, ncText: string): boolean {
    const nc = /^[0-9a-fA-F]{8}$/.test(ncText) ? parseInt(ncText, 16) : 0;
    const now = this.clock.now();
    const use = this.nonceUses.get(nonce);
    if (use !== undefined) {
      if (nc <= use.nc) return false;
      use.nc = nc;
      return true;
    }
    if (nc < 1) return false;
    this.prune(now);
    this.nonceUses.set(nonce, { nc, until: (nonceIssuedAt(nonce) ?? now) + NONCE_LIFETIME_MS });
    return true;
  }

  /** Drop stale entries from the old end, then the oldest ones beyond the bound. */
  private prune(now: number): void {
    for (const [nonce, use] of this.nonceUses) {
      if (use.until >= now && this.nonceUses.size < this.maxTrackedNonces) break;
      this.nonceUses.delete(nonce);
    }
  }
}
