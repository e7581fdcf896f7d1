/** edgesip blocks list|remove — automatic blocks of the guard. */
import type { BlockView } from '../../control/backend';
import { isMessageKey } from '../messages';
import { callApi, cell, EXIT_OK, expectPositionals, helpRequested, parseCommand, runGroup, runListing, type CliContext } from './common';

const GROUP = 'blocks';

export async function blocksCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'blocksUsage', { list, remove });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  const reason = (r: string): string => {
    const key = `reason.${r}`;
    return isMessageKey(key) ? ctx.t(key) : cell(r);
  };
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'blocksUsage',
    method: 'GET',
    path: () => '/v1/blocks',
    items: (body) => body as BlockView[],
    empty: 'noBlocks',
    header: ['colKey', 'colAddress', 'colAccount', 'colReason', 'colCount', 'colExpires'],
    row: (b) => [cell(b.key), cell(b.address), cell(b.account), reason(b.reason), cell(b.count), cell(b.expiresAt)],
  });
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'blocksUsage')) return EXIT_OK;
  const [key] = expectPositionals(parsed.positionals, ['KEY'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/blocks/${encodeURIComponent(key)}`, undefined, {
    notFound: ctx.t('blockNotFound', { key }),
    fieldNames: { key: 'KEY' },
  });
  ctx.out(ctx.t('blockRemoved', { key }));
  return EXIT_OK;
}
