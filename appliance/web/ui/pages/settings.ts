/** Settings: ports and TLS versions, the certificate, the language, the own password, admin accounts. */
import { useEffect, useState } from 'preact/hooks';
import type { AdminAccountView, Language, ServiceSettingsView, TlsCertificateView } from '../../../control/backend';
import { api, ApiError, seg, sessionApi } from '../api';
import { ConfirmButton, EmptyRow, errorText, FormError, LoadState, onSubmit, Section, SelectField, TextAreaField, TextField, useAction, useLoad } from '../components';
import { formatDateTime } from '../format';
import { numberOrText } from '../form-values';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';
import type { PageProps } from '../page-props';

const TLS_VERSIONS = [
  { value: 'TLSv1.2', label: 'TLS 1.2' },
  { value: 'TLSv1.3', label: 'TLS 1.3' },
] as const;

/** The digest challenges offered, most preferred first: every list the API accepts, as "A,B". */
const DIGEST_CHOICES = () =>
  [
    { value: 'SHA-256,MD5', label: t('settings.digestShaThenMd5') },
    { value: 'MD5,SHA-256', label: t('settings.digestMd5ThenSha') },
    { value: 'SHA-256', label: t('settings.digestShaOnly') },
    { value: 'MD5', label: t('settings.digestMd5Only') },
  ] as const;

type SettingsDraft = Record<'sipPort' | 'sipTlsPort' | 'sipTls' | 'digest' | 'webPort' | 'webRedirect' | 'webTls' | 'idle', string>;

function draftOf(s: ServiceSettingsView): SettingsDraft {
  return {
    sipPort: String(s.sip.port),
    sipTlsPort: String(s.sip.tlsPort),
    sipTls: s.sip.tlsMinVersion,
    digest: s.sip.digestAlgorithms.join(','),
    webPort: String(s.web.port),
    webRedirect: String(s.web.httpRedirectPort),
    webTls: s.web.tlsMinVersion,
    idle: String(s.web.idleTimeoutMinutes),
  };
}

function ServiceSettingsForm(props: { settings: ServiceSettingsView; onSaved: (s: ServiceSettingsView) => void }) {
  const [d, setD] = useState<SettingsDraft>(() => draftOf(props.settings));
  const action = useAction();
  const set = (k: keyof SettingsDraft) => (v: string) => setD((prev) => ({ ...prev, [k]: v }));
  const e = action.error;
  const submit = async () => {
    const body = {
      sip: { port: numberOrText(d.sipPort), tlsPort: numberOrText(d.sipTlsPort), tlsMinVersion: d.sipTls, digestAlgorithms: d.digest.split(',') as ServiceSettingsView['sip']['digestAlgorithms'] },
      web: { port: numberOrText(d.webPort), httpRedirectPort: numberOrText(d.webRedirect), tlsMinVersion: d.webTls, idleTimeoutMinutes: numberOrText(d.idle) },
    };
    let saved: ServiceSettingsView | undefined;
    const ok = await action.run(async () => {
      saved = await api.patch<ServiceSettingsView>('/v1/settings', body);
    });
    if (!ok || saved === undefined) return;
    notifySuccess(t('settings.saved'));
    props.onSaved(saved);
  };
  return html`<form class="form-grid" data-testid="settings-form" onSubmit=${onSubmit(submit)} novalidate>
    <fieldset class="form-grid span-all">
      <legend>SIP</legend>
      <${TextField} id="set-sip-port" name="sip.port" type="number" label=${t('settings.sipPort')} value=${d.sipPort} onInput=${set('sipPort')} error=${e} />
      <${TextField} id="set-sip-tls-port" name="sip.tlsPort" type="number" label=${t('settings.sipTlsPort')} value=${d.sipTlsPort} onInput=${set('sipTlsPort')} error=${e} />
      <${SelectField} id="set-sip-tls" name="sip.tlsMinVersion" label=${t('settings.tlsMinVersion')} value=${d.sipTls} options=${TLS_VERSIONS} onChange=${set('sipTls')} error=${e} />
      <${SelectField}
        id="set-digest"
        name="sip.digestAlgorithms"
        label=${t('settings.digestAlgorithms')}
        hint=${t('settings.digestAlgorithmsHint')}
        value=${d.digest}
        options=${DIGEST_CHOICES()}
        onChange=${set('digest')}
        error=${e}
      />
    </fieldset>
    <fieldset class="form-grid span-all">
      <legend>${t('settings.web')}</legend>
      <${TextField} id="set-web-port" name="web.port" type="number" label=${t('settings.webPort')} value=${d.webPort} onInput=${set('webPort')} error=${e} />
      <${TextField}
        id="set-web-redirect"
        name="web.httpRedirectPort"
        type="number"
        label=${t('settings.httpRedirectPort')}
        hint=${t('settings.httpRedirectPortHint')}
        value=${d.webRedirect}
        onInput=${set('webRedirect')}
        error=${e}
      />
      <${SelectField} id="set-web-tls" name="web.tlsMinVersion" label=${t('settings.tlsMinVersion')} value=${d.webTls} options=${TLS_VERSIONS} onChange=${set('webTls')} error=${e} />
      <${TextField} id="set-idle" name="web.idleTimeoutMinutes" type="number" label=${t('settings.idleTimeout')} value=${d.idle} onInput=${set('idle')} error=${e} />
    </fieldset>
    <p class="hint span-all">${t('settings.applyHint')}</p>
    <${FormError} error=${e} fields=${['sip', 'web']} />
    <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="settings-submit" disabled=${action.busy}>${t('action.save')}</button></div>
  </form>`;
}

