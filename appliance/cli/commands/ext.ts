/** edgesip ext list|add|set|remove — extensions through the control API. */
import { CALL_CLASSES, type ForwardSettings } from '../../config/schema';
import type { ExtensionInput, ExtensionView } from '../../control/backend';
import {
  callApi,
  cell,
  choiceOption,
  EXIT_OK,
  expectPositionals,
  flag,
  integerOption,
  listOption,
  helpRequested,
  parseCommand,
  passwordOption,
  runGroup,
  runListing,
  stringOption,
  UsageError,
  type CliContext,
  type Parsed,
} from './common';
import { localized } from './calls';

const GROUP = 'ext';

/** API field → what the user typed, for refusals. */
const FIELD_NAMES: Record<string, string> = {
  number: 'NUMBER',
  displayName: '--name',
  password: '--password',
  maxContacts: '--max-contacts',
  enabled: '--enable/--disable',
  allowedNetworks: '--allow',
  'forward.always': '--forward-always',
  'forward.busy': '--forward-busy',
  'forward.noAnswer': '--forward-noanswer',
  'forward.unavailable': '--forward-unavailable',
  'forward.noAnswerSeconds': '--noanswer-timeout',
  permission: '--permission',
};

/** Option → forwarding case it sets. */
const FORWARD_OPTIONS = {
  'forward-always': 'always',
  'forward-busy': 'busy',
  'forward-noanswer': 'noAnswer',
  'forward-unavailable': 'unavailable',
} as const;

/** The value that turns a forwarding case off (an empty string does too). */
const FORWARD_OFF = 'off';

export async function extCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'extUsage', { list, add, set, remove });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  const yesNo = (b: boolean): string => ctx.t(b ? 'yes' : 'no');
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'extUsage',
    method: 'GET',
    path: () => '/v1/extensions',
    items: (body) => body as ExtensionView[],
    empty: 'noExtensions',
    header: ['colNumber', 'colName', 'colEnabled', 'colMaxContacts', 'colSecret', 'colAllowed', 'colPermission', 'colForward'],
    row: (e) => [
      cell(e.number),
      cell(e.displayName),
      yesNo(e.enabled),
      cell(e.maxContacts),
      yesNo(e.hasSecret),
      e.allowedNetworks.length === 0 ? ctx.t('anyNetwork') : e.allowedNetworks.map(cell).join(','),
      // '-' from a daemon older than this CLI (no permission field).
      localized(ctx, 'class', e.permission),
      forwardSummary(ctx, e.forward),
    ],
  });
}

/**
 * `always→102 busy→103 noanswer→104/15s`, only the cases that are on; '-' when none
 * (also when a daemon older than this CLI sends no `forward`).
 */
function forwardSummary(ctx: CliContext, f: ForwardSettings | undefined): string {
  if (f === undefined) return '-';
  const parts: string[] = [];
  if (f.always) parts.push(ctx.t('fwdAlways', { target: cell(f.always) }));
  if (f.busy) parts.push(ctx.t('fwdBusy', { target: cell(f.busy) }));
  if (f.noAnswer) parts.push(ctx.t('fwdNoAnswer', { target: cell(f.noAnswer), seconds: cell(f.noAnswerSeconds) }));
  if (f.unavailable) parts.push(ctx.t('fwdUnavailable', { target: cell(f.unavailable) }));
  return parts.length === 0 ? '-' : parts.join(' ');
}

const CHANGE_OPTIONS = {
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  name: { type: 'string' },
  'max-contacts': { type: 'string' },
  allow: { type: 'string', multiple: true },
  'forward-always': { type: 'string' },
  'forward-busy': { type: 'string' },
  'forward-noanswer': { type: 'string' },
  'forward-unavailable': { type: 'string' },
  'noanswer-timeout': { type: 'string' },
  permission: { type: 'string' },
} as const;

/** The password from --password or one line of stdin; undefined when neither is given. */
function password(ctx: CliContext, values: Parsed['values']): Promise<string | undefined> {
  return passwordOption(ctx, GROUP, values);
}

