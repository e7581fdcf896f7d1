import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallClass, DialRule } from '../../config/schema';
import { allowed, CALL_CLASS_ORDER, compilePattern, matchDialPlan } from './dial-plan';

/** True when `pattern` matches the whole of `number`. */
function matches(pattern: string, number: string): boolean {
  const c = compilePattern(pattern);
  assert.ok(c.ok, `${pattern}: ${c.ok ? '' : c.reason}`);
  return c.regex.test(number);
}

function reason(pattern: string): string {
  const c = compilePattern(pattern);
  assert.equal(c.ok, false, pattern);
  return c.ok ? '' : c.reason;
}

function rule(name: string, pattern: string, fields: Partial<DialRule> = {}): DialRule {
  return { name, pattern, strip: 0, prefix: '', trunks: ['t'], class: 'national', ...fields };
}

test('digits, * and # match themselves, and the whole number only', () => {
  assert.ok(matches('110', '110'));
  assert.ok(!matches('110', '1100'));
  assert.ok(!matches('110', '0110'));
  assert.ok(!matches('110', '11'));
  assert.ok(matches('*97#', '*97#'));
  assert.ok(!matches('*97#', '197#'), '* is no wildcard');
  assert.ok(!matches('*97', '*97#'));
  assert.ok(matches('#31#', '#31#'));
});

test('+ matches itself, and only as the first element', () => {
  assert.ok(matches('+86X.', '+8613800138000'));
  assert.ok(!matches('+86X.', '8613800138000'));
  assert.ok(!matches('86X.', '+8613800138000'));
  assert.match(reason('0+1'), /'\+' may only come first \(position 2\)/);
});

test('X is any digit, N 2-9, Z 1-9 (also in lower case)', () => {
  for (const d of '0123456789') assert.ok(matches('9X', `9${d}`), `X ${d}`);
  assert.ok(!matches('9X', '9*'));
  assert.ok(!matches('9X', '9#'));
  assert.ok(!matches('9X', '9'));
  for (const d of '23456789') assert.ok(matches('N', d), `N ${d}`);
  for (const d of '01*') assert.ok(!matches('N', d), `N not ${d}`);
  for (const d of '123456789') assert.ok(matches('Z', d), `Z ${d}`);
  assert.ok(!matches('Z', '0'));
  assert.ok(matches('nxxz', '2009'));
  assert.ok(!matches('nxxz', '2000'));
  assert.ok(matches('NXXNXXXXXX', '2125551234'), 'a NANP number');
  assert.ok(!matches('NXXNXXXXXX', '2121551234'));
});

test('[...] sets: single digits, ranges, both; one digit each', () => {
  assert.ok(matches('[1-5]', '1'));
  assert.ok(matches('[1-5]', '5'));
  assert.ok(!matches('[1-5]', '6'));
  assert.ok(!matches('[1-5]', '0'));
  assert.ok(!matches('[1-5]', '12'), 'one digit');
  assert.ok(matches('[135]', '3'));
  assert.ok(!matches('[135]', '2'));
  assert.ok(matches('1[0-37-9]X', '129'));
  assert.ok(matches('1[0-37-9]X', '180'));
  assert.ok(!matches('1[0-37-9]X', '150'));
  assert.ok(matches('[5-5]', '5'), 'a range of one');
  assert.ok(matches('1[3-9]XXXXXXXXX', '13800138000'), 'a Chinese mobile number');
  assert.ok(!matches('1[3-9]XXXXXXXXX', '12800138000'));
  assert.match(reason('[1-5'), /'\[' at position 1 is not closed/);
  assert.match(reason('1-5]'), /"-" at position 2 is not a pattern element/);
  assert.match(reason('12]'), /'\]' at position 3 has no '\['/);
  assert.match(reason('[]'), /empty set in \[\] \(position 1\)/);
  assert.match(reason('9[5-1]'), /range 5-1 runs backwards in \[5-1\] \(position 2\)/);
  assert.match(reason('[1-]'), /'-' needs a digit on each side/);
  assert.match(reason('[-1]'), /"-" is not a digit/);
  assert.match(reason('[X]'), /"X" is not a digit/);
  assert.match(reason('[1-5X'), /not closed/);
});

test("'.' is one or more further digits, only at the end", () => {
  assert.ok(matches('9.', '91'));
  assert.ok(matches('9.', '9123456789012'));
  assert.ok(!matches('9.', '9'), 'at least one');
  assert.ok(!matches('9.', '91*'), 'digits only');
  assert.ok(!matches('9.', '81'));
  assert.ok(matches('00X.', '0044207'));
  assert.ok(!matches('00X.', '004'));
  assert.match(reason('9.X'), /'\.' may only come last \(position 2\)/);
  assert.match(reason('9..'), /'\.' may only come last/);
  assert.match(reason('.'), /at least one element before '\.'/);
});

