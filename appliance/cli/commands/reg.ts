/** edgesip reg list | ping — current registrations, and whether they answer. */
import type { PingResult, RegistrationView } from '../../control/backend';
import { cell, EXIT_OK, runGroup, runListing, type CliContext } from './common';

const GROUP = 'reg';

export async function regCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'regUsage', { list, ping });
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

function list(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'regUsage',
    method: 'GET',
    path: () => '/v1/registrations',
    items: (body) => body as RegistrationView[],
    empty: 'noRegistrations',
    header: ['colAor', 'colContact', 'colTransport', 'colSource', 'colExpiresIn', 'colUserAgent'],
    row: (r) => [cell(r.aor), cell(r.contact), cell(r.transport), cell(r.source), formatDuration(r.expiresIn), cell(r.userAgent)],
  });
}

/** Exit 0 when every contact answered, 1 when one did not (scripts can alert on it). */
function ping(args: string[], ctx: CliContext): Promise<number> {
  return runListing(args, ctx, {
    group: GROUP,
    usage: 'regUsage',
    positionals: ['NUMBER'],
    method: 'POST',
    path: ([number]) => `/v1/registrations/${encodeURIComponent(number!)}/ping`,
    items: (body) => body as PingResult[],
    empty: 'noRegistrations',
    header: ['colContact', 'colTransport', 'colSource', 'colAnswer', 'colRtt'],
    row: (r) => [
      cell(r.contact),
      cell(r.transport),
      cell(r.source),
      r.status !== undefined ? String(r.status) : ctx.t(r.error === 'transport' ? 'pingTransport' : 'pingTimeout'),
      r.rttMs !== undefined ? `${r.rttMs} ms` : '-',
    ],
    exitCode: (results) => (results.length > 0 && results.every((r) => r.status !== undefined) ? EXIT_OK : 1),
  });
}
