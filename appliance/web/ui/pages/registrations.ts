/** Registrations: every contact bound now, and an OPTIONS ping over each phone's own flow. */
import { useState } from 'preact/hooks';
import type { PingResult, RegistrationView } from '../../../control/backend';
import { api, seg } from '../api';
import { EmptyRow, errorText, LoadState, RefreshButton, Section, useLoad, usePolling } from '../components';
import { formatDateTime, formatDuration } from '../format';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';

const REFRESH_MS = 15_000;

function pingText(r: PingResult): string {
  if (r.error === 'timeout') return t('reg.pingTimeout');
  if (r.error === 'transport') return t('reg.pingTransport');
  return t('reg.pingAnswered', { status: r.status ?? '?', ms: r.rttMs ?? '?' });
}

export function RegistrationsPage() {
  const loaded = useLoad(() => api.get<RegistrationView[]>('/v1/registrations'));
  usePolling(loaded.reload, REFRESH_MS);
  const [pinging, setPinging] = useState<string | null>(null);
  const [pings, setPings] = useState<Record<string, PingResult[]>>({});
  const list = loaded.data ?? [];

  const ping = async (aor: string) => {
    setPinging(aor);
    try {
      const results = await api.post<PingResult[]>(`/v1/registrations/${seg(aor)}/ping`);
      setPings({ ...pings, [aor]: results });
      notifySuccess(t('reg.pinged', { aor }));
    } catch (e) {
      notifyError(errorText(e));
    } finally {
      setPinging(null);
    }
  };

  return html`<div class="page">
    <div class="page-head">
      <h1>${t('nav.registrations')}</h1>
      <${RefreshButton} onClick=${loaded.reload} busy=${loaded.loading} />
    </div>
    <${Section} title=${t('reg.list')}>
      <${LoadState} loaded=${loaded} />
      <table data-testid="reg-table">
        <thead>
          <tr>
            <th scope="col">${t('reg.aor')}</th>
            <th scope="col">${t('reg.contact')}</th>
            <th scope="col">${t('reg.transport')}</th>
            <th scope="col">${t('reg.source')}</th>
            <th scope="col">${t('reg.userAgent')}</th>
            <th scope="col">${t('reg.expires')}</th>
            <th scope="col">${t('reg.ping')}</th>
          </tr>
        </thead>
        <tbody>
          ${loaded.data !== undefined && list.length === 0 && html`<${EmptyRow} columns=${7} text=${t('reg.none')} />`}
          ${list.map((r, i) => {
            const result = pings[r.aor]?.find((p) => p.contact === r.contact);
            return html`<tr data-testid=${`row-${r.aor}-${i}`}>
              <th scope="row">${r.aor}</th>
              <td class="wrap mono">${r.contact}</td>
              <td>${r.transport}</td>
              <td class="mono">${r.source}</td>
              <td>${r.userAgent ?? '—'}</td>
              <td title=${formatDateTime(r.expiresAt)}>${formatDuration(r.expiresIn)}</td>
              <td class="actions">
                <button type="button" class="btn" data-testid=${`ping-${r.aor}`} disabled=${pinging !== null} onClick=${() => ping(r.aor)}>
                  ${pinging === r.aor ? t('reg.pinging') : t('reg.ping')}
                </button>
                ${result !== undefined && html`<span class=${`ping-result ${result.error ? 'bad' : 'good'}`} data-testid=${`ping-result-${r.aor}`}>${pingText(result)}</span>`}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    <//>
  </div>`;
}
