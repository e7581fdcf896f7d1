/**
 * The FXS agent's status socket: HTTP/1.1 with JSON on a UNIX socket in its data dir
 * (mode 0600, so only root and the agent's user read it), serving one route,
 * GET /v1/status → FxsStatus. `edgesip fxs status` is its client.
 *
 * It only reads: no request body is ever used or logged. The socket handling follows
 * the daemon's control socket (control/server.ts): a live socket is never replaced, a
 * stale one (left by a crash) is removed, anything else at the path is left alone.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { HttpError, sendJson, type ApiErrorBody } from '../control/http-json';
import { FXS_STATUS_PATH, type FxsStatus } from './status';

export interface FxsStatusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FxsStatusServerOptions {
  socketPath: string;
  /** The current status; called once per request. */
  status: () => FxsStatus;
  logger: FxsStatusLogger;
}

export interface FxsStatusServer {
  close(): Promise<void>;
}

/** Why the status server could not start on its socket path (the control socket's codes). */
export class FxsStatusSocketError extends Error {
  override readonly name = 'FxsStatusSocketError';
  constructor(
    readonly code: 'EDGESIP_ERR_SOCKET_IN_USE' | 'EDGESIP_ERR_SOCKET_PATH',
    message: string,
  ) {
    super(message);
  }
}

/** Grace period for in-flight requests when closing. */
const CLOSE_GRACE_MS = 2000;

export async function startFxsStatusServer(options: FxsStatusServerOptions): Promise<FxsStatusServer> {
  const { socketPath, status, logger } = options;
  await clearStaleSocket(socketPath);

  const server = createServer((req, res) => {
    try {
      respond(req, res, status, logger);
    } catch (err) {
      // respond() answers its own errors; this is a last resort (a write failure).
      logger.warn({ err: describe(err) }, 'fxs status: request failed');
      if (!res.headersSent) sendJson(res, 500, internalBody());
      else res.destroy();
    }
  });
  // Status requests are small and quick: a client that dawdles is cut off.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  await listenPrivately(server, socketPath);
  logger.info({ socketPath }, 'fxs status socket listening');

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          logger.info({ socketPath }, 'fxs status socket closed');
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function respond(req: IncomingMessage, res: ServerResponse, status: () => FxsStatus, logger: FxsStatusLogger): void {
  // Nothing here reads a body: drain it so keep-alive connections stay usable.
  req.resume();
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0] as string;
  try {
    if (path !== FXS_STATUS_PATH) throw new HttpError(404, 'EDGESIP_ERR_NOT_FOUND', `no such route: ${path}`);
    if (method !== 'GET') {
      throw new HttpError(405, 'EDGESIP_ERR_METHOD', `${method} is not allowed on ${path}; allowed: GET`, undefined, { Allow: 'GET' });
    }
    sendJson(res, 200, status());
  } catch (err) {
    if (err instanceof HttpError) {
      sendJson(res, err.status, err.toBody(), err.headers);
      return;
    }
    logger.warn({ method, path, err: describe(err) }, 'fxs status: internal error');
    sendJson(res, 500, internalBody());
  }
}

function internalBody(): ApiErrorBody {
  return { code: 'EDGESIP_ERR_INTERNAL', message: 'internal error; see the edgesip-fxs log' };
}

/**
 * Binds with a umask that leaves the socket 0600 from its creation (bind is synchronous
 * inside listen), then chmods again before the first connection can be accepted.
 */
function listenPrivately(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const previous = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.removeListener('error', onError);
        try {
          chmodSync(socketPath, 0o600);
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
async function clearStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new FxsStatusSocketError('EDGESIP_ERR_SOCKET_PATH', `${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) {
    throw new FxsStatusSocketError('EDGESIP_ERR_SOCKET_IN_USE', `another server is already listening on ${socketPath} (is edgesip-fxs running twice?)`);
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

function describe(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) return err.stack === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, stack: err.stack };
  return { name: typeof err, message: String(err) };
}
