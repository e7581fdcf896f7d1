import { SipParseError } from './errors';

/**
 * URIs as SIP carries them: SIP/SIPS URIs (RFC 3261 §19.1, grammar §25.1), tel URIs
 * (RFC 3966) and any other absolute URI, kept opaque with its scheme (RFC 3261 §25.1
 * absoluteURI) so that `mailto:` or `soap.beep:` parse and the element above decides
 * whether to answer 416 (RFC 4475 §3.3.2, §3.3.3).
 *
 * Text is latin1 (one char per octet), as in message.ts. The structured fields keep the
 * wire (escaped) form so that formatUri() writes back what was received; %-escapes are
 * decoded only where two URIs are compared (uriEquals) or when a caller asks
 * (uriParam, unescapeUri).
 */

/** Parameter names lower-cased with escapes decoded (they compare that way); values as written. */
export type UriParams = Map<string, string | null>;

export interface SipUri {
  readonly kind: 'sip';
  scheme: 'sip' | 'sips';
  /** User part as written (escaped); undefined when the URI has no userinfo. */
  user?: string;
  /** Password as written; undefined when there is no ':' in the userinfo. */
  password?: string;
  /** Host as written: hostname, IPv4 address, or IPv6 reference with its brackets. */
  host: string;
  port?: number;
  params: UriParams;
  /** `?name=value&…` pairs as written (escaped), in order. */
  headers: Array<[name: string, value: string]>;
}

export interface TelUri {
  readonly kind: 'tel';
  readonly scheme: 'tel';
  /** The number as written, '+' and visual separators included. */
  number: string;
  /** True for a global number (leading '+'), RFC 3966 §5.1.4. */
  global: boolean;
  /** Parameter names lower-cased; phone-context, ext, isub live here too. */
  params: UriParams;
}

export interface AbsoluteUri {
  readonly kind: 'absolute';
  /** Lower-cased scheme (schemes compare case-insensitively, RFC 3986 §3.1). */
  scheme: string;
  /** Everything after the first ':', exactly as written. */
  opaque: string;
}

/**
 * `kind` is the discriminant TypeScript can narrow on; `scheme` says the same thing for
 * sip/sips/tel and carries the scheme name for the rest.
 */
export type Uri = SipUri | TelUri | AbsoluteUri;

// ---------------------------------------------------------------------------------
// Character classes (RFC 3261 §25.1), as bit masks over octets.

const ALNUM = 1;
const MARK = 2; // - _ . ! ~ * ' ( )
const USER_EXTRA = 4; // user-unreserved: & = + $ , ; ? /
const PASSWORD_EXTRA = 8; // & = + $ ,
const PARAM_EXTRA = 16; // param-unreserved: [ ] / : & + $
const HNV_EXTRA = 32; // hnv-unreserved: [ ] / ? : + $
const RESERVED = 64; // ; / ? : @ & = + $ ,
const SCHEME = 128; // ALPHA DIGIT + - .

const CLASS = new Uint8Array(256);
function mark(chars: string, bit: number): void {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)]! |= bit;
}
for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= ALNUM | SCHEME;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= ALNUM | SCHEME;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= ALNUM | SCHEME;
mark("-_.!~*'()", MARK);
mark('&=+$,;?/', USER_EXTRA);
mark('&=+$,', PASSWORD_EXTRA);
mark('[]/:&+$', PARAM_EXTRA);
mark('[]/?:+$', HNV_EXTRA);
mark(';/?:@&=+$,', RESERVED);
mark('+-.', SCHEME);

const UNRESERVED = ALNUM | MARK;
const USER_CHARS = UNRESERVED | USER_EXTRA;
const PASSWORD_CHARS = UNRESERVED | PASSWORD_EXTRA;
const PARAM_CHARS = UNRESERVED | PARAM_EXTRA;
const HNV_CHARS = UNRESERVED | HNV_EXTRA;
/** uric (RFC 2396 via RFC 3261 §25.1): what an opaque absoluteURI may hold besides escapes. */
const URIC = UNRESERVED | RESERVED;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** True when text[start, end) is non-empty and made of `allowed` octets and valid %HH escapes. */
function validSpan(text: string, start: number, end: number, allowed: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= end || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) return false;
      i += 2;
    } else if (c > 0xff || (CLASS[c]! & allowed) === 0) return false;
  }
  return true;
}

