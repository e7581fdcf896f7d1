/**
 * Web admin sessions, in memory (a restart logs everyone out, which is what a
 * firmware update should do anyway). The cookie carries a random id; the CSRF token
 * is a second random value the page reads from /api/session and sends back in a
 * header on every change — a cross-site form cannot know it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../sip/clock';

export interface Session {
  id: string;
  user: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

/** A session ends after this long even when in use: stolen cookies do not last. */
export const SESSION_MAX_AGE_MS = 12 * 3600_000;
/** Sessions kept at most; the least recently used goes first. */
const MAX_SESSIONS = 64;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    /** Read on every use: a changed setting applies to open sessions too. */
    private readonly idleTimeoutMs: () => number,
  ) {}

  create(user: string): Session {
    const now = this.clock.now();
    this.expire(now);
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0]!;
      this.sessions.delete(oldest.id);
    }
    const session: Session = { id: token(), user, csrfToken: token(), createdAt: now, lastSeen: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of a cookie value, touched; undefined when unknown, idle too long or too old. */
  use(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.clock.now();
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of `user` (password changed, account removed). */
  endAllOf(user: string, except?: string): void {
    for (const [id, s] of this.sessions) if (s.user === user && id !== except) this.sessions.delete(id);
  }

  count(): number {
    this.expire(this.clock.now());
    return this.sessions.size;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastSeen >= this.idleTimeoutMs() || now - s.createdAt >= SESSION_MAX_AGE_MS;
  }

  private expire(now: number): void {
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(id);
  }
}

/** Constant-time comparison of a CSRF token from a header with the session's. */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
