/**
 * Validation of control API input. Every refusal is an AdminError EDGESIP_ERR_INVALID
 * naming the field at fault (the API's field names, e.g. `maxContacts`,
 * `allowedNetworks[1]`); the first problem found is reported.
 */
import {
  CALL_CLASSES,
  credentialProblem,
  DIAL_PREFIX,
  DIAL_PREFIX_REASON,
  dialPatternProblem,
  DIGEST_ALGORITHMS,
  dnsNameProblem,
  DID_NUMBER,
  DID_REASON,
  EXTENSION_NUMBER,
  FORWARD_KINDS,
  FORWARD_SELF_REASON,
  FORWARD_TARGET_REASON,
  hostPortProblem,
  isCidr,
  isForwardTarget,
  NO_ANSWER_SECONDS,
  paiProblem,
  RULE_CLASSES,
  RULE_NAME,
  RULE_NAME_REASON,
  SIP_USER,
  SIP_USER_REASON,
  TRUNK_TRANSPORTS,
  TRUNK_TYPES,
  trunkNameProblem,
  uriParamsProblem,
  uriTemplateProblem,
  type CallClass,
  type DigestAlgorithmName,
  type ForwardSettings,
  type Language,
  type TlsMinVersion,
  type Trunk,
} from '../config/schema';
import { trunkPasswordProblem } from '../pbx/accounts/secret-store';
import { AdminError, type AclList, type CdrListQuery, type DialRuleInput, type ExtensionInput, type InboundView, type ServiceSettingsInput, type TrunkInput } from './backend';
import { BODY_FIELD } from './http-json';

type Fields = Record<string, unknown>;

function invalid(field: string, message: string): never {
  throw new AdminError('EDGESIP_ERR_INVALID', message, field);
}

function asObject(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid(BODY_FIELD, 'request body must be a JSON object');
  return body as Fields;
}

function onlyKnown(obj: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) invalid(key, `unknown field "${key}"; expected one of ${allowed.join(', ')}`);
  }
}

export function checkNumber(v: unknown, field = 'number'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!EXTENSION_NUMBER.test(v)) invalid(field, 'must be 1-32 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  return v;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const DIGITS_ONLY_MIN = 12;

/** Why `password` is unacceptable for extension `number`, or undefined when it is fine. */
export function passwordProblem(password: string, number: string | undefined): string | undefined {
  if (password.length < PASSWORD_MIN) return `is too weak: it must have at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must have at most ${PASSWORD_MAX} characters`;
  if (/[\x00-\x1f\x7f]/.test(password)) return 'must not contain control characters';
  if (number !== undefined && password.toLowerCase() === number.toLowerCase()) return 'is too weak: it must not be the extension number';
  if (/^\d+$/.test(password) && password.length < DIGITS_ONLY_MIN) {
    return `is too weak: a password of digits only must have at least ${DIGITS_ONLY_MIN} digits`;
  }
  if (/^(.)\1*$/su.test(password)) return 'is too weak: it must not repeat a single character';
  return undefined;
}

export function checkPassword(v: unknown, number: string | undefined): string {
  if (typeof v !== 'string') invalid('password', 'must be a string');
  const problem = passwordProblem(v, number);
  if (problem !== undefined) invalid('password', problem);
  return v;
}

export function checkDisplayName(v: unknown): string {
  // Goes into quoted SIP display names (same rule as the config schema).
  if (typeof v !== 'string') invalid('displayName', 'must be a string');
  if (v.length > 64 || /["\\\x00-\x1f\x7f]/.test(v)) {
    invalid('displayName', 'must be at most 64 characters without quotes, backslashes or control characters');
  }
  return v;
}

export function checkMaxContacts(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 20) invalid('maxContacts', 'must be an integer from 1 to 20');
  return v;
}

export function checkEnabled(v: unknown): boolean {
  if (typeof v !== 'boolean') invalid('enabled', 'must be true or false');
  return v;
}

export function checkCidr(v: unknown, field = 'cidr'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!isCidr(v)) invalid(field, `"${v}" is not an IPv4 or IPv6 network such as 192.0.2.0/24`);
  return v;
}

