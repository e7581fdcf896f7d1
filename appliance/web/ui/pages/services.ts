/** Services: the IP white and black lists, and the automatic blocks in force (with Unblock). */
import { useState } from 'preact/hooks';
import type { AclList, AclView, BlockView } from '../../../control/backend';
import { api, seg } from '../api';
import { ConfirmButton, EmptyRow, errorText, FormError, LoadState, onSubmit, RefreshButton, Section, SelectField, TextField, useAction, useLoad, usePolling } from '../components';
import { formatDateTime } from '../format';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';

const REFRESH_MS = 15_000;
const LISTS: readonly AclList[] = ['white', 'black'];

function AclSection() {
  const loaded = useLoad(() => api.get<AclView>('/v1/acl'));
  const [list, setList] = useState<AclList>('white');
  const [cidr, setCidr] = useState('');
  const action = useAction();

  const add = async () => {
    const ok = await action.run(() => api.post('/v1/acl', { list, cidr: cidr.trim() }));
    if (!ok) return;
    notifySuccess(t('acl.added', { cidr: cidr.trim(), list: t(`acl.${list}`) }));
    setCidr('');
    await loaded.reload();
  };
  const remove = async (l: AclList, entry: string) => {
    try {
      await api.del(`/v1/acl/${l}/${seg(entry)}`);
      notifySuccess(t('acl.removed', { cidr: entry, list: t(`acl.${l}`) }));
      await loaded.reload();
    } catch (e) {
      notifyError(errorText(e));
    }
  };

  return html`<${Section} title=${t('acl.title')} testid="acl">
    <p class="hint">${t('acl.hint')}</p>
    <${LoadState} loaded=${loaded} />
    <div class="two-columns">
      ${LISTS.map(
        (l) => html`<table data-testid=${`acl-${l}`}>
          <caption>${t(`acl.${l}`)}</caption>
          <thead>
            <tr><th scope="col">${t('acl.network')}</th><th scope="col"><span class="sr-only">${t('common.actions')}</span></th></tr>
          </thead>
          <tbody>
            ${loaded.data !== undefined && loaded.data[l].length === 0 && html`<${EmptyRow} columns=${2} />`}
            ${(loaded.data?.[l] ?? []).map(
              (entry) => html`<tr data-testid=${`row-${l}-${entry}`}>
                <th scope="row" class="mono">${entry}</th>
                <td class="actions">
                  <${ConfirmButton} label=${t('action.remove')} question=${t('acl.confirmRemove', { cidr: entry })} testid=${`remove-${l}-${entry}`} onConfirm=${() => remove(l, entry)} />
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`,
      )}
    </div>
    <form class="form-grid" data-testid="acl-add-form" onSubmit=${onSubmit(add)} novalidate>
      <${SelectField} id="acl-list" name="list" label=${t('acl.list')} value=${list} options=${LISTS.map((l) => ({ value: l, label: t(`acl.${l}`) }))} onChange=${setList} error=${action.error} />
      <${TextField} id="acl-cidr" name="cidr" label=${t('acl.network')} hint=${t('acl.networkHint')} value=${cidr} onInput=${setCidr} error=${action.error} required />
      <${FormError} error=${action.error} fields=${['list', 'cidr']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="acl-add-submit" disabled=${action.busy}>${t('action.add')}</button></div>
    </form>
  <//>`;
}

function BlocksSection() {
  const loaded = useLoad(() => api.get<BlockView[]>('/v1/blocks'));
  usePolling(loaded.reload, REFRESH_MS);
  const [busy, setBusy] = useState<string | null>(null);
  const blocks = loaded.data ?? [];

  const unblock = async (b: BlockView) => {
    setBusy(b.key);
    try {
      await api.del(`/v1/blocks/${seg(b.key)}`);
      notifySuccess(t('block.removed', { key: b.key }));
      await loaded.reload();
    } catch (e) {
      notifyError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return html`<${Section} title=${t('block.title')} testid="blocks" tools=${html`<${RefreshButton} onClick=${loaded.reload} busy=${loaded.loading} />`}>
    <p class="hint">${t('block.hint')}</p>
    <${LoadState} loaded=${loaded} />
    <table data-testid="block-table">
      <thead>
        <tr>
          <th scope="col">${t('block.address')}</th>
          <th scope="col">${t('block.account')}</th>
          <th scope="col">${t('block.reason')}</th>
          <th scope="col">${t('block.count')}</th>
          <th scope="col">${t('block.firstSeen')}</th>
          <th scope="col">${t('block.lastSeen')}</th>
          <th scope="col">${t('block.expires')}</th>
          <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${loaded.data !== undefined && blocks.length === 0 && html`<${EmptyRow} columns=${8} text=${t('block.none')} />`}
        ${blocks.map(
          (b) => html`<tr data-testid=${`row-${b.key}`}>
            <th scope="row" class="mono">${b.address}</th>
            <td>${b.account ?? t('block.wholeAddress')}</td>
            <td>${t(`blockReason.${b.reason}`)}</td>
            <td>${b.count}</td>
            <td>${formatDateTime(b.firstSeen)}</td>
            <td>${formatDateTime(b.lastSeen)}</td>
            <td>${formatDateTime(b.expiresAt)}</td>
            <td class="actions">
              <button type="button" class="btn" data-testid=${`unblock-${b.key}`} disabled=${busy !== null} onClick=${() => unblock(b)}>${t('block.unblock')}</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}

export function ServicesPage() {
  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.services')}</h1></div>
    <${AclSection} />
    <${BlocksSection} />
  </div>`;
}