function uriError(what: string, header?: string): SipParseError {
  return new SipParseError('SIP_ERR_URI', `${header ?? 'URI'}: ${what}`, 400, header);
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

// ---------------------------------------------------------------------------------
// Parsing

/**
 * Parse a URI. Throws SipParseError SIP_ERR_URI/400 when it is malformed: embedded
 * whitespace or control octets, `<>` around it, empty host, bad port, bad escapes.
 * `header` names where the URI came from, for the error message.
 */
export function parseUri(text: string, header?: string): Uri {
  // No URI form allows whitespace or control octets (RFC 4475 §3.1.2.8 lwsruri, §3.1.2.14
  // badaspec); saying so up front gives a clearer error than the part it breaks.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) throw uriError(`whitespace or control octet inside URI "${excerpt(text)}"`, header);
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw uriError(`no scheme in "${excerpt(text)}"`, header);
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const first = text.charCodeAt(0) | 0x20;
  if (first < 0x61 || first > 0x7a) throw uriError(`bad scheme in "${excerpt(text)}"`, header);
  for (let i = 1; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || (CLASS[c]! & SCHEME) === 0) throw uriError(`bad scheme in "${excerpt(text)}"`, header);
  }
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = colon + 1;
  if (scheme === 'sip' || scheme === 'sips') return parseSip(text, scheme, rest, header);
  if (scheme === 'tel') return parseTel(text, rest, header);
  // absoluteURI = scheme ":" ( hier-part / opaque-part ): uric characters only, so no
  // whitespace, quotes or angle brackets can hide inside (RFC 3261 §25.1).
  if (!validSpan(text, rest, text.length, URIC)) throw uriError(`malformed ${scheme} URI "${excerpt(text)}"`, header);
  return { kind: 'absolute', scheme, opaque: text.slice(rest) };
}

function parseSip(text: string, scheme: 'sip' | 'sips', start: number, header?: string): SipUri {
  const n = text.length;
  // The userinfo ends at '@': neither user, password, host, parameters nor headers may
  // hold a raw '@' (it must be escaped there), so the first one is the delimiter.
  const at = text.indexOf('@', start);
  let user: string | undefined;
  let password: string | undefined;
  let i = start;
  if (at >= 0) {
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"; the user cannot hold ':'.
    let userEnd = text.indexOf(':', start);
    if (userEnd < 0 || userEnd > at) userEnd = at;
    if (!validSpan(text, start, userEnd, USER_CHARS)) throw uriError(`bad user part in "${excerpt(text)}"`, header);
    user = text.slice(start, userEnd);
    if (userEnd < at) {
      // password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ): may be empty.
      if (userEnd + 1 < at && !validSpan(text, userEnd + 1, at, PASSWORD_CHARS)) {
        throw uriError(`bad password in "${excerpt(text)}"`, header);
      }
      password = text.slice(userEnd + 1, at);
    }
    i = at + 1;
  }

  // hostport = host [ ":" port ]
  let hostEnd: number;
  if (text.charCodeAt(i) === 0x5b /* [ */) {
    const close = text.indexOf(']', i);
    if (close < 0 || !isIPv6(text.slice(i + 1, close))) throw uriError(`bad IPv6 reference in "${excerpt(text)}"`, header);
    hostEnd = close + 1;
  } else {
    hostEnd = i;
    while (hostEnd < n) {
      const c = text.charCodeAt(hostEnd);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break; // : ; ?
      hostEnd++;
    }
    if (hostEnd === i) throw uriError(`empty host in "${excerpt(text)}"`, header);
    if (!isHostname(text, i, hostEnd) && !isIPv4(text.slice(i, hostEnd))) {
      throw uriError(`bad host in "${excerpt(text)}"`, header);
    }
  }
  const host = text.slice(i, hostEnd);
  i = hostEnd;

  let port: number | undefined;
  if (text.charCodeAt(i) === 0x3a /* : */) {
    const portStart = i + 1;
    i = portStart;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    // Up to 5 digits keeps Number() exact and cheap; the range check does the rest.
    if (i === portStart || i - portStart > 5) throw uriError(`bad port in "${excerpt(text)}"`, header);
    port = Number(text.slice(portStart, i));
    // Port 0 is no destination anyone can send to (Via applies the same rule).
    if (port < 1 || port > 65535) throw uriError(`port ${port} out of range`, header);
  }

  // uri-parameters = *( ";" uri-parameter ), other-param = pname [ "=" pvalue ]
  const params: UriParams = new Map();
  while (i < n && text.charCodeAt(i) === 0x3b /* ; */) {
    const nameStart = i + 1;
    // One pass finds both the '=' and the end; searching for '=' separately would rescan
    // the rest of the URI for every valueless parameter.
    let end = nameStart;
    let nameEnd = -1;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === 0x3b || c === 0x3f) break;
      if (c === 0x3d && nameEnd < 0) nameEnd = end;
      end++;
    }
    if (nameEnd < 0) nameEnd = end;
    if (!validSpan(text, nameStart, nameEnd, PARAM_CHARS)) throw uriError(`bad parameter in "${excerpt(text)}"`, header);
    let value: string | null = null;
    if (nameEnd < end) {
      if (!validSpan(text, nameEnd + 1, end, PARAM_CHARS)) throw uriError(`bad parameter value in "${excerpt(text)}"`, header);
      value = text.slice(nameEnd + 1, end);
    }
    const name = unescapeUri(text.slice(nameStart, nameEnd)).toLowerCase();
    // §19.1.1: a given parameter must not appear more than once.
    if (params.has(name)) throw uriError(`parameter "${name}" repeated`, header);
    params.set(name, value);
    i = end;
  }

  // headers = "?" header *( "&" header ), header = hname "=" hvalue
  const headers: Array<[string, string]> = [];
  if (i < n && text.charCodeAt(i) === 0x3f /* ? */) {
    i++;
    for (;;) {
      let end = text.indexOf('&', i);
      if (end < 0) end = n;
      const eq = text.indexOf('=', i);
      if (eq < 0 || eq > end) throw uriError(`header without '=' in "${excerpt(text)}"`, header);
      if (!validSpan(text, i, eq, HNV_CHARS)) throw uriError(`bad header name in "${excerpt(text)}"`, header);
      if (eq + 1 < end && !validSpan(text, eq + 1, end, HNV_CHARS)) throw uriError(`bad header value in "${excerpt(text)}"`, header);
      headers.push([text.slice(i, eq), text.slice(eq + 1, end)]);
      if (end === n) break;
      i = end + 1;
    }
    i = n;
  }
  if (i !== n) throw uriError(`unexpected "${text[i]}" in "${excerpt(text)}"`, header);

  const uri: SipUri = { kind: 'sip', scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ]; domainlabel = alphanum /
 * alphanum *( alphanum / "-" ) alphanum; toplabel starts with ALPHA (§25.1).
 */
