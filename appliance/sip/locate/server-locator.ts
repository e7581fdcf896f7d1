/**
 * RFC 3263 server location: turns the host part of a SIP or SIPS URI into the ordered
 * list of (transport, address, port) to try, NAPTR → SRV → A/AAAA, with the RFC 2782
 * ordering of SRV records. Pure logic: DNS comes in through `DnsQueries`, implemented
 * over the network by appliance/platform/dns-queries.ts and by fakes in tests.
 *
 * The whole list is built at once, in failover order (§4.3: on a timeout or a transport
 * error the client moves to the next target, with a new transaction); `TargetCursor`
 * walks it.
 */
import { isIP } from 'node:net';

export type SipTransportName = 'UDP' | 'TCP' | 'TLS';

/** One NAPTR record (RFC 3403 §4.1), shaped like Node's `resolveNaptr` result. */
export interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

/** One SRV record (RFC 2782); `name` is the target host. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * The DNS queries the locator needs. A query that finds nothing (NXDOMAIN or NODATA)
 * resolves to []; a real failure (timeout, SERVFAIL, refused, bad answer) rejects.
 */
export interface DnsQueries {
  naptr(name: string): Promise<NaptrRecord[]>;
  srv(name: string): Promise<SrvRecord[]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
}

export interface SipTarget {
  transport: SipTransportName;
  /** An IPv4 or IPv6 address, without brackets. */
  address: string;
  port: number;
  /** The SRV or host name it came from, for logs. */
  via: string;
}

/** The parts of a SIP/SIPS URI that select the server (RFC 3263 §4). */
export interface LocateUri {
  /** A domain name, an IPv4 address, or an IPv6 address with or without brackets. */
  host: string;
  port?: number;
  /** The transport URI parameter; TCP in a SIPS URI means TLS. */
  transport?: SipTransportName;
  /** A SIPS URI: only TLS is acceptable. */
  secure?: boolean;
}

export interface LocateOptions {
  /**
   * The transports this client can use, in its order of preference for the SRV queries
   * made when the domain has no usable NAPTR records. Default UDP, TCP, TLS.
   */
  supported?: SipTransportName[];
  /** Uniform in [0, 1), for the SRV weight selection. Default Math.random. */
  random?: () => number;
}

export const DEFAULT_SUPPORTED: readonly SipTransportName[] = ['UDP', 'TCP', 'TLS'];

/** The NAPTR services of RFC 3263 §4.1 that we can use (SCTP, "SIP+D2S", is not). */
const NAPTR_SERVICES: Readonly<Record<string, SipTransportName>> = {
  'SIP+D2U': 'UDP',
  'SIP+D2T': 'TCP',
  'SIPS+D2T': 'TLS',
};

/** The SRV owner name prefix of each transport (RFC 3263 §4.1, RFC 3261 §26.2). */
const SRV_PREFIX: Readonly<Record<SipTransportName, string>> = {
  UDP: '_sip._udp.',
  TCP: '_sip._tcp.',
  TLS: '_sips._tcp.',
};

/** RFC 3261 §19.1.2: 5060 for UDP and TCP, 5061 for TLS. */
export function defaultPort(transport: SipTransportName): number {
  return transport === 'TLS' ? 5061 : 5060;
}

/**
 * The failover list for `uri` (RFC 3263 §4.1 transport, §4.2 port and address):
 * - an IP address: that address, the URI port or the transport's default, the URI
 *   transport or else UDP (TLS for SIPS);
 * - a domain with a port: its A then AAAA addresses, no SRV;
 * - a domain with a transport: SRV for that transport, else A/AAAA with the default port;
 * - a domain alone: NAPTR (the usable records of the lowest order, by preference),
 *   else SRV for each supported transport, else A/AAAA over UDP (TLS for SIPS).
 * Each SRV target expands to its A then AAAA addresses. Duplicates are removed, the
 * first occurrence kept. A transport that cannot be used (not supported, or UDP in a
 * SIPS URI) gives []. When nothing is found and some query failed, the first failure is
 * rethrown, so that a caller can tell a DNS outage from a domain without servers.
 */
