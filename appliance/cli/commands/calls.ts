/** edgesip calls — the calls in progress. */
import type { ActiveCallView, ForwardHop } from '../../control/backend';
import { isMessageKey } from '../messages';
import { cell, EXIT_OK, runListing, type CliContext } from './common';
import { formatDuration } from './reg';

const GROUP = 'calls';

/** A value from the API in the user's language when a message `<prefix>.<value>` exists, else as sent. */
export function localized(ctx: CliContext, prefix: string, value: string | undefined): string {
  const key = `${prefix}.${value}`;
  return value !== undefined && isMessageKey(key) ? ctx.t(key) : cell(value);
}

/** The forwarding chain for a table: "1002>1003 (busy), 1003>1004 (no answer)", "-" when none. */
export function formatForwarded(ctx: CliContext, hops: readonly ForwardHop[] | undefined): string {
  if (!hops || hops.length === 0) return '-';
  return hops.map((h) => `${cell(h.from)}>${cell(h.to)} (${localized(ctx, 'forward', h.reason)})`).join(', ');
}

/** `edgesip calls [--json]` (also `calls list`). */
export async function callsCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args[0] === 'help') {
    ctx.out(ctx.t('callsUsage'));
    return EXIT_OK;
  }
  return runListing(args[0] === 'list' ? args.slice(1) : args, ctx, {
    group: GROUP,
    usage: 'callsUsage',
    method: 'GET',
    path: () => '/v1/calls',
    items: (body) => body as ActiveCallView[],
    empty: 'noCalls',
    header: ['colId', 'colCaller', 'colCallee', 'colTarget', 'colState', 'colDuration', 'colForwarded'],
    row: (c) => [
      cell(c.id),
      cell(c.caller),
      cell(c.callee),
      cell(c.target),
      localized(ctx, 'state', c.state),
      formatDuration(c.durationSeconds),
      formatForwarded(ctx, c.forwarded),
    ],
  });
}
