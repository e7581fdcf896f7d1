/**
 * The guard against password guessing, user-name enumeration and request floods.
 *
 * The unit of blocking for wrong passwords is the (address, account) PAIR, not the
 * address: a multi-port FXS gateway registers one account per analog port from one
 * IP:port, and a port retrying forever with a wrong password must lose only its own
 * account, never the other ports. The whole ADDRESS is blocked only for what no
 * single misconfigured device does: failing with many distinct user names, failing
 * repeatedly with names that do not exist, or flooding. See docs/guard.md.
 *
 * Order of checks (the daemon calls them in this order):
 *   admit()          every request: black list → drop; white list → ok; address
 *                    block → drop; flood check → block address and drop.
 *   accountBlocked() before authenticating a request that names an account.
 *   recordFailure() / recordSuccess()   after authentication.
 *
 * Memory is bounded: every table is capped (`maxTracked`, oldest evicted) and a
 * periodic sweep drops what has expired.
 */
import type { GuardConfig } from '../../config/schema';
import type { BlockReason, BlockView } from '../../control/backend';
import type { Clock, TimerHandle } from '../../sip/clock';
import { CidrSet, formatAddress, parseAddress } from './cidr';

export interface GuardLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type FailureKind = 'wrong-password' | 'unknown-user';

/** Reasons a block entry can have (the black list drops without an entry). */
export type StoredBlockReason = Exclude<BlockReason, 'black-list'>;

/**
 * One block as persisted in blocks.json. Times are epoch milliseconds (the clock's).
 * An entry whose `expiresAt` has passed is no block any more but still carries the
 * repeat counter (so the next block of the same pair lasts twice as long) until
 * `forgetAt`; entries past `forgetAt` are dropped on load.
 */
export interface StoredBlock {
  address: string;
  /** Set for an (address, account) block. */
  account?: string;
  reason: StoredBlockReason;
  /** Source port of the last failure (pair blocks), for the log lines. */
  port?: number;
  /** Attempts seen: the failures that led to the block plus those made while blocked. */
  count: number;
  firstSeen: number;
  lastSeen: number;
  expiresAt: number;
  /** How many times in a row this key was blocked (1 = first); the block lasted blockSeconds * 2^(repeats-1). */
  repeats: number;
  forgetAt: number;
}

export interface GuardAcl {
  white: readonly string[];
  black: readonly string[];
}

export interface GuardOptions {
  config: GuardConfig;
  acl: GuardAcl;
  clock: Clock;
  logger: GuardLogger;
  /** From blocks.json (loadBlocks); expired and malformed entries are skipped. */
  initialBlocks?: readonly StoredBlock[];
  /** Called whenever blocks change (added, removed, ended); the daemon saves then. */
  onChange?: () => void;
  /** Cap of each table: failure counters, per-address counters, rate buckets, blocks. */
  maxTracked?: number;
  /** Interval of the sweep that prunes expired entries. */
  sweepIntervalMs?: number;
  /** Minimum interval between two "still retrying while blocked" lines of one block. */
  summaryIntervalMs?: number;
}

export interface GuardStats {
  pairFailures: number;
  addressFailures: number;
  rateBuckets: number;
  blocks: number;
  blackListSources: number;
  /** Requests dropped because of the black list since start. */
  blackListDrops: number;
  /** Requests dropped because of an address block since start (flood included). */
  blockedDrops: number;
}

export const DEFAULT_MAX_TRACKED = 50_000;
const DEFAULT_SWEEP_MS = 60_000;
const DEFAULT_SUMMARY_MS = 60_000;
/** Account names come from the network: bound what one of them can cost. */
const MAX_ACCOUNT_CHARS = 128;

interface PairFailures {
  count: number;
  windowStart: number;
  port: number;
  kind: FailureKind;
}

interface AddressFailures {
  windowStart: number;
  unknown: number;
  /** Distinct failing account names in the window. */
  names: Set<string>;
}

interface RateBucket {
  tokens: number;
  last: number;
}

