/**
 * The edgesip command line as a function: runCli(argv, io) → exit code. The binary
 * (main/edgesip.ts) passes the process's streams; tests inject their own.
 *
 *   edgesip [--data-dir DIR] <command> ...
 *
 * Exit codes: 0 ok, 1 refused by the daemon (or failed), 2 usage error, 3 daemon not running.
 */
import { VERSION } from '../version';
import { aclCommand } from './commands/acl';
import { adminCommand } from './commands/admin';
import { blocksCommand } from './commands/blocks';
import { callsCommand } from './commands/calls';
import { completionCommand } from './commands/completion';
import { statusCommand } from './commands/status';
import { cdrCommand } from './commands/cdr';
import { certCommand } from './commands/cert';
import { CommandFailure, DEFAULT_DATA_DIR, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type CliContext, type CliIo } from './commands/common';
import { configCommand } from './commands/config';
import { diagCommand } from './commands/diag';
import { didCommand } from './commands/did';
import { extCommand } from './commands/ext';
import { fxsCommand } from './commands/fxs';
import { languageCommand } from './commands/language';
import { regCommand } from './commands/reg';
import { routeCommand } from './commands/route';
import { settingsCommand } from './commands/settings';
import { trunkCommand } from './commands/trunk';
import { langFromEnv, message, type MessageKey } from './messages';

export type { CliIo } from './commands/common';

const GROUPS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  ext: extCommand,
  trunk: trunkCommand,
  route: routeCommand,
  did: didCommand,
  language: languageCommand,
  admin: adminCommand,
  cert: certCommand,
  settings: settingsCommand,
  reg: regCommand,
  acl: aclCommand,
  blocks: blocksCommand,
  calls: callsCommand,
  cdr: cdrCommand,
  status: statusCommand,
  completion: completionCommand,
  config: configCommand,
  diag: diagCommand,
  fxs: fxsCommand,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const lang = langFromEnv(io.env);
  const ctx: CliContext = {
    io,
    lang,
    dataDir: DEFAULT_DATA_DIR,
    t: (key: MessageKey, vars?: Record<string, string>) => message(lang, key, vars),
    out: (line) => void io.stdout.write(`${line}\n`),
    err: (line) => void io.stderr.write(`${line}\n`),
  };
  try {
    const args = globalOptions(argv, ctx);
    const [command, ...rest] = args;
    switch (command) {
      case 'version':
      case '--version':
        ctx.out(`edgesip ${VERSION}`);
        return EXIT_OK;
      case undefined:
        ctx.err(ctx.t('usage'));
        return EXIT_USAGE;
      case 'help':
      case '--help':
      case '-h':
        ctx.out(ctx.t('usage'));
        return EXIT_OK;
    }
    const group = GROUPS[command];
    if (group === undefined || !Object.prototype.hasOwnProperty.call(GROUPS, command)) {
      ctx.err(`edgesip: ${ctx.t('unknownCommand', { command })}`);
      ctx.err(ctx.t('usage'));
      return EXIT_USAGE;
    }
    return await group(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err(`edgesip: ${err.message}`);
      ctx.err(err.group === undefined ? ctx.t('usage') : ctx.t('tryHelp', { group: err.group }));
      return EXIT_USAGE;
    }
    if (err instanceof CommandFailure) {
      ctx.err(`edgesip: ${err.message}`);
      return err.exitCode;
    }
    ctx.err(`edgesip: ${(err as Error).message ?? String(err)}`);
    return EXIT_REFUSED;
  }
}

/** Options before the command: --data-dir DIR (or --data-dir=DIR). */
function globalOptions(argv: string[], ctx: CliContext): string[] {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] as string;
    if (a === '--data-dir') {
      const dir = argv[i + 1];
      if (dir === undefined || dir === '') throw new UsageError(ctx.t('flagNeedsValue', { flag: '--data-dir' }));
      ctx.dataDir = dir;
      i += 2;
    } else if (a.startsWith('--data-dir=')) {
      ctx.dataDir = a.slice('--data-dir='.length);
      i += 1;
    } else if (a.startsWith('-') && !['--help', '-h', '--version'].includes(a)) {
      throw new UsageError(ctx.t('unknownFlag', { flag: a.split('=')[0] as string }));
    } else break;
  }
  return argv.slice(i);
}
