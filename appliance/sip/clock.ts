/**
 * Time as the SIP stack sees it. Everything that waits (transaction timers, connection
 * reaping, keepalives) takes a Clock, so tests drive a virtual one and assert exact
 * schedules without sleeping. Only entry points create the real clock.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch (the real clock) or since the test began (virtual). */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
}
