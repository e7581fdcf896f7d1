/**
 * Registration of one trunk at its VoIP provider: here EdgeSIP is the UA and the
 * provider the registrar (RFC 3261 §10.2), answering digest challenges (§22.2, §22.3,
 * RFC 8760) and keeping the binding fresh.
 *
 *   idle ──start()──► registering ──2xx──► registered ──refresh timer──► (REGISTER)
 *                        │  ▲  401/407: answer once per challenge, 423: raise Expires
 *                        │  └────── retry timer ◄── failed / unreachable / wrong-credentials
 *                        └──── 4xx/5xx/6xx, timeout, transport error, rejected credentials
 *   any ──stop()──► (REGISTER Expires: 0 when a binding may exist) ──► idle
 *
 * One REGISTER is in flight at a time (§10.2: no new REGISTER until the previous one
 * has a final response or timed out); stop() and update() wait for it. Time comes
 * from the injected Clock; the network (target resolution, failover, Via branch) from
 * the injected TrunkNetwork.
 */
import { randomBytes } from 'node:crypto';
import { digestResponse, formatCredentials, formatNonceCount, normalizeAlgorithm, parseChallenge, type DigestChallenge } from '../../sip/auth/digest';
import type { Clock, TimerHandle } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import { newCallId, newTag } from '../../sip/message/build';
import { contactsOf, parseNameAddr, type NameAddr } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type Header, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseUri, uriEquals, type Uri } from '../../sip/message/uri';
import type { ClientTransactionUser } from '../../sip/transaction/layer';
import { VERSION } from '../../version';

export interface TrunkRegistrationConfig {
  /** Trunk name (logs, status). */
  name: string;
  /** Provider domain: AOR host, REGISTER Request-URI host (host[:port]). */
  domain: string;
  /** AOR user. */
  username: string;
  /** Digest user name ('' → username). */
  authUsername: string;
  password: string;
  /** '' → answer any realm; else only challenges for this realm. */
  realm: string;
  /** Seconds requested. */
  expires: number;
  /** Appended to the REGISTER Request-URI: 'user=phone;foo=bar' → sip:domain;user=phone;foo=bar ('' → nothing). */
  requestUriParams: string;
}

export interface TrunkNetwork {
  /** Sends an out-of-dialog request to the provider (the caller resolves targets and fails over); the layer adds the Via branch. */
  sendRequest(request: SipRequest, user: ClientTransactionUser): void;
  /** Our Via without branch, e.g. 'SIP/2.0/UDP 192.0.2.1:5060;rport'. */
  via(): string;
  /** Our Contact URI for this trunk (inbound calls come to it), e.g. '<sip:trunk-x@192.0.2.1:5060>'. */
  contact(): string;
}

export type TrunkRegistrationState =
  | { kind: 'idle' }
  | { kind: 'registering' }
  | { kind: 'registered'; expiresAt: number; contactExpires: number }
  /** The last attempt ended with this SIP status. */
  | { kind: 'failed'; status: number; reason: string; retryAt: number }
  /** Timeout or transport error. */
  | { kind: 'unreachable'; retryAt: number }
  /** Repeated 401/407/403 with unchanged credentials. */
  | { kind: 'wrong-credentials'; status: number; retryAt: number };

export interface TrunkRegistrationOptions {
  config: TrunkRegistrationConfig;
  network: TrunkNetwork;
  clock: Clock;
  logger: SipLogger;
  /** [0, 1), for the backoff jitter; Math.random by default. */
  random?: () => number;
  /**
   * Consecutive credential rejections before the state becomes wrong-credentials
   * (default 3). The FXS agent sets its per-line limit here and stops the line there.
   */
  rejectionsLimit?: number;
  onChange?: (s: TrunkRegistrationState) => void;
}

/**
 * First retry after a failure; each further consecutive failure doubles it, up to the
 * cap. The numbers are RFC 5626 §4.5's (base 30 s when nothing works, max 1800 s).
 */
