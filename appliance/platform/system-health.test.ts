import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { diskOf, readSystemHealth, withTimeout } from './system-health';

test('readSystemHealth reads this machine within its bound', async () => {
  const started = Date.now();
  const h = await readSystemHealth({ dataDir: tmpdir(), timeoutMs: 2000 });
  // Each probe is bounded by 2 s and they run together; allow slack for a busy runner.
  assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  assert.ok(h.cpu.cores >= 1);
  assert.equal(h.cpu.loadAverage.length, 3);
  for (const l of h.cpu.loadAverage) assert.ok(Number.isFinite(l) && l >= 0);
  assert.ok(h.cpu.currentLoad === null || (h.cpu.currentLoad >= 0 && h.cpu.currentLoad <= 100));
  assert.ok(h.cpu.temperature === null || (h.cpu.temperature > 0 && h.cpu.temperature < 150));
  assert.ok(h.memory.totalBytes > 0);
  assert.ok(h.memory.availableBytes > 0 && h.memory.availableBytes <= h.memory.totalBytes);
  assert.equal(h.memory.usedBytes, h.memory.totalBytes - h.memory.availableBytes);
  if (h.disk !== null) {
    assert.ok(h.disk.sizeBytes > 0);
    assert.ok(h.disk.usePercent >= 0 && h.disk.usePercent <= 100);
    assert.ok(tmpdir().startsWith(h.disk.mount) || h.disk.mount === '/');
  }
  assert.ok(h.uptimeSeconds > 0);
  assert.ok(Array.isArray(h.network));
  assert.equal(h.node, process.versions.node);
  assert.equal(h.openssl, process.versions.openssl);
});

test('a probe past its bound gives the fallback', async () => {
  const never = new Promise<number>(() => {});
  const started = Date.now();
  assert.equal(await withTimeout(never, 50, null), null);
  assert.ok(Date.now() - started < 1000);
  assert.equal(await withTimeout(Promise.reject(new Error('no sensor')), 50, -1), -1);
  assert.equal(await withTimeout(Promise.resolve(7), 50, -1), 7);
});

test('diskOf picks the longest mount point holding the directory', () => {
  const fs = (mount: string, size = 100, used = 40) => ({ fs: `/dev/${mount.length}`, type: 'ext4', size, used, available: size - used, use: (used / size) * 100, mount, rw: true });
  const list = [fs('/'), fs('/var'), fs('/var/lib/edgesip-other'), fs('/var/lib', 200, 190)];
  assert.equal(diskOf(list, '/var/lib/edgesip/x')?.mount, '/var/lib');
  assert.equal(diskOf(list, '/var/lib/edgesip/x')?.usePercent, 95);
  assert.equal(diskOf(list, '/var/libx')?.mount, '/var');
  assert.equal(diskOf(list, '/srv')?.mount, '/');
  assert.equal(diskOf([fs('/boot')], '/srv'), null);
});