function ServiceSettingsSection() {
  const loaded = useLoad(() => api.get<ServiceSettingsView>('/v1/settings'));
  const [current, setCurrent] = useState<ServiceSettingsView | undefined>(undefined);
  const settings = current ?? loaded.data;
  return html`<${Section} title=${t('settings.ports')} testid="service-settings">
    <${LoadState} loaded=${loaded} />
    ${settings?.restartRequired && html`<p class="notice notice-warning" role="status" data-testid="restart-required">${t('settings.restartRequired')}</p>`}
    ${loaded.data !== undefined && html`<${ServiceSettingsForm} settings=${loaded.data} onSaved=${setCurrent} />`}
  <//>`;
}

/** Reads a chosen file into a text field (the PEM files of a certificate and its key). */
function FilePicker(props: { id: string; label: string; onText: (text: string) => void }) {
  return html`<div class="field">
    <label for=${props.id}>${props.label}</label>
    <input
      id=${props.id}
      type="file"
      accept=".pem,.crt,.cer,.key,text/plain"
      onChange=${async (e: Event) => {
        const file = (e.currentTarget as HTMLInputElement).files?.[0];
        if (file !== undefined) props.onText(await file.text());
      }}
    />
  </div>`;
}

function TlsSection() {
  const loaded = useLoad(() => api.get<TlsCertificateView>('/v1/tls'));
  const [cert, setCert] = useState('');
  const [key, setKey] = useState('');
  const action = useAction();
  const tls = loaded.data;
  const install = async () => {
    const ok = await action.run(() => api.put('/v1/tls', { cert, key }));
    if (!ok) return;
    notifySuccess(t('tls.installed'));
    setCert('');
    setKey('');
    await loaded.reload();
  };
  const row = (label: string, value: unknown, testid: string) => html`<tr data-testid=${testid}><th scope="row">${label}</th><td class="wrap mono">${value}</td></tr>`;
  return html`<${Section} title=${t('tls.title')} testid="tls">
    <${LoadState} loaded=${loaded} />
    ${tls?.expiryWarning &&
    html`<p class="notice notice-warning" role="alert" data-testid="tls-warning">${tls.daysLeft < 0 ? t('tls.expired') : t('tls.expiresSoon', { days: tls.daysLeft })}</p>`}
    ${tls !== undefined &&
    html`<table class="kv" data-testid="tls-info">
      <tbody>
        ${row(t('tls.subject'), tls.subject, 'tls-subject')}
        ${row(t('tls.issuer'), tls.issuer, 'tls-issuer')}
        ${row(t('tls.altNames'), tls.subjectAltName || '—', 'tls-san')}
        ${row(t('tls.notBefore'), formatDateTime(tls.notBefore), 'tls-not-before')}
        ${row(t('tls.notAfter'), formatDateTime(tls.notAfter), 'tls-not-after')}
        ${row(t('tls.daysLeft'), tls.daysLeft, 'tls-days-left')}
        ${row(t('tls.selfSigned'), tls.selfSigned ? t('common.yes') : t('common.no'), 'tls-self-signed')}
        ${row(t('tls.fingerprint'), tls.fingerprint256, 'tls-fingerprint')}
        ${row(t('tls.file'), tls.certFile, 'tls-file')}
      </tbody>
    </table>`}
    <h3>${t('tls.install')}</h3>
    <p class="hint">${t('tls.installHint')}</p>
    <form class="form-grid" data-testid="tls-form" onSubmit=${onSubmit(install)} novalidate>
      <${FilePicker} id="tls-cert-file" label=${t('tls.certFile')} onText=${setCert} />
      <${FilePicker} id="tls-key-file" label=${t('tls.keyFile')} onText=${setKey} />
      <${TextAreaField} id="tls-cert" name="cert" label=${t('tls.cert')} rows=${6} placeholder="-----BEGIN CERTIFICATE-----" value=${cert} onInput=${setCert} error=${action.error} />
      <${TextAreaField} id="tls-key" name="key" label=${t('tls.key')} rows=${6} placeholder="-----BEGIN PRIVATE KEY-----" value=${key} onInput=${setKey} error=${action.error} />
      <${FormError} error=${action.error} fields=${['cert', 'key']} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid="tls-submit" disabled=${action.busy || cert === '' || key === ''}>${t('tls.installButton')}</button>
      </div>
    </form>
  <//>`;
}

