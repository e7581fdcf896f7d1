/**
 * The rule of each edgesip.conf value. A failed rule is a Reason in English and
 * Simplified Chinese. Rules of secret values (password hashes, passwords) never put
 * the value in their reason, not even a part of it: they say "(value hidden)".
 */
import { isIPv4, isIPv6 } from 'node:net';
import { adminPasswordProblem, passwordProblem, PASSWORD_MAX } from '../control/validate';

export interface Reason {
  en: string;
  zh: string;
}

const reason = (en: string, zh: string): Reason => ({ en, zh });

/** How a refused value is quoted: control characters made visible, long ones shortened. */
export function shown(value: string, max = 60): string {
  const chars = Array.from(value);
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : value;
  return `"${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

export const HIDDEN = '(value hidden)';
const HIDDEN_ZH = '（值已隐藏）';

// ---- hostname ------------------------------------------------------------------

/**
 * RFC 1123 allows 253 characters, but Linux keeps at most 64 (HOST_NAME_MAX): a longer
 * name would pass here and fail at every boot, so 64 is the limit.
 */
export const HOSTNAME_MAX = 64;
const HOSTNAME_LABEL = /^[A-Za-z0-9-]{1,63}$/;

export function hostnameProblem(v: string): Reason | undefined {
  if (v.length > HOSTNAME_MAX) {
    return reason(`${shown(v)} is longer than ${HOSTNAME_MAX} characters (the Linux limit for a host name)`, `${shown(v)} 超过 ${HOSTNAME_MAX} 个字符（Linux 主机名的长度上限）`);
  }
  for (const label of v.split('.')) {
    if (label === '') return reason(`${shown(v)} has an empty part (two dots in a row, or a dot at the start or end)`, `${shown(v)} 含有空的部分（连续两个点，或以点开头或结尾）`);
    if (label.length > 63) return reason(`a part of ${shown(v)} is longer than 63 characters`, `${shown(v)} 中有一部分超过 63 个字符`);
    if (!HOSTNAME_LABEL.test(label)) {
      return reason(`${shown(v)} may contain only letters a-z, digits 0-9, hyphens and dots, e.g. pbx-office`, `${shown(v)} 只能包含字母 a-z、数字 0-9、连字符和点，例如 pbx-office`);
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return reason(`${shown(v)}: a part of a host name must not start or end with a hyphen`, `${shown(v)}：主机名的各部分不能以连字符开头或结尾`);
    }
  }
  return undefined;
}

// ---- IP addresses ----------------------------------------------------------------

export type IpFamily = 4 | 6;

/** 4 or 6 for an IP literal without zone (`%eth0` means nothing in a config file), else undefined. */
export function ipFamily(v: string): IpFamily | undefined {
  if (isIPv4(v)) return 4;
  if (isIPv6(v) && !v.includes('%')) return 6;
  return undefined;
}

function ipv4ToInt(v: string): number {
  return v.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export interface StaticAddress {
  /** As written, e.g. 192.0.2.10/24. */
  cidr: string;
  ip: string;
  prefix: number;
  family: IpFamily;
}

export function parseStaticAddress(v: string): StaticAddress | Reason {
  const slash = v.lastIndexOf('/');
  if (slash === -1) {
    const family = ipFamily(v);
    if (family !== undefined) {
      const example = `${v}/${family === 4 ? 24 : 64}`;
      return reason(`${shown(v)} needs a prefix length, e.g. ${example}`, `${shown(v)} 缺少前缀长度，例如 ${example}`);
    }
    return reason(
      `${shown(v)} is not an IPv4 or IPv6 address with a prefix length, such as 192.0.2.10/24 (or dhcp)`,
      `${shown(v)} 不是带前缀长度的 IPv4 或 IPv6 地址，例如 192.0.2.10/24（或 dhcp）`,
    );
  }
  const ip = v.slice(0, slash);
  const prefixText = v.slice(slash + 1);
  const family = ipFamily(ip);
  if (family === undefined) {
    return reason(`${shown(ip)} is not an IPv4 or IPv6 address, e.g. 192.0.2.10/24`, `${shown(ip)} 不是 IPv4 或 IPv6 地址，例如 192.0.2.10/24`);
  }
  const max = family === 4 ? 32 : 128;
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 1 && prefix <= max)) {
    return reason(`${shown(v)}: the prefix length must be a number from 1 to ${max}`, `${shown(v)}：前缀长度必须是 1 到 ${max} 之间的数字`);
  }
  if (family === 4 && prefix <= 30) {
    const hostBits = 2 ** (32 - prefix) - 1;
    const host = ipv4ToInt(ip) % (hostBits + 1);
    if (host === 0) return reason(`${shown(v)} is the network address of its subnet, not a host address`, `${shown(v)} 是子网的网络地址，不是主机地址`);
    if (host === hostBits) return reason(`${shown(v)} is the broadcast address of its subnet, not a host address`, `${shown(v)} 是子网的广播地址，不是主机地址`);
  }
  return { cidr: v, ip, prefix, family };
}

export function isReason(v: unknown): v is Reason {
  return typeof v === 'object' && v !== null && 'en' in v && 'zh' in v;
}

/** The gateway must be on the address's link: same family, and for IPv4 inside its subnet. */
export function gatewayProblem(gateway: string, address: StaticAddress | undefined): Reason | undefined {
  const family = ipFamily(gateway);
  if (family === undefined) return reason(`${shown(gateway)} is not an IP address, e.g. 192.0.2.1`, `${shown(gateway)} 不是 IP 地址，例如 192.0.2.1`);
  if (address === undefined) return undefined; // reported on its own: gateway needs address
  if (family !== address.family) {
    return reason(`${shown(gateway)} is IPv${family} but address ${address.cidr} is IPv${address.family}`, `${shown(gateway)} 是 IPv${family}，而 address ${address.cidr} 是 IPv${address.family}`);
  }
  if (gateway === address.ip) return reason(`${shown(gateway)} is the board's own address`, `${shown(gateway)} 是本设备自己的地址`);
  if (family === 4) {
    const size = 2 ** (32 - address.prefix);
    if (Math.floor(ipv4ToInt(gateway) / size) !== Math.floor(ipv4ToInt(address.ip) / size)) {
      return reason(`${shown(gateway)} is not in the subnet of ${address.cidr}`, `${shown(gateway)} 不在 ${address.cidr} 的子网内`);
    }
  }
  return undefined;
}