const BACKOFF_BASE_MS = 30_000;
/** Longest backoff between failed attempts. */
const BACKOFF_CAP_MS = 30 * 60_000;
/** The jitter takes up to this fraction off a backoff delay (never adds: the cap stays a cap). */
const BACKOFF_JITTER = 0.2;
/** Retry period once the provider has rejected the same credentials REJECTIONS_LIMIT times. */
const WRONG_CREDENTIALS_RETRY_MS = 60 * 60_000;
const REJECTIONS_LIMIT = 3;
/** Bounds on a 503's Retry-After. */
const RETRY_AFTER_MIN_MS = 1_000;
const RETRY_AFTER_MAX_MS = 60 * 60_000;
/** A refresh goes out at half the granted time, and at least this long before expiry. */
const REFRESH_MARGIN_MS = 5_000;
/** But never sooner than this after the previous 2xx (a provider granting 1-5 s). */
const MIN_REFRESH_MS = 1_000;
/**
 * Requests one attempt may send: the first, answers to challenges (a stale nonce may
 * need a second answer) and a 423 retry. Beyond it the attempt fails: a provider that
 * keeps challenging with stale=true or keeps raising Min-Expires cannot make us loop.
 */
const MAX_REQUESTS_PER_ATTEMPT = 6;
const MAX_FORWARDS = '70';
const USER_AGENT = `EdgeSIP/${VERSION}`;

type AuthKind = 'www' | 'proxy';

/** A challenge we answer, kept for reuse on later REGISTERs with an increasing nc (§22.3). */
interface AuthEntry {
  readonly challenge: DigestChallenge;
  readonly algorithm: 'MD5' | 'SHA-256';
  readonly qop: 'auth' | 'auth-int' | undefined;
  /** Uses of this nonce so far. */
  nc: number;
}

/** One registration (or unregistration) attempt: the first request, its auth rounds, a 423 retry. */
interface Attempt {
  readonly purpose: 'register' | 'unregister';
  requests: number;
  /** Challenge kinds answered with a challenge received during this attempt. */
  readonly answered: Set<AuthKind>;
}

interface InFlight {
  readonly attempt: Attempt;
  /** The Expires value this request carries. */
  readonly expires: number;
  done: boolean;
}

interface Stopping {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

export class TrunkRegistration {
  private config: TrunkRegistrationConfig;
  private readonly network: TrunkNetwork;
  private readonly clock: Clock;
  private readonly logger: SipLogger;
  private readonly random: () => number;
  private readonly onChange: ((s: TrunkRegistrationState) => void) | undefined;
  private readonly rejectionsLimit: number;

  /** §10.2.4: one Call-ID for every REGISTER of this instance, CSeq increasing by one. */
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;

  private current: TrunkRegistrationState = { kind: 'idle' };
  /** Between start() and stop(). */
  private running = false;
  private timer: TimerHandle | undefined;
  private inflight: InFlight | undefined;
  /** What to do once the in-flight REGISTER has its final response (§10.2: one at a time). */
  private deferred: 'register' | 'unregister' | undefined;
  private stopping: Stopping | undefined;
  /** Challenges by realm, per header pair (WWW-/Proxy-Authenticate). */
  private auth: Record<AuthKind, Map<string, AuthEntry>> = { www: new Map(), proxy: new Map() };
  /** Consecutive failed attempts of any kind (backoff exponent); reset by a 2xx. */
  private failures = 0;
  /** Consecutive credential rejections; reset by a 2xx or changed credentials. */
  private rejections = 0;
  /** Expires we ask for: the configured value, raised by a 423's Min-Expires (§10.2.8). */
  private expires: number;
  /** When the binding the provider last granted ends (0: none known). */
  private bindingUntil = 0;

  constructor(opts: TrunkRegistrationOptions) {
    checkConfig(opts.config);
    this.config = { ...opts.config };
    this.network = opts.network;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.random = opts.random ?? Math.random;
    this.onChange = opts.onChange;
    this.rejectionsLimit = opts.rejectionsLimit ?? REJECTIONS_LIMIT;
    this.expires = opts.config.expires;
  }

  get state(): TrunkRegistrationState {
    return this.current;
  }

