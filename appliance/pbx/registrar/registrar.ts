import type { Extension } from '../../config/schema';
import type { Clock } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import { createResponse } from '../../sip/message/build';
import { SipParseError } from '../../sip/message/errors';
import { cseqOf } from '../../sip/message/headers/cseq';
import { callIdOf, contactsOf, toOf, type NameAddr } from '../../sip/message/headers/name-addr';
import { getHeader, headersNamed, type Header, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseUri, unescapeUri } from '../../sip/message/uri';
import { formatEndpoint, type Flow } from '../../sip/transport/flow';
import type { Binding, ContactChange, ContactParam, LocationStore, UpdateResult } from './location-store';

export interface RegistrarConfig {
  /** Shortest non-zero registration accepted (seconds); shorter ones get 423. */
  minExpires: number;
  /** Longest registration granted (seconds); longer requests are shortened to it. */
  maxExpires: number;
  /** Granted when neither the contact nor the request names an expiry. */
  defaultExpires: number;
}

export interface RegistrarOptions {
  store: LocationStore;
  config: RegistrarConfig;
  clock: Clock;
  logger: SipLogger;
  /** Added to every response (e.g. Server). */
  headers?: Header[];
}

/** §20.10 / §20.19: a malformed expiry is read as 3600 seconds. */
const MALFORMED_EXPIRES = 3600;
const MAX_DELTA = 0xffffffff;
/** User-Agent values kept for display are cut to this many characters. */
const MAX_USER_AGENT = 200;
/** q-value = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (§25.1). */
const Q_VALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The registrar (RFC 3261 §10.3) for REGISTER requests whose digest credentials have
 * already been checked: binds, refreshes, removes and lists the contacts of the
 * authenticated extension's AOR in the location store.
 */
export class Registrar {
  private config: RegistrarConfig;

  constructor(private readonly options: RegistrarOptions) {
    this.config = { ...options.config };
  }

  /** New limits (configuration reload); existing bindings keep their expiry. */
  setConfig(config: RegistrarConfig): void {
    this.config = { ...config };
  }

