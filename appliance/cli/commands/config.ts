/** edgesip config check — validates DIR/config.json without starting anything. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateConfig, type ConfigProblem } from '../../config/schema';
import { CONFIG_FILE } from '../../config/store';
import { EXIT_OK, EXIT_REFUSED, expectPositionals, flag, parseCommand, printJson, UsageError, type CliContext } from './common';

const GROUP = 'config';

export async function configCommand(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true || parsed.positionals[0] === 'help') {
    ctx.out(ctx.t('configUsage'));
    return EXIT_OK;
  }
  if (parsed.positionals.length === 0) throw new UsageError(ctx.t('missingSubcommand', { group: GROUP }), GROUP);
  if (parsed.positionals[0] !== 'check') throw new UsageError(ctx.t('unknownSubcommand', { group: GROUP, command: parsed.positionals[0] as string }), GROUP);
  expectPositionals(parsed.positionals.slice(1), [], GROUP, ctx);

  const file = join(resolve(ctx.dataDir), CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      ctx.out(ctx.t('configMissing', { file }));
      return EXIT_OK;
    }
    throw err;
  }
  let problems: ConfigProblem[];
  try {
    problems = validateConfig(JSON.parse(text));
  } catch (err) {
    problems = [{ path: '(file)', reason: `is not valid JSON: ${(err as Error).message}` }];
  }
  if (flag(parsed.values, 'json')) {
    printJson(ctx, { file, valid: problems.length === 0, problems });
  } else if (problems.length === 0) {
    ctx.out(ctx.t('configValid', { file }));
  } else {
    ctx.out(ctx.t('configInvalid', { file }));
    for (const p of problems) ctx.out(`  ${p.path}: ${p.reason}`);
  }
  return problems.length === 0 ? EXIT_OK : EXIT_REFUSED;
}
