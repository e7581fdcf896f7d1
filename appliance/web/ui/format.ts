/** How numbers, sizes, times and durations are shown, in the UI's language. */
import { currentLanguage, t } from './i18n';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatPercent(value: number | null): string {
  return value === null ? t('common.notReported') : `${Math.round(value * 10) / 10} %`;
}

/** 93784 s → "1 d 2 h 3 min" / "1天 2小时 3分钟" (two largest units; seconds only under a minute). */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const parts: [number, 'unit.day' | 'unit.hour' | 'unit.minute' | 'unit.second'][] = [
    [Math.floor(s / 86400), 'unit.day'],
    [Math.floor((s % 86400) / 3600), 'unit.hour'],
    [Math.floor((s % 3600) / 60), 'unit.minute'],
    [s % 60, 'unit.second'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return t('unit.second', { n: 0 });
  const shown = parts.slice(first, first + 2).filter(([n], i) => n > 0 || i === 0);
  // Seconds matter only for short spans.
  const useful = s >= 60 ? shown.filter(([, unit]) => unit !== 'unit.second') : shown;
  return useful.map(([n, unit]) => t(unit, { n })).join(' ');
}

/** An ISO instant in the browser's zone, e.g. "2026-11-26 16:30:05". */
export function formatDateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(currentLanguage() === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/** `datetime-local` input text (no zone: the browser's) as an ISO instant the API accepts, '' when empty. */
export function localInputToIso(value: string): string {
  if (value === '') return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}
