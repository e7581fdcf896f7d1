/** edgesip admin list|add|passwd|remove|unlock — web admin accounts through the control API. */
import { StringDecoder } from 'node:string_decoder';
import type { AdminAccountView } from '../../control/backend';
import { generatePassword } from '../../platform/generated-password';
import {
  callApi,
  cell,
  CommandFailure,
  EXIT_OK,
  EXIT_REFUSED,
  expectPositionals,
  flag,
  helpRequested,
  parseCommand,
  readLine,
  runGroup,
  runListing,
  UsageError,
  type CliContext,
  type Parsed,
} from './common';

const GROUP = 'admin';
const USAGE = 'adminUsage';
/** `admin passwd` without USER. */
export const DEFAULT_ADMIN = 'admin';

/** API field → what the user typed, for refusals. */
const FIELD_NAMES: Record<string, string> = { user: 'USER' };

const PASSWORD_OPTIONS = {
  'password-stdin': { type: 'boolean' },
  generate: { type: 'boolean' },
} as const;

export async function adminCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, USAGE, { list, add, passwd, remove, unlock });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: USAGE,
    method: 'GET',
    path: () => '/v1/admins',
    items: (body) => body as AdminAccountView[],
    empty: 'noAdmins',
    header: ['colUser', 'colCreated', 'colPasswordChanged', 'colLockedUntil'],
    row: (a) => [cell(a.user), cell(a.createdAt), cell(a.passwordChangedAt), cell(a.lockedUntil ?? undefined)],
  });
}

const userPath = (user: string, rest = ''): string => `/v1/admins/${encodeURIComponent(user)}${rest}`;

async function add(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, PASSWORD_OPTIONS);
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  const [user] = expectPositionals(parsed.positionals, ['USER'], GROUP, ctx) as [string];
  const { password, generated } = await newPassword(ctx, parsed.values, user);
  await callApi(ctx, 'POST', '/v1/admins', { user, password }, { exists: ctx.t('adminExists', { user }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('adminAdded', { user }));
  if (generated) showGenerated(ctx, user, password);
  return EXIT_OK;
}

async function passwd(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, PASSWORD_OPTIONS);
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  const positionals = parsed.positionals.length === 0 ? [DEFAULT_ADMIN] : parsed.positionals;
  const [user] = expectPositionals(positionals, ['USER'], GROUP, ctx) as [string];
  const { password, generated } = await newPassword(ctx, parsed.values, user);
  await callApi(ctx, 'PUT', userPath(user, '/password'), { password }, { notFound: ctx.t('adminNotFound', { user }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('adminPasswordSet', { user }));
  if (generated) showGenerated(ctx, user, password);
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  const [user] = expectPositionals(parsed.positionals, ['USER'], GROUP, ctx) as [string];
  // The last account is refused (409 EDGESIP_ERR_CONFLICT): the daemon's reason is shown, exit 1.
  await callApi(ctx, 'DELETE', userPath(user), undefined, { notFound: ctx.t('adminNotFound', { user }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('adminRemoved', { user }));
  return EXIT_OK;
}

async function unlock(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  const [user] = expectPositionals(parsed.positionals, ['USER'], GROUP, ctx) as [string];
  await callApi(ctx, 'POST', userPath(user, '/unlock'), undefined, { notFound: ctx.t('adminNotFound', { user }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('adminUnlocked', { user }));
  return EXIT_OK;
}

/** Prints a generated password, once, on stdout, with the advice to keep it. */
function showGenerated(ctx: CliContext, user: string, password: string): void {
  ctx.out(ctx.t('adminGenerated', { user, password }));
  ctx.out(ctx.t('adminStoreIt'));
}

/**
 * The new password: generated (--generate), one line of stdin (--password-stdin), or
 * typed twice on the terminal without echo. Without a terminal, one of the options is
 * required. Whether it is strong enough is the daemon's decision (field `password`).
 */
async function newPassword(ctx: CliContext, values: Parsed['values'], user: string): Promise<{ password: string; generated: boolean }> {
  const fromStdin = flag(values, 'password-stdin');
  const generate = flag(values, 'generate');
  if (fromStdin && generate) throw new UsageError(ctx.t('conflictingFlags', { a: '--password-stdin', b: '--generate' }), GROUP);
  if (generate) return { password: generatePassword(), generated: true };
  if (fromStdin) {
    const line = await readLine(ctx.io.stdin);
    if (line === null || line === '') throw new UsageError(ctx.t('noPasswordOnStdin'), GROUP);
    return { password: line, generated: false };
  }
  const tty = ctx.io.stdin as TtyInput;
  if (tty.isTTY !== true || typeof tty.setRawMode !== 'function') throw new UsageError(ctx.t('adminMissingPassword'), GROUP);
  const answers = await readHiddenLines(tty, (text) => void ctx.io.stderr.write(text), [
    ctx.t('adminPasswordPrompt', { user }),
    ctx.t('adminPasswordAgain'),
  ]);
  if (answers === null) throw new CommandFailure(ctx.t('adminPasswordCancelled'), EXIT_REFUSED);
  const [first, second] = answers as [string, string];
  if (first !== second) throw new CommandFailure(ctx.t('adminPasswordMismatch'), EXIT_REFUSED);
  return { password: first, generated: false };
}

/** Letters and digits that cannot be mistaken for one another (no 0 O o 1 l I). */
/** A terminal's standard input (node's tty.ReadStream), as far as the prompt needs it. */
export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * Asks each prompt in turn on a terminal in raw mode (nothing is echoed) and returns the
 * lines typed; null when cancelled (Ctrl-C, Ctrl-D on an empty line, end of input).
 * Backspace deletes a character, Ctrl-U the line; escape sequences (arrow keys) are ignored.
 */
export function readHiddenLines(input: TtyInput, write: (text: string) => void, prompts: string[]): Promise<string[] | null> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const lines: string[] = [];
    let current = '';
    let afterCr = false;
    /** Inside a terminal escape sequence (arrow keys…): 1 after ESC, 2 in its parameters. */
    let escape = 0;
    let done = false;
    const finish = (result: string[] | null, error?: Error): void => {
      if (done) return;
      done = true;
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.setRawMode?.(false);
      input.pause();
      if (error) reject(error);
      else resolve(result);
    };
    const onData = (chunk: string | Buffer): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        if (done) return;
        if (escape === 1) {
          escape = ch === '[' || ch === 'O' ? 2 : 0;
          continue;
        }
        if (escape === 2) {
          if (ch >= '@' && ch <= '~') escape = 0;
          continue;
        }
        const wasCr = afterCr;
        afterCr = ch === '\r';
        if (ch === '\n' && wasCr) continue; // CR LF is one line end
        if (ch === '\r' || ch === '\n') {
          write('\n');
          lines.push(current);
          current = '';
          if (lines.length === prompts.length) finish(lines);
          else write(prompts[lines.length] as string);
        } else if (ch === '\x03' || (ch === '\x04' && current === '')) {
          write('\n');
          finish(null);
        } else if (ch === '\x7f' || ch === '\b') {
          current = Array.from(current).slice(0, -1).join('');
        } else if (ch === '\x15') {
          current = '';
        } else if (ch === '\x1b') {
          escape = 1;
        } else if (ch >= ' ') {
          current += ch;
        }
      }
    };
    const onEnd = (): void => {
      write('\n');
      finish(null);
    };
    const onError = (err: Error): void => finish(null, err);
    input.setRawMode?.(true);
    write(prompts[0] as string);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}
