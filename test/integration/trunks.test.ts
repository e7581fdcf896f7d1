/**
 * Trunks against a real provider on loopback: Kamailio (Debian's) plays the VoIP
 * provider (registrar with digest, proxy that authenticates our INVITEs and relays them
 * to a far-end SIPp UAS untouched), SIPp plays the phones and the far ends.
 *
 * 101 (SIPp caller) dials out through three trunks that differ only in their
 * Request-URI parameters (zh-CN default, en default, explicit), a far-end caller
 * reaches 102 through a DID, an unknown DID gets 404, and a trunk with a wrong password
 * says so without hammering the provider.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../appliance/config/schema';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { startDnsServer, type RunningDnsServer } from '../helpers/dns-server';
import { repoRoot } from '../helpers/paths';
import { cli, cliAsync } from '../helpers/registering';
import { registerWithSipp, runSipp, startLines, tracedMessages, type SippOptions } from '../helpers/sipp';

const TRUNK_PASSWORD = 'provider-trunk-secret';
const BASE = 22000 + Math.floor(Math.random() * 18000);
const PORT = { kam: BASE, far: BASE + 1, farCaller: BASE + 2, '101': BASE + 3, '102': BASE + 4, sip: BASE + 5, tls: BASE + 6, dead: BASE + 7 };
const password = (n: string) => `trunk-test-${n}-secret`;

let d: RunningDaemon;
let dns: RunningDnsServer;
let kamailio: ChildProcess;
let kamailioLog = '';
let scratch: string;

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgesipd-trunks-'));
  const config = defaultConfig();
  config.sip.digestAlgorithms = ['MD5', 'SHA-256']; // SIPp phones: MD5, first challenge
  config.acl.white = ['127.0.0.1'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

function run(...args: string[]): string {
  const r = cli(d.dataDir, ...args);
  assert.equal(r.status, 0, `edgesip ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Kamailio with the provider config, ready when it answers a datagram. */
