/**
 * /boot/firmware/edgesip.conf: the provisioning file a user writes on the FAT boot
 * partition (often on Windows: CRLF line ends and a UTF-8 BOM are accepted).
 *
 *   # comment
 *   key = value          spaces around '=' optional; "value" may be quoted
 *
 * The parser collects every problem, each with its line and key, so one reboot shows
 * all of them; a file with any problem is refused as a whole. Secret values (password
 * hashes, passwords) never appear in a problem.
 */
import {
  cryptHashProblem,
  edgesipAdminPasswordProblem,
  gatewayProblem,
  hostnameProblem,
  isReason,
  parseDnsServers,
  parseExtension,
  parseSshPublicKey,
  parseStaticAddress,
  sshKeyId,
  type ExtensionRequest,
  type Reason,
  type SshPublicKey,
  type StaticAddress,
} from './value-rules';

export const PROVISIONING_FILE_NAME = 'edgesip.conf';

export const PROVISIONING_KEYS = [
  'hostname',
  'ssh_authorized_key',
  'admin_password_hash',
  'address',
  'gateway',
  'dns',
  'edgesip_admin_password',
  'extension',
] as const;
export type ProvisioningKey = (typeof PROVISIONING_KEYS)[number];

const REPEATABLE: ReadonlySet<ProvisioningKey> = new Set(['ssh_authorized_key', 'extension']);
/** Lines the scrub replaces with a comment once applied. */
export const SECRET_KEYS: ReadonlySet<ProvisioningKey> = new Set(['admin_password_hash', 'edgesip_admin_password', 'extension']);

/** `address = dhcp` goes back to DHCP after a static address was provisioned. */
export const DHCP = 'dhcp';

export interface StaticNetworkRequest {
  address: string;
  gateway?: string;
  dns: string[];
}

/** What a clean file asks for; absent fields leave the stored state as it is. */
export interface ProvisioningRequest {
  hostname?: string;
  sshKeys: SshPublicKey[];
  adminPasswordHash?: string;
  network?: StaticNetworkRequest | typeof DHCP;
  edgesipAdminPassword?: string;
  extensions: ExtensionRequest[];
}

export interface FileLine {
  /** 1-based. */
  number: number;
  /** Without its line end. */
  text: string;
  /** For `key = value` lines of a clean file. */
  entry?: { key: ProvisioningKey; value: string };
}

export interface ParsedProvisioningFile {
  request: ProvisioningRequest;
  lines: FileLine[];
  /** Kept by the scrub so the file stays as the user's editor wrote it. */
  bom: boolean;
  eol: '\n' | '\r\n';
  finalEol: boolean;
}

export interface ProvisioningProblem {
  /** 0: the file as a whole. */
  line: number;
  /** What the line is about: the key, `extension 301`, or '' when unknown. */
  key: string;
  reason: Reason;
}

export type ParseOutcome = { ok: true; file: ParsedProvisioningFile } | { ok: false; problems: ProvisioningProblem[] };

/** Only plain identifiers are echoed as key names: a wrapped private key line may look like `xyz...=`. */
const SHOWABLE_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

