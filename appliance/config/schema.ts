/**
 * The daemon's configuration: its shape, its defaults and its validation, in one
 * place. `validateConfig` reports every problem with the field's path and the reason,
 * and rejects unknown fields (a typo must not silently fall back to a default).
 */
import { compilePattern } from '../pbx/routing/dial-plan';

export type Language = 'en' | 'zh-CN';
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';
export type DigestAlgorithmName = 'SHA-256' | 'MD5';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type TrunkTransport = 'UDP' | 'TCP' | 'TLS';
export type CallClass = 'internal' | 'local' | 'national' | 'international';

/** Call classes in order: an extension allowed one may dial the ones before it too. */
export const CALL_CLASSES = ['internal', 'local', 'national', 'international'] as const;
/** The classes of a dial rule: a call class, or emergency (every extension may dial it). */
export const RULE_CLASSES = [...CALL_CLASSES, 'emergency'] as const;
export const TRUNK_TRANSPORTS = ['UDP', 'TCP', 'TLS'] as const;
export const TRUNK_TYPES = ['register', 'ip'] as const;
/** The digest algorithms the server can offer (RFC 8760), strongest first. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithmName[] = ['SHA-256', 'MD5'];
/** An extension's permission when none is given (and after migration from version 3). */
export const DEFAULT_PERMISSION: CallClass = 'national';

/** A SIP trunk to a provider (or another PBX). Its password is in the secret store. */
export interface Trunk {
  /** ^[a-z0-9][a-z0-9_-]{0,31}$, unique; 'status' is reserved. */
  name: string;
  enabled: boolean;
  /** register: the PBX registers to the provider as `username`; ip: static peering by address. */
  type: 'register' | 'ip';
  /** Provider domain (resolved per RFC 3263) or IP literal (IPv6 in brackets); optional :port. */
  domain: string;
  /** '' or host[:port]: send everything there instead of resolving `domain`. */
  proxy: string;
  transport: TrunkTransport;
  /** The AOR user when registering (required for register trunks). */
  username: string;
  /** Digest user name; '' means `username`. */
  authUsername: string;
  /** Realm the credentials are for; '' means any challenge. */
  realm: string;
  /** Expiry asked for in REGISTER, 60..86400 seconds. */
  registerExpires: number;
  /** CIDRs calls may come from (ip trunks: required; register trunks: optional extra sources). */
  peers: string[];
  /** URI parameters appended to out-of-dialog Request-URIs, e.g. 'user=phone' or ''. */
  requestUriParams: string;
  /** '' = the caller's extension number / display name; pai '' = no P-Asserted-Identity. */
  callerId: { fromUser: string; fromDisplay: string; pai: string };
  /** URI templates with {number} {ext} {domain}; '' = the default URI. */
  templates: { from: string; to: string; pai: string };
}

/** One rule of the dial plan: numbers matching `pattern` go out over `trunks`. */
export interface DialRule {
  /** Unique, same form as a trunk name. */
  name: string;
  /** See pbx/routing/dial-plan.ts: digits, * # +, X N Z, [1-5], a final '.'. */
  pattern: string;
  /** Leading characters removed from the dialled number, 0..32. */
  strip: number;
  /** Added after stripping, [0-9*#+]{0,32}. */
  prefix: string;
  /** Ordered failover list of existing trunk names, not empty. */
  trunks: string[];
  class: CallClass | 'emergency';
}

export interface InboundDid {
  did: string;
  extension: string;
}

/** Calls from trunks: which extension each called number (DID) rings. */
export interface InboundConfig {
  dids: InboundDid[];
  /** Extension for numbers without a DID entry; '' = such calls are refused. */
  defaultDestination: string;
}

export interface Extension {
  /** The extension number, also the digest user name and the AOR's user part. */
  number: string;
  displayName: string;
  /** Contacts kept per AOR; a new one beyond this replaces the oldest (RFC 3261 §10.3). */
  maxContacts: number;
  enabled: boolean;
  /** CIDRs the extension may register and call from; empty means anywhere. */
  allowedNetworks: string[];
  forward: ForwardSettings;
  /** The call classes it may dial: this one and the ones before it (CALL_CLASSES). */
  permission: CallClass;
}

/** Call forwarding of one extension. */
export interface ForwardSettings {
  /** Targets: '' = off, else an extension number or a dialled number. */
  always: string;
  busy: string;
  noAnswer: string;
  unavailable: string;
  /** Ring time before "no answer" forwarding, seconds. */
  noAnswerSeconds: number;
}

