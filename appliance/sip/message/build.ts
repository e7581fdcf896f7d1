import { randomBytes } from 'node:crypto';
import { canonicalName, getHeaderValues, headersNamed, type Header, type SipRequest, type SipResponse } from './message';
import { cseqOf } from './headers/cseq';
import { parseNameAddr } from './headers/name-addr';

/**
 * Responses built from requests (RFC 3261 §8.2.6) and the random identifiers a UA mints.
 */

export interface ResponseOptions {
  /** Tag to add to To when the request's To has none; a fresh one otherwise. */
  toTag?: string;
  /** Extra headers, written after the copied ones and before Content-Length. */
  headers?: Header[];
}

/**
 * §8.2.6.2: the response copies every Via (same order), From, To, Call-ID and CSeq; To
 * gains a tag unless it has one or the status is 100. Works on the `request` of a
 * failed parse too: values are copied as they are, without being parsed, and a To that
 * does not parse is left alone rather than guessed at. The body is empty.
 */
export function createResponse(request: SipRequest, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`status ${status} outside 100..699`);
  const headers: Header[] = [];
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let timestamp: string | undefined;
  for (const h of request.headers) {
    switch (canonicalName(h.name)) {
      case 'via':
        headers.push({ name: 'Via', value: h.value });
        break;
      // Single-valued: a broken request may repeat them; the first one is answered.
      case 'from':
        from ??= h.value;
        break;
      case 'to':
        to ??= h.value;
        break;
      case 'call-id':
        callId ??= h.value;
        break;
      case 'cseq':
        cseq ??= h.value;
        break;
      case 'timestamp':
        timestamp ??= h.value;
        break;
      default:
        break;
    }
  }
  if (from !== undefined) headers.push({ name: 'From', value: from });
  if (to !== undefined) headers.push({ name: 'To', value: status > 100 ? withTag(to, opts.toTag) : to });
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: cseq });
  // §8.2.6.1: a 100 (Trying) copies the request's Timestamp.
  if (status === 100 && timestamp !== undefined) headers.push({ name: 'Timestamp', value: timestamp });
  if (opts.headers) headers.push(...opts.headers);
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'response', status, reason: reason ?? reasonPhrase(status), headers, body: Buffer.alloc(0) };
}

/** To value with `;tag=` appended when it parses and has no tag parameter (§8.2.6.2). */
function withTag(to: string, tag: string | undefined): string {
  try {
    if (parseNameAddr(to, 'To').params.has('tag')) return to;
  } catch {
    return to;
  }
  return `${to};tag=${tag ?? newTag()}`;
}

/** Reason phrases of RFC 3261 §21 and the later RFCs that registered codes SIP servers meet. */
const REASONS: ReadonlyMap<number, string> = new Map([
  [100, 'Trying'],
  [180, 'Ringing'],
  [181, 'Call Is Being Forwarded'],
  [182, 'Queued'],
  [183, 'Session Progress'],
  [199, 'Early Dialog Terminated'], // RFC 6228
  [200, 'OK'],
  [202, 'Accepted'], // RFC 3265 (deprecated by RFC 6665 but still sent)
  [204, 'No Notification'], // RFC 5839
  [300, 'Multiple Choices'],
  [301, 'Moved Permanently'],
  [302, 'Moved Temporarily'],
  [305, 'Use Proxy'],
  [380, 'Alternative Service'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [402, 'Payment Required'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [407, 'Proxy Authentication Required'],
  [408, 'Request Timeout'],
  [410, 'Gone'],
  [413, 'Request Entity Too Large'],
  [414, 'Request-URI Too Long'],
  [415, 'Unsupported Media Type'],
  [416, 'Unsupported URI Scheme'],
  [420, 'Bad Extension'],
  [421, 'Extension Required'],
  [423, 'Interval Too Brief'],
  [429, 'Provide Referrer Identity'], // RFC 3892
  [430, 'Flow Failed'], // RFC 5626
  [433, 'Anonymity Disallowed'], // RFC 5079
  [439, 'First Hop Lacks Outbound Support'], // RFC 5626
  [440, 'Max-Breadth Exceeded'], // RFC 5393
  [469, 'Bad Info Package'], // RFC 6086
  [470, 'Consent Needed'], // RFC 5360
  [480, 'Temporarily Unavailable'],
  [481, 'Call/Transaction Does Not Exist'],
  [482, 'Loop Detected'],
  [483, 'Too Many Hops'],
  [484, 'Address Incomplete'],
  [485, 'Ambiguous'],
  [486, 'Busy Here'],
  [487, 'Request Terminated'],
  [488, 'Not Acceptable Here'],
  [489, 'Bad Event'], // RFC 6665
  [491, 'Request Pending'],
  [493, 'Undecipherable'],
  [500, 'Server Internal Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Server Time-out'],
  [505, 'Version Not Supported'],
  [513, 'Message Too Large'],
  [580, 'Precondition Failure'], // RFC 3312
  [600, 'Busy Everywhere'],
  [603, 'Decline'],
  [604, 'Does Not Exist Anywhere'],
  [606, 'Not Acceptable'],
]);

/** Generic phrases for codes outside the table; §8.1.3.2 lets the class (x00) speak for them. */
const CLASS_REASONS = ['Provisional', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

export function reasonPhrase(status: number): string {
  return REASONS.get(status) ?? CLASS_REASONS[Math.floor(status / 100) - 1] ?? 'Unknown';
}

/** A To/From tag: 64 random bits (§19.3 asks for at least 32), hex so it is a token. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** A Call-ID: 128 random bits (§8.1.1.4: globally unique, hard to guess), optionally `@host`. */
export function newCallId(host?: string): string {
  const id = randomBytes(16).toString('hex');
  return host === undefined ? id : `${id}@${host}`;
}

/**
 * §9.1: the CANCEL of a client INVITE: the same Request-URI, Call-ID, To, From, Route
 * set and CSeq number, and exactly the INVITE's top Via (branch included) so that it
 * matches the INVITE's transaction at the next hop. `extra` (a Reason header) goes
 * before Content-Length.
 */
export function buildCancel(invite: SipRequest, extra: Header[] = []): SipRequest {
  const copy = (name: string): Header[] => headersNamed(invite, name).map((h) => ({ name: h.name, value: h.value }));
  return {
    kind: 'request',
    method: 'CANCEL',
    uri: invite.uri,
    headers: [
      { name: 'Via', value: getHeaderValues(invite, 'via')[0] ?? '' },
      ...copy('route'),
      { name: 'Max-Forwards', value: '70' },
      ...copy('from'),
      ...copy('to'),
      ...copy('call-id'),
      { name: 'CSeq', value: `${cseqOf(invite).seq} CANCEL` },
      ...extra,
      { name: 'Content-Length', value: '0' },
    ],
    body: Buffer.alloc(0),
  };
}