export function checkNetworks(v: unknown): string[] {
  if (!Array.isArray(v)) invalid('allowedNetworks', 'must be a list of networks (CIDR)');
  if (v.length > 64) invalid('allowedNetworks', 'must have at most 64 networks');
  const out: string[] = [];
  v.forEach((item: unknown, i) => {
    const cidr = checkCidr(item, `allowedNetworks[${i}]`);
    if (out.includes(cidr)) invalid(`allowedNetworks[${i}]`, `duplicate network ${cidr}`);
    out.push(cidr);
  });
  return out;
}

export function checkAclList(v: unknown, field = 'list'): AclList {
  if (v !== 'white' && v !== 'black') invalid(field, 'must be "white" or "black"');
  return v;
}

export function checkBlockKey(v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.length > 300 || /[\x00-\x1f\x7f]/.test(v)) {
    invalid('key', 'must be a block key as listed by GET /v1/blocks');
  }
  return v;
}

const FORWARD_FIELDS = [...FORWARD_KINDS, 'noAnswerSeconds'] as const;

/** A forwarding target of extension `number` ('' = off); field e.g. `forward.busy`. */
export function checkForwardTarget(v: unknown, field: string, number: string | undefined): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!isForwardTarget(v)) invalid(field, FORWARD_TARGET_REASON);
  // A forward to itself would ring the same phones again (schema rule, checked early for a clear field).
  if (number !== undefined && v === number) invalid(field, FORWARD_SELF_REASON);
  return v;
}

export function checkNoAnswerSeconds(v: unknown, field = 'forward.noAnswerSeconds'): number {
  const { min, max } = NO_ANSWER_SECONDS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalid(field, `must be an integer from ${min} to ${max}`);
  return v;
}

/** `forward` of an add or change body: any subset of the settings, each checked. */
export function checkForward(v: unknown, number: string | undefined): Partial<ForwardSettings> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid('forward', 'must be an object');
  const obj = v as Fields;
  for (const key of Object.keys(obj)) {
    if (!(FORWARD_FIELDS as readonly string[]).includes(key)) {
      invalid(`forward.${key}`, `unknown field "${key}"; expected one of ${FORWARD_FIELDS.join(', ')}`);
    }
  }
  const out: Partial<ForwardSettings> = {};
  for (const kind of FORWARD_KINDS) {
    if (obj[kind] !== undefined) out[kind] = checkForwardTarget(obj[kind], `forward.${kind}`, number);
  }
  if (obj.noAnswerSeconds !== undefined) out.noAnswerSeconds = checkNoAnswerSeconds(obj.noAnswerSeconds);
  return out;
}

export function checkPermission(v: unknown, field = 'permission'): CallClass {
  if (typeof v !== 'string' || !(CALL_CLASSES as readonly string[]).includes(v)) invalid(field, `must be one of ${CALL_CLASSES.join(', ')}`);
  return v as CallClass;
}

const EXTENSION_FIELDS = ['number', 'displayName', 'password', 'maxContacts', 'enabled', 'allowedNetworks', 'forward', 'permission'] as const;

/** Optional fields shared by creation and change, in the order they are checked. */
function optionalExtensionFields(obj: Fields, number: string | undefined, out: ExtensionInput): void {
  if (obj.displayName !== undefined) out.displayName = checkDisplayName(obj.displayName);
  if (obj.password !== undefined) out.password = checkPassword(obj.password, number);
  if (obj.maxContacts !== undefined) out.maxContacts = checkMaxContacts(obj.maxContacts);
  if (obj.enabled !== undefined) out.enabled = checkEnabled(obj.enabled);
  if (obj.allowedNetworks !== undefined) out.allowedNetworks = checkNetworks(obj.allowedNetworks);
  if (obj.forward !== undefined) out.forward = checkForward(obj.forward, number);
  if (obj.permission !== undefined) out.permission = checkPermission(obj.permission);
}

