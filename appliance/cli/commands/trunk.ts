/** edgesip trunk list|add|set|remove|status — SIP trunks to providers. */
import { TRUNK_TRANSPORTS, TRUNK_TYPES } from '../../config/schema';
import type { TrunkInput, TrunkStatusView, TrunkView } from '../../control/backend';
import { localized } from './calls';
import {
  callApi,
  cell,
  choiceOption,
  EXIT_OK,
  EXIT_REFUSED,
  expectPositionals,
  flag,
  helpRequested,
  integerOption,
  listOption,
  parseCommand,
  passwordOption,
  runGroup,
  runListing,
  stringOption,
  UsageError,
  type CliContext,
  type Parsed,
} from './common';
import { formatDuration } from './reg';

const GROUP = 'trunk';

/** API field → what the user typed, for refusals. */
const FIELD_NAMES: Record<string, string> = {
  name: 'NAME',
  enabled: '--enable/--disable',
  type: '--type',
  domain: '--domain',
  proxy: '--proxy',
  transport: '--transport',
  username: '--username',
  authUsername: '--auth-username',
  realm: '--realm',
  registerExpires: '--expires',
  password: '--password',
  peers: '--peer',
  requestUriParams: '--uri-params',
  'callerId.fromUser': '--from-user',
  'callerId.fromDisplay': '--from-display',
  'callerId.pai': '--pai',
  'templates.from': '--from-template',
  'templates.to': '--to-template',
  'templates.pai': '--pai-template',
};

/** Options whose value is a plain string field of the trunk. */
const STRING_FIELDS = {
  domain: 'domain',
  proxy: 'proxy',
  username: 'username',
  'auth-username': 'authUsername',
  realm: 'realm',
  'uri-params': 'requestUriParams',
} as const;

const CALLER_ID_OPTIONS = { 'from-user': 'fromUser', 'from-display': 'fromDisplay', pai: 'pai' } as const;
const TEMPLATE_OPTIONS = { 'from-template': 'from', 'to-template': 'to', 'pai-template': 'pai' } as const;

const OPTIONS = {
  type: { type: 'string' },
  domain: { type: 'string' },
  proxy: { type: 'string' },
  transport: { type: 'string' },
  username: { type: 'string' },
  'auth-username': { type: 'string' },
  realm: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  expires: { type: 'string' },
  peer: { type: 'string', multiple: true },
  'uri-params': { type: 'string' },
  'from-user': { type: 'string' },
  'from-display': { type: 'string' },
  pai: { type: 'string' },
  'from-template': { type: 'string' },
  'to-template': { type: 'string' },
  'pai-template': { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
} as const;

/** States of an enabled trunk that need the admin (status exits 1). */
const FAILED_STATES: readonly string[] = ['failed', 'unreachable', 'wrong-credentials'];

export async function trunkCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'trunkUsage', { list, add, set, remove, status });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  const yesNo = (b: boolean): string => ctx.t(b ? 'yes' : 'no');
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'trunkUsage',
    method: 'GET',
    path: () => '/v1/trunks',
    items: (body) => body as TrunkView[],
    empty: 'noTrunks',
    header: ['colName', 'colType', 'colEnabled', 'colDomain', 'colProxy', 'colTransport', 'colUsername', 'colSecret', 'colUriParams', 'colPeers'],
    row: (t) => [
      cell(t.name),
      localized(ctx, 'trunkType', t.type),
      yesNo(t.enabled),
      cell(t.domain),
      cell(t.proxy),
      cell(t.transport),
      cell(t.username),
      yesNo(t.hasPassword),
      cell(t.requestUriParams),
      t.peers.length === 0 ? '-' : t.peers.map(cell).join(','),
    ],
  });
}

function status(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'trunkUsage',
    method: 'GET',
    path: () => '/v1/trunks/status',
    items: (body) => body as TrunkStatusView[],
    empty: 'noTrunkStatus',
    header: ['colName', 'colType', 'colState', 'colDetail'],
    row: (s) => [cell(s.name), localized(ctx, 'trunkType', s.type), localized(ctx, 'trunkState', s.state), statusDetail(ctx, s)],
    exitCode: (items) => (items.some((s) => s.enabled && FAILED_STATES.includes(s.state)) ? EXIT_REFUSED : EXIT_OK),
  });
}

