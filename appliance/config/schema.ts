/**
 * The daemon's configuration: its shape, its defaults and its validation, in one
 * place. `validateConfig` reports every problem with the field's path and the reason,
 * and rejects unknown fields (a typo must not silently fall back to a default).
 */

export type Language = 'en' | 'zh-CN';
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface EdgesipConfig {
  version: 1;
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
}

export function defaultConfig(): EdgesipConfig {
  return {
    version: 1,
    language: 'en',
    sip: {
      listen: ['0.0.0.0', '::'],
      port: 5060,
      tlsPort: 5061,
      maxMessageBytes: 65535,
      idleTimeoutSeconds: 600,
      realm: '',
    },
    tls: { certFile: '', keyFile: '', minVersion: 'TLSv1.2' },
    log: { level: 'info' },
  };
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

type Shape = { [key: string]: Check | Shape };

const SHAPE: Shape = {
  version: (v, path, problems) => {
    if (v !== 1) problems.push({ path, reason: 'must be 1 (the only config version this release reads)' });
  },
  language: oneOf('en', 'zh-CN'),
  sip: {
    listen: ipAddresses,
    port: integer(1, 65535),
    tlsPort: integer(1, 65535),
    maxMessageBytes: integer(1500, 1048576),
    idleTimeoutSeconds: integer(10, 86400),
    realm: text,
  },
  tls: { certFile: text, keyFile: text, minVersion: oneOf('TLSv1.2', 'TLSv1.3') },
  log: { level: oneOf('trace', 'debug', 'info', 'warn', 'error') },
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

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Every problem of a parsed config document; empty when it is valid. */
export function validateConfig(value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  walk(SHAPE, value, '', problems);
  const v = value as EdgesipConfig;
  if (problems.length === 0) {
    if (v.sip.port === v.sip.tlsPort) problems.push({ path: 'sip.tlsPort', reason: 'must differ from sip.port' });
    if ((v.tls.certFile === '') !== (v.tls.keyFile === '')) {
      problems.push({ path: v.tls.certFile ? 'tls.keyFile' : 'tls.certFile', reason: 'certFile and keyFile go together' });
    }
  }
  return problems;
}