/** Body of POST /v1/extensions: number and password required. */
export function parseNewExtension(body: unknown): ExtensionInput & { number: string; password: string } {
  const obj = asObject(body);
  onlyKnown(obj, EXTENSION_FIELDS);
  if (obj.number === undefined) invalid('number', 'is required');
  const number = checkNumber(obj.number);
  if (obj.password === undefined) invalid('password', 'is required');
  const out: ExtensionInput = { number };
  optionalExtensionFields(obj, number, out);
  return { ...out, number, password: out.password as string };
}

/** Body of PATCH /v1/extensions/{number}: any field but the number, at least one. */
export function parseExtensionChange(number: string, body: unknown): ExtensionInput {
  const obj = asObject(body);
  onlyKnown(obj, EXTENSION_FIELDS);
  if (obj.number !== undefined && obj.number !== number) invalid('number', 'cannot be changed (remove the extension and add it again)');
  const out: ExtensionInput = {};
  optionalExtensionFields(obj, number, out);
  // An empty `forward` changes nothing either: drop it so the check below sees that.
  if (out.forward !== undefined && Object.keys(out.forward).length === 0) delete out.forward;
  if (Object.keys(out).length === 0) {
    invalid(BODY_FIELD, 'nothing to change: give at least one of displayName, password, maxContacts, enabled, allowedNetworks, forward, permission');
  }
  return out;
}

function checkString(v: unknown, field: string, problem: (s: string) => string | undefined): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  const reason = problem(v);
  if (reason !== undefined) invalid(field, reason);
  return v;
}

function checkOneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) invalid(field, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function checkTrunkName(v: unknown, field = 'name'): string {
  return checkString(v, field, trunkNameProblem);
}

const optionalSipUser = (s: string): string | undefined => (s === '' || SIP_USER.test(s) ? undefined : SIP_USER_REASON);
const displayNameProblem = (s: string): string | undefined =>
  s.length > 64 || /["\\\x00-\x1f\x7f]/.test(s) ? 'must be at most 64 characters without quotes, backslashes or control characters' : undefined;

const TRUNK_FIELDS = [
  'name',
  'enabled',
  'type',
  'domain',
  'proxy',
  'transport',
  'username',
  'authUsername',
  'realm',
  'registerExpires',
  'password',
  'peers',
  'requestUriParams',
  'callerId',
  'templates',
] as const;
const CALLER_ID_FIELDS = ['fromUser', 'fromDisplay', 'pai'] as const;
const TEMPLATE_FIELDS = ['from', 'to', 'pai'] as const;

export function checkPeers(v: unknown): string[] {
  if (!Array.isArray(v)) invalid('peers', 'must be a list of networks (CIDR)');
  if (v.length > 64) invalid('peers', 'must have at most 64 networks');
  const out: string[] = [];
  v.forEach((item: unknown, i) => {
    const cidr = checkCidr(item, `peers[${i}]`);
    if (out.includes(cidr)) invalid(`peers[${i}]`, `duplicate network ${cidr}`);
    out.push(cidr);
  });
  return out;
}

/** A sub-object of a trunk body: any subset of `fields`, each a string checked by `problems[field]`. */
function checkSubObject<K extends string>(v: unknown, field: string, fields: readonly K[], problems: Record<K, (s: string) => string | undefined>): Partial<Record<K, string>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(field, 'must be an object');
  const obj = v as Fields;
  for (const key of Object.keys(obj)) {
    if (!(fields as readonly string[]).includes(key)) invalid(`${field}.${key}`, `unknown field "${key}"; expected one of ${fields.join(', ')}`);
  }
  const out: Partial<Record<K, string>> = {};
  for (const key of fields) {
    if (obj[key] !== undefined) out[key] = checkString(obj[key], `${field}.${key}`, problems[key]);
  }
  return out;
}

/** The fields of a trunk body other than the name, each checked on its own (the whole trunk is checked by the config validation). */
function trunkFields(obj: Fields, out: TrunkInput): void {
  if (obj.enabled !== undefined) out.enabled = checkEnabled(obj.enabled);
  if (obj.type !== undefined) out.type = checkOneOf<Trunk['type']>(obj.type, 'type', TRUNK_TYPES);
  if (obj.domain !== undefined) out.domain = checkString(obj.domain, 'domain', hostPortProblem);
  if (obj.proxy !== undefined) out.proxy = checkString(obj.proxy, 'proxy', (s) => (s === '' ? undefined : hostPortProblem(s)));
  if (obj.transport !== undefined) out.transport = checkOneOf<Trunk['transport']>(obj.transport, 'transport', TRUNK_TRANSPORTS);
  if (obj.username !== undefined) out.username = checkString(obj.username, 'username', optionalSipUser);
  if (obj.authUsername !== undefined) out.authUsername = checkString(obj.authUsername, 'authUsername', credentialProblem);
  if (obj.realm !== undefined) out.realm = checkString(obj.realm, 'realm', credentialProblem);
  if (obj.registerExpires !== undefined) {
    const v = obj.registerExpires;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 60 || v > 86400) invalid('registerExpires', 'must be an integer from 60 to 86400');
    out.registerExpires = v;
  }
  if (obj.password !== undefined) out.password = checkString(obj.password, 'password', (s) => (s === '' ? undefined : trunkPasswordProblem(s)));
  if (obj.peers !== undefined) out.peers = checkPeers(obj.peers);
  if (obj.requestUriParams !== undefined) out.requestUriParams = checkString(obj.requestUriParams, 'requestUriParams', uriParamsProblem);
  if (obj.callerId !== undefined) {
    out.callerId = checkSubObject(obj.callerId, 'callerId', CALLER_ID_FIELDS, { fromUser: optionalSipUser, fromDisplay: displayNameProblem, pai: paiProblem });
  }
  if (obj.templates !== undefined) {
    out.templates = checkSubObject(obj.templates, 'templates', TEMPLATE_FIELDS, { from: uriTemplateProblem, to: uriTemplateProblem, pai: uriTemplateProblem });
  }
}

/** Body of POST /v1/trunks: name, type and domain required. */
export function parseNewTrunk(body: unknown): TrunkInput & { name: string; type: Trunk['type']; domain: string } {
  const obj = asObject(body);
  onlyKnown(obj, TRUNK_FIELDS);
  if (obj.name === undefined) invalid('name', 'is required');
  const name = checkTrunkName(obj.name);
  if (obj.type === undefined) invalid('type', `is required: ${TRUNK_TYPES.join(' or ')}`);
  if (obj.domain === undefined) invalid('domain', 'is required');
  const out: TrunkInput = { name };
  trunkFields(obj, out);
  return { ...out, name, type: out.type as Trunk['type'], domain: out.domain as string };
}

/** Body of PATCH /v1/trunks/{name}: any field but the name, at least one. */
export function parseTrunkChange(name: string, body: unknown): TrunkInput {
  const obj = asObject(body);
  onlyKnown(obj, TRUNK_FIELDS);
  if (obj.name !== undefined && obj.name !== name) invalid('name', 'cannot be changed (remove the trunk and add it again)');
  const out: TrunkInput = {};
  trunkFields(obj, out);
  if (out.callerId !== undefined && Object.keys(out.callerId).length === 0) delete out.callerId;
  if (out.templates !== undefined && Object.keys(out.templates).length === 0) delete out.templates;
  if (Object.keys(out).length === 0) invalid(BODY_FIELD, `nothing to change: give at least one of ${TRUNK_FIELDS.filter((f) => f !== 'name').join(', ')}`);
  return out;
}

