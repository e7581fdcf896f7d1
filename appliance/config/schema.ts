/**
 * The daemon's configuration: its shape, its defaults and its validation, in one
 * place. `validateConfig` reports every problem with the field's path and the reason,
 * and rejects unknown fields (a typo must not silently fall back to a default).
 */

export type Language = 'en' | 'zh-CN';
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';
export type DigestAlgorithmName = 'SHA-256' | 'MD5';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

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
export const CONFIG_VERSION = 3;

export interface EdgesipConfig {
  version: typeof CONFIG_VERSION;
  /** Interface language; later also the default of trunk Request-URI parameters. */
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
  };
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
};

const SHAPE: Shape = {
  version: (v, path, problems) => {
    if (v !== CONFIG_VERSION) problems.push({ path, reason: `must be ${CONFIG_VERSION} (files of versions 1 and 2 are migrated when loaded)` });
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
      if (!Array.isArray(v) || v.length === 0 || v.length > 2 || new Set(v).size !== v.length || !v.every((a) => a === 'SHA-256' || a === 'MD5')) {
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
  const v = value as EdgesipConfig;
  if (problems.length === 0) {
    if (v.sip.port === v.sip.tlsPort) problems.push({ path: 'sip.tlsPort', reason: 'must differ from sip.port' });
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
