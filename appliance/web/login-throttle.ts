/**
 * The web login's own lockout, separate from the SIP guard: wrong passwords are
 * counted per source address and per account within a window. Too many from one
 * address lock that address out; too many against one account (from anywhere: a
 * spread-out guess) lock the account's web login until it expires, its password
 * changes or `edgesip admin unlock` lifts it — over SSH, which this never locks.
 */
import type { Clock } from '../sip/clock';

export interface LoginThrottleLimits {
  /** Failures from one address within the window that lock the address. */
  addressFailures: number;
  /** Failures against one account within the window that lock the account. */
  accountFailures: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = { addressFailures: 5, accountFailures: 10, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

interface Counter {
  failures: number[];
  lockedUntil: number;
}

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; scope: 'address' | 'account' };

/** Entries kept at most: a flood of addresses cannot grow memory without bound. */
const MAX_ENTRIES = 10_000;

export class LoginThrottle {
  private readonly addresses = new Map<string, Counter>();
  private readonly accounts = new Map<string, Counter>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Asked before checking a password: a locked address or account is refused without trying it. */
  check(address: string, user: string): LoginVerdict {
    const now = this.clock.now();
    const a = this.addresses.get(address);
    if (a && a.lockedUntil > now) return { allowed: false, retryAfterMs: a.lockedUntil - now, scope: 'address' };
    const u = this.accounts.get(user);
    if (u && u.lockedUntil > now) return { allowed: false, retryAfterMs: u.lockedUntil - now, scope: 'account' };
    return { allowed: true };
  }

  failed(address: string, user: string): void {
    this.count(this.addresses, address, this.limits.addressFailures);
    this.count(this.accounts, user, this.limits.accountFailures);
  }

  /** A successful login clears its address's failures (not the account's: others may be guessing). */
  succeeded(address: string): void {
    this.addresses.delete(address);
  }

  /** When the account's web login is locked until, or undefined. */
  accountLockedUntil(user: string): number | undefined {
    const u = this.accounts.get(user);
    return u && u.lockedUntil > this.clock.now() ? u.lockedUntil : undefined;
  }

  unlockAccount(user: string): void {
    this.accounts.delete(user);
  }

  private count(map: Map<string, Counter>, key: string, limit: number): void {
    const now = this.clock.now();
    let c = map.get(key);
    if (c === undefined) {
      if (map.size >= MAX_ENTRIES) this.prune(map, now);
      c = { failures: [], lockedUntil: 0 };
      map.set(key, c);
    }
    c.failures = c.failures.filter((t) => t > now - this.limits.windowMs);
    c.failures.push(now);
    if (c.failures.length >= limit) {
      c.lockedUntil = now + this.limits.lockMs;
      c.failures = [];
    }
  }

  private prune(map: Map<string, Counter>, now: number): void {
    for (const [key, c] of map) {
      if (c.lockedUntil <= now && c.failures.every((t) => t <= now - this.limits.windowMs)) map.delete(key);
    }
    // Still full (an active flood): drop the oldest entries rather than grow.
    for (const key of map.keys()) {
      if (map.size < MAX_ENTRIES) break;
      map.delete(key);
    }
  }
}
