/**
 * The call detail record log: one JSON object per line in `<dir>/YYYY-MM-DD.jsonl`, the
 * file named by the UTC date of the call's `end`.
 *
 * Writing: `append` only buffers; a timer on the injected clock flushes at most every
 * `flushIntervalMs` (default 1 s): per file, open for append, one write of all its lines,
 * fdatasync, close. A power cut therefore loses at most the last interval, and can leave
 * a torn last line: readers skip lines that do not parse, and the next append starts on
 * a fresh line when the file does not end with a newline. A failed write is logged and
 * its lines stay buffered for the next attempt (at most MAX_BUFFERED, oldest dropped);
 * a retry after a failure half-way can repeat a record, so readers keep the first
 * record of each `id`.
 *
 * Rotation is by name (one file a day); at start, once a day and on a change of the
 * retention, files whose date is more than `retentionDays` days before today (UTC) are
 * deleted, so every record is kept at least `retentionDays` days.
 *
 * Reading (`query`) is synchronous: it serves the control API, and reads only the
 * files that can hold what was asked for.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Clock, TimerHandle } from '../../sip/clock';
import type { CallRecord } from './record';

export interface CdrLogger {
  warn(obj: object, msg: string): void;
}

export interface CdrLogOptions {
  dir: string;
  clock: Clock;
  /** Whole days, at least 1 (config `calls.cdrRetentionDays`). */
  retentionDays: number;
  logger?: CdrLogger;
  /** Longest time a record waits in memory before it is written. Default 1000. */
  flushIntervalMs?: number;
}

/** What `query` selects: `start` in [since, until) (epoch ms), the last `limit` of them. */
export interface CdrQuery {
  since?: number;
  until?: number;
  limit?: number;
}

/** Records kept in memory while the disk refuses them; beyond, the oldest are dropped. */
export const MAX_BUFFERED = 10_000;
export const DIR_MODE = 0o750;
export const FILE_MODE = 0o640;

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: later dates have no YYYY-MM-DD file name. */
const LAST_MS = 253_402_300_800_000;
const FILE_NAME = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
/** Between two warnings about failing writes while they keep failing. */
const WARN_EVERY_MS = 60_000;
/** The daily retention pass runs this long after midnight UTC. */
const PRUNE_OFFSET_MS = 60_000;

interface Pending {
  /** Append order (restored when failed writes go back to the buffer). */
  seq: number;
  rec: CallRecord;
  /** File date (UTC date of `end`). */
  date: string;
  line: string;
}

/** "YYYY-MM-DD" of an epoch ms, in UTC. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The file name that holds the records ending on `date` ("YYYY-MM-DD"). */
export function cdrFileName(date: string): string {
  return `${date}.jsonl`;
}

function checkRetention(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`CdrLog: retentionDays must be a whole number of days, at least 1 (got ${n})`);
  return n;
}

function isRecordLike(v: unknown): v is CallRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'string' && typeof r.start === 'string' && Number.isFinite(Date.parse(r.start));
}

function describe(err: unknown): { code?: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return e && typeof e === 'object' && typeof e.code === 'string' ? { code: e.code, message: e.message } : { message: String((err as Error)?.message ?? err) };
}

export class CdrLog {
  readonly dir: string;
  private readonly clock: Clock;
  private readonly logger: CdrLogger;
  private readonly flushIntervalMs: number;
  private retentionDays: number;
  /** Appended, not yet handed to a write. */
  private buffer: Pending[] = [];
  /** Being written right now (still visible to query). */
  private inFlight: Pending[] = [];
  private flushTimer: TimerHandle | undefined;
  private pruneTimer: TimerHandle | undefined;
  /** Flushes run one after the other. */
  private chain: Promise<void> = Promise.resolve();
  private dropped = 0;
  private seq = 0;
  private failingSince: number | undefined;
  private lastWarnAt = -Infinity;
  private closed = false;

  constructor(options: CdrLogOptions) {
    this.dir = options.dir;
    this.clock = options.clock;
    this.logger = options.logger ?? { warn() {} };
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.retentionDays = checkRetention(options.retentionDays);
    this.prune();
    this.schedulePrune();
  }