/** The cases with a target in ForwardSettings, in the order they are shown and checked. */
export const FORWARD_KINDS = ['always', 'busy', 'noAnswer', 'unavailable'] as const;
export type ForwardKind = (typeof FORWARD_KINDS)[number];

export const NO_ANSWER_SECONDS = { min: 5, max: 300, default: 20 } as const;

/** Forwarding off in every case. */
export function defaultForward(): ForwardSettings {
  return { always: '', busy: '', noAnswer: '', unavailable: '', noAnswerSeconds: NO_ANSWER_SECONDS.default };
}

export interface CallsConfig {
  /** Forwarding hops one call may take; one more is refused with 483 (a loop gets 482). */
  maxForwardHops: number;
  /** A call that rings this long without answer or forwarding ends with 480. */
  maxRingSeconds: number;
  /** Call records older than this are deleted. */
  cdrRetentionDays: number;
}

export interface GuardConfig {
  /** Wrong passwords for one account from one address before that pair is blocked. */
  accountFailures: number;
  windowSeconds: number;
  /** First block of an (address, account) pair; doubles on each repeat up to the max. */
  blockSeconds: number;
  maxBlockSeconds: number;
  /** Distinct failing user names from one address that mark it as an attacker. */
  addressUserNames: number;
  /** Failures for unknown user names from one address that mark it as an attacker. */
  addressUnknownUsers: number;
  /** Requests per second from one address above which it is blocked as a flood. */
  addressRequestsPerSecond: number;
  addressBlockSeconds: number;
}

/** The current config format; older files are migrated when loaded (store.ts). */
export const CONFIG_VERSION = 6;

export interface EdgesipConfig {
  version: typeof CONFIG_VERSION;
  /** Interface language; also the default of a new trunk's Request-URI parameters. */
  language: Language;
  sip: {
    /** Addresses to listen on; '0.0.0.0' and '::' mean every IPv4 / IPv6 address. */
    listen: string[];
    /** UDP and TCP port (the same number, as RFC 3263 lookups expect). */
    port: number;
    tlsPort: number;
    /** Largest SIP message accepted or sent, in bytes. */
    maxMessageBytes: number;
    /** Stream connections silent for this long are closed. */
    idleTimeoutSeconds: number;
    /** Realm of digest challenges; defaults to the host name when empty. */
    realm: string;
    /**
     * Digest algorithms offered, most preferred first (RFC 8760 §2.4). Clients that
     * only read the first challenge and know only MD5 (SIPp 3.6, old phones) need
     * MD5 first.
     */
    digestAlgorithms: DigestAlgorithmName[];
  };
  tls: {
    /** PEM files; both empty means a self-signed certificate generated in the data dir. */
    certFile: string;
    keyFile: string;
    minVersion: TlsMinVersion;
  };
  log: {
    level: LogLevel;
  };
  registrar: {
    /** Shortest registration accepted; shorter ones get 423 with Min-Expires. */
    minExpires: number;
    /** Longest registration granted; longer requests are shortened to it. */
    maxExpires: number;
    /** Granted when the REGISTER names no expiry. */
    defaultExpires: number;
  };
  extensions: Extension[];
  guard: GuardConfig;
  /** IP black/white list (CIDR). Black: dropped unanswered. White: never blocked, still authenticated. */
  acl: { white: string[]; black: string[] };
  calls: CallsConfig;
  trunks: Trunk[];
  /** Rules tried in order; the first matching one routes the call. */
  dialPlan: DialRule[];
  inbound: InboundConfig;
  diagnostics: DiagnosticsConfig;
  web: WebConfig;
}

/**
 * The HTTPS admin. It listens on the SIP listen addresses and presents the SIP-TLS
 * certificate (`tls`), so installing one certificate covers both.
 */
export interface WebConfig {
  /** HTTPS port; 0 turns the web admin off. */
  port: number;
  /** A plain-HTTP port that only redirects to HTTPS; 0: none. */
  httpRedirectPort: number;
  tlsMinVersion: TlsMinVersion;
  /** A session unused for this long ends (the browser must log in again). */
  idleTimeoutMinutes: number;
}

