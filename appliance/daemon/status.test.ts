import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SystemHealth } from '../platform/system-health';
import { collectStatus } from './status';

const system: SystemHealth = {
  cpu: { cores: 2, currentLoad: 3, loadAverage: [0.1, 0.2, 0.3], temperature: null },
  memory: { totalBytes: 100, usedBytes: 40, availableBytes: 60 },
  disk: null,
  uptimeSeconds: 1000,
  network: [],
  node: '18.20.4',
  openssl: '3.0.13',
};

test('collectStatus counts registered extensions, contacts, trunks by state and the failed ones', async () => {
  const listening = { udp: [] as string[], tcp: [] as string[], tls: [] as string[], web: ['127.0.0.1:8443'] };
  const s = await collectStatus({
    version: '0.1.0',
    uptimeSeconds: () => 12.7,
    system: async () => system,
    listening: () => listening,
    extensions: () => 3,
    bindings: () => [{ aor: '101' }, { aor: '101' }, { aor: '102' }],
    calls: () => [{ id: 'c', caller: '101', callee: '102', target: '102', state: 'ringing', forwarded: [], start: '2025-01-01T00:00:00.000Z', durationSeconds: 0 }],
    trunks: () => [
      { name: 'a', type: 'register', enabled: true, state: 'registered' },
      { name: 'b', type: 'register', enabled: true, state: 'unreachable' },
      { name: 'c', type: 'register', enabled: false, state: 'idle' },
      { name: 'd', type: 'register', enabled: true, state: 'wrong-credentials' },
    ],
    blocks: () => 4,
    tls: () => ({ notAfter: new Date('2035-01-01T00:00:00Z'), daysLeft: 3650, selfSigned: true }),
  });
  assert.deepEqual(s, {
    version: '0.1.0',
    uptimeSeconds: 12,
    system,
    sip: {
      listening: { udp: [], tcp: [], tls: [] },
      extensions: 3,
      registeredExtensions: 2,
      contacts: 3,
      activeCalls: 1,
      trunks: { total: 4, byState: { registered: 1, unreachable: 1, idle: 1, 'wrong-credentials': 1 }, failed: ['b', 'd'] },
      blocks: 4,
    },
    tls: { notAfter: '2035-01-01T00:00:00.000Z', daysLeft: 3650, selfSigned: true },
    web: { listening: ['127.0.0.1:8443'] },
  });
});
