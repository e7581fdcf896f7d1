/** Trunks: the configured trunks with their live registration state, add, edit, remove. */
import { useState } from 'preact/hooks';
import type { Trunk, TrunkStatusView, TrunkView } from '../../../control/backend';
import { api, seg } from '../api';
import {
  CheckField,
  ConfirmButton,
  EmptyRow,
  errorText,
  FormError,
  LoadState,
  onSubmit,
  RefreshButton,
  Section,
  SelectField,
  TextAreaField,
  TextField,
  useAction,
  useLoad,
  usePolling,
} from '../components';
import { formatDuration } from '../format';
import { numberOrText, splitList } from '../form-values';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';

const REFRESH_MS = 10_000;
const TRANSPORTS: readonly Trunk['transport'][] = ['UDP', 'TCP', 'TLS'];

/** The form's text for every trunk field (numbers and lists as typed). */
interface TrunkDraft {
  name: string;
  type: Trunk['type'];
  enabled: boolean;
  domain: string;
  proxy: string;
  transport: Trunk['transport'];
  username: string;
  authUsername: string;
  realm: string;
  password: string;
  clearPassword: boolean;
  registerExpires: string;
  peers: string;
  requestUriParams: string;
  fromUser: string;
  fromDisplay: string;
  pai: string;
  fromTemplate: string;
  toTemplate: string;
  paiTemplate: string;
}

function draftOf(tr: TrunkView | undefined): TrunkDraft {
  return {
    name: tr?.name ?? '',
    type: tr?.type ?? 'register',
    enabled: tr?.enabled ?? true,
    domain: tr?.domain ?? '',
    proxy: tr?.proxy ?? '',
    transport: tr?.transport ?? 'UDP',
    username: tr?.username ?? '',
    authUsername: tr?.authUsername ?? '',
    realm: tr?.realm ?? '',
    password: '',
    clearPassword: false,
    registerExpires: String(tr?.registerExpires ?? 3600),
    peers: (tr?.peers ?? []).join('\n'),
    requestUriParams: tr?.requestUriParams ?? '',
    fromUser: tr?.callerId.fromUser ?? '',
    fromDisplay: tr?.callerId.fromDisplay ?? '',
    pai: tr?.callerId.pai ?? '',
    fromTemplate: tr?.templates.from ?? '',
    toTemplate: tr?.templates.to ?? '',
    paiTemplate: tr?.templates.pai ?? '',
  };
}

function bodyOf(d: TrunkDraft, adding: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: d.type,
    enabled: d.enabled,
    domain: d.domain.trim(),
    proxy: d.proxy.trim(),
    transport: d.transport,
    username: d.username.trim(),
    authUsername: d.authUsername.trim(),
    realm: d.realm,
    registerExpires: numberOrText(d.registerExpires),
    peers: splitList(d.peers),
    callerId: { fromUser: d.fromUser.trim(), fromDisplay: d.fromDisplay, pai: d.pai.trim() },
    templates: { from: d.fromTemplate.trim(), to: d.toTemplate.trim(), pai: d.paiTemplate.trim() },
  };
  if (adding) body.name = d.name.trim();
  // Write-only: empty keeps the stored one; '' sent on purpose removes it.
  if (d.password !== '') body.password = d.password;
  else if (!adding && d.clearPassword) body.password = '';
  // Left empty on creation, the daemon applies the language's default (zh-CN: user=phone).
  if (!adding || d.requestUriParams.trim() !== '') body.requestUriParams = d.requestUriParams.trim();
  return body;
}

const FIELDS = [
  'name',
  'type',
  'enabled',
  'domain',
  'proxy',
  'transport',
  'username',
  'authUsername',
  'realm',
  'password',
  'registerExpires',
  'peers',
  'requestUriParams',
  'callerId',
  'templates',
];