export async function locateServers(uri: LocateUri, dns: DnsQueries, opts: LocateOptions = {}): Promise<SipTarget[]> {
  const supported = opts.supported ?? DEFAULT_SUPPORTED;
  const search = new Search(dns, opts.random ?? Math.random);
  const secure = uri.secure === true;
  const host = bareHost(uri.host);
  if (host === '') throw new RangeError('locateServers: empty host');
  if (uri.port !== undefined && !(Number.isInteger(uri.port) && uri.port >= 1 && uri.port <= 65535)) {
    throw new RangeError(`locateServers: bad port ${uri.port}`);
  }

  // §4.1: the transport parameter wins; otherwise UDP for SIP and TLS for SIPS.
  const explicit = uri.transport === undefined ? undefined : securedTransport(uri.transport, secure);
  if (uri.transport !== undefined && (explicit === undefined || !supported.includes(explicit))) return [];
  const fallback = explicit ?? defaultTransport(secure, supported);

  if (isIP(host) !== 0) {
    if (fallback === undefined) return [];
    return [{ transport: fallback, address: host, port: uri.port ?? defaultPort(fallback), via: host }];
  }
  if (uri.port !== undefined) {
    // §4.2: a port in the URI means no SRV: the domain's own addresses.
    if (fallback === undefined) return [];
    return search.finish(await search.addresses(host, uri.port, fallback));
  }

  let services: SrvQuery[];
  if (explicit !== undefined) {
    services = [{ transport: explicit, name: SRV_PREFIX[explicit] + host }];
  } else {
    services = await search.naptrServices(host, secure, supported);
    if (services.length === 0) {
      // §4.1: no NAPTR: SRV for each transport we support ("_sips" only for SIPS).
      const transports = supported.filter((t) => (secure ? t === 'TLS' : true));
      services = dedupe(transports).map((t) => ({ transport: t, name: SRV_PREFIX[t] + host }));
    }
  }
  const fromSrv = await search.srvTargets(services);
  // RFC 2782: only "." targets, every SRV query answered: decidedly no SIP service here.
  if (fromSrv.found && !fromSrv.failed && fromSrv.unavailable) return [];
  // §4.2: no SRV record at all: the domain's A/AAAA at the default port. A failed SRV
  // query is not "no record": guessing the port then could reach the wrong server.
  if (fromSrv.found || fromSrv.failed || fallback === undefined) return search.finish(fromSrv.targets);
  return search.finish(await search.addresses(host, defaultPort(fallback), fallback));
}

/**
 * RFC 2782 ordering: ascending priority; within a priority, repeated weighted random
 * selection, zero-weight records first in the running sum so that they are picked
 * only when the random number is 0 (or when they are all that is left).
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    const group = records.filter((r) => r.priority === priority);
    const pool = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += pool[i]!.weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      ordered.push(pool.splice(index, 1)[0]!);
    }
  }
  return ordered;
}

/**
 * Walks a failover list (RFC 3263 §4.3): `current()` is the target to use; `failed()`
 * reports that it timed out or failed at the transport and moves to the next one.
 * Passing the failed target makes a late second report (a timeout after a transport
 * error, say) harmless: it only advances when that target is still the current one.
 * Each new target needs a new client transaction (new branch).
 */
export class TargetCursor {
  private index = 0;

  constructor(private readonly targets: readonly SipTarget[]) {}

  current(): SipTarget | undefined {
    return this.targets[this.index];
  }

  /** The next target, or undefined when every target has failed. */
  failed(target?: SipTarget): SipTarget | undefined {
    if (this.index < this.targets.length && (target === undefined || target === this.targets[this.index])) this.index++;
    return this.current();
  }

  /** Targets not yet failed, the current one included. */
  get remaining(): number {
    return this.targets.length - this.index;
  }

  get exhausted(): boolean {
    return this.index >= this.targets.length;
  }
}

interface SrvQuery {
  transport: SipTransportName;
  name: string;
}

interface SrvResult {
  targets: SipTarget[];
  /** Some SRV record exists (a "." target included): no A/AAAA fallback. */
  found: boolean;
  /** Some SRV query failed. */
  failed: boolean;
  /** Every SRV record found has the target "." (service not available). */
  unavailable: boolean;
}

/** One location: the queries it made, their failures, and per-name address caching. */
class Search {
  private readonly errors: unknown[] = [];
  private readonly addressCache = new Map<string, Promise<string[]>>();

  constructor(
    private readonly dns: DnsQueries,
    private readonly random: () => number,
  ) {}