  /** Buffers one finished call; it is on disk within `flushIntervalMs` (or at `flush`). */
  append(rec: CallRecord): void {
    let endMs = Date.parse(rec.end);
    if (!(endMs >= 0 && endMs < LAST_MS)) {
      endMs = this.clock.now();
      this.logger.warn({ id: rec.id, end: rec.end }, 'CDR: record without a valid end time, filed under today');
    }
    this.buffer.push({ seq: this.seq++, rec, date: utcDate(endMs), line: `${JSON.stringify(rec)}\n` });
    this.trimBuffer();
    this.scheduleFlush();
  }

  /**
   * Writes everything buffered now and waits for it (and for any write in progress).
   * Rejects with the error when a write failed; those records stay buffered for the
   * next attempt.
   */
  flush(): Promise<void> {
    if (this.flushTimer !== undefined) {
      this.clock.clearTimer(this.flushTimer);
      this.flushTimer = undefined;
    }
    const run = this.chain.then(() => this.writeBuffered());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Flushes, then stops the timers (shutdown). Records a failed flush leaves are lost
   * (logged). Records appended afterwards are written only by an explicit flush().
   */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimer(this.pruneTimer);
    this.pruneTimer = undefined;
    try {
      await this.flush();
    } finally {
      this.clock.clearTimer(this.flushTimer);
      this.flushTimer = undefined;
      if (this.buffer.length > 0) this.logger.warn({ lost: this.buffer.length, dir: this.dir }, 'CDR: records not written at shutdown');
    }
  }

  /** A change of `calls.cdrRetentionDays`: applied at once (old files are deleted now). */
  setRetentionDays(n: number): void {
    this.retentionDays = checkRetention(n);
    this.prune();
  }

  /** Records buffered or being written (not yet known to be on disk). */
  pending(): number {
    return this.buffer.length + this.inFlight.length;
  }