/** "403 Forbidden, retry in 4m00s", "200, expires in 55m12s", '-' when there is nothing to say. */
function statusDetail(ctx: CliContext, s: TrunkStatusView): string {
  const parts: string[] = [];
  const answer = [s.status === undefined ? undefined : String(s.status), s.reason === undefined ? undefined : cell(s.reason)].filter((x) => x !== undefined);
  if (answer.length > 0) parts.push(answer.join(' '));
  if (s.expiresIn !== undefined) parts.push(ctx.t('trunkExpiresIn', { time: formatDuration(s.expiresIn) }));
  if (s.retryIn !== undefined) parts.push(ctx.t('trunkRetryIn', { time: formatDuration(s.retryIn) }));
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** The trunk fields from the options given (all of them optional here). */
async function fields(ctx: CliContext, values: Parsed['values']): Promise<TrunkInput> {
  const input: TrunkInput = {};
  if (flag(values, 'enable') && flag(values, 'disable')) throw new UsageError(ctx.t('conflictingFlags', { a: '--enable', b: '--disable' }), GROUP);
  if (flag(values, 'enable')) input.enabled = true;
  if (flag(values, 'disable')) input.enabled = false;
  const type = choiceOption(ctx, GROUP, values, 'type', TRUNK_TYPES);
  if (type !== undefined) input.type = type;
  const transport = choiceOption(ctx, GROUP, values, 'transport', TRUNK_TRANSPORTS);
  if (transport !== undefined) input.transport = transport;
  for (const [option, field] of Object.entries(STRING_FIELDS)) {
    const v = stringOption(values, option);
    if (v !== undefined) input[field] = v;
  }
  const expires = integerOption(ctx, GROUP, values, 'expires');
  if (expires !== undefined) input.registerExpires = expires;
  const peers = listOption(values, 'peer');
  if (peers !== undefined) input.peers = peers;
  if (flag(values, 'no-peers')) {
    if (peers !== undefined) throw new UsageError(ctx.t('conflictingFlags', { a: '--peer', b: '--no-peers' }), GROUP);
    input.peers = [];
  }
  for (const [option, field] of Object.entries(CALLER_ID_OPTIONS)) {
    const v = stringOption(values, option);
    if (v !== undefined) input.callerId = { ...input.callerId, [field]: v };
  }
  for (const [option, field] of Object.entries(TEMPLATE_OPTIONS)) {
    const v = stringOption(values, option);
    if (v !== undefined) input.templates = { ...input.templates, [field]: v };
  }
  const password = await passwordOption(ctx, GROUP, values);
  if (password !== undefined) input.password = password;
  return input;
}

async function add(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, OPTIONS);
  if (helpRequested(ctx, parsed, 'trunkUsage')) return EXIT_OK;
  const [name] = expectPositionals(parsed.positionals, ['NAME'], GROUP, ctx) as [string];
  for (const option of ['type', 'domain']) {
    if (stringOption(parsed.values, option) === undefined) throw new UsageError(ctx.t('missingOption', { flag: `--${option}` }), GROUP);
  }
  const input: TrunkInput = { name, ...(await fields(ctx, parsed.values)) };
  // '' on add means no password: leave it out rather than send it.
  if (input.password === '') delete input.password;
  await callApi(ctx, 'POST', '/v1/trunks', input, { exists: ctx.t('trunkExists', { name }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('trunkAdded', { name }));
  return EXIT_OK;
}

async function set(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { ...OPTIONS, 'no-peers': { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'trunkUsage')) return EXIT_OK;
  const [name] = expectPositionals(parsed.positionals, ['NAME'], GROUP, ctx) as [string];
  const input = await fields(ctx, parsed.values);
  if (Object.keys(input).length === 0) throw new UsageError(ctx.t('nothingToChange'), GROUP);
  await callApi(ctx, 'PATCH', `/v1/trunks/${encodeURIComponent(name)}`, input, { notFound: ctx.t('trunkNotFound', { name }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('trunkUpdated', { name }));
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'trunkUsage')) return EXIT_OK;
  const [name] = expectPositionals(parsed.positionals, ['NAME'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/trunks/${encodeURIComponent(name)}`, undefined, { notFound: ctx.t('trunkNotFound', { name }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('trunkRemoved', { name }));
  return EXIT_OK;
}
