/** EN / 中文: the two languages of the UI (and of the daemon's `language` setting). */
import type { Language } from '../../control/backend';
import { html } from './html';
import { t } from './i18n';

export function LanguageSwitch(props: { language: Language; onLanguage: (lang: Language) => void }) {
  const option = (lang: Language, label: string) =>
    html`<button
      type="button"
      class=${`lang${props.language === lang ? ' active' : ''}`}
      aria-pressed=${props.language === lang}
      lang=${lang}
      data-testid=${`lang-${lang}`}
      onClick=${() => props.language !== lang && props.onLanguage(lang)}
    >
      ${label}
    </button>`;
  return html`<div class="lang-switch" role="group" aria-label=${t('language.label')}>${option('en', 'EN')}${option('zh-CN', '中文')}</div>`;
}
