import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from './schema';
import { ConfigError, loadConfig, saveConfig } from './store';

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

test('a version 1 file is migrated to version 2 with defaults, the old one kept beside it', () => {
  const dir = tempDir();
  try {
    const v2 = defaultConfig();
    const v1 = { version: 1, language: 'zh-CN', sip: v2.sip, tls: v2.tls, log: v2.log };
    const text = JSON.stringify(v1);
    writeFileSync(join(dir, 'config.json'), text);
    const { config } = loadConfig(dir);
    assert.equal(config.version, 2);
    assert.equal(config.language, 'zh-CN', 'existing settings are kept');
    assert.deepEqual(config.guard, v2.guard);
    assert.equal(readFileSync(join(dir, 'config.json.v1'), 'utf8'), text);
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).version, 2);
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
    bad.extensions.push({ number: '100', displayName: 'A', maxContacts: 3, enabled: true, allowedNetworks: [] });
    bad.extensions.push({ number: '100', displayName: 'B', maxContacts: 3, enabled: true, allowedNetworks: ['10.0.0.0/33'] });
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