export function checkRuleName(v: unknown, field = 'name'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!RULE_NAME.test(v)) invalid(field, RULE_NAME_REASON);
  return v;
}

function checkPosition(v: unknown, field = 'position'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10000) invalid(field, 'must be an integer from 1 (tried first) up');
  return v;
}

const RULE_FIELDS = ['name', 'pattern', 'strip', 'prefix', 'trunks', 'class', 'position'] as const;

/** Body of POST /v1/dialplan: name, pattern, trunks and class required. */
export function parseNewDialRule(body: unknown): DialRuleInput {
  const obj = asObject(body);
  onlyKnown(obj, RULE_FIELDS);
  for (const field of ['name', 'pattern', 'trunks', 'class'] as const) {
    if (obj[field] === undefined) invalid(field, field === 'class' ? `is required: one of ${RULE_CLASSES.join(', ')}` : 'is required');
  }
  const name = checkRuleName(obj.name);
  const pattern = checkString(obj.pattern, 'pattern', dialPatternProblem);
  if (!Array.isArray(obj.trunks) || obj.trunks.length === 0) invalid('trunks', 'must be a non-empty list of trunk names, tried in order');
  const trunks: string[] = [];
  obj.trunks.forEach((t: unknown, i) => {
    const trunk = checkTrunkName(t, `trunks[${i}]`);
    if (trunks.includes(trunk)) invalid(`trunks[${i}]`, `duplicate trunk ${trunk}`);
    trunks.push(trunk);
  });
  const out: DialRuleInput = { name, pattern, trunks, class: checkOneOf(obj.class, 'class', RULE_CLASSES) };
  if (obj.strip !== undefined) {
    if (typeof obj.strip !== 'number' || !Number.isInteger(obj.strip) || obj.strip < 0 || obj.strip > 32) invalid('strip', 'must be an integer from 0 to 32');
    out.strip = obj.strip;
  }
  if (obj.prefix !== undefined) out.prefix = checkString(obj.prefix, 'prefix', (s) => (DIAL_PREFIX.test(s) ? undefined : DIAL_PREFIX_REASON));
  if (obj.position !== undefined) out.position = checkPosition(obj.position);
  return out;
}

/** Body of POST /v1/dialplan/{name}/move: `{ position }`, 1 = tried first. */
export function parseMove(body: unknown): number {
  const obj = asObject(body);
  onlyKnown(obj, ['position']);
  if (obj.position === undefined) invalid('position', 'is required');
  return checkPosition(obj.position);
}

export function checkDid(v: unknown, field = 'did'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!DID_NUMBER.test(v)) invalid(field, DID_REASON);
  return v;
}

/** Body of POST /v1/inbound: `{ did, extension }`. */
export function parseNewDid(body: unknown): InboundView['dids'][number] {
  const obj = asObject(body);
  onlyKnown(obj, ['did', 'extension']);
  if (obj.did === undefined) invalid('did', 'is required');
  const did = checkDid(obj.did);
  if (obj.extension === undefined) invalid('extension', 'is required');
  return { did, extension: checkNumber(obj.extension, 'extension') };
}

/** Body of PUT /v1/inbound/default: `{ extension }`, '' = refuse calls to numbers without a DID entry. */
export function parseDefaultDestination(body: unknown): string {
  const obj = asObject(body);
  onlyKnown(obj, ['extension']);
  if (obj.extension === undefined) invalid('extension', "is required ('' = none)");
  return obj.extension === '' ? '' : checkNumber(obj.extension, 'extension');
}

/** Body of PUT /v1/settings/language: `{ language }`. */
export function parseLanguage(body: unknown): Language {
  const obj = asObject(body);
  onlyKnown(obj, ['language']);
  if (obj.language === undefined) invalid('language', 'is required');
  return checkOneOf<Language>(obj.language, 'language', ['en', 'zh-CN']);
}

