/**
 * The text of control frames, typed (docs/fxs-serial-protocol.md §3–§5): the link
 * words (sequenced frame, ACK, NAK), the HELLOs, the agent's commands and the board's
 * events. Everything here is pure: format functions turn values into the text between
 * `!` and `*`, parse functions are total and return a result instead of throwing.
 */

/** The protocol version this code speaks (HELLO's first argument). */
export const PROTOCOL_VERSION = 1;
/** Longest frame text (between `!` and `*`); longer input is line noise. */
export const MAX_TEXT_BYTES = 200;
/** Highest line number a frame may name; a board reports how many it has in HELLO. */
export const MAX_LINES = 64;
/** Sequence numbers of sequenced frames run 1..65535 and wrap to 1; 0 is the HELLOs'. */
export const MAX_SEQ = 65535;
/** Session token that means "no session" (a board's HELLO after power-up). */
export const NO_SESSION = '00000000';

export type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';
export const DIGITS: readonly Digit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export type BoardEvent =
  | { kind: 'off-hook'; line: number }
  | { kind: 'on-hook'; line: number }
  | { kind: 'flash'; line: number }
  | { kind: 'digit'; line: number; digit: Digit }
  | { kind: 'ring-trip'; line: number };

export type ToneName = 'dial' | 'busy' | 'ringback' | 'congestion' | 'off';
export const TONES: readonly ToneName[] = ['dial', 'busy', 'ringback', 'congestion', 'off'];

export type AudioCodec = 'pcmu' | 'pcma';

export type BoardCommand =
  | { kind: 'ring'; line: number; cadenceMs: number[] }
  | { kind: 'ring-stop'; line: number }
  | { kind: 'polarity'; line: number; reversed: boolean }
  | { kind: 'caller-id'; line: number; mode: 'fsk' | 'dtmf'; number: string; name: string }
  | { kind: 'tone'; line: number; tone: ToneName; country: string }
  | { kind: 'audio'; line: number; on: boolean; codec: AudioCodec };

/** What the board says about itself in its HELLO. Lines are numbered from 1; offHook[0] is line 1. */
export interface BoardHello {
  version: number;
  lines: number;
  caps: string[];
  firmware: string;
  offHook: boolean[];
}

/** A command or the keepalive, as the board receives them. */
export type AgentRequest = BoardCommand | { kind: 'ping' };

/**
 * Why a receiver refused a sequenced frame (the NAK's reason). Receivers must accept
 * reasons they do not know: newer firmware may add some.
 */
export type RejectReason = 'no-session' | 'bad-line' | 'bad-args' | 'unknown-verb' | 'unsupported';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

/** The three shapes of control text. */
export type ControlText =
  | { kind: 'sequenced'; seq: number; body: string }
  | { kind: 'ack'; seq: number }
  | { kind: 'nak'; seq: number; reason: string };

// ---- limits of the arguments ----

export const CADENCE_LIMITS = { minEntries: 2, maxEntries: 8, maxMs: 30_000 } as const;
/** Caller ID number length (characters); FSK carries at most 18 digits, DTMF a few more. */
export const MAX_CID_NUMBER = 32;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: RejectReason, detail: string): Parsed<T> => ({ ok: false, reason, detail });

// ---- link words ----

export function formatSequenced(seq: number, body: string): string {
  return `${seq} ${body}`;
}

export function formatAck(seq: number): string {
  return `A ${seq}`;
}

export function formatNak(seq: number, reason: string): string {
  return `N ${seq} ${reason}`;
}

/** Recognises the link word of a frame's text; undefined when it is none of the three. */
export function parseControlText(text: string): ControlText | undefined {
  const space = text.indexOf(' ');
  const head = space < 0 ? text : text.slice(0, space);
  const rest = space < 0 ? '' : text.slice(space + 1);
  if (head === 'A') {
    const seq = parseSeq(rest);
    return seq === undefined ? undefined : { kind: 'ack', seq };
  }
  if (head === 'N') {
    const [seqText = '', reason = ''] = rest.split(' ');
    const seq = parseSeq(seqText);
    return seq === undefined || !/^[a-z][a-z0-9-]*$/.test(reason) ? undefined : { kind: 'nak', seq, reason };
  }
  const seq = parseSeq(head);
  if (seq === undefined || rest === '') return undefined;
  return { kind: 'sequenced', seq, body: rest };
}