function TrunkForm(props: { trunk?: TrunkView; onDone: () => void; onClose?: () => void }) {
  const adding = props.trunk === undefined;
  const [d, setD] = useState<TrunkDraft>(() => draftOf(props.trunk));
  const action = useAction();
  const set =
    <K extends keyof TrunkDraft>(k: K) =>
    (v: TrunkDraft[K]) =>
      setD((prev) => ({ ...prev, [k]: v }));
  const id = (f: string) => `trunk-${adding ? 'add' : 'edit'}-${f}`;
  const e = action.error;

  const submit = async () => {
    const body = bodyOf(d, adding);
    const ok = await action.run(() => (adding ? api.post('/v1/trunks', body) : api.patch(`/v1/trunks/${seg(d.name)}`, body)));
    if (!ok) return;
    notifySuccess(t(adding ? 'trunk.added' : 'trunk.saved', { name: d.name.trim() }));
    if (adding) setD(draftOf(undefined));
    else setD((prev) => ({ ...prev, password: '', clearPassword: false }));
    props.onDone();
  };

  return html`<${Section} title=${adding ? t('trunk.add') : t('trunk.edit', { name: d.name })} testid=${adding ? 'trunk-add' : 'trunk-edit'}>
    <form class="form-grid" data-testid=${adding ? 'trunk-add-form' : 'trunk-edit-form'} onSubmit=${onSubmit(submit)} novalidate>
      <${TextField} id=${id('name')} name="name" label=${t('trunk.name')} hint=${adding ? t('trunk.nameHint') : undefined} value=${d.name} onInput=${set('name')} error=${e} disabled=${!adding} required />
      <${SelectField}
        id=${id('type')}
        name="type"
        label=${t('trunk.type')}
        value=${d.type}
        options=${[
          { value: 'register', label: t('trunk.typeRegister') },
          { value: 'ip', label: t('trunk.typeIp') },
        ]}
        onChange=${set('type')}
        error=${e}
      />
      <${TextField} id=${id('domain')} name="domain" label=${t('trunk.domain')} hint=${t('trunk.domainHint')} value=${d.domain} onInput=${set('domain')} error=${e} required />
      <${SelectField} id=${id('transport')} name="transport" label=${t('trunk.transport')} value=${d.transport} options=${TRANSPORTS.map((x) => ({ value: x, label: x }))} onChange=${set('transport')} error=${e} />
      <${TextField} id=${id('username')} name="username" label=${t('trunk.username')} hint=${t('trunk.usernameHint')} value=${d.username} onInput=${set('username')} error=${e} />
      <${TextField}
        id=${id('password')}
        name="password"
        type="password"
        label=${t('trunk.password')}
        hint=${adding ? undefined : props.trunk?.hasPassword ? t('trunk.passwordKeep') : t('trunk.passwordNone')}
        value=${d.password}
        onInput=${set('password')}
        error=${e}
        autocomplete="new-password"
      />
      ${!adding && props.trunk?.hasPassword && html`<${CheckField} id=${id('clear-password')} label=${t('trunk.clearPassword')} checked=${d.clearPassword} onChange=${set('clearPassword')} />`}
      <${CheckField} id=${id('enabled')} name="enabled" label=${t('common.enabled')} checked=${d.enabled} onChange=${set('enabled')} error=${e} />
      <details class="span-all advanced">
        <summary>${t('trunk.advanced')}</summary>
        <div class="form-grid">
          <${TextField} id=${id('proxy')} name="proxy" label=${t('trunk.proxy')} hint=${t('trunk.proxyHint')} value=${d.proxy} onInput=${set('proxy')} error=${e} />
          <${TextField} id=${id('auth-username')} name="authUsername" label=${t('trunk.authUsername')} hint=${t('trunk.authUsernameHint')} value=${d.authUsername} onInput=${set('authUsername')} error=${e} />
          <${TextField} id=${id('realm')} name="realm" label=${t('trunk.realm')} hint=${t('trunk.realmHint')} value=${d.realm} onInput=${set('realm')} error=${e} />
          <${TextField} id=${id('expires')} name="registerExpires" type="number" label=${t('trunk.registerExpires')} value=${d.registerExpires} onInput=${set('registerExpires')} error=${e} />
          <${TextAreaField} id=${id('peers')} name="peers" label=${t('trunk.peers')} hint=${t('trunk.peersHint')} value=${d.peers} onInput=${set('peers')} error=${e} />
          <${TextField}
            id=${id('uri-params')}
            name="requestUriParams"
            label=${t('trunk.requestUriParams')}
            hint=${adding ? t('trunk.requestUriParamsAddHint') : t('trunk.requestUriParamsHint')}
            value=${d.requestUriParams}
            onInput=${set('requestUriParams')}
            error=${e}
          />
          <${TextField} id=${id('from-user')} name="callerId.fromUser" label=${t('trunk.fromUser')} value=${d.fromUser} onInput=${set('fromUser')} error=${e} />
          <${TextField} id=${id('from-display')} name="callerId.fromDisplay" label=${t('trunk.fromDisplay')} value=${d.fromDisplay} onInput=${set('fromDisplay')} error=${e} />
          <${TextField} id=${id('pai')} name="callerId.pai" label=${t('trunk.pai')} value=${d.pai} onInput=${set('pai')} error=${e} />
          <${TextField} id=${id('from-template')} name="templates.from" label=${t('trunk.fromTemplate')} hint=${t('trunk.templateHint')} value=${d.fromTemplate} onInput=${set('fromTemplate')} error=${e} />
          <${TextField} id=${id('to-template')} name="templates.to" label=${t('trunk.toTemplate')} value=${d.toTemplate} onInput=${set('toTemplate')} error=${e} />
          <${TextField} id=${id('pai-template')} name="templates.pai" label=${t('trunk.paiTemplate')} value=${d.paiTemplate} onInput=${set('paiTemplate')} error=${e} />
        </div>
      </details>
      <${FormError} error=${e} fields=${FIELDS} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid=${adding ? 'trunk-add-submit' : 'trunk-edit-submit'} disabled=${action.busy}>
          ${adding ? t('action.add') : t('action.save')}
        </button>
        ${props.onClose && html`<button type="button" class="btn" onClick=${props.onClose}>${t('action.close')}</button>`}
      </div>
    </form>
  <//>`;
}

