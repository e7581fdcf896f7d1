import type { Clock, TimerHandle } from '../../sip/clock';
import { parseUri, uriEquals, type Uri } from '../../sip/message/uri';
import type { Flow } from '../../sip/transport/flow';

/**
 * The location service (RFC 3261 §10): contact bindings per address-of-record. The AOR
 * is the extension number. Bindings are immutable values; an update replaces them.
 */

/** A contact header parameter as received: name lower-cased, value as written (quotes kept). */
export type ContactParam = readonly [name: string, value: string | null];

export interface Binding {
  /** The address-of-record: the extension number. */
  readonly aor: string;
  /** The contact URI exactly as registered, URI parameters and escaped headers included. */
  readonly contact: string;
  /** Contact header parameters other than expires and q (+sip.instance, reg-id, unknown ones). */
  readonly params: readonly ContactParam[];
  readonly q?: number;
  /** Epoch ms after which the binding is gone. */
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** The flow the REGISTER came in on: where requests for this contact are sent (NAT). */
  readonly flow: Flow;
  readonly userAgent?: string;
  /** When this contact was first bound (epoch ms). */
  readonly registeredAt: number;
  /** When it was last added or refreshed (epoch ms); "oldest" and "most recent" use this. */
  readonly updatedAt: number;
}

/** One Contact of a REGISTER, already validated by the registrar. */
export interface ContactChange {
  contact: string;
  params: readonly ContactParam[];
  q?: number;
  /** Granted seconds; 0 removes the binding. */
  expires: number;
}

/** What identifies the REGISTER making the change (§10.3 step 6/7 ordering checks). */
export interface RegisterContext {
  callId: string;
  cseq: number;
  flow: Flow;
  userAgent?: string;
}

export type BindingEvent =
  | { kind: 'added'; binding: Binding }
  | { kind: 'refreshed'; binding: Binding }
  | { kind: 'removed'; binding: Binding }
  /** Dropped to make room for a new contact beyond maxContacts. */
  | { kind: 'replaced'; binding: Binding };

export type UpdateResult =
  | { ok: true; events: BindingEvent[] }
  /** Same Call-ID as a stored binding with a CSeq not higher: nothing was changed. */
  | { ok: false; reason: 'out-of-order'; contact: string; storedCseq: number };

export interface LocationStoreOptions {
  clock: Clock;
  /** How often expired bindings are swept; default 30 s. */
  sweepIntervalMs?: number;
  /** Called after every change made by update(), removeAll(), remove() or clear(); not by expiry or restore(). */
  onChange?: () => void;
}

/** A binding without q ranks as q=1.0 (RFC 3261 names no default; this is the common reading). */
const DEFAULT_Q = 1;

interface Entry {
  binding: Binding;
  uri: Uri | undefined;
}

export class LocationStore {
  private readonly aors = new Map<string, Entry[]>();
  private readonly clock: Clock;
  private readonly sweepIntervalMs: number;
  private readonly onChange: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(options: LocationStoreOptions) {
    this.clock = options.clock;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    this.onChange = options.onChange;
    this.arm();
  }

