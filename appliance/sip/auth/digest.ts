import { createHash } from 'node:crypto';

/**
 * SIP Digest authentication helpers: parsing and formatting of the challenge
 * (WWW-Authenticate / Proxy-Authenticate) and credentials (Authorization /
 * Proxy-Authorization) header values, and the response computation.
 *
 * References: RFC 3261 §22.4 and §25.1 (SIP grammar), RFC 2617 §3 (Digest),
 * RFC 7616 (SHA-256, quoting rules), RFC 8760 (SHA-256 / SHA-512-256 in SIP).
 *
 * One header value holds one challenge or one set of credentials: SIP repeats the
 * header instead of comma-joining several challenges (RFC 3261 §20.44), so a comma
 * here always separates auth-params.
 */

export type SipAuthErrorCode =
  | 'SIP_ERR_AUTH_SYNTAX' // the header value does not follow the auth-param grammar
  | 'SIP_ERR_AUTH_SCHEME' // a Digest view was asked of a value with another scheme
  | 'SIP_ERR_AUTH_ALGORITHM' // a digest was asked for with an algorithm we do not implement
  | 'SIP_ERR_AUTH_INPUT'; // arguments to a compute/format function are unusable

export class SipAuthError extends Error {
  override readonly name = 'SipAuthError';
  constructor(
    readonly code: SipAuthErrorCode,
    message: string,
    /** The auth-param the error is about, when there is one (lower-case). */
    readonly param?: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Generic auth-param layer (scheme + params), shared by every scheme.
// ---------------------------------------------------------------------------

/** One auth-param as received. `quoted` remembers the wire form so it can be replayed. */
export interface AuthParam {
  /** Name as written on the wire (comparisons use the lower-cased map key). */
  readonly name: string;
  /** Value with quotes and backslash escapes removed. */
  readonly value: string;
  readonly quoted: boolean;
}

export interface ParsedAuthorization {
  /** Scheme exactly as received, e.g. `Digest`; compare case-insensitively. */
  readonly scheme: string;
  /** Params keyed by lower-cased name, in wire order. */
  readonly params: ReadonlyMap<string, AuthParam>;
  /** Set instead of params for token68 schemes such as `Basic QWxh...=`. */
  readonly token68?: string;
}

/**
 * Token characters: RFC 3261 token plus the extra tchar of RFC 7230 (`#$&^|`), so
 * that values written by HTTP-minded stacks still parse. The SIP set is a subset.
 */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+\-.^_`|~]/;
/** token68 (RFC 7235 §2.1), used by Basic and other non-param schemes. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function syntax(message: string, param?: string): SipAuthError {
  return new SipAuthError('SIP_ERR_AUTH_SYNTAX', message, param);
}

/**
 * Parse any `scheme params` header value. Never interprets the params, so a registrar
 * can look at `scheme` first and skip schemes it does not implement (RFC 3261 §22.1
 * lets a UAS ignore credentials of an unknown scheme).
 */
export function parseAuthorization(headerValue: string): ParsedAuthorization {
  const s = headerValue;
  const n = s.length;
  let i = 0;

  // Linear white space: SP / HTAB, and a folded line (CRLF followed by SP / HTAB).
  // A bare CR or LF is never white space: it would be a header injection.
  const skipLws = (): boolean => {
    const start = i;
    for (;;) {
      const c = s[i];
      if (c === ' ' || c === '\t') i++;
      else if (c === '\r' && s[i + 1] === '\n' && (s[i + 2] === ' ' || s[i + 2] === '\t')) i += 3;
      else break;
    }
    return i > start;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };

  skipLws();
  const scheme = readToken();
  if (scheme === '') throw syntax('missing auth scheme');
  const params = new Map<string, AuthParam>();
  const hadSpace = skipLws();
  if (i >= n) return { scheme, params }; // a bare scheme (no params) is legal
  if (!hadSpace) throw syntax(`expected white space after scheme "${scheme}"`);

  // token68 form: the rest is one token68 and nothing else. `=` may only end a
  // token68, so `name=value` never matches; a lone `name=` does, as RFC 7235 reads it.
  const rest = s.slice(i).replace(/[ \t]+$/, '');
  if (TOKEN68.test(rest)) return { scheme, params, token68: rest };

  for (;;) {
    const name = readToken();
    if (name === '') throw syntax(`expected a parameter name at offset ${i}`);
    skipLws();
    if (s[i] !== '=') throw syntax(`expected '=' after "${name}"`, name.toLowerCase());
    i++;
    skipLws();
    let value: string;
    let quoted = false;
    if (s[i] === '"') {
      value = readQuoted();
      quoted = true;
    } else {
      value = readToken();
      if (value === '') throw syntax(`missing value for "${name}"`, name.toLowerCase());
    }
    const key = name.toLowerCase();
    // RFC 7235 §2.2: each parameter name occurs once; two different values for, say,
    // `nonce` would leave it to chance which one we check.
    if (params.has(key)) throw syntax(`parameter "${name}" repeated`, key);
    params.set(key, { name, value, quoted });
    skipLws();
    if (i >= n) break;
    if (s[i] !== ',') throw syntax(`expected ',' after parameter "${name}"`, key);
    i++;
    skipLws();
    if (i >= n) throw syntax('trailing comma');
  }
  return { scheme, params };

  /** Reads the quoted-string at `i` (on its opening quote); returns the unescaped text. */
  function readQuoted(): string {
    let out = '';
    i++; // opening quote
    while (i < n) {
      const c = s[i]!;
      const code = c.charCodeAt(0);
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const next = s[i + 1];
        // quoted-pair excludes CR and LF (RFC 3261 §25.1).
        if (next === undefined || next === '\r' || next === '\n') throw syntax('bad escape in quoted string');
        out += next;
        i += 2;
        continue;
      }
      if (c === '\r' && s[i + 1] === '\n' && (s[i + 2] === ' ' || s[i + 2] === '\t')) {
        out += ' '; // folded line inside quotes counts as one space
        i += 3;
        continue;
      }
      if ((code < 0x20 && c !== '\t') || code === 0x7f) throw syntax('control character in quoted string');
      out += c;
      i++;
    }
    throw syntax('unterminated quoted string');
  }
}

// ---------------------------------------------------------------------------
// Digest views
// ---------------------------------------------------------------------------

/** Algorithms we can compute. Names as RFC 7616 / RFC 8760 spell them. */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const HASH_OF: Record<DigestAlgorithm, string> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-sess': 'sha512-256',
};

/**
 * The canonical spelling of a supported algorithm, or undefined. Matching ignores
 * case because deployed UAs send `md5` and `sha-256`; an unknown algorithm means the
 * challenge must be ignored (RFC 2617 §3.2.1), so callers need a soft answer here.
 */
export function normalizeAlgorithm(name: string): DigestAlgorithm | undefined {
  const lower = name.toLowerCase();
  for (const alg of Object.keys(HASH_OF) as DigestAlgorithm[]) {
    if (alg.toLowerCase() === lower) return alg;
  }
  return undefined;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  /** As received; absent means MD5. See normalizeAlgorithm. */
  algorithm?: string;
  /** qop-options, e.g. ['auth', 'auth-int']. Absent for RFC 2069-style challenges. */
  qop?: string[];
  opaque?: string;
  stale?: boolean;
  domain?: string;
  /** Params this module does not interpret (charset, userhash, vendor ones), kept for replay. */
  other: AuthParam[];
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  /** message-qop: a single value, e.g. 'auth'. */
  qop?: string;
  /** nonce-count: 8 hex digits. */
  nc?: string;
  other: AuthParam[];
}

const CHALLENGE_KNOWN = new Set(['realm', 'nonce', 'algorithm', 'qop', 'opaque', 'stale', 'domain']);
const CREDENTIALS_KNOWN = new Set(['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'cnonce', 'opaque', 'qop', 'nc']);
const NC = /^[0-9a-fA-F]{8}$/;

function digestParams(headerValue: string): ReadonlyMap<string, AuthParam> {
  const parsed = parseAuthorization(headerValue);
  if (parsed.scheme.toLowerCase() !== 'digest') {
    throw new SipAuthError('SIP_ERR_AUTH_SCHEME', `scheme "${parsed.scheme}" is not Digest`);
  }
  if (parsed.token68 !== undefined) throw syntax('Digest takes auth-params, not a token68');
  return parsed.params;
}

function required(params: ReadonlyMap<string, AuthParam>, name: string): string {
  const p = params.get(name);
  if (p === undefined) throw syntax(`missing "${name}"`, name);
  return p.value;
}

function othersOf(params: ReadonlyMap<string, AuthParam>, known: ReadonlySet<string>): AuthParam[] {
  return [...params].filter(([key]) => !known.has(key)).map(([, p]) => p);
}

/** Parse a WWW-Authenticate / Proxy-Authenticate value with the Digest scheme. */
export function parseChallenge(headerValue: string): DigestChallenge {
  const params = digestParams(headerValue);
  const challenge: DigestChallenge = {
    realm: required(params, 'realm'),
    nonce: required(params, 'nonce'),
    other: othersOf(params, CHALLENGE_KNOWN),
  };
  const algorithm = params.get('algorithm')?.value;
  if (algorithm !== undefined) challenge.algorithm = algorithm;
  const qop = params.get('qop')?.value;
  if (qop !== undefined) {
    const options = qop.split(',').map((q) => q.trim()).filter((q) => q !== '');
    if (options.length === 0 || !options.every((q) => TOKEN.test(q))) throw syntax('bad qop-options', 'qop');
    challenge.qop = options;
  }
  const opaque = params.get('opaque')?.value;
  if (opaque !== undefined) challenge.opaque = opaque;
  const stale = params.get('stale')?.value;
  // "If stale is FALSE, or anything other than TRUE ... " (RFC 2617 §3.2.1).
  if (stale !== undefined) challenge.stale = stale.toLowerCase() === 'true';
  const domain = params.get('domain')?.value;
  if (domain !== undefined) challenge.domain = domain;
  return challenge;
}

/** Parse an Authorization / Proxy-Authorization value with the Digest scheme. */
export function parseCredentials(headerValue: string): DigestCredentials {
  const params = digestParams(headerValue);
  const credentials: DigestCredentials = {
    username: required(params, 'username'),
    realm: required(params, 'realm'),
    nonce: required(params, 'nonce'),
    uri: required(params, 'uri'),
    response: required(params, 'response'),
    other: othersOf(params, CREDENTIALS_KNOWN),
  };
  for (const name of ['algorithm', 'cnonce', 'opaque', 'qop', 'nc'] as const) {
    const value = params.get(name)?.value;
    if (value !== undefined) credentials[name] = value;
  }
  if (credentials.qop !== undefined) {
    if (!TOKEN.test(credentials.qop)) throw syntax('bad message-qop', 'qop');
    // RFC 2617 §3.2.2: cnonce and nc MUST be sent when qop is.
    if (credentials.cnonce === undefined) throw syntax('qop without cnonce', 'cnonce');
    if (credentials.nc === undefined) throw syntax('qop without nc', 'nc');
  }
  if (credentials.nc !== undefined && !NC.test(credentials.nc)) throw syntax('nc is not 8 hex digits', 'nc');
  return credentials;
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

/** A value that must be sent quoted: escape the two characters quoted-pair exists for. */
function quote(name: string, value: string): string {
  assertNoLineBreak(name, value);
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function bare(name: string, value: string): string {
  if (!TOKEN.test(value)) throw new SipAuthError('SIP_ERR_AUTH_INPUT', `"${name}" must be a token`, name);
  return value;
}

/** CR/LF in a value would end the header line and let the rest act as a new header. */
function assertNoLineBreak(name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new SipAuthError('SIP_ERR_AUTH_INPUT', `"${name}" contains a line break or NUL`, name);
  }
}

/** Unknown params go out as they came: quoted when they were, or when they must be. */
function formatOther(p: AuthParam): string {
  if (!TOKEN.test(p.name)) throw new SipAuthError('SIP_ERR_AUTH_INPUT', `bad parameter name "${p.name}"`, p.name);
  const value = p.quoted || !TOKEN.test(p.value) ? quote(p.name, p.value) : p.value;
  return `${p.name}=${value}`;
}

/**
 * WWW-Authenticate / Proxy-Authenticate value. Quoting follows RFC 7616 §3.3: realm,
 * domain, nonce, opaque and qop are quoted strings; stale and algorithm are tokens.
 */
export function formatChallenge(challenge: DigestChallenge): string {
  const parts = [`realm=${quote('realm', challenge.realm)}`];
  if (challenge.domain !== undefined) parts.push(`domain=${quote('domain', challenge.domain)}`);
  parts.push(`nonce=${quote('nonce', challenge.nonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote('opaque', challenge.opaque)}`);
  if (challenge.stale !== undefined) parts.push(`stale=${challenge.stale ? 'TRUE' : 'FALSE'}`);
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${bare('algorithm', challenge.algorithm)}`);
  if (challenge.qop !== undefined) {
    if (challenge.qop.length === 0) throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'empty qop list', 'qop');
    parts.push(`qop=${quote('qop', challenge.qop.map((q) => bare('qop', q)).join(','))}`);
  }
  for (const p of challenge.other) parts.push(formatOther(p));
  return `Digest ${parts.join(', ')}`;
}

