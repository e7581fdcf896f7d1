/**
 * Building blocks every page uses: labelled fields that show the server's message for
 * their field, a form error for what no field claims, data loading with its error, and
 * a two-step button for destructive actions.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { html } from './html';
import { t } from './i18n';

// ---- errors ---------------------------------------------------------------------

/** True when the server's `field` names this input (`allowedNetworks[1]` belongs to `allowedNetworks`). */
export function errorBelongsTo(error: unknown, name: string): boolean {
  if (!(error instanceof ApiError) || error.field === undefined) return false;
  const f = error.field;
  return f === name || f.startsWith(`${name}[`) || f.startsWith(`${name}.`);
}

/** The message to show next to input `name`, if the error is about it. */
export function fieldError(error: unknown, name: string): string | undefined {
  if (!errorBelongsTo(error, name)) return undefined;
  const f = (error as ApiError).field as string;
  // Name the list item the server means ("allowedNetworks[1]" → "(2)") so the user finds it.
  const item = /\[(\d+)\]$/.exec(f);
  const where = item ? `${t('error.item', { n: Number(item[1]) + 1 })} ` : '';
  return where + (error as ApiError).message;
}

/** A readable message for any failure (network, session, refusal). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return t('error.network');
    if (error.code === 'EDGESIP_ERR_CSRF') return t('error.csrf');
    const prefix = error.field !== undefined && error.field !== '(body)' ? `${error.field}: ` : '';
    return prefix + error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The error of a form that none of its `fields` shows. */
export function FormError(props: { error: unknown; fields?: readonly string[] }) {
  const { error, fields = [] } = props;
  if (error === null || error === undefined) return null;
  if (fields.some((f) => errorBelongsTo(error, f))) return null;
  return html`<p class="form-error" role="alert" data-testid="form-error">${errorText(error)}</p>`;
}

// ---- fields ---------------------------------------------------------------------

interface FieldProps {
  id: string;
  label: string;
  /** The server's field name this input fills (for its error); the id when absent. */
  name?: string;
  error?: unknown;
  hint?: string;
}

function FieldShell(props: FieldProps & { children: ComponentChildren }) {
  const message = fieldError(props.error, props.name ?? props.id);
  return html`<div class=${`field${message ? ' has-error' : ''}`}>
    <label for=${props.id}>${props.label}</label>
    ${props.children}
    ${props.hint && html`<small class="hint" id=${`${props.id}-hint`}>${props.hint}</small>`}
    ${message && html`<small class="field-error" id=${`${props.id}-error`} role="alert" data-testid=${`error-${props.name ?? props.id}`}>${message}</small>`}
  </div>`;
}

