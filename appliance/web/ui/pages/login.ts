/** The login form, with why it is shown (session expired, logged out) and lockouts. */
import { useState } from 'preact/hooks';
import type { Language } from '../../../control/backend';
import { ApiError, sessionApi, type SessionInfo } from '../api';
import { errorText, onSubmit, TextField, useAction } from '../components';
import { html } from '../html';
import { t } from '../i18n';
import { LanguageSwitch } from '../language-switch';

function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'EDGESIP_ERR_LOGIN') return t('login.wrong');
    if (error.code === 'EDGESIP_ERR_LOCKED') {
      const minutes = Math.max(1, Math.ceil((error.retryAfterSeconds ?? 60) / 60));
      return t('login.locked', { minutes });
    }
  }
  return errorText(error);
}

export function LoginPage(props: {
  reason: 'none' | 'expired' | 'logged-out';
  language: Language;
  onLanguage: (lang: Language) => void;
  onLoggedIn: (session: SessionInfo) => void;
}) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();

  const submit = () =>
    action.run(async () => {
      const session = await sessionApi.login(user.trim(), password);
      props.onLoggedIn(session);
    });

  return html`<div class="login-page">
    <div class="login-lang"><${LanguageSwitch} language=${props.language} onLanguage=${props.onLanguage} /></div>
    <form class="login-box" data-testid="login-form" onSubmit=${onSubmit(submit)} novalidate>
      <h1>EdgeSIP</h1>
      <p class="muted">${t('login.title')}</p>
      ${props.reason === 'expired' && html`<p class="notice notice-warning" role="status" data-testid="session-expired">${t('login.expired')}</p>`}
      ${props.reason === 'logged-out' && html`<p class="notice notice-success" role="status" data-testid="logged-out">${t('login.loggedOut')}</p>`}
      <${TextField} id="login-user" name="user" label=${t('login.user')} value=${user} onInput=${setUser} autocomplete="username" required />
      <${TextField}
        id="login-password"
        name="password"
        type="password"
        label=${t('login.password')}
        value=${password}
        onInput=${setPassword}
        autocomplete="current-password"
        required
      />
      ${action.error !== null && html`<p class="form-error" role="alert" data-testid="login-error">${loginErrorText(action.error)}</p>`}
      <button type="submit" class="btn btn-primary" data-testid="login-submit" disabled=${action.busy || user.trim() === '' || password === ''}>
        ${t('login.submit')}
      </button>
    </form>
  </div>`;
}