export function defaultWeb(): WebConfig {
  return { port: 8443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.2', idleTimeoutMinutes: 15 };
}

/** `edgesip diag`: what the checks compare the appliance against. */
export interface DiagnosticsConfig {
  /**
   * Public DNS resolvers the DNS check compares the system's resolver with: 1-4
   * addresses, "addr" or "addr:port" ("[v6]:port").
   */
  publicResolvers: string[];
}

export const DEFAULT_PUBLIC_RESOLVERS: readonly string[] = ['119.29.29.29', '223.5.5.5'];

export function defaultDiagnostics(): DiagnosticsConfig {
  return { publicResolvers: [...DEFAULT_PUBLIC_RESOLVERS] };
}

export function defaultConfig(): EdgesipConfig {
  return {
    version: CONFIG_VERSION,
    language: 'en',
    sip: {
      listen: ['0.0.0.0', '::'],
      port: 5060,
      tlsPort: 5061,
      maxMessageBytes: 65535,
      idleTimeoutSeconds: 600,
      realm: '',
      digestAlgorithms: ['SHA-256', 'MD5'],
    },
    tls: { certFile: '', keyFile: '', minVersion: 'TLSv1.2' },
    log: { level: 'info' },
    registrar: { minExpires: 60, maxExpires: 3600, defaultExpires: 3600 },
    extensions: [],
    guard: {
      accountFailures: 5,
      windowSeconds: 60,
      blockSeconds: 600,
      maxBlockSeconds: 86400,
      addressUserNames: 4,
      addressUnknownUsers: 10,
      addressRequestsPerSecond: 500,
      addressBlockSeconds: 3600,
    },
    acl: { white: [], black: [] },
    calls: defaultCalls(),
    trunks: [],
    dialPlan: [],
    inbound: defaultInbound(),
    diagnostics: defaultDiagnostics(),
    web: defaultWeb(),
  };
}

export function defaultInbound(): InboundConfig {
  return { dids: [], defaultDestination: '' };
}

/**
 * The Request-URI parameters a new trunk gets when none are given: Chinese providers
 * (and miniSIPServer-style PBXs behind them) expect telephone numbers as user=phone.
 */
export function defaultRequestUriParams(language: Language): string {
  return language === 'zh-CN' ? 'user=phone' : '';
}

export function defaultCalls(): CallsConfig {
  return { maxForwardHops: 5, maxRingSeconds: 120, cdrRetentionDays: 90 };
}

export interface ConfigProblem {
  path: string;
  reason: string;
}

type Check = (value: unknown, path: string, problems: ConfigProblem[]) => void;

const oneOf =
  (...allowed: readonly string[]): Check =>
  (v, path, problems) => {
    if (typeof v !== 'string' || !allowed.includes(v)) problems.push({ path, reason: `must be one of ${allowed.join(', ')}` });
  };

const integer =
  (min: number, max: number): Check =>
  (v, path, problems) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push({ path, reason: `must be an integer from ${min} to ${max}` });
    }
  };

const text: Check = (v, path, problems) => {
  if (typeof v !== 'string') problems.push({ path, reason: 'must be a string' });
};

const ipAddresses: Check = (v, path, problems) => {
  if (!Array.isArray(v) || v.length === 0) {
    problems.push({ path, reason: 'must be a non-empty list of IP addresses' });
    return;
  }
  v.forEach((a, i) => {
    if (typeof a !== 'string' || !isIpLiteral(a)) problems.push({ path: `${path}[${i}]`, reason: 'must be an IPv4 or IPv6 address' });
  });
};

function isIpLiteral(a: string): boolean {
  // node:net isIP would do, but the config layer stays free of I/O modules' quirks.
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(a) ? a.split('.').every((o) => Number(o) <= 255) : /^[0-9a-fA-F:.]+$/.test(a) && a.includes(':');
}

const bool: Check = (v, path, problems) => {
  if (typeof v !== 'boolean') problems.push({ path, reason: 'must be true or false' });
};

