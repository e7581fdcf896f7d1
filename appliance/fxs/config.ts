/**
 * The FXS agent's configuration (`<data dir>/fxs.json`): its shape, its defaults, its
 * validation and its loading. `validateFxsConfig` reports every problem with the
 * field's JSON path and the reason and refuses unknown fields, like the daemon's
 * config/schema.ts (whose host, SIP user, credential and dial-pattern rules it reuses,
 * so both programs accept the same values).
 *
 * The file holds the lines' SIP passwords: it is created 0600 and nothing here puts a
 * password (or a fragment of the file) into an error message; `redactFxsConfig` gives
 * a copy safe to log.
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { credentialProblem, dialPatternProblem, dnsNameProblem, hostPortProblem, SIP_USER, SIP_USER_REASON } from '../config/schema';
import { writeFileAtomicSync } from '../platform/atomic-write';

export const FXS_CONFIG_VERSION = 1;
export const FXS_CONFIG_FILE = 'fxs.json';

/** Countries with a tone profile (dial, ringback, busy, congestion tones and ring cadence). */
export const FXS_COUNTRIES = ['cn', 'us', 'gb', 'de'] as const;
export const FXS_CODECS = ['PCMU', 'PCMA'] as const;
export const FXS_TRANSPORTS = ['UDP', 'TCP', 'TLS'] as const;
export const CALLER_ID_MODES = ['fsk', 'dtmf'] as const;
/** '' means no send key: a number completes by pattern or by the inter-digit timeout only. */
export const SEND_KEYS = ['#', '*', ''] as const;
/** Serial speeds the line boards' UARTs offer. */
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;

/** Line numbers 1..MAX_LINES (the largest board has 32 ports). */
export const MAX_LINES = 32;
/** RTP and RTCP take an even/odd pair of ports per call, one call per line. */
export const RTP_PORTS_PER_LINE = 2;
export const MAX_IMMEDIATE_PATTERNS = 64;
export const PASSWORD_LENGTH = { min: 8, max: 128 } as const;

export type FxsCountry = (typeof FXS_COUNTRIES)[number];
export type FxsCodec = (typeof FXS_CODECS)[number];
export type FxsTransport = (typeof FXS_TRANSPORTS)[number];
export type CallerIdMode = (typeof CALLER_ID_MODES)[number];
export type SendKey = (typeof SEND_KEYS)[number];

export interface FxsSerialConfig {
  /** The board's tty, e.g. /dev/ttyUSB0. */
  path: string;
  baudRate: number;
}

/** The SIP server every line registers to (edgesipd or any other). */
export interface FxsServerConfig {
  /** DNS name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  transport: FxsTransport;
  /** The domain of the lines' AORs (sip:user@domain); '' means `host`. */
  domain: string;
}

/** Where the agent listens: one SIP socket for all lines, and its RTP port range. */
export interface FxsLocalConfig {
  /** IP address to bind; 0.0.0.0 (or ::) means every address. */
  address: string;
  /** 0 lets the system choose. */
  sipPort: number;
  /** Even, below rtpPortMax; the range holds at least RTP_PORTS_PER_LINE per line. */
  rtpPortMin: number;
  rtpPortMax: number;
}

export interface FxsDialingConfig {
  /** Off hook this long without a digit: the call is abandoned (howler / congestion tone). */
  firstDigitSeconds: number;
  /** Silence after a digit this long completes the number dialled so far. */
  interDigitSeconds: number;
  sendKey: SendKey;
  /** Dial-plan patterns (X N Z [..] and a final '.') that complete a number at once. */
  immediate: string[];
}

/** One analog port and its SIP account. */
export interface FxsLine {
  /** The port on the board, 1..MAX_LINES. */
  line: number;
  enabled: boolean;
  /** The AOR's user part (and the digest user unless authUsername is set). */
  username: string;
  /** Digest user name; '' means `username`. */
  authUsername: string;
  /** Required when enabled. Never logged (see redactFxsConfig). */
  password: string;
  displayName: string;
}

export interface FxsConfig {
  version: typeof FXS_CONFIG_VERSION;
  serial: FxsSerialConfig;
  server: FxsServerConfig;
  local: FxsLocalConfig;
  country: FxsCountry;
  /** Offered in this order of preference; at least one. */
  codecs: FxsCodec[];
  callerIdMode: CallerIdMode;
  /** Expiry asked for in REGISTER, seconds. */
  registerExpires: number;
  /** Consecutive rejected credentials after which a line stops trying (auth-failed). */
  authFailureLimit: number;
  dialing: FxsDialingConfig;
  lines: FxsLine[];
}

/**
 * The defaults: a board on /dev/ttyUSB0 and a server on this host, and no lines, so a
 * fresh agent registers nothing until someone enters accounts and passwords.
 */
