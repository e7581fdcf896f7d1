/** edgesip route list|add|remove|move|test — the dial plan (outgoing calls over trunks). */
import { RULE_CLASSES } from '../../config/schema';
import type { DialRule, DialRuleInput } from '../../control/backend';
import { matchDialPlan } from '../../pbx/routing/dial-plan';
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
  printJson,
  runGroup,
  runListing,
  stringOption,
  UsageError,
  type CliContext,
} from './common';

const GROUP = 'route';

const FIELD_NAMES: Record<string, string> = {
  name: 'NAME',
  pattern: '--pattern',
  strip: '--strip',
  prefix: '--prefix',
  trunks: '--trunk',
  class: '--class',
  position: 'POSITION',
};

export async function routeCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'routeUsage', { list, add, remove, move, test });
}

function list(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'routeUsage',
    method: 'GET',
    path: () => '/v1/dialplan',
    items: (body) => (body as DialRule[]).map((rule, i) => ({ rule, position: i + 1 })),
    empty: 'noRules',
    header: ['colPos', 'colName', 'colPattern', 'colStrip', 'colPrefix', 'colTrunks', 'colClass'],
    row: ({ rule, position }) => [
      String(position),
      cell(rule.name),
      cell(rule.pattern),
      cell(rule.strip),
      cell(rule.prefix),
      rule.trunks.map(cell).join(','),
      localized(ctx, 'class', rule.class),
    ],
  });
}

async function add(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {
    pattern: { type: 'string' },
    strip: { type: 'string' },
    prefix: { type: 'string' },
    trunk: { type: 'string', multiple: true },
    class: { type: 'string' },
    position: { type: 'string' },
  });
  if (helpRequested(ctx, parsed, 'routeUsage')) return EXIT_OK;
  const [name] = expectPositionals(parsed.positionals, ['NAME'], GROUP, ctx) as [string];
  const { values } = parsed;
  const pattern = stringOption(values, 'pattern');
  if (pattern === undefined) throw new UsageError(ctx.t('missingOption', { flag: '--pattern' }), GROUP);
  const trunks = listOption(values, 'trunk');
  if (trunks === undefined) throw new UsageError(ctx.t('missingOption', { flag: '--trunk' }), GROUP);
  const cls = choiceOption(ctx, GROUP, values, 'class', RULE_CLASSES);
  if (cls === undefined) throw new UsageError(ctx.t('missingOption', { flag: '--class' }), GROUP);
  const input: DialRuleInput = { name, pattern, trunks, class: cls };
  const strip = integerOption(ctx, GROUP, values, 'strip');
  if (strip !== undefined) input.strip = strip;
  const prefix = stringOption(values, 'prefix');
  if (prefix !== undefined) input.prefix = prefix;
  const position = integerOption(ctx, GROUP, values, 'position');
  if (position !== undefined) input.position = position;
  await callApi(ctx, 'POST', '/v1/dialplan', input, { exists: ctx.t('ruleExists', { name }), fieldNames: { ...FIELD_NAMES, position: '--position' } });
  // Where it went: the position asked for, else the end of the plan.
  const plan = (await callApi(ctx, 'GET', '/v1/dialplan')) as DialRule[];
  const at = plan.findIndex((r) => r.name === name) + 1;
  ctx.out(ctx.t('ruleAdded', { name, position: String(at > 0 ? at : (position ?? plan.length)) }));
  return EXIT_OK;
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'routeUsage')) return EXIT_OK;
  const [name] = expectPositionals(parsed.positionals, ['NAME'], GROUP, ctx) as [string];
  await callApi(ctx, 'DELETE', `/v1/dialplan/${encodeURIComponent(name)}`, undefined, { notFound: ctx.t('ruleNotFound', { name }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('ruleRemoved', { name }));
  return EXIT_OK;
}

async function move(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {});
  if (helpRequested(ctx, parsed, 'routeUsage')) return EXIT_OK;
  const [name, positionText] = expectPositionals(parsed.positionals, ['NAME', 'POSITION'], GROUP, ctx) as [string, string];
  if (!/^\d{1,9}$/.test(positionText)) throw new UsageError(ctx.t('notInteger', { flag: 'POSITION', value: positionText }), GROUP);
  const position = Number(positionText);
  await callApi(ctx, 'POST', `/v1/dialplan/${encodeURIComponent(name)}/move`, { position }, { notFound: ctx.t('ruleNotFound', { name }), fieldNames: FIELD_NAMES });
  ctx.out(ctx.t('ruleMoved', { name, position: String(position) }));
  return EXIT_OK;
}

/**
 * `route test NUMBER`: the rule the daemon's dial plan gives the number, matched here
 * with the same code the daemon uses. Exit 1 when no rule matches.
 */
async function test(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'routeUsage')) return EXIT_OK;
  const [number] = expectPositionals(parsed.positionals, ['NUMBER'], GROUP, ctx) as [string];
  const plan = (await callApi(ctx, 'GET', '/v1/dialplan')) as DialRule[];
  const match = matchDialPlan(plan, number);
  if (flag(parsed.values, 'json')) {
    printJson(ctx, match === undefined ? { number, match: null } : { number, match: { rule: match.rule.name, class: match.rule.class, number: match.number, trunks: match.rule.trunks } });
  } else if (match === undefined) {
    ctx.out(ctx.t('routeTestNone', { number: cell(number) }));
  } else {
    ctx.out(
      ctx.t('routeTestMatch', {
        number: cell(number),
        name: cell(match.rule.name),
        class: localized(ctx, 'class', match.rule.class),
        sent: cell(match.number),
        trunks: match.rule.trunks.map(cell).join(', '),
      }),
    );
  }
  return match === undefined ? EXIT_REFUSED : EXIT_OK;
}
