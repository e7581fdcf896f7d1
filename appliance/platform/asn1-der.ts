/**
 * A minimal ASN.1 DER encoder (ITU-T X.690 §8 and §10), just what an X.509
 * certificate needs. Node 18 can sign and export keys but cannot build a certificate,
 * so the structure is assembled here. Every function returns the complete TLV
 * (tag, length, value) as a Buffer; constructed types take already-encoded children.
 *
 * Encode only: nothing here parses, so there is no untrusted input to guard against.
 */

export class Asn1Error extends Error {
  override readonly name = 'Asn1Error';
  readonly code = 'ASN1_ERR_INPUT';
}

/** Universal tags used below (X.680 §8.4). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30, // constructed bit set
  SET: 0x31, // constructed bit set
} as const;

/** Definite-form length octets (X.690 §8.1.3): short form below 128, else long form. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new Asn1Error(`bad length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single-octet tag (all tags used for certificates are below 31). */
export function tlv(tag: number, content: Buffer): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new Asn1Error(`tag ${tag} needs the multi-octet form, which is not supported`);
  }
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/**
 * SET OF: DER sorts the encoded elements as octet strings (X.690 §11.6), so the
 * result does not depend on the order the caller lists them in.
 */
export function setOf(...items: Buffer[]): Buffer {
  const sorted = [...items].sort(Buffer.compare);
  return tlv(Tag.SET, Buffer.concat(sorted));
}

export function boolean(value: boolean): Buffer {
  // DER: TRUE is all ones (X.690 §11.1).
  return tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return tlv(Tag.NULL, Buffer.alloc(0));
}

/** INTEGER from a number or bigint, in minimal two's complement (X.690 §8.3). */
export function integer(value: number | bigint): Buffer {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Asn1Error(`${value} is not a safe integer`);
  let n = BigInt(value);
  const bytes: number[] = [];
  // Emit low bytes until the rest is pure sign extension of the last byte's top bit.
  for (;;) {
    const byte = Number(n & 0xffn);
    bytes.unshift(byte);
    n >>= 8n; // arithmetic shift: stays -1 for negative numbers
    if ((n === 0n && (byte & 0x80) === 0) || (n === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(Tag.INTEGER, Buffer.from(bytes));
}

/**
 * INTEGER from unsigned big-endian bytes (serial numbers): leading zero octets are
 * dropped and one is added back when the top bit is set, so the value stays positive.
 */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = Buffer.from(bytes.subarray(start));
  if (body.length === 0) return tlv(Tag.INTEGER, Buffer.from([0]));
  return tlv(Tag.INTEGER, (body[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

/** BIT STRING whose length is a whole number of octets unless `unusedBits` says otherwise. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new Asn1Error(`bad unused bit count ${unusedBits}`);
  }
  // DER requires the unused bits to be zero (X.690 §11.2.1).
  const body = Buffer.from(bytes);
  if (body.length > 0) body[body.length - 1] &= (0xff << unusedBits) & 0xff;
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), body]));
}

/**
 * BIT STRING for a NamedBitList such as KeyUsage, bit 0 being the most significant
 * bit of the first octet. DER drops trailing zero bits (X.690 §11.2.2).
 */
export function namedBits(bitNumbers: number[]): Buffer {
  if (bitNumbers.length === 0) return bitString(Buffer.alloc(0));
  if (bitNumbers.some((b) => !Number.isInteger(b) || b < 0)) throw new Asn1Error('bad bit number');
  const highest = Math.max(...bitNumbers);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bitNumbers) bytes[b >> 3] |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, Buffer.from(bytes));
}

export function utf8String(text: string): Buffer {
  return tlv(Tag.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** IA5String is 7-bit ASCII; refusing anything else beats emitting a broken name. */
export function ia5String(text: string): Buffer {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Asn1Error(`"${text}" is not IA5 (ASCII)`);
  return tlv(Tag.IA5_STRING, Buffer.from(text, 'ascii'));
}

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19): base-128 arcs, first two merged. */
export function objectIdentifier(dotted: string): Buffer {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new Asn1Error(`bad OID "${dotted}"`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = arcs as [bigint, bigint];
  if (first > 2n || (first < 2n && second > 39n)) throw new Asn1Error(`bad OID "${dotted}"`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) group.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...group);
  }
  return tlv(Tag.OBJECT_IDENTIFIER, Buffer.from(out));
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Asn1Error('invalid date');
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    p(date.getUTCMonth() + 1) + p(date.getUTCDate()) + p(date.getUTCHours()) + p(date.getUTCMinutes()) + p(date.getUTCSeconds())
  );
}

/** UTCTime YYMMDDHHMMSSZ; only years 1950–2049 are representable (RFC 5280 §4.1.2.5.1). */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (!(year >= 1950 && year <= 2049)) throw new Asn1Error(`UTCTime cannot hold year ${year}`);
  return tlv(Tag.UTC_TIME, Buffer.from(`${String(year % 100).padStart(2, '0')}${timeDigits(date)}Z`, 'ascii'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, without fractions (RFC 5280 §4.1.2.5.2). */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new Asn1Error(`GeneralizedTime cannot hold year ${year}`);
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(`${String(year).padStart(4, '0')}${timeDigits(date)}Z`, 'ascii'));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export function x509Time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** [n] EXPLICIT: a constructed context-specific wrapper around one complete TLV. */
export function explicitTag(n: number, inner: Buffer): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new Asn1Error(`context tag ${n} out of range`);
  return tlv(0xa0 | n, inner);
}

/** [n] IMPLICIT for a primitive type: the universal tag is replaced, content kept. */
export function implicitPrimitive(n: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new Asn1Error(`context tag ${n} out of range`);
  return tlv(0x80 | n, Buffer.from(content));
}
