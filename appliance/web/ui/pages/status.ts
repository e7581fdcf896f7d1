/** Status: the machine, the SIP service and the certificate at a glance (GET /v1/status), refreshed live. */
import type { StatusView, TrunkState } from '../../../control/backend';
import { api } from '../api';
import { LoadState, RefreshButton, Section, useLoad, usePolling } from '../components';
import { formatBytes, formatDateTime, formatDuration, formatPercent } from '../format';
import { html } from '../html';
import { t } from '../i18n';

const REFRESH_MS = 10_000;
/** The same threshold as the API's `expiryWarning` and `edgesip status`. */
const TLS_WARNING_DAYS = 30;

/** A label / value line of a summary card. */
const Figure = (label: string, value: unknown, testid: string) =>
  html`<div class="figure" data-testid=${testid}><dt>${label}</dt><dd>${value}</dd></div>`;

/** A share as a thin bar under its figure (width set through the DOM, CSP-safe). */
const Meter = (percent: number) =>
  html`<div class="meter" aria-hidden="true"><div class=${`meter-fill${percent >= 90 ? ' high' : ''}`} style=${{ width: `${Math.min(100, Math.max(0, percent))}%` }}></div></div>`;

function SystemCard(props: { status: StatusView }) {
  const { system } = props.status;
  const mem = system.memory;
  const memPercent = mem.totalBytes > 0 ? (mem.usedBytes / mem.totalBytes) * 100 : 0;
  const disk = system.disk;
  const [l1, l5, l15] = system.cpu.loadAverage;
  return html`<${Section} title=${t('status.system')} testid="status-system">
    <dl class="figures">
      ${Figure(t('status.cpuLoad'), html`${formatPercent(system.cpu.currentLoad)} ${system.cpu.currentLoad !== null && Meter(system.cpu.currentLoad)}`, 'status-cpu')}
      ${Figure(t('status.loadAverage'), `${l1.toFixed(2)} / ${l5.toFixed(2)} / ${l15.toFixed(2)} (${t('status.cores', { n: system.cpu.cores })})`, 'status-load')}
      ${Figure(t('status.temperature'), system.cpu.temperature === null ? t('common.notReported') : `${system.cpu.temperature.toFixed(1)} °C`, 'status-temperature')}
      ${Figure(
        t('status.memory'),
        html`${t('status.usedOf', { used: formatBytes(mem.usedBytes), total: formatBytes(mem.totalBytes) })} ${Meter(memPercent)}`,
        'status-memory',
      )}
      ${Figure(
        t('status.disk'),
        disk === null
          ? t('common.notReported')
          : html`${t('status.usedOf', { used: formatBytes(disk.usedBytes), total: formatBytes(disk.sizeBytes) })} (${disk.mount}) ${Meter(disk.usePercent)}`,
        'status-disk',
      )}
      ${Figure(t('status.systemUptime'), formatDuration(system.uptimeSeconds), 'status-uptime')}
      ${Figure(t('status.daemon'), t('status.daemonValue', { version: props.status.version, uptime: formatDuration(props.status.uptimeSeconds) }), 'status-daemon')}
      ${Figure(t('status.runtime'), `Node ${system.node} · OpenSSL ${system.openssl}`, 'status-runtime')}
    </dl>
  <//>`;
}

function NetworkCard(props: { status: StatusView }) {
  const { network } = props.status.system;
  return html`<${Section} title=${t('status.network')} testid="status-network">
    <table>
      <thead>
        <tr><th scope="col">${t('status.interface')}</th><th scope="col">IPv4</th><th scope="col">IPv6</th></tr>
      </thead>
      <tbody>
        ${network.length === 0 && html`<tr class="empty"><td colspan="3">${t('common.none')}</td></tr>`}
        ${network.map(
          (n) => html`<tr data-testid=${`row-${n.name}`}>
            <th scope="row">${n.name}</th>
            <td>${n.ipv4.join(', ') || '—'}</td>
            <td class="wrap">${n.ipv6.join(', ') || '—'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

function SipCard(props: { status: StatusView }) {
  const { sip } = props.status;
  const states = Object.entries(sip.trunks.byState) as [TrunkState, number][];
  const listening = (['udp', 'tcp', 'tls'] as const).map((k) => `${k.toUpperCase()} ${sip.listening[k].join(', ') || '—'}`).join(' · ');
  return html`<${Section} title=${t('status.sip')} testid="status-sip">
    <dl class="figures">
      ${Figure(t('status.registrations'), t('status.registeredOf', { registered: sip.registeredExtensions, total: sip.extensions, contacts: sip.contacts }), 'status-registrations')}
      ${Figure(t('status.activeCalls'), String(sip.activeCalls), 'status-calls')}
      ${Figure(
        t('status.trunks'),
        sip.trunks.total === 0
          ? t('common.none')
          : html`${String(sip.trunks.total)}: ${states.map(([state, n]) => html`<span class=${`badge state-${state}`}>${t(`trunkState.${state}`)} ${n}</span> `)}`,
        'status-trunks',
      )}
      ${Figure(t('status.blocks'), String(sip.blocks), 'status-blocks')}
      ${Figure(t('status.listening'), listening, 'status-listening')}
    </dl>
    ${sip.trunks.failed.length > 0 &&
    html`<p class="notice notice-warning" data-testid="trunks-failed">${t('status.trunksFailed', { names: sip.trunks.failed.join(', ') })}</p>`}
  <//>`;
}

function TlsCard(props: { status: StatusView }) {
  const { tls } = props.status;
  return html`<${Section} title=${t('status.tls')} testid="status-tls">
    ${tls.daysLeft < TLS_WARNING_DAYS &&
    html`<p class="notice notice-warning" role="alert" data-testid="tls-warning">
      ${tls.daysLeft < 0 ? t('tls.expired') : t('tls.expiresSoon', { days: tls.daysLeft })}
    </p>`}
    <dl class="figures">
      ${Figure(t('tls.notAfter'), formatDateTime(tls.notAfter), 'status-tls-not-after')}
      ${Figure(t('tls.daysLeft'), String(tls.daysLeft), 'status-tls-days')}
      ${Figure(t('tls.selfSigned'), tls.selfSigned ? t('common.yes') : t('common.no'), 'status-tls-self-signed')}
    </dl>
  <//>`;
}

export function StatusPage() {
  const loaded = useLoad(() => api.get<StatusView>('/v1/status'));
  usePolling(loaded.reload, REFRESH_MS);
  const status = loaded.data;
  return html`<div class="page">
    <div class="page-head">
      <h1>${t('nav.status')}</h1>
      <${RefreshButton} onClick=${loaded.reload} busy=${loaded.loading} />
    </div>
    <${LoadState} loaded=${loaded} />
    ${status !== undefined &&
    html`<div class="cards">
      <${SystemCard} status=${status} />
      <${SipCard} status=${status} />
      <${TlsCard} status=${status} />
      <${NetworkCard} status=${status} />
    </div>`}
  </div>`;
}
