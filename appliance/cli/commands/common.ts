/**
 * What every command group shares: the context (I/O, language, socket), strict option
 * parsing with localized errors, calls to the control API, aligned tables.
 */
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { controlRequest, ControlClientError } from '../../control/client';
import type { Lang, MessageKey } from '../messages';

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_RUNNING = 3;

export const DEFAULT_DATA_DIR = '/var/lib/edgesip';
export const SOCKET_NAME = 'control.sock';

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface CliContext {
  io: CliIo;
  lang: Lang;
  dataDir: string;
  t(key: MessageKey, vars?: Record<string, string>): string;
  /** A line of data on stdout. */
  out(line: string): void;
  /** A line of diagnostics on stderr. */
  err(line: string): void;
}

export function socketPathOf(ctx: CliContext): string {
  return join(resolve(ctx.dataDir), SOCKET_NAME);
}

/** The command line is wrong: exit 2 with this text and a pointer to the group's help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly group?: string,
  ) {
    super(message);
  }
}

/** The command failed with an exit code; the text is already localized. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * util.parseArgs, strict, with --help and --data-dir accepted everywhere; its errors
 * become UsageErrors that name the option in the user's language.
 */
export function parseCommand(ctx: CliContext, group: string, args: string[], options: Options): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' }, 'data-dir': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (err) {
    throw new UsageError(describeParseError(ctx, err), group);
  }
  const dataDir = parsed.values['data-dir'];
  if (typeof dataDir === 'string') ctx.dataDir = dataDir;
  return parsed;
}

function describeParseError(ctx: CliContext, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const text = e.message ?? String(err);
  const flag = /'(-[^' ]*)/.exec(text)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return ctx.t('unknownFlag', { flag });
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(text) ? ctx.t('flagTakesNoValue', { flag }) : ctx.t('flagNeedsValue', { flag });
    default:
      return ctx.t('badOption', { detail: text });
  }
}

/** The positionals, exactly `names.length` of them (the names are for messages). */
export function expectPositionals(positionals: string[], names: string[], group: string, ctx: CliContext): string[] {
  if (positionals.length < names.length) throw new UsageError(ctx.t('missingArgument', { name: names[positionals.length] as string }), group);
  if (positionals.length > names.length) throw new UsageError(ctx.t('extraArgument', { arg: positionals[names.length] as string }), group);
  return positionals;
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(values: Parsed['values'], name: string): boolean {
  return values[name] === true;
}

export function listOption(values: Parsed['values'], name: string): string[] | undefined {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function integerOption(ctx: CliContext, group: string, values: Parsed['values'], name: string): number | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(v)) throw new UsageError(ctx.t('notInteger', { flag: `--${name}`, value: v }), group);
  return Number(v);
}

/**
 * An option whose value must be one of `choices` (compared without case); the choice as
 * written in `choices` is returned. Anything else is a usage error listing them.
 */
export function choiceOption<T extends string>(ctx: CliContext, group: string, values: Parsed['values'], name: string, choices: readonly T[]): T | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const found = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (found === undefined) throw new UsageError(ctx.t('badChoice', { flag: `--${name}`, choices: choices.map((c) => c.toLowerCase()).join('|'), value: v }), group);
  return found;
}

/** The password from --password or one line of stdin (--password-stdin); undefined when neither is given. */
export async function passwordOption(ctx: CliContext, group: string, values: Parsed['values']): Promise<string | undefined> {
  const inline = stringOption(values, 'password');
  if (!flag(values, 'password-stdin')) return inline;
  if (inline !== undefined) throw new UsageError(ctx.t('conflictingFlags', { a: '--password', b: '--password-stdin' }), group);
  const line = await readLine(ctx.io.stdin);
  if (line === null || line === '') throw new UsageError(ctx.t('noPasswordOnStdin'), group);
  return line;
}

export type Subcommand = (args: string[], ctx: CliContext) => Promise<number>;

/**
 * A command group: `<group> SUB ARGS...`. No SUB is a usage error, help/--help/-h print
 * the group's usage, an unknown SUB is a usage error.
 */
export async function runGroup(args: string[], ctx: CliContext, group: string, usage: MessageKey, subcommands: Record<string, Subcommand>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError(ctx.t('missingSubcommand', { group }), group);
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    ctx.out(ctx.t(usage));
    return EXIT_OK;
  }
  const run = Object.prototype.hasOwnProperty.call(subcommands, sub) ? subcommands[sub] : undefined;
  if (run === undefined) throw new UsageError(ctx.t('unknownSubcommand', { group, command: sub }), group);
  return run(rest, ctx);
}

/** Prints the group's usage when --help was given; true when it did. */
export function helpRequested(ctx: CliContext, parsed: Parsed, usage: MessageKey): boolean {
  if (parsed.values.help !== true) return false;
  ctx.out(ctx.t(usage));
  return true;
}

export interface Listing<T> {
  group: string;
  usage: MessageKey;
  /** Names of the positionals expected (for messages); none when absent. */
  positionals?: string[];
  method: string;
  /** The API path, from the positionals. */
  path(positionals: string[]): string;
  /** What to show from the response body (not called with --json unless exitCode is given). */
  items(body: unknown): T[];
  /** Said on stderr instead of an empty table. */
  empty: MessageKey;
  header: MessageKey[];
  row(item: T): string[];
  /** The exit code for the items (also with --json, then decided before printing); EXIT_OK when absent. */
  exitCode?(items: T[]): number;
}

