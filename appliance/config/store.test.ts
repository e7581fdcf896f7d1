import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from './schema';
import { ConfigError, loadConfig } from './store';

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