/** An IPv4 or IPv6 network: address/prefix, or a bare address (a /32 or /128). */
export function isCidr(s: string): boolean {
  const [address, prefix, extra] = s.split('/');
  if (extra !== undefined || address === undefined || !isIpLiteral(address)) return false;
  if (prefix === undefined) return true;
  const max = address.includes(':') ? 128 : 32;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

const cidrs: Check = (v, path, problems) => {
  if (!Array.isArray(v)) {
    problems.push({ path, reason: 'must be a list of networks (CIDR)' });
    return;
  }
  v.forEach((a, i) => {
    if (typeof a !== 'string' || !isCidr(a)) problems.push({ path: `${path}[${i}]`, reason: 'must be an IPv4 or IPv6 network such as 192.0.2.0/24' });
  });
};

/** A list whose every element has the shape; `unique` names a field that must not repeat. */
const listOf =
  (shape: Shape, unique?: string): Check =>
  (v, path, problems) => {
    if (!Array.isArray(v)) {
      problems.push({ path, reason: 'must be a list' });
      return;
    }
    const seen = new Set<unknown>();
    v.forEach((item, i) => {
      walk(shape, item, `${path}[${i}]`, problems);
      if (unique && typeof item === 'object' && item !== null) {
        const key = (item as Record<string, unknown>)[unique];
        if (seen.has(key)) problems.push({ path: `${path}[${i}].${unique}`, reason: `duplicate ${unique} ${String(key)}` });
        seen.add(key);
      }
    });
  };

export const EXTENSION_NUMBER = /^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/;

const extensionNumber: Check = (v, path, problems) => {
  if (typeof v !== 'string' || !EXTENSION_NUMBER.test(v)) {
    problems.push({ path, reason: 'must be 1-32 letters, digits, dots, dashes or underscores' });
  }
};

const displayName: Check = (v, path, problems) => {
  // Goes into quoted display names: no quotes, backslashes or control characters.
  if (typeof v !== 'string' || v.length > 64 || /["\\\x00-\x1f\x7f]/.test(v)) {
    problems.push({ path, reason: 'must be at most 64 characters without quotes, backslashes or control characters' });
  }
};

/** A number as dialled from a phone: digits, * and #, with an optional leading +. */
export const DIALLED_NUMBER = /^\+?[0-9*#]{1,32}$/;

export const FORWARD_TARGET_REASON = "must be '' (off), an extension number or a dialled number (digits, * and #, optional leading +)";
export const FORWARD_SELF_REASON = 'must not forward to itself';

/** True for a valid forwarding target ('' means off). Whether it exists is only known at call time. */
export function isForwardTarget(s: string): boolean {
  return s === '' || EXTENSION_NUMBER.test(s) || DIALLED_NUMBER.test(s);
}

const forwardTarget: Check = (v, path, problems) => {
  if (typeof v !== 'string' || !isForwardTarget(v)) problems.push({ path, reason: FORWARD_TARGET_REASON });
};

type Shape = { [key: string]: Check | Shape };

/** Trunk and dial rule names. */
export const TRUNK_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const TRUNK_NAME_REASON = 'must be 1-32 lower-case letters, digits, dashes or underscores, starting with a letter or digit';
/** Names that would collide with control API routes (GET /v1/trunks/status). */
export const RESERVED_TRUNK_NAMES: readonly string[] = ['status'];

/** Why `s` is not a trunk name, or undefined. */
export function trunkNameProblem(s: string): string | undefined {
  if (!TRUNK_NAME.test(s)) return TRUNK_NAME_REASON;
  if (RESERVED_TRUNK_NAMES.includes(s)) return `"${s}" is reserved`;
  return undefined;
}

export const RULE_NAME = TRUNK_NAME;
export const RULE_NAME_REASON = TRUNK_NAME_REASON;

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Why `s` is not host[:port] (a DNS name, an IPv4 address or an IPv6 address in
 * brackets, optionally with a port), or undefined.
 */
export function hostPortProblem(s: string): string | undefined {
  const reason = 'must be a host name or IP address with an optional :port (IPv6 in brackets: [2001:db8::1]:5060)';
  if (s === '' || s.length > 260) return reason;
  let host: string;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1) return reason;
    const inner = s.slice(1, close);
    if (!inner.includes(':') || !isIpLiteral(inner)) return reason;
    const rest = s.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return reason;
    host = inner;
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const parts = s.split(':');
    if (parts.length > 2) return 'an IPv6 address needs brackets: [2001:db8::1] or [2001:db8::1]:5060';
    host = parts[0] as string;
    port = parts[1];
    const numeric = /^[0-9.]+$/.test(host);
    if (numeric ? !isIpLiteral(host) : host.length > 253 || !host.split('.').every((l) => HOST_LABEL.test(l))) return reason;
  }
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return 'has a port that is not from 1 to 65535';
  return undefined;
}

/** Why `s` is not a DNS name (letters, digits and dashes in dot-separated labels; no IP address), or undefined. */
export function dnsNameProblem(s: string): string | undefined {
  const reason = 'must be a DNS name such as sip.example.net';
  const n = s.endsWith('.') ? s.slice(0, -1) : s;
  if (n === '' || n.length > 253 || /^[0-9.]+$/.test(n) || !n.split('.').every((l) => HOST_LABEL.test(l))) return reason;
  return undefined;
}

/** Why `s` is not a DNS server address ("addr", "addr:port", "[v6]:port"), or undefined. */
export function resolverAddressProblem(s: string): string | undefined {
  const reason = 'must be an IP address with an optional :port (IPv6 with a port in brackets: [2001:db8::1]:53)';
  let host = s;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracket) {
    host = bracket[1] as string;
    port = bracket[2];
    if (!host.includes(':')) return reason;
  } else if (/^[0-9.]+:\d{1,5}$/.test(s)) {
    [host, port] = s.split(':') as [string, string];
  }
  if (!isIpLiteral(host)) return reason;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return 'has a port that is not from 1 to 65535';
  return undefined;
}