/** `dns`: one or more IPs separated by spaces or commas; duplicates dropped. */
export function parseDnsServers(v: string): string[] | Reason {
  const servers: string[] = [];
  for (const token of v.split(/[\s,]+/).filter((t) => t !== '')) {
    if (ipFamily(token) === undefined) return reason(`${shown(token)} is not an IP address, e.g. 192.0.2.53`, `${shown(token)} 不是 IP 地址，例如 192.0.2.53`);
    if (!servers.includes(token)) servers.push(token);
  }
  if (servers.length === 0) return reason('names no server, e.g. dns = 192.0.2.53, 1.1.1.1', '没有给出任何服务器，例如 dns = 192.0.2.53, 1.1.1.1');
  return servers;
}

// ---- SSH public keys -------------------------------------------------------------

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface SshPublicKey {
  type: string;
  base64: string;
  /** '' when none. */
  comment: string;
}

/** The authorized_keys line of a key. */
export function sshKeyLine(key: SshPublicKey): string {
  return key.comment === '' ? `${key.type} ${key.base64}` : `${key.type} ${key.base64} ${key.comment}`;
}

/** Two keys are the same key when type and data are (comments differ between copies). */
export function sshKeyId(key: { type: string; base64: string }): string {
  return `${key.type} ${key.base64}`;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(SSH_KEY_TYPES);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** An OpenSSH public key line: type, base64 whose first string names the same type, comment. */
export function parseSshPublicKey(v: string): SshPublicKey | Reason {
  // A pasted private key is a secret: never echo any of it.
  if (/PRIVATE KEY/.test(v)) {
    return reason(
      `${HIDDEN} is a PRIVATE key: give the public key instead (the one line of the .pub file, e.g. ~/.ssh/id_ed25519.pub)`,
      `${HIDDEN_ZH}是私钥：请改用公钥（.pub 文件中的那一行，例如 ~/.ssh/id_ed25519.pub）`,
    );
  }
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(v);
  const type = m?.[1] ?? '';
  const data = m?.[2];
  if (!KNOWN_TYPES.has(type)) {
    if (type === 'ssh-dss') {
      return reason('ssh-dss (DSA) keys are not accepted by OpenSSH any more: make an ssh-ed25519 key (ssh-keygen -t ed25519)', 'OpenSSH 已不再接受 ssh-dss（DSA）密钥：请生成 ssh-ed25519 密钥（ssh-keygen -t ed25519）');
    }
    if (v.split(/\s+/).some((t) => KNOWN_TYPES.has(t))) {
      return reason('options before the key type (from="…", command="…") are not supported here: give only type, key data and comment', '这里不支持密钥类型前的选项（from="…"、command="…"）：只需给出类型、密钥数据和注释');
    }
    return reason(`${shown(type, 40)} is not a supported key type; use one of ${SSH_KEY_TYPES.join(', ')}`, `${shown(type, 40)} 不是支持的密钥类型；可用：${SSH_KEY_TYPES.join('、')}`);
  }
  if (data === undefined) return reason(`the ${type} key has no key data after its type`, `${type} 密钥在类型之后缺少密钥数据`);
  if (!BASE64.test(data) || data.length % 4 !== 0) {
    return reason(`the key data of the ${type} key is not valid base64 (was the line cut or wrapped?)`, `${type} 密钥的数据不是有效的 base64（该行是否被截断或换行？）`);
  }
  const blob = Buffer.from(data, 'base64');
  const nameLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const named = nameLength >= 0 && nameLength <= blob.length - 4 ? blob.toString('latin1', 4, 4 + nameLength) : undefined;
  if (named !== type || blob.length === 4 + nameLength) {
    const what = named !== undefined && /^[\x21-\x7e]{1,64}$/.test(named) ? `is an ${named} key` : 'is not an OpenSSH public key';
    return reason(`the key data ${what}, but the line says ${type} (was the line cut or edited?)`, `密钥数据与行首的类型 ${type} 不符（该行是否被截断或修改？）`);
  }
  return { type, base64: data, comment: (m?.[3] ?? '').trim() };
}

// ---- crypt(3) password hashes ------------------------------------------------------

const HOW_TO_HASH = 'make one with: mkpasswd -m yescrypt   or   openssl passwd -6';
const HOW_TO_HASH_ZH = '生成方法：mkpasswd -m yescrypt   或   openssl passwd -6';
const C = '[./A-Za-z0-9]';

/** The formats libxcrypt on Debian 12 verifies and we accept; strong ones only. */
const CRYPT_FORMATS: ReadonlyArray<{ prefix: string; name: string; shape: RegExp }> = [
  { prefix: '$y$', name: 'yescrypt', shape: new RegExp(`^\\$y\\$${C}+\\$${C}+\\$${C}{43}$`) },
  { prefix: '$gy$', name: 'gost-yescrypt', shape: new RegExp(`^\\$gy\\$${C}+\\$${C}+\\$${C}{43}$`) },
  { prefix: '$7$', name: 'scrypt', shape: new RegExp(`^\\$7\\$${C}{11,}\\$${C}{43}$`) },
  { prefix: '$6$', name: 'SHA-512', shape: new RegExp(`^\\$6\\$(?:rounds=\\d{4,9}\\$)?${C}{1,16}\\$${C}{86}$`) },
  { prefix: '$5$', name: 'SHA-256', shape: new RegExp(`^\\$5\\$(?:rounds=\\d{4,9}\\$)?${C}{1,16}\\$${C}{43}$`) },
  { prefix: '$2b$', name: 'bcrypt', shape: new RegExp(`^\\$2b\\$(?:0[4-9]|[12]\\d|3[01])\\$${C}{53}$`) },
  { prefix: '$2y$', name: 'bcrypt', shape: new RegExp(`^\\$2y\\$(?:0[4-9]|[12]\\d|3[01])\\$${C}{53}$`) },
];

/** A password hash for /etc/shadow; the value is a secret, never shown. */
export function cryptHashProblem(v: string): Reason | undefined {
  const format = CRYPT_FORMATS.find((f) => v.startsWith(f.prefix));
  if (format === undefined) {
    if (!v.startsWith('$')) {
      return reason(
        `${HIDDEN} is not a password hash: never put the password itself here; ${HOW_TO_HASH}`,
        `${HIDDEN_ZH}不是密码哈希：切勿在此填写密码本身；${HOW_TO_HASH_ZH}`,
      );
    }
    return reason(
      `${HIDDEN} is not an accepted hash (yescrypt $y$, gost-yescrypt $gy$, scrypt $7$, SHA-512 $6$, SHA-256 $5$, bcrypt $2b$/$2y$); ${HOW_TO_HASH}`,
      `${HIDDEN_ZH}不是可接受的哈希（yescrypt $y$、gost-yescrypt $gy$、scrypt $7$、SHA-512 $6$、SHA-256 $5$、bcrypt $2b$/$2y$）；${HOW_TO_HASH_ZH}`,
    );
  }
  if (!format.shape.test(v)) {
    return reason(
      `${HIDDEN} starts like a ${format.name} hash but is incomplete or damaged (cut short, or a character changed?); ${HOW_TO_HASH}`,
      `${HIDDEN_ZH}看起来是 ${format.name} 哈希，但不完整或已损坏（被截断或有字符被改动？）；${HOW_TO_HASH_ZH}`,
    );
  }
  return undefined;
}

// ---- EdgeSIP passwords and extensions -------------------------------------------------

/** Longer than the daemon's minimum (10): this one is written on a card and typed once. */
export const EDGESIP_ADMIN_PASSWORD_MIN = 12;

export function edgesipAdminPasswordProblem(v: string): Reason | undefined {
  if (v.length < EDGESIP_ADMIN_PASSWORD_MIN) {
    return reason(`${HIDDEN} is too short: at least ${EDGESIP_ADMIN_PASSWORD_MIN} characters`, `${HIDDEN_ZH}太短：至少需要 ${EDGESIP_ADMIN_PASSWORD_MIN} 个字符`);
  }
  // The daemon's own rule (checked again when it is applied): refused now, not after boot.
  const daemon = adminPasswordProblem(v, 'admin');
  if (daemon !== undefined) return reason(`${HIDDEN} ${daemon}`, `${HIDDEN_ZH}不符合要求：${daemon}`);
  return undefined;
}

export const EXTENSION_PASSWORD_MIN = 8;
export const DISPLAY_NAME_MAX = 64;
const EXTENSION_NUMBER = /^\d{2,16}$/;

export interface ExtensionRequest {
  number: string;
  password: string;
  /** Absent: a new extension gets none, an existing one keeps its own. */
  name?: string;
}

/** `<number> <password> [display name…]`. Only the number and the name may be shown. */
export function parseExtension(v: string): ExtensionRequest | (Reason & { number?: string }) {
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(v);
  const number = m?.[1] ?? '';
  // A number that is not one may be the password written first: never echo it.
  if (!EXTENSION_NUMBER.test(number)) {
    return reason(
      `the first word ${HIDDEN} must be the extension number, 2 to 16 digits: extension = 301 <password> [name]`,
      `第一个词${HIDDEN_ZH}必须是分机号，2 到 16 位数字：extension = 301 <密码> [名称]`,
    );
  }
  const password = m?.[2];
  if (password === undefined) {
    return { number, ...reason(`extension ${number} has no password: extension = ${number} <password> [name]`, `分机 ${number} 缺少密码：extension = ${number} <密码> [名称]`) };
  }
  if (password.length < EXTENSION_PASSWORD_MIN) {
    return { number, ...reason(`the password ${HIDDEN} is too short: at least ${EXTENSION_PASSWORD_MIN} characters, no spaces`, `密码${HIDDEN_ZH}太短：至少 ${EXTENSION_PASSWORD_MIN} 个字符，不能含空格`) };
  }
  const daemon = password.length > PASSWORD_MAX ? `must have at most ${PASSWORD_MAX} characters` : passwordProblem(password, number);
  if (daemon !== undefined) return { number, ...reason(`the password ${HIDDEN} ${daemon}`, `密码${HIDDEN_ZH}不符合要求：${daemon}`) };
  let name = (m?.[3] ?? '').trim();
  // `301 secret "Front desk"` is a natural way to write a name with spaces.
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim();
  if (name === '') return { number, password };
  if (Array.from(name).length > DISPLAY_NAME_MAX) {
    return { number, ...reason(`the name ${shown(name)} is longer than ${DISPLAY_NAME_MAX} characters`, `名称 ${shown(name)} 超过 ${DISPLAY_NAME_MAX} 个字符`) };
  }
  // The name goes into quoted SIP display names: the daemon refuses these characters.
  if (/["\\\x00-\x1f\x7f]/.test(name)) {
    return { number, ...reason(`the name ${shown(name)} must not contain quotes, backslashes or control characters`, `名称 ${shown(name)} 不能包含引号、反斜杠或控制字符`) };
  }
  return { number, password, name };
}
