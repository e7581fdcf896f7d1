import type { Clock, TimerHandle } from '../clock';

/**
 * The transaction timers of RFC 3261 §17 (table in Appendix A) with the RFC 6026
 * additions L and M, for one kind of transport. Values are milliseconds.
 */
export interface TimerValues {
  /** RTT estimate (§17.1.1.1). */
  readonly T1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses (§17.1.2.2). */
  readonly T2: number;
  /** Longest time a message stays in the network (§17.1.2.2). */
  readonly T4: number;
  /** INVITE request retransmit, initial interval; doubles, no cap (§17.1.1.2). Unreliable only. */
  readonly A: number;
  /** INVITE client transaction timeout, 64*T1 (§17.1.1.2). */
  readonly B: number;
  /** INVITE client: wait for response retransmissions in Completed; ≥ 32 s unreliable, 0 reliable. */
  readonly D: number;
  /** Non-INVITE request retransmit, initial interval; doubles up to T2 (§17.1.2.2). Unreliable only. */
  readonly E: number;
  /** Non-INVITE client transaction timeout, 64*T1 (§17.1.2.2). */
  readonly F: number;
  /** INVITE final (non-2xx) response retransmit, initial interval; doubles up to T2 (§17.2.1). Unreliable only. */
  readonly G: number;
  /** INVITE server: wait for ACK, 64*T1 (§17.2.1). */
  readonly H: number;
  /** INVITE server: absorb ACK retransmissions in Confirmed; T4 unreliable, 0 reliable (§17.2.1). */
  readonly I: number;
  /** Non-INVITE server: absorb request retransmissions in Completed; 64*T1 unreliable, 0 reliable (§17.2.2). */
  readonly J: number;
  /** Non-INVITE client: absorb response retransmissions in Completed; T4 unreliable, 0 reliable (§17.1.2.2). */
  readonly K: number;
  /** INVITE server: Accepted state lifetime, 64*T1 (RFC 6026 §8.7). */
  readonly L: number;
  /** INVITE client: Accepted state lifetime, 64*T1 (RFC 6026 §8.4). */
  readonly M: number;
}

/** The configurable base values; the rest derive from them. */
export interface TimerConfig {
  /** Default 500 ms. */
  t1?: number;
  /** Default 4000 ms. */
  t2?: number;
  /** Default 5000 ms. */
  t4?: number;
}

export const DEFAULT_T1 = 500;
export const DEFAULT_T2 = 4000;
export const DEFAULT_T4 = 5000;

/**
 * The timer table for one transport. A, E and G are returned on reliable transports
 * too, but the state machines start them only on unreliable ones (§17.1.1.2: "If a
 * reliable transport is being used, the client transaction SHOULD NOT start timer A").
 */
export function timerValues(opts: { reliable: boolean } & TimerConfig): TimerValues {
  const T1 = positive('t1', opts.t1 ?? DEFAULT_T1);
  const T2 = positive('t2', opts.t2 ?? DEFAULT_T2);
  const T4 = positive('t4', opts.t4 ?? DEFAULT_T4);
  const reliable = opts.reliable;
  const T64 = 64 * T1;
  return {
    T1,
    T2,
    T4,
    A: T1,
    B: T64,
    // §17.1.1.2: "a value of at least 32 seconds for unreliable transports, and a value
    // of zero seconds for reliable transports". Kept ≥ 64*T1 when T1 is raised, so the
    // ACK still answers every retransmission the server's Timer G/H window allows.
    D: reliable ? 0 : Math.max(32_000, T64),
    E: T1,
    F: T64,
    G: T1,
    H: T64,
    I: reliable ? 0 : T4,
    J: reliable ? 0 : T64,
    K: reliable ? 0 : T4,
    L: T64,
    M: T64,
  };
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`transaction timers: ${name} must be a positive number of ms, got ${v}`);
  return v;
}

/**
 * The named timers of one transaction on a Clock: starting a name replaces the
 * running timer of that name, and a timer that was stopped (or replaced) never fires,
 * even on a clock that cannot cancel in time.
 */
export class TimerSlots<N extends string> {
  private readonly handles = new Map<N, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: (name: N) => void,
  ) {}

  start(name: N, ms: number): void {
    this.stop(name);
    const handle = this.clock.setTimer(ms, () => {
      if (this.handles.get(name) !== handle) return;
      this.handles.delete(name);
      this.fire(name);
    });
    this.handles.set(name, handle);
  }

  stop(name: N): void {
    const handle = this.handles.get(name);
    if (handle === undefined) return;
    this.handles.delete(name);
    this.clock.clearTimer(handle);
  }

  stopAll(): void {
    for (const handle of this.handles.values()) this.clock.clearTimer(handle);
    this.handles.clear();
  }

  running(name: N): boolean {
    return this.handles.has(name);
  }

  /** Names of the running timers (for tests and debugging). */
  names(): N[] {
    return [...this.handles.keys()];
  }
}