test('anything else is refused with its position; empty and overlong patterns too', () => {
  assert.match(reason(''), /must not be empty/);
  assert.match(reason('9A'), /"A" at position 2 is not a pattern element/);
  assert.match(reason('9 1'), /" " at position 2/);
  assert.match(reason('9\n'), /"\\x0a" at position 2/);
  assert.match(reason('(91)'), /"\(" at position 1/);
  assert.match(reason('9?'), /"\?" at position 2/);
  assert.match(reason('1'.repeat(65)), /at most 64 characters/);
  assert.ok(compilePattern('1'.repeat(64)).ok);
});

test('lengths: fixed patterns have a maximum, open ones none', () => {
  const fixed = compilePattern('9[1-5]XX');
  assert.ok(fixed.ok);
  assert.equal(fixed.minLength, 4);
  assert.equal(fixed.maxLength, 4);
  const open = compilePattern('+86X.');
  assert.ok(open.ok);
  assert.equal(open.minLength, 5);
  assert.equal(open.maxLength, undefined);
});

test('regex characters in the dialled number are plain text', () => {
  assert.ok(!matches('9X.', '9.*'));
  assert.ok(!matches('*', 'x'));
  assert.ok(!matches('+1', '11'));
});

test('matchDialPlan: the first matching rule in order, with strip then prefix', () => {
  const rules = [
    rule('emergency', '11[09]', { class: 'emergency' }),
    rule('intl', '900.', { strip: 1, class: 'international' }),
    rule('mobile', '91[3-9]XXXXXXXXX', { strip: 1, prefix: '+86' }),
    rule('local', '9NXXXXXXX', { strip: 1, class: 'local' }),
    rule('catch-all', '9.', { strip: 1, prefix: '0' }),
  ];
  assert.deepEqual(matchDialPlan(rules, '110'), { rule: rules[0], number: '110' });
  assert.deepEqual(matchDialPlan(rules, '9004420712345'), { rule: rules[1], number: '004420712345' });
  assert.deepEqual(matchDialPlan(rules, '913800138000'), { rule: rules[2], number: '+8613800138000' });
  assert.deepEqual(matchDialPlan(rules, '962345678'), { rule: rules[3], number: '62345678' });
  assert.deepEqual(matchDialPlan(rules, '912'), { rule: rules[4], number: '012' }, 'the first match wins, later ones are not reached');
  assert.equal(matchDialPlan(rules, '101'), undefined);
  assert.equal(matchDialPlan(rules, ''), undefined);
  assert.equal(matchDialPlan([], '110'), undefined);
  // Order decides: the catch-all first takes everything starting with 9.
  assert.equal(matchDialPlan([rules[4]!, ...rules.slice(0, 4)], '913800138000')?.rule.name, 'catch-all');
  // A leading + counts as a character to strip.
  assert.deepEqual(matchDialPlan([rule('e164', '+86X.', { strip: 3, prefix: '0' })], '+8610123'), { rule: { ...rule('e164', '+86X.', { strip: 3, prefix: '0' }) }, number: '010123' });
});

test('matchDialPlan skips a rule whose pattern is invalid (validation refuses it anyway)', () => {
  const rules = [rule('broken', '9[.'), rule('ok', '9X')];
  assert.equal(matchDialPlan(rules, '91')?.rule.name, 'ok');
});

test('allowed: each permission allows its class and the ones before; emergency always', () => {
  assert.deepEqual(CALL_CLASS_ORDER, ['internal', 'local', 'national', 'international']);
  const table: Record<CallClass, Record<DialRule['class'], boolean>> = {
    internal: { internal: true, local: false, national: false, international: false, emergency: true },
    local: { internal: true, local: true, national: false, international: false, emergency: true },
    national: { internal: true, local: true, national: true, international: false, emergency: true },
    international: { internal: true, local: true, national: true, international: true, emergency: true },
  };
  for (const [permission, classes] of Object.entries(table) as [CallClass, Record<DialRule['class'], boolean>][]) {
    for (const [cls, expected] of Object.entries(classes) as [DialRule['class'], boolean][]) {
      assert.equal(allowed({ permission }, rule('r', '9X.', { class: cls })), expected, `${permission} → ${cls}`);
    }
  }
  assert.equal(allowed({ permission: 'bogus' as CallClass }, rule('r', '9', { class: 'internal' })), false, 'an unknown permission allows nothing but emergency');
  assert.equal(allowed({ permission: 'bogus' as CallClass }, rule('r', '9', { class: 'emergency' })), true);
});