/** The fields common to add and set, from the options given. */
function commonFields(ctx: CliContext, values: Parsed['values']): ExtensionInput {
  const input: ExtensionInput = {};
  const name = stringOption(values, 'name');
  if (name !== undefined) input.displayName = name;
  const max = integerOption(ctx, GROUP, values, 'max-contacts');
  if (max !== undefined) input.maxContacts = max;
  const allow = listOption(values, 'allow');
  if (allow !== undefined) input.allowedNetworks = allow;
  const forward = forwardFields(ctx, values);
  if (forward !== undefined) input.forward = forward;
  const permission = choiceOption(ctx, GROUP, values, 'permission', CALL_CLASSES);
  if (permission !== undefined) input.permission = permission;
  return input;
}

/**
 * The forwarding options given, undefined when none: the daemon merges them over the
 * current settings, so `ext set 101 --forward-busy 103` leaves the other cases as they are.
 */
function forwardFields(ctx: CliContext, values: Parsed['values']): Partial<ForwardSettings> | undefined {
  const forward: Partial<ForwardSettings> = {};
  for (const [option, kind] of Object.entries(FORWARD_OPTIONS)) {
    const target = stringOption(values, option);
    if (target !== undefined) forward[kind] = target === FORWARD_OFF ? '' : target;
  }
  const seconds = integerOption(ctx, GROUP, values, 'noanswer-timeout');
  if (seconds !== undefined) forward.noAnswerSeconds = seconds;
  return Object.keys(forward).length === 0 ? undefined : forward;
}

async function add(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { ...CHANGE_OPTIONS, disabled: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'extUsage')) return EXIT_OK;
  const [number] = expectPositionals(parsed.positionals, ['NUMBER'], GROUP, ctx) as [string];
  const input: ExtensionInput = { number, ...commonFields(ctx, parsed.values) };
  const secret = await password(ctx, parsed.values);
  if (secret === undefined) throw new UsageError(ctx.t('missingPassword'), GROUP);
  input.password = secret;
  if (flag(parsed.values, 'disabled')) input.enabled = false;
  await callApi(ctx, 'POST', '/v1/extensions', input, { exists: ctx.t('extExists', { number }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('extAdded', { number }));
  return EXIT_OK;
}

async function set(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {
    ...CHANGE_OPTIONS,
    'allow-any': { type: 'boolean' },
    enable: { type: 'boolean' },
    disable: { type: 'boolean' },
  });
  if (helpRequested(ctx, parsed, 'extUsage')) return EXIT_OK;
  const [number] = expectPositionals(parsed.positionals, ['NUMBER'], GROUP, ctx) as [string];
  const { values } = parsed;
  if (flag(values, 'enable') && flag(values, 'disable')) throw new UsageError(ctx.t('conflictingFlags', { a: '--enable', b: '--disable' }), GROUP);
  if (flag(values, 'allow-any') && values.allow !== undefined) throw new UsageError(ctx.t('conflictingFlags', { a: '--allow', b: '--allow-any' }), GROUP);
  const input = commonFields(ctx, values);
  if (flag(values, 'allow-any')) input.allowedNetworks = [];
  if (flag(values, 'enable')) input.enabled = true;
  if (flag(values, 'disable')) input.enabled = false;
  const secret = await password(ctx, values);
  if (secret !== undefined) input.password = secret;
  if (Object.keys(input).length === 0) throw new UsageError(ctx.t('nothingToChange'), GROUP);
  await callApi(ctx, 'PATCH', `/v1/extensions/${encodeURIComponent(number)}`, input, {
    notFound: ctx.t('extNotFound', { number }),
    fieldNames: FIELD_NAMES,
  });
  ctx.out(ctx.t('extUpdated', { number }));
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'extUsage')) return EXIT_OK;
  const [number] = expectPositionals(parsed.positionals, ['NUMBER'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/extensions/${encodeURIComponent(number)}`, undefined, {
    notFound: ctx.t('extNotFound', { number }),
    fieldNames: FIELD_NAMES,
  });
  ctx.out(ctx.t('extRemoved', { number }));
  return EXIT_OK;
}
