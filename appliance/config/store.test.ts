import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, defaultForward } from './schema';
import { ConfigError, loadConfig, migrate, saveConfig } from './store';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'edgesip-config-'));
}

test('a missing config is created with the defaults, readable only by the service', () => {
  const dir = tempDir();
  try {
    const { config, created, file } = loadConfig(dir);
    assert.equal(created, true);
    assert.deepEqual(config, defaultConfig());
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), defaultConfig());
    assert.equal(loadConfig(dir).created, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid config is refused with every problem and left byte for byte', () => {
  const dir = tempDir();
  try {
    const c = defaultConfig() as unknown as Record<string, any>;
    c.sip.port = 'five';
    const text = JSON.stringify(c);
    writeFileSync(join(dir, 'config.json'), text);
    assert.throws(() => loadConfig(dir), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'EDGESIP_ERR_CONFIG');
      assert.deepEqual(err.problems, [{ path: 'sip.port', reason: 'must be an integer from 1 to 65535' }]);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broken JSON is refused with the parser\'s reason', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'config.json'), '{"version": 1,');
    assert.throws(() => loadConfig(dir), (err: unknown) => err instanceof ConfigError && err.problems[0]!.path === '(file)' && /not valid JSON/.test(err.problems[0]!.reason));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the loaded config is frozen: nothing can change the running one by accident', () => {
  const dir = tempDir();
  try {
    loadConfig(dir);
    const { config } = loadConfig(dir);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.sip) && Object.isFrozen(config.sip.listen));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version 1 file is migrated to the current version with defaults, the old one kept as config.json.v1', () => {
  const dir = tempDir();
  try {
    const current = defaultConfig();
    const v1 = { version: 1, language: 'zh-CN', sip: { ...current.sip, digestAlgorithms: undefined }, tls: current.tls, log: current.log };
    const text = JSON.stringify(v1);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 6);
    assert.equal(config.language, 'zh-CN', 'existing settings are kept');
    assert.deepEqual(config.sip.digestAlgorithms, current.sip.digestAlgorithms);
    assert.deepEqual(config.guard, current.guard);
    assert.deepEqual(config.calls, current.calls);
    assert.equal(readFileSync(join(dir, 'config.json.v1'), 'utf8'), text);
    assert.equal(existsSync(join(dir, 'config.json.v2')), false, 'one backup, named after the version read');
    assert.equal(existsSync(join(dir, 'config.json.v3')), false);
    assert.deepEqual([config.trunks, config.dialPlan, config.inbound], [[], [], { dids: [], defaultDestination: '' }]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A version 2 document: today's defaults without forwarding, calls, trunks, dial plan and inbound routing. */
function version2(extensions: unknown[]): Record<string, unknown> {
  const { calls: _calls, trunks: _trunks, dialPlan: _dialPlan, inbound: _inbound, diagnostics: _diagnostics, ...rest } = defaultConfig();
  return { ...rest, version: 2, extensions };
}

/** A version 3 document: today's defaults without trunks, dial plan and inbound routing. */
function version3(extensions: unknown[]): Record<string, unknown> {
  const { trunks: _trunks, dialPlan: _dialPlan, inbound: _inbound, diagnostics: _diagnostics, ...rest } = defaultConfig();
  return { ...rest, version: 3, extensions };
}

test('a version 2 file is migrated through versions 3, 4 and 5 to 6: forwarding off, calls defaults, national permission, the old one kept as config.json.v2', () => {
  const dir = tempDir();
  try {
    const ext = { number: '101', displayName: 'Desk', maxContacts: 2, enabled: false, allowedNetworks: ['192.0.2.0/24'] };
    const text = JSON.stringify(version2([ext, { ...ext, number: '102' }]), null, 2);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 6);
    assert.deepEqual(config.extensions, [
      { ...ext, forward: defaultForward(), permission: 'national' },
      { ...ext, number: '102', forward: defaultForward(), permission: 'national' },
    ]);
    assert.deepEqual(config.calls, { maxForwardHops: 5, maxRingSeconds: 120, cdrRetentionDays: 90 });
    assert.equal(readFileSync(join(dir, 'config.json.v2'), 'utf8'), text);
    assert.equal(statSync(join(dir, 'config.json.v2')).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
    // Loaded again: already current, nothing rewritten.
    const rewritten = readFileSync(join(dir, 'config.json'), 'utf8');
    assert.deepEqual(loadConfig(dir).config, config);
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), rewritten);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration keeps forwarding and calls already present, and fills only what lacks them', () => {
  const forward = { ...defaultForward(), busy: '102' };
  const doc = { ...version2([{ number: '101', forward }, { number: '102' }, 'junk']), calls: { maxForwardHops: 2 } };
  const migrated = migrate(doc) as Record<string, any>;
  assert.equal(migrated.version, 6);
  assert.deepEqual(migrated.extensions, [
    { number: '101', forward, permission: 'national' },
    { number: '102', forward: defaultForward(), permission: 'national' },
    'junk',
  ]);
  assert.deepEqual(migrated.calls, { maxForwardHops: 2 });
  const current = defaultConfig();
  assert.equal(migrate(current), current, 'a current document is returned as is');
  assert.equal(migrate(null), null);
});