function LanguageSection(props: PageProps) {
  const [choice, setChoice] = useState<Language>(props.language);
  useEffect(() => setChoice(props.language), [props.language]);
  return html`<${Section} title=${t('language.label')} testid="language">
    <p class="hint">${t('language.hint')}</p>
    <form class="form-grid" data-testid="language-form" onSubmit=${onSubmit(() => void props.onLanguage(choice))} novalidate>
      <${SelectField}
        id="language-select"
        name="language"
        label=${t('language.label')}
        value=${choice}
        options=${[
          { value: 'en', label: 'English' },
          { value: 'zh-CN', label: '简体中文' },
        ]}
        onChange=${setChoice}
      />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="language-submit" disabled=${choice === props.language}>${t('action.save')}</button></div>
    </form>
  <//>`;
}

function PasswordSection(props: { user: string }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const action = useAction();
  const submit = async () => {
    const ok = await action.run(async () => {
      if (password !== repeat) throw new ApiError(400, 'LOCAL', t('account.mismatch'), 'repeat');
      try {
        await sessionApi.changePassword(current, password);
      } catch (e) {
        // The server says only "wrong login"; put it next to the field it is about.
        if (e instanceof ApiError && e.code === 'EDGESIP_ERR_LOGIN') throw new ApiError(e.status, e.code, t('account.wrongCurrent'), 'current');
        throw e;
      }
    });
    if (!ok) return;
    notifySuccess(t('account.changed'));
    setCurrent('');
    setPassword('');
    setRepeat('');
  };
  const e = action.error;
  return html`<${Section} title=${t('account.title', { user: props.user })} testid="own-password">
    <form class="form-grid" data-testid="password-form" onSubmit=${onSubmit(submit)} novalidate>
      <${TextField} id="pw-current" name="current" type="password" label=${t('account.current')} value=${current} onInput=${setCurrent} error=${e} autocomplete="current-password" />
      <${TextField} id="pw-new" name="password" type="password" label=${t('account.new')} hint=${t('account.rules')} value=${password} onInput=${setPassword} error=${e} autocomplete="new-password" />
      <${TextField} id="pw-repeat" name="repeat" type="password" label=${t('account.repeat')} value=${repeat} onInput=${setRepeat} error=${e} autocomplete="new-password" />
      <${FormError} error=${e} fields=${['current', 'password', 'repeat']} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid="password-submit" disabled=${action.busy || current === '' || password === ''}>${t('account.change')}</button>
      </div>
    </form>
  <//>`;
}

