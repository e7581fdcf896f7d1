/** edgesip acl list|add|remove — the IP white and black lists. */
import type { AclList, AclView } from '../../control/backend';
import { callApi, EXIT_OK, expectPositionals, helpRequested, parseCommand, runGroup, runListing, UsageError, type CliContext } from './common';

const GROUP = 'acl';

export async function aclCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'aclUsage', {
    list,
    add: (rest) => change('add', rest, ctx),
    remove: (rest) => change('remove', rest, ctx),
  });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'aclUsage',
    method: 'GET',
    path: () => '/v1/acl',
    items: (body) => {
      const acl = body as AclView;
      return [...acl.white.map((c) => ['white', c]), ...acl.black.map((c) => ['black', c])];
    },
    empty: 'aclEmpty',
    header: ['colList', 'colNetwork'],
    row: (r) => r,
  });
}

async function change(sub: 'add' | 'remove', args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'aclUsage')) return EXIT_OK;
  const [listName, cidr] = expectPositionals(parsed.positionals, ['white|black', 'CIDR'], GROUP, ctx) as [string, string];
  if (listName !== 'white' && listName !== 'black') throw new UsageError(ctx.t('badAclList', { list: listName }), GROUP);
  const list: AclList = listName;
  const vars = { cidr, list: ctx.t(list) };
  const fieldNames = { cidr: 'CIDR', list: 'white|black' };
  if (sub === 'add') {
    await callApi(ctx, 'POST', '/v1/acl', { list, cidr }, { exists: ctx.t('aclExists', vars), fieldNames });
    ctx.out(ctx.t('aclAdded', vars));
  } else {
    await callApi(ctx, 'DELETE', `/v1/acl/${list}/${encodeURIComponent(cidr)}`, undefined, { notFound: ctx.t('aclNotFound', vars), fieldNames });
    ctx.out(ctx.t('aclRemoved', vars));
  }
  return EXIT_OK;
}
