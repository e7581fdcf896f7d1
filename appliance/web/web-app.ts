/**
 * The HTTPS admin's request handler: the single-page UI (embedded at build time), the
 * login/session endpoints, and the control API under /api/v1 — the same routes and
 * code the CLI reaches over the unix socket (control/server.ts serveApiRequest).
 *
 * Protection, in order: every response carries strict security headers (CSP without
 * inline script, no framing, HSTS); /api needs a session cookie (HttpOnly, Secure,
 * SameSite=Strict, __Host- prefixed); every change needs the session's CSRF token in
 * X-CSRF-Token, a same-origin Origin when the browser sends one, and a JSON body type.
 * Request bodies carry passwords: they are never logged.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminBackend } from '../control/backend';
import { HttpError, readJson, sendJson } from '../control/http-json';
import { pathOf } from '../control/routes';
import { serveApiRequest, type ControlLogger } from '../control/server';
import { checkAdminPassword } from '../control/validate';
import { AdminError } from '../control/backend';
import type { AdminAccess } from './admin-access';
import { sameToken, type Session } from './sessions';

export interface WebAssets {
  'app.js': string;
  'app.css': string;
}

export interface WebAppDeps {
  backend: AdminBackend;
  access: AdminAccess;
  assets: WebAssets;
  logger: ControlLogger;
  /** Minutes a session may stay unused (config web.idleTimeoutMinutes, read per request). */
  idleTimeoutMinutes: () => number;
}

export const SESSION_COOKIE = '__Host-edgesip_session';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const INDEX_HTML =
  '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
  '<title>EdgeSIP</title><link rel="stylesheet" href="/assets/app.css"></head>' +
  '<body><div id="app"></div><script src="/assets/app.js"></script></body></html>\n';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'Strict-Transport-Security': 'max-age=31536000',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

