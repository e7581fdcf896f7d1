/**
 * The notice shown after every change ("Extension 101 saved") or when an action outside
 * a form fails. One notice at a time, in a fixed place at the top of the content, gone
 * after a while or replaced by the next.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html';
import { t } from './i18n';

const SHOW_MS = 6000;

interface Notice {
  kind: 'success' | 'error';
  text: string;
}

type Listener = (notice: Notice | null) => void;
const listeners = new Set<Listener>();
let current: Notice | null = null;
let timer: number | undefined;

function publish(notice: Notice | null): void {
  current = notice;
  for (const l of listeners) l(notice);
}

function show(notice: Notice): void {
  window.clearTimeout(timer);
  publish(notice);
  timer = window.setTimeout(() => publish(null), SHOW_MS);
}

/** Shows `text` as the success notice of a change. */
export const notifySuccess = (text: string): void => show({ kind: 'success', text });

/** Shows `text` as the failure of an action that has no form to show it in. */
export const notifyError = (text: string): void => show({ kind: 'error', text });

export function clearNotice(): void {
  window.clearTimeout(timer);
  publish(null);
}

export function NoticeArea() {
  const [notice, setNotice] = useState<Notice | null>(current);
  useEffect(() => {
    listeners.add(setNotice);
    return () => {
      listeners.delete(setNotice);
    };
  }, []);
  if (notice === null) return html`<div class="notice-area" aria-live="polite"></div>`;
  return html`<div class="notice-area" aria-live="polite">
    <p class=${`notice notice-${notice.kind}`} role=${notice.kind === 'error' ? 'alert' : 'status'} data-testid=${`notice-${notice.kind}`}>
      ${notice.text}
      <button type="button" class="notice-close" aria-label=${t('action.close')} onClick=${clearNotice}>×</button>
    </p>
  </div>`;
}
