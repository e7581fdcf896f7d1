/**
 * Client side of the control API (used by the edgesip CLI): one JSON request over the
 * daemon's UNIX socket.
 */
import { request } from 'node:http';

export interface ControlResponse {
  status: number;
  /** Parsed JSON body; null when the reply had none (204). */
  body: unknown;
}

export type ControlClientErrorCode =
  | 'EDGESIP_ERR_NOT_RUNNING' // no socket, or nobody listening on it
  | 'EDGESIP_ERR_PERMISSION' // the socket (or its directory) is not open to us: join group edgesip, or sudo
  | 'EDGESIP_ERR_TIMEOUT'
  | 'EDGESIP_ERR_PROTOCOL'; // the reply was not JSON, or the connection broke

export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  constructor(
    readonly code: ControlClientErrorCode,
    message: string,
    readonly socketPath: string,
  ) {
    super(message);
  }
}

export interface ControlRequestOptions {
  timeoutMs?: number;
}

const NOT_RUNNING = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTDIR', 'ENOTSOCK']);

export function controlRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  options: ControlRequestOptions = {},
): Promise<ControlResponse> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const headers: Record<string, string | number> = { Accept: 'application/json' };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: ControlClientError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    };
    const req = request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => fail(new ControlClientError('EDGESIP_ERR_PROTOCOL', `reply broken off: ${err.message}`, socketPath)));
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = null;
        if (text.trim() !== '') {
          try {
            parsed = JSON.parse(text) as unknown;
          } catch {
            fail(new ControlClientError('EDGESIP_ERR_PROTOCOL', `reply is not JSON (HTTP ${res.statusCode ?? 0})`, socketPath));
            return;
          }
        }
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.setTimeout(timeoutMs, () => fail(new ControlClientError('EDGESIP_ERR_TIMEOUT', `no reply within ${timeoutMs} ms`, socketPath)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (NOT_RUNNING.has(code)) fail(new ControlClientError('EDGESIP_ERR_NOT_RUNNING', `edgesipd is not running (${code} on ${socketPath})`, socketPath));
      else if (code === 'EACCES' || code === 'EPERM') fail(new ControlClientError('EDGESIP_ERR_PERMISSION', `permission denied on ${socketPath}`, socketPath));
      else fail(new ControlClientError('EDGESIP_ERR_PROTOCOL', `control request failed: ${err.message}`, socketPath));
    });
    req.end(payload);
  });
}
