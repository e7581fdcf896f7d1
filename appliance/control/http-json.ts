/**
 * JSON over node:http for the control API: bounded body reading and JSON replies.
 * Request bodies carry passwords, so nothing here ever logs them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body accepted (64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The error body of every non-2xx reply. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

/** A failure of the HTTP layer itself (routing, body framing), with its reply. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Extra reply headers (Allow for 405). */
    readonly headers: Record<string, string> = {},
    /** The connection must be closed after the reply (unread body left on it). */
    readonly closeConnection = false,
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}

/** Pseudo field name for problems with the body as a whole. */
export const BODY_FIELD = '(body)';

function tooLarge(limit: number): HttpError {
  return new HttpError(400, 'EDGESIP_ERR_INVALID', `request body is larger than ${limit} bytes`, BODY_FIELD, {}, true);
}

/** Reads the whole body, refusing it (without buffering the rest) once it exceeds `limit`. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      if (err) {
        req.resume(); // discard the rest; the connection is closed after the reply
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(null);
    const onError = (err: Error): void => finish(err);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Reads and parses a JSON body; an empty or malformed one is a 400 naming `(body)`. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const raw = await readBody(req, limit);
  const text = raw.toString('utf8').trim();
  if (text === '') throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'request body is empty; a JSON object is expected', BODY_FIELD);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message may quote the body (a password): never echo it.
    throw new HttpError(400, 'EDGESIP_ERR_INVALID', 'request body is not valid JSON', BODY_FIELD);
  }
}

/** Sends `body` as JSON; `undefined` sends no body (204). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  if (body === undefined) {
    res.statusCode = status;
    res.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
