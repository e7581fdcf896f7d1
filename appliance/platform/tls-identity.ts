import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write';
import { generateSelfSignedCert } from './self-signed-cert';

export interface TlsIdentity {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
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
    keyFile,
    // A configured certificate may be self-signed too: browsers will warn either way.
    selfSigned: selfSigned || (x509.checkIssued(x509) && x509.verify(x509.publicKey)),
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

/** Why an installed pair was refused, with the field at fault ('cert' or 'key'). */
export class TlsInstallError extends Error {
  override readonly name = 'TlsInstallError';
  constructor(
    readonly field: 'cert' | 'key',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a certificate (its chain may follow it) and its private key, then stores
 * them as `<dataDir>/tls/installed.{crt,key}` for SIP-TLS and the HTTPS admin. A
 * refused pair leaves the files in use untouched.
 */
export function installTlsIdentity(dataDir: string, cert: string, key: string, now = new Date()): TlsIdentity {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsInstallError('cert', 'is not a readable PEM certificate');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsInstallError('key', 'is not a readable PEM private key (an encrypted key must be decrypted first: openssl pkey -in KEY -out PLAIN)');
  }
  if (!x509.checkPrivateKey(privateKey)) throw new TlsInstallError('key', 'does not match the certificate');
  if (new Date(x509.validTo).getTime() <= now.getTime()) throw new TlsInstallError('cert', `has expired (${new Date(x509.validTo).toISOString()})`);
  if (new Date(x509.validFrom).getTime() > now.getTime()) throw new TlsInstallError('cert', `is not valid yet (from ${new Date(x509.validFrom).toISOString()})`);
  try {
    // What OpenSSL itself would refuse (a key too small for its security level…).
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsInstallError('cert', `is refused by OpenSSL: ${(err as Error).message}`);
  }
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'installed.crt');
  const keyFile = join(dir, 'installed.key');
  writeFileAtomicSync(keyFile, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
  writeFileAtomicSync(certFile, cert.endsWith('\n') ? cert : `${cert}\n`, { mode: 0o644 });
  return ensureTlsIdentity(dataDir, certFile, keyFile, now);
}

/** What `GET /v1/tls` shows of an identity. */
export function describeTlsIdentity(identity: TlsIdentity, now = new Date()) {
  const x509 = new X509Certificate(identity.cert);
  const days = daysLeft(identity, now);
  return {
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    subjectAltName: x509.subjectAltName ?? '',
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: identity.notAfter.toISOString(),
    daysLeft: days,
    expiryWarning: days < EXPIRY_WARNING_DAYS,
    selfSigned: identity.selfSigned,
    fingerprint256: x509.fingerprint256,
    certFile: identity.certFile,
  };
}

/** Certificates closer than this to their end are warned about (log, status, web). */
export const EXPIRY_WARNING_DAYS = 30;