const resolverAddresses: Check = (v, path, problems) => {
  if (!Array.isArray(v) || v.length === 0 || v.length > 4) {
    problems.push({ path, reason: 'must be a list of 1 to 4 DNS server addresses' });
    return;
  }
  v.forEach((a, i) => {
    const problem = typeof a === 'string' ? resolverAddressProblem(a) : 'must be a string';
    if (problem !== undefined) problems.push({ path: `${path}[${i}]`, reason: problem });
  });
};

/** The user part of a SIP URI (RFC 3261 user: unreserved, escaped and user-unreserved characters). */
export const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}){1,64}$/;
export const SIP_USER_REASON = 'must be 1-64 characters allowed in the user part of a SIP URI (letters, digits, - _ . ! ~ * \' ( ) & = + $ , ; ? / and %XX escapes)';

/** Digest user names and realms: quoted in Authorization, so no quotes, backslashes or control characters. */
export function credentialProblem(s: string): string | undefined {
  if (s.length > 128 || /["\\\x00-\x1f\x7f]/.test(s)) return 'must be at most 128 characters without quotes, backslashes or control characters';
  return undefined;
}

const URI_TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Why `s` is not a list of URI parameters for Request-URIs ('' or name[=value] pairs
 * separated by ';', each a token, names once each), or undefined.
 */
export function uriParamsProblem(s: string): string | undefined {
  if (s === '') return undefined;
  if (s.length > 256) return 'must have at most 256 characters';
  if (s.startsWith(';')) return "must not start with ';' (write user=phone, not ;user=phone)";
  const names = new Set<string>();
  for (const param of s.split(';')) {
    const eq = param.indexOf('=');
    const name = eq === -1 ? param : param.slice(0, eq);
    const value = eq === -1 ? undefined : param.slice(eq + 1);
    if (!URI_TOKEN.test(name) || (value !== undefined && !URI_TOKEN.test(value))) {
      return `must be URI parameters name[=value] separated by ';', each name and value a token (letters, digits, - . ! % * _ + \` ' ~): "${param}" is not`;
    }
    const lower = name.toLowerCase();
    if (lower === 'transport') return 'must not set transport (it follows the trunk\'s transport)';
    if (names.has(lower)) return `names the parameter ${name} twice`;
    names.add(lower);
  }
  return undefined;
}

/**
 * P-Asserted-Identity of a trunk: '' (none) or the user part (a number) put in
 * sip:<pai>@<domain>; another URI form (tel:, another host) is a templates.pai.
 */
export function paiProblem(s: string): string | undefined {
  if (s === '' || SIP_USER.test(s)) return undefined;
  return "must be empty or a number (the user part of sip:NUMBER@domain; for another URI use the PAI template)";
}

export const TEMPLATE_PLACEHOLDERS = ['number', 'ext', 'domain'] as const;

/** A URI template: '' (the default) or a sip:, sips: or tel: URI with {number} {ext} {domain}. */
export function uriTemplateProblem(s: string): string | undefined {
  if (s === '') return undefined;
  if (s.length > 256) return 'must have at most 256 characters';
  const unknown = /\{([^{}]*)\}/g;
  let m: RegExpExecArray | null;
  while ((m = unknown.exec(s)) !== null) {
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(m[1] as string)) return `has an unknown placeholder {${m[1]}}; use {number}, {ext} or {domain}`;
  }
  const filled = s.replace(/\{(number|ext|domain)\}/g, 'x');
  if (!/^(?:sips?|tel):[^\s<>"\\{}]+$/i.test(filled)) {
    return "must be a sip:, sips: or tel: URI without spaces, quotes, '<', '>' or stray braces, e.g. sip:{number}@{domain}";
  }
  return undefined;
}

/** Digits and * # + added to a number by a dial rule. */
export const DIAL_PREFIX = /^[0-9*#+]{0,32}$/;
export const DIAL_PREFIX_REASON = 'must be at most 32 digits, * # or +';
/** A called number of an inbound call: digits, * and #, optional leading +. */
export const DID_NUMBER = DIALLED_NUMBER;
export const DID_REASON = 'must be 1-32 digits, * or #, with an optional leading +';

/** Why `pattern` is not a dial plan pattern, or undefined. */
export function dialPatternProblem(pattern: string): string | undefined {
  const c = compilePattern(pattern);
  return c.ok ? undefined : c.reason;
}

const fromProblem =
  (problem: (s: string) => string | undefined): Check =>
  (v, path, problems) => {
    if (typeof v !== 'string') {
      problems.push({ path, reason: 'must be a string' });
      return;
    }
    const reason = problem(v);
    if (reason !== undefined) problems.push({ path, reason });
  };

const matching =
  (re: RegExp, reason: string): Check =>
  (v, path, problems) => {
    if (typeof v !== 'string' || !re.test(v)) problems.push({ path, reason });
  };

const optionalSipUser: Check = fromProblem((s) => (s === '' || SIP_USER.test(s) ? undefined : SIP_USER_REASON));

const TRUNK: Shape = {
  name: fromProblem(trunkNameProblem),
  enabled: bool,
  type: oneOf(...TRUNK_TYPES),
  domain: fromProblem(hostPortProblem),
  proxy: fromProblem((s) => (s === '' ? undefined : hostPortProblem(s))),
  transport: oneOf(...TRUNK_TRANSPORTS),
  username: optionalSipUser,
  authUsername: fromProblem(credentialProblem),
  realm: fromProblem(credentialProblem),
  registerExpires: integer(60, 86400),
  peers: cidrs,
  requestUriParams: fromProblem(uriParamsProblem),
  callerId: {
    fromUser: optionalSipUser,
    fromDisplay: displayName,
    pai: fromProblem(paiProblem),
  },
  templates: {
    from: fromProblem(uriTemplateProblem),
    to: fromProblem(uriTemplateProblem),
    pai: fromProblem(uriTemplateProblem),
  },
};

const trunkNames: Check = (v, path, problems) => {
  if (!Array.isArray(v) || v.length === 0) {
    problems.push({ path, reason: 'must be a non-empty list of trunk names' });
    return;
  }
  v.forEach((name, i) => {
    if (typeof name !== 'string' || !TRUNK_NAME.test(name)) problems.push({ path: `${path}[${i}]`, reason: TRUNK_NAME_REASON });
    else if (v.indexOf(name) !== i) problems.push({ path: `${path}[${i}]`, reason: `duplicate trunk ${name}` });
  });
};

const DIAL_RULE: Shape = {
  name: matching(RULE_NAME, RULE_NAME_REASON),
  pattern: fromProblem(dialPatternProblem),
  strip: integer(0, 32),
  prefix: matching(DIAL_PREFIX, DIAL_PREFIX_REASON),
  trunks: trunkNames,
  class: oneOf(...RULE_CLASSES),
};

const INBOUND: Shape = {
  dids: listOf({ did: matching(DID_NUMBER, DID_REASON), extension: extensionNumber }, 'did'),
  defaultDestination: (v, path, problems) => {
    if (v !== '') extensionNumber(v, path, problems);
  },
};


const FORWARD: Shape = {
  always: forwardTarget,
  busy: forwardTarget,
  noAnswer: forwardTarget,
  unavailable: forwardTarget,
  noAnswerSeconds: integer(NO_ANSWER_SECONDS.min, NO_ANSWER_SECONDS.max),
};

const EXTENSION: Shape = {
  number: extensionNumber,
  displayName,
  maxContacts: integer(1, 20),
  enabled: bool,
  allowedNetworks: cidrs,
  forward: FORWARD,
  permission: oneOf(...CALL_CLASSES),
};

const SHAPE: Shape = {
  version: (v, path, problems) => {
    if (v !== CONFIG_VERSION) problems.push({ path, reason: `must be ${CONFIG_VERSION} (files of versions 1 to ${CONFIG_VERSION - 1} are migrated when loaded)` });
  },
  language: oneOf('en', 'zh-CN'),
  sip: {
    listen: ipAddresses,
    port: integer(1, 65535),
    tlsPort: integer(1, 65535),
    maxMessageBytes: integer(1500, 1048576),
    idleTimeoutSeconds: integer(10, 86400),
    realm: text,
    digestAlgorithms: (v, path, problems) => {
      if (!Array.isArray(v) || v.length === 0 || new Set(v).size !== v.length || !v.every((a) => (DIGEST_ALGORITHMS as readonly unknown[]).includes(a))) {
        problems.push({ path, reason: 'must list SHA-256 and/or MD5, each once, most preferred first' });
      }
    },
  },
  tls: { certFile: text, keyFile: text, minVersion: oneOf('TLSv1.2', 'TLSv1.3') },
  log: { level: oneOf('trace', 'debug', 'info', 'warn', 'error') },
  registrar: { minExpires: integer(1, 86400), maxExpires: integer(1, 604800), defaultExpires: integer(1, 604800) },
  extensions: listOf(EXTENSION, 'number'),
  guard: {
    accountFailures: integer(1, 1000),
    windowSeconds: integer(1, 86400),
    blockSeconds: integer(1, 604800),
    maxBlockSeconds: integer(1, 31536000),
    addressUserNames: integer(2, 1000),
    addressUnknownUsers: integer(1, 10000),
    addressRequestsPerSecond: integer(1, 1000000),
    addressBlockSeconds: integer(1, 31536000),
  },
  acl: { white: cidrs, black: cidrs },
  calls: {
    maxForwardHops: integer(1, 20),
    maxRingSeconds: integer(10, 600),
    cdrRetentionDays: integer(1, 3650),
  },
  trunks: listOf(TRUNK, 'name'),
  dialPlan: listOf(DIAL_RULE, 'name'),
  inbound: INBOUND,
  diagnostics: { publicResolvers: resolverAddresses },
  web: {
    port: integer(0, 65535),
    httpRedirectPort: integer(0, 65535),
    tlsMinVersion: oneOf('TLSv1.2', 'TLSv1.3'),
    idleTimeoutMinutes: integer(1, 1440),
  },
};

function walk(shape: Shape, value: unknown, path: string, problems: ConfigProblem[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path: path || '(root)', reason: 'must be an object' });
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!(key in shape)) problems.push({ path: join(path, key), reason: 'unknown field' });
  }
  for (const [key, rule] of Object.entries(shape)) {
    const p = join(path, key);
    if (!(key in obj)) {
      problems.push({ path: p, reason: 'missing' });
      continue;
    }
    if (typeof rule === 'function') rule(obj[key], p, problems);
    else walk(rule, obj[key], p, problems);
  }
}

