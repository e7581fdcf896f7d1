/** SIP message builders for tests. */
import type { Header, SipRequest, SipResponse } from '../message/message';
import { buildResponseFromRequest } from '../transaction/invite-server';

/**
 * A request with the given header fields in order, then a Content-Length that matches
 * `body`.
 */
export function sipRequest(method: string, uri: string, headers: ReadonlyArray<readonly [string, string]>, body = Buffer.alloc(0)): SipRequest {
  const all: Header[] = headers.map(([name, value]) => ({ name, value }));
  all.push({ name: 'Content-Length', value: String(body.length) });
  return { kind: 'request', method, uri, headers: all, body };
}

/**
 * A response to `req` as a UAS builds it (§8.2.6: Via, From, To, Call-ID, CSeq copied;
 * Timestamp for a 100; no body), with `toTag` (if any) added to the To header field.
 */
export function responseTo(req: SipRequest, status: number, opts: { reason?: string; toTag?: string | undefined } = {}): SipResponse {
  const res = buildResponseFromRequest(req, status, opts.reason ?? 'X');
  const { toTag } = opts;
  if (toTag) res.headers = res.headers.map((h) => (h.name === 'To' ? { name: 'To', value: `${h.value};tag=${toTag}` } : h));
  return res;
}