  /** Register now. Does nothing when already started (the schedule in place stands). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // While stop() is still unregistering, registration resumes once that is done.
    if (this.stopping) return;
    this.begin('register');
  }

  /**
   * Unregister (REGISTER with Expires: 0 for our Contact, §10.2.2) when a binding may
   * exist, best effort, and stop every timer. The promise settles when the provider
   * answered or the request failed; it never rejects.
   */
  stop(): Promise<void> | void {
    this.running = false;
    this.clearTimer();
    if (this.stopping) return this.stopping.promise;
    if (this.inflight) {
      // §10.2: wait for the final response of the REGISTER in flight; it may create a
      // binding, so the unregister follows it (or is skipped if it created none).
      this.stopping = newStopping();
      this.deferred = 'unregister';
      return this.stopping.promise;
    }
    if (this.bindingUntil > this.clock.now()) {
      this.stopping = newStopping();
      this.begin('unregister');
      return this.stopping.promise;
    }
    this.setState({ kind: 'idle' });
  }

  /**
   * New configuration. Changed credentials (user names, password, realm, domain) end
   * the wrong-credentials slow-down and register at once. Other wire changes register
   * at once too, except in wrong-credentials, whose hourly schedule stands. A name-only
   * change just renames the logs. Before start() and after stop() nothing is sent.
   */
  update(config: TrunkRegistrationConfig): void {
    checkConfig(config);
    const old = this.config;
    this.config = { ...config };
    const credentialsChanged =
      old.domain !== config.domain ||
      old.username !== config.username ||
      old.authUsername !== config.authUsername ||
      old.password !== config.password ||
      old.realm !== config.realm;
    const wireChanged = credentialsChanged || old.expires !== config.expires || old.requestUriParams !== config.requestUriParams;
    if (old.expires !== config.expires) this.expires = config.expires;
    if (credentialsChanged) {
      this.rejections = 0;
      this.failures = 0;
      this.auth = { www: new Map(), proxy: new Map() };
    }
    if (!wireChanged || !this.running) return;
    if (!credentialsChanged && this.rejections >= this.rejectionsLimit) return;
    this.begin('register');
  }

  // --- attempts -------------------------------------------------------------------

  /** A new attempt now, or once the REGISTER in flight is done (§10.2). */
  private begin(purpose: 'register' | 'unregister'): void {
    this.clearTimer();
    // Stopping: unregistered() registers again afterwards if start() came meanwhile.
    if (this.stopping && purpose === 'register') return;
    if (this.inflight) {
      this.deferred = purpose;
      return;
    }
    // A refresh keeps the state 'registered': the binding holds until it expires.
    if (purpose === 'register' && this.current.kind !== 'registered' && this.current.kind !== 'registering') {
      this.setState({ kind: 'registering' });
    }
    this.send({ purpose, requests: 0, answered: new Set() });
  }

  private send(attempt: Attempt): void {
    attempt.requests++;
    const expires = attempt.purpose === 'unregister' ? 0 : this.expires;
    const request = this.buildRequest(expires);
    const flight: InFlight = { attempt, expires, done: false };
    this.inflight = flight;
    const user: ClientTransactionUser = {
      onResponse: (res) => this.onResponse(flight, res),
      onTimeout: () => this.onNoResponse(flight, 'timeout'),
      onTransportError: (_tx, err) => this.onNoResponse(flight, err.message),
    };
    this.logger.debug({ trunk: this.config.name, cseq: this.cseq, expires }, 'trunk REGISTER sent');
    try {
      this.network.sendRequest(request, user);
    } catch (err) {
      this.onNoResponse(flight, err instanceof Error ? err.message : String(err));
    }
  }

  /** Marks the flight finished; true when a deferred action took over (the result is then moot). */
  private finish(flight: InFlight): boolean {
    flight.done = true;
    this.inflight = undefined;
    const next = this.deferred;
    if (next === undefined) return false;
    this.deferred = undefined;
    if (next === 'unregister' && this.bindingUntil <= this.clock.now()) {
      this.unregistered(undefined); // the REGISTER in flight created no binding
    } else {
      this.begin(next);
    }
    return true;
  }

  private onResponse(flight: InFlight, res: SipResponse): void {
    if (flight.done || res.status < 200) return; // §10.2: provisionals change nothing
    if (flight.attempt.purpose === 'register' && res.status < 300) {
      // Known even when a deferred stop/update takes over: stop() must then unregister.
      this.bindingUntil = Math.max(this.bindingUntil, this.clock.now() + flight.expires * 1000);
    }
    if (this.finish(flight)) return;
    if (flight.attempt.purpose === 'unregister') this.unregisterResponse(flight, res);
    else this.registerResponse(flight, res);
  }

