/**
 * The control API: HTTP/1.1 with JSON bodies on a UNIX socket (mode 0600, so only
 * root and the daemon's user reach it), never on TCP. It validates input, calls the
 * AdminBackend and renders the result; the CLI is its client (client.ts).
 *
 * Request bodies carry passwords: they are never logged.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { AdminError, type AdminBackend } from './backend';
import { HttpError, readJson, sendJson, type ApiErrorBody } from './http-json';
import { matchRoute, pathOf, queryOf } from './routes';

export interface ControlLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ControlServerOptions {
  socketPath: string;
  backend: AdminBackend;
  logger: ControlLogger;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** Why the server could not start on its socket path. */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
  constructor(
    readonly code: 'EDGESIP_ERR_SOCKET_IN_USE' | 'EDGESIP_ERR_SOCKET_PATH',
    message: string,
  ) {
    super(message);
  }
}

const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** Grace period for in-flight requests when closing. */
const CLOSE_GRACE_MS = 2000;

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, backend, logger } = options;
  await clearStaleSocket(socketPath);

  const server = createServer((req, res) => {
    handle(req, res, backend, logger).catch((err: unknown) => {
      // handle() answers every error itself; this is a last resort (e.g. a write failure).
      logger.warn({ err: describe(err) }, 'control API: request failed');
      if (!res.headersSent) sendJson(res, 500, internalBody());
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await listenPrivately(server, socketPath);
  logger.info({ socketPath }, 'control API listening');

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          logger.info({ socketPath }, 'control API closed');
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
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
  if (!isSocket) throw new ControlSocketError('EDGESIP_ERR_SOCKET_PATH', `${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) {
    throw new ControlSocketError('EDGESIP_ERR_SOCKET_IN_USE', `another server is already listening on ${socketPath} (is edgesipd running twice?)`);
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

async function handle(req: IncomingMessage, res: ServerResponse, backend: AdminBackend, logger: ControlLogger): Promise<void> {
  await serveApiRequest(req, res, { backend, logger, path: pathOf(req.url ?? '/'), actor: 'control-socket' });
}

export interface ApiRequestContext {
  backend: AdminBackend;
  logger: ControlLogger;
  /** The API path (`/v1/...`), raw: the web admin strips its `/api` prefix. */
  path: string;
  /** Who asks, for the audit line: 'control-socket' or the web admin's user. */
  actor: string;
}

/**
 * One control API request: route, validate, call the backend, reply. The unix socket
 * and the HTTPS admin both come here, so the CLI and the web UI share every operation.
 */
export async function serveApiRequest(req: IncomingMessage, res: ServerResponse, ctx: ApiRequestContext): Promise<void> {
  const { backend, logger, path, actor } = ctx;
  const method = req.method ?? 'GET';
  let status: number;
  try {
    const match = matchRoute(method, path);
    if (match.kind === 'not-found') {
      throw new HttpError(404, 'EDGESIP_ERR_NOT_FOUND', `no such route: ${path}`);
    }
    if (match.kind === 'method-not-allowed') {
      throw new HttpError(405, 'EDGESIP_ERR_METHOD', `${method} is not allowed on ${path}; allowed: ${match.allow.join(', ')}`, undefined, {
        Allow: match.allow.join(', '),
      });
    }
    let bodyRead = false;
    const result = await match.handler({
      backend,
      params: match.params,
      query: queryOf(req.url ?? '/'),
      body: () => {
        bodyRead = true;
        return readJson(req);
      },
    });
    if (!bodyRead) req.resume();
    status = result.status;
    sendJson(res, status, result.body);
  } catch (err) {
    req.resume();
    if (err instanceof HttpError) {
      status = err.status;
      sendJson(res, status, err.toBody(), err.closeConnection ? { ...err.headers, Connection: 'close' } : err.headers);
    } else if (err instanceof AdminError) {
      status = err.httpStatus;
      if (status >= 500) logger.warn({ method, path, err: describe(err) }, 'control API: backend failed');
      const body: ApiErrorBody = { code: err.code, message: err.message };
      if (err.field !== undefined) body.field = err.field;
      sendJson(res, status, body);
    } else {
      status = 500;
      logger.warn({ method, path, err: describe(err) }, 'control API: internal error');
      sendJson(res, status, internalBody());
    }
  }
  // An audit trail of changes: who, method, path (number, list, CIDR or block key) and status.
  if (MUTATING.has(method)) logger.info({ method, path, status, actor }, 'control API request');
}

function internalBody(): ApiErrorBody {
  return { code: 'EDGESIP_ERR_INTERNAL', message: 'internal error; see the edgesipd log' };
}

function describe(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) return err.stack === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, stack: err.stack };
  return { name: typeof err, message: String(err) };
}
