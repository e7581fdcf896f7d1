/** edgesip completion — prints the bash completion script (cli/completion.bash, bundled as text). */
import script from '../completion.bash';
import { EXIT_OK, expectPositionals, helpRequested, parseCommand, type CliContext } from './common';

const GROUP = 'completion';

export async function completionCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args[0] === 'help') {
    ctx.out(ctx.t('completionUsage'));
    return EXIT_OK;
  }
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'completionUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  ctx.io.stdout.write(script.endsWith('\n') ? script : `${script}\n`);
  return EXIT_OK;
}