interface BlockRecord extends StoredBlock {
  key: string;
  /** The end of the block was logged (or it was loaded already ended). */
  ended: boolean;
  lastSummaryAt: number;
  countAtSummary: number;
}

interface BlackHits {
  count: number;
  lastSeen: number;
  lastLogAt: number;
  countAtLog: number;
}

const REASON_TEXT: Record<StoredBlockReason, string> = {
  'wrong-password': 'wrong password',
  'unknown-user': 'unknown user',
  enumeration: 'enumeration',
  flood: 'flood',
};

function pairKey(address: string, account: string): string {
  return `${address}|${account}`;
}

function hostPort(address: string, port: number | undefined): string {
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Check the shape of one persisted entry; undefined when it is not a block. */
export function parseStoredBlock(value: unknown): StoredBlock | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (typeof v.address !== 'string' || v.address === '' || v.address.includes('|')) return undefined;
  if (v.account !== undefined && (typeof v.account !== 'string' || v.account.length > MAX_ACCOUNT_CHARS)) return undefined;
  if (v.reason !== 'wrong-password' && v.reason !== 'unknown-user' && v.reason !== 'enumeration' && v.reason !== 'flood') return undefined;
  if (v.port !== undefined && !(num(v.port) && Number.isInteger(v.port) && v.port >= 0 && v.port <= 65535)) return undefined;
  if (!num(v.count) || !num(v.firstSeen) || !num(v.lastSeen) || !num(v.expiresAt) || !num(v.forgetAt)) return undefined;
  if (!num(v.repeats) || !Number.isInteger(v.repeats) || v.repeats < 1 || v.repeats > 64) return undefined;
  const block: StoredBlock = {
    address: v.address,
    reason: v.reason,
    count: Math.max(0, Math.floor(v.count)),
    firstSeen: v.firstSeen,
    lastSeen: v.lastSeen,
    expiresAt: v.expiresAt,
    repeats: v.repeats,
    forgetAt: v.forgetAt,
  };
  if (v.account !== undefined) block.account = v.account as string;
  if (v.port !== undefined) block.port = v.port as number;
  return block;
}

/**
 * Evict the oldest entries (Map insertion order) when the map holds more than `cap`.
 * It evicts a batch (down to 15/16 of the cap) in one pass of one iterator: V8 keeps
 * deleted slots until it rehashes, so evicting one entry per insert with a fresh
 * iterator would rescan them every time (quadratic under attack).
 */
function capMap<K, V>(map: Map<K, V>, cap: number, target = cap - Math.floor(cap / 16)): number {
  if (map.size <= cap) return 0;
  let evicted = 0;
  for (const key of map.keys()) {
    if (map.size <= target) break;
    map.delete(key);
    evicted++;
  }
  return evicted;
}

export class Guard {
  private config: GuardConfig;
  private white: CidrSet;
  private black: CidrSet;
  private readonly clock: Clock;
  private readonly logger: GuardLogger;
  private readonly onChange: () => void;
  private readonly maxTracked: number;
  private readonly sweepMs: number;
  private readonly summaryMs: number;

  /** "addr|account" → failures in the current window. Map order = least recently failed first. */
  private readonly pairs = new Map<string, PairFailures>();
  /** "addr" → distinct names and unknown-user failures in the current window. */
  private readonly addresses = new Map<string, AddressFailures>();
  /** "addr" → token bucket of the flood check. */
  private readonly buckets = new Map<string, RateBucket>();
  /** "addr" and "addr|account" → block, in force or remembered for its repeat counter. */
  private readonly blocks = new Map<string, BlockRecord>();
  /** Black-listed sources seen, for rate-limited log lines. */
  private readonly blackHits = new Map<string, BlackHits>();
  private blackListDrops = 0;
  private blockedDrops = 0;
  private lastEvictionLogAt = -Infinity;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(opts: GuardOptions) {
    this.config = opts.config;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.onChange = opts.onChange ?? (() => undefined);
    this.maxTracked = Math.max(1, Math.floor(opts.maxTracked ?? DEFAULT_MAX_TRACKED));
    this.sweepMs = opts.sweepIntervalMs ?? DEFAULT_SWEEP_MS;
    this.summaryMs = opts.summaryIntervalMs ?? DEFAULT_SUMMARY_MS;
    this.white = new CidrSet(opts.acl.white);
    this.black = new CidrSet(opts.acl.black);
    this.restore(opts.initialBlocks ?? []);
    this.arm();
  }

