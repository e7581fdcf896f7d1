/**
 * Debian's chromium driven by playwright-core for the web admin's browser tests: the
 * launch (no sandbox: the tests run as root, in a private network namespace), a page
 * that trusts the daemon's self-signed certificate, the errors a page must never show
 * (uncaught exceptions, Content-Security-Policy refusals), and where screenshots go.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './paths';

export const CHROMIUM_PATH = process.env.EDGESIP_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // --no-sandbox: chromium refuses to run as root with its sandbox. The daemon's
    // certificate is self-signed; the context below accepts it.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

export interface AdminPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and CSP refusals seen so far (expected empty). */
  problems: string[];
}

/** A fresh context (no cookies) on a desktop-sized window, English unless `locale` says otherwise. */
export async function openAdminPage(browser: Browser, options: { locale?: string } = {}): Promise<AdminPage> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1400, height: 900 },
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed fetches (401 before login, the 403 of a refused request) are logged by the
    // browser too and are expected; a CSP refusal or a script error is not.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

/** test-artifacts/screenshots/ under the repository root, created when missing. */
export function screenshotDir(): string {
  const dir = join(repoRoot(), 'test-artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a full-page screenshot as `<name>.png` in screenshotDir(); returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
