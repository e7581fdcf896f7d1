/**
 * The browser's side of the idle timeout. The server ends a session after
 * idleTimeoutSeconds without requests, but live pages poll, so an unattended console
 * would never time out: this watch counts only what the user does (keys, pointer,
 * wheel) and reports when none came for the timeout.
 */
const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;
const CHECK_EVERY_MS = 5000;

/** Starts watching; returns the function that stops it. */
export function watchIdle(timeoutSeconds: number, onIdle: () => void): () => void {
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  for (const e of ACTIVITY_EVENTS) document.addEventListener(e, touch, { passive: true, capture: true });
  const timer = window.setInterval(() => {
    if (Date.now() - last >= timeoutSeconds * 1000) {
      stop();
      onIdle();
    }
  }, CHECK_EVERY_MS);
  function stop(): void {
    window.clearInterval(timer);
    for (const e of ACTIVITY_EVENTS) document.removeEventListener(e, touch, { capture: true });
  }
  return stop;
}
