import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, validateConfig } from './schema';

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
