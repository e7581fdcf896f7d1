/**
 * IP networks (CIDR) for the black and white lists and the per-extension
 * `allowedNetworks`, matched on every request.
 *
 * Addresses are parsed into numbers once; a CidrSet groups its networks by prefix
 * length, so a lookup costs one mask-and-Set-probe per distinct prefix length in the
 * set, however many networks it holds.
 *
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4
 * peer) is treated as the IPv4 address it carries, for addresses and for networks
 * inside `::ffff:0:0/96`. Broader IPv6 networks such as `::/0` do not cover IPv4.
 */

export class CidrError extends Error {
  override readonly name = 'CidrError';
  readonly code = 'EDGESIP_ERR_CIDR' as const;
  constructor(
    /** The text that did not parse. */
    readonly cidr: string,
    reason: string,
  ) {
    super(`invalid network "${cidr}": ${reason}`);
  }
}

/** A parsed address: IPv4 as one unsigned 32-bit number, IPv6 as four (most significant first). */
export type IpAddress = { readonly version: 4; readonly value: number } | { readonly version: 6; readonly words: readonly [number, number, number, number] };

export interface Cidr {
  readonly address: IpAddress;
  /** 0-32 for IPv4, 0-128 for IPv6; the address has its host bits cleared. */
  readonly prefix: number;
}

/** Parse an IPv4 dotted quad (decimal octets) into an unsigned 32-bit number. */
function parseIPv4(s: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

function parseHexGroup(s: string): number | undefined {
  if (s.length === 0 || s.length > 4) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return undefined;
    v = v * 16 + d;
  }
  return v;
}

/** Parse the groups on one side of `::` (or the whole address); `allowV4Tail` for the last side. */
function parseGroups(s: string, allowV4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (allowV4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      const g = parseHexGroup(part);
      if (g === undefined) return undefined;
      groups.push(g);
    }
  }
  return groups;
}

