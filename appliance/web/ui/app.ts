/**
 * The whole UI: the session decides between the login page and the console (header,
 * menu, the page the hash names). Language changes re-render from here, so every label
 * below follows at once.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Language } from '../../control/backend';
import { api, handleSessionLost, sessionApi, setCsrfToken, type SessionInfo } from './api';
import { html } from './html';
import { browserLanguage, setUiLanguage, t } from './i18n';
import { watchIdle } from './idle';
import { clearNotice, notifyError, notifySuccess } from './notices';
import { errorText } from './components';
import { Shell } from './shell';
import { LoginPage } from './pages/login';

type Phase =
  | { kind: 'starting' }
  | { kind: 'login'; reason: 'none' | 'expired' | 'logged-out' }
  | { kind: 'console'; session: SessionInfo };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [language, setLanguageState] = useState<Language>(() => setUiLanguage(browserLanguage()));

  const applyLanguage = useCallback((lang: Language) => setLanguageState(setUiLanguage(lang)), []);

  const enterConsole = useCallback(
    (session: SessionInfo) => {
      setCsrfToken(session.csrfToken);
      applyLanguage(session.language);
      setPhase({ kind: 'console', session });
    },
    [applyLanguage],
  );

  const toLogin = useCallback((reason: 'none' | 'expired' | 'logged-out') => {
    setCsrfToken('');
    clearNotice();
    setPhase({ kind: 'login', reason });
  }, []);

  // A page reload keeps the session (cookie): ask the server whether it is still valid.
  useEffect(() => {
    handleSessionLost(() => toLogin('expired'));
    sessionApi.current().then(enterConsole, () => toLogin('none'));
  }, []);

  // The browser's idle watch (idle.ts): log out and say why.
  const session = phase.kind === 'console' ? phase.session : undefined;
  useEffect(() => {
    if (session === undefined) return undefined;
    return watchIdle(session.idleTimeoutSeconds, () => {
      void sessionApi.logout().catch(() => undefined);
      toLogin('expired');
    });
  }, [session]);

  const changeLanguage = useCallback(
    async (lang: Language) => {
      if (phase.kind !== 'console') {
        applyLanguage(lang);
        return;
      }
      try {
        await api.put('/v1/settings/language', { language: lang });
        applyLanguage(lang);
        notifySuccess(t('language.saved'));
      } catch (e) {
        notifyError(errorText(e));
      }
    },
    [phase.kind, applyLanguage],
  );

  const logout = useCallback(async () => {
    try {
      await sessionApi.logout();
    } catch {
      // The session may already be gone; the login page is right either way.
    }
    toLogin('logged-out');
  }, [toLogin]);

  switch (phase.kind) {
    case 'starting':
      return html`<div class="starting" aria-busy="true">${t('common.loading')}</div>`;
    case 'login':
      return html`<${LoginPage} reason=${phase.reason} language=${language} onLanguage=${changeLanguage} onLoggedIn=${enterConsole} />`;
    case 'console':
      return html`<${Shell} user=${phase.session.user} language=${language} onLanguage=${changeLanguage} onLogout=${logout} />`;
  }
}
