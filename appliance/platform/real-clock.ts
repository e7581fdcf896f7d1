import type { Clock, TimerHandle } from '../sip/clock';

/** The wall of real time, for entry points only; everything else takes a Clock. */
export function realClock(): Clock {
  let next = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    // Wall-clock milliseconds: blocks and registrations are persisted with their
    // expiry and must mean the same after a restart.
    now: () => Date.now(),
    setTimer(ms, fn) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      timers.set(id, t);
      return { id };
    },
    clearTimer(handle: TimerHandle | undefined) {
      if (!handle) return;
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}
