import type { Clock, TimerHandle } from '../clock';

interface VirtualTimer extends TimerHandle {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A Clock whose time moves only when a test says so. `advance(ms)` / `advanceTo(t)`
 * fire every timer that falls due on the way, in order of due time (ties in creation
 * order), with `now()` equal to each timer's due time while its callback runs. Timers
 * that callbacks create are part of the same walk when they fall due before the end.
 *
 * Nothing here touches the real timers, so a test that forgets to clean up leaves no
 * handle open: `pending()` tells what is still scheduled.
 */
export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  /** Sorted by (due, id); id grows with creation, so ties keep creation order. */
  private queue: VirtualTimer[] = [];
  private advancing = false;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`VirtualClock: bad start time ${start}`);
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    // Like setTimeout: negative, NaN and non-finite delays mean "as soon as possible".
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: VirtualTimer = { id: this.nextId++, due: this.time + delay, fn };
    // Insert after every timer due at or before this one (stable for equal due times).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid]!.due <= timer.due) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    const at = this.queue.findIndex((t) => t.id === handle.id);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Move time forward by `ms`, firing what falls due. Returns how many timers fired. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`VirtualClock.advance: bad duration ${ms}`);
    return this.advanceTo(this.time + ms);
  }

  /** Move time forward to `t` (absolute), firing what falls due. Returns how many fired. */
  advanceTo(t: number): number {
    if (!Number.isFinite(t)) throw new RangeError(`VirtualClock.advanceTo: bad time ${t}`);
    if (t < this.time) throw new RangeError(`VirtualClock.advanceTo: ${t} is before now (${this.time})`);
    if (this.advancing) throw new Error('VirtualClock: advance() called from inside a timer callback');
    this.advancing = true;
    let fired = 0;
    try {
      for (;;) {
        const next = this.queue[0];
        if (next === undefined || next.due > t) break;
        this.queue.shift();
        this.time = next.due;
        fired++;
        next.fn();
      }
      this.time = t;
    } finally {
      this.advancing = false;
    }
    return fired;
  }

  /** Fire everything until no timer is left (or `limit` timers fired, against loops). */
  runAll(limit = 10_000): number {
    let fired = 0;
    while (this.queue.length > 0) {
      if (fired >= limit) throw new Error(`VirtualClock.runAll: more than ${limit} timers fired`);
      fired += this.advanceTo(this.queue[0]!.due);
    }
    return fired;
  }

  /** Number of timers still scheduled. */
  pending(): number {
    return this.queue.length;
  }

  /** Due time of the next timer, if any. */
  nextDue(): number | undefined {
    return this.queue[0]?.due;
  }
}