/** Body of POST /v1/acl. */
export function parseAclEntry(body: unknown): { list: AclList; cidr: string } {
  const obj = asObject(body);
  onlyKnown(obj, ['list', 'cidr']);
  if (obj.list === undefined) invalid('list', 'is required');
  const list = checkAclList(obj.list);
  if (obj.cidr === undefined) invalid('cidr', 'is required');
  return { list, cidr: checkCidr(obj.cidr) };
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?)?$/;

export type IsoInstant = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * An ISO 8601 date (`2026-11-26`, meaning 00:00 UTC) or date-time with its zone
 * (`2026-11-26T08:30:00Z`, `2026-11-26T16:30+08:00`, seconds and fraction optional) as
 * epoch ms. A date-time without zone is refused: the daemon's zone is not the user's.
 */
export function parseIsoInstant(text: string): IsoInstant {
  const m = ISO_INSTANT.exec(text);
  const bad = { ok: false, reason: 'must be an ISO 8601 date (2026-11-26) or date-time with a zone (2026-11-26T08:30:00Z, 2026-11-26T16:30:00+08:00)' } as const;
  if (!m) return bad;
  const num = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [year, month, day, hour, minute, second] = [num(1), num(2), num(3), num(4), num(5), num(6)];
  const hasTime = m[4] !== undefined;
  if (hasTime && m[8] === undefined && m[9] === undefined) {
    return { ok: false, reason: 'needs a time zone: end it with Z (UTC) or an offset such as +08:00' };
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return { ok: false, reason: `has no such date: ${m[1]}-${m[2]}-${m[3]}` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'has no such time of day' };
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = num(10);
    const om = num(11);
    if (oh > 23 || om > 59) return { ok: false, reason: 'has an impossible zone offset' };
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  date.setUTCHours(hour, minute, second, millis);
  return { ok: true, ms: date.getTime() - offsetMin * 60_000 };
}

export const CDR_LIMIT_MAX = 100_000;
const CDR_PARAMS = ['since', 'until', 'limit'] as const;

/** The query of GET /v1/cdr: since, until (ISO, see parseIsoInstant), limit (1..100000). */
export function parseCdrQuery(query: URLSearchParams): CdrListQuery {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (!(CDR_PARAMS as readonly string[]).includes(name)) invalid(name, `unknown query parameter "${name}"; expected one of ${CDR_PARAMS.join(', ')}`);
    if (seen.has(name)) invalid(name, 'is given more than once');
    seen.add(name);
  }
  const out: CdrListQuery = {};
  for (const name of ['since', 'until'] as const) {
    let v = query.get(name);
    if (v === null) continue;
    // An unencoded "+08:00" arrives as " 08:00" ('+' means space in a query): take it back.
    v = v.replace(/^(\d{4}-\d{2}-\d{2}[Tt][\d:.]+) (\d{2}:\d{2})$/, '$1+$2');
    const parsed = parseIsoInstant(v);
    if (!parsed.ok) invalid(name, parsed.reason);
    out[name] = parsed.ms;
  }
  if (out.since !== undefined && out.until !== undefined && out.until <= out.since) invalid('until', 'must be after since');
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d{1,6}$/.test(limit) || Number(limit) < 1 || Number(limit) > CDR_LIMIT_MAX) invalid('limit', `must be an integer from 1 to ${CDR_LIMIT_MAX}`);
    out.limit = Number(limit);
  }
  return out;
}

export const DNS_CHECK_MAX_NAMES = 20;