/**
 * Forwarding targets equal to the extension's own number: such a call would loop back
 * to the phone it came from. Reads defensively, the document may be malformed.
 */
function selfForwards(value: unknown, problems: ConfigProblem[]): void {
  const extensions = isRecord(value) ? value.extensions : undefined;
  if (!Array.isArray(extensions)) return;
  extensions.forEach((ext: unknown, i) => {
    if (!isRecord(ext) || typeof ext.number !== 'string' || !isRecord(ext.forward)) return;
    const forward = ext.forward;
    for (const kind of FORWARD_KINDS) {
      if (forward[kind] === ext.number) problems.push({ path: `extensions[${i}].forward.${kind}`, reason: FORWARD_SELF_REASON });
    }
  });
}

/**
 * Rules between entries: what each trunk type needs, dial rules naming existing trunks
 * and stripping no more than they match, DIDs ringing existing extensions. Reads
 * defensively like selfForwards; entries with shape problems of their own are skipped
 * where the rule would only repeat them.
 */
function references(value: unknown, problems: ConfigProblem[]): void {
  if (!isRecord(value)) return;
  const trunks = Array.isArray(value.trunks) ? value.trunks : [];
  trunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (t.type === 'ip' && Array.isArray(t.peers) && t.peers.length === 0) {
      problems.push({ path: `trunks[${i}].peers`, reason: 'is required for ip trunks: the networks the provider sends calls from' });
    }
    if (t.type === 'register' && t.username === '') problems.push({ path: `trunks[${i}].username`, reason: 'is required for register trunks' });
  });
  const known = new Set(trunks.filter(isRecord).map((t) => t.name));
  if (Array.isArray(value.dialPlan)) {
    value.dialPlan.forEach((r: unknown, i) => {
      if (!isRecord(r)) return;
      if (Array.isArray(r.trunks)) {
        r.trunks.forEach((name: unknown, j) => {
          if (typeof name === 'string' && TRUNK_NAME.test(name) && !known.has(name)) problems.push({ path: `dialPlan[${i}].trunks[${j}]`, reason: `no trunk ${name}` });
        });
      }
      const c = typeof r.pattern === 'string' ? compilePattern(r.pattern) : undefined;
      if (c?.ok && typeof r.strip === 'number' && Number.isInteger(r.strip) && typeof r.prefix === 'string') {
        const limit = r.prefix === '' ? c.minLength - 1 : c.minLength;
        if (r.strip > limit) {
          problems.push({
            path: `dialPlan[${i}].strip`,
            reason:
              r.prefix === ''
                ? `must be less than ${c.minLength}, the length of the shortest number the pattern matches (nothing would be left to dial)`
                : `must not exceed ${c.minLength}, the length of the shortest number the pattern matches`,
          });
        }
      }
    });
  }
  const extensions = Array.isArray(value.extensions) ? value.extensions : [];
  const numbers = new Set(extensions.filter(isRecord).map((e) => e.number));
  const inbound = value.inbound;
  if (!isRecord(inbound)) return;
  if (Array.isArray(inbound.dids)) {
    inbound.dids.forEach((d: unknown, i) => {
      if (isRecord(d) && typeof d.extension === 'string' && EXTENSION_NUMBER.test(d.extension) && !numbers.has(d.extension)) {
        problems.push({ path: `inbound.dids[${i}].extension`, reason: `no extension ${d.extension}` });
      }
    });
  }
  const dflt = inbound.defaultDestination;
  if (typeof dflt === 'string' && EXTENSION_NUMBER.test(dflt) && !numbers.has(dflt)) {
    problems.push({ path: 'inbound.defaultDestination', reason: `no extension ${dflt}` });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Every problem of a parsed config document; empty when it is valid. */
export function validateConfig(value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  walk(SHAPE, value, '', problems);
  // Reported along with shape problems: it concerns fields that are well-formed each.
  selfForwards(value, problems);
  references(value, problems);
  const v = value as EdgesipConfig;
  if (problems.length === 0) {
    if (v.sip.port === v.sip.tlsPort) problems.push({ path: 'sip.tlsPort', reason: 'must differ from sip.port' });
    // SIP's TCP port and the TLS port are TCP ports too: the web ports must not take them.
    const taken = new Map<number, string>([
      [v.sip.port, 'sip.port'],
      [v.sip.tlsPort, 'sip.tlsPort'],
    ]);
    for (const [key, port] of [['port', v.web.port], ['httpRedirectPort', v.web.httpRedirectPort]] as const) {
      if (port === 0) continue;
      const owner = taken.get(port);
      if (owner !== undefined) problems.push({ path: `web.${key}`, reason: `must differ from ${owner} (${port})` });
      taken.set(port, `web.${key}`);
    }
    if ((v.tls.certFile === '') !== (v.tls.keyFile === '')) {
      problems.push({ path: v.tls.certFile ? 'tls.keyFile' : 'tls.certFile', reason: 'certFile and keyFile go together' });
    }
    const r = v.registrar;
    if (r.minExpires > r.maxExpires) problems.push({ path: 'registrar.minExpires', reason: 'must not exceed registrar.maxExpires' });
    if (r.defaultExpires < r.minExpires || r.defaultExpires > r.maxExpires) {
      problems.push({ path: 'registrar.defaultExpires', reason: 'must lie between registrar.minExpires and registrar.maxExpires' });
    }
    if (v.guard.blockSeconds > v.guard.maxBlockSeconds) problems.push({ path: 'guard.blockSeconds', reason: 'must not exceed guard.maxBlockSeconds' });
  }
  return problems;
}