  /**
   * Apply the Contacts of one REGISTER to `aor`, all or nothing (§10.3 step 7). A
   * contact matches a stored binding when the URIs are equal (§19.1.4) or when both
   * carry the same +sip.instance and reg-id (RFC 5626/5627: the same device). If any
   * matched binding has the request's Call-ID and a CSeq at or above the request's,
   * the request is out of order and nothing changes. New contacts beyond
   * `maxContacts` replace the least recently refreshed binding.
   */
  update(aor: string, changes: readonly ContactChange[], ctx: RegisterContext, maxContacts: number): UpdateResult {
    const now = this.clock.now();
    const current = this.live(aor, now);
    const parsed = changes.map((c) => ({ change: c, uri: safeParse(c.contact) }));
    for (const { change, uri } of parsed) {
      for (const e of current) {
        if (!matches(e, change, uri)) continue;
        if (e.binding.callId === ctx.callId && ctx.cseq <= e.binding.cseq) {
          return { ok: false, reason: 'out-of-order', contact: change.contact, storedCseq: e.binding.cseq };
        }
      }
    }
    const next = [...current];
    const events: BindingEvent[] = [];
    for (const { change, uri } of parsed) {
      const at = next.findIndex((e) => matches(e, change, uri));
      if (change.expires === 0) {
        if (at >= 0) {
          events.push({ kind: 'removed', binding: next[at]!.binding });
          next.splice(at, 1);
        }
        continue;
      }
      const old = at >= 0 ? next[at]!.binding : undefined;
      const binding: Binding = {
        aor,
        contact: change.contact,
        params: change.params.map(([n, v]) => [n, v] as const),
        ...(change.q !== undefined ? { q: change.q } : {}),
        expiresAt: now + change.expires * 1000,
        callId: ctx.callId,
        cseq: ctx.cseq,
        flow: copyFlow(ctx.flow),
        ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
        registeredAt: old?.registeredAt ?? now,
        updatedAt: now,
      };
      if (at >= 0) {
        next[at] = { binding, uri };
        events.push({ kind: 'refreshed', binding });
        continue;
      }
      while (next.length >= Math.max(1, maxContacts)) {
        const oldest = oldestIndex(next);
        events.push({ kind: 'replaced', binding: next[oldest]!.binding });
        next.splice(oldest, 1);
      }
      next.push({ binding, uri });
      events.push({ kind: 'added', binding });
    }
    this.put(aor, next);
    if (events.length > 0) this.onChange?.();
    return { ok: true, events };
  }

  /**
   * `Contact: *` with `Expires: 0` (§10.3 step 6): remove every binding of `aor`, unless
   * one of them has the request's Call-ID with a CSeq at or above it (then nothing changes).
   */
  removeAll(aor: string, ctx: Pick<RegisterContext, 'callId' | 'cseq'>): UpdateResult {
    const current = this.live(aor, this.clock.now());
    for (const e of current) {
      if (e.binding.callId === ctx.callId && ctx.cseq <= e.binding.cseq) {
        return { ok: false, reason: 'out-of-order', contact: e.binding.contact, storedCseq: e.binding.cseq };
      }
    }
    this.aors.delete(aor);
    if (current.length > 0) this.onChange?.();
    return { ok: true, events: current.map((e): BindingEvent => ({ kind: 'removed', binding: e.binding })) };
  }

  /** Remove one binding by its contact URI (administration); true when one was removed. */
  remove(aor: string, contact: string): boolean {
    const current = this.live(aor, this.clock.now());
    const uri = safeParse(contact);
    const next = current.filter((e) => !sameUri(e, contact, uri));
    if (next.length === current.length) return false;
    this.put(aor, next);
    this.onChange?.();
    return true;
  }

  /** Remove every binding of `aor` unconditionally (extension deleted); how many there were. */
  clear(aor: string): number {
    const n = this.live(aor, this.clock.now()).length;
    this.aors.delete(aor);
    if (n > 0) this.onChange?.();
    return n;
  }

  /** Live bindings of `aor`: highest q first, then the most recently refreshed. */
  bindings(aor: string): Binding[] {
    return sortBindings(this.live(aor, this.clock.now()).map((e) => e.binding));
  }

  /** Every live binding, by AOR then as bindings() orders them. */
  all(): Binding[] {
    const now = this.clock.now();
    const out: Binding[] = [];
    for (const aor of [...this.aors.keys()].sort()) out.push(...sortBindings(this.live(aor, now).map((e) => e.binding)));
    return out;
  }

  /** Number of live bindings. */
  count(): number {
    this.sweep();
    let n = 0;
    for (const list of this.aors.values()) n += list.length;
    return n;
  }