export function parseProvisioningFile(data: Buffer | string): ParseOutcome {
  const problems: ProvisioningProblem[] = [];
  const decoded = typeof data === 'string' ? { text: data } : decodeUtf8(data);
  if ('problem' in decoded) return { ok: false, problems: [decoded.problem] };
  let text = decoded.text;
  const bom = text.startsWith('\uFEFF');
  if (bom) text = text.slice(1);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = text.endsWith('\n');
  const rawLines = text.split('\n');
  if (finalEol) rawLines.pop();

  const lines: FileLine[] = [];
  const request: ProvisioningRequest = { sshKeys: [], extensions: [] };
  const firstLineOf = new Map<ProvisioningKey, number>();
  const extensionLines = new Map<string, number>();
  let address: StaticAddress | undefined;
  let dhcp = false;
  let gateway: { value: string; line: number } | undefined;
  let dns: { servers: string[]; line: number } | undefined;
  const problem = (line: number, key: string, r: Reason): void => void problems.push({ line, key, reason: r });

  rawLines.forEach((raw, i) => {
    const number = i + 1;
    const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const line: FileLine = { number, text: lineText };
    lines.push(line);
    const trimmed = lineText.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = lineText.indexOf('=');
    if (eq === -1) {
      // The line may be a secret pasted on its own: it is not quoted.
      problem(number, '', {
        en: 'is not a "key = value" line (no "="); start comments with #',
        zh: '不是 "键 = 值" 格式的行（没有 "="）；注释请以 # 开头',
      });
      return;
    }
    const keyText = lineText.slice(0, eq).trim();
    let value = lineText.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!(PROVISIONING_KEYS as readonly string[]).includes(keyText)) {
      problem(number, SHOWABLE_KEY.test(keyText) ? keyText : '', unknownKey(keyText));
      return;
    }
    const key = keyText as ProvisioningKey;
    const first = firstLineOf.get(key);
    if (first !== undefined && !REPEATABLE.has(key)) {
      problem(number, key, { en: `is given twice (first on line ${first}); it may appear only once`, zh: `出现了两次（第一次在第 ${first} 行）；只能出现一次` });
      return;
    }
    if (first === undefined) firstLineOf.set(key, number);
    if (value === '') {
      problem(number, key, { en: 'has no value', zh: '没有值' });
      return;
    }
    line.entry = { key, value };
    switch (key) {
      case 'hostname': {
        const r = hostnameProblem(value);
        if (r) problem(number, key, r);
        else request.hostname = value;
        break;
      }
      case 'ssh_authorized_key': {
        const k = parseSshPublicKey(value);
        if (isReason(k)) problem(number, key, k);
        else if (!request.sshKeys.some((o) => sshKeyId(o) === sshKeyId(k))) request.sshKeys.push(k);
        break;
      }
      case 'admin_password_hash': {
        const r = cryptHashProblem(value);
        if (r) problem(number, key, r);
        else request.adminPasswordHash = value;
        break;
      }
      case 'address': {
        if (value.toLowerCase() === DHCP) {
          dhcp = true;
          break;
        }
        const a = parseStaticAddress(value);
        if (isReason(a)) problem(number, key, a);
        else address = a;
        break;
      }
      case 'gateway':
        gateway = { value, line: number };
        break;
      case 'dns': {
        const servers = parseDnsServers(value);
        if (isReason(servers)) problem(number, key, servers);
        else dns = { servers, line: number };
        break;
      }
      case 'edgesip_admin_password': {
        const r = edgesipAdminPasswordProblem(value);
        if (r) problem(number, key, r);
        else request.edgesipAdminPassword = value;
        break;
      }
      case 'extension': {
        const ext = parseExtension(value);
        if (isReason(ext)) {
          problem(number, ext.number === undefined ? key : `extension ${ext.number}`, ext);
          break;
        }
        const earlier = extensionLines.get(ext.number);
        if (earlier !== undefined) {
          problem(number, `extension ${ext.number}`, {
            en: `extension ${ext.number} is given twice (first on line ${earlier})`,
            zh: `分机 ${ext.number} 出现了两次（第一次在第 ${earlier} 行）`,
          });
          break;
        }
        extensionLines.set(ext.number, number);
        request.extensions.push(ext);
        break;
      }
      default:
        assertNever(key);
    }
  });

  // gateway and dns describe a static address: without one they would be ignored silently.
  const addressLine = firstLineOf.get('address');
  for (const [key, at] of [['gateway', gateway?.line], ['dns', dns?.line]] as const) {
    if (at === undefined) continue;
    if (addressLine === undefined) {
      problem(at, key, { en: `needs a static address: add address = 192.0.2.10/24 (without address, the board uses DHCP)`, zh: `需要静态地址：请添加 address = 192.0.2.10/24（没有 address 时设备使用 DHCP）` });
    } else if (dhcp) {
      problem(at, key, { en: 'cannot be used with address = dhcp (DHCP supplies it)', zh: '不能与 address = dhcp 同时使用（由 DHCP 提供）' });
    }
  }
  if (gateway !== undefined && addressLine !== undefined && !dhcp) {
    const r = gatewayProblem(gateway.value, address);
    if (r) problem(gateway.line, 'gateway', r);
  }
  if (dhcp) request.network = DHCP;
  else if (address !== undefined) {
    request.network = { address: address.cidr, dns: dns?.servers ?? [] };
    if (gateway !== undefined) request.network.gateway = gateway.value;
  }

  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    return { ok: false, problems };
  }
  return { ok: true, file: { request, lines, bom, eol, finalEol } };
}

/** UTF-8 text, or the problem (Notepad's "Unicode" is UTF-16: say so). */
function decodeUtf8(data: Buffer): { text: string } | { problem: ProvisioningProblem } {
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    return {
      problem: { line: 0, key: '', reason: { en: 'is UTF-16 text ("Unicode" in Notepad); save it as UTF-8', zh: '是 UTF-16 编码（记事本中的 "Unicode"）；请另存为 UTF-8 编码' } },
    };
  }
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { text: decoder.decode(data) };
  } catch {
    // Name the first bad line so it can be found.
    let start = 0;
    for (let number = 1; start <= data.length; number++) {
      const end = data.indexOf(0x0a, start);
      const stop = end === -1 ? data.length : end;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(start, stop));
      } catch {
        return { problem: { line: number, key: '', reason: { en: 'is not UTF-8 text; save the file as UTF-8', zh: '不是 UTF-8 文本；请将文件另存为 UTF-8 编码' } } };
      }
      if (end === -1) break;
      start = end + 1;
    }
    return { problem: { line: 0, key: '', reason: { en: 'is not UTF-8 text; save it as UTF-8', zh: '不是 UTF-8 文本；请另存为 UTF-8 编码' } } };
  }
}