export function defaultFxsConfig(): FxsConfig {
  return {
    version: FXS_CONFIG_VERSION,
    serial: { path: '/dev/ttyUSB0', baudRate: 921600 },
    server: { host: '127.0.0.1', port: 5060, transport: 'UDP', domain: '' },
    local: { address: '0.0.0.0', sipPort: 5070, rtpPortMin: 16384, rtpPortMax: 16583 },
    country: 'cn',
    codecs: ['PCMU', 'PCMA'],
    callerIdMode: 'fsk',
    registerExpires: 300,
    authFailureLimit: 5,
    dialing: { firstDigitSeconds: 10, interDigitSeconds: 4, sendKey: '#', immediate: ['1XX', '2XX', '*XX#'] },
    lines: [],
  };
}

export interface FxsConfigProblem {
  /** JSON path of the field, e.g. lines[2].password; '(root)' or '(file)' for the whole. */
  path: string;
  reason: string;
}

/** An fxs.json that cannot be used. The file is left exactly as it is. */
export class FxsConfigError extends Error {
  override readonly name = 'FxsConfigError';
  readonly code = 'EDGESIP_ERR_FXS_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: FxsConfigProblem[],
  ) {
    super(`${file}: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------
// Field checks. Each pushes its problems; none quotes a password back.

type Check = (value: unknown, path: string, problems: FxsConfigProblem[]) => void;
type Shape = { readonly [key: string]: Check | Shape };

const oneOf =
  (allowed: readonly (string | number)[], shown = allowed.map((a) => (a === '' ? "'' (none)" : String(a))).join(', ')): Check =>
  (v, path, problems) => {
    if ((typeof v !== 'string' && typeof v !== 'number') || !allowed.includes(v)) problems.push({ path, reason: `must be one of ${shown}` });
  };

const integer =
  (min: number, max: number): Check =>
  (v, path, problems) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) problems.push({ path, reason: `must be an integer from ${min} to ${max}` });
  };

const bool: Check = (v, path, problems) => {
  if (typeof v !== 'boolean') problems.push({ path, reason: 'must be true or false' });
};

/** A string field judged by `problem` (a reason, or undefined when fine). */
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

const HOST_REASON = 'must be a DNS name or an IP address (IPv6 without brackets), without a port';

/** Why `s` is not a host (DNS name or IP address, no port), or undefined. */
export function hostProblem(s: string): string | undefined {
  // A colon is only fine in an IPv6 address; the daemon's IPv6 check is looser than isIPv6
  // ("cafe:5060" would pass it), so that case is node:net's.
  if (s.includes(':')) return isIPv6(s) ? undefined : HOST_REASON;
  // Without a colon there is no port: the daemon's host[:port] rule is the host rule.
  return hostPortProblem(s) === undefined ? undefined : HOST_REASON;
}

/** Why `s` is not an IP address to bind, or undefined. */
export function bindAddressProblem(s: string): string | undefined {
  const reason = 'must be an IPv4 or IPv6 address (0.0.0.0 or :: for every address)';
  if (hostProblem(s) !== undefined) return reason;
  // A host that is not a DNS name: the numeric and IPv6 forms hostProblem accepted.
  return s.includes(':') || dnsNameProblem(s) !== undefined ? undefined : reason;
}

const DEVICE_PATH_REASON = 'must be an absolute path to the serial device such as /dev/ttyUSB0';

function devicePathProblem(s: string): string | undefined {
  if (!s.startsWith('/') || s.length > 255 || /[\x00-\x1f\x7f]/.test(s)) return DEVICE_PATH_REASON;
  return undefined;
}

/** Goes into quoted display names (From): no quotes, backslashes or control characters. */
function displayNameProblem(s: string): string | undefined {
  if (s.length > 64 || /["\\\x00-\x1f\x7f]/.test(s)) return 'must be at most 64 characters without quotes, backslashes or control characters';
  return undefined;
}

/** Why `s` is not a usable line password, or undefined. Never quotes the password. */
export function linePasswordProblem(s: string): string | undefined {
  if (s.length < PASSWORD_LENGTH.min || s.length > PASSWORD_LENGTH.max || /[\x00-\x1f\x7f]/.test(s)) {
    return `must be ${PASSWORD_LENGTH.min}-${PASSWORD_LENGTH.max} characters without control characters`;
  }
  return undefined;
}

const codecs: Check = (v, path, problems) => {
  if (!Array.isArray(v) || v.length === 0) {
    problems.push({ path, reason: `must be a non-empty list of ${FXS_CODECS.join(', ')}` });
    return;
  }
  v.forEach((c: unknown, i) => {
    if (typeof c !== 'string' || !(FXS_CODECS as readonly string[]).includes(c)) problems.push({ path: `${path}[${i}]`, reason: `must be one of ${FXS_CODECS.join(', ')}` });
    else if (v.indexOf(c) !== i) problems.push({ path: `${path}[${i}]`, reason: `duplicate codec ${c}` });
  });
};

const immediatePatterns: Check = (v, path, problems) => {
  if (!Array.isArray(v) || v.length > MAX_IMMEDIATE_PATTERNS) {
    problems.push({ path, reason: `must be a list of at most ${MAX_IMMEDIATE_PATTERNS} dial patterns` });
    return;
  }
  v.forEach((p: unknown, i) => {
    const reason = typeof p === 'string' ? dialPatternProblem(p) : 'must be a string';
    if (reason !== undefined) problems.push({ path: `${path}[${i}]`, reason });
    else if (v.indexOf(p) !== i) problems.push({ path: `${path}[${i}]`, reason: `duplicate pattern ${String(p)}` });
  });
};

const LINE: Shape = {
  line: integer(1, MAX_LINES),
  enabled: bool,
  username: fromProblem((s) => (SIP_USER.test(s) ? undefined : SIP_USER_REASON)),
  // Digest user names are sometimes user@domain: the daemon's trunk rule, not SIP_USER.
  authUsername: fromProblem(credentialProblem),
  // Whether it may be empty depends on `enabled`: see lineRules.
  password: fromProblem((s) => (s === '' ? undefined : linePasswordProblem(s))),
  displayName: fromProblem(displayNameProblem),
};

const lines: Check = (v, path, problems) => {
  if (!Array.isArray(v)) {
    problems.push({ path, reason: 'must be a list' });
    return;
  }
  if (v.length > MAX_LINES) problems.push({ path, reason: `must have at most ${MAX_LINES} lines` });
  v.forEach((item: unknown, i) => walk(LINE, item, `${path}[${i}]`, problems));
};

const SHAPE: Shape = {
  version: (v, path, problems) => {
    if (v !== FXS_CONFIG_VERSION) problems.push({ path, reason: `must be ${FXS_CONFIG_VERSION}` });
  },
  serial: {
    path: fromProblem(devicePathProblem),
    baudRate: oneOf(BAUD_RATES),
  },
  server: {
    host: fromProblem(hostProblem),
    port: integer(1, 65535),
    transport: oneOf(FXS_TRANSPORTS),
    domain: fromProblem((s) => (s === '' ? undefined : hostProblem(s))),
  },
  local: {
    address: fromProblem(bindAddressProblem),
    sipPort: integer(0, 65535),
    rtpPortMin: integer(1024, 65535),
    rtpPortMax: integer(1024, 65535),
  },
  country: oneOf(FXS_COUNTRIES),
  codecs,
  callerIdMode: oneOf(CALLER_ID_MODES),
  registerExpires: integer(60, 86400),
  authFailureLimit: integer(1, 20),
  dialing: {
    firstDigitSeconds: integer(1, 60),
    interDigitSeconds: integer(1, 60),
    sendKey: oneOf(SEND_KEYS),
    immediate: immediatePatterns,
  },
  lines,
};

function walk(shape: Shape, value: unknown, path: string, problems: FxsConfigProblem[]): void {
  if (!isRecord(value)) {
    problems.push({ path: path || '(root)', reason: 'must be an object' });
    return;
  }
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(shape, key)) problems.push({ path: join2(path, key), reason: 'unknown field' });
  }
  for (const [key, rule] of Object.entries(shape)) {
    const p = join2(path, key);
    if (!Object.prototype.hasOwnProperty.call(value, key)) problems.push({ path: p, reason: 'missing' });
    else if (typeof rule === 'function') rule(value[key], p, problems);
    else walk(rule, value[key], p, problems);
  }
}

// ---------------------------------------------------------------------------------
// Rules between fields. They read defensively (the document may be malformed) and skip
// values that already have a problem of their own, so a problem is reported once.

/** Unique line numbers and usernames; a password for every enabled line. */
function lineRules(doc: Record<string, unknown>, problems: FxsConfigProblem[]): void {
  if (!Array.isArray(doc.lines)) return;
  const numbers = new Set<unknown>();
  const usernames = new Set<unknown>();
  doc.lines.forEach((l: unknown, i) => {
    if (!isRecord(l)) return;
    if (typeof l.line === 'number' && Number.isInteger(l.line)) {
      if (numbers.has(l.line)) problems.push({ path: `lines[${i}].line`, reason: `duplicate line ${l.line}` });
      numbers.add(l.line);
    }
    if (typeof l.username === 'string' && SIP_USER.test(l.username)) {
      if (usernames.has(l.username)) problems.push({ path: `lines[${i}].username`, reason: `duplicate username ${l.username}` });
      usernames.add(l.username);
    }
    if (l.enabled === true && l.password === '') problems.push({ path: `lines[${i}].password`, reason: 'is required for an enabled line' });
  });
}

/** The RTP range: even start, room for every line, and the SIP port outside it. */
function portRules(doc: Record<string, unknown>, problems: FxsConfigProblem[]): void {
  const local = doc.local;
  if (!isRecord(local)) return;
  const { rtpPortMin: min, rtpPortMax: max, sipPort } = local;
  if (!isPort(min, 1024) || !isPort(max, 1024)) return;
  // RTP on the even port, RTCP on the odd one above it (RFC 3550 §11).
  if (min % 2 !== 0) problems.push({ path: 'local.rtpPortMin', reason: 'must be even (RTP takes the even port, RTCP the odd one above it)' });
  if (min >= max) {
    problems.push({ path: 'local.rtpPortMax', reason: 'must be greater than local.rtpPortMin' });
    return;
  }
  const lineCount = Array.isArray(doc.lines) ? doc.lines.length : 0;
  const needed = Math.max(1, lineCount) * RTP_PORTS_PER_LINE;
  if (max - min + 1 < needed) {
    problems.push({ path: 'local.rtpPortMax', reason: `must leave at least ${needed} ports from local.rtpPortMin (${RTP_PORTS_PER_LINE} per line)` });
  }
  if (isPort(sipPort, 1) && sipPort >= min && sipPort <= max) {
    problems.push({ path: 'local.sipPort', reason: `must lie outside the RTP range ${min}-${max}` });
  }
}

function isPort(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 65535;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join2(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Every problem of a parsed fxs.json document; empty when it is valid. */
export function validateFxsConfig(doc: unknown): FxsConfigProblem[] {
  const problems: FxsConfigProblem[] = [];
  walk(SHAPE, doc, '', problems);
  if (isRecord(doc)) {
    lineRules(doc, problems);
    portRules(doc, problems);
  }
  return problems;
}

/**
 * Audio travels on the serial link (docs/fxs-serial-protocol.md §1): a line with audio
 * on needs 8,500 bytes/s each way, about 85,000 baud with start and stop bits. A UART
 * slower than the enabled lines need garbles calls once several lines talk; a USB
 * CDC-ACM board ignores the rate. So this is a warning the agent logs at start, with
 * the rate that would do, not a refusal.
 */
export const BAUD_PER_AUDIO_LINE = 85_000;

export function serialCapacityWarning(config: FxsConfig): string | undefined {
  const talking = config.lines.filter((l) => l.enabled).length;
  const needed = talking * BAUD_PER_AUDIO_LINE;
  if (needed <= config.serial.baudRate) return undefined;
  const enough = BAUD_RATES.find((b) => b >= needed);
  return `serial.baudRate ${config.serial.baudRate} is too slow for the audio of ${talking} enabled lines on a UART (each needs about ${BAUD_PER_AUDIO_LINE} baud); use ${enough ?? 'a USB board'} unless the board is USB`;
}

// ---------------------------------------------------------------------------------
// Loading.

/**
 * Load `<dataDir>/fxs.json`. A missing file is created with the defaults (atomically,
 * mode 0600: it will hold passwords); an unreadable or invalid one is refused with
 * every problem listed and never overwritten. The config returned is frozen.
 */
export function loadFxsConfig(dataDir: string): { config: FxsConfig; created: boolean; file: string } {
  const file = join(dataDir, FXS_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new FxsConfigError(file, [{ path: '(file)', reason: `cannot be read: ${(err as Error).message}` }]);
    }
    const config = defaultFxsConfig();
    writeFileAtomicSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return { config: deepFreeze(config), created: true, file };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FxsConfigError(file, [{ path: '(file)', reason: jsonErrorReason(text, err) }]);
  }
  const problems = validateFxsConfig(parsed);
  if (problems.length > 0) throw new FxsConfigError(file, problems);
  return { config: deepFreeze(parsed as FxsConfig), created: false, file };
}

/**
 * "is not valid JSON (line L, column C)". Newer V8 versions quote a piece of the text
 * in their message, which may be a password: only the position is kept.
 */
function jsonErrorReason(text: string, err: unknown): string {
  if (text.trim() === '') return 'is empty (delete it to get the defaults)';
  const message = (err as Error).message ?? '';
  if (/end of JSON input/.test(message)) return 'is not valid JSON (it ends too early)';
  const m = /position (\d+)/.exec(message);
  if (m === null) return 'is not valid JSON';
  const at = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, at).split('\n');
  return `is not valid JSON (line ${before.length}, column ${(before.at(-1) as string).length + 1})`;
}

/** A copy of the config for logs: every password replaced by '[redacted]' (or '' kept as ''). */
export function redactFxsConfig(config: FxsConfig): FxsConfig {
  return { ...config, lines: config.lines.map((l) => ({ ...l, password: l.password === '' ? '' : '[redacted]' })) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
