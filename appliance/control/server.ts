/**
 * The control API: HTTP/1.1 with JSON bodies on a UNIX socket (mode 0660, so only
 * root, the daemon's user and members of its group reach it), never on TCP. It validates input, calls the
 * AdminBackend and renders the result; the CLI is its client (client.ts).
 *
 * Request bodies carry passwords: they are never logged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AdminError, type AdminBackend } from './backend';
import { HttpError, readJson, sendJson, type ApiErrorBody } from './http-json';
import { matchRoute, pathOf, queryOf } from './routes';
import { serveOnUnixSocket, UnixSocketError } from './unix-socket';

/** Why the control server could not start on its socket path (kept under its old name). */
export { UnixSocketError as ControlSocketError };

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

const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, backend, logger } = options;
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

  return serveOnUnixSocket(server, socketPath, 'edgesipd', 'control API', logger);
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
