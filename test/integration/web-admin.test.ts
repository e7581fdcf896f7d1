/**
 * The HTTPS admin of the real daemon: the first admin password shown once, TLS versions
 * checked with openssl s_client, the minimum version and the certificate changed at run
 * time (SIP-TLS and HTTPS together), and what a restart keeps.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import type { ServiceSettingsView, TlsCertificateView } from '../../appliance/control/backend';
import { controlRequest } from '../../appliance/control/client';
import { generateSelfSignedCert } from '../../appliance/platform/self-signed-cert';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';

/** openssl s_client with one protocol version: did the handshake succeed, and with what. */
function sClient(port: number, version: '-tls1_1' | '-tls1_2' | '-tls1_3'): { ok: boolean; protocol: string; output: string } {
  // SECLEVEL=0 lets the client really offer TLS 1.1, so a refusal is the server's.
  const extra = version === '-tls1_1' ? ['-cipher', 'DEFAULT@SECLEVEL=0'] : [];
  const run = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', version, ...extra], { input: '', encoding: 'utf8', timeout: 20_000 });
  const output = `${run.stdout}\n${run.stderr}`;
  const protocol = /Protocol\s*:\s*(TLSv[\d.]+)/.exec(output)?.[1] ?? /New, (TLSv[\d.]+),/.exec(output)?.[1] ?? '';
  return { ok: run.status === 0 && protocol !== '', protocol, output };
}

function fingerprintOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

function login(port: number, user: string, password: string): Promise<number> {
  const body = JSON.stringify({ user, password });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/login', rejectUnauthorized: false, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('edgesipd HTTPS admin', () => {
  let dataDir: string;
  let daemon: RunningDaemon;
  const control = (method: string, path: string, body?: unknown) => controlRequest(join(dataDir, 'control.sock'), method, path, body);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgesipd-web-'));
    daemon = await startDaemon({ dataDir });
  });
  after(async () => {
    await daemon.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the first start makes admin a generated password, shown once on stderr and never in the log', async () => {
    const m = /initial password \(shown once\):\s*\n\s+(\S+)/.exec(daemon.stderr());
    assert.ok(m, `banner on stderr: ${daemon.stderr()}`);
    const password = m[1]!;
    assert.match(password, /^[a-km-zA-HJ-NP-Z2-9]{5}(-[a-km-zA-HJ-NP-Z2-9]{5}){3}$/);
    assert.ok(!JSON.stringify(daemon.logs).includes(password), 'the JSON log never has it');
    assert.ok(daemon.logs.some((l) => String(l.msg).startsWith('web admin account created')));
    const file = join(dataDir, 'admins.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes(password));
    assert.equal(await login(daemon.webPort, 'admin', password), 200);
    assert.equal(await login(daemon.webPort, 'admin', `${password}x`), 401);
    const admins = await control('GET', '/v1/admins');
    assert.deepEqual((admins.body as { user: string }[]).map((a) => a.user), ['admin']);
  });

  test('openssl s_client: TLS 1.3 and 1.2 are accepted, TLS 1.1 is refused', () => {
    const v13 = sClient(daemon.webPort, '-tls1_3');
    assert.ok(v13.ok, v13.output);
    assert.equal(v13.protocol, 'TLSv1.3');
    const v12 = sClient(daemon.webPort, '-tls1_2');
    assert.ok(v12.ok, v12.output);
    assert.equal(v12.protocol, 'TLSv1.2');
    const v11 = sClient(daemon.webPort, '-tls1_1');
    assert.equal(v11.ok, false, v11.output);
  });

  test('a minimum of TLS 1.3 applies to the next connection, without a restart', async () => {
    const res = await control('PATCH', '/v1/settings', { web: { tlsMinVersion: 'TLSv1.3' }, sip: { tlsMinVersion: 'TLSv1.3' } });
    assert.equal(res.status, 200);
    assert.equal((res.body as ServiceSettingsView).restartRequired, false);
    assert.equal(sClient(daemon.webPort, '-tls1_2').ok, false, 'web refuses 1.2 now');
    assert.equal(sClient(daemon.tlsPort, '-tls1_2').ok, false, 'SIP-TLS refuses 1.2 now');
    assert.equal(sClient(daemon.webPort, '-tls1_3').protocol, 'TLSv1.3');
    const bad = await control('PATCH', '/v1/settings', { web: { tlsMinVersion: 'TLSv1.1' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { field: string }).field, 'web.tlsMinVersion');
    const clash = await control('PATCH', '/v1/settings', { web: { port: 5060 } });
    assert.equal(clash.status, 400);
    assert.equal((clash.body as { field: string }).field, 'web.port');
  });

  test('an installed certificate is presented at once by SIP-TLS and HTTPS; a mismatched key is refused', async () => {
    const before = (await control('GET', '/v1/tls')).body as TlsCertificateView;
    assert.equal(before.selfSigned, true);
    assert.equal(await fingerprintOf(daemon.webPort), before.fingerprint256);
    const pair = generateSelfSignedCert({ commonName: 'pbx.example', dnsNames: ['pbx.example'], ipAddresses: ['127.0.0.1'], days: 20 });
    const other = generateSelfSignedCert({ commonName: 'other.example', dnsNames: ['other.example'], ipAddresses: [], days: 20 });
    const mismatch = await control('PUT', '/v1/tls', { cert: pair.certPem, key: other.keyPem });
    assert.equal(mismatch.status, 400);
    assert.equal((mismatch.body as { field: string }).field, 'key');
    assert.equal(await fingerprintOf(daemon.webPort), before.fingerprint256, 'the refused pair changed nothing');
    const res = await control('PUT', '/v1/tls', { cert: pair.certPem, key: pair.keyPem });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const view = res.body as TlsCertificateView;
    const expected = new X509Certificate(pair.certPem).fingerprint256;
    assert.equal(view.fingerprint256, expected);
    assert.equal(view.expiryWarning, true, '20 days left: warned');
    assert.match(view.certFile, /installed\.crt$/);
    assert.equal(await fingerprintOf(daemon.webPort), expected);
    assert.equal(await fingerprintOf(daemon.tlsPort), expected);
    assert.equal(statSync(join(dataDir, 'tls', 'installed.key')).mode & 0o777, 0o600);
    const status = (await control('GET', '/v1/status')).body as { tls: { daysLeft: number } };
    assert.ok(status.tls.daysLeft <= 20, 'status shows the new certificate');
  });

  test('after a restart: the same certificate and admin, no new password, saved ports in force', async () => {
    const redirectPort = await freePort();
    const saved = await control('PATCH', '/v1/settings', { web: { httpRedirectPort: redirectPort } });
    assert.equal((saved.body as ServiceSettingsView).restartRequired, true);
    const fingerprint = await fingerprintOf(daemon.webPort);
    assert.equal(await daemon.stop(), 0);
    daemon = await startDaemon({ dataDir });
    assert.doesNotMatch(daemon.stderr(), /initial password/);
    assert.equal(await fingerprintOf(daemon.webPort), fingerprint);
    assert.equal(sClient(daemon.webPort, '-tls1_2').ok, false, 'the TLS 1.3 minimum was saved');
    const location = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: redirectPort, path: '/', headers: { Host: 'pbx.example' } }, (res) => {
        res.resume();
        resolve(res.headers.location);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(location, `https://pbx.example:${daemon.webPort}/`);
  });
});