function parseSeq(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_SEQ ? n : undefined;
}

/** The sequence number after `seq` (1..65535, wrapping to 1: 0 belongs to the HELLOs). */
export function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? 1 : seq + 1;
}

// ---- HELLO ----

export function formatAgentHello(version: number, session: string): string {
  return `HELLO ${version} session=${session}`;
}

export function parseAgentHello(body: string): Parsed<{ version: number; session: string }> {
  const words = body.split(' ');
  if (words[0] !== 'HELLO') return bad('unknown-verb', `not a HELLO: ${words[0]}`);
  const version = parseInteger(words[1]);
  if (version === undefined) return bad('bad-args', 'HELLO without a version');
  const fields = keyValues(words.slice(2));
  const session = fields.get('session');
  if (session === undefined || !isSession(session)) return bad('bad-args', 'HELLO without a valid session');
  return ok({ version, session });
}

export function formatBoardHello(hello: BoardHello, session: string): string {
  const hook = hello.offHook.map((h) => (h ? '1' : '0')).join('');
  return `HELLO ${hello.version} lines=${hello.lines} caps=${hello.caps.join(',')} fw=${encodeToken(hello.firmware)} hook=${hook} session=${session}`;
}

/**
 * A board's HELLO. The version is read first and alone, so that a board speaking another
 * version is recognised as such even when the rest of its HELLO has another shape.
 */
export function parseBoardHello(body: string): Parsed<{ hello: BoardHello; session: string }> {
  const words = body.split(' ');
  if (words[0] !== 'HELLO') return bad('unknown-verb', `not a HELLO: ${words[0]}`);
  const version = parseInteger(words[1]);
  if (version === undefined) return bad('bad-args', 'HELLO without a version');
  const fields = keyValues(words.slice(2));
  const session = fields.get('session') ?? '';
  if (version !== PROTOCOL_VERSION) {
    // Nothing else can be trusted; the caller reports the mismatch.
    return ok({ hello: { version, lines: 0, caps: [], firmware: fields.get('fw') ?? '', offHook: [] }, session });
  }
  const lines = parseInteger(fields.get('lines'));
  if (lines === undefined || lines < 1 || lines > MAX_LINES) return bad('bad-args', `bad line count: ${fields.get('lines')}`);
  const hook = fields.get('hook') ?? '';
  if (!new RegExp(`^[01]{${lines}}$`).test(hook)) return bad('bad-args', `hook states do not match ${lines} lines: ${hook}`);
  if (!isSession(session) && session !== NO_SESSION) return bad('bad-args', `bad session: ${session}`);
  const caps = (fields.get('caps') ?? '').split(',').filter((c) => c !== '');
  const firmware = decodeToken(fields.get('fw') ?? '');
  if (firmware === undefined) return bad('bad-args', 'bad firmware token');
  return ok({ hello: { version, lines, caps, firmware, offHook: Array.from(hook, (c) => c === '1') }, session });
}

/** A session token: 8 upper-case hex digits, never 00000000. */
export function isSession(text: string): boolean {
  return /^[0-9A-F]{8}$/.test(text) && text !== NO_SESSION;
}

// ---- commands (agent → board) ----

/**
 * The body of a command frame. Fails (with the reason a board would give) when the
 * command cannot be put on the wire: a line outside 1..64, a cadence out of limits, a
 * caller ID number too long. A caller ID name is cut to fit the frame (FSK carries at
 * most 15 characters of it anyway).
 */