function stateText(s: TrunkStatusView | undefined): string {
  if (s === undefined) return '';
  const parts: string[] = [];
  if (s.status !== undefined) parts.push(String(s.status));
  if (s.reason !== undefined && s.reason !== '') parts.push(s.reason);
  if (s.expiresIn !== undefined) parts.push(t('trunk.expiresIn', { time: formatDuration(s.expiresIn) }));
  if (s.retryIn !== undefined) parts.push(t('trunk.retryIn', { time: formatDuration(s.retryIn) }));
  return parts.join(' · ');
}

export function TrunksPage() {
  const trunks = useLoad(() => api.get<TrunkView[]>('/v1/trunks'));
  const states = useLoad(() => api.get<TrunkStatusView[]>('/v1/trunks/status'));
  usePolling(states.reload, REFRESH_MS);
  const [editing, setEditing] = useState<string | null>(null);
  const list = trunks.data ?? [];
  const edited = list.find((x) => x.name === editing);
  const reloadAll = async () => {
    await Promise.all([trunks.reload(), states.reload()]);
  };

  const remove = async (name: string) => {
    try {
      await api.del(`/v1/trunks/${seg(name)}`);
      notifySuccess(t('trunk.removed', { name }));
      if (editing === name) setEditing(null);
      await reloadAll();
    } catch (err) {
      notifyError(errorText(err));
    }
  };

  return html`<div class="page">
    <div class="page-head">
      <h1>${t('nav.trunks')}</h1>
      <${RefreshButton} onClick=${reloadAll} busy=${trunks.loading || states.loading} />
    </div>
    <${Section} title=${t('trunk.list')}>
      <${LoadState} loaded=${trunks} />
      <table data-testid="trunk-table">
        <thead>
          <tr>
            <th scope="col">${t('trunk.name')}</th>
            <th scope="col">${t('trunk.type')}</th>
            <th scope="col">${t('trunk.domain')}</th>
            <th scope="col">${t('trunk.transport')}</th>
            <th scope="col">${t('trunk.username')}</th>
            <th scope="col">${t('common.state')}</th>
            <th scope="col">${t('trunk.details')}</th>
            <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${trunks.data !== undefined && list.length === 0 && html`<${EmptyRow} columns=${8} text=${t('trunk.none')} />`}
          ${list.map((tr) => {
            const live = states.data?.find((s) => s.name === tr.name);
            const state = live?.state ?? (tr.enabled ? undefined : 'idle');
            return html`<tr data-testid=${`row-${tr.name}`} class=${tr.name === editing ? 'selected' : ''}>
              <th scope="row">${tr.name}</th>
              <td>${tr.type === 'register' ? t('trunk.typeRegister') : t('trunk.typeIp')}</td>
              <td class="mono">${tr.domain}</td>
              <td>${tr.transport}</td>
              <td>${tr.username || '—'}</td>
              <td data-testid=${`trunk-state-${tr.name}`}>
                ${state === undefined ? '—' : html`<span class=${`badge state-${state}`}>${t(`trunkState.${state}`)}</span>`}
              </td>
              <td class="wrap">${stateText(live)}</td>
              <td class="actions">
                <button type="button" class="btn" data-testid=${`edit-${tr.name}`} onClick=${() => setEditing(tr.name)}>${t('action.edit')}</button>
                <${ConfirmButton} label=${t('action.delete')} question=${t('trunk.confirmDelete', { name: tr.name })} testid=${`delete-${tr.name}`} onConfirm=${() => remove(tr.name)} />
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    <//>
    ${edited !== undefined && html`<${TrunkForm} key=${edited.name} trunk=${edited} onDone=${reloadAll} onClose=${() => setEditing(null)} />`}
    <${TrunkForm} onDone=${reloadAll} />
  </div>`;
}