/** Body of POST /v1/diag/dns: `names`, 0-20 DNS names; undefined (absent or empty) means the defaults. */
export function parseDnsCheck(body: unknown): string[] | undefined {
  const obj = asObject(body);
  onlyKnown(obj, ['names']);
  if (obj.names === undefined) return undefined;
  if (!Array.isArray(obj.names)) invalid('names', 'must be a list of DNS names');
  if (obj.names.length > DNS_CHECK_MAX_NAMES) invalid('names', `must have at most ${DNS_CHECK_MAX_NAMES} names`);
  const names = obj.names.map((n: unknown, i) => {
    if (typeof n !== 'string') invalid(`names[${i}]`, 'must be a string');
    const problem = dnsNameProblem(n);
    if (problem !== undefined) invalid(`names[${i}]`, problem);
    return n;
  });
  return names.length === 0 ? undefined : names;
}

/** Web admin user names: lower-case, like Unix accounts. */
export const ADMIN_USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
export const ADMIN_PASSWORD_MIN = 10;

export function checkAdminUser(v: unknown, field = 'user'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  if (!ADMIN_USER.test(v)) invalid(field, 'must be 1-32 lower-case letters, digits, dots, dashes or underscores, starting with a letter or underscore');
  return v;
}

/** Why `password` is unacceptable for admin `user` (longer minimum than SIP passwords: it guards everything). */
export function adminPasswordProblem(password: string, user: string | undefined): string | undefined {
  if (password.length < ADMIN_PASSWORD_MIN) return `is too weak: it must have at least ${ADMIN_PASSWORD_MIN} characters`;
  // Checked here: passwordProblem's own message speaks of an extension number.
  if (user !== undefined && password.toLowerCase() === user.toLowerCase()) return 'is too weak: it must not be the user name';
  return passwordProblem(password, undefined);
}

export function checkAdminPassword(v: unknown, user: string | undefined, field = 'password'): string {
  if (typeof v !== 'string') invalid(field, 'must be a string');
  const problem = adminPasswordProblem(v, user);
  if (problem !== undefined) invalid(field, problem);
  return v;
}

/** Body of POST /v1/admins: `{ user, password }`. */
export function parseNewAdmin(body: unknown): { user: string; password: string } {
  const obj = asObject(body);
  onlyKnown(obj, ['user', 'password']);
  if (obj.user === undefined) invalid('user', 'is required');
  const user = checkAdminUser(obj.user);
  if (obj.password === undefined) invalid('password', 'is required');
  return { user, password: checkAdminPassword(obj.password, user) };
}

/** Body of PUT /v1/admins/:user/password: `{ password }`. */
export function parseAdminPassword(user: string, body: unknown): string {
  const obj = asObject(body);
  onlyKnown(obj, ['password']);
  if (obj.password === undefined) invalid('password', 'is required');
  return checkAdminPassword(obj.password, user);
}

/** Each of cert and key; both fit in one 64 KiB request body. */
const PEM_MAX = 30 * 1024;

/** Body of PUT /v1/tls: `{ cert, key }` as PEM text (whether they fit together is the backend's check). */
export function parseTlsInstall(body: unknown): { cert: string; key: string } {
  const obj = asObject(body);
  onlyKnown(obj, ['cert', 'key']);
  const pem = (name: 'cert' | 'key', label: RegExp, what: string): string => {
    const v = obj[name];
    if (v === undefined) invalid(name, 'is required');
    if (typeof v !== 'string') invalid(name, 'must be a string of PEM text');
    if (v.length > PEM_MAX) invalid(name, `must be at most ${PEM_MAX} bytes`);
    if (!label.test(v)) invalid(name, `must be PEM text with a ${what} block`);
    return v;
  };
  return {
    cert: pem('cert', /-----BEGIN CERTIFICATE-----/, '"BEGIN CERTIFICATE"'),
    key: pem('key', /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/, '"BEGIN PRIVATE KEY"'),
  };
}

function checkPort(v: unknown, field: string, allowZero = false): number {
  const min = allowZero ? 0 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 65535) invalid(field, `must be an integer from ${min} to 65535`);
  return v;
}