export function formatCommand(cmd: AgentRequest): Parsed<string> {
  if (cmd.kind === 'ping') return ok('PING');
  if (!isLine(cmd.line)) return bad('bad-line', `line must be an integer in 1..${MAX_LINES}: ${cmd.line}`);
  switch (cmd.kind) {
    case 'ring': {
      const c = cmd.cadenceMs;
      if (!cadenceOk(c)) {
        return bad('bad-args', `cadence must be ${CADENCE_LIMITS.minEntries}..${CADENCE_LIMITS.maxEntries} on/off pairs of 1..${CADENCE_LIMITS.maxMs} ms: ${JSON.stringify(c)}`);
      }
      return ok(`RING ${cmd.line} ${c.join(',')}`);
    }
    case 'ring-stop':
      return ok(`RINGSTOP ${cmd.line}`);
    case 'polarity':
      return ok(`POLARITY ${cmd.line} ${cmd.reversed ? 'reversed' : 'normal'}`);
    case 'caller-id': {
      if (cmd.mode !== 'fsk' && cmd.mode !== 'dtmf') return bad('bad-args', `caller ID mode: ${String(cmd.mode)}`);
      if ([...cmd.number].length > MAX_CID_NUMBER) return bad('bad-args', `caller ID number longer than ${MAX_CID_NUMBER}`);
      const head = `CID ${cmd.line} ${cmd.mode} number=${encodeToken(cmd.number)} name=`;
      // Room left for the name once the longest sequence number ("65535 ") is in front.
      const room = MAX_TEXT_BYTES - `${MAX_SEQ} `.length - head.length;
      if (room < 0) return bad('bad-args', 'caller ID number does not fit a frame');
      return ok(head + encodeTokenWithin(cmd.name, room));
    }
    case 'tone':
      if (!TONES.includes(cmd.tone)) return bad('bad-args', `tone: ${String(cmd.tone)}`);
      if (!isCountry(cmd.country)) return bad('bad-args', `country must be two lower-case letters: ${cmd.country}`);
      return ok(`TONE ${cmd.line} ${cmd.tone} ${cmd.country}`);
    case 'audio':
      if (cmd.codec !== 'pcmu' && cmd.codec !== 'pcma') return bad('bad-args', `codec: ${String(cmd.codec)}`);
      return ok(`AUDIO ${cmd.line} ${cmd.on ? 'on' : 'off'} ${cmd.codec}`);
  }
}

export function parseCommand(body: string): Parsed<AgentRequest> {
  const [verb = '', ...args] = body.split(' ');
  if (verb === 'PING') return args.length === 0 ? ok({ kind: 'ping' }) : bad('bad-args', 'PING takes no arguments');
  const arity: Record<string, number> = { RING: 2, RINGSTOP: 1, POLARITY: 2, CID: 4, TONE: 3, AUDIO: 3 };
  const expected = arity[verb];
  if (expected === undefined) return bad('unknown-verb', `unknown command: ${verb}`);
  if (args.length !== expected) return bad('bad-args', `${verb} takes ${expected} arguments, got ${args.length}`);
  const line = parseInteger(args[0]);
  if (line === undefined || !isLine(line)) return bad('bad-line', `bad line: ${args[0]}`);
  switch (verb) {
    case 'RING': {
      const cadenceMs = args[1]!.split(',').map((t) => parseInteger(t) ?? NaN);
      return cadenceOk(cadenceMs) ? ok({ kind: 'ring', line, cadenceMs }) : bad('bad-args', `bad cadence: ${args[1]}`);
    }
    case 'RINGSTOP':
      return ok({ kind: 'ring-stop', line });
    case 'POLARITY':
      if (args[1] !== 'normal' && args[1] !== 'reversed') return bad('bad-args', `bad polarity: ${args[1]}`);
      return ok({ kind: 'polarity', line, reversed: args[1] === 'reversed' });
    case 'CID': {
      const mode = args[1];
      if (mode !== 'fsk' && mode !== 'dtmf') return bad('bad-args', `bad caller ID mode: ${mode}`);
      const fields = keyValues(args.slice(2));
      const numberToken = fields.get('number');
      const nameToken = fields.get('name');
      if (numberToken === undefined || nameToken === undefined) return bad('bad-args', 'CID needs number= and name=');
      const number = decodeToken(numberToken);
      const name = decodeToken(nameToken);
      if (number === undefined || name === undefined) return bad('bad-args', 'bad percent-encoding in CID');
      if ([...number].length > MAX_CID_NUMBER) return bad('bad-args', `caller ID number longer than ${MAX_CID_NUMBER}`);
      return ok({ kind: 'caller-id', line, mode, number, name });
    }
    case 'TONE': {
      const tone = args[1] as ToneName;
      if (!TONES.includes(tone)) return bad('bad-args', `bad tone: ${args[1]}`);
      if (!isCountry(args[2]!)) return bad('bad-args', `bad country: ${args[2]}`);
      return ok({ kind: 'tone', line, tone, country: args[2]! });
    }
    default: {
      // AUDIO
      if (args[1] !== 'on' && args[1] !== 'off') return bad('bad-args', `bad audio switch: ${args[1]}`);
      if (args[2] !== 'pcmu' && args[2] !== 'pcma') return bad('bad-args', `bad codec: ${args[2]}`);
      return ok({ kind: 'audio', line, on: args[1] === 'on', codec: args[2] });
    }
  }
}