/** Parse an IPv6 address (RFC 4291 §2.2 text forms) into eight 16-bit groups. */
function parseIPv6(s: string): number[] | undefined {
  const gap = s.indexOf('::');
  let groups: number[];
  if (gap < 0) {
    const all = parseGroups(s, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  } else {
    if (s.indexOf('::', gap + 1) >= 0) return undefined; // only one "::"
    const head = parseGroups(s.slice(0, gap), false);
    const tail = parseGroups(s.slice(gap + 2), true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  return groups;
}

function fromGroups(g: number[]): IpAddress {
  const words: [number, number, number, number] = [g[0]! * 65536 + g[1]!, g[2]! * 65536 + g[3]!, g[4]! * 65536 + g[5]!, g[6]! * 65536 + g[7]!];
  // ::ffff:a.b.c.d is an IPv4 peer seen through a dual-stack socket.
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { version: 4, value: words[3] };
  return { version: 6, words };
}

/**
 * Parse an IP address as sockets report it: IPv4, IPv6 (a `%zone` suffix is ignored),
 * IPv4-mapped IPv6 becomes IPv4. Undefined when it is not an address.
 */
export function parseAddress(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v = parseIPv4(text);
    return v === undefined ? undefined : { version: 4, value: v };
  }
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const groups = parseIPv6(s);
  return groups === undefined ? undefined : fromGroups(groups);
}

/** RFC 5952 text: lower case, longest run (2+) of zero groups as "::". */
export function formatAddress(ip: IpAddress): string {
  if (ip.version === 4) {
    const v = ip.value;
    return `${Math.floor(v / 16777216) % 256}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
  }
  const g: number[] = [];
  for (const w of ip.words) g.push(Math.floor(w / 65536), w % 65536);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/**
 * The one spelling of an address used as a key (blocks, counters): IPv4-mapped IPv6
 * as IPv4, IPv6 compressed in lower case. Text that is no address is returned as is.
 */
export function canonicalAddress(text: string): string {
  const ip = parseAddress(text);
  return ip === undefined ? text : formatAddress(ip);
}

function mask32(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Parse "address/prefix" or a bare address (a /32 or /128). Throws CidrError. */
export function parseCidr(text: string): Cidr {
  if (typeof text !== 'string') throw new CidrError(String(text), 'not a string');
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (addrText.includes('%') || addrText.includes('[')) throw new CidrError(text, 'not an IPv4 or IPv6 address');
  const isV6 = addrText.includes(':');
  let groups: number[] | undefined;
  let v4: number | undefined;
  if (isV6) groups = parseIPv6(addrText);
  else v4 = parseIPv4(addrText);
  if (groups === undefined && v4 === undefined) throw new CidrError(text, 'not an IPv4 or IPv6 address');
  const max = isV6 ? 128 : 32;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) throw new CidrError(text, `prefix length must be 0 to ${max}`);
    prefix = Number(prefixText);
  }
  if (v4 !== undefined) return { address: { version: 4, value: (v4 & mask32(prefix)) >>> 0 }, prefix };
  const ip = fromGroups(groups!);
  if (ip.version === 4) {
    // Inside ::ffff:0:0/96: the IPv4 network it spells, so it matches IPv4 peers.
    if (prefix >= 96) return { address: { version: 4, value: (ip.value & mask32(prefix - 96)) >>> 0 }, prefix: prefix - 96 };
    const words: [number, number, number, number] = [0, 0, 0xffff, ip.value];
    return { address: { version: 6, words: maskWords(words, prefix) }, prefix };
  }
  return { address: { version: 6, words: maskWords(ip.words, prefix) }, prefix };
}

function maskWords(w: readonly [number, number, number, number], prefix: number): [number, number, number, number] {
  return [(w[0] & mask32(prefix)) >>> 0, (w[1] & mask32(prefix - 32)) >>> 0, (w[2] & mask32(prefix - 64)) >>> 0, (w[3] & mask32(prefix - 96)) >>> 0];
}

/** Text form of a network, host bits cleared ("192.0.2.0/24", "2001:db8::/32"). */
export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.address)}/${c.prefix}`;
}

interface V4Group {
  mask: number;
  nets: Set<number>;
}

interface V6Group {
  prefix: number;
  nets: Set<string>;
}

function v6Key(w: readonly [number, number, number, number]): string {
  return `${w[0]},${w[1]},${w[2]},${w[3]}`;
}

/** A set of networks, asked per request whether an address lies in any of them. */
export class CidrSet {
  private readonly v4: V4Group[] = [];
  private readonly v6: V6Group[] = [];
  /** The networks as given. */
  readonly cidrs: readonly string[];

  /** Throws CidrError (code EDGESIP_ERR_CIDR) on the first entry that does not parse. */
  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    const v4 = new Map<number, Set<number>>();
    const v6 = new Map<number, Set<string>>();
    for (const text of cidrs) {
      const c = parseCidr(text);
      if (c.address.version === 4) {
        let set = v4.get(c.prefix);
        if (set === undefined) v4.set(c.prefix, (set = new Set()));
        set.add(c.address.value);
      } else {
        let set = v6.get(c.prefix);
        if (set === undefined) v6.set(c.prefix, (set = new Set()));
        set.add(v6Key(c.address.words));
      }
    }
    // Most specific first: the usual list holds single hosts, which then match first.
    for (const [prefix, nets] of [...v4].sort((a, b) => b[0] - a[0])) this.v4.push({ mask: mask32(prefix), nets });
    for (const [prefix, nets] of [...v6].sort((a, b) => b[0] - a[0])) this.v6.push({ prefix, nets });
  }

  get size(): number {
    return this.cidrs.length;
  }

  /** True when the address lies in one of the networks; false for text that is no address. */
  has(address: string): boolean {
    if (this.v4.length === 0 && this.v6.length === 0) return false;
    const ip = parseAddress(address);
    return ip !== undefined && this.hasIp(ip);
  }

  /** Same as `has` for an address parsed already (parseAddress). */
  hasIp(ip: IpAddress): boolean {
    if (ip.version === 4) {
      for (const g of this.v4) if (g.nets.has((ip.value & g.mask) >>> 0)) return true;
      return false;
    }
    for (const g of this.v6) if (g.nets.has(v6Key(maskWords(ip.words, g.prefix)))) return true;
    return false;
  }
}
