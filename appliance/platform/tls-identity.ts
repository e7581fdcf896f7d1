import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write';
import { generateSelfSignedCert } from './self-signed-cert';

export interface TlsIdentity {
  cert: string;
  key: string;
  certFile: string;
  selfSigned: boolean;
  notAfter: Date;
  subjectAltName: string;
}

/**
 * The certificate SIP-TLS (and later the HTTPS admin) present. A configured pair is
 * loaded as is; otherwise a self-signed one is generated once, at first start, into
 * `<dataDir>/tls/`, naming this host and its addresses, and reused afterwards.
 */
export function ensureTlsIdentity(dataDir: string, certFile: string, keyFile: string, now = new Date()): TlsIdentity {
  let selfSigned = false;
  if (!certFile) {
    const dir = join(dataDir, 'tls');
    certFile = join(dir, 'edgesip.crt');
    keyFile = join(dir, 'edgesip.key');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const { dnsNames, ipAddresses } = localNames();
      const pair = generateSelfSignedCert({ commonName: dnsNames[0]!, dnsNames, ipAddresses, days: 3650, now });
      // Key first: a crash between the two writes leaves no certificate without its key.
      writeFileAtomicSync(keyFile, pair.keyPem, { mode: 0o600 });
      writeFileAtomicSync(certFile, pair.certPem, { mode: 0o644 });
    }
    selfSigned = true;
  }
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  const x509 = new X509Certificate(cert);
  return {
    cert,
    key,
    certFile,
    selfSigned,
    notAfter: new Date(x509.validTo),
    subjectAltName: x509.subjectAltName ?? '',
  };
}

/** Host name, localhost, and every address of this machine, for the certificate's SAN. */
function localNames(): { dnsNames: string[]; ipAddresses: string[] } {
  const host = hostname() || 'edgesip';
  const dnsNames = [...new Set([host, `${host}.local`, 'localhost'])];
  const ipAddresses = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.address.startsWith('fe80')) ipAddresses.add(a.address);
  }
  return { dnsNames, ipAddresses: [...ipAddresses] };
}

/** Days until the certificate expires (negative once it has). */
export function daysLeft(identity: TlsIdentity, now = new Date()): number {
  return Math.floor((identity.notAfter.getTime() - now.getTime()) / 86_400_000);
}
