/** edgesip diag dns [NAME...] — does the system's DNS answer like the public resolvers? */
import { dnsNameProblem } from '../../config/schema';
import type { DnsCheckEntry, DnsCheckReport } from '../../control/backend';
import { DNS_CHECK_MAX_NAMES } from '../../control/validate';
import { callApi, cell, EXIT_OK, EXIT_REFUSED, flag, helpRequested, parseCommand, printJson, renderTable, runGroup, UsageError, type CliContext } from './common';

const GROUP = 'diag';
const SYSTEM = 'system';

export async function diagCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, 'diagUsage', { dns });
}

/** Exit 0 when no finding, 1 when a resolver disagreed, timed out or failed. */
async function dns(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'diagUsage')) return EXIT_OK;
  const names = parsed.positionals;
  if (names.length > DNS_CHECK_MAX_NAMES) throw new UsageError(ctx.t('tooManyNames', { max: String(DNS_CHECK_MAX_NAMES) }), GROUP);
  for (const name of names) if (dnsNameProblem(name) !== undefined) throw new UsageError(ctx.t('notDnsName', { name }), GROUP);
  const report = (await callApi(ctx, 'POST', '/v1/diag/dns', names.length > 0 ? { names } : {})) as DnsCheckReport;
  const code = report.findings.length > 0 ? EXIT_REFUSED : EXIT_OK;
  if (flag(parsed.values, 'json')) {
    printJson(ctx, report);
    return code;
  }
  if (report.names.length === 0) {
    ctx.err(ctx.t('diagNoNames'));
    return code;
  }
  printReport(ctx, report);
  return code;
}

export function printReport(ctx: CliContext, report: DnsCheckReport): void {
  for (const n of report.names) {
    const resolvers = n.checks[0]?.answers.map((a) => a.resolver) ?? [];
    ctx.out(`${cell(n.name)}:`);
    ctx.out(
      renderTable(
        [ctx.t('colType'), ...resolvers.map((r) => (r === SYSTEM ? ctx.t('systemResolverColumn') : cell(r))), ctx.t('colVerdict')],
        n.checks.map((c) => [typeCell(c, n.name), ...resolvers.map((r) => answerCell(ctx, c, r)), ctx.t(`verdict.${c.verdict}`)]),
      ),
    );
    ctx.out('');
  }
  if (report.findings.length === 0) {
    ctx.out(ctx.t('diagNoFindings'));
  } else {
    ctx.out(ctx.t('diagFindings'));
    for (const line of explain(ctx, report)) ctx.out(`  ${line}`);
  }
  if (report.commands.length > 0) {
    ctx.out('');
    ctx.out(ctx.t('diagCommands'));
    for (const c of report.commands) ctx.out(`  ${cell(c)}`);
  }
}

/** "A", "SRV _sip._udp", "NAPTR". */
function typeCell(c: DnsCheckEntry, name: string): string {
  const prefix = c.type === 'SRV' && c.query.endsWith(`.${name}`) ? c.query.slice(0, -name.length - 1) : '';
  return prefix === '' ? c.type : `${c.type} ${cell(prefix)}`;
}

function answerCell(ctx: CliContext, c: DnsCheckEntry, resolver: string): string {
  const a = c.answers.find((x) => x.resolver === resolver);
  if (a === undefined) return '-';
  if (a.records !== undefined) return a.records.length === 0 ? ctx.t('dnsNoRecord') : a.records.map((r) => cell(r)).join(', ');
  return a.error === 'ETIMEOUT' ? ctx.t('dnsTimeoutCell') : cell(a.error);
}

function resolverName(ctx: CliContext, label: string): string {
  return label === SYSTEM ? ctx.t('systemResolver') : cell(label);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The findings in sentences: each disagreement and error on its own line; timeouts
 * grouped per resolver and name (a silent resolver times out on every question).
 */
export function explain(ctx: CliContext, report: DnsCheckReport): string[] {
  const lines: string[] = [];
  const timeouts = new Map<string, string[]>();
  const seconds = report.timeoutMs !== undefined ? String(Math.round(report.timeoutMs / 100) / 10) : undefined;
  for (const f of report.findings) {
    const query = cell(f.query ?? f.name);
    switch (f.kind) {
      case 'disagree': {
        const resolvers = f.resolvers.map((r) => resolverName(ctx, r));
        const joined = resolvers.length <= 2 ? resolvers.join(ctx.t('resolverAnd')) : `${resolvers.slice(0, -1).join(', ')}${ctx.t('resolverAnd')}${resolvers[resolvers.length - 1]}`;
        lines.push(capitalize(ctx.t('findingDisagree', { resolvers: joined, query, type: f.type })));
        break;
      }
      case 'timeout':
        for (const r of f.resolvers) {
          const key = `${r}\n${f.name}`;
          timeouts.set(key, [...(timeouts.get(key) ?? []), `${query} ${f.type}`]);
        }
        break;
      case 'error':
        f.resolvers.forEach((r, i) => {
          lines.push(capitalize(ctx.t('findingError', { resolver: resolverName(ctx, r), query, type: f.type, code: cell(f.errors?.[i] ?? 'error') })));
        });
        break;
    }
  }
  for (const [key, queries] of timeouts) {
    const resolver = resolverName(ctx, key.split('\n')[0] as string);
    const vars = { resolver, queries: queries.join(', '), seconds: seconds ?? '' };
    lines.push(capitalize(ctx.t(seconds !== undefined ? 'findingTimeout' : 'findingTimeoutUnknown', vars)));
  }
  return lines;
}
