import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicitTag,
  implicitPrimitive,
  integer,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  unsignedInteger,
  utf8String,
  x509Time,
} from './asn1-der';

/**
 * A self-signed X.509 v3 certificate (RFC 5280) for the SIP-TLS and HTTPS listeners
 * when the operator configured none. Node 18 has no API that creates certificates,
 * so the TBSCertificate is encoded with ./asn1-der and signed with node:crypto.
 *
 * Key: ECDSA P-256, signature ecdsa-with-SHA256: small, fast on arm64 boards, and
 * accepted by every TLS 1.2/1.3 client we care about (phones, browsers, SIP trunks).
 */

export class SelfSignedCertError extends Error {
  override readonly name = 'SelfSignedCertError';
  readonly code = 'CERT_ERR_INPUT';
}

export interface SelfSignedCertOptions {
  /** Subject and issuer CN; at most 64 characters (RFC 5280 ub-common-name). */
  commonName: string;
  /** subjectAltName dNSName entries (ASCII; `*.example` wildcards allowed). */
  dnsNames: string[];
  /** subjectAltName iPAddress entries, IPv4 or IPv6. */
  ipAddresses: string[];
  /** Validity length in days from `now`. */
  days: number;
  /** Defaults to the current time. */
  now?: Date;
}

export interface SelfSignedCert {
  certPem: string;
  /** PKCS#8 PEM, unencrypted: the caller stores it with mode 0600. */
  keyPem: string;
}

/**
 * notBefore is set this far before `now`: a client whose clock runs a little behind
 * the board's would otherwise reject a freshly generated certificate as not yet valid.
 */
export const BACKDATE_MS = 60 * 60 * 1000;

const OID = {
  commonName: '2.5.4.3',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export function generateSelfSignedCert(options: SelfSignedCertOptions): SelfSignedCert {
  const { commonName, dnsNames, ipAddresses, days } = options;
  if (commonName.length === 0 || commonName.length > 64) {
    throw new SelfSignedCertError('commonName must be 1 to 64 characters');
  }
  if (!Number.isFinite(days) || days <= 0) throw new SelfSignedCertError(`days must be positive, got ${days}`);
  // GeneralNames is SIZE (1..MAX): an empty subjectAltName is not a valid extension.
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new SelfSignedCertError('at least one DNS name or IP address is needed for subjectAltName');
  }
  const now = options.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new SelfSignedCertError('now is not a valid date');
  // Whole seconds: X.509 times carry no fractions, and the validity must not depend
  // on rounding in the encoder.
  const nowMs = Math.floor(now.getTime() / 1000) * 1000;
  const notBefore = new Date(nowMs - BACKDATE_MS);
  const notAfter = new Date(nowMs + Math.round(days * DAY_MS));
  if (notAfter.getUTCFullYear() > 9999) throw new SelfSignedCertError('validity ends after year 9999');

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256)); // parameters absent (RFC 5758 §3.2)
  const name = sequence(setOf(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));

  const extensions = [
    // cA defaults to FALSE, and DER omits defaults: an empty SEQUENCE says CA:FALSE.
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, namedBits([0])), // digitalSignature: ECDHE key exchange signs
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
    extension(OID.subjectAltName, false, subjectAltName(dnsNames, ipAddresses)),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey))),
  ];

  const tbs = sequence(
    explicitTag(0, integer(2)), // version v3
    unsignedInteger(serialNumber()),
    signatureAlgorithm,
    name, // issuer
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name, // subject
    spki,
    explicitTag(3, sequence(...extensions)),
  );
  // createSign emits the DER ECDSA-Sig-Value X.509 expects (dsaEncoding 'der').
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certificate = sequence(tbs, signatureAlgorithm, bitString(signature));

  return {
    certPem: toPem('CERTIFICATE', certificate),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  // `critical` is DEFAULT FALSE, so DER leaves it out when false.
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** 16 random bytes, positive and with a non-zero first byte so the INTEGER keeps all 16. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (the EC point). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) throw new SelfSignedCertError('EC key without coordinates');
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return createHash('sha1').update(point).digest();
}

function subjectAltName(dnsNames: string[], ipAddresses: string[]): Buffer {
  const names: Buffer[] = [];
  for (const dns of dnsNames) {
    // Clients compare names as ASCII; internationalised names must come as A-labels.
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(dns) || dns.length > 253) {
      throw new SelfSignedCertError(`"${dns}" is not a DNS name usable in a certificate`);
    }
    names.push(implicitPrimitive(2, Buffer.from(dns, 'ascii'))); // dNSName [2] IA5String
  }
  for (const ip of ipAddresses) names.push(implicitPrimitive(7, ipAddressBytes(ip))); // iPAddress [7] OCTET STRING
  return sequence(...names);
}

/** Network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) literal, as SAN wants them. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // A zone (fe80::1%eth0) is local to this host and has no place in a certificate.
  if (!isIPv6(ip) || ip.includes('%')) throw new SelfSignedCertError(`"${ip}" is not an IP address`);
  // isIPv6 vouched for the syntax; what is left is expanding it to eight groups.
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // IPv4-embedded form (::ffff:192.0.2.1): rewrite the dotted quad as two groups.
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const halves = text.split('::');
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0] ?? '');
    const tail = groupsOf(halves[1] ?? '');
    groups = [...head, ...new Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail];
  } else {
    groups = groupsOf(text);
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new SelfSignedCertError(`"${ip}" is not an IP address`);
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
