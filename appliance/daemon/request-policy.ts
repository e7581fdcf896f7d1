import { maxForwardsOf } from '../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type Header, type SipRequest } from '../sip/message/message';
import { parseUri } from '../sip/message/uri';

/**
 * What this server implements, in one place: the Allow, Supported and Accept headers
 * it sends are derived from here, so they never claim more than the code does.
 */
export interface Capabilities {
  /** Methods with a handler. */
  allow: readonly string[];
  /** Option tags (RFC 3261 §19.2) the server supports. */
  supported: readonly string[];
  /** Body types the server understands. */
  accept: readonly string[];
}

/** Methods some RFC defines; a request with any other method gets 501, these 405. */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO',
  'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'PUBLISH',
]);

/** Methods whose body this server would interpret (session descriptions). */
const SDP_METHODS = new Set(['INVITE', 'UPDATE', 'PRACK', 'ACK']);

export interface Rejection {
  status: number;
  reason?: string;
  headers: Header[];
}

/**
 * The checks every out-of-dialog request passes before its method handler, in the
 * order of RFC 3261 §8.2 (method, headers, content, extensions). Returns the
 * rejection to send, or undefined to go on. ACK is never answered (§17.2.3).
 */
export function precheck(request: SipRequest, caps: Capabilities): Rejection | undefined {
  const allowHeader = { name: 'Allow', value: caps.allow.join(', ') };

  // §16.3 step 3 (this server forwards as a B2BUA): no hops left.
  if (maxForwardsOf(request) === 0 && request.method !== 'ACK') return { status: 483, headers: [] };

  // §8.2.2.1: a Request-URI scheme we cannot serve.
  const scheme = parseUri(request.uri).scheme.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return { status: 416, headers: [] };

  // §8.2.1: method inspection.
  if (!caps.allow.includes(request.method)) {
    return { status: KNOWN_METHODS.has(request.method) ? 405 : 501, headers: [allowHeader] };
  }

  if (request.method === 'ACK' || request.method === 'CANCEL') return undefined;

  // §8.2.2.3: Require with option tags we do not support.
  const unsupported = getHeaderValues(request, 'require').filter((tag) => tag !== '' && !caps.supported.includes(tag.toLowerCase()));
  if (unsupported.length > 0) return { status: 420, headers: [{ name: 'Unsupported', value: unsupported.join(', ') }] };

  // §8.2.3: a body we would have to interpret but cannot.
  if (SDP_METHODS.has(request.method) && request.body.length > 0) {
    const type = (getHeader(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!caps.accept.includes(type)) return { status: 415, headers: [{ name: 'Accept', value: caps.accept.join(', ') }] };
  }
  // §8.2.3 / RFC 4475 §3.3.15: the answer must be in a type the caller accepts.
  if (request.method === 'INVITE') {
    const accepted = getHeaderValues(request, 'accept').map((a) => a.split(';')[0]!.trim().toLowerCase());
    if (accepted.length > 0 && !accepted.some((a) => a === 'application/sdp' || a === '*/*' || a === 'application/*')) {
      return { status: 406, headers: [{ name: 'Warning', value: '399 edgesip "only application/sdp answers are produced"' }] };
    }
  }
  return undefined;
}
