/** edgesip did list|add|remove|default — which extension a call from a trunk rings. */
import type { InboundView } from '../../control/backend';
import {
  callApi,
  cell,
  EXIT_OK,
  expectPositionals,
  flag,
  helpRequested,
  parseCommand,
  printJson,
  renderTable,
  runGroup,
  stringOption,
  UsageError,
  type CliContext,
} from './common';

const GROUP = 'did';

const FIELD_NAMES: Record<string, string> = { did: 'DID', extension: '--extension' };

/** The word for "no default destination" (an empty value works too). */
const NONE = 'none';

export async function didCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'didUsage', { list, add, remove, default: setDefault });
}

/** The DIDs as a table (or "no DIDs" on stderr), then what happens to other numbers. */
async function list(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'didUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const inbound = (await callApi(ctx, 'GET', '/v1/inbound')) as InboundView;
  if (flag(parsed.values, 'json')) {
    printJson(ctx, inbound);
    return EXIT_OK;
  }
  if (inbound.dids.length === 0) ctx.err(ctx.t('noDids'));
  else ctx.out(renderTable([ctx.t('colDid'), ctx.t('colAor')], inbound.dids.map((d) => [cell(d.did), cell(d.extension)])));
  printDefault(ctx, inbound);
  return EXIT_OK;
}

function printDefault(ctx: CliContext, inbound: InboundView): void {
  ctx.out(inbound.defaultDestination === '' ? ctx.t('didDefaultNone') : ctx.t('didDefault', { extension: cell(inbound.defaultDestination) }));
}

async function add(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { extension: { type: 'string' } });
  if (helpRequested(ctx, parsed, 'didUsage')) return EXIT_OK;
  const [did] = expectPositionals(parsed.positionals, ['DID'], GROUP, ctx) as [string];
  const extension = stringOption(parsed.values, 'extension');
  if (extension === undefined) throw new UsageError(ctx.t('missingOption', { flag: '--extension' }), GROUP);
  await callApi(ctx, 'POST', '/v1/inbound', { did, extension }, { exists: ctx.t('didExists', { did }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('didAdded', { did, extension }));
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'didUsage')) return EXIT_OK;
  const [did] = expectPositionals(parsed.positionals, ['DID'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/inbound/${encodeURIComponent(did)}`, undefined, { notFound: ctx.t('didNotFound', { did }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('didRemoved', { did }));
  return EXIT_OK;
}

/** `did default EXT` or `did default none`. */
async function setDefault(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'didUsage')) return EXIT_OK;
  const [target] = expectPositionals(parsed.positionals, ['EXT|none'], GROUP, ctx) as [string];
  const extension = target === NONE ? '' : target;
  const inbound = (await callApi(ctx, 'PUT', '/v1/inbound/default', { extension }, { fieldNames: { extension: 'EXT' } })) as InboundView;
  printDefault(ctx, inbound);
  return EXIT_OK;
}