  /** Stop the periodic sweep. The guard still answers afterwards (lazy expiry only). */
  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Apply a changed black/white list. Throws CidrError (and changes nothing) on a bad entry. */
  setAcl(acl: GuardAcl): void {
    const white = new CidrSet(acl.white);
    const black = new CidrSet(acl.black);
    this.white = white;
    this.black = black;
    // A newly white-listed address must not keep a block it can no longer get.
    let changed = false;
    for (const [key, rec] of this.blocks) {
      if (white.has(rec.address)) {
        this.blocks.delete(key);
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  /** Apply changed thresholds; blocks in force keep their expiry. */
  setConfig(config: GuardConfig): void {
    this.config = config;
  }

  /**
   * Called for every incoming request before anything else. 'drop' means: do not
   * answer (black list, address block, flood).
   */
  admit(address: string): 'ok' | 'drop' {
    const ip = parseAddress(address);
    const addr = ip === undefined ? address : formatAddress(ip);
    const now = this.clock.now();
    if (ip !== undefined && this.black.hasIp(ip)) {
      this.blackListHit(addr, now);
      return 'drop';
    }
    if (ip !== undefined && this.white.hasIp(ip)) return 'ok';
    const block = this.blocks.get(addr);
    if (block !== undefined && this.inForce(block, now)) {
      this.blockedDrops++;
      this.blockedAttempt(block, now);
      return 'drop';
    }
    if (!this.takeToken(addr, now)) {
      this.blockedDrops++;
      this.blockAddress(addr, 'flood', now, now, this.config.addressRequestsPerSecond + 1, `over ${this.config.addressRequestsPerSecond} requests/s`, {
        requestsPerSecond: this.config.addressRequestsPerSecond,
      });
      return 'drop';
    }
    return 'ok';
  }

  /**
   * True when this (address, account) pair is blocked: answer 403 without checking
   * credentials. Counts the attempt on the block.
   */
  accountBlocked(address: string, account: string): boolean {
    const ip = parseAddress(address);
    if (ip !== undefined && this.white.hasIp(ip)) return false;
    const addr = ip === undefined ? address : formatAddress(ip);
    const now = this.clock.now();
    const block = this.blocks.get(pairKey(addr, this.accountName(account)));
    if (block === undefined || !this.inForce(block, now)) return false;
    this.blockedAttempt(block, now);
    return true;
  }

  /** An authentication failure: wrong password for an account, or a name that is no account. */
  recordFailure(address: string, port: number, account: string, kind: FailureKind): void {
    const ip = parseAddress(address);
    const addr = ip === undefined ? address : formatAddress(ip);
    const white = ip !== undefined && this.white.hasIp(ip);
    const name = this.accountName(account);
    const key = pairKey(addr, name);
    const now = this.clock.now();
    const windowMs = this.config.windowSeconds * 1000;

    if (!white) {
      // Already blocked (the daemon did not ask first, or a request was in flight):
      // it is one more attempt on that block, not a new failure towards another one.
      const pairBlock = this.blocks.get(key);
      if (pairBlock !== undefined && this.inForce(pairBlock, now)) {
        pairBlock.port = port;
        this.blockedAttempt(pairBlock, now);
        return;
      }
      const addrBlock = this.blocks.get(addr);
      if (addrBlock !== undefined && this.inForce(addrBlock, now)) {
        this.blockedAttempt(addrBlock, now);
        return;
      }
    }

    // Per pair.
    let pair = this.pairs.get(key);
    if (pair === undefined || now - pair.windowStart >= windowMs || now < pair.windowStart) {
      pair = { count: 0, windowStart: now, port, kind };
    } else {
      this.pairs.delete(key); // re-inserted below: Map order stays least recently failed first
    }
    pair.count++;
    pair.port = port;
    pair.kind = kind;
    this.pairs.set(key, pair);
    if (pair.count >= this.config.accountFailures) {
      this.pairs.delete(key);
      if (white) {
        this.logger.warn(
          { address: addr, port, account: name, reason: kind, count: pair.count, whiteListed: true },
          `account ${name} at ${hostPort(addr, port)}: ${REASON_TEXT[kind]}, ${pair.count} attempts, not blocked (white list)`,
        );
      } else {
        this.blockPair(addr, port, name, kind, pair.count, pair.windowStart, now);
      }
    } else {
      this.evict(this.pairs, 'failure counters');
    }

    // Per address.
    let rec = this.addresses.get(addr);
    if (rec === undefined || now - rec.windowStart >= windowMs || now < rec.windowStart) {
      rec = { windowStart: now, unknown: 0, names: new Set() };
    } else {
      this.addresses.delete(addr);
    }
    if (kind === 'unknown-user') rec.unknown++;
    rec.names.add(name);
    this.addresses.set(addr, rec);
    const names = rec.names.size;
    const manyNames = names >= this.config.addressUserNames;
    const manyUnknown = rec.unknown >= this.config.addressUnknownUsers;
    if (manyNames || manyUnknown) {
      this.addresses.delete(addr);
      const tried = [...rec.names].slice(0, 10);
      if (white) {
        const what = manyNames ? `enumeration (${names} user names)` : `unknown user (${rec.unknown} failures)`;
        this.logger.warn(
          { address: addr, reason: manyNames ? 'enumeration' : 'unknown-user', userNames: names, unknownUsers: rec.unknown, accounts: tried, whiteListed: true },
          `address ${addr}: ${what}, not blocked (white list)`,
        );
      } else if (manyNames) {
        this.blockAddress(addr, 'enumeration', rec.windowStart, now, names, `${names} user names`, { userNames: names, accounts: tried });
      } else {
        this.blockAddress(addr, 'unknown-user', rec.windowStart, now, rec.unknown, `${rec.unknown} failures for unknown user names`, {
          unknownUsers: rec.unknown,
          accounts: tried,
        });
      }
    } else {
      this.evict(this.addresses, 'address counters');
    }
  }

  /**
   * A successful authentication: the pair's failure count starts over and the name no
   * longer counts as a failing name of its address. A block in force is not lifted
   * (none can succeed while blocked); the repeat counter of an ended one is forgotten.
   */
  recordSuccess(address: string, account: string): void {
    const addr = this.keyAddress(address);
    const name = this.accountName(account);
    const key = pairKey(addr, name);
    this.pairs.delete(key);
    this.addresses.get(addr)?.names.delete(name);
    const block = this.blocks.get(key);
    if (block !== undefined && !this.inForce(block, this.clock.now())) {
      this.blocks.delete(key);
      this.onChange();
    }
  }

  /** Blocks in force, most recent first. */
  list(): BlockView[] {
    const now = this.clock.now();
    const views: BlockView[] = [];
    for (const rec of this.blocks.values()) {
      if (rec.expiresAt <= now) continue;
      const view: BlockView = {
        key: rec.key,
        address: rec.address,
        reason: rec.reason,
        count: rec.count,
        firstSeen: iso(rec.firstSeen),
        lastSeen: iso(rec.lastSeen),
        expiresAt: iso(rec.expiresAt),
      };
      if (rec.account !== undefined) view.account = rec.account;
      views.push(view);
    }
    return views.sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : a.key < b.key ? -1 : 1));
  }

  /**
   * Lift a block ("addr" or "addr|account") and forget its counters, so it does not
   * come back from failures seen before. True when a block in force was removed.
   */
  remove(key: string): boolean {
    const bar = key.indexOf('|');
    const addr = this.keyAddress(bar < 0 ? key : key.slice(0, bar));
    const account = bar < 0 ? undefined : key.slice(bar + 1);
    const canonical = account === undefined ? addr : pairKey(addr, account);
    const rec = this.blocks.get(canonical);
    if (account === undefined) {
      this.addresses.delete(addr);
      this.buckets.delete(addr);
    } else {
      this.pairs.delete(canonical);
      this.addresses.get(addr)?.names.delete(account);
    }
    if (rec === undefined) return false;
    this.blocks.delete(canonical);
    const wasInForce = rec.expiresAt > this.clock.now();
    if (wasInForce) {
      this.logger.info(
        { address: rec.address, account: rec.account, reason: rec.reason, count: rec.count },
        `${rec.account === undefined ? `address ${rec.address}` : `account ${rec.account} at ${rec.address}`}: block removed by the administrator`,
      );
    }
    this.onChange();
    return wasInForce;
  }

  /** Everything worth persisting: blocks in force and the repeat counters still remembered. */
  snapshot(): StoredBlock[] {
    const now = this.clock.now();
    const out: StoredBlock[] = [];
    for (const rec of this.blocks.values()) {
      if (rec.forgetAt <= now) continue;
      const s: StoredBlock = {
        address: rec.address,
        reason: rec.reason,
        count: rec.count,
        firstSeen: rec.firstSeen,
        lastSeen: rec.lastSeen,
        expiresAt: rec.expiresAt,
        repeats: rec.repeats,
        forgetAt: rec.forgetAt,
      };
      if (rec.account !== undefined) s.account = rec.account;
      if (rec.port !== undefined) s.port = rec.port;
      out.push(s);
    }
    return out;
  }

  /** Sizes of the internal tables (each at most maxTracked) and drop counters. */
  stats(): GuardStats {
    return {
      pairFailures: this.pairs.size,
      addressFailures: this.addresses.size,
      rateBuckets: this.buckets.size,
      blocks: this.blocks.size,
      blackListSources: this.blackHits.size,
      blackListDrops: this.blackListDrops,
      blockedDrops: this.blockedDrops,
    };
  }

  /** Prune expired entries now (the periodic sweep calls it). */
  sweep(): void {
    const now = this.clock.now();
    const windowMs = this.config.windowSeconds * 1000;
    for (const [key, p] of this.pairs) if (now - p.windowStart >= windowMs || now < p.windowStart) this.pairs.delete(key);
    for (const [key, a] of this.addresses) if (now - a.windowStart >= windowMs || now < a.windowStart) this.addresses.delete(key);
    // A bucket idle for a second has refilled: the same as no bucket.
    for (const [key, b] of this.buckets) if (now - b.last >= 1000 || now < b.last) this.buckets.delete(key);
    for (const [key, h] of this.blackHits) if (now - h.lastSeen >= this.summaryMs) this.blackHits.delete(key);
    let changed = false;
    for (const [key, rec] of this.blocks) {
      if (rec.expiresAt <= now && !rec.ended) {
        this.logEnd(rec);
        changed = true;
      }
      if (rec.forgetAt <= now) {
        this.blocks.delete(key);
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  // --- internals ---

  private arm(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimer(this.sweepMs, () => {
      this.timer = undefined;
      if (this.closed) return;
      this.sweep();
      this.arm();
    });
  }

  private keyAddress(address: string): string {
    const ip = parseAddress(address);
    return ip === undefined ? address : formatAddress(ip);
  }

  private accountName(account: string): string {
    return account.length > MAX_ACCOUNT_CHARS ? account.slice(0, MAX_ACCOUNT_CHARS) : account;
  }

  /** In force now; an entry found expired is logged as ended (lazily, between sweeps). */
  private inForce(rec: BlockRecord, now: number): boolean {
    if (rec.expiresAt > now) return true;
    if (!rec.ended) this.logEnd(rec);
    return false;
  }

  private logEnd(rec: BlockRecord): void {
    rec.ended = true;
    const who = rec.account === undefined ? `address ${rec.address}` : `account ${rec.account} at ${hostPort(rec.address, rec.port)}`;
    this.logger.info(
      { address: rec.address, port: rec.port, account: rec.account, reason: rec.reason, count: rec.count },
      `${who}: block ended (${REASON_TEXT[rec.reason]}, ${rec.count} attempts)`,
    );
  }

  /** An attempt while blocked: count it, and log a summary at most once per interval. */
  private blockedAttempt(rec: BlockRecord, now: number): void {
    rec.count++;
    rec.lastSeen = now;
    if (now - rec.lastSummaryAt < this.summaryMs) return;
    const since = rec.count - rec.countAtSummary;
    rec.lastSummaryAt = now;
    rec.countAtSummary = rec.count;
    const left = Math.ceil((rec.expiresAt - now) / 1000);
    const fields = { address: rec.address, port: rec.port, account: rec.account, reason: rec.reason, count: rec.count, recent: since, secondsLeft: left };
    if (rec.account === undefined) {
      this.logger.info(fields, `address ${rec.address} still sending while blocked (${REASON_TEXT[rec.reason]}): ${rec.count} requests, ${left} s left`);
    } else {
      this.logger.info(
        fields,
        `account ${rec.account} at ${hostPort(rec.address, rec.port)} still retrying while blocked (${REASON_TEXT[rec.reason]}): ${rec.count} attempts, ${left} s left`,
      );
    }
  }

  /** A new block, or the next one of a remembered key (repeat counter + 1). */
  private newBlock(key: string, address: string, account: string | undefined, reason: StoredBlockReason, firstSeen: number, now: number, count: number, seconds: (repeats: number) => number): BlockRecord {
    const previous = this.blocks.get(key);
    const repeats = previous !== undefined && previous.forgetAt > now ? Math.min(previous.repeats + 1, 64) : 1;
    const expiresAt = now + seconds(repeats) * 1000;
    const rec: BlockRecord = {
      key,
      address,
      reason,
      count,
      firstSeen,
      lastSeen: now,
      expiresAt,
      repeats,
      forgetAt: expiresAt + Math.max(this.config.maxBlockSeconds, this.config.windowSeconds) * 1000,
      ended: false,
      lastSummaryAt: now,
      countAtSummary: count,
    };
    if (account !== undefined) rec.account = account;
    this.blocks.delete(key);
    this.blocks.set(key, rec);
    this.evictBlocks();
    return rec;
  }

  private pairSeconds(repeats: number): number {
    const { blockSeconds, maxBlockSeconds } = this.config;
    return Math.min(blockSeconds * 2 ** (repeats - 1), maxBlockSeconds);
  }

  private blockPair(address: string, port: number, account: string, kind: FailureKind, count: number, firstSeen: number, now: number): void {
    const rec = this.newBlock(pairKey(address, account), address, account, kind, firstSeen, now, count, (r) => this.pairSeconds(r));
    rec.port = port;
    const blockSeconds = Math.round((rec.expiresAt - now) / 1000);
    this.logger.warn(
      { address, port, account, reason: kind, count, blockSeconds, repeats: rec.repeats },
      `account ${account} at ${hostPort(address, port)}: ${REASON_TEXT[kind]}, ${count} attempts, blocked ${blockSeconds} s${rec.repeats > 1 ? ` (block ${rec.repeats} in a row)` : ''}`,
    );
    this.onChange();
  }

  private blockAddress(address: string, reason: 'enumeration' | 'unknown-user' | 'flood', firstSeen: number, now: number, count: number, detail: string, extra: object): void {
    this.buckets.delete(address);
    this.addresses.delete(address);
    const rec = this.newBlock(address, address, undefined, reason, firstSeen, now, count, () => this.config.addressBlockSeconds);
    const blockSeconds = Math.round((rec.expiresAt - now) / 1000);
    this.logger.warn(
      { address, reason, count, blockSeconds, repeats: rec.repeats, ...extra },
      `address ${address} blocked: ${REASON_TEXT[reason]} (${detail}), ${blockSeconds} s`,
    );
    this.onChange();
  }

  /** Token bucket: `addressRequestsPerSecond` tokens, refilled continuously. */
  private takeToken(address: string, now: number): boolean {
    const rate = this.config.addressRequestsPerSecond;
    const bucket = this.buckets.get(address);
    if (bucket === undefined) {
      this.buckets.set(address, { tokens: rate - 1, last: now });
      capMap(this.buckets, this.maxTracked);
      return true;
    }
    const elapsed = now - bucket.last;
    if (elapsed > 0) bucket.tokens = Math.min(rate, bucket.tokens + (elapsed * rate) / 1000);
    bucket.last = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private blackListHit(address: string, now: number): void {
    this.blackListDrops++;
    let hits = this.blackHits.get(address);
    if (hits === undefined) {
      hits = { count: 0, lastSeen: now, lastLogAt: -Infinity, countAtLog: 0 };
      this.blackHits.set(address, hits);
      capMap(this.blackHits, this.maxTracked);
    }
    hits.count++;
    hits.lastSeen = now;
    if (now - hits.lastLogAt >= this.summaryMs) {
      this.logger.info(
        { address, reason: 'black-list', count: hits.count, recent: hits.count - hits.countAtLog },
        `address ${address}: black list, ${hits.count} request${hits.count === 1 ? '' : 's'} dropped`,
      );
      hits.lastLogAt = now;
      hits.countAtLog = hits.count;
    }
  }

  private evict<V>(map: Map<string, V>, what: string): void {
    const n = capMap(map, this.maxTracked);
    if (n > 0) this.logEviction(what);
  }

  /** The block table is capped too: ended (remembered) entries go first, then the oldest blocks. */
  private evictBlocks(): void {
    if (this.blocks.size <= this.maxTracked) return;
    const now = this.clock.now();
    const target = this.maxTracked - Math.floor(this.maxTracked / 16);
    for (const [key, rec] of this.blocks) {
      if (this.blocks.size <= target) break;
      if (rec.expiresAt <= now) this.blocks.delete(key);
    }
    if (capMap(this.blocks, target, target) > 0) this.logEviction('blocks');
  }

  private logEviction(what: string): void {
    const now = this.clock.now();
    if (now - this.lastEvictionLogAt < this.summaryMs) return;
    this.lastEvictionLogAt = now;
    this.logger.warn({ table: what, cap: this.maxTracked }, `guard: too many ${what} (cap ${this.maxTracked}), dropping the oldest; attack from many addresses?`);
  }

  private restore(initial: readonly StoredBlock[]): void {
    const now = this.clock.now();
    const longest = Math.max(this.config.maxBlockSeconds, this.config.addressBlockSeconds) * 1000;
    for (const raw of initial) {
      const b = parseStoredBlock(raw);
      if (b === undefined || b.forgetAt <= now) continue;
      const addr = this.keyAddress(b.address);
      if (this.white.has(addr)) continue;
      const account = b.account === undefined ? undefined : this.accountName(b.account);
      const key = account === undefined ? addr : pairKey(addr, account);
      // A file edited by hand or a clock that jumped must not block forever.
      const expiresAt = Math.min(b.expiresAt, now + longest);
      const rec: BlockRecord = {
        ...b,
        key,
        address: addr,
        expiresAt,
        forgetAt: Math.min(b.forgetAt, expiresAt + Math.max(this.config.maxBlockSeconds, this.config.windowSeconds) * 1000),
        ended: expiresAt <= now,
        lastSummaryAt: now,
        countAtSummary: b.count,
      };
      if (account === undefined) delete rec.account;
      else rec.account = account;
      this.blocks.set(key, rec);
    }
    capMap(this.blocks, this.maxTracked);
  }
}