/**
 * `sip.digestAlgorithms`: the challenges to offer, most preferred first: a non-empty
 * list of SHA-256 and/or MD5, each once. Every problem is reported at that field.
 */
function checkDigestAlgorithms(v: unknown): DigestAlgorithmName[] {
  const field = 'sip.digestAlgorithms';
  const expected = `must list ${DIGEST_ALGORITHMS.join(' and/or ')}, most preferred first`;
  if (!Array.isArray(v)) invalid(field, `${expected}, as an array`);
  if (v.length === 0) invalid(field, `${expected}: at least one`);
  const out: DigestAlgorithmName[] = [];
  for (const item of v as unknown[]) {
    if (typeof item !== 'string' || !(DIGEST_ALGORITHMS as readonly string[]).includes(item)) invalid(field, `unknown algorithm ${JSON.stringify(item)}; ${expected}`);
    const name = item as DigestAlgorithmName;
    if (out.includes(name)) invalid(field, `${name} is listed twice; each algorithm once`);
    out.push(name);
  }
  return out;
}

/** Body of PATCH /v1/settings: `{ sip?: {port, tlsPort, tlsMinVersion, digestAlgorithms}, web?: {port, httpRedirectPort, tlsMinVersion, idleTimeoutMinutes} }`. */
export function parseSettingsChange(body: unknown): ServiceSettingsInput {
  const obj = asObject(body);
  onlyKnown(obj, ['sip', 'web']);
  const out: ServiceSettingsInput = {};
  const section = (name: 'sip' | 'web', allowed: string[]): Fields | undefined => {
    if (obj[name] === undefined) return undefined;
    if (typeof obj[name] !== 'object' || obj[name] === null || Array.isArray(obj[name])) invalid(name, 'must be an object');
    const s = obj[name] as Fields;
    for (const key of Object.keys(s)) if (!allowed.includes(key)) invalid(`${name}.${key}`, `unknown field "${key}"; expected one of ${allowed.join(', ')}`);
    return s;
  };
  const sip = section('sip', ['port', 'tlsPort', 'tlsMinVersion', 'digestAlgorithms']);
  if (sip !== undefined) {
    const s: NonNullable<ServiceSettingsInput['sip']> = {};
    if (sip.port !== undefined) s.port = checkPort(sip.port, 'sip.port');
    if (sip.tlsPort !== undefined) s.tlsPort = checkPort(sip.tlsPort, 'sip.tlsPort');
    if (sip.tlsMinVersion !== undefined) s.tlsMinVersion = checkOneOf<TlsMinVersion>(sip.tlsMinVersion, 'sip.tlsMinVersion', ['TLSv1.2', 'TLSv1.3']);
    if (sip.digestAlgorithms !== undefined) s.digestAlgorithms = checkDigestAlgorithms(sip.digestAlgorithms);
    out.sip = s;
  }
  const web = section('web', ['port', 'httpRedirectPort', 'tlsMinVersion', 'idleTimeoutMinutes']);
  if (web !== undefined) {
    const w: NonNullable<ServiceSettingsInput['web']> = {};
    // 0 turns the web admin off (config schema: web.port 0-65535).
    if (web.port !== undefined) w.port = checkPort(web.port, 'web.port', true);
    if (web.httpRedirectPort !== undefined) w.httpRedirectPort = checkPort(web.httpRedirectPort, 'web.httpRedirectPort', true);
    if (web.tlsMinVersion !== undefined) w.tlsMinVersion = checkOneOf<TlsMinVersion>(web.tlsMinVersion, 'web.tlsMinVersion', ['TLSv1.2', 'TLSv1.3']);
    if (web.idleTimeoutMinutes !== undefined) {
      const v = web.idleTimeoutMinutes;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1440) invalid('web.idleTimeoutMinutes', 'must be an integer from 1 to 1440');
      w.idleTimeoutMinutes = v;
    }
    out.web = w;
  }
  return out;
}