test('an invalid version 2 file is refused and left untouched, without a backup', () => {
  const dir = tempDir();
  try {
    const doc = version2([{ number: '101', displayName: 'Desk', maxContacts: 99, enabled: true, allowedNetworks: [] }]);
    const text = JSON.stringify(doc);
    writeFileSync(join(dir, 'config.json'), text);
    assert.throws(() => loadConfig(dir), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [{ path: 'extensions[0].maxContacts', reason: 'must be an integer from 1 to 20' }]);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), text);
    assert.equal(existsSync(join(dir, 'config.json.v2')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveConfig writes only a valid candidate', () => {
  const dir = tempDir();
  try {
    loadConfig(dir);
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    const bad = structuredClone(defaultConfig());
    bad.extensions.push({ number: '100', displayName: 'A', maxContacts: 3, enabled: true, allowedNetworks: [], forward: defaultForward(), permission: 'national' });
    bad.extensions.push({ number: '100', displayName: 'B', maxContacts: 3, enabled: true, allowedNetworks: ['10.0.0.0/33'], forward: defaultForward(), permission: 'local' });
    assert.throws(() => saveConfig(dir, bad), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map((p) => p.path).sort(), ['extensions[1].allowedNetworks[0]', 'extensions[1].number']);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), before);
    bad.extensions.pop();
    const saved = saveConfig(dir, bad);
    assert.equal(saved.extensions.length, 1);
    assert.equal(loadConfig(dir).config.extensions[0]!.number, '100');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version 3 file is migrated through versions 4 and 5 to 6: no trunks, no dial plan, no DIDs, national permission; kept as config.json.v3', () => {
  const dir = tempDir();
  try {
    const ext = { number: '101', displayName: 'Desk', maxContacts: 2, enabled: true, allowedNetworks: [], forward: { ...defaultForward(), busy: '102' } };
    const text = JSON.stringify(version3([ext, { ...ext, number: '102', forward: defaultForward(), permission: 'international' }]), null, 2);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 6);
    assert.deepEqual(config.extensions, [
      { ...ext, permission: 'national' },
      { ...ext, number: '102', forward: defaultForward(), permission: 'international' },
    ], 'a permission already there is kept');
    assert.deepEqual(config.trunks, []);
    assert.deepEqual(config.dialPlan, []);
    assert.deepEqual(config.inbound, { dids: [], defaultDestination: '' });
    assert.equal(readFileSync(join(dir, 'config.json.v3'), 'utf8'), text);
    assert.equal(statSync(join(dir, 'config.json.v3')).mode & 0o777, 0o600);
    assert.equal(existsSync(join(dir, 'config.json.v2')), false);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration from version 3 keeps trunk sections already present (a hand-edited file)', () => {
  const trunks = [{ name: 'x' }];
  const migrated = migrate({ ...version3([]), trunks, inbound: { dids: [], defaultDestination: '101' } }) as Record<string, any>;
  assert.equal(migrated.version, 6);
  assert.equal(migrated.trunks, trunks);
  assert.deepEqual(migrated.dialPlan, []);
  assert.deepEqual(migrated.inbound, { dids: [], defaultDestination: '101' });
});

/** A version 4 document: today's defaults without the diagnostics section. */
function version4(): Record<string, unknown> {
  const { diagnostics: _diagnostics, ...rest } = defaultConfig();
  return { ...rest, version: 4 };
}

test('a version 4 file is migrated through version 5 to 6: the default public resolvers; kept as config.json.v4', () => {
  const dir = tempDir();
  try {
    const text = JSON.stringify({ ...version4(), language: 'zh-CN' }, null, 2);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 6);
    assert.equal(config.language, 'zh-CN');
    assert.deepEqual(config.diagnostics, { publicResolvers: ['119.29.29.29', '223.5.5.5'] });
    assert.equal(readFileSync(join(dir, 'config.json.v4'), 'utf8'), text);
    assert.equal(statSync(join(dir, 'config.json.v4')).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration from version 4 keeps a diagnostics section already present', () => {
  const diagnostics = { publicResolvers: ['8.8.8.8'] };
  const migrated = migrate({ ...version4(), diagnostics }) as Record<string, any>;
  assert.equal(migrated.version, 6);
  assert.equal(migrated.diagnostics, diagnostics);
});

/** A version 5 document: today's defaults without the web section. */
function version5(): Record<string, unknown> {
  const { web: _web, ...rest } = defaultConfig();
  return { ...rest, version: 5 };
}

test('a version 5 file is migrated to version 6: the HTTPS admin on 8443, no redirect; kept as config.json.v5', () => {
  const dir = tempDir();
  try {
    const text = JSON.stringify({ ...version5(), language: 'zh-CN' }, null, 2);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 6);
    assert.equal(config.language, 'zh-CN');
    assert.deepEqual(config.web, { port: 8443, httpRedirectPort: 0, tlsMinVersion: 'TLSv1.2', idleTimeoutMinutes: 15 });
    assert.equal(readFileSync(join(dir, 'config.json.v5'), 'utf8'), text);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration from version 5 keeps a web section already present', () => {
  const web = { port: 9443, httpRedirectPort: 80, tlsMinVersion: 'TLSv1.3', idleTimeoutMinutes: 5 };
  const migrated = migrate({ ...version5(), web }) as Record<string, any>;
  assert.equal(migrated.version, 6);
  assert.equal(migrated.web, web);
});
