/** edgesip cdr list|export — call detail records of finished calls. */
import { writeFileSync } from 'node:fs';
import type { CallRecord } from '../../control/backend';
import { CDR_LIMIT_MAX, parseIsoInstant } from '../../control/validate';
import { cdrToCsv } from '../../pbx/cdr/csv';
import {
  callApi,
  CommandFailure,
  EXIT_OK,
  EXIT_REFUSED,
  expectPositionals,
  flag,
  helpRequested,
  parseCommand,
  printJson,
  renderTable,
  runGroup,
  stringOption,
  UsageError,
  cell,
  type CliContext,
  type Parsed,
} from './common';
import { formatForwarded, localized } from './calls';
import { formatDuration } from './reg';

const GROUP = 'cdr';
export const DEFAULT_LIST_LIMIT = 50;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export async function cdrCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'cdrUsage', { list, export: exportCsv });
}

/**
 * A --since / --until value as the ISO date-time the API takes: a date (00:00 UTC), a
 * date-time with its zone, or a time ago (`30m`, `24h`, `7d`) counted back from `now`.
 */
export function timeOption(ctx: CliContext, name: string, value: string, now: number): string {
  const flagName = `--${name}`;
  const ago = /^(\d{1,6})([mhd])$/.exec(value);
  if (ago) return new Date(now - Number(ago[1]) * (UNIT_MS[ago[2] as string] as number)).toISOString();
  const parsed = parseIsoInstant(value);
  if (parsed.ok) return new Date(parsed.ms).toISOString();
  if (/^\d{4}-\d{2}-\d{2}[Tt][\d:.]+$/.test(value)) throw new UsageError(ctx.t('timeNeedsZone', { flag: flagName, value }), GROUP);
  throw new UsageError(ctx.t('badTime', { flag: flagName, value }), GROUP);
}

/** The query string of GET /v1/cdr from --since / --until (and the limit). */
function cdrQuery(ctx: CliContext, values: Parsed['values'], limit: number | undefined): string {
  const query = new URLSearchParams();
  const now = Date.now();
  const times: Record<string, string> = {};
  for (const name of ['since', 'until']) {
    const v = stringOption(values, name);
    if (v !== undefined) times[name] = timeOption(ctx, name, v, now);
  }
  if (times.since !== undefined && times.until !== undefined && Date.parse(times.until) <= Date.parse(times.since)) {
    throw new UsageError(ctx.t('sinceAfterUntil'), GROUP);
  }
  for (const [name, iso] of Object.entries(times)) query.set(name, iso);
  if (limit !== undefined) query.set('limit', String(limit));
  const text = query.toString();
  return text === '' ? '/v1/cdr' : `/v1/cdr?${text}`;
}

const FIELD_NAMES = { since: '--since', until: '--until', limit: '--limit' };

async function fetchCdrs(ctx: CliContext, path: string): Promise<CallRecord[]> {
  const body = await callApi(ctx, 'GET', path, undefined, { fieldNames: FIELD_NAMES });
  return body as CallRecord[];
}

function limitOption(ctx: CliContext, values: Parsed['values']): number {
  const v = stringOption(values, 'limit');
  if (v === undefined) return DEFAULT_LIST_LIMIT;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > CDR_LIMIT_MAX) {
    throw new UsageError(ctx.t('limitRange', { max: String(CDR_LIMIT_MAX), value: v }), GROUP);
  }
  return Number(v);
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (helpRequested(ctx, parsed, 'cdrUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const limit = limitOption(ctx, parsed.values);
  const body = await callApi(ctx, 'GET', cdrQuery(ctx, parsed.values, limit), undefined, { fieldNames: FIELD_NAMES });
  if (flag(parsed.values, 'json')) {
    printJson(ctx, body);
    return EXIT_OK;
  }
  const records = body as CallRecord[];
  if (records.length === 0) {
    ctx.err(ctx.t('noCdrs'));
    return EXIT_OK;
  }
  ctx.out(
    renderTable(
      (['colStart', 'colCaller', 'colCallee', 'colAnsweredBy', 'colResult', 'colSipCode', 'colDuration', 'colForwarded'] as const).map((k) => ctx.t(k)),
      records.map((r) => [
        cell(r.start),
        cell(r.caller),
        cell(r.callee),
        cell(r.answeredBy),
        localized(ctx, 'disposition', r.disposition),
        cell(r.sipCode),
        formatDuration(r.durationSeconds),
        formatForwarded(ctx, r.forwarded),
      ]),
    ),
  );
  if (records.length >= limit) ctx.err(ctx.t('cdrLimited', { count: String(records.length) }));
  return EXIT_OK;
}

async function exportCsv(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, {
    since: { type: 'string' },
    until: { type: 'string' },
    output: { type: 'string' },
  });
  if (helpRequested(ctx, parsed, 'cdrUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const output = stringOption(parsed.values, 'output');
  if (output === '') throw new UsageError(ctx.t('flagNeedsValue', { flag: '--output' }), GROUP);
  const records = await fetchCdrs(ctx, cdrQuery(ctx, parsed.values, undefined));
  const csv = cdrToCsv(records);
  if (output === undefined || output === '-') {
    ctx.io.stdout.write(csv);
    return EXIT_OK;
  }
  try {
    // Call records name people and numbers: not for every user of the machine.
    writeFileSync(output, csv, { mode: 0o640 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CommandFailure(ctx.t('cannotWrite', { file: output, detail: e.code ?? e.message }), EXIT_REFUSED);
  }
  ctx.out(ctx.t('cdrExported', { count: String(records.length), file: output }));
  return EXIT_OK;
}
