/**
 * The FXS agent's status socket: HTTP/1.1 with JSON on a UNIX socket in its data dir
 * (mode 0660, so only root, the agent's user and members of its group read it), serving one route,
 * GET /v1/status → FxsStatus. `edgesip fxs status` is its client.
 *
 * It only reads: no request body is ever used or logged. The socket handling is the
 * daemon's control socket's (control/unix-socket.ts): a live socket is never replaced, a
 * stale one (left by a crash) is removed, anything else at the path is left alone.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { HttpError, sendJson, type ApiErrorBody } from '../control/http-json';
import { serveOnUnixSocket } from '../control/unix-socket';
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

export async function startFxsStatusServer(options: FxsStatusServerOptions): Promise<FxsStatusServer> {
  const { socketPath, status, logger } = options;
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

  return serveOnUnixSocket(server, socketPath, 'edgesip-fxs', 'fxs status socket', logger);
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

function describe(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) return err.stack === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, stack: err.stack };
  return { name: typeof err, message: String(err) };
}
