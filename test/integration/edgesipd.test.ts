import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { repoRoot } from '../helpers/paths';
import { branch, headerOf, optionsRequest, statusOf, streamPeer, udpPeer, type Peer } from '../helpers/sip-peer';

describe('edgesipd on 127.0.0.1', () => {
  let d: RunningDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  const peers: Record<'UDP' | 'TCP' | 'TLS', () => Promise<Peer>> = {
    UDP: () => udpPeer(d.udpPort),
    TCP: () => streamPeer('TCP', d.tcpPort),
    TLS: () => streamPeer('TLS', d.tlsPort),
  };

  for (const transport of ['UDP', 'TCP', 'TLS'] as const) {
    test(`OPTIONS over ${transport} gets 200 with Allow, Accept and Supported`, async () => {
      const peer = await peers[transport]();
      try {
        peer.send(optionsRequest(peer));
        const answer = await peer.next();
        assert.equal(statusOf(answer), 200);
        const allow = headerOf(answer!, 'Allow') ?? '';
        assert.match(allow, /\bOPTIONS\b/);
        assert.match(allow, /\bREGISTER\b/);
        assert.match(headerOf(answer!, 'Accept') ?? '', /application\/sdp/);
        assert.notEqual(headerOf(answer!, 'Supported'), undefined);
        assert.match(headerOf(answer!, 'Via') ?? '', /received=127\.0\.0\.1/);
        assert.match(headerOf(answer!, 'Via') ?? '', new RegExp(`rport=${peer.localPort}`));
      } finally {
        peer.close();
      }
    });
  }

  test('an unknown method gets 501 with Allow; a known one not served gets 405', async () => {
    const peer = await peers.UDP();
    try {
      peer.send(optionsRequest(peer).replace(/OPTIONS/g, 'FROBNICATE'));
      const a = await peer.next();
      assert.equal(statusOf(a), 501);
      assert.match(headerOf(a!, 'Allow') ?? '', /OPTIONS/);
      peer.send(optionsRequest(peer).replace(/OPTIONS/g, 'PUBLISH'));
      const b = await peer.next();
      assert.equal(statusOf(b), 405);
      assert.match(headerOf(b!, 'Allow') ?? '', /OPTIONS/);
    } finally {
      peer.close();
    }
  });

  test('REGISTER is challenged with SHA-256 then MD5 digest (RFC 8760 order)', async () => {
    const peer = await peers.UDP();
    try {
      peer.send(optionsRequest(peer, 'sip:127.0.0.1').replace(/OPTIONS/g, 'REGISTER').replace('Content-Length', 'Contact: <sip:100@127.0.0.1>\r\nContent-Length'));
      const a = await peer.next();
      assert.equal(statusOf(a), 401);
      const challenges = a!.toString('latin1').split('\r\n').filter((l) => /^WWW-Authenticate:/i.test(l));
      assert.equal(challenges.length, 2);
      assert.match(challenges[0]!, /algorithm=SHA-256/);
      assert.match(challenges[1]!, /algorithm=MD5/);
      assert.match(challenges[0]!, /qop="auth"/);
    } finally {
      peer.close();
    }
  });

  test('wrong credentials get 403, and neither the digest response nor the header reach the log', async () => {
    const peer = await peers.UDP();
    try {
      const register = (extra: string, cseq: number) =>
        optionsRequest(peer, 'sip:127.0.0.1')
          .replace(/OPTIONS/g, 'REGISTER')
          .replace('CSeq: 1 REGISTER', `CSeq: ${cseq} REGISTER`)
          .replace('Content-Length', `Contact: <sip:100@127.0.0.1>\r\n${extra}Content-Length`);
      peer.send(register('', 1));
      const challenge = await peer.next();
      assert.equal(statusOf(challenge), 401);
      const header = headerOf(challenge!, 'WWW-Authenticate')!;
      const nonce = /nonce="([^"]+)"/.exec(header)![1]!;
      const realm = /realm="([^"]+)"/.exec(header)![1]!;
      const secretResponse = 'f00dfeedcafe0123456789abcdef0123';
      peer.send(register(`Authorization: Digest username="100", realm="${realm}", nonce="${nonce}", uri="sip:127.0.0.1", response="${secretResponse}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c1"\r\n`, 2));
      assert.equal(statusOf(await peer.next()), 403);
      await new Promise((r) => setTimeout(r, 100));
      const all = JSON.stringify(d.logs);
      assert.ok(!all.includes(secretResponse), 'digest response logged');
      assert.ok(!/Authorization: Digest/i.test(all), 'Authorization header logged');
    } finally {
      peer.close();
    }
  });

  test('a malformed request gets 400 and the server keeps serving', async () => {
    const peer = await peers.UDP();
    try {
      peer.send(optionsRequest(peer).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'));
      assert.equal(statusOf(await peer.next()), 400);
      peer.send(Buffer.from('\x00\x01garbage that is not SIP\r\n\r\n'));
      peer.send(optionsRequest(peer));
      assert.equal(statusOf(await peer.next()), 200);
    } finally {
      peer.close();
    }
  });

  test('a CRLFCRLF keep-alive ping on TCP is answered with a CRLF pong (RFC 5626 §3.5.1)', async () => {
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: d.tcpPort });
    const received = await new Promise<string>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('connect', () => socket.write('\r\n\r\n'));
      socket.once('data', (data) => resolve(data.toString('latin1')));
    });
    socket.destroy();
    assert.equal(received, '\r\n');
  });

  test('sipsak gets 200 for OPTIONS over UDP and TCP', () => {
    for (const extra of [[], ['-E', 'tcp']]) {
      const r = spawnSync('sipsak', ['-s', `sip:ping@127.0.0.1:${d.udpPort}`, ...extra], { encoding: 'utf8', timeout: 15000 });
      assert.equal(r.status, 0, `sipsak ${extra.join(' ')} failed: ${r.stdout}${r.stderr}`);
    }
  });

  test('openssl s_client completes a TLS 1.3 handshake; TLS 1.1 is refused', () => {
    const ok = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${d.tlsPort}`, '-tls1_3'], { input: '', encoding: 'utf8', timeout: 15000 });
    assert.match(ok.stdout, /Protocol\s*:\s*TLSv1\.3|New, TLSv1\.3/, ok.stdout + ok.stderr);
    const old = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${d.tlsPort}`, '-tls1_1'], { input: '', encoding: 'utf8', timeout: 15000 });
    assert.notEqual(old.status, 0, 'TLS 1.1 handshake must fail');
    assert.match(old.stdout, /Cipher is \(NONE\)/);
    assert.match(old.stderr, /protocol version/);
  });

  test('the TLS connection is logged with protocol and cipher', async () => {
    const peer = await peers.TLS();
    peer.send(optionsRequest(peer));
    await peer.next();
    peer.close();
    const entry = d.logs.find((l) => l.msg === 'sip tls connection');
    assert.ok(entry, 'no tls connection log line');
    assert.equal(entry.protocol, 'TLSv1.3');
    assert.equal(typeof entry.cipher, 'string');
  });

  test('the self-signed certificate and the default config are written with tight modes', () => {
    assert.equal(statSync(join(d.dataDir, 'tls', 'edgesip.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(d.dataDir, 'config.json')).mode & 0o777, 0o600);
    const config = JSON.parse(readFileSync(join(d.dataDir, 'config.json'), 'utf8'));
    assert.equal(config.sip.port, 5060);
    assert.equal(config.tls.minVersion, 'TLSv1.2');
  });

  test('every log line is JSON', () => {
    assert.ok(d.logs.length > 0);
    assert.ok(d.logs.every((l) => !('unparsed' in l)), JSON.stringify(d.logs.filter((l) => 'unparsed' in l)));
  });
});

describe('edgesipd lifecycle', () => {
  test('SIGTERM stops it cleanly with exit code 0', async () => {
    const d = await startDaemon();
    assert.equal(await d.stop(), 0);
    assert.ok(d.logs.some((l) => l.msg === 'edgesipd stopped'));
  });

  test('an invalid config is refused with the field and the reason, and left unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesipd-bad-'));
    try {
      const bad = JSON.stringify({ version: 1, language: 'fr', sip: { listen: ['0.0.0.0'], port: 70000, tlsPort: 5061, maxMessageBytes: 65535, idleTimeoutSeconds: 600, realm: '' }, tls: { certFile: '', keyFile: '', minVersion: 'TLSv1.2' }, log: { level: 'info' }, extra: true });
      writeFileSync(join(dir, 'config.json'), bad);
      const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'edgesipd.js'), '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 3);
      const entry = JSON.parse(out.trim().split('\n').pop()!);
      const problems = entry.problems as { path: string; reason: string }[];
      assert.deepEqual(problems.map((p) => p.path).sort(), ['extra', 'language', 'sip.port']);
      assert.ok(problems.every((p) => p.reason.length > 0));
      assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), bad);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a config that is not JSON is refused and left unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesipd-bad-'));
    try {
      writeFileSync(join(dir, 'config.json'), '{ "version": 1, ');
      const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'edgesipd.js'), '--data-dir', dir], { encoding: 'utf8', timeout: 10000 });
      assert.equal(r.status, 3);
      assert.match(r.stdout, /not valid JSON/);
      assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), '{ "version": 1, ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad command-line arguments exit with 2 and the usage', () => {
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'edgesipd.js'), '--sip-port', 'x', '--data-dir', '/tmp/x'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--sip-port/);
  });

  test('a configured certificate is served, and tls.minVersion TLSv1.3 refuses TLS 1.2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesipd-cert-'));
    try {
      spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '20',
        '-subj', '/CN=pbx.example.test', '-keyout', join(dir, 'own.key'), '-out', join(dir, 'own.crt')], { stdio: 'ignore' });
      const config = JSON.parse(readFileSync(join(repoRoot(), 'docs', 'configuration.md'), 'utf8').split('```json')[1]!.split('```')[0]!);
      config.tls = { certFile: join(dir, 'own.crt'), keyFile: join(dir, 'own.key'), minVersion: 'TLSv1.3' };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const d = await startDaemon({ dataDir: dir });
      try {
        const ok = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${d.tlsPort}`], { input: '', encoding: 'utf8', timeout: 15000 });
        assert.match(ok.stdout, /subject=CN ?= ?pbx\.example\.test/);
        assert.match(ok.stdout, /TLSv1\.3/);
        const old = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${d.tlsPort}`, '-tls1_2'], { input: '', encoding: 'utf8', timeout: 15000 });
        assert.match(old.stdout, /Cipher is \(NONE\)/);
        // A certificate with 20 days left is served, with a warning in the journal.
        const warning = d.logs.find((l) => l.msg === 'tls certificate expires soon');
        assert.ok(warning, 'no expiry warning');
        assert.equal(warning.selfSigned, true, 'openssl req -x509 signs it with its own key: self-signed, though configured');
        assert.ok((warning.daysLeft as number) >= 18 && (warning.daysLeft as number) <= 20);
      } finally {
        await d.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('IPv6: OPTIONS over UDP on ::1', async () => {
    const d = await startDaemon({ listen: ['::1'] });
    try {
      const peer = await udpPeer(d.udpPort, { host: '::1' });
      const req = optionsRequest(peer, 'sip:ping@[::1]').replace('127.0.0.1:' + peer.localPort, `[::1]:${peer.localPort}`);
      peer.send(req);
      const answer = await peer.next();
      peer.close();
      assert.equal(statusOf(answer), 200);
    } finally {
      await d.stop();
    }
  });

  test('a retransmitted OPTIONS gets the identical answer (§8.2.7: stateless, To tag derived from the request)', async () => {
    const d = await startDaemon();
    try {
      const peer = await udpPeer(d.udpPort);
      const req = optionsRequest(peer).replace(/branch=[^;]+/, `branch=${branch()}`);
      peer.send(req);
      const first = await peer.next();
      peer.send(req);
      const second = await peer.next();
      peer.close();
      assert.equal(statusOf(first), 200);
      assert.deepEqual(second, first);
    } finally {
      await d.stop();
    }
  });
});
