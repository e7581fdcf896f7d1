/** edgesip blocks list|remove — automatic blocks of the guard. */
import type { BlockView } from '../../control/backend';
import { isMessageKey } from '../messages';
import { callApi, cell, EXIT_OK, expectPositionals, flag, parseCommand, printJson, renderTable, UsageError, type CliContext } from './common';

const GROUP = 'blocks';

export async function blocksCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
      throw new UsageError(ctx.t('missingSubcommand', { group: GROUP }), GROUP);
    case 'help':
    case '--help':
    case '-h':
      ctx.out(ctx.t('blocksUsage'));
      return EXIT_OK;
    case 'list':
      return list(rest, ctx);
    case 'remove':
      return remove(rest, ctx);
    default:
      throw new UsageError(ctx.t('unknownSubcommand', { group: GROUP, command: sub }), GROUP);
  }
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true) {
    ctx.out(ctx.t('blocksUsage'));
    return EXIT_OK;
  }
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const body = await callApi(ctx, 'GET', '/v1/blocks');
  if (flag(parsed.values, 'json')) {
    printJson(ctx, body);
    return EXIT_OK;
  }
  const blocks = body as BlockView[];
  if (blocks.length === 0) {
    ctx.err(ctx.t('noBlocks'));
    return EXIT_OK;
  }
  const reason = (r: string): string => {
    const key = `reason.${r}`;
    return isMessageKey(key) ? ctx.t(key) : cell(r);
  };
  ctx.out(
    renderTable(
      [ctx.t('colKey'), ctx.t('colAddress'), ctx.t('colAccount'), ctx.t('colReason'), ctx.t('colCount'), ctx.t('colExpires')],
      blocks.map((b) => [cell(b.key), cell(b.address), cell(b.account), reason(b.reason), cell(b.count), cell(b.expiresAt)]),
    ),
  );
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (parsed.values.help === true) {
    ctx.out(ctx.t('blocksUsage'));
    return EXIT_OK;
  }
  const [key] = expectPositionals(parsed.positionals, ['KEY'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/blocks/${encodeURIComponent(key)}`, undefined, {
    notFound: ctx.t('blockNotFound', { key }),
    fieldNames: { key: 'KEY' },
  });
  ctx.out(ctx.t('blockRemoved', { key }));
  return EXIT_OK;
}
