import { Resolver } from 'node:dns/promises';
import type { DnsQueries, NaptrRecord, SrvRecord } from '../sip/locate/server-locator';

export interface DnsQueriesOptions {
  /**
   * DNS servers, "address" or "address:port" ("[v6]:port"), e.g. ['127.0.0.1:5353'].
   * Default: the system's (resolv.conf).
   */
  servers?: string[];
  /** Longest wait for one query, every retry included, in ms. Default 5000. */
  timeoutMs?: number;
  /** Attempts per server (c-ares retransmits over UDP). Default 2. */
  tries?: number;
}

/** c-ares codes that mean "no such record": NODATA, and NXDOMAIN. */
const EMPTY_ANSWER_CODES = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * `DnsQueries` over the network with Node's c-ares resolver. NXDOMAIN and NODATA
 * resolve to []; anything else (SERVFAIL, REFUSED, timeout, a malformed answer)
 * rejects with the resolver's error, whose `code` says which.
 */
export class NodeDnsQueries implements DnsQueries {
  private readonly resolver: Resolver;
  private readonly timeoutMs: number;

  constructor(options: DnsQueriesOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    const tries = Math.max(1, options.tries ?? 2);
    // c-ares doubles its interval on each round, so `tries` rounds of `perTry` take
    // about perTry × (2^tries − 1); our own deadline below bounds the query in any case.
    const perTry = Math.max(50, Math.floor(this.timeoutMs / (2 ** tries - 1)));
    this.resolver = new Resolver({ timeout: perTry, tries });
    if (options.servers !== undefined) this.resolver.setServers(options.servers);
  }

  async naptr(name: string): Promise<NaptrRecord[]> {
    const records = await this.query(name, (n) => this.resolver.resolveNaptr(n));
    return records.map((r) => ({
      flags: r.flags,
      service: r.service,
      regexp: r.regexp,
      replacement: r.replacement,
      order: r.order,
      preference: r.preference,
    }));
  }

  async srv(name: string): Promise<SrvRecord[]> {
    const records = await this.query(name, (n) => this.resolver.resolveSrv(n));
    return records.map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight }));
  }

  a(name: string): Promise<string[]> {
    return this.query(name, (n) => this.resolver.resolve4(n));
  }

  aaaa(name: string): Promise<string[]> {
    return this.query(name, (n) => this.resolver.resolve6(n));
  }

  /** Abandons every outstanding query (they reject with ECANCELLED). */
  cancel(): void {
    this.resolver.cancel();
  }

  private async query<T>(name: string, run: (name: string) => Promise<T[]>): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(name, this.timeoutMs)), this.timeoutMs);
    });
    try {
      return await Promise.race([run(name), deadline]);
    } catch (err) {
      if (EMPTY_ANSWER_CODES.has((err as NodeJS.ErrnoException)?.code ?? '')) return [];
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Shaped like c-ares's own timeout error (code ETIMEOUT, hostname). */
function timeoutError(name: string, ms: number): Error & { code: string; hostname: string } {
  return Object.assign(new Error(`DNS query for ${name} timed out after ${ms} ms`), { code: 'ETIMEOUT', hostname: name });
}