  /** The query's answer, or undefined after recording its failure. */
  private async ask<T>(query: () => Promise<T[]>): Promise<T[] | undefined> {
    try {
      return await query();
    } catch (err) {
      this.errors.push(err);
      return undefined;
    }
  }

  /** §4.1: the SRV names of the usable NAPTR records of the lowest order, by preference. */
  async naptrServices(host: string, secure: boolean, supported: readonly SipTransportName[]): Promise<SrvQuery[]> {
    const records = (await this.ask(() => this.dns.naptr(host))) ?? [];
    const usable: Array<{ record: NaptrRecord; transport: SipTransportName; name: string }> = [];
    for (const record of records) {
      const transport = NAPTR_SERVICES[record.service.toUpperCase()];
      const name = stripDot(record.replacement);
      // "s": the replacement is an SRV name. SIPS URIs take only SIPS+D2T.
      if (record.flags.toLowerCase() !== 's' || record.regexp !== '' || name === '') continue;
      if (transport === undefined || !supported.includes(transport) || (secure && transport !== 'TLS')) continue;
      usable.push({ record, transport, name });
    }
    if (usable.length === 0) return [];
    // RFC 3403 §4.1: once a record matches, records of another order are not considered.
    const lowest = Math.min(...usable.map((u) => u.record.order));
    return usable
      .filter((u) => u.record.order === lowest)
      .sort((x, y) => x.record.preference - y.record.preference)
      .map(({ transport, name }) => ({ transport, name }));
  }

  /** Every SRV query in order, each target expanded to its addresses. */
  async srvTargets(services: readonly SrvQuery[]): Promise<SrvResult> {
    const answers = await Promise.all(services.map((s) => this.ask(() => this.dns.srv(s.name))));
    const expanded = services.map(async (service, i) => {
      const records = orderSrv(answers[i] ?? [], this.random).filter((r) => !isRootTarget(r.name));
      const lists = await Promise.all(records.map((r) => this.addresses(stripDot(r.name), r.port, service.transport)));
      return lists.flat();
    });
    return {
      targets: (await Promise.all(expanded)).flat(),
      found: answers.some((a) => a !== undefined && a.length > 0),
      failed: answers.some((a) => a === undefined),
      unavailable: answers.every((a) => (a ?? []).every((r) => isRootTarget(r.name))),
    };
  }

  /** A then AAAA addresses of `name`, each a target at `port`. */
  async addresses(name: string, port: number, transport: SipTransportName): Promise<SipTarget[]> {
    let lookup = this.addressCache.get(name.toLowerCase());
    if (lookup === undefined) {
      lookup = isIP(name) !== 0
        ? Promise.resolve([name])
        : Promise.all([this.ask(() => this.dns.a(name)), this.ask(() => this.dns.aaaa(name))]).then(([v4, v6]) => [...(v4 ?? []), ...(v6 ?? [])]);
      this.addressCache.set(name.toLowerCase(), lookup);
    }
    return (await lookup).map((address) => ({ transport, address, port, via: name }));
  }

  /** The deduplicated list, or the first failure when the list is empty. */
  finish(targets: SipTarget[]): SipTarget[] {
    const seen = new Set<string>();
    const unique = targets.filter((t) => {
      const key = `${t.transport} ${t.address.toLowerCase()} ${t.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length === 0 && this.errors.length > 0) throw this.errors[0];
    return unique;
  }
}

/** The transport a URI's transport parameter means: TCP in a SIPS URI is TLS, UDP cannot be. */
function securedTransport(transport: SipTransportName, secure: boolean): SipTransportName | undefined {
  if (!secure) return transport;
  return transport === 'UDP' ? undefined : 'TLS';
}

/** §4.1 when no transport is given: UDP (else TCP) for SIP, TLS for SIPS. */
function defaultTransport(secure: boolean, supported: readonly SipTransportName[]): SipTransportName | undefined {
  const candidates: SipTransportName[] = secure ? ['TLS'] : ['UDP', 'TCP'];
  return candidates.find((t) => supported.includes(t));
}

function bareHost(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(h) !== 0 ? h : stripDot(h);
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** RFC 2782: a target of "." means the service is decidedly not available here. */
function isRootTarget(name: string): boolean {
  return name === '' || name === '.';
}

function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
