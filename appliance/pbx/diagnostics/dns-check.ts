/**
 * The DNS check (`edgesip diag dns`): asks several resolvers the questions a SIP client
 * asks about a name (A, AAAA, the SIP SRV names, NAPTR) and reports where they differ.
 * When every phone goes offline while the network looks fine, the usual cause is the
 * local ISP's DNS answering differently from a public resolver.
 *
 * Pure logic: the resolvers come in as `DnsQueries` (appliance/platform/dns-queries.ts
 * over the network, fakes in tests). Every question goes to every resolver at once.
 */
import { isIP } from 'node:net';
import type { DnsQueries } from '../../sip/locate/server-locator';

export type DnsCheckType = 'A' | 'AAAA' | 'SRV' | 'NAPTR';

export interface DnsCheckResolver {
  /** Shown to the user: 'system', or the resolver's address. */
  label: string;
  dns: DnsQueries;
  /**
   * The server's address ("addr", "addr:port", "[v6]:port") for the dig/nslookup lines;
   * when absent the label is used if it is an address, else the lines name no server.
   */
  server?: string;
}

export interface DnsCheckAnswer {
  resolver: string;
  /** Sorted records in presentation form; absent when the query failed. */
  records?: string[];
  /** The failure's code (ETIMEOUT, ESERVFAIL, ECONNREFUSED…); absent on success. */
  error?: string;
}

/** agree: same answers; empty: all answered "nothing"; error: no resolver answered. */
export type DnsCheckVerdict = 'agree' | 'disagree' | 'empty' | 'error';

export interface DnsCheckEntry {
  type: DnsCheckType;
  /** The name asked: NAME, or _sip._udp.NAME etc. for SRV. */
  query: string;
  answers: DnsCheckAnswer[];
  verdict: DnsCheckVerdict;
}

export interface DnsCheckName {
  name: string;
  checks: DnsCheckEntry[];
}

export type DnsFindingKind = 'disagree' | 'timeout' | 'error';

export interface DnsFinding {
  name: string;
  type: DnsCheckType;
  /** The name asked (differs from `name` for SRV). */
  query: string;
  kind: DnsFindingKind;
  /** disagree: the resolvers that answered; timeout/error: those that failed that way. */
  resolvers: string[];
  /** error: the codes, in the order of `resolvers`. */
  errors?: string[];
}

export interface DnsCheckReport {
  names: DnsCheckName[];
  findings: DnsFinding[];
  /** Equivalent dig and nslookup lines, to repeat the questions by hand. */
  commands: string[];
  /** The longest wait for one answer, when known (for "did not answer within N s"). */
  timeoutMs?: number;
}

export interface DnsCheckOptions {
  timeoutMs?: number;
}

/** The questions asked about a name, in report order. */
export function questionsFor(name: string): Array<{ type: DnsCheckType; query: string }> {
  return [
    { type: 'A', query: name },
    { type: 'AAAA', query: name },
    { type: 'SRV', query: `_sip._udp.${name}` },
    { type: 'SRV', query: `_sip._tcp.${name}` },
    { type: 'SRV', query: `_sips._tcp.${name}` },
    { type: 'NAPTR', query: name },
  ];
}

export async function checkDns(names: string[], resolvers: DnsCheckResolver[], options: DnsCheckOptions = {}): Promise<DnsCheckReport> {
  const unique = [...new Set(names.map(normalizeName))];
  const checked = await Promise.all(
    unique.map(async (name): Promise<DnsCheckName> => ({
      name,
      checks: await Promise.all(questionsFor(name).map((q) => checkOne(q.type, q.query, resolvers))),
    })),
  );
  const findings: DnsFinding[] = [];
  for (const n of checked) {
    for (const c of n.checks) findings.push(...findingsOf(n.name, c));
  }
  const report: DnsCheckReport = { names: checked, findings, commands: commandsFor(checked, findings, resolvers) };
  if (options.timeoutMs !== undefined) report.timeoutMs = options.timeoutMs;
  return report;
}

function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

