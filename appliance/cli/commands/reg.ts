/** edgesip reg list | ping — current registrations, and whether they answer. */
import type { PingResult, RegistrationView } from '../../control/backend';
import { callApi, cell, EXIT_OK, expectPositionals, flag, parseCommand, printJson, renderTable, UsageError, type CliContext } from './common';

const GROUP = 'reg';

export async function regCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
      throw new UsageError(ctx.t('missingSubcommand', { group: GROUP }), GROUP);
    case 'help':
    case '--help':
    case '-h':
      ctx.out(ctx.t('regUsage'));
      return EXIT_OK;
    case 'list':
      return list(rest, ctx);
    case 'ping':
      return ping(rest, ctx);
    default:
      throw new UsageError(ctx.t('unknownSubcommand', { group: GROUP, command: sub }), GROUP);
  }
}

/** 3725 → "1h02m05s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${pad(m)}m${pad(rest)}s`;
  if (m > 0) return `${m}m${pad(rest)}s`;
  return `${rest}s`;
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true) {
    ctx.out(ctx.t('regUsage'));
    return EXIT_OK;
  }
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const body = await callApi(ctx, 'GET', '/v1/registrations');
  if (flag(parsed.values, 'json')) {
    printJson(ctx, body);
    return EXIT_OK;
  }
  const regs = body as RegistrationView[];
  if (regs.length === 0) {
    ctx.err(ctx.t('noRegistrations'));
    return EXIT_OK;
  }
  ctx.out(
    renderTable(
      [ctx.t('colAor'), ctx.t('colContact'), ctx.t('colTransport'), ctx.t('colSource'), ctx.t('colExpiresIn'), ctx.t('colUserAgent')],
      regs.map((r) => [cell(r.aor), cell(r.contact), cell(r.transport), cell(r.source), formatDuration(r.expiresIn), cell(r.userAgent)]),
    ),
  );
  return EXIT_OK;
}

/** Exit 0 when every contact answered, 1 when one did not (scripts can alert on it). */
async function ping(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true) {
    ctx.out(ctx.t('regUsage'));
    return EXIT_OK;
  }
  expectPositionals(parsed.positionals, ['NUMBER'], GROUP, ctx);
  const number = parsed.positionals[0]!;
  const results = (await callApi(ctx, 'POST', `/v1/registrations/${encodeURIComponent(number)}/ping`)) as PingResult[];
  const allAnswered = results.length > 0 && results.every((r) => r.status !== undefined);
  if (flag(parsed.values, 'json')) {
    printJson(ctx, results);
    return allAnswered ? EXIT_OK : 1;
  }
  if (results.length === 0) {
    ctx.err(ctx.t('noRegistrations'));
    return 1;
  }
  ctx.out(
    renderTable(
      [ctx.t('colContact'), ctx.t('colTransport'), ctx.t('colSource'), ctx.t('colAnswer'), ctx.t('colRtt')],
      results.map((r) => [
        cell(r.contact),
        cell(r.transport),
        cell(r.source),
        r.status !== undefined ? String(r.status) : ctx.t(r.error === 'transport' ? 'pingTransport' : 'pingTimeout'),
        r.rttMs !== undefined ? `${r.rttMs} ms` : '-',
      ]),
    ),
  );
  return allAnswered ? EXIT_OK : 1;
}
