/** edgesip acl list|add|remove — the IP white and black lists. */
import type { AclList, AclView } from '../../control/backend';
import { callApi, EXIT_OK, expectPositionals, flag, parseCommand, printJson, renderTable, UsageError, type CliContext } from './common';

const GROUP = 'acl';

export async function aclCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
      throw new UsageError(ctx.t('missingSubcommand', { group: GROUP }), GROUP);
    case 'help':
    case '--help':
    case '-h':
      ctx.out(ctx.t('aclUsage'));
      return EXIT_OK;
    case 'list':
      return list(rest, ctx);
    case 'add':
    case 'remove':
      return change(sub, rest, ctx);
    default:
      throw new UsageError(ctx.t('unknownSubcommand', { group: GROUP, command: sub }), GROUP);
  }
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true) {
    ctx.out(ctx.t('aclUsage'));
    return EXIT_OK;
  }
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const body = await callApi(ctx, 'GET', '/v1/acl');
  if (flag(parsed.values, 'json')) {
    printJson(ctx, body);
    return EXIT_OK;
  }
  const acl = body as AclView;
  const rows = [...acl.white.map((c) => ['white', c]), ...acl.black.map((c) => ['black', c])];
  if (rows.length === 0) {
    ctx.err(ctx.t('aclEmpty'));
    return EXIT_OK;
  }
  ctx.out(renderTable([ctx.t('colList'), ctx.t('colNetwork')], rows));
  return EXIT_OK;
}

async function change(sub: 'add' | 'remove', args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (parsed.values.help === true) {
    ctx.out(ctx.t('aclUsage'));
    return EXIT_OK;
  }
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
