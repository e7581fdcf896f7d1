/**
 * Diagnostics: the DNS check. The same questions go to the system resolver and to public
 * ones; the answers are shown side by side per resolver, with what differs explained and
 * the dig / nslookup lines to repeat it by hand.
 */
import { useState } from 'preact/hooks';
import type { DnsCheckAnswer, DnsCheckName, DnsCheckReport, DnsFinding } from '../../../control/backend';
import { api } from '../api';
import { FormError, onSubmit, Section, TextField, useAction } from '../components';
import { splitList } from '../form-values';
import { html } from '../html';
import { t } from '../i18n';
import { notifySuccess } from '../notices';

const resolverLabel = (r: string): string => (r === 'system' ? t('dns.system') : r);

function answerText(a: DnsCheckAnswer | undefined): string {
  if (a === undefined) return '—';
  if (a.error !== undefined) return a.error === 'ETIMEOUT' ? t('dns.timeout') : a.error;
  return a.records === undefined || a.records.length === 0 ? t('dns.noRecords') : a.records.join('\n');
}

function findingText(f: DnsFinding, timeoutMs: number | undefined): string {
  const resolvers = f.resolvers.map(resolverLabel).join(', ');
  switch (f.kind) {
    case 'disagree':
      return t('dns.findingDisagree', { resolvers, query: f.query, type: f.type });
    case 'timeout':
      return t('dns.findingTimeout', { resolvers, query: f.query, type: f.type, seconds: timeoutMs === undefined ? '?' : Math.round(timeoutMs / 1000) });
    case 'error':
      return t('dns.findingError', { resolvers, query: f.query, type: f.type, errors: (f.errors ?? []).join(', ') });
  }
}

function NameResults(props: { entry: DnsCheckName }) {
  const { entry } = props;
  // Columns: every resolver that answered any question, in the order the report gives them.
  const resolvers: string[] = [];
  for (const c of entry.checks) for (const a of c.answers) if (!resolvers.includes(a.resolver)) resolvers.push(a.resolver);
  return html`<table class="dns-table" data-testid=${`dns-${entry.name}`}>
    <caption>${entry.name}</caption>
    <thead>
      <tr>
        <th scope="col">${t('dns.type')}</th>
        <th scope="col">${t('dns.query')}</th>
        ${resolvers.map((r) => html`<th scope="col">${resolverLabel(r)}</th>`)}
        <th scope="col">${t('dns.verdict')}</th>
      </tr>
    </thead>
    <tbody>
      ${entry.checks.map(
        (c) => html`<tr class=${`verdict-${c.verdict}`} data-testid=${`row-${c.query}-${c.type}`}>
          <th scope="row">${c.type}</th>
          <td class="mono">${c.query}</td>
          ${resolvers.map((r) => html`<td class="mono pre">${answerText(c.answers.find((a) => a.resolver === r))}</td>`)}
          <td><span class=${`badge verdict-${c.verdict}`}>${t(`dnsVerdict.${c.verdict}`)}</span></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function DiagnosticsPage() {
  const [names, setNames] = useState('');
  const [report, setReport] = useState<DnsCheckReport | undefined>(undefined);
  const action = useAction();

  const run = async () => {
    const list = splitList(names);
    const ok = await action.run(async () => setReport(await api.post<DnsCheckReport>('/v1/diag/dns', list.length > 0 ? { names: list } : {})));
    if (ok) notifySuccess(t('dns.done'));
  };

  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.diagnostics')}</h1></div>
    <${Section} title=${t('dns.title')} testid="dns">
      <p class="hint">${t('dns.hint')}</p>
      <form class="form-grid" data-testid="dns-form" onSubmit=${onSubmit(run)} novalidate>
        <${TextField} id="dns-names" name="names" label=${t('dns.names')} hint=${t('dns.namesHint')} value=${names} onInput=${setNames} error=${action.error} />
        <${FormError} error=${action.error} fields=${['names']} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" data-testid="dns-run" disabled=${action.busy}>${action.busy ? t('dns.running') : t('dns.run')}</button>
        </div>
      </form>
    <//>
    ${report !== undefined &&
    html`<${Section} title=${t('dns.results')} testid="dns-results">
        ${report.names.length === 0 && html`<p class="muted">${t('dns.nothingToCheck')}</p>`}
        ${report.names.map((n) => html`<${NameResults} entry=${n} />`)}
        <h3>${t('dns.findings')}</h3>
        ${report.findings.length === 0
          ? html`<p class="notice notice-success" data-testid="dns-no-findings">${t('dns.noFindings')}</p>`
          : html`<ul class="findings" data-testid="dns-findings">
              ${report.findings.map((f) => html`<li class=${`finding-${f.kind}`}>${findingText(f, report.timeoutMs)}</li>`)}
            </ul>`}
        <h3>${t('dns.commands')}</h3>
        <p class="hint">${t('dns.commandsHint')}</p>
        <pre class="commands" data-testid="dns-commands">${report.commands.join('\n')}</pre>
      <//>`}
  </div>`;
}
