/** The console around every page: header (product, user, language, logout), left menu, content. */
import { useEffect } from 'preact/hooks';
import { html } from './html';
import { t } from './i18n';
import { LanguageSwitch } from './language-switch';
import { clearNotice, NoticeArea } from './notices';
import type { PageProps } from './page-props';
import { hrefOf, PAGE_IDS, useCurrentPage, type PageId } from './router';
import { CallsPage } from './pages/calls';
import { DiagnosticsPage } from './pages/diagnostics';
import { DialPlanPage } from './pages/dialplan';
import { ExtensionsPage } from './pages/extensions';
import { RegistrationsPage } from './pages/registrations';
import { ServicesPage } from './pages/services';
import { SettingsPage } from './pages/settings';
import { StatusPage } from './pages/status';
import { TrunksPage } from './pages/trunks';


const PAGES: Record<PageId, (props: PageProps) => unknown> = {
  status: StatusPage,
  extensions: ExtensionsPage,
  registrations: RegistrationsPage,
  trunks: TrunksPage,
  dialplan: DialPlanPage,
  services: ServicesPage,
  calls: CallsPage,
  diagnostics: DiagnosticsPage,
  settings: SettingsPage,
};

const menuLabel = (page: PageId): string => t(`nav.${page}`);

export function Shell(props: PageProps & { onLogout: () => void }) {
  const page = useCurrentPage();
  const Page = PAGES[page];
  // A notice belongs to the page whose action it reports.
  useEffect(() => clearNotice, [page]);
  return html`<div class="console">
    <header class="topbar">
      <a class="brand" href=${hrefOf('status')}>EdgeSIP <span class="brand-sub">${t('app.subtitle')}</span></a>
      <div class="topbar-right">
        <span class="user" data-testid="current-user" title=${t('header.loggedInAs')}>${props.user}</span>
        <${LanguageSwitch} language=${props.language} onLanguage=${props.onLanguage} />
        <button type="button" class="btn" data-testid="logout" onClick=${props.onLogout}>${t('header.logout')}</button>
      </div>
    </header>
    <nav class="menu" aria-label=${t('nav.label')}>
      <ul>
        ${PAGE_IDS.map(
          (id) => html`<li>
            <a href=${hrefOf(id)} class=${id === page ? 'active' : ''} aria-current=${id === page ? 'page' : undefined} data-testid=${`nav-${id}`}>${menuLabel(id)}</a>
          </li>`,
        )}
      </ul>
    </nav>
    <main class="content" data-testid=${`page-${page}`}>
      <${NoticeArea} />
      <${Page} key=${page} user=${props.user} language=${props.language} onLanguage=${props.onLanguage} />
    </main>
  </div>`;
}