function unknownKey(keyText: string): Reason {
  if (keyText === '') return { en: 'has no key before "="', zh: '"=" 前面没有键名' };
  const known = `known keys: ${PROVISIONING_KEYS.join(', ')}`;
  const knownZh = `可用的键：${PROVISIONING_KEYS.join('、')}`;
  if (!SHOWABLE_KEY.test(keyText)) return { en: `is not a known key; ${known}`, zh: `不是可用的键；${knownZh}` };
  const guess = closestKey(keyText);
  if (guess !== undefined) return { en: `unknown key "${keyText}"; did you mean ${guess}?`, zh: `未知的键 "${keyText}"；是否应为 ${guess}？` };
  return { en: `unknown key "${keyText}"; ${known}`, zh: `未知的键 "${keyText}"；${knownZh}` };
}

/** The known key a typo most likely meant (case, a few letters off), if any. */
function closestKey(typed: string): string | undefined {
  const lower = typed.toLowerCase().replace(/-/g, '_');
  let best: { key: string; distance: number } | undefined;
  for (const key of PROVISIONING_KEYS) {
    const d = editDistance(lower, key);
    if (d <= Math.max(1, Math.floor(key.length / 5)) && (best === undefined || d < best.distance)) best = { key, distance: d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function assertNever(v: never): never {
  throw new Error(`unhandled provisioning key ${String(v)}`);
}

// ---- messages ------------------------------------------------------------------

/** Two lines per problem: English, then Chinese. */
export function formatProblem(p: ProvisioningProblem): [string, string] {
  const key = p.key === '' ? '' : ` (${p.key})`;
  const keyZh = p.key === '' ? '' : `（${p.key}）`;
  if (p.line === 0) return [`${PROVISIONING_FILE_NAME}${key}: ${p.reason.en}`, `${PROVISIONING_FILE_NAME}${keyZh}：${p.reason.zh}`];
  return [`${PROVISIONING_FILE_NAME} line ${p.line}${key}: ${p.reason.en}`, `${PROVISIONING_FILE_NAME} 第 ${p.line} 行${keyZh}：${p.reason.zh}`];
}

/** The refusal as printed on stderr and shown above the console login prompt. */
export function refusalText(problems: readonly ProvisioningProblem[]): string[] {
  const count = problems.length;
  return [
    `EdgeSIP: ${PROVISIONING_FILE_NAME} on the boot partition was refused (${count} ${count === 1 ? 'problem' : 'problems'}); nothing in it was applied.`,
    `EdgeSIP：引导分区上的 ${PROVISIONING_FILE_NAME} 被拒绝（${count} 个问题），其中的设置均未生效。`,
    ...problems.flatMap(formatProblem),
    `Fix these lines in ${PROVISIONING_FILE_NAME} (on the boot partition) and reboot.`,
    `请修改引导分区上 ${PROVISIONING_FILE_NAME} 中的以上各行，然后重启。`,
  ];
}

/** agetty expands backslash escapes in issue files: a value shown there must stay literal. */
export function issueText(lines: readonly string[]): string {
  return `${lines.map((l) => l.replace(/\\/g, '\\\\')).join('\n')}\n\n`;
}

// ---- scrub -----------------------------------------------------------------------

/** 2026-11-26T17:00:00Z: seconds are enough, and it reads better in a comment. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The file with each secret line replaced by a comment saying what was applied and
 * when; every other line as it was. undefined when there is no secret line (nothing to
 * rewrite on the FAT partition).
 */
export function scrubProvisioningFile(file: ParsedProvisioningFile, appliedAtMs: number): string | undefined {
  const at = isoSeconds(appliedAtMs);
  let changed = false;
  const out = file.lines.map((line) => {
    const entry = line.entry;
    if (entry === undefined || !SECRET_KEYS.has(entry.key)) return line.text;
    changed = true;
    switch (entry.key) {
      case 'admin_password_hash':
        return `# admin_password_hash: applied ${at}, hash removed`;
      case 'edgesip_admin_password':
        return `# edgesip_admin_password: applied ${at}, password removed`;
      default: {
        const ext = parseExtension(entry.value) as ExtensionRequest; // a clean file: it parsed
        const name = ext.name === undefined ? '' : ` "${ext.name}"`;
        return `# extension ${ext.number}${name}: applied ${at}, password removed`;
      }
    }
  });
  if (!changed) return undefined;
  return `${file.bom ? '\uFEFF' : ''}${out.join(file.eol)}${file.finalEol ? file.eol : ''}`;
}