/**
 * `<group> <sub> [--json] ARGS...`: one API call whose body is printed as JSON (--json),
 * as an aligned table, or as the `empty` message on stderr when there is nothing.
 */
export async function runListing<T>(args: string[], ctx: CliContext, listing: Listing<T>): Promise<number> {
  const { group } = listing;
  const parsed = parseCommand(ctx, group, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, listing.usage)) return EXIT_OK;
  const positionals = expectPositionals(parsed.positionals, listing.positionals ?? [], group, ctx);
  const body = await callApi(ctx, listing.method, listing.path(positionals));
  const exitCode = (items: T[]): number => (listing.exitCode === undefined ? EXIT_OK : listing.exitCode(items));
  if (flag(parsed.values, 'json')) {
    const code = listing.exitCode === undefined ? EXIT_OK : exitCode(listing.items(body));
    printJson(ctx, body);
    return code;
  }
  const items = listing.items(body);
  if (items.length === 0) {
    ctx.err(ctx.t(listing.empty));
    return exitCode(items);
  }
  ctx.out(
    renderTable(
      listing.header.map((key) => ctx.t(key)),
      items.map((item) => listing.row(item)),
    ),
  );
  return exitCode(items);
}

/** Reads one line (without its line end) from `stream`; null when it ends first with nothing. */
export function readLine(stream: NodeJS.ReadableStream): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let text = '';
    const cleanup = (): void => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      stream.pause();
    };
    const onData = (chunk: string | Buffer): void => {
      text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl !== -1) {
        cleanup();
        resolve(text.slice(0, nl).replace(/\r$/, ''));
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(text === '' ? null : text.replace(/\r$/, ''));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}

export interface ApiError {
  code: string;
  message: string;
  field?: string;
}

function asApiError(body: unknown, status: number): ApiError {
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b.code === 'string' && typeof b.message === 'string') {
      return typeof b.field === 'string' ? { code: b.code, message: b.message, field: b.field } : { code: b.code, message: b.message };
    }
  }
  return { code: 'EDGESIP_ERR_INTERNAL', message: `HTTP ${status}` };
}

export interface CallOptions {
  /** Localized text for EDGESIP_ERR_NOT_FOUND / EDGESIP_ERR_EXISTS. */
  notFound?: string;
  exists?: string;
  /** API field → the option or argument the user typed. */
  fieldNames?: Record<string, string>;
}

/**
 * One control API call. Success returns the body; a refusal becomes a CommandFailure
 * (exit 1), an absent daemon exit 3.
 */
export async function callApi(ctx: CliContext, method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<unknown> {
  const socket = socketPathOf(ctx);
  let res;
  try {
    res = await controlRequest(socket, method, path, body);
  } catch (err) {
    if (err instanceof ControlClientError) {
      switch (err.code) {
        case 'EDGESIP_ERR_NOT_RUNNING':
          throw new CommandFailure(ctx.t('notRunning', { socket }), EXIT_NOT_RUNNING);
        case 'EDGESIP_ERR_PERMISSION':
          throw new CommandFailure(ctx.t('permissionDenied', { socket }), EXIT_REFUSED);
        case 'EDGESIP_ERR_TIMEOUT':
          throw new CommandFailure(ctx.t('timeout', { socket }), EXIT_REFUSED);
        case 'EDGESIP_ERR_PROTOCOL':
          throw new CommandFailure(ctx.t('protocolError', { detail: err.message }), EXIT_REFUSED);
      }
    }
    throw err;
  }
  if (res.status >= 200 && res.status < 300) return res.body;
  const e = asApiError(res.body, res.status);
  if (e.code === 'EDGESIP_ERR_NOT_FOUND' && options.notFound !== undefined && res.status === 404) throw new CommandFailure(options.notFound, EXIT_REFUSED);
  if (e.code === 'EDGESIP_ERR_EXISTS' && options.exists !== undefined) throw new CommandFailure(options.exists, EXIT_REFUSED);
  if (res.status >= 500) throw new CommandFailure(ctx.t('daemonFailed', { message: e.message }), EXIT_REFUSED);
  if (e.field === undefined) throw new CommandFailure(ctx.t('refused', { message: e.message }), EXIT_REFUSED);
  const base = e.field.replace(/\[\d+\]$/, '');
  const field = options.fieldNames?.[base] ?? e.field;
  throw new CommandFailure(ctx.t('refusedField', { field, message: e.message }), EXIT_REFUSED);
}

/** Prints `body` exactly as the API sent it (compact JSON, one line). */
export function printJson(ctx: CliContext, body: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(body)}\n`);
}

/** Terminal columns of `s`: East Asian wide characters take two. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x20000 && cp <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/** Rows under a header, columns aligned (two spaces apart), no trailing blanks. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - displayWidth(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Strips control characters from values shown in a table (they come from the network). */
export function cell(v: string | number | undefined): string {
  return v === undefined ? '-' : String(v).replace(/[\x00-\x1f\x7f]/g, '?') || '-';
}
