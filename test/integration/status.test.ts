/**
 * `edgesip status --json` against the real daemon: the SIP counts follow the config, the
 * system probes return real numbers, the self-signed certificate is years away from
 * expiry, and a healthy daemon exits 0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { StatusView } from '../../appliance/control/backend';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { cli, cliAsync } from '../helpers/registering';

let d: RunningDaemon;

before(async () => {
  d = await startDaemon();
});

after(async () => {
  await d?.stop();
});

test('edgesip status --json reports the running daemon and this machine', async () => {
  const added = cli(d.dataDir, 'ext', 'add', '1001', '--password', 'status-test-1001');
  assert.equal(added.status, 0, added.stderr);

  const started = Date.now();
  const r = await cliAsync(d.dataDir, 'status', '--json');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0, r.stdout);
  assert.ok(Date.now() - started < 10_000, 'answers within the probe bounds');
  const s = JSON.parse(r.stdout) as StatusView;
  assert.match(s.version, /^\d+\.\d+\.\d+/);
  assert.ok(s.uptimeSeconds >= 0);
  assert.equal(s.sip.extensions, 1);
  assert.equal(s.sip.registeredExtensions, 0);
  assert.equal(s.sip.contacts, 0);
  assert.equal(s.sip.activeCalls, 0);
  assert.deepEqual(s.sip.trunks, { total: 0, byState: {}, failed: [] });
  assert.equal(s.sip.blocks, 0);
  assert.deepEqual(s.sip.listening, { udp: [`127.0.0.1:${d.udpPort}`], tcp: [`127.0.0.1:${d.tcpPort}`], tls: [`127.0.0.1:${d.tlsPort}`] });
  assert.ok(s.system.memory.totalBytes > 0);
  assert.ok(s.system.memory.usedBytes > 0);
  assert.ok(s.system.memory.availableBytes > 0);
  assert.ok(s.system.cpu.cores >= 1);
  assert.equal(s.system.cpu.loadAverage.length, 3);
  assert.equal(s.system.node, process.versions.node);
  assert.ok(s.system.disk === null || s.system.disk.sizeBytes > 0);
  assert.equal(s.tls.selfSigned, true);
  assert.ok(s.tls.daysLeft > 300, `daysLeft ${s.tls.daysLeft}`);
  assert.ok(Date.parse(s.tls.notAfter) > Date.now());

  const text = cli(d.dataDir, 'status');
  assert.equal(text.status, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /^SIP +listening udp 127\.0\.0\.1:\d+, tcp 127\.0\.0\.1:\d+, tls 127\.0\.0\.1:\d+; 0 of 1 extensions registered \(0 contacts\); 0 calls; trunks: none; 0 blocks$/m);
  assert.match(text.stdout, /^System +load \d+\.\d\d, .*memory \d+\/\d+ MiB/m);
  assert.match(text.stdout, /^TLS +self-signed, expires in \d+ days$/m);
});