function describedBy(props: FieldProps): string | undefined {
  const ids = [props.hint ? `${props.id}-hint` : '', fieldError(props.error, props.name ?? props.id) ? `${props.id}-error` : ''].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

export function TextField(
  props: FieldProps & {
    value: string;
    onInput: (value: string) => void;
    type?: 'text' | 'password' | 'number' | 'datetime-local' | 'search';
    required?: boolean;
    disabled?: boolean;
    placeholder?: string;
    autocomplete?: string;
  },
) {
  return html`<${FieldShell} ...${props}>
    <input
      id=${props.id}
      name=${props.name ?? props.id}
      type=${props.type ?? 'text'}
      value=${props.value}
      required=${props.required}
      disabled=${props.disabled}
      placeholder=${props.placeholder}
      autocomplete=${props.autocomplete ?? 'off'}
      aria-invalid=${fieldError(props.error, props.name ?? props.id) ? 'true' : undefined}
      aria-describedby=${describedBy(props)}
      onInput=${(e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value)}
    />
  <//>`;
}

export function TextAreaField(props: FieldProps & { value: string; onInput: (value: string) => void; rows?: number; placeholder?: string }) {
  return html`<${FieldShell} ...${props}>
    <textarea
      id=${props.id}
      name=${props.name ?? props.id}
      rows=${props.rows ?? 3}
      value=${props.value}
      placeholder=${props.placeholder}
      spellcheck=${false}
      aria-describedby=${describedBy(props)}
      onInput=${(e: Event) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
    ></textarea>
  <//>`;
}

export function SelectField<V extends string>(
  props: FieldProps & { value: V; options: readonly { value: V; label: string }[]; onChange: (value: V) => void; disabled?: boolean },
) {
  return html`<${FieldShell} ...${props}>
    <select
      id=${props.id}
      name=${props.name ?? props.id}
      disabled=${props.disabled}
      aria-describedby=${describedBy(props)}
      onChange=${(e: Event) => props.onChange((e.currentTarget as HTMLSelectElement).value as V)}
    >
      ${props.options.map((o) => html`<option value=${o.value} selected=${o.value === props.value}>${o.label}</option>`)}
    </select>
  <//>`;
}

export function CheckField(props: FieldProps & { checked: boolean; onChange: (checked: boolean) => void }) {
  const message = fieldError(props.error, props.name ?? props.id);
  return html`<div class="field field-check">
    <input
      id=${props.id}
      name=${props.name ?? props.id}
      type="checkbox"
      checked=${props.checked}
      onChange=${(e: Event) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
    />
    <label for=${props.id}>${props.label}</label>
    ${message && html`<small class="field-error" role="alert">${message}</small>`}
  </div>`;
}

// ---- actions --------------------------------------------------------------------

/**
 * Runs one submission at a time and keeps its error: `run` resolves true when the
 * action succeeded. Inputs stay as typed either way (the caller clears them on success).
 */
export function useAction(): { busy: boolean; error: unknown; run: (action: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}

/** Prevents the browser's own submission and hands over to `action`. */
export const onSubmit = (action: () => void) => (e: Event) => {
  e.preventDefault();
  action();
};

/**
 * A destructive action in two clicks: the button turns into "Really? [Yes] [Cancel]"
 * inside the row, so nothing is removed by a stray click and no modal dialog is needed.
 */
export function ConfirmButton(props: { label: string; question: string; onConfirm: () => void; testid: string; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class="btn btn-danger" data-testid=${props.testid} disabled=${props.disabled} onClick=${() => setAsking(true)}>
      ${props.label}
    </button>`;
  }
  return html`<span class="confirm" role="group" aria-label=${props.question}>
    <span class="confirm-question">${props.question}</span>
    <button
      type="button"
      class="btn btn-danger"
      data-testid="confirm-yes"
      onClick=${() => {
        setAsking(false);
        props.onConfirm();
      }}
    >
      ${t('action.confirm')}
    </button>
    <button type="button" class="btn" data-testid="confirm-no" onClick=${() => setAsking(false)}>${t('action.cancel')}</button>
  </span>`;
}

// ---- loading --------------------------------------------------------------------

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads `loader` on mount and on `reload`; the last data stays shown while reloading. */
export function useLoad<T>(loader: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const alive = useRef(true);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const value = await loaderRef.current();
      if (!alive.current) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (alive.current) setError(e);
    } finally {
      if (alive.current) setLoading(false);
    }
  }, []);
  useEffect(() => {
    alive.current = true;
    void reload();
    return () => {
      alive.current = false;
    };
  }, deps);
  return { data, error, loading, reload };
}

/**
 * Calls `reload` every `ms` while the tab is visible, for live figures. The UI's own
 * idle watch (app.ts) still ends an unattended session: these calls are not user activity.
 */
export function usePolling(reload: () => Promise<void>, ms: number): void {
  useEffect(() => {
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, ms);
    return () => window.clearInterval(id);
  }, [reload, ms]);
}

/** The loading / error line of a section whose data is `loaded`. */
export function LoadState(props: { loaded: Loaded<unknown> }) {
  const { loaded } = props;
  if (loaded.error !== null) return html`<p class="form-error" role="alert" data-testid="load-error">${errorText(loaded.error)}</p>`;
  if (loaded.loading && loaded.data === undefined) return html`<p class="muted" data-testid="loading">${t('common.loading')}</p>`;
  return null;
}

/** A section of a page: heading, optional tools on the right, content. */
export function Section(props: { title: string; tools?: ComponentChildren; testid?: string; children: ComponentChildren }) {
  return html`<section class="panel" data-testid=${props.testid}>
    <div class="panel-head">
      <h2>${props.title}</h2>
      ${props.tools && html`<div class="panel-tools">${props.tools}</div>`}
    </div>
    ${props.children}
  </section>`;
}

export function RefreshButton(props: { onClick: () => void; busy?: boolean }) {
  return html`<button type="button" class="btn" data-testid="refresh" disabled=${props.busy} onClick=${props.onClick}>${t('action.refresh')}</button>`;
}

/** An empty-table line spanning `columns`. */
export function EmptyRow(props: { columns: number; text?: string }) {
  return html`<tr class="empty"><td colspan=${props.columns}>${props.text ?? t('common.none')}</td></tr>`;
}
