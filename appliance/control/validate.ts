/**
 * Validation of control API input. Every refusal is an AdminError EDGESIP_ERR_INVALID
 * naming the field at fault (the API's field names, e.g. `maxContacts`,
 * `allowedNetworks[1]`); the first problem found is reported.
 */
import { EXTENSION_NUMBER, isCidr } from '../config/schema';
import { AdminError, type AclList, type ExtensionInput } from './backend';
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

const EXTENSION_FIELDS = ['number', 'displayName', 'password', 'maxContacts', 'enabled', 'allowedNetworks'] as const;

/** Optional fields shared by creation and change, in the order they are checked. */
function optionalExtensionFields(obj: Fields, number: string | undefined, out: ExtensionInput): void {
  if (obj.displayName !== undefined) out.displayName = checkDisplayName(obj.displayName);
  if (obj.password !== undefined) out.password = checkPassword(obj.password, number);
  if (obj.maxContacts !== undefined) out.maxContacts = checkMaxContacts(obj.maxContacts);
  if (obj.enabled !== undefined) out.enabled = checkEnabled(obj.enabled);
  if (obj.allowedNetworks !== undefined) out.allowedNetworks = checkNetworks(obj.allowedNetworks);
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
  if (Object.keys(out).length === 0) invalid(BODY_FIELD, 'nothing to change: give at least one of displayName, password, maxContacts, enabled, allowedNetworks');
  return out;
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