async function startKamailio(): Promise<void> {
  const cfg = readFileSync(join(repoRoot(), 'test', 'interop', 'kamailio-provider.cfg'), 'utf8')
    .replaceAll('KAM_PORT', String(PORT.kam))
    .replaceAll('FAR_PORT', String(PORT.far))
    .replaceAll('EDGESIP_PORT', String(d.udpPort))
    .replaceAll('TRUNK_PASSWORD', TRUNK_PASSWORD)
    .replaceAll('TRUNK_USER', 'pbx1');
  const file = join(scratch, 'kamailio.cfg');
  writeFileSync(file, cfg);
  kamailio = spawn('/usr/sbin/kamailio', ['-f', file, '-DD', '-E', '-m', '64', '-M', '8', '-P', join(scratch, 'kam.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  kamailio.stdout!.on('data', (b: Buffer) => (kamailioLog += b.toString()));
  kamailio.stderr!.on('data', (b: Buffer) => (kamailioLog += b.toString()));
  const probe = createSocket('udp4');
  try {
    for (let i = 0; i < 100; i++) {
      const answered = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 100);
        probe.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      probe.send(
        `OPTIONS sip:provider.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-probe${i};rport\r\nFrom: <sip:probe@x>;tag=1\r\nTo: <sip:provider.test>\r\nCall-ID: probe${i}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n`,
        PORT.kam,
        '127.0.0.1',
      );
      if (await answered) return;
    }
  } finally {
    probe.close();
  }
  throw new Error(`kamailio did not start:\n${kamailioLog}`);
}

async function trunkStatus(name: string): Promise<{ state: string; status?: number; retryIn?: number; expiresIn?: number }> {
  const r = await cliAsync(d.dataDir, 'trunk', 'status', '--json');
  const list = JSON.parse(r.stdout || '[]') as Array<{ name: string; state: string }>;
  return list.find((t) => t.name === name) as never;
}

async function waitFor(name: string, states: string[], ms = 15000): Promise<{ state: string; status?: number; retryIn?: number; expiresIn?: number }> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await trunkStatus(name);
    if (s && states.includes(s.state)) return s;
    if (Date.now() > end) throw new Error(`trunk ${name} stayed ${JSON.stringify(s)}\n${kamailioLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function addTrunk(name: string, username: string, ...extra: string[]): void {
  run('trunk', 'add', name, '--type', 'register', '--domain', 'provider.test', '--proxy', `127.0.0.1:${PORT.kam}`, '--transport', 'udp', '--username', username, '--password', TRUNK_PASSWORD, ...extra);
}

function sipp(name: string, port: number, extra: Partial<SippOptions> = {}): Omit<SippOptions, 'server'> & { server: number } {
  return { server: d.udpPort, port, dir: scratch, name, ...extra };
}

/** 101 dials `number`; the far end (behind Kamailio) answers; returns its INVITE's start line. */
async function callOut(number: string, name: string): Promise<string> {
  const far = runSipp('call-uas.xml', { ...sipp(`${name}-far`, PORT.far), server: PORT.kam });
  const caller = await runSipp('call-uac.xml', { ...sipp(`${name}-101`, PORT['101']), service: number, auth: { user: '101', password: password('101') }, keys: { caller: '101' }, pauseMs: 100 });
  const callee = await far;
  assert.equal(caller.code, 0, `caller:\n${startLines(caller.messages).join('\n')}\n${kamailioLog.slice(-2000)}`);
  assert.equal(callee.code, 0, `far end:\n${callee.output.slice(-1500)}`);
  return startLines(callee.messages).find((l) => l.startsWith('INVITE '))!;
}

describe('trunks to a provider (Kamailio) on loopback', { timeout: 240_000 }, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'trunks-'));
    // dns.provider.test: NAPTR → SRV with two targets; the preferred one (priority 10)
    // is a port where nobody answers, the second is the provider.
    dns = await startDnsServer({
      records: [
        { name: 'dns.provider.test', type: 'NAPTR', order: 10, preference: 10, flags: 's', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.dns.provider.test' },
        { name: '_sip._udp.dns.provider.test', type: 'SRV', priority: 10, weight: 0, port: PORT.dead, target: 'dead.provider.test' },
        { name: '_sip._udp.dns.provider.test', type: 'SRV', priority: 20, weight: 0, port: PORT.kam, target: 'live.provider.test' },
        { name: 'dead.provider.test', type: 'A', address: '127.0.0.1' },
        { name: 'live.provider.test', type: 'A', address: '127.0.0.1' },
      ],
    });
    d = await startDaemon({ dataDir: dataDir(), keepDataDir: true, args: ['--dns-server', dns.server, '--sip-port', String(PORT.sip), '--tls-port', String(PORT.tls)] });
    await startKamailio();
    for (const n of ['101', '102']) run('ext', 'add', n, '--password', password(n));
    registerWithSipp(d.udpPort, PORT['102'], '102', password('102'), scratch);
  });
  after(async () => {
    kamailio?.kill('SIGTERM');
    await dns?.close();
    await d?.stop();
    if (d) rmSync(d.dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a registering trunk registers with digest and shows "registered"; the REGISTER carries the zh-CN default user=phone', async () => {
    run('language', 'zh-CN');
    addTrunk('prov', 'pbx1');
    const s = await waitFor('prov', ['registered']);
    assert.ok(s.expiresIn! > 1000, JSON.stringify(s));
    assert.match(kamailioLog, /provider: REGISTER sip:provider\.test;user=phone from 127\.0\.0\.1:/);
    const list = JSON.parse(run('trunk', 'list', '--json')) as Array<{ name: string; requestUriParams: string }>;
    assert.equal(list.find((t) => t.name === 'prov')!.requestUriParams, 'user=phone');
  });

  test('dialling 9 + number: the provider gets sip:<number>@provider.test;user=phone (language zh-CN) and the call completes', async () => {
    run('route', 'add', 'zh', '--pattern', '9X.', '--strip', '1', '--trunk', 'prov', '--class', 'national');
    assert.equal(await callOut('95551234', 'zh'), 'INVITE sip:5551234@provider.test;user=phone SIP/2.0');
  });

  test('a trunk added while the language is en sends no user parameter; an explicit value wins over both', async () => {
    run('language', 'en');
    addTrunk('prov-en', 'pbx2');
    addTrunk('prov-x', 'pbx3', '--uri-params', 'user=phone;cic=1234');
    await waitFor('prov-en', ['registered']);
    await waitFor('prov-x', ['registered']);
    run('route', 'add', 'en', '--pattern', '8X.', '--strip', '1', '--trunk', 'prov-en', '--class', 'national');
    run('route', 'add', 'x', '--pattern', '7X.', '--strip', '1', '--trunk', 'prov-x', '--class', 'national');
    assert.equal(await callOut('85551234', 'en'), 'INVITE sip:5551234@provider.test SIP/2.0');
    assert.equal(await callOut('75551234', 'x'), 'INVITE sip:5551234@provider.test;user=phone;cic=1234 SIP/2.0');
    // The first trunk kept its own value when the language changed.
    assert.equal(await callOut('95551234', 'zh-again'), 'INVITE sip:5551234@provider.test;user=phone SIP/2.0');
  });

  test('a call from the provider to a DID reaches the mapped extension; an unknown DID gets 404', async () => {
    run('did', 'add', '5550100', '--extension', '102');
    const phone = runSipp('call-uas.xml', { ...sipp('did-102', PORT['102']) });
    const far = await runSipp('call-uac-noauth.xml', { ...sipp('did-far', PORT.farCaller), server: PORT.kam, service: '5550100', keys: { caller: '0301234567' }, pauseMs: 100 });
    assert.equal(far.code, 0, `${startLines(far.messages).join('\n')}\n${kamailioLog.slice(-2000)}`);
    assert.equal((await phone).code, 0);
    assert.ok(startLines(far.messages).includes('SIP/2.0 200 OK'));
    const invite = tracedMessages((await phone).messages).find((m) => m.startsWith('INVITE '))!;
    assert.match(invite, /^From: .*<sip:0301234567@/m, 'the far caller is shown to the extension');

    const unknown = await runSipp('call-uac-noauth.xml', { ...sipp('did-unknown', PORT.farCaller), server: PORT.kam, service: '5550199', keys: { caller: '0301234567' } });
    assert.equal(unknown.code, 0);
    assert.ok(startLines(unknown.messages).includes('SIP/2.0 404 Not Found'), startLines(unknown.messages).join('\n'));
  });

  test('a provider found by NAPTR and SRV: the first SRV target does not answer, the call fails over to the second; caller ID as configured', async () => {
    run('trunk', 'add', 'viadns', '--type', 'ip', '--domain', 'dns.provider.test', '--transport', 'udp', '--peer', '192.0.2.99/32',
      '--username', 'pbx5', '--password', TRUNK_PASSWORD, '--from-user', '0101234567', '--from-display', 'Main Line', '--pai', '0101234567', '--uri-params', '');
    run('route', 'add', 'dns', '--pattern', '6X.', '--strip', '1', '--trunk', 'viadns', '--class', 'national');
    const started = Date.now();
    const far = runSipp('call-uas.xml', { ...sipp('dns-far', PORT.far), server: PORT.kam });
    const caller = await runSipp('call-uac.xml', { ...sipp('dns-101', PORT['101']), service: '65551234', auth: { user: '101', password: password('101') }, keys: { caller: '101' }, pauseMs: 100 });
    const callee = await far;
    assert.equal(caller.code, 0, `caller:\n${startLines(caller.messages).join('\n')}\n${kamailioLog.slice(-2000)}`);
    assert.equal(callee.code, 0);
    assert.ok(Date.now() - started >= 4000, 'the silent first target was given its 4 s');
    const asked = dns.queries.map((q) => `${q.type} ${q.name}`);
    assert.ok(asked.includes('NAPTR dns.provider.test') && asked.includes('SRV _sip._udp.dns.provider.test'), asked.join(', '));
    const invite = tracedMessages(callee.messages).find((m) => m.startsWith('INVITE '))!;
    assert.match(invite, /^INVITE sip:5551234@dns\.provider\.test SIP\/2\.0/);
    assert.match(invite, /^From: "Main Line" <sip:0101234567@dns\.provider\.test>;tag=/m);
    assert.match(invite, /^P-Asserted-Identity: <sip:0101234567@dns\.provider\.test>/m);
  });

  test('after a restart the trunk registers again by itself', async () => {
    const code = await d.stop();
    assert.equal(code, 0);
    assert.match(kamailioLog, /provider: REGISTER sip:provider\.test;user=phone/);
    d = await startDaemon({ dataDir: d.dataDir, args: ['--dns-server', dns.server, '--sip-port', String(PORT.sip), '--tls-port', String(PORT.tls)] });
    await waitFor('prov', ['registered']);
  });

  test('a wrong password: the status says so, and the next try waits (no hammering)', async () => {
    const before = (kamailioLog.match(/provider: REGISTER/g) ?? []).length;
    run('trunk', 'add', 'bad', '--type', 'register', '--domain', 'provider.test', '--proxy', `127.0.0.1:${PORT.kam}`, '--username', 'pbx9', '--password', 'not-the-password');
    const s = await waitFor('bad', ['failed', 'wrong-credentials']);
    assert.equal(s.status, 401);
    assert.ok(s.retryIn! >= 20, `retries are spaced: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 3000));
    const sent = (kamailioLog.match(/provider: REGISTER/g) ?? []).length - before;
    assert.ok(sent <= 2, `one challenge round, then silence: ${sent} REGISTERs`);
    const status = await cliAsync(d.dataDir, 'trunk', 'status');
    assert.equal(status.status, 1, 'trunk status exits 1 when an enabled trunk failed');
    assert.match(status.stdout, /bad/);
  });
});