  /**
   * Put back bindings saved before a restart (see snapshot.ts). Expired ones are skipped;
   * a binding for a contact already present replaces it. Returns how many were taken.
   */
  restore(bindings: readonly Binding[]): number {
    const now = this.clock.now();
    let taken = 0;
    for (const b of bindings) {
      if (b.expiresAt <= now) continue;
      const uri = safeParse(b.contact);
      const list = this.live(b.aor, now).filter((e) => !sameUri(e, b.contact, uri));
      list.push({ binding: b, uri });
      this.aors.set(b.aor, list);
      taken++;
    }
    return taken;
  }

  /** Drop every expired binding now; returns how many went. */
  sweep(): number {
    const now = this.clock.now();
    let dropped = 0;
    for (const aor of [...this.aors.keys()]) {
      const before = this.aors.get(aor)!.length;
      dropped += before - this.live(aor, now).length;
    }
    return dropped;
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimer(this.sweepIntervalMs, () => {
      this.timer = undefined;
      this.sweep();
      this.arm();
    });
  }

  /** The AOR's entries with expired ones removed (from the map too). */
  private live(aor: string, now: number): Entry[] {
    const list = this.aors.get(aor);
    if (list === undefined) return [];
    const alive = list.filter((e) => e.binding.expiresAt > now);
    if (alive.length !== list.length) this.put(aor, alive);
    return alive;
  }

  private put(aor: string, list: Entry[]): void {
    if (list.length === 0) this.aors.delete(aor);
    else this.aors.set(aor, list);
  }
}

/** A binding's parameter, as stored (quotes kept); undefined when absent, null when valueless. */
export function bindingParam(b: Pick<Binding, 'params'>, name: string): string | null | undefined {
  const want = name.toLowerCase();
  for (const [n, v] of b.params) if (n === want) return v;
  return undefined;
}

export function sortBindings(list: Binding[]): Binding[] {
  return list.sort((a, b) => (b.q ?? DEFAULT_Q) - (a.q ?? DEFAULT_Q) || b.updatedAt - a.updatedAt || b.registeredAt - a.registeredAt);
}

function oldestIndex(list: Entry[]): number {
  let best = 0;
  for (let i = 1; i < list.length; i++) {
    const a = list[i]!.binding;
    const b = list[best]!.binding;
    if (a.updatedAt < b.updatedAt || (a.updatedAt === b.updatedAt && a.registeredAt < b.registeredAt)) best = i;
  }
  return best;
}

function matches(e: Entry, change: ContactChange, uri: Uri | undefined): boolean {
  if (sameUri(e, change.contact, uri)) return true;
  const instance = paramOf(change.params, '+sip.instance');
  if (instance === undefined || instance === null) return false;
  const mine = bindingParam(e.binding, '+sip.instance');
  if (mine === undefined || mine === null || unquoteLower(mine) !== unquoteLower(instance)) return false;
  return (bindingParam(e.binding, 'reg-id') ?? null) === (paramOf(change.params, 'reg-id') ?? null);
}

function sameUri(e: Entry, contact: string, uri: Uri | undefined): boolean {
  if (e.uri !== undefined && uri !== undefined) return uriEquals(e.uri, uri);
  return e.binding.contact === contact;
}

function paramOf(params: readonly ContactParam[], name: string): string | null | undefined {
  for (const [n, v] of params) if (n === name) return v;
  return undefined;
}

/** +sip.instance values are quoted URNs; compare without the quotes, case-insensitively. */
function unquoteLower(v: string): string {
  const s = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  return s.toLowerCase();
}

function safeParse(contact: string): Uri | undefined {
  try {
    return parseUri(contact);
  } catch {
    return undefined;
  }
}

function copyFlow(f: Flow): Flow {
  const out: Flow = { transport: f.transport, local: { ...f.local }, remote: { ...f.remote } };
  if (f.connectionId !== undefined) out.connectionId = f.connectionId;
  return out;
}