/**
 * Authorization / Proxy-Authorization value. RFC 7616 §3.4: username, realm, nonce,
 * uri, response, cnonce and opaque are quoted; algorithm, qop and nc are not (some
 * servers reject a quoted qop, so we never quote it).
 */
export function formatCredentials(credentials: DigestCredentials): string {
  const c = credentials;
  const parts = [
    `username=${quote('username', c.username)}`,
    `realm=${quote('realm', c.realm)}`,
    `nonce=${quote('nonce', c.nonce)}`,
    `uri=${quote('uri', c.uri)}`,
    `response=${quote('response', c.response)}`,
  ];
  if (c.algorithm !== undefined) parts.push(`algorithm=${bare('algorithm', c.algorithm)}`);
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote('cnonce', c.cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote('opaque', c.opaque)}`);
  if (c.qop !== undefined) parts.push(`qop=${bare('qop', c.qop)}`);
  if (c.nc !== undefined) {
    if (!NC.test(c.nc)) throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'nc must be 8 hex digits', 'nc');
    parts.push(`nc=${c.nc}`);
  }
  for (const p of c.other) parts.push(formatOther(p));
  return `Digest ${parts.join(', ')}`;
}

/** nonce-count as sent on the wire: 8 lower-case hex digits (RFC 2617 §3.2.2). */
export function formatNonceCount(count: number): string {
  if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) {
    throw new SipAuthError('SIP_ERR_AUTH_INPUT', `nonce count ${count} out of range`, 'nc');
  }
  return count.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------
// Response computation (RFC 2617 §3.2.2.1–3, RFC 7616 §3.4.1–3)
// ---------------------------------------------------------------------------

function hashFor(algorithm: string): { alg: DigestAlgorithm; hash: string } {
  const alg = normalizeAlgorithm(algorithm);
  if (alg === undefined) {
    throw new SipAuthError('SIP_ERR_AUTH_ALGORITHM', `unsupported digest algorithm "${algorithm}"`, 'algorithm');
  }
  return { alg, hash: HASH_OF[alg] };
}

function h(hash: string, data: string | Buffer): string {
  return createHash(hash).update(data).digest('hex');
}

/**
 * H(username:realm:password), the value a server may store instead of the password.
 * For the -sess variants this is the same stored value (the session part needs the
 * nonces and is applied by digestResponse). Strings are hashed as UTF-8.
 */
export function computeHA1(algorithm: string, username: string, realm: string, password: string): string {
  return h(hashFor(algorithm).hash, `${username}:${realm}:${password}`);
}

type DigestSecret = { password: string; ha1?: never } | { ha1: string; password?: never };

export type DigestResponseInput = DigestSecret & {
  /** Defaults to MD5, as an absent algorithm parameter means (RFC 2617 §3.2.1). */
  algorithm?: string;
  username: string;
  realm: string;
  method: string;
  uri: string;
  nonce: string;
  /** Absent: the RFC 2069 compatible form without cnonce/nc. */
  qop?: 'auth' | 'auth-int';
  nc?: string;
  cnonce?: string;
  /** Message body, needed for qop=auth-int (empty body hashes the empty string). */
  body?: string | Buffer;
};

/** The request-digest, lower-case hex. */
export function digestResponse(input: DigestResponseInput): string {
  const { alg, hash } = hashFor(input.algorithm ?? 'MD5');
  let ha1: string;
  if (input.ha1 !== undefined) {
    if (!/^[0-9a-fA-F]+$/.test(input.ha1)) throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'ha1 is not hex', 'ha1');
    ha1 = input.ha1.toLowerCase();
  } else if (input.password !== undefined) {
    ha1 = h(hash, `${input.username}:${input.realm}:${input.password}`);
  } else {
    throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'password or ha1 required');
  }

  if (input.qop !== undefined || alg.endsWith('-sess')) {
    if (input.cnonce === undefined) throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'cnonce required', 'cnonce');
  }
  if (alg.endsWith('-sess')) ha1 = h(hash, `${ha1}:${input.nonce}:${input.cnonce}`);

  let a2 = `${input.method}:${input.uri}`;
  if (input.qop === 'auth-int') a2 += `:${h(hash, input.body ?? '')}`;
  const ha2 = h(hash, a2);

  if (input.qop === undefined) return h(hash, `${ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined || !NC.test(input.nc)) {
    throw new SipAuthError('SIP_ERR_AUTH_INPUT', 'nc must be 8 hex digits when qop is set', 'nc');
  }
  return h(hash, `${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}