  /** Answer a REGISTER that authenticated as `extension`. Never throws for bad input. */
  handleRegister(req: SipRequest, flow: Flow, extension: Extension): SipResponse {
    const aor = extension.number;
    let to: NameAddr;
    let callId: string;
    let cseq: number;
    let contacts: NameAddr[] | '*';
    try {
      to = toOf(req);
      callId = callIdOf(req);
      cseq = cseqOf(req).seq;
      contacts = contactsOf(req);
    } catch (err) {
      if (err instanceof SipParseError) return this.respond(req, 400, `Bad Request (${err.header ?? 'header'} malformed)`);
      throw err;
    }

    // §10.3 steps 4-5: only the extension's own AOR (no third-party registration).
    if (!extension.enabled || aorUser(to.uri) !== aor) {
      this.options.logger.info({ aor, to: to.uri, source: formatEndpoint(flow.remote) }, 'register refused: To is not the authenticated extension');
      return this.respond(req, 403);
    }

    const expiresHeaders = headersNamed(req, 'expires');
    if (expiresHeaders.length > 1) return this.respond(req, 400, 'Bad Request (more than one Expires)');
    const headerExpires = expiresHeaders.length === 1 ? deltaSeconds(expiresHeaders[0]!.value) : undefined;

    if (contacts === '*') {
      // §10.3 step 6: the wildcard only with Expires: 0 (parseContacts already made sure it is alone).
      if (headerExpires !== 0) return this.respond(req, 400, 'Bad Request (Contact * needs Expires: 0)');
      return this.finish(req, aor, this.options.store.removeAll(aor, { callId, cseq }), flow);
    }

    if (contacts.length === 0) return this.ok(req, aor); // §10.2.3: a fetch

    const changes: ContactChange[] = [];
    for (const c of contacts) {
      const raw = c.params.get('expires');
      const requested = raw !== undefined ? deltaSeconds(raw) : (headerExpires ?? this.config.defaultExpires);
      const qRaw = c.params.get('q');
      let q: number | undefined;
      if (qRaw !== undefined) {
        if (qRaw === null || !Q_VALUE.test(qRaw)) return this.respond(req, 400, 'Bad Request (bad q value)');
        q = Number(qRaw);
      }
      if (requested !== 0 && requested < this.config.minExpires) {
        // §10.3 step 7 / §21.4.17: too brief; the whole request fails.
        return this.respond(req, 423, undefined, [{ name: 'Min-Expires', value: String(this.config.minExpires) }]);
      }
      const params: ContactParam[] = [];
      for (const [name, value] of c.params) if (name !== 'expires' && name !== 'q') params.push([name, value]);
      const change: ContactChange = { contact: c.uri, params, expires: Math.min(requested, this.config.maxExpires) };
      if (q !== undefined) change.q = q;
      changes.push(change);
    }

    const userAgent = getHeader(req, 'user-agent');
    const result = this.options.store.update(
      aor,
      changes,
      { callId, cseq, flow, ...(userAgent !== undefined ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}) },
      extension.maxContacts,
    );
    return this.finish(req, aor, result, flow);
  }

  private finish(req: SipRequest, aor: string, result: UpdateResult, flow: Flow): SipResponse {
    if (!result.ok) {
      this.options.logger.info({ aor, contact: result.contact, source: formatEndpoint(flow.remote) }, 'register refused: CSeq out of order');
      return this.respond(req, 400, `Bad Request (CSeq not above ${result.storedCseq} for this Call-ID)`);
    }
    for (const e of result.events) {
      const fields = { aor, contact: e.binding.contact, transport: e.binding.flow.transport, source: formatEndpoint(e.binding.flow.remote) };
      if (e.kind === 'refreshed') this.options.logger.debug(fields, 'registration refreshed');
      else if (e.kind === 'added') this.options.logger.info(fields, 'registration added');
      else if (e.kind === 'removed') this.options.logger.info(fields, 'registration removed');
      else this.options.logger.info(fields, 'registration replaced: too many contacts');
    }
    return this.ok(req, aor);
  }

  /** §10.3 step 8: 200 with every current binding and its remaining time, and a Date. */
  private ok(req: SipRequest, aor: string): SipResponse {
    const now = this.options.clock.now();
    const headers: Header[] = this.options.store.bindings(aor).map((b) => ({ name: 'Contact', value: formatBinding(b, now) }));
    headers.push({ name: 'Date', value: new Date(now).toUTCString() });
    return this.respond(req, 200, undefined, headers);
  }

  private respond(req: SipRequest, status: number, reason?: string, headers: Header[] = []): SipResponse {
    return createResponse(req, status, reason, { headers: [...headers, ...(this.options.headers ?? [])] });
  }
}

/** A binding as a Contact value of a 200: `<uri>;params;q=…;expires=<seconds left>`. */
export function formatBinding(b: Binding, now: number): string {
  let out = `<${b.contact}>`;
  for (const [name, value] of b.params) out += value === null ? `;${name}` : `;${name}=${value}`;
  if (b.q !== undefined) out += `;q=${formatQ(b.q)}`;
  out += `;expires=${Math.max(0, Math.ceil((b.expiresAt - now) / 1000))}`;
  return out;
}

function formatQ(q: number): string {
  return String(Math.round(q * 1000) / 1000);
}

/**
 * delta-seconds of an Expires header or expires parameter. Malformed (or valueless)
 * means 3600 (§20.10, §20.19); values past 2**32-1 are read as 2**32-1.
 */
export function deltaSeconds(value: string | null): number {
  if (value === null || !/^[0-9]+$/.test(value)) return MALFORMED_EXPIRES;
  if (value.replace(/^0+(?=.)/, '').length > 10) return MAX_DELTA;
  return Math.min(Number(value), MAX_DELTA);
}

/** The AOR's user: the unescaped user part of a SIP/SIPS URI (§10.3 step 5), or undefined. */
function aorUser(uriText: string): string | undefined {
  try {
    const uri = parseUri(uriText);
    return uri.kind === 'sip' && uri.user !== undefined ? unescapeUri(uri.user) : undefined;
  } catch {
    return undefined;
  }
}
