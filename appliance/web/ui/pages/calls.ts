/** Calls: the calls in progress (live) and the call detail records, filtered and exported as CSV. */
import { useEffect, useState } from 'preact/hooks';
import type { ActiveCallView, CallRecord, ForwardHop } from '../../../control/backend';
import { cdrToCsv } from '../../../pbx/cdr/csv';
import { api } from '../api';
import { EmptyRow, FormError, LoadState, onSubmit, RefreshButton, Section, TextField, useAction, useLoad, usePolling } from '../components';
import { formatDateTime, formatDuration, localInputToIso } from '../format';
import { html } from '../html';
import { t } from '../i18n';
import { notifySuccess } from '../notices';

const REFRESH_MS = 5_000;
const DEFAULT_LIMIT = '200';

const hops = (forwarded: readonly ForwardHop[]): string => forwarded.map((h) => `${h.from} → ${h.to} (${t(`forwardReason.${h.reason}`)})`).join(', ') || '—';

function ActiveCalls() {
  const loaded = useLoad(() => api.get<ActiveCallView[]>('/v1/calls'));
  usePolling(loaded.reload, REFRESH_MS);
  const calls = loaded.data ?? [];
  return html`<${Section} title=${t('calls.active')} testid="active-calls" tools=${html`<${RefreshButton} onClick=${loaded.reload} busy=${loaded.loading} />`}>
    <${LoadState} loaded=${loaded} />
    <table data-testid="calls-table">
      <thead>
        <tr>
          <th scope="col">${t('calls.caller')}</th>
          <th scope="col">${t('calls.callee')}</th>
          <th scope="col">${t('calls.target')}</th>
          <th scope="col">${t('common.state')}</th>
          <th scope="col">${t('calls.start')}</th>
          <th scope="col">${t('calls.duration')}</th>
          <th scope="col">${t('calls.forwarded')}</th>
        </tr>
      </thead>
      <tbody>
        ${loaded.data !== undefined && calls.length === 0 && html`<${EmptyRow} columns=${7} text=${t('calls.none')} />`}
        ${calls.map(
          (c) => html`<tr data-testid=${`row-${c.id}`}>
            <th scope="row">${c.caller}</th>
            <td>${c.callee}</td>
            <td>${c.target}</td>
            <td><span class=${`badge call-${c.state}`}>${t(`callState.${c.state}`)}</span></td>
            <td>${formatDateTime(c.start)}</td>
            <td>${formatDuration(c.durationSeconds)}</td>
            <td>${hops(c.forwarded)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

/** Hands `text` to the browser as a file download (a Blob URL: nothing leaves the page). */
function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function CallRecords() {
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [limit, setLimit] = useState(DEFAULT_LIMIT);
  const [records, setRecords] = useState<CallRecord[] | undefined>(undefined);
  const action = useAction();

  const query = async () => {
    const q = new URLSearchParams();
    if (since !== '') q.set('since', localInputToIso(since));
    if (until !== '') q.set('until', localInputToIso(until));
    if (limit.trim() !== '') q.set('limit', limit.trim());
    const qs = q.toString();
    await action.run(async () => setRecords(await api.get<CallRecord[]>(`/v1/cdr${qs === '' ? '' : `?${qs}`}`)));
  };
  // The newest records at first sight, without pressing Search.
  useEffect(() => {
    void query();
  }, []);

  const exportCsv = () => {
    if (records === undefined) return;
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    download(cdrToCsv(records), `edgesip-cdr-${stamp}.csv`, 'text/csv;charset=utf-8');
    notifySuccess(t('cdr.exported', { n: records.length }));
  };

  const list = records ?? [];
  return html`<${Section} title=${t('cdr.title')} testid="cdr">
    <form class="form-grid filters" data-testid="cdr-filter-form" onSubmit=${onSubmit(query)} novalidate>
      <${TextField} id="cdr-since" name="since" type="datetime-local" label=${t('cdr.since')} value=${since} onInput=${setSince} error=${action.error} />
      <${TextField} id="cdr-until" name="until" type="datetime-local" label=${t('cdr.until')} value=${until} onInput=${setUntil} error=${action.error} />
      <${TextField} id="cdr-limit" name="limit" type="number" label=${t('cdr.limit')} value=${limit} onInput=${setLimit} error=${action.error} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid="cdr-search" disabled=${action.busy}>${t('action.search')}</button>
        <button type="button" class="btn" data-testid="cdr-export" disabled=${records === undefined || list.length === 0} onClick=${exportCsv}>${t('cdr.export')}</button>
      </div>
      <${FormError} error=${action.error} fields=${['since', 'until', 'limit']} />
    </form>
    ${records === undefined
      ? action.busy && html`<p class="muted" data-testid="loading">${t('common.loading')}</p>`
      : html`<p class="muted" data-testid="cdr-count">${t('cdr.count', { n: list.length })}</p>`}
    <table data-testid="cdr-table">
      <thead>
        <tr>
          <th scope="col">${t('calls.start')}</th>
          <th scope="col">${t('calls.caller')}</th>
          <th scope="col">${t('calls.callee')}</th>
          <th scope="col">${t('cdr.answeredBy')}</th>
          <th scope="col">${t('cdr.route')}</th>
          <th scope="col">${t('cdr.disposition')}</th>
          <th scope="col">${t('cdr.sipCode')}</th>
          <th scope="col">${t('calls.duration')}</th>
          <th scope="col">${t('calls.forwarded')}</th>
        </tr>
      </thead>
      <tbody>
        ${records !== undefined && list.length === 0 && html`<${EmptyRow} columns=${9} text=${t('cdr.none')} />`}
        ${list.map(
          (r) => html`<tr data-testid=${`row-${r.id}`}>
            <td>${formatDateTime(r.start)}</td>
            <th scope="row">${r.callerName ? `${r.caller} (${r.callerName})` : r.caller}</th>
            <td>${r.callee}</td>
            <td>${r.answeredBy ?? '—'}</td>
            <td>${t(`route.${r.route}`)}</td>
            <td><span class=${`badge disp-${r.disposition}`}>${t(`disposition.${r.disposition}`)}</span></td>
            <td>${r.sipCode}</td>
            <td>${formatDuration(r.durationSeconds)}</td>
            <td>${hops(r.forwarded)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

export function CallsPage() {
  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.calls')}</h1></div>
    <${ActiveCalls} />
    <${CallRecords} />
  </div>`;
}
