/**
 * Private unix sockets for local APIs (the daemon's control socket, the FXS agent's
 * status socket): bound 0660 from creation (the service account and members of its
 * group, e.g. the appliance's SSH admin; the 0750 data dir around it keeps everyone else
 * out too), never replacing a live server, clearing a stale socket file left by a crash.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';

/** Why a server could not start on its socket path. */
export class UnixSocketError extends Error {
  override readonly name = 'UnixSocketError';
  constructor(
    readonly code: 'EDGESIP_ERR_SOCKET_IN_USE' | 'EDGESIP_ERR_SOCKET_PATH',
    message: string,
  ) {
    super(message);
  }
}

/** Owner and group read/write; nothing for others. */
export const SOCKET_MODE = 0o660;

/**
 * Binds with a umask that leaves the socket 0660 from its creation (bind is synchronous
 * inside listen), then chmods again before the first connection can be accepted.
 */
export function listenPrivately(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const previous = process.umask(0o777 & ~SOCKET_MODE);
    try {
      server.listen(socketPath, () => {
        server.removeListener('error', onError);
        try {
          chmodSync(socketPath, SOCKET_MODE);
          resolve();
        } catch (err) {
          server.close();
          reject(err);
        }
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** Removes a socket file nobody answers on; refuses a live one and anything not a socket. */
export async function clearStaleSocket(socketPath: string, program: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new UnixSocketError('EDGESIP_ERR_SOCKET_PATH', `${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) {
    throw new UnixSocketError('EDGESIP_ERR_SOCKET_IN_USE', `another server is already listening on ${socketPath} (is ${program} running twice?)`);
  }
  try {
    unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when something accepts connections on the socket; a timeout counts as alive. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const done = (alive: boolean | Error): void => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      if (alive instanceof Error) reject(alive);
      else resolve(alive);
    };
    socket.setTimeout(1000, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done(false);
      else done(err);
    });
  });
}

export interface UnixSocketLogger {
  info(obj: object, msg: string): void;
}

export interface UnixSocketServer {
  /** Stops accepting; in-flight requests get a grace period, then their connections close. */
  close(): Promise<void>;
}

/** Grace period for in-flight requests when closing. */
const CLOSE_GRACE_MS = 2000;

/**
 * Starts `server` privately on `socketPath` (a stale socket is cleared, a live one or
 * anything else at the path refused) and logs `<label> listening` / `<label> closed`.
 */
export async function serveOnUnixSocket(server: Server, socketPath: string, program: string, label: string, logger: UnixSocketLogger): Promise<UnixSocketServer> {
  await clearStaleSocket(socketPath, program);
  await listenPrivately(server, socketPath);
  logger.info({ socketPath }, `${label} listening`);
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          logger.info({ socketPath }, `${label} closed`);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