  private onNoResponse(flight: InFlight, what: string): void {
    if (flight.done) return;
    if (this.finish(flight)) return;
    if (flight.attempt.purpose === 'unregister') {
      this.unregistered(undefined, what);
      return;
    }
    // §10.2 / §17.1.2.2 Timer F, §17.1.4 transport error: the provider was not reached.
    this.failures++;
    const delay = this.backoff();
    const retryAt = this.clock.now() + delay;
    this.setState({ kind: 'unreachable', retryAt });
    this.logger.warn({ trunk: this.config.name, error: what, retryInSeconds: Math.round(delay / 1000) }, 'trunk registration: provider unreachable');
    this.schedule(delay);
  }

  private registerResponse(flight: InFlight, res: SipResponse): void {
    const status = res.status;
    if (status >= 200 && status < 300) {
      this.registered(flight, res);
      return;
    }
    switch (status) {
      case 401: // §22.2: WWW-Authenticate from the registrar
      case 407: // §22.3: Proxy-Authenticate from a proxy on the way
        this.challenged(flight, res);
        return;
      case 403:
        // §21.4.4: understood, refused. For a REGISTER that means these credentials.
        this.rejected(status, res.reason);
        return;
      case 423:
        this.intervalTooBrief(flight, res);
        return;
      case 503: {
        // §21.5.4 / §20.33: Retry-After says when to come back, bounded to 1 s .. 1 h;
        // without it, a 503 is treated as a 500 (backoff).
        const seconds = retryAfterSeconds(res);
        if (seconds !== undefined) {
          const delay = Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, seconds * 1000));
          this.failed(status, res.reason, delay);
          return;
        }
        this.failed(status, res.reason);
        return;
      }
      default:
        // §8.1.3.2 / §21: every other final response (3xx, 4xx, 5xx, 6xx) ends the attempt.
        this.failed(status, res.reason);
    }
  }

  /**
   * §10.2.4: the 2xx lists every binding of the AOR; ours carries the granted expiry in
   * its `expires` param, else the Expires header gives it, else we got what we asked.
   */
  private registered(flight: InFlight, res: SipResponse): void {
    const granted = grantedSeconds(res, this.network.contact(), flight.expires);
    if (granted <= 0) {
      // The registrar kept no binding for our Contact; treat like a failure, not a loop.
      this.bindingUntil = 0;
      this.failed(res.status, 'no binding granted');
      return;
    }
    const now = this.clock.now();
    const grantedMs = granted * 1000;
    this.bindingUntil = now + grantedMs;
    this.failures = 0;
    this.rejections = 0;
    const wasRegistered = this.current.kind === 'registered';
    this.setState({ kind: 'registered', expiresAt: now + grantedMs, contactExpires: granted });
    if (!wasRegistered) this.logger.info({ trunk: this.config.name, expires: granted }, 'trunk registered');
    else this.logger.debug({ trunk: this.config.name, expires: granted }, 'trunk registration refreshed');
    // Refresh at half the granted time, never later than REFRESH_MARGIN_MS before expiry.
    this.schedule(Math.max(MIN_REFRESH_MS, Math.min(grantedMs / 2, grantedMs - REFRESH_MARGIN_MS)));
  }

  /**
   * §22.2 (401, WWW-Authenticate → Authorization) and §22.3 (407, Proxy-Authenticate →
   * Proxy-Authorization). Each challenge is answered once; a new challenge in answer to
   * our credentials means they were refused, unless it says the nonce was stale
   * (RFC 2617 §3.2.1 stale=TRUE: the credentials were right, the nonce old).
   */
  private challenged(flight: InFlight, res: SipResponse): void {
    const attempt = flight.attempt;
    const kind: AuthKind = res.status === 407 ? 'proxy' : 'www';
    const entries = usableChallenges(res, kind, this.config.realm);
    if (entries.size === 0) {
      this.attemptFailed(attempt, res.status, 'no digest challenge we can answer');
      return;
    }
    const stale = [...entries.values()].some((e) => e.challenge.stale === true);
    if (attempt.answered.has(kind) && !stale) {
      if (attempt.purpose === 'unregister') this.unregistered(res.status);
      else this.rejected(res.status, res.reason);
      return;
    }
    if (attempt.requests >= MAX_REQUESTS_PER_ATTEMPT) {
      this.attemptFailed(attempt, res.status, 'too many challenges');
      return;
    }
    this.auth[kind] = entries;
    attempt.answered.add(kind);
    this.send(attempt);
  }

  /** §10.2.8: 423 Interval Too Brief → retry at once with Expires ≥ Min-Expires. */
  private intervalTooBrief(flight: InFlight, res: SipResponse): void {
    const min = seconds(getHeader(res, 'min-expires'));
    // A Min-Expires not above what we sent would make the same request fail again.
    if (min === undefined || min <= flight.expires || flight.attempt.requests >= MAX_REQUESTS_PER_ATTEMPT) {
      this.failed(res.status, min === undefined ? 'no usable Min-Expires' : res.reason);
      return;
    }
    this.expires = min;
    this.send(flight.attempt);
  }

  private attemptFailed(attempt: Attempt, status: number, reason: string): void {
    if (attempt.purpose === 'unregister') this.unregistered(status);
    else this.failed(status, reason);
  }

  /** The provider refused these credentials (a repeated challenge, or 403). */
  private rejected(status: number, reason: string): void {
    this.rejections++;
    // Fresh challenges next time: the cached nonces belong to refused credentials.
    this.auth = { www: new Map(), proxy: new Map() };
    if (this.rejections < this.rejectionsLimit) {
      this.failed(status, reason);
      return;
    }
    // Never hammer a provider with credentials it refuses: once an hour, as the
    // provider side may get fixed. update() with new credentials ends this at once.
    this.failures++;
    const retryAt = this.clock.now() + WRONG_CREDENTIALS_RETRY_MS;
    this.setState({ kind: 'wrong-credentials', status, retryAt });
    this.logger.warn(
      { trunk: this.config.name, status, rejections: this.rejections, retryInSeconds: WRONG_CREDENTIALS_RETRY_MS / 1000 },
      'trunk registration: credentials rejected',
    );
    this.schedule(WRONG_CREDENTIALS_RETRY_MS);
  }

  private failed(status: number, reason: string, delay?: number): void {
    this.failures++;
    const wait = delay ?? this.backoff();
    const retryAt = this.clock.now() + wait;
    this.setState({ kind: 'failed', status, reason, retryAt });
    this.logger.warn({ trunk: this.config.name, status, reason, retryInSeconds: Math.round(wait / 1000) }, 'trunk registration failed');
    this.schedule(wait);
  }

  private unregisterResponse(flight: InFlight, res: SipResponse): void {
    if (res.status === 401 || res.status === 407) {
      this.challenged(flight, res);
      return;
    }
    this.unregistered(res.status);
  }

  /** The unregister is over: its final status, or the error that ended it, or neither (not needed). */
  private unregistered(status: number | undefined, error?: string): void {
    this.bindingUntil = 0;
    if (status !== undefined && status >= 200 && status < 300) {
      this.logger.info({ trunk: this.config.name }, 'trunk unregistered');
    } else if (status !== undefined || error !== undefined) {
      this.logger.warn({ trunk: this.config.name, status, error }, 'trunk unregister failed; the binding expires on its own');
    }
    const stopping = this.stopping;
    this.stopping = undefined;
    if (this.running) {
      // start() was called while stopping.
      this.begin('register');
    } else {
      this.clearTimer();
      this.setState({ kind: 'idle' });
    }
    stopping?.resolve();
  }

  // --- the request ----------------------------------------------------------------

  /** §10.2: the REGISTER. To/From carry the AOR; Contact and Expires ask for the binding. */
  private buildRequest(expires: number): SipRequest {
    const { uri, aor } = uris(this.config);
    this.cseq++;
    const headers: Header[] = [
      { name: 'Via', value: this.network.via() },
      { name: 'Max-Forwards', value: MAX_FORWARDS },
      { name: 'From', value: `<${aor}>;tag=${this.fromTag}` },
      { name: 'To', value: `<${aor}>` },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.cseq} REGISTER` },
      { name: 'Contact', value: this.network.contact() },
      { name: 'Expires', value: String(expires) },
      { name: 'User-Agent', value: USER_AGENT },
    ];
    // §22.3: credentials for realms already challenged go with every later request,
    // the same nonce with the next nonce-count (RFC 2617 §3.2.2).
    for (const [kind, name] of [['proxy', 'Proxy-Authorization'], ['www', 'Authorization']] as const) {
      for (const entry of this.auth[kind].values()) {
        const value = this.credentials(entry, 'REGISTER', uri);
        if (value !== undefined) headers.push({ name, value });
      }
    }
    headers.push({ name: 'Content-Length', value: '0' });
    return { kind: 'request', method: 'REGISTER', uri, headers, body: Buffer.alloc(0) };
  }

  /** The Authorization / Proxy-Authorization value answering `entry` (RFC 2617 §3.2.2, RFC 8760). */
  private credentials(entry: AuthEntry, method: string, uri: string): string | undefined {
    const c = entry.challenge;
    const username = this.config.authUsername === '' ? this.config.username : this.config.authUsername;
    entry.nc++;
    const qop = entry.qop;
    const nc = qop ? formatNonceCount(entry.nc) : undefined;
    const cnonce = qop ? randomBytes(8).toString('hex') : undefined;
    try {
      const response = digestResponse({
        algorithm: entry.algorithm,
        username,
        realm: c.realm,
        password: this.config.password,
        method,
        uri,
        nonce: c.nonce,
        ...(qop ? { qop, nc, cnonce, body: '' } : {}),
      });
      return formatCredentials({
        username,
        realm: c.realm,
        nonce: c.nonce,
        uri,
        response,
        ...(c.algorithm !== undefined ? { algorithm: entry.algorithm } : {}),
        ...(cnonce !== undefined ? { cnonce } : {}),
        ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
        ...(qop ? { qop } : {}),
        ...(nc !== undefined ? { nc } : {}),
        other: [],
      });
    } catch (err) {
      // A user name with a line break, an nc past 2**32: the request goes without it
      // and the provider's answer tells the rest. Never log the values themselves.
      this.logger.warn({ trunk: this.config.name, code: (err as { code?: string }).code }, 'trunk credentials not computable');
      return undefined;
    }
  }

  // --- timers and state -----------------------------------------------------------

  /** Exponential backoff: 30 s, 60 s, 120 s … capped at 30 min, minus up to 20 % jitter. */
  private backoff(): number {
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, this.failures - 1));
    return Math.round(base * (1 - BACKOFF_JITTER * this.random()));
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = this.clock.setTimer(ms, () => {
      this.timer = undefined;
      if (this.running) this.begin('register');
    });
  }

  private clearTimer(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private setState(next: TrunkRegistrationState): void {
    if (next.kind === 'idle' && this.current.kind === 'idle') return;
    this.current = next;
    try {
      this.onChange?.(next);
    } catch (err) {
      this.logger.warn({ trunk: this.config.name, err: (err as Error).message }, 'trunk registration onChange threw');
    }
  }
}

// --- helpers ---------------------------------------------------------------------

function newStopping(): Stopping {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Characters of a SIP URI user part (§25.1 unreserved / user-unreserved); the rest is %-escaped. */
const USER_CHAR = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

function escapeUser(user: string): string {
  let out = '';
  for (const ch of Buffer.from(user, 'utf8').toString('latin1')) {
    out += USER_CHAR.test(ch) ? ch : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The Request-URI (§10.2: the registrar's domain, no user part) and the AOR. */
function uris(config: TrunkRegistrationConfig): { uri: string; aor: string } {
  const params = config.requestUriParams.replace(/^;+/, '');
  return {
    uri: `sip:${config.domain}${params === '' ? '' : `;${params}`}`,
    aor: `sip:${escapeUser(config.username)}@${config.domain}`,
  };
}

/** Refuses a configuration that cannot make a valid REGISTER (config validation should have caught it). */
function checkConfig(config: TrunkRegistrationConfig): void {
  if (!Number.isInteger(config.expires) || config.expires < 1 || config.expires > 0xffffffff) {
    throw new TypeError(`trunk ${config.name}: expires ${config.expires} is not a positive number of seconds`);
  }
  if (config.username === '') throw new TypeError(`trunk ${config.name}: no username`);
  const { uri, aor } = uris(config);
  for (const text of [uri, aor]) {
    let parsed: Uri;
    try {
      parsed = parseUri(text);
    } catch (err) {
      throw new TypeError(`trunk ${config.name}: bad domain or Request-URI parameters (${(err as Error).message})`);
    }
    if (parsed.kind !== 'sip' || parsed.headers.length > 0) {
      throw new TypeError(`trunk ${config.name}: "${text}" is not a SIP URI without headers`);
    }
  }
}

/** A non-negative integer header value (delta-seconds, §25.1), or undefined. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([0-9]{1,10})\s*$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (§20.33). */
function retryAfterSeconds(res: SipResponse): number | undefined {
  const value = getHeader(res, 'retry-after');
  if (value === undefined) return undefined;
  const m = /^\s*([0-9]{1,10})/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * Granted seconds from a 2xx (§10.2.4): our Contact's expires param (matched by URI,
 * §19.1.4), else the Expires header, else what we asked for. A registrar behind NAT
 * handling may list our Contact with another host; then a single Contact with our
 * user part is taken as ours.
 */
function grantedSeconds(res: SipResponse, ourContact: string, requested: number): number {
  let listed: NameAddr[] = [];
  try {
    const contacts = contactsOf(res);
    if (contacts !== '*') listed = contacts;
  } catch {
    // A malformed Contact list: fall back to Expires.
  }
  const ours = ourContactIn(listed, ourContact);
  const param = ours?.params.get('expires');
  const fromParam = typeof param === 'string' ? seconds(param) : undefined;
  if (fromParam !== undefined) return fromParam;
  const fromHeader = seconds(getHeader(res, 'expires'));
  if (fromHeader !== undefined) return fromHeader;
  return requested;
}

function ourContactIn(listed: NameAddr[], ourContact: string): NameAddr | undefined {
  let mine: Uri;
  try {
    mine = parseUri(parseNameAddr(ourContact, 'Contact').uri);
  } catch {
    return undefined;
  }
  const parsed: Array<[NameAddr, Uri]> = [];
  for (const na of listed) {
    try {
      parsed.push([na, parseUri(na.uri)]);
    } catch {
      // skip what does not parse
    }
  }
  const exact = parsed.find(([, u]) => uriEquals(u, mine));
  if (exact) return exact[0];
  if (mine.kind !== 'sip' || mine.user === undefined) return undefined;
  const sameUser = parsed.filter(([, u]) => u.kind === 'sip' && u.user === mine.user);
  return sameUser.length === 1 && parsed.length === 1 ? sameUser[0]![0] : undefined;
}

/**
 * The Digest challenges of a 401/407 we can answer, one per realm: realm as configured
 * ('' = any), algorithm SHA-256 when offered, else MD5 (RFC 8760 §2.4: the strongest
 * we support); qop auth preferred, auth-int (empty body) accepted, none = RFC 2069 form.
 */
function usableChallenges(res: SipResponse, kind: AuthKind, realm: string): Map<string, AuthEntry> {
  const byRealm = new Map<string, AuthEntry>();
  for (const value of getHeaderValues(res, kind === 'proxy' ? 'proxy-authenticate' : 'www-authenticate')) {
    let c: DigestChallenge;
    try {
      c = parseChallenge(value);
    } catch {
      continue; // another scheme, or broken: §22.1 lets us skip it
    }
    if (realm !== '' && c.realm !== realm) continue;
    const alg = normalizeAlgorithm(c.algorithm ?? 'MD5');
    if (alg !== 'MD5' && alg !== 'SHA-256') continue;
    let qop: AuthEntry['qop'];
    if (c.qop === undefined) qop = undefined;
    else if (c.qop.some((q) => q.toLowerCase() === 'auth')) qop = 'auth';
    else if (c.qop.some((q) => q.toLowerCase() === 'auth-int')) qop = 'auth-int';
    else continue;
    const have = byRealm.get(c.realm);
    if (have && have.algorithm === 'SHA-256') continue;
    byRealm.set(c.realm, { challenge: c, algorithm: alg, qop, nc: 0 });
  }
  return byRealm;
}