function isHostname(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(end - 1) === 0x2e /* . */) end--; // the optional trailing dot
  let labelStart = start;
  let topAlpha = false;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (i === labelStart) return false; // empty label
      if (text.charCodeAt(i - 1) === 0x2d) return false; // label ends with '-'
      const f = text.charCodeAt(labelStart) | 0x20;
      topAlpha = f >= 0x61 && f <= 0x7a;
      labelStart = i + 1;
    } else if (c === 0x2d /* - */) {
      if (i === labelStart) return false;
    } else if (c > 0xff || (CLASS[c]! & ALNUM) === 0) return false;
  }
  return topAlpha;
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255. */
function isIPv4(s: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 0x2e : s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      value = value * 10 + (c - 0x30);
      digits++;
    } else return false;
  }
  return parts === 4;
}

/** IPv6address of RFC 3261 §25.1 (RFC 4291 text form without zone id). */
function isIPv6(s: string): boolean {
  return ipv6Groups(s) !== undefined;
}

/** The eight 16-bit groups of an IPv6 address in text form, or undefined when malformed. */
function ipv6Groups(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const double = s.indexOf('::');
  if (double >= 0 && s.indexOf('::', double + 1) >= 0) return undefined;
  const parseSide = (side: string): number[] | undefined => {
    if (side === '') return [];
    const out: number[] = [];
    const groups = side.split(':');
    for (let g = 0; g < groups.length; g++) {
      const part = groups[g]!;
      if (g === groups.length - 1 && part.includes('.')) {
        if (!isIPv4(part)) return undefined;
        const b = part.split('.').map(Number);
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
        continue;
      }
      if (part.length === 0 || part.length > 4) return undefined;
      for (let i = 0; i < part.length; i++) if (!isHex(part.charCodeAt(i))) return undefined;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  if (double < 0) {
    const all = parseSide(s);
    return all !== undefined && all.length === 8 ? all : undefined;
  }
  const head = parseSide(s.slice(0, double));
  const tail = parseSide(s.slice(double + 2));
  if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
  // An IPv4 tail is only allowed last: "::1.2.3.4:5" fails parseSide already.
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * telephone-subscriber of RFC 3966 §3: global-number-digits ("+" and at least one
 * DIGIT, visual separators - . ( ) allowed) or local-number-digits (HEXDIG * #).
 * A local number without phone-context is accepted although RFC 3966 §5.1.5 requires
 * one: which numbers make sense is the routing layer's decision, not a syntax error.
 */
function parseTel(text: string, start: number, header?: string): TelUri {
  const n = text.length;
  let end = text.indexOf(';', start);
  if (end < 0) end = n;
  const global = text.charCodeAt(start) === 0x2b; /* + */
  let digits = 0;
  for (let i = global ? start + 1 : start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (!global && (isHex(c) || c === 0x2a || c === 0x23)) digits++; // HEXDIG * #
    else if (c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29) {
      throw uriError(`bad telephone number in "${excerpt(text)}"`, header);
    }
  }
  if (digits === 0) throw uriError(`telephone number without digits in "${excerpt(text)}"`, header);
  const params: UriParams = new Map();
  let i = end;
  while (i < n) {
    // i is at ';'
    let next = i + 1;
    let nameEnd = -1;
    while (next < n && text.charCodeAt(next) !== 0x3b) {
      if (text.charCodeAt(next) === 0x3d && nameEnd < 0) nameEnd = next;
      next++;
    }
    if (nameEnd < 0) nameEnd = next;
    // pname = 1*( alphanum / "-" )
    if (nameEnd === i + 1) throw uriError(`empty parameter in "${excerpt(text)}"`, header);
    for (let k = i + 1; k < nameEnd; k++) {
      const c = text.charCodeAt(k);
      if (c !== 0x2d && (c > 0xff || (CLASS[c]! & ALNUM) === 0)) throw uriError(`bad parameter in "${excerpt(text)}"`, header);
    }
    let value: string | null = null;
    if (nameEnd < next) {
      if (!validSpan(text, nameEnd + 1, next, PARAM_CHARS)) throw uriError(`bad parameter value in "${excerpt(text)}"`, header);
      value = text.slice(nameEnd + 1, next);
    }
    const name = text.slice(i + 1, nameEnd).toLowerCase();
    if (params.has(name)) throw uriError(`parameter "${name}" repeated`, header);
    params.set(name, value);
    i = next;
  }
  return { kind: 'tel', scheme: 'tel', number: text.slice(start, end), global, params };
}

// ---------------------------------------------------------------------------------
// Escapes, accessors, formatting

/**
 * Decode %HH escapes into octets (latin1 chars). Malformed escapes are left as they
 * are: parseUri has already rejected them in the places where escapes are allowed.
 */
export function unescapeUri(text: string): string {
  if (text.indexOf('%') < 0) return text;
  let out = '';
  let from = 0;
  for (let i = text.indexOf('%'); i >= 0 && i + 2 < text.length; i = text.indexOf('%', i + 1)) {
    const h = text.charCodeAt(i + 1);
    const l = text.charCodeAt(i + 2);
    if (!isHex(h) || !isHex(l)) continue;
    out += text.slice(from, i) + String.fromCharCode(hexValue(h) * 16 + hexValue(l));
    from = i + 3;
    i += 2;
  }
  return out + text.slice(from);
}

/** Escape every octet of `text` outside `allowed`, for writing decoded text back into a URI. */
function escapeOutside(text: string, allowed: number): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0xff && (CLASS[c]! & allowed) !== 0) continue;
    out += text.slice(from, i) + '%' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0');
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * A SIP/SIPS or tel URI parameter, escapes decoded: string, null for a parameter without
 * value, undefined when absent (or for an opaque URI).
 */
export function uriParam(uri: Uri, name: string): string | null | undefined {
  if (uri.kind === 'absolute') return undefined;
  const v = uri.params.get(name.toLowerCase());
  return typeof v === 'string' ? unescapeUri(v) : v;
}

/** The wire form of a URI. For parsed URIs this is the input, except that parameter names are lower-cased and unescaped. */
export function formatUri(uri: Uri): string {
  switch (uri.kind) {
    case 'absolute':
      return `${uri.scheme}:${uri.opaque}`;
    case 'tel':
      return `tel:${uri.number}${formatUriParams(uri.params)}`;
    case 'sip': {
      let out = `${uri.scheme}:`;
      if (uri.user !== undefined) {
        out += uri.user;
        if (uri.password !== undefined) out += `:${uri.password}`;
        out += '@';
      }
      out += uri.host;
      if (uri.port !== undefined) out += `:${uri.port}`;
      out += formatUriParams(uri.params);
      for (let h = 0; h < uri.headers.length; h++) {
        const [name, value] = uri.headers[h]!;
        out += `${h === 0 ? '?' : '&'}${name}=${value}`;
      }
      return out;
    }
  }
}

function formatUriParams(params: UriParams): string {
  let out = '';
  for (const [name, value] of params) {
    out += `;${escapeOutside(name, PARAM_CHARS)}`;
    if (value !== null) out += `=${value}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Comparison

/**
 * URI equivalence. SIP/SIPS per RFC 3261 §19.1.4: scheme, userinfo (case-sensitive),
 * host (case-insensitive), port (absent ≠ 5060) must match; user/ttl/method/maddr
 * parameters must be in both or neither; other parameters only have to match when
 * both carry them; headers must all be in both. Escapes of unreserved characters are
 * equal to the characters themselves, escapes of reserved ones are not.
 * tel (RFC 3966 §4): numbers without visual separators and parameters, case-insensitive.
 * Other schemes: same scheme and identical opaque part.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind === 'sip' && b.kind === 'sip') return sipEquals(a, b);
  if (a.kind === 'tel' && b.kind === 'tel') return telEquals(a, b);
  if (a.kind === 'absolute' && b.kind === 'absolute') return a.scheme === b.scheme && a.opaque === b.opaque;
  return false;
}

/** Parameters that never match when present in only one URI (§19.1.4). */
const MUST_BOTH = ['user', 'ttl', 'method', 'maddr'];

function sipEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.port !== b.port) return false;
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && normalizeEscapes(a.user) !== normalizeEscapes(b.user!)) return false;
  if ((a.password === undefined) !== (b.password === undefined)) return false;
  if (a.password !== undefined && normalizeEscapes(a.password) !== normalizeEscapes(b.password!)) return false;
  if (hostKey(a.host) !== hostKey(b.host)) return false;
  for (const name of MUST_BOTH) if (a.params.has(name) !== b.params.has(name)) return false;
  for (const [name, value] of a.params) {
    if (!b.params.has(name)) continue;
    if (!sameParamValue(value, b.params.get(name)!)) return false;
  }
  if (a.headers.length !== b.headers.length) return false;
  const ha = a.headers.map(headerKey).sort();
  const hb = b.headers.map(headerKey).sort();
  return ha.every((h, k) => h === hb[k]);
}

function telEquals(a: TelUri, b: TelUri): boolean {
  if (a.global !== b.global) return false;
  if (telDigits(a.number) !== telDigits(b.number)) return false;
  if (a.params.size !== b.params.size) return false;
  for (const [name, value] of a.params) {
    if (!b.params.has(name)) return false;
    if (!sameParamValue(value, b.params.get(name)!)) return false;
  }
  return true;
}

function telDigits(n: string): string {
  let out = '';
  for (let i = 0; i < n.length; i++) {
    const c = n[i]!;
    if (c !== '-' && c !== '.' && c !== '(' && c !== ')') out += c;
  }
  return out.toLowerCase();
}

function sameParamValue(x: string | null, y: string | null): boolean {
  if (x === null || y === null) return x === y;
  return normalizeEscapes(x).toLowerCase() === normalizeEscapes(y).toLowerCase();
}

function headerKey([name, value]: [string, string]): string {
  return `${normalizeEscapes(name).toLowerCase()}=${normalizeEscapes(value).toLowerCase()}`;
}

/** Lower-cased host; IPv6 references reduced to their numeric groups so `[::1]` = `[0:0::1]`. */
function hostKey(host: string): string {
  if (host.charCodeAt(0) === 0x5b) {
    const groups = ipv6Groups(host.slice(1, -1));
    if (groups !== undefined) return `[${groups.map((g) => g.toString(16)).join(':')}]`;
  }
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/**
 * Canonical form for comparison (§19.1.4): escapes of non-reserved octets decoded,
 * escapes of reserved octets kept (upper-case hex), since `%3B` and `;` differ.
 */
function normalizeEscapes(text: string): string {
  if (text.indexOf('%') < 0) return text;
  let out = '';
  let from = 0;
  for (let i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
    if (i + 2 >= text.length) break;
    const h = text.charCodeAt(i + 1);
    const l = text.charCodeAt(i + 2);
    if (!isHex(h) || !isHex(l)) continue;
    const octet = hexValue(h) * 16 + hexValue(l);
    const replacement = (CLASS[octet]! & RESERVED) !== 0 ? text.slice(i, i + 3).toUpperCase() : String.fromCharCode(octet);
    out += text.slice(from, i) + replacement;
    from = i + 3;
    i += 2;
  }
  return out + text.slice(from);
}
