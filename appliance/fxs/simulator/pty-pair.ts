/**
 * A pseudo-terminal standing in for the board's USB-serial adapter: the simulator
 * writes and reads the master side (`board`), and the agent opens the slave through a
 * stable symlink (`path`) with the serialport package, exactly as it opens
 * /dev/serial/by-id/… on a real appliance.
 *
 * - The slave is held open by a child (`sleep infinity`) so that it survives the
 *   agent closing and reopening the port; the child first puts the tty in raw mode
 *   (no echo, no line editing, no signals, no CR/LF or XON/XOFF translation) so that
 *   every byte value passes unchanged both ways, then prints one marker byte, which is
 *   how we know the mode is set before anyone else touches the tty.
 * - close() ends the child and the master, so the agent's open port fails as on an
 *   unplug, and removes the symlink as udev does. Opening again on the same linkPath
 *   makes a new pty and re-points the link (atomically: symlink, then rename).
 * - Writes never queue: a serial line has no flow control here, so when the agent is
 *   not reading and the kernel's buffer is full, further bytes are lost (counted).
 */
import { writeSync } from 'node:fs';
import { readlink, rename, symlink, unlink } from 'node:fs/promises';
import { spawn, type IPty } from 'node-pty';
import type { ByteStream } from '../serial/board-link';

export interface PtyPair {
  /** The stable symlink the agent opens, e.g. <dir>/ttyFXS0 → /dev/pts/N. */
  path: string;
  /** The master side, for the board simulator. */
  board: ByteStream;
  /** The /dev/pts/N the link points at now. */
  slavePath: string;
  /** Bytes dropped because the agent was not reading. */
  droppedBytes(): number;
  close(): void;
}

/** Raw mode for every byte value; `R` tells the parent it is done. */
const CHILD_SCRIPT = "stty raw -echo -iexten cs8 -parenb -ixon -ixoff -opost && printf R && exec sleep infinity";
const READY_MARKER = 0x52; // 'R'
const READY_TIMEOUT_MS = 5000;

export async function openPtyPair(linkPath: string): Promise<PtyPair> {
  const pty = spawn('/bin/sh', ['-c', CHILD_SCRIPT], {
    name: 'dumb',
    cols: 80,
    rows: 24,
    cwd: '/',
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    // Buffers in, Buffers out: no text decoding anywhere.
    encoding: null,
  });
  const internals = unixInternals(pty);
  const slavePath = internals.slavePath;
  const dataListeners: Array<(data: Buffer) => void> = [];
  const closeListeners: Array<(err?: Error) => void> = [];
  let ready = false;
  let closed = false;
  let notified = false;
  let dropped = 0;

  const notifyClosed = (err?: Error): void => {
    if (notified) return;
    notified = true;
    for (const cb of closeListeners) cb(err);
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    pty.kill('SIGKILL');
    // Closing the master hangs up the slave: the agent's port fails as on an unplug.
    internals.destroy();
    notifyClosed();
    void unlinkIfOurs(linkPath, slavePath);
  };

  const readyOrFail = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pty ${slavePath}: raw mode not confirmed within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    pty.onData((chunk: Buffer | string) => {
      let data = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      if (!ready) {
        const at = data.indexOf(READY_MARKER);
        if (at < 0) return;
        ready = true;
        clearTimeout(timer);
        resolve();
        data = data.subarray(at + 1);
        if (data.length === 0) return;
      }
      for (const cb of dataListeners) cb(data);
    });
    pty.onExit(({ exitCode, signal }) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`pty helper exited (code ${exitCode}, signal ${signal ?? 'none'}) before raw mode was set`));
      const byUs = closed;
      closed = true;
      notifyClosed(byUs ? undefined : new Error(`pty helper exited (code ${exitCode}, signal ${signal ?? 'none'})`));
      if (!byUs) void unlinkIfOurs(linkPath, slavePath);
    });
  });

  try {
    await readyOrFail;
    await pointLink(linkPath, slavePath);
  } catch (err) {
    close();
    throw err;
  }

  const board: ByteStream = {
    write(data: Buffer) {
      if (closed) return;
      try {
        // The master is non-blocking: a full buffer gives a short write or EAGAIN.
        const written = writeSync(internals.fd, data);
        dropped += data.length - written;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        dropped += data.length;
      }
    },
    onData: (cb) => void dataListeners.push(cb),
    onClose: (cb) => void closeListeners.push(cb),
    close,
  };
  return { path: linkPath, board, slavePath, droppedBytes: () => dropped, close };
}

/**
 * What node-pty's UnixTerminal has beyond its typings: the slave's name (`_pty`, also
 * `ptsName`), the master's file descriptor (`fd`) and destroy(), which closes the master.
 */
function unixInternals(pty: IPty): { slavePath: string; fd: number; destroy: () => void } {
  const raw = pty as unknown as { _pty?: unknown; ptsName?: unknown; fd?: unknown; destroy?: unknown };
  const name = raw._pty ?? raw.ptsName;
  if (typeof name !== 'string' || !name.startsWith('/dev/') || typeof raw.fd !== 'number' || typeof raw.destroy !== 'function') {
    pty.kill('SIGKILL');
    throw new Error(`this node-pty does not expose the slave's path and the master (got _pty=${String(name)})`);
  }
  const destroy = raw.destroy as () => void;
  return { slavePath: name, fd: raw.fd, destroy: () => destroy.call(pty) };
}

/** Points linkPath at target, replacing whatever was there in one rename. */
async function pointLink(linkPath: string, target: string): Promise<void> {
  const temp = `${linkPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await symlink(target, temp);
  try {
    await rename(temp, linkPath);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Removes the link unless a newer pair has re-pointed it already. */
async function unlinkIfOurs(linkPath: string, target: string): Promise<void> {
  try {
    if ((await readlink(linkPath)) === target) await unlink(linkPath);
  } catch {
    // Gone already.
  }
}
