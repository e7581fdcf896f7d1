/**
 * Two connected in-memory ByteStreams for tests, with the wire in the test's hands:
 * `tap` sees (and may change or drop) every chunk in one direction, `cut` drops them all,
 * hangUp() closes both ends as an unplugged adapter does.
 *
 * Delivery is synchronous but never nested: a chunk written while another is being
 * delivered waits until that delivery returns (a trampoline), so each end handles one
 * chunk at a time, as it would from an event loop, and tests need no awaiting.
 */
import type { ByteStream } from '../board-link';

export interface TestStream extends ByteStream {
  /** Every chunk this end wrote, before the tap. */
  readonly written: Buffer[];
  /** Rewrites or drops (undefined) what this end writes, on its way to the other end. */
  tap: ((data: Buffer) => Buffer | undefined) | undefined;
  /** Drops everything this end writes. */
  cut: boolean;
  readonly closed: boolean;
}

export interface StreamPair {
  agent: TestStream;
  board: TestStream;
  /** Both ends see onClose(err), as after an unplug. */
  hangUp(err?: Error): void;
}

export function streamPair(): StreamPair {
  const pending: Array<() => void> = [];
  let delivering = false;
  const run = (job: () => void): void => {
    pending.push(job);
    if (delivering) return;
    delivering = true;
    try {
      for (let next = pending.shift(); next; next = pending.shift()) next();
    } finally {
      delivering = false;
    }
  };

  let closed = false;
  const closeListeners: Array<(err?: Error) => void> = [];
  const closeBoth = (err?: Error): void => {
    if (closed) return;
    closed = true;
    for (const cb of closeListeners.splice(0)) run(() => cb(err));
  };

  const listeners = { agent: [] as Array<(d: Buffer) => void>, board: [] as Array<(d: Buffer) => void> };
  const deliver = (to: 'agent' | 'board', data: Buffer): void =>
    run(() => {
      if (closed) return;
      for (const cb of listeners[to]) cb(data);
    });

  const end = (me: 'agent' | 'board', peer: 'agent' | 'board'): TestStream => {
    const self: TestStream = {
      written: [],
      tap: undefined,
      cut: false,
      get closed() {
        return closed;
      },
      write(data: Buffer) {
        if (closed) return;
        const copy = Buffer.from(data);
        self.written.push(copy);
        if (self.cut) return;
        const passed = self.tap ? self.tap(copy) : copy;
        if (passed && passed.length > 0) deliver(peer, passed);
      },
      onData: (cb) => void listeners[me].push(cb),
      onClose: (cb) => void closeListeners.push(cb),
      close: () => closeBoth(),
    };
    return self;
  };

  return { agent: end('agent', 'board'), board: end('board', 'agent'), hangUp: (err = new Error('device disconnected')) => closeBoth(err) };
}
