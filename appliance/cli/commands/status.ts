/** edgesip status [--json] — SIP service, system and TLS health in one view, for people and monitoring. */
import type { StatusView, TrunkState } from '../../control/backend';
import type { MessageKey } from '../messages';
import { localized } from './calls';
import { callApi, displayWidth, EXIT_OK, EXIT_REFUSED, expectPositionals, flag, helpRequested, parseCommand, printJson, type CliContext } from './common';

const GROUP = 'status';

/** Thresholds of `needsAttention`. */
export const TLS_WARN_DAYS = 30;
export const DISK_WARN_PERCENT = 90;

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Order of the trunk states in the summary. */
const STATE_ORDER: readonly TrunkState[] = ['registered', 'registering', 'ip', 'failed', 'unreachable', 'wrong-credentials', 'idle'];

export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args[0] === 'help') {
    ctx.out(ctx.t('statusUsage'));
    return EXIT_OK;
  }
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, 'statusUsage')) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const status = (await callApi(ctx, 'GET', '/v1/status')) as StatusView;
  const reasons = needsAttention(ctx, status);
  if (flag(parsed.values, 'json')) {
    printJson(ctx, status);
    return reasons.length > 0 ? EXIT_REFUSED : EXIT_OK;
  }
  const lines: [string, string][] = [
    ['SIP', sipLine(ctx, status)],
    [ctx.t('statusSystem'), systemLine(ctx, status)],
    ['TLS', tlsLine(ctx, status)],
    [ctx.t('statusWeb'), status.web.listening.length > 0 ? status.web.listening.map((a) => `https://${a}/`).join(' ') : ctx.t('statusWebOff')],
  ];
  const width = Math.max(...lines.map(([label]) => displayWidth(label)));
  for (const [label, text] of lines) ctx.out(`${label}${' '.repeat(width - displayWidth(label) + 2)}${text}`);
  if (reasons.length > 0) {
    ctx.out(ctx.t('statusAttention'));
    for (const r of reasons) ctx.out(`  - ${r}`);
    return EXIT_REFUSED;
  }
  return EXIT_OK;
}

/** Why the status exits 1 (localized), empty when all is well. */
export function needsAttention(ctx: CliContext, s: StatusView): string[] {
  const reasons: string[] = [];
  for (const name of s.sip.trunks.failed) reasons.push(ctx.t('statusTrunkFailed', { name }));
  if (s.tls.daysLeft < 0) reasons.push(ctx.t('statusTlsExpiredReason'));
  else if (s.tls.daysLeft < TLS_WARN_DAYS) reasons.push(ctx.t('statusTlsExpiring', { days: String(s.tls.daysLeft) }));
  const disk = s.system.disk;
  if (disk && disk.usePercent > DISK_WARN_PERCENT) reasons.push(ctx.t('statusDiskFull', { mount: disk.mount, percent: String(Math.round(disk.usePercent)) }));
  return reasons;
}

function sipLine(ctx: CliContext, s: StatusView): string {
  const { listening, trunks } = s.sip;
  const addresses = (['udp', 'tcp', 'tls'] as const).filter((t) => listening[t].length > 0).map((t) => `${t} ${listening[t].join(' ')}`);
  const counts = STATE_ORDER.filter((state) => (trunks.byState[state] ?? 0) > 0).map((state) =>
    ctx.t('statusTrunkCount', { count: String(trunks.byState[state]), state: localized(ctx, 'trunkState', state) }),
  );
  return ctx.t('statusSipLine', {
    listening: addresses.length > 0 ? addresses.join(', ') : ctx.t('statusNotListening'),
    registered: String(s.sip.registeredExtensions),
    extensions: String(s.sip.extensions),
    contacts: String(s.sip.contacts),
    calls: String(s.sip.activeCalls),
    trunks: counts.length > 0 ? counts.join(ctx.t('statusSeparator')) : ctx.t('noneValue'),
    blocks: String(s.sip.blocks),
  });
}

function systemLine(ctx: CliContext, s: StatusView): string {
  const { cpu, memory, disk } = s.system;
  const parts = [ctx.t('statusLoad', { load: cpu.loadAverage[0].toFixed(2) })];
  if (cpu.temperature !== null) parts.push(ctx.t('statusTemperature', { temp: cpu.temperature.toFixed(1) }));
  parts.push(ctx.t('statusMemory', { used: String(Math.round(memory.usedBytes / MIB)), total: String(Math.round(memory.totalBytes / MIB)) }));
  if (disk) parts.push(ctx.t('statusDisk', { used: (disk.usedBytes / GIB).toFixed(1), total: (disk.sizeBytes / GIB).toFixed(1), mount: disk.mount }));
  parts.push(ctx.t('statusUp', { time: formatUptime(s.system.uptimeSeconds) }));
  return parts.join(ctx.t('statusSeparator'));
}

function tlsLine(ctx: CliContext, s: StatusView): string {
  const kind: MessageKey = s.tls.selfSigned ? 'statusTlsSelfSigned' : 'statusTlsInstalled';
  const days = s.tls.daysLeft;
  const when = days < 0 ? ctx.t('statusTlsExpired', { days: String(-days) }) : ctx.t('statusTlsExpires', { days: String(days) });
  return `${ctx.t(kind)}${ctx.t('statusSeparator')}${when}`;
}

/** 273600 → "3d 4h", 3720 → "1h 2m", 59 → "0m". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}
