/**
 * The SIP message model (RFC 3261 §7).
 *
 * Header text is held as latin1 strings: one character per octet. That keeps every
 * byte of the wire form (raw NUL, BEL, UTF-8 sequences in quoted strings) exactly as
 * received, so unknown headers serialise back byte for byte. Use `utf8Text()` when a
 * value is shown to a person.
 *
 * The header list is the single source of truth. Structured views (Via, CSeq, …) are
 * parsed from it on demand by the functions in `headers/`.
 */

export interface Header {
  /** Name as written on the wire (case and compact form preserved). */
  readonly name: string;
  /** Value with folding (CRLF + WSP) replaced by a single SP and surrounding LWS trimmed. */
  readonly value: string;
  /**
   * Exact original line(s) without the final CRLF, folding included. Present only on
   * headers that came from the parser and were not changed; the serializer writes it
   * as is so that unknown headers survive byte-exact.
   */
  readonly raw?: string;
}

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  /** Request-URI exactly as on the wire (latin1). */
  uri: string;
  headers: Header[];
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  headers: Header[];
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §7.3.3 and later RFCs' compact forms, keyed by the lower-case letter. */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Lower-case long form of a header name; compact forms expanded. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/**
 * Headers whose values may not be split at commas: their grammar lets a comma appear
 * unquoted (dates, auth params) or they are single-valued by definition.
 */
const NOT_LIST = new Set([
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'authentication-info',
  'date',
  'call-id',
  'cseq',
  'from',
  'to',
  'max-forwards',
  'content-length',
  'content-type',
  'expires',
  'min-expires',
  'subject',
  'user-agent',
  'server',
  'organization',
  'retry-after',
  'timestamp',
  'content-disposition',
  'mime-version',
  'priority',
  'reply-to',
  'in-reply-to',
  'warning',
]);

/** Every header with that name (compact-aware, case-insensitive), in order. */
export function headersNamed(msg: SipMessage, name: string): Header[] {
  const want = canonicalName(name);
  return msg.headers.filter((h) => canonicalName(h.name) === want);
}

/** Value of the first header with that name, or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const want = canonicalName(name);
  for (const h of msg.headers) if (canonicalName(h.name) === want) return h.value;
  return undefined;
}

/**
 * All values of a header, across repeated lines, split at top-level commas for list
 * headers (§7.3.1). Commas inside quoted strings and <...> do not split.
 */
export function getHeaderValues(msg: SipMessage, name: string): string[] {
  const canon = canonicalName(name);
  const out: string[] = [];
  for (const h of headersNamed(msg, name)) {
    if (NOT_LIST.has(canon)) out.push(h.value);
    else out.push(...splitList(h.value));
  }
  return out;
}

/**
 * Split a header value at top-level commas. Quoted strings (with backslash escapes)
 * and angle-bracketed URIs are kept whole. Empty elements are kept as '' so callers
 * can reject `a,,b` where the grammar forbids it.
 */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c /* < */) angle = true;
    else if (c === 0x3e /* > */) angle = false;
    else if (c === 0x2c /* , */ && !angle) {
      parts.push(trimLws(value.slice(start, i)));
      start = i + 1;
    }
  }
  parts.push(trimLws(value.slice(start)));
  return parts;
}

/**
 * Trim SP and HTAB only. String#trim would also strip 0xA0, which in latin1-held text
 * can be the last octet of a UTF-8 character.
 */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}

/** Replace every header of that name with one header carrying `value`, at the first one's place. */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const want = canonicalName(name);
  const at = msg.headers.findIndex((h) => canonicalName(h.name) === want);
  const fresh: Header = { name, value };
  if (at < 0) {
    msg.headers.push(fresh);
    return;
  }
  // Only later headers of that name are removed, so `at` still points at the first.
  msg.headers = msg.headers.filter((h, i) => i === at || canonicalName(h.name) !== want);
  msg.headers[at] = fresh;
}

export function appendHeader(msg: SipMessage, name: string, value: string): void {
  msg.headers.push({ name, value });
}

/** Insert before the first header of that name (a new top Via, Record-Route…), else at the top. */
export function prependHeader(msg: SipMessage, name: string, value: string): void {
  const want = canonicalName(name);
  const at = msg.headers.findIndex((h) => canonicalName(h.name) === want);
  msg.headers.splice(at < 0 ? 0 : at, 0, { name, value });
}

export function removeHeader(msg: SipMessage, name: string): void {
  const want = canonicalName(name);
  msg.headers = msg.headers.filter((h) => canonicalName(h.name) !== want);
}

/** Decode a latin1-held header value as UTF-8 text for display. */
export function utf8Text(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
