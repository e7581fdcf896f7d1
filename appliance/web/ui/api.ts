/**
 * The one way the UI talks to edgesipd: same-origin JSON over fetch. The session
 * cookie travels by itself (HttpOnly, JS never sees it); every mutating request also
 * carries the CSRF token the server gave at login. A 401 EDGESIP_ERR_SESSION from any
 * call means the session is gone (idle timeout, logout elsewhere): the handler set by
 * the app shows the login page again.
 */
import type { Language } from '../../control/backend';

/** What /api/session and /api/login answer. */
export interface SessionInfo {
  user: string;
  csrfToken: string;
  idleTimeoutSeconds: number;
  language: Language;
}

/** An error answer of the server (`{code, message, field?}`), or a network failure (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field at fault, e.g. `password`, `forward.always`, `allowedNetworks[1]`. */
    readonly field?: string,
    /** Set on 429 EDGESIP_ERR_LOCKED. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onSessionLost: () => void = () => {};

/** Remembers the token of the current session (login or GET /api/session). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called once by the app: what to do when the server says the session is gone. */
export function handleSessionLost(handler: () => void): void {
  onSessionLost = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== '') headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (res.ok) return data as T;
  const err = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const code = typeof err.code === 'string' ? err.code : `HTTP_${res.status}`;
  const apiError = new ApiError(
    res.status,
    code,
    typeof err.message === 'string' ? err.message : res.statusText,
    typeof err.field === 'string' ? err.field : undefined,
    typeof err.retryAfterSeconds === 'number' ? err.retryAfterSeconds : undefined,
  );
  if (res.status === 401 && code === 'EDGESIP_ERR_SESSION' && path !== '/api/session') onSessionLost();
  throw apiError;
}

/** The control API (`/v1/...` of the CLI), reached under /api. */
export const api = {
  get: <T>(path: string): Promise<T> => request<T>('GET', `/api${path}`),
  post: <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', `/api${path}`, body),
  put: <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', `/api${path}`, body),
  patch: <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', `/api${path}`, body),
  del: <T = void>(path: string): Promise<T> => request<T>('DELETE', `/api${path}`),
};

/** The web-only session routes. */
export const sessionApi = {
  current: (): Promise<SessionInfo> => request<SessionInfo>('GET', '/api/session'),
  login: (user: string, password: string): Promise<SessionInfo> => request<SessionInfo>('POST', '/api/login', { user, password }),
  logout: (): Promise<void> => request<void>('POST', '/api/logout'),
  changePassword: (current: string, password: string): Promise<void> => request<void>('POST', '/api/account/password', { current, password }),
};

/** A path segment, percent-encoded (CIDRs hold '/', block keys '|' and ':'). */
export const seg = (s: string): string => encodeURIComponent(s);