// ---- events (board → agent) ----

export function formatEvent(e: BoardEvent): string {
  switch (e.kind) {
    case 'off-hook':
      return `OFFHOOK ${e.line}`;
    case 'on-hook':
      return `ONHOOK ${e.line}`;
    case 'flash':
      return `FLASH ${e.line}`;
    case 'digit':
      return `DIGIT ${e.line} ${e.digit}`;
    case 'ring-trip':
      return `RINGTRIP ${e.line}`;
  }
}

export function parseEvent(body: string): Parsed<BoardEvent> {
  const [verb = '', ...args] = body.split(' ');
  const simple: Record<string, 'off-hook' | 'on-hook' | 'flash' | 'ring-trip'> = {
    OFFHOOK: 'off-hook',
    ONHOOK: 'on-hook',
    FLASH: 'flash',
    RINGTRIP: 'ring-trip',
  };
  const kind = simple[verb];
  if (kind === undefined && verb !== 'DIGIT') return bad('unknown-verb', `unknown event: ${verb}`);
  const line = parseInteger(args[0]);
  if (line === undefined || !isLine(line)) return bad('bad-line', `bad line: ${args[0]}`);
  if (kind !== undefined) return args.length === 1 ? ok({ kind, line }) : bad('bad-args', `${verb} takes 1 argument`);
  const digit = args[1] as Digit;
  if (args.length !== 2 || !DIGITS.includes(digit)) return bad('bad-args', `bad digit: ${args[1]}`);
  return ok({ kind: 'digit', line, digit });
}

// ---- tokens ----

/**
 * Percent-encoding of a free-text argument (caller ID number and name, firmware):
 * UTF-8, then every byte outside 0x21..0x7E, and `%` and `!`, as `%XX` (upper-case hex).
 * The result never contains a space, `!` or a control byte, so it fits in frame text.
 */
export function encodeToken(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += tokenByte(byte);
  return out;
}

function tokenByte(byte: number): string {
  return byte < 0x21 || byte > 0x7e || byte === 0x25 || byte === 0x21 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
}

/** encodeToken, cut at a character boundary so that the result has at most `room` bytes. */
function encodeTokenWithin(text: string, room: number): string {
  let out = '';
  for (const ch of text) {
    const piece = encodeToken(ch);
    if (out.length + piece.length > room) break;
    out += piece;
  }
  return out;
}

/** The inverse of encodeToken; undefined for a malformed escape or a byte that must be escaped. */
export function decodeToken(token: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x25) {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x21 || c > 0x7e || c === 0x21) {
      return undefined;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

// ---- helpers ----

function parseInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^(0|[1-9][0-9]{0,8})$/.test(text) ? Number(text) : undefined;
}

function isLine(line: number): boolean {
  return Number.isInteger(line) && line >= 1 && line <= MAX_LINES;
}

function isCountry(text: string): boolean {
  return /^[a-z]{2}$/.test(text);
}

function cadenceOk(c: readonly number[]): boolean {
  return (
    Array.isArray(c) &&
    c.length >= CADENCE_LIMITS.minEntries &&
    c.length <= CADENCE_LIMITS.maxEntries &&
    c.length % 2 === 0 &&
    c.every((ms) => Number.isInteger(ms) && ms >= 1 && ms <= CADENCE_LIMITS.maxMs)
  );
}

/** `key=value` words; the value is everything after the first `=`. Later duplicates lose. */
function keyValues(words: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0 && !map.has(w.slice(0, eq))) map.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return map;
}
