/**
 * `edgesip diag dns` end to end: the real daemon asks its "system" resolver (here a
 * --dns-server) and the configured public resolvers; one public resolver disagrees about
 * pbx.test A, the other never answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../appliance/config/schema';
import type { DnsCheckReport } from '../../appliance/pbx/diagnostics/dns-check';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { startDnsServer, type RunningDnsServer, type ZoneRecord } from '../helpers/dns-server';
import { cliAsync } from '../helpers/registering';

const NAME = 'pbx.test';
const SILENT = [NAME, `_sip._udp.${NAME}`, `_sip._tcp.${NAME}`, `_sips._tcp.${NAME}`];

describe('edgesip diag dns against the real daemon', () => {
  let d: RunningDaemon | undefined;
  let dir: string;
  const servers: RunningDnsServer[] = [];
  let system: RunningDnsServer;
  let honest: RunningDnsServer;
  let silent: RunningDnsServer;

  before(async () => {
    const srv: ZoneRecord = { name: `_sip._udp.${NAME}`, type: 'SRV', priority: 10, weight: 0, port: 5060, target: NAME };
    system = await startDnsServer({ records: [{ name: NAME, type: 'A', address: '10.10.10.10' }, srv] });
    honest = await startDnsServer({ records: [{ name: NAME, type: 'A', address: '192.0.2.10' }, srv] });
    silent = await startDnsServer({ records: [], silent: SILENT });
    servers.push(system, honest, silent);
    dir = mkdtempSync(join(tmpdir(), 'edgesipd-diag-'));
    const config = defaultConfig();
    config.diagnostics.publicResolvers = [honest.server, silent.server];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
    d = await startDaemon({ dataDir: dir, args: ['--dns-server', system.server] });
  });

  after(async () => {
    await d?.stop();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('--json: the disagreement about A, the silent resolver timing out, exit 1', async () => {
    const r = await cliAsync(dir, 'diag', 'dns', NAME, '--json');
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as DnsCheckReport;
    assert.deepEqual(report.names.map((n) => n.name), [NAME]);
    const a = report.names[0]!.checks.find((c) => c.type === 'A')!;
    assert.equal(a.verdict, 'disagree');
    assert.deepEqual(a.answers, [
      { resolver: 'system', records: ['10.10.10.10'] },
      { resolver: honest.server, records: ['192.0.2.10'] },
      { resolver: silent.server, error: 'ETIMEOUT' },
    ]);
    const udp = report.names[0]!.checks.find((c) => c.query === `_sip._udp.${NAME}`)!;
    assert.equal(udp.verdict, 'agree');
    assert.ok(report.findings.some((f) => f.kind === 'disagree' && f.type === 'A' && f.name === NAME && f.resolvers.join() === `system,${honest.server}`));
    assert.ok(!report.findings.some((f) => f.kind === 'disagree' && f.type !== 'A' && f.type !== 'AAAA'), JSON.stringify(report.findings));
    const timeouts = report.findings.filter((f) => f.kind === 'timeout');
    assert.equal(timeouts.length, 6, JSON.stringify(timeouts));
    assert.ok(timeouts.every((f) => f.resolvers.join() === silent.server));
    assert.equal(report.timeoutMs, 3000);
    assert.ok(report.commands.includes(`dig @127.0.0.1 -p ${honest.port} ${NAME} A`), report.commands.join('\n'));
    assert.ok(report.commands.includes(`nslookup -port=${honest.port} -type=A ${NAME} 127.0.0.1`));
  });

  test('the table: answers per resolver, the explanation, the dig lines', async () => {
    const r = await cliAsync(dir, 'diag', 'dns', NAME);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^pbx\.test:\nTYPE +SYSTEM +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +VERDICT\n/);
    assert.match(r.stdout, /\nA +10\.10\.10\.10 +192\.0\.2\.10 +timeout +DISAGREE\n/);
    assert.match(r.stdout, /\nSRV _sip\._udp +10 0 5060 pbx\.test +10 0 5060 pbx\.test +timeout +agree\n/);
    assert.ok(
      r.stdout.includes(
        `The system resolver and ${honest.server} disagree about pbx.test A: your ISP's DNS may be redirecting it; phones that resolve this name may fail to register.`,
      ),
      r.stdout,
    );
    assert.ok(r.stdout.includes(`${silent.server} did not answer within 3 s (pbx.test A, pbx.test AAAA, _sip._udp.pbx.test SRV`), r.stdout);
    assert.match(r.stdout, /\n {2}dig @127\.0\.0\.1 -p \d+ pbx\.test A\n/);
  });
});
