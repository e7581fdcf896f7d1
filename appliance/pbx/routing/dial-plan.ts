/**
 * The dial plan, pure: which rule (and so which trunks) a dialled number takes, the
 * number sent to the trunk, and whether an extension may dial it.
 *
 * Pattern elements (a rule matches the whole dialled number):
 *   0-9 * #   themselves
 *   +         itself, only as the first element
 *   X         any digit 0-9
 *   N         a digit 2-9
 *   Z         a digit 1-9
 *   [1-5] [135] [0-47-9]   one digit of the set (digits and ranges)
 *   .         one or more further digits; only as the last element
 * X, N and Z may also be written in lower case.
 *
 * Only type imports from the config: the config validation imports compilePattern.
 */
import type { CallClass, DialRule } from '../../config/schema';

/** Longest pattern accepted, in characters. */
export const PATTERN_MAX_LENGTH = 64;

export type CompiledPattern =
  | {
      ok: true;
      /** Anchored: matches a whole dialled number. */
      regex: RegExp;
      /** Fewest characters a matching number has. */
      minLength: number;
      /** Most characters a matching number has; undefined when it ends with '.'. */
      maxLength: number | undefined;
    }
  | { ok: false; reason: string };

/** Checks `pattern` and turns it into an anchored regular expression. Total: never throws. */
export function compilePattern(pattern: string): CompiledPattern {
  if (typeof pattern !== 'string' || pattern === '') return { ok: false, reason: 'must not be empty' };
  if (pattern.length > PATTERN_MAX_LENGTH) return { ok: false, reason: `must have at most ${PATTERN_MAX_LENGTH} characters` };
  let source = '';
  let length = 0;
  let open = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (/[0-9*#]/.test(c)) {
      source += c === '*' ? '\\*' : c;
      length++;
    } else if (c === '+') {
      if (i !== 0) return { ok: false, reason: `'+' may only come first (position ${i + 1})` };
      source += '\\+';
      length++;
    } else if (c === 'X' || c === 'x') {
      source += '[0-9]';
      length++;
    } else if (c === 'N' || c === 'n') {
      source += '[2-9]';
      length++;
    } else if (c === 'Z' || c === 'z') {
      source += '[1-9]';
      length++;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return { ok: false, reason: `'[' at position ${i + 1} is not closed by ']'` };
      const set = compileSet(pattern.slice(i + 1, end));
      if (typeof set !== 'string') return { ok: false, reason: `${set.reason} in ${pattern.slice(i, end + 1)} (position ${i + 1})` };
      source += set;
      length++;
      i = end;
    } else if (c === '.') {
      if (i !== pattern.length - 1) return { ok: false, reason: `'.' may only come last (position ${i + 1})` };
      if (length === 0) return { ok: false, reason: "must have at least one element before '.'" };
      source += '[0-9]+';
      open = true;
      length++;
    } else if (c === ']') {
      return { ok: false, reason: `']' at position ${i + 1} has no '['` };
    } else {
      return { ok: false, reason: `"${printable(c)}" at position ${i + 1} is not a pattern element (digits, * # +, X N Z, [ranges], a final '.')` };
    }
  }
  return { ok: true, regex: new RegExp(`^${source}$`), minLength: length, maxLength: open ? undefined : length };
}

/** The inside of [...]: digits and ranges d-d, as a regex class; a reason when wrong. */
function compileSet(inner: string): string | { reason: string } {
  if (inner === '') return { reason: 'empty set' };
  const digits = new Set<number>();
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (!/[0-9]/.test(c)) return { reason: `"${printable(c)}" is not a digit` };
    if (inner[i + 1] === '-') {
      const hi = inner[i + 2];
      if (hi === undefined || !/[0-9]/.test(hi)) return { reason: "'-' needs a digit on each side" };
      if (Number(hi) < Number(c)) return { reason: `range ${c}-${hi} runs backwards` };
      for (let d = Number(c); d <= Number(hi); d++) digits.add(d);
      i += 2;
    } else {
      digits.add(Number(c));
    }
  }
  return `[${[...digits].sort().join('')}]`;
}

function printable(c: string): string {
  return /[\x00-\x1f\x7f"\\]/.test(c) ? `\\x${(c.codePointAt(0) ?? 0).toString(16).padStart(2, '0')}` : c;
}

export interface DialPlanMatch {
  rule: DialRule;
  /** The number for the trunk: the dialled number without `strip` leading characters, after `prefix`. */
  number: string;
}

/** Compiled patterns by their text (rules change rarely; numbers are matched per call). */
const cache = new Map<string, CompiledPattern>();
const CACHE_MAX = 1000;

function compiled(pattern: string): CompiledPattern {
  let c = cache.get(pattern);
  if (c === undefined) {
    if (cache.size >= CACHE_MAX) cache.clear();
    c = compilePattern(pattern);
    cache.set(pattern, c);
  }
  return c;
}

/**
 * The first rule, in order, whose pattern matches the whole of `dialled`, with the number
 * to send (strip, then prefix). Rules with a bad pattern (refused by validation) never match.
 */
export function matchDialPlan(rules: readonly DialRule[], dialled: string): DialPlanMatch | undefined {
  for (const rule of rules) {
    const c = compiled(rule.pattern);
    if (c.ok && c.regex.test(dialled)) return { rule, number: rule.prefix + dialled.slice(rule.strip) };
  }
  return undefined;
}

/** The classes an extension may be allowed, each permitting the ones before it. */
export const CALL_CLASS_ORDER: readonly CallClass[] = ['internal', 'local', 'national', 'international'];

/** True when an extension with `permission` may dial numbers of the rule's class; emergency always. */
export function allowed(ext: { permission: CallClass }, rule: Pick<DialRule, 'class'>): boolean {
  if (rule.class === 'emergency') return true;
  const need = CALL_CLASS_ORDER.indexOf(rule.class);
  const have = CALL_CLASS_ORDER.indexOf(ext.permission);
  return need !== -1 && have !== -1 && need <= have;
}