async function checkOne(type: DnsCheckType, query: string, resolvers: DnsCheckResolver[]): Promise<DnsCheckEntry> {
  const answers = await Promise.all(
    resolvers.map(async (r): Promise<DnsCheckAnswer> => {
      try {
        return { resolver: r.label, records: [...(await ask(r.dns, type, query))].sort() };
      } catch (err) {
        return { resolver: r.label, error: errorCode(err) };
      }
    }),
  );
  return { type, query, answers, verdict: verdictOf(answers) };
}

async function ask(dns: DnsQueries, type: DnsCheckType, query: string): Promise<string[]> {
  switch (type) {
    case 'A':
      return dns.a(query);
    case 'AAAA':
      return dns.aaaa(query);
    case 'SRV':
      return (await dns.srv(query)).map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`);
    case 'NAPTR':
      return (await dns.naptr(query)).map((r) => `${r.order} ${r.preference} "${r.flags}" "${r.service}" "${r.regexp}" ${r.replacement || '.'}`);
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : 'EUNKNOWN';
}

function isTimeout(code: string | undefined): boolean {
  return code === 'ETIMEOUT' || code === 'ETIMEDOUT';
}

function verdictOf(answers: DnsCheckAnswer[]): DnsCheckVerdict {
  const ok = answers.filter((a) => a.records !== undefined).map((a) => (a.records as string[]).join('\n'));
  if (ok.length === 0) return 'error';
  if (new Set(ok).size > 1) return 'disagree';
  return ok[0] === '' ? 'empty' : 'agree';
}

function findingsOf(name: string, c: DnsCheckEntry): DnsFinding[] {
  const out: DnsFinding[] = [];
  if (c.verdict === 'disagree') {
    out.push({ name, type: c.type, query: c.query, kind: 'disagree', resolvers: c.answers.filter((a) => a.records !== undefined).map((a) => a.resolver) });
  }
  const timedOut = c.answers.filter((a) => isTimeout(a.error));
  if (timedOut.length > 0) out.push({ name, type: c.type, query: c.query, kind: 'timeout', resolvers: timedOut.map((a) => a.resolver) });
  const failed = c.answers.filter((a) => a.error !== undefined && !isTimeout(a.error));
  if (failed.length > 0) {
    out.push({ name, type: c.type, query: c.query, kind: 'error', resolvers: failed.map((a) => a.resolver), errors: failed.map((a) => a.error as string) });
  }
  return out;
}

/** A resolver's address split for dig/nslookup; undefined for the system resolver. */
export function serverOf(r: { label: string; server?: string }): { host: string; port?: number } | undefined {
  const text = r.server ?? r.label;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket && isIP(bracket[1]!) === 6) return bracket[2] ? { host: bracket[1]!, port: Number(bracket[2]) } : { host: bracket[1]! };
  if (isIP(text) !== 0) return { host: text };
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  if (hostPort && isIP(hostPort[1]!) === 4) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return undefined;
}

/** `dig @SERVER [-p PORT] QUERY TYPE` and `nslookup [-port=PORT] -type=TYPE QUERY [SERVER]`. */
export function commandLines(type: DnsCheckType, query: string, resolver: { label: string; server?: string }): string[] {
  const s = serverOf(resolver);
  const dig = ['dig', ...(s ? [`@${s.host}`] : []), ...(s?.port !== undefined ? ['-p', String(s.port)] : []), query, type].join(' ');
  const nslookup = ['nslookup', ...(s?.port !== undefined ? [`-port=${s.port}`] : []), `-type=${type}`, query, ...(s ? [s.host] : [])].join(' ');
  return [dig, nslookup];
}

/**
 * The lines to repeat by hand: for every question with a finding, and for each name's
 * A question (always), one dig and one nslookup line per resolver.
 */
function commandsFor(names: DnsCheckName[], findings: DnsFinding[], resolvers: DnsCheckResolver[]): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (type: DnsCheckType, query: string): void => {
    const key = `${type} ${query}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const r of resolvers) lines.push(...commandLines(type, query, r));
  };
  for (const n of names) {
    add('A', n.name);
    for (const f of findings.filter((x) => x.name === n.name)) add(f.type, f.query);
  }
  return lines;
}