  /**
   * Deletes the files dated more than `retentionDays` days before today (UTC), so a
   * record is kept at least that long. Returns how many were deleted. Never throws.
   */
  prune(): number {
    const cutoff = utcDate(this.clock.now() - this.retentionDays * DAY_MS);
    let deleted = 0;
    let files: { date: string; name: string }[];
    try {
      files = this.files();
    } catch (err) {
      this.logger.warn({ dir: this.dir, err: describe(err) }, 'CDR: cannot list the directory to delete expired files');
      return 0;
    }
    for (const { date, name } of files) {
      if (date >= cutoff) continue;
      try {
        fs.unlinkSync(path.join(this.dir, name));
        deleted++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ file: path.join(this.dir, name), err: describe(err) }, 'CDR: cannot delete an expired file');
      }
    }
    return deleted;
  }

  /**
   * Records whose `start` is in [since, until) (epoch ms), sorted by start ascending,
   * buffered ones included; `limit` keeps the last (most recent) ones. Lines that do not
   * parse are skipped (one warning per query with their count).
   */
  query(q: CdrQuery = {}): CallRecord[] {
    const since = q.since ?? -Infinity;
    const until = q.until ?? Infinity;
    const limit = q.limit;
    if (limit !== undefined && limit <= 0) return [];
    const seen = new Set<string>();
    const found: { rec: CallRecord; start: number }[] = [];
    const take = (rec: CallRecord): void => {
      const start = Date.parse(rec.start);
      if (!(start >= since && start < until) || seen.has(rec.id)) return;
      seen.add(rec.id);
      found.push({ rec, start });
    };
    // Newest first: the buffered records, then the files from the latest date down.
    for (const p of [...this.buffer].reverse()) take(p.rec);
    for (const p of [...this.inFlight].reverse()) take(p.rec);

    // A record is in the file of its end date, and its end is not before its start
    // (a day of slack for a wall clock stepped back across midnight): files dated
    // before date(since) - 1 day hold nothing wanted.
    const first = Number.isFinite(since) ? utcDate(since - DAY_MS) : '';
    const files = this.files()
      .filter((f) => f.date >= first)
      .sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
    let bad = 0;
    for (const { date, name } of files) {
      if (limit !== undefined) {
        // Everything in this file and older ones started before `bound`: once `limit`
        // records started at or after it, the older files cannot change the answer.
        const bound = Date.parse(`${date}T00:00:00Z`) + 2 * DAY_MS;
        if (found.filter((f) => f.start >= bound).length >= limit) break;
      }
      let text: string;
      try {
        text = fs.readFileSync(path.join(this.dir, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
        throw err;
      }
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch {
          bad++;
          continue;
        }
        if (!isRecordLike(rec)) {
          bad++;
          continue;
        }
        take(rec);
      }
    }
    if (bad > 0) this.logger.warn({ dir: this.dir, skipped: bad }, 'CDR: unreadable lines skipped (torn by a power cut, or edited)');
    found.sort((a, b) => a.start - b.start);
    const out = found.map((f) => f.rec);
    return limit !== undefined && out.length > limit ? out.slice(out.length - limit) : out;
  }

  /** The CDR files present (name and date), unsorted; none when the directory is missing (or not a directory). */
  private files(): { date: string; name: string }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const out: { date: string; name: string }[] = [];
    for (const name of names) {
      const m = FILE_NAME.exec(name);
      if (m) out.push({ date: m[1] as string, name });
    }
    return out;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    this.flushTimer = this.clock.setTimer(this.flushIntervalMs, () => {
      this.flushTimer = undefined;
      // A background write has no caller: its failure is logged by writeBuffered.
      this.flush().catch(() => undefined);
    });
  }

  private schedulePrune(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const nextMidnight = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    this.pruneTimer = this.clock.setTimer(nextMidnight + PRUNE_OFFSET_MS - now, () => {
      this.pruneTimer = undefined;
      this.prune();
      this.schedulePrune();
    });
  }

  private trimBuffer(): void {
    const excess = this.buffer.length + this.inFlight.length - MAX_BUFFERED;
    if (excess <= 0) return;
    const n = Math.min(excess, this.buffer.length);
    this.buffer.splice(0, n);
    this.dropped += n;
  }

  private async writeBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    this.inFlight = this.buffer;
    this.buffer = [];
    const byDate = new Map<string, Pending[]>();
    for (const p of this.inFlight) {
      const list = byDate.get(p.date);
      if (list) list.push(p);
      else byDate.set(p.date, [p]);
    }
    const failed: Pending[] = [];
    let firstError: unknown;
    for (const [date, entries] of byDate) {
      try {
        await this.writeFile(date, entries);
      } catch (err) {
        firstError ??= err;
        failed.push(...entries);
        this.reportFailure(date, err);
      }
    }
    this.inFlight = [];
    if (failed.length > 0) {
      // Back in front of what came meanwhile, in their original order.
      failed.sort((a, b) => a.seq - b.seq);
      this.buffer = [...failed, ...this.buffer];
      this.trimBuffer();
      this.scheduleFlush();
    } else if (this.failingSince !== undefined) {
      this.logger.warn({ dir: this.dir, failedForMs: this.clock.now() - this.failingSince }, 'CDR: writing works again');
      this.failingSince = undefined;
      this.lastWarnAt = -Infinity;
    }
    if (this.dropped > 0) {
      this.logger.warn({ dir: this.dir, dropped: this.dropped, kept: MAX_BUFFERED }, 'CDR: too many records waiting for the disk, the oldest were dropped');
      this.dropped = 0;
    }
    if (firstError !== undefined) throw firstError;
  }

  private reportFailure(date: string, err: unknown): void {
    const now = this.clock.now();
    this.failingSince ??= now;
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(
      { file: path.join(this.dir, cdrFileName(date)), err: describe(err), waiting: this.buffer.length + this.inFlight.length },
      'CDR: cannot write call records, keeping them in memory to retry',
    );
  }

  /** One append: all lines in one write, then fdatasync. Throws on any failure. */
  private async writeFile(date: string, entries: Pending[]): Promise<void> {
    const created = await fsp.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
    if (created !== undefined) await fsp.chmod(this.dir, DIR_MODE); // whatever the umask
    const fh = await fsp.open(path.join(this.dir, cdrFileName(date)), 'a+', FILE_MODE);
    let isNew = false;
    try {
      const st = await fh.stat();
      let prefix = '';
      isNew = st.size === 0;
      if (isNew) {
        await fh.chmod(FILE_MODE);
      } else {
        // A torn last line (power cut, failed write): start ours on a line of its own.
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      const data = Buffer.from(prefix + entries.map((e) => e.line).join(''), 'utf8');
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await fh.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      await fh.datasync();
    } finally {
      // After a successful datasync the data is on disk, so a failing close changes
      // nothing; after a failure, the first error is the one worth reporting.
      await fh.close().catch(() => undefined);
    }
    // A new file (once a day): its name must survive a power cut too.
    if (isNew) await syncDir(this.dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close().catch(() => undefined);
  }
}
