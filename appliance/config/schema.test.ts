import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, defaultForward, validateConfig } from './schema';

test('the defaults are valid', () => {
  assert.deepEqual(validateConfig(defaultConfig()), []);
});

test('every problem is reported with its path and reason, unknown fields included', () => {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.language = 'fr';
  c.sip.port = 0;
  c.sip.listen = ['0.0.0.0', 'not-an-ip'];
  c.tls.minVersion = 'TLSv1.1';
  c.log.colour = true;
  delete c.sip.realm;
  const problems = validateConfig(c);
  assert.deepEqual(
    problems.map((p) => p.path).sort(),
    ['language', 'log.colour', 'sip.listen[1]', 'sip.port', 'sip.realm', 'tls.minVersion'],
  );
  assert.match(problems.find((p) => p.path === 'tls.minVersion')!.reason, /TLSv1\.2, TLSv1\.3/);
  assert.equal(problems.find((p) => p.path === 'log.colour')!.reason, 'unknown field');
  assert.equal(problems.find((p) => p.path === 'sip.realm')!.reason, 'missing');
});

test('cross-field rules: distinct ports, certificate and key together', () => {
  const c = defaultConfig();
  c.sip.tlsPort = c.sip.port;
  c.tls.certFile = '/etc/edgesip/cert.pem';
  assert.deepEqual(validateConfig(c).map((p) => p.path).sort(), ['sip.tlsPort', 'tls.keyFile']);
});

test('non-objects are refused at the root and in sections', () => {
  assert.deepEqual(validateConfig(null), [{ path: '(root)', reason: 'must be an object' }]);
  const c = defaultConfig() as unknown as Record<string, unknown>;
  c.tls = 'yes';
  assert.deepEqual(validateConfig(c), [{ path: 'tls', reason: 'must be an object' }]);
});

/** A default config with one extension `number` whose forwarding is `forward` over the defaults. */
function withExtension(number: string, forward: Record<string, unknown> = {}): Record<string, any> {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.extensions.push({ number, displayName: '', maxContacts: 3, enabled: true, allowedNetworks: [], forward: { ...defaultForward(), ...forward } });
  return c;
}

test('version 3 with forwarding off and the calls defaults', () => {
  const c = defaultConfig();
  assert.equal(c.version, 3);
  assert.deepEqual(c.calls, { maxForwardHops: 5, maxRingSeconds: 120, cdrRetentionDays: 90 });
  assert.deepEqual(defaultForward(), { always: '', busy: '', noAnswer: '', unavailable: '', noAnswerSeconds: 20 });
  assert.deepEqual(validateConfig(withExtension('101')), []);
  const old = defaultConfig() as unknown as Record<string, any>;
  old.version = 2;
  assert.deepEqual(validateConfig(old), [{ path: 'version', reason: 'must be 3 (files of versions 1 and 2 are migrated when loaded)' }]);
});

test('forward targets: off, an extension number or a dialled number', () => {
  const ok = withExtension('101', { always: '102', busy: 'front-desk', noAnswer: '+8613800138000', unavailable: '*97#', noAnswerSeconds: 5 });
  assert.deepEqual(validateConfig(ok), []);
  assert.deepEqual(validateConfig(withExtension('101', { noAnswerSeconds: 300 })), []);

  const bad = withExtension('101', { always: 'a b', busy: 102, noAnswer: '+-1', unavailable: '1'.repeat(33), noAnswerSeconds: 4 });
  const problems = validateConfig(bad);
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    'extensions[0].forward.always',
    'extensions[0].forward.busy',
    'extensions[0].forward.noAnswer',
    'extensions[0].forward.noAnswerSeconds',
    'extensions[0].forward.unavailable',
  ]);
  assert.match(problems.find((p) => p.path === 'extensions[0].forward.always')!.reason, /extension number or a dialled number/);
  assert.equal(problems.find((p) => p.path === 'extensions[0].forward.noAnswerSeconds')!.reason, 'must be an integer from 5 to 300');
  for (const seconds of [301, 20.5, '20']) {
    assert.deepEqual(validateConfig(withExtension('101', { noAnswerSeconds: seconds })).map((p) => p.path), ['extensions[0].forward.noAnswerSeconds'], String(seconds));
  }
});

test('an extension never forwards to itself, reported with the other problems', () => {
  const c = withExtension('101', { busy: '101', noAnswer: '101' });
  c.language = 'fr';
  assert.deepEqual(validateConfig(c), [
    { path: 'language', reason: 'must be one of en, zh-CN' },
    { path: 'extensions[0].forward.busy', reason: 'must not forward to itself' },
    { path: 'extensions[0].forward.noAnswer', reason: 'must not forward to itself' },
  ]);
});

test('forward: missing, unknown and non-object fields', () => {
  const c = withExtension('101');
  delete c.extensions[0].forward.unavailable;
  c.extensions[0].forward.sometimes = '102';
  assert.deepEqual(validateConfig(c).map((p) => `${p.path}: ${p.reason}`).sort(), [
    'extensions[0].forward.sometimes: unknown field',
    'extensions[0].forward.unavailable: missing',
  ]);
  const d = withExtension('101');
  d.extensions[0].forward = '102';
  assert.deepEqual(validateConfig(d), [{ path: 'extensions[0].forward', reason: 'must be an object' }]);
  const e = withExtension('101');
  delete e.extensions[0].forward;
  assert.deepEqual(validateConfig(e), [{ path: 'extensions[0].forward', reason: 'missing' }]);
});

test('calls: each limit with its range', () => {
  const c = defaultConfig() as unknown as Record<string, any>;
  c.calls = { maxForwardHops: 0, maxRingSeconds: 601, cdrRetentionDays: 3651 };
  assert.deepEqual(validateConfig(c), [
    { path: 'calls.maxForwardHops', reason: 'must be an integer from 1 to 20' },
    { path: 'calls.maxRingSeconds', reason: 'must be an integer from 10 to 600' },
    { path: 'calls.cdrRetentionDays', reason: 'must be an integer from 1 to 3650' },
  ]);
  c.calls = { maxForwardHops: 20, maxRingSeconds: 10, cdrRetentionDays: 1 };
  assert.deepEqual(validateConfig(c), []);
  c.calls = { maxForwardHops: 1.5, maxRingSeconds: 9, cdrRetentionDays: 0 };
  assert.deepEqual(validateConfig(c).map((p) => p.path), ['calls.maxForwardHops', 'calls.maxRingSeconds', 'calls.cdrRetentionDays']);
  delete c.calls;
  assert.deepEqual(validateConfig(c), [{ path: 'calls', reason: 'missing' }]);
});