function AdminsSection(props: { user: string }) {
  const loaded = useLoad(() => api.get<AdminAccountView[]>('/v1/admins'));
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const addAction = useAction();
  const admins = loaded.data ?? [];

  const add = async () => {
    const ok = await addAction.run(() => api.post('/v1/admins', { user: user.trim(), password }));
    if (!ok) return;
    notifySuccess(t('admin.added', { user: user.trim() }));
    setUser('');
    setPassword('');
    await loaded.reload();
  };
  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      notifySuccess(done);
      await loaded.reload();
    } catch (e) {
      notifyError(errorText(e));
    }
  };

  return html`<${Section} title=${t('admin.title')} testid="admins">
    <${LoadState} loaded=${loaded} />
    <table data-testid="admin-table">
      <thead>
        <tr>
          <th scope="col">${t('admin.user')}</th>
          <th scope="col">${t('admin.created')}</th>
          <th scope="col">${t('admin.passwordChanged')}</th>
          <th scope="col">${t('admin.locked')}</th>
          <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${loaded.data !== undefined && admins.length === 0 && html`<${EmptyRow} columns=${5} />`}
        ${admins.map(
          (a) => html`<tr data-testid=${`row-${a.user}`}>
            <th scope="row">${a.user}${a.user === props.user && html` <span class="badge ok">${t('admin.you')}</span>`}</th>
            <td>${formatDateTime(a.createdAt)}</td>
            <td>${formatDateTime(a.passwordChangedAt)}</td>
            <td>${a.lockedUntil === null ? t('common.no') : t('admin.lockedUntil', { time: formatDateTime(a.lockedUntil) })}</td>
            <td class="actions">
              ${a.lockedUntil !== null &&
              html`<button type="button" class="btn" data-testid=${`unlock-${a.user}`} onClick=${() => act(() => api.post(`/v1/admins/${seg(a.user)}/unlock`), t('admin.unlocked', { user: a.user }))}>
                ${t('admin.unlock')}
              </button>`}
              ${a.user !== props.user &&
              html`<${ConfirmButton}
                label=${t('action.delete')}
                question=${t('admin.confirmDelete', { user: a.user })}
                testid=${`delete-${a.user}`}
                onConfirm=${() => act(() => api.del(`/v1/admins/${seg(a.user)}`), t('admin.removed', { user: a.user }))}
              />`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h3>${t('admin.add')}</h3>
    <form class="form-grid" data-testid="admin-add-form" onSubmit=${onSubmit(add)} novalidate>
      <${TextField} id="admin-user" name="user" label=${t('admin.user')} hint=${t('admin.userHint')} value=${user} onInput=${setUser} error=${addAction.error} />
      <${TextField}
        id="admin-password"
        name="password"
        type="password"
        label=${t('login.password')}
        hint=${t('account.rules')}
        value=${password}
        onInput=${setPassword}
        error=${addAction.error}
        autocomplete="new-password"
      />
      <${FormError} error=${addAction.error} fields=${['user', 'password']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="admin-add-submit" disabled=${addAction.busy}>${t('action.add')}</button></div>
    </form>
  <//>`;
}

export function SettingsPage(props: PageProps) {
  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.settings')}</h1></div>
    <${ServiceSettingsSection} />
    <${TlsSection} />
    <${LanguageSection} ...${props} />
    <${PasswordSection} user=${props.user} />
    <${AdminsSection} user=${props.user} />
  </div>`;
}
