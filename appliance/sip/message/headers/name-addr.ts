import { SipParseError } from '../errors';
import { getHeaderValues, headersNamed, type SipMessage } from '../message';
import { parseUri } from '../uri';
import { formatParams, parseParams, quote, quotedEnd, syntax, unquote, type Params } from './params';

/**
 * name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Reply-To
 * (RFC 3261 §20.10, grammar §25.1), and the accessors for the single-valued headers a
 * request must carry (§8.1.1).
 */
export interface NameAddr {
  /** Display name: quotes and backslash escapes removed, or the token words as written. */
  displayName?: string;
  /** The URI exactly as written (latin1); it has been checked with parseUri. */
  uri: string;
  /** Header parameters (`;tag=…`, `;expires=…`), never URI parameters. */
  params: Params;
}

/** token characters (§25.1): alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "-.!%*_+`'~") TOKEN_CHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN_CHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN_CHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN_CHAR[c] = 1;

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Parse `[display-name] <uri> *(;param)` or `addr-spec *(;param)`. `headerName` names the
 * header in errors. Throws SipParseError: SIP_ERR_HEADER_SYNTAX/400 for structure,
 * SIP_ERR_URI/400 when the URI itself is malformed.
 */
export function parseNameAddr(value: string, headerName: string): NameAddr {
  let i = 0;
  let end = value.length;
  while (i < end && isWsp(value.charCodeAt(i))) i++;
  while (end > i && isWsp(value.charCodeAt(end - 1))) end--;
  if (i === end) throw syntax(headerName, 'empty value');

  if (value.charCodeAt(i) === 0x22 /* " */) {
    // display-name = quoted-string; LAQUOT = SWS "<" so LWS before '<' is optional.
    const qEnd = quotedEnd(value, i, headerName);
    if (qEnd > end) throw syntax(headerName, 'unterminated quoted string');
    let lt = qEnd;
    while (lt < end && isWsp(value.charCodeAt(lt))) lt++;
    if (value.charCodeAt(lt) !== 0x3c /* < */) throw syntax(headerName, "expected '<' after the quoted display name");
    return bracketed(value, lt, end, headerName, unquote(value.slice(i, qEnd)));
  }

  // display-name = *(token LWS). RFC 4475 §3.1.1.6 (lwsdisp): no LWS is needed before '<'.
  let j = i;
  while (j < end) {
    const c = value.charCodeAt(j);
    if (c > 0xff || (TOKEN_CHAR[c] === 0 && !isWsp(c))) break;
    j++;
  }
  if (j < end && value.charCodeAt(j) === 0x3c) {
    let dEnd = j;
    while (dEnd > i && isWsp(value.charCodeAt(dEnd - 1))) dEnd--;
    return bracketed(value, j, end, headerName, dEnd > i ? value.slice(i, dEnd) : undefined);
  }
  if (value.indexOf('<', i) >= 0) {
    // RFC 4475 §3.1.2.15 (baddn): an unquoted display name with ',' or other non-token characters.
    throw syntax(headerName, 'display name must be tokens or a quoted string');
  }
  return addrSpec(value, i, end, headerName);
}

function bracketed(value: string, lt: number, end: number, headerName: string, displayName: string | undefined): NameAddr {
  const gt = value.indexOf('>', lt + 1);
  if (gt < 0 || gt >= end) throw syntax(headerName, "missing '>'");
  // LAQUOT/RAQUOT leave no room for LWS inside the brackets (RFC 4475 §3.1.2.14 badaspec):
  // parseUri rejects whitespace, so " sip:x " is a 400 rather than a guess.
  const uri = value.slice(lt + 1, gt);
  parseUri(uri, headerName);
  const params = parseParams(value.slice(gt + 1, end), headerName);
  const out: NameAddr = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

/**
 * addr-spec without brackets: the URI ends at the first ';' or whitespace and what follows
 * are header parameters. §20.10: a URI containing ',', '?' or ';' must be bracketed, so a
 * '?' or ',' here is an error (RFC 4475 §3.1.2.13 regbadct) rather than a guess.
 */
function addrSpec(value: string, i: number, end: number, headerName: string): NameAddr {
  let k = i;
  while (k < end) {
    const c = value.charCodeAt(k);
    if (c === 0x3b || isWsp(c)) break;
    if (c === 0x3f || c === 0x2c) {
      throw syntax(headerName, "a URI with '?', ',' or ';' must be enclosed in <> (RFC 3261 §20.10)");
    }
    k++;
  }
  const uri = value.slice(i, k);
  parseUri(uri, headerName);
  return { uri, params: parseParams(value.slice(k, end), headerName) };
}

/** The wire form: the URI always in brackets (always legal), display name quoted. */
export function formatNameAddr(na: NameAddr): string {
  const display = na.displayName === undefined || na.displayName === '' ? '' : `${quote(na.displayName)} `;
  return `${display}<${na.uri}>${formatParams(na.params)}`;
}

/** The `tag` parameter (§19.3); undefined when absent or written without a value. */
export function tagOf(na: NameAddr): string | undefined {
  const tag = na.params.get('tag');
  return typeof tag === 'string' ? tag : undefined;
}

// ---------------------------------------------------------------------------------
// Scalar header values

/**
 * Contact values already split at top-level commas. `*` (§10.2.2, only valid alone)
 * comes back as '*'.
 */
export function parseContacts(values: readonly string[]): NameAddr[] | '*' {
  if (values.some((v) => v === '*')) {
    if (values.length !== 1) throw syntax('Contact', "'*' must be the only Contact value");
    return '*';
  }
  return values.map((v) => parseNameAddr(v, 'Contact'));
}

/** word characters of callid = word [ "@" word ] (§25.1). */
const WORD_CHAR = new Uint8Array(256);
WORD_CHAR.set(TOKEN_CHAR);
for (const c of '()<>:\\"/[]?{}') WORD_CHAR[c.charCodeAt(0)] = 1;

export function parseCallId(value: string): string {
  let at = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x40 /* @ */ && at < 0 && i > 0) at = i;
    else if (c > 0xff || WORD_CHAR[c] === 0) throw syntax('Call-ID', `bad character at offset ${i}`);
  }
  if (value.length === 0 || at === value.length - 1) throw syntax('Call-ID', 'empty word');
  return value;
}