export function createWebApp(deps: WebAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const files = new Map<string, StaticFile>([
    ['/', staticFile(INDEX_HTML, 'text/html; charset=utf-8')],
    ['/assets/app.js', staticFile(deps.assets['app.js'], 'text/javascript; charset=utf-8')],
    ['/assets/app.css', staticFile(deps.assets['app.css'], 'text/css; charset=utf-8')],
  ]);
  return (req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    handle(req, res, deps, files).catch((err: unknown) => {
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'web admin: request failed');
      if (!res.headersSent) sendJson(res, 500, { code: 'EDGESIP_ERR_INTERNAL', message: 'internal error; see the edgesipd log' });
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: WebAppDeps, files: Map<string, StaticFile>): Promise<void> {
  const method = req.method ?? 'GET';
  const path = pathOf(req.url ?? '/');
  if (!path.startsWith('/api/')) {
    if (method !== 'GET' && method !== 'HEAD') {
      req.resume();
      return sendJson(res, 405, { code: 'EDGESIP_ERR_METHOD', message: `${method} is not allowed here` }, { Allow: 'GET, HEAD' });
    }
    // The UI routes by URL fragment; every other page path gets the same document.
    const file = files.get(path) ?? (path.startsWith('/assets/') ? undefined : files.get('/')!);
    if (file === undefined) return sendJson(res, 404, { code: 'EDGESIP_ERR_NOT_FOUND', message: `no such file: ${path}` });
    return sendStatic(req, res, file);
  }
  try {
    if (MUTATING.has(method)) sameOriginOnly(req);
    const session = deps.access.sessions.use(cookie(req, SESSION_COOKIE));
    switch (path) {
      case '/api/login':
        if (method !== 'POST') throw methodNotAllowed(method, 'POST');
        return await login(req, res, deps);
      case '/api/session':
        if (method !== 'GET') throw methodNotAllowed(method, 'GET');
        req.resume();
        return sendJson(res, 200, sessionBody(requireSession(session), deps));
      case '/api/logout':
        if (method !== 'POST') throw methodNotAllowed(method, 'POST');
        req.resume();
        // Logging out needs no valid session: an expired one just gets its cookie cleared.
        if (session !== undefined) {
          requireCsrf(req, session);
          deps.access.sessions.end(session.id);
          deps.logger.info({ user: session.user }, 'web logout');
        }
        return sendJson(res, 204, undefined, { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict` });
      case '/api/account/password':
        if (method !== 'POST') throw methodNotAllowed(method, 'POST');
        return await changeOwnPassword(req, res, deps, requireSession(session));
    }
    if (!path.startsWith('/api/v1/')) throw new HttpError(404, 'EDGESIP_ERR_NOT_FOUND', `no such route: ${path}`);
    const live = requireSession(session);
    if (MUTATING.has(method)) requireCsrf(req, live);
    return await serveApiRequest(req, res, { backend: deps.backend, logger: deps.logger, path: path.slice('/api'.length), actor: `web:${live.user}` });
  } catch (err) {
    req.resume();
    if (err instanceof HttpError) return sendJson(res, err.status, err.toBody(), err.headers);
    if (err instanceof AdminError) return sendJson(res, err.httpStatus, err.field === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, field: err.field });
    throw err;
  }
}

async function login(req: IncomingMessage, res: ServerResponse, deps: WebAppDeps): Promise<void> {
  const body = await readJson(req);
  const { user, password } = credentials(body);
  const address = clientAddress(req);
  const verdict = deps.access.throttle.check(address, user);
  if (!verdict.allowed) {
    const seconds = Math.ceil(verdict.retryAfterMs / 1000);
    deps.logger.warn({ address, user, scope: verdict.scope }, 'web login refused: locked out');
    return sendJson(res, 429, { code: 'EDGESIP_ERR_LOCKED', message: `too many failed logins; try again in ${Math.ceil(seconds / 60)} min`, retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
  }
  if (!(await deps.access.accounts.verify(user, password))) {
    deps.access.throttle.failed(address, user);
    deps.logger.warn({ address, user }, 'web login failed');
    return sendJson(res, 401, { code: 'EDGESIP_ERR_LOGIN', message: 'wrong user name or password' });
  }
  deps.access.throttle.succeeded(address);
  const session = deps.access.sessions.create(user);
  deps.logger.info({ address, user }, 'web login');
  sendJson(res, 200, sessionBody(session, deps), { 'Set-Cookie': `${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; Secure; SameSite=Strict` });
}

async function changeOwnPassword(req: IncomingMessage, res: ServerResponse, deps: WebAppDeps, session: Session): Promise<void> {
  requireCsrf(req, session);
  const body = await readJson(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'request body must be a JSON object', '(body)');
  const { current, password } = body as Record<string, unknown>;
  if (typeof current !== 'string') throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'is required', 'current');
  const address = clientAddress(req);
  // A stolen session must not be enough to take the account over: the old password
  // is asked, and guesses at it count like login failures.
  const verdict = deps.access.throttle.check(address, session.user);
  if (!verdict.allowed) throw new HttpError(429, 'EDGESIP_ERR_LOCKED', 'too many failed attempts; try again later');
  if (!(await deps.access.accounts.verify(session.user, current))) {
    deps.access.throttle.failed(address, session.user);
    throw new HttpError(403, 'EDGESIP_ERR_LOGIN', 'the current password is wrong', 'current');
  }
  const next = checkAdminPassword(password, session.user);
  await deps.access.setPassword(session.user, next, session.id);
  deps.logger.info({ user: session.user, address }, 'web admin password changed');
  sendJson(res, 204, undefined);
}

function credentials(body: unknown): { user: string; password: string } {
  const obj = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (typeof obj.user !== 'string' || obj.user === '' || obj.user.length > 64) throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'is required', 'user');
  if (typeof obj.password !== 'string' || obj.password === '' || obj.password.length > 256) throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'is required', 'password');
  return { user: obj.user, password: obj.password };
}

function sessionBody(session: Session, deps: WebAppDeps) {
  return { user: session.user, csrfToken: session.csrfToken, idleTimeoutSeconds: deps.idleTimeoutMinutes() * 60, language: deps.backend.getLanguage().language };
}

function requireSession(session: Session | undefined): Session {
  if (session === undefined) throw new HttpError(401, 'EDGESIP_ERR_SESSION', 'not logged in, or the session has ended; log in again');
  return session;
}

function requireCsrf(req: IncomingMessage, session: Session): void {
  const given = req.headers['x-csrf-token'];
  if (!sameToken(typeof given === 'string' ? given : undefined, session.csrfToken)) {
    throw new HttpError(403, 'EDGESIP_ERR_CSRF', 'missing or wrong X-CSRF-Token header; reload the page');
  }
}

/**
 * Changes come from our own pages only: a cross-site Origin is refused, and a body
 * must be declared JSON (a plain HTML form elsewhere cannot send that without CORS).
 */
function sameOriginOnly(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      host = '';
    }
    if (host !== req.headers.host) throw new HttpError(403, 'EDGESIP_ERR_CSRF', 'cross-origin request refused');
  } else if (origin === 'null') throw new HttpError(403, 'EDGESIP_ERR_CSRF', 'cross-origin request refused');
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  if ((hasBody || req.headers['transfer-encoding'] !== undefined) && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'EDGESIP_ERR_MEDIA_TYPE', 'request body must be application/json', '(body)');
  }
}

function methodNotAllowed(method: string, allow: string): HttpError {
  return new HttpError(405, 'EDGESIP_ERR_METHOD', `${method} is not allowed here; allowed: ${allow}`, undefined, { Allow: allow });
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The peer's address, IPv4-mapped IPv6 written as IPv4 (one client, one throttle entry). */
function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function staticFile(text: string, type: string): StaticFile {
  const body = Buffer.from(text);
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function sendStatic(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  req.resume();
  res.setHeader('ETag', file.etag);
  // Revalidate every time: after an update the browser must not keep an old UI.
  res.setHeader('Cache-Control', 'no-cache');
  if (req.headers['if-none-match'] === file.etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', file.type);
  res.setHeader('Content-Length', file.body.length);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** The plain-HTTP port's only job: send the browser to the HTTPS admin. */
export function createRedirectApp(httpsPort: () => number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.resume();
    const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const safeHost = /^[\w.-]+$|^\[[0-9a-fA-F:.]+\]$/.test(host) ? host : 'localhost';
    const port = httpsPort();
    res.statusCode = 301;
    res.setHeader('Location', `https://${safeHost}${port === 443 ? '' : `:${port}`}/`);
    res.setHeader('Content-Length', 0);
    res.end();
  };
}
