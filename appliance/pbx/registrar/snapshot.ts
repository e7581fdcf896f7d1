import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebouncedFileWriter } from '../../platform/debounced-file';
import type { Clock } from '../../sip/clock';
import type { Endpoint, Flow, TransportName } from '../../sip/transport/flow';
import type { Binding, ContactParam } from './location-store';

/**
 * Registrations survive a restart: the location store is written to
 * `<dataDir>/registrations.json` (atomically, debounced) and read back at start-up.
 * Phones re-register on their own schedule, so without this every extension would be
 * unreachable for up to an hour after an upgrade or a power cut.
 */

export const REGISTRATIONS_FILE = 'registrations.json';

interface RegistrationsDocument {
  version: 1;
  savedAt: string;
  bindings: Binding[];
}

export class RegistrationSnapshot {
  private readonly writer: DebouncedFileWriter;

  /**
   * `onError` hears about failed background saves (a scheduled save has no caller to
   * throw to); flush() rejects with its own failure instead.
   */
  constructor(
    dataDir: string,
    private readonly clock: Clock,
    debounceMs = 1000,
    onError: (err: unknown) => void = () => {},
  ) {
    this.writer = new DebouncedFileWriter(path.join(dataDir, REGISTRATIONS_FILE), clock, debounceMs, onError);
  }

  /** Save `getBindings()` after the debounce delay; calls in between share one write. */
  scheduleSave(getBindings: () => readonly Binding[]): void {
    this.writer.schedule(() => serializeRegistrations(getBindings(), this.clock.now()));
  }

  /** Write a pending save now and wait for every write to finish (before shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}

/** The snapshot document for `bindings` (expired ones left out). */
export function serializeRegistrations(bindings: readonly Binding[], now: number): string {
  const doc: RegistrationsDocument = {
    version: 1,
    savedAt: new Date(now).toISOString(),
    bindings: bindings.filter((b) => b.expiresAt > now),
  };
  return `${JSON.stringify(doc)}\n`;
}

/**
 * Bindings from a snapshot document: invalid entries are skipped with a warning,
 * expired ones silently, and `connectionId` is dropped (stream connection ids do not
 * outlive the process; the transport connects to `flow.remote` again when needed).
 * Throws SyntaxError when the text is not a snapshot document at all.
 */
export function parseRegistrations(text: string, now: number): { bindings: Binding[]; warnings: string[] } {
  const value: unknown = JSON.parse(text);
  if (!isObject(value) || value['version'] !== 1 || !Array.isArray(value['bindings'])) {
    throw new SyntaxError('not a registrations document of version 1');
  }
  const bindings: Binding[] = [];
  let bad = 0;
  for (const item of value['bindings'] as unknown[]) {
    const b = toBinding(item);
    if (b === undefined) bad++;
    else if (b.expiresAt > now) bindings.push(b);
  }
  return { bindings, warnings: bad > 0 ? [`${bad} invalid registration(s) skipped`] : [] };
}

/**
 * Read `<dataDir>/registrations.json`. Never throws: a missing file gives nothing; an
 * unreadable one a warning; a corrupt one is renamed to
 * `registrations.json.corrupt-<time>` (kept for inspection, never deleted) with a warning.
 */
export function loadRegistrations(dataDir: string, now: number): { bindings: Binding[]; warnings: string[] } {
  const file = path.join(dataDir, REGISTRATIONS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bindings: [], warnings: [] };
    return { bindings: [], warnings: [`cannot read ${file}: ${(err as Error).message}; starting without registrations`] };
  }
  try {
    const { bindings, warnings } = parseRegistrations(text, now);
    return { bindings, warnings: warnings.map((w) => `${file}: ${w}`) };
  } catch (err) {
    const why = (err as Error).message;
    const aside = corruptName(file, now);
    try {
      fs.renameSync(file, aside);
      return { bindings: [], warnings: [`${file} is corrupt (${why}); moved to ${aside}; starting without registrations`] };
    } catch (renameErr) {
      return {
        bindings: [],
        warnings: [`${file} is corrupt (${why}) and could not be moved aside (${(renameErr as Error).message}); starting without registrations`],
      };
    }
  }
}

/** `<file>.corrupt-20240131T120000Z`, with `-2`, `-3`… when that name is taken. */
function corruptName(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/\.\d{3}/, '').replace(/[-:]/g, '');
  const base = `${file}.corrupt-${stamp}`;
  let name = base;
  for (let n = 2; fs.existsSync(name); n++) name = `${base}-${n}`;
  return name;
}

const TRANSPORTS: readonly TransportName[] = ['UDP', 'TCP', 'TLS'];

function toBinding(v: unknown): Binding | undefined {
  if (!isObject(v)) return undefined;
  const { aor, contact, params, q, expiresAt, callId, cseq, flow, userAgent, registeredAt, updatedAt } = v;
  if (typeof aor !== 'string' || aor === '' || typeof contact !== 'string' || contact === '' || typeof callId !== 'string') return undefined;
  if (!isFiniteNumber(expiresAt) || !isFiniteNumber(registeredAt) || !Number.isInteger(cseq) || (cseq as number) < 0) return undefined;
  if (q !== undefined && (!isFiniteNumber(q) || q < 0 || q > 1)) return undefined;
  if (userAgent !== undefined && typeof userAgent !== 'string') return undefined;
  if (updatedAt !== undefined && !isFiniteNumber(updatedAt)) return undefined;
  const f = toFlow(flow);
  const p = toParams(params);
  if (f === undefined || p === undefined) return undefined;
  return {
    aor,
    contact,
    params: p,
    ...(q !== undefined ? { q } : {}),
    expiresAt,
    callId,
    cseq: cseq as number,
    flow: f,
    ...(userAgent !== undefined ? { userAgent } : {}),
    registeredAt,
    updatedAt: updatedAt ?? registeredAt,
  };
}

function toFlow(v: unknown): Flow | undefined {
  if (!isObject(v)) return undefined;
  const transport = v['transport'];
  if (typeof transport !== 'string' || !TRANSPORTS.includes(transport as TransportName)) return undefined;
  const local = toEndpoint(v['local']);
  const remote = toEndpoint(v['remote']);
  if (local === undefined || remote === undefined) return undefined;
  return { transport: transport as TransportName, local, remote }; // connectionId deliberately dropped
}

function toEndpoint(v: unknown): Endpoint | undefined {
  if (!isObject(v)) return undefined;
  const { address, port } = v;
  if (typeof address !== 'string' || address === '' || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) return undefined;
  return { address, port: port as number };
}

function toParams(v: unknown): ContactParam[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ContactParam[] = [];
  for (const p of v as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2) return undefined;
    const [name, value] = p as unknown[];
    if (typeof name !== 'string' || (value !== null && typeof value !== 'string')) return undefined;
    out.push([name, value]);
  }
  return out;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
