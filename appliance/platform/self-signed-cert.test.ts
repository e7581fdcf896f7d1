import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { BACKDATE_MS, SelfSignedCertError, generateSelfSignedCert, ipAddressBytes } from './self-signed-cert';

const NOW = new Date(Date.UTC(2025, 2, 10, 12, 30, 45, 678));
const OPTIONS = {
  commonName: 'edgesip.local',
  dnsNames: ['localhost', 'edgesip.local'],
  ipAddresses: ['127.0.0.1', '::1', '192.0.2.10', '2001:db8::5'],
  days: 825,
};

// One certificate for the read-only checks: generating is cheap, but sharing keeps the
// tests about the same bytes.
const generated = generateSelfSignedCert({ ...OPTIONS, now: NOW });

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function assertCertError(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof SelfSignedCertError && err.code === 'CERT_ERR_INPUT');
}

test('PEM framing', () => {
  assert.match(generated.certPem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
  assert.match(generated.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

test('subject, issuer, validity and key as Node/OpenSSL read them', () => {
  const cert = new X509Certificate(generated.certPem);
  assert.equal(cert.subject, 'CN=edgesip.local');
  assert.equal(cert.issuer, 'CN=edgesip.local');
  const nowSeconds = Math.floor(NOW.getTime() / 1000) * 1000;
  assert.equal(new Date(cert.validFrom).getTime(), nowSeconds - BACKDATE_MS);
  assert.equal(new Date(cert.validTo).getTime(), nowSeconds + 825 * 86_400_000);
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // Node's "keyUsage" is the EKU list
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.verify(cert.publicKey), true);
  assert.equal(cert.checkPrivateKey(createPrivateKey(generated.keyPem)), true);
  // OpenSSL's X509_check_issued also wants keyCertSign in the issuer's keyUsage: this
  // leaf can be trusted as itself (see the TLS test) but cannot vouch for other certs.
  assert.equal(cert.checkIssued(cert), false);
  // Serial: 16 bytes, positive (hex form has no leading 00 padding and top bit clear).
  assert.match(cert.serialNumber, /^[4-7][0-9A-F]{31}$/);
});

test('subjectAltName carries every DNS name and IP address, IPv6 as 16 bytes', () => {
  const cert = new X509Certificate(generated.certPem);
  const entries = (cert.subjectAltName ?? '').split(', ');
  assert.deepEqual(entries.filter((e) => e.startsWith('DNS:')), ['DNS:localhost', 'DNS:edgesip.local']);
  const ips = entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice('IP Address:'.length));
  assert.equal(ips.length, 4);
  assert.equal(ips[0], '127.0.0.1');
  assert.equal(ips[2], '192.0.2.10');
  // Node prints IPv6 as eight uncompressed hex groups.
  assert.equal(ips[1]?.toLowerCase(), '0:0:0:0:0:0:0:1');
  assert.equal(ips[3]?.toLowerCase(), '2001:db8:0:0:0:0:0:5');
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkHost('other.example'), undefined);
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  assert.equal(cert.checkIP('2001:db8::5'), '2001:db8::5');
  assert.equal(cert.checkIP('127.0.0.2'), undefined);
  // The iPAddress entry for ::1 is [7] with 16 octets: 87 10 00..00 01.
  assert.ok(derOf(generated.certPem).includes(Buffer.from('8710' + '00'.repeat(15) + '01', 'hex')));
});

test('validity after 2049 is written as GeneralizedTime', () => {
  const late = generateSelfSignedCert({ ...OPTIONS, now: new Date(Date.UTC(2049, 11, 1)), days: 60 });
  const der = derOf(late.certPem);
  assert.ok(der.includes(Buffer.from('\x17\x0d491130230000Z', 'latin1')), 'notBefore as UTCTime');
  assert.ok(der.includes(Buffer.from('\x18\x0f20500130000000Z', 'latin1')), 'notAfter as GeneralizedTime');
  const cert = new X509Certificate(late.certPem);
  assert.equal(new Date(cert.validTo).toISOString(), '2050-01-30T00:00:00.000Z');
  assert.equal(cert.verify(cert.publicKey), true);
});

test('each certificate gets its own key and serial number', () => {
  const a = new X509Certificate(generateSelfSignedCert(OPTIONS).certPem);
  const b = new X509Certificate(generateSelfSignedCert(OPTIONS).certPem);
  assert.notEqual(a.serialNumber, b.serialNumber);
  assert.notEqual(a.fingerprint256, b.fingerprint256);
  // Without `now` the validity starts around the current time.
  assert.ok(Math.abs(new Date(a.validFrom).getTime() + BACKDATE_MS - Date.now()) < 60_000);
});

test('loads into a TLS secure context', () => {
  assert.doesNotThrow(() => tls.createSecureContext({ cert: generated.certPem, key: generated.keyPem }));
});

test('a TLS 1.3 handshake verifies the certificate against its SAN', async () => {
  const current = generateSelfSignedCert(OPTIONS); // valid now, unlike the fixed-date one
  const server = tls.createServer({ cert: current.certPem, key: current.keyPem, minVersion: 'TLSv1.2' }, (socket) => {
    socket.end('hello');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    // By DNS name (SNI localhost) and by IP address (no SNI; Node checks the IP SAN).
    for (const target of [{ servername: 'localhost' }, {}]) {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: current.certPem, rejectUnauthorized: true, ...target });
      await once(socket, 'secureConnect');
      assert.equal(socket.authorized, true, String(socket.authorizationError));
      assert.equal(socket.getProtocol(), 'TLSv1.3');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      await once(socket, 'end');
      assert.equal(received, 'hello');
      socket.destroy();
    }
    // A name the certificate does not carry is refused.
    const wrong = tls.connect({ host: '127.0.0.1', port, ca: current.certPem, servername: 'other.example' });
    const [err] = (await once(wrong, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    wrong.destroy();
  } finally {
    server.close();
    await once(server, 'close');
  }
});

test('openssl x509 parses it', (t) => {
  const result = spawnSync('openssl', ['x509', '-noout', '-text'], { input: generated.certPem, encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    t.skip('openssl is not on PATH');
    return;
  }
  assert.equal(result.status, 0, result.stderr);
  const text = result.stdout;
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /Subject: CN ?= ?edgesip\.local/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text, /DNS:localhost, DNS:edgesip\.local, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:5/);
  assert.match(text, /X509v3 Subject Key Identifier/);
  assert.match(text, /Not After : Jun 13 12:30:45 2027 GMT/);
});

test('ipAddressBytes', () => {
  const hex = (ip: string) => ipAddressBytes(ip).toString('hex');
  assert.equal(hex('127.0.0.1'), '7f000001');
  assert.equal(hex('::1'), '00'.repeat(15) + '01');
  assert.equal(hex('::'), '00'.repeat(16));
  assert.equal(hex('2001:db8::5'), '20010db8' + '00'.repeat(10) + '0005');
  assert.equal(hex('fe80::'), 'fe80' + '00'.repeat(14));
  assert.equal(hex('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008');
  assert.equal(hex('1::8'), '0001' + '00'.repeat(12) + '0008');
  assert.equal(hex('::ffff:192.0.2.1'), '00'.repeat(10) + 'ffff' + 'c0000201');
  assert.equal(hex('64:ff9b::192.0.2.33'), '0064ff9b' + '00'.repeat(8) + 'c0000221');
  assert.equal(hex('1:2:3:4:5:6:1.2.3.4'), '000100020003000400050006' + '01020304');
  for (const bad of ['', 'localhost', '1.2.3', '256.1.1.1', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', ':::1']) {
    assertCertError(() => ipAddressBytes(bad));
  }
});

test('bad options throw CERT_ERR_INPUT', () => {
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, commonName: '' }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, commonName: 'x'.repeat(65) }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, days: 0 }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, days: Number.NaN }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, dnsNames: [], ipAddresses: [] }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, dnsNames: ['bad name'] }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, dnsNames: ['bücher.example'] }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, ipAddresses: ['not-an-ip'] }));
  assertCertError(() => generateSelfSignedCert({ ...OPTIONS, now: new Date(Number.NaN) }));
  // Wildcards and single-label names are fine.
  assert.ok(generateSelfSignedCert({ ...OPTIONS, dnsNames: ['*.edgesip.local', 'edgesip'] }).certPem);
});