/**
 * Max-Forwards = 1*DIGIT. Values above 255 come back as undefined: RFC 4475 §3.1.2.4
 * lets an element treat an overlarge Max-Forwards as absent (and apply its default).
 */
export function parseMaxForwards(value: string): number | undefined {
  if (!allDigits(value)) throw syntax('Max-Forwards', `not a number: "${value.slice(0, 20)}"`);
  // Leading zeros are legal (RFC 4475 wsinv "0068"); past 3 significant digits it is > 255.
  let k = 0;
  while (k < value.length - 1 && value.charCodeAt(k) === 0x30) k++;
  if (value.length - k > 3) return undefined;
  const n = Number(value.slice(k));
  return n > 255 ? undefined : n;
}

/**
 * Content-Length = 1*DIGIT. Numbers too long to be exact come back as Infinity, which
 * every size check rejects; the value is never used as an index before such a check.
 */
export function parseContentLength(value: string): number {
  if (!allDigits(value)) {
    throw new SipParseError('SIP_ERR_CONTENT_LENGTH', `Content-Length: not a non-negative number: "${value.slice(0, 20)}"`, 400, 'Content-Length');
  }
  return value.length > 15 ? Number.POSITIVE_INFINITY : Number(value);
}

function allDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------
// Accessors on a message

/** The one value of a single-valued header; SIP_ERR_HEADER_MISSING / _MULTIPLE otherwise. */
function singleValue(msg: SipMessage, name: string, label: string): string {
  const found = headersNamed(msg, name);
  if (found.length === 0) throw new SipParseError('SIP_ERR_HEADER_MISSING', `no ${label} header`, 400, label);
  if (found.length > 1) throw new SipParseError('SIP_ERR_HEADER_MULTIPLE', `more than one ${label} header`, 400, label);
  return found[0]!.value;
}

function optionalValue(msg: SipMessage, name: string, label: string): string | undefined {
  const found = headersNamed(msg, name);
  if (found.length > 1) throw new SipParseError('SIP_ERR_HEADER_MULTIPLE', `more than one ${label} header`, 400, label);
  return found[0]?.value;
}

export function fromOf(msg: SipMessage): NameAddr {
  return parseNameAddr(singleValue(msg, 'from', 'From'), 'From');
}

export function toOf(msg: SipMessage): NameAddr {
  return parseNameAddr(singleValue(msg, 'to', 'To'), 'To');
}

export function callIdOf(msg: SipMessage): string {
  return parseCallId(singleValue(msg, 'call-id', 'Call-ID'));
}

/** Every Contact, across header lines and commas; '*' for the wildcard; [] when there is none. */
export function contactsOf(msg: SipMessage): NameAddr[] | '*' {
  return parseContacts(getHeaderValues(msg, 'contact'));
}

/** Max-Forwards, or undefined when absent (RFC 2543 requests) or overlarge (> 255). */
export function maxForwardsOf(msg: SipMessage): number | undefined {
  const value = optionalValue(msg, 'max-forwards', 'Max-Forwards');
  return value === undefined ? undefined : parseMaxForwards(value);
}

/** Content-Length, or undefined when absent. */
export function contentLengthOf(msg: SipMessage): number | undefined {
  const value = optionalValue(msg, 'content-length', 'Content-Length');
  return value === undefined ? undefined : parseContentLength(value);
}
