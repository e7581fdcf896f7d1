import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  Asn1Error,
  bitString,
  boolean,
  encodeLength,
  explicitTag,
  generalizedTime,
  ia5String,
  implicitPrimitive,
  integer,
  namedBits,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  tlv,
  unsignedInteger,
  utcTime,
  utf8String,
  x509Time,
} from './asn1-der';

const hex = (b: Buffer) => b.toString('hex');

function assertAsn1Error(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof Asn1Error && err.code === 'ASN1_ERR_INPUT');
}

test('lengths: short form, long form', () => {
  assert.equal(hex(encodeLength(0)), '00');
  assert.equal(hex(encodeLength(127)), '7f');
  assert.equal(hex(encodeLength(128)), '8180');
  assert.equal(hex(encodeLength(255)), '81ff');
  assert.equal(hex(encodeLength(256)), '820100');
  assert.equal(hex(encodeLength(65536)), '83010000');
  assert.equal(hex(octetString(Buffer.alloc(200))).slice(0, 6), '0481c8');
  assertAsn1Error(() => encodeLength(-1));
});

test('INTEGER: minimal two\'s complement (X.690 §8.3 examples)', () => {
  const cases: Array<[number | bigint, string]> = [
    [0, '020100'],
    [1, '020101'],
    [127, '02017f'],
    [128, '02020080'],
    [255, '020200ff'],
    [256, '02020100'],
    [-1, '0201ff'],
    [-128, '020180'],
    [-129, '0202ff7f'],
    [2, '020102'], // X.509 version 3
    [2n ** 64n, '0209010000000000000000'],
  ];
  for (const [value, expected] of cases) assert.equal(hex(integer(value)), expected, `integer(${value})`);
  assertAsn1Error(() => integer(2 ** 60));
});

test('unsigned INTEGER keeps serial numbers positive', () => {
  assert.equal(hex(unsignedInteger(Buffer.from([0x7f, 0x01]))), '02027f01');
  assert.equal(hex(unsignedInteger(Buffer.from([0x80, 0x01]))), '0203008001');
  assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x05]))), '020105');
  assert.equal(hex(unsignedInteger(Buffer.from([0x00, 0x80]))), '02020080');
  assert.equal(hex(unsignedInteger(Buffer.from([0]))), '020100');
  assert.equal(hex(unsignedInteger(Buffer.alloc(0))), '020100');
});

test('OBJECT IDENTIFIER', () => {
  // sha256WithRSAEncryption, ecdsa-with-SHA256, id-ce-subjectAltName, id-kp-serverAuth
  assert.equal(hex(objectIdentifier('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
  assert.equal(hex(objectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(objectIdentifier('2.5.29.17')), '0603551d11');
  assert.equal(hex(objectIdentifier('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
  // X.690 §8.19.5 example: {2 999 3} → 0x88 0x37 0x03.
  assert.equal(hex(objectIdentifier('2.999.3')), '0603883703');
  // Arcs beyond 2^53 (UUID OIDs under 2.25) stay exact.
  assert.equal(hex(objectIdentifier('2.25.18446744073709551616')), '060b6982808080808080808000');
  for (const bad of ['', '1', '1.', '3.1', '1.40', 'a.b', '1..2']) assertAsn1Error(() => objectIdentifier(bad));
});

test('BOOLEAN, NULL, strings', () => {
  assert.equal(hex(boolean(true)), '0101ff');
  assert.equal(hex(boolean(false)), '010100');
  assert.equal(hex(nullValue()), '0500');
  assert.equal(hex(utf8String('é')), '0c02c3a9');
  assert.equal(hex(ia5String('a.b')), '1603612e62');
  assertAsn1Error(() => ia5String('bücher.example'));
  assert.equal(hex(octetString(Buffer.from([1, 2]))), '04020102');
});

test('BIT STRING and named bit lists', () => {
  assert.equal(hex(bitString(Buffer.from([0xab]))), '030200ab');
  assert.equal(hex(bitString(Buffer.from([0xff]), 3)), '030203f8'); // unused bits zeroed
  assert.equal(hex(bitString(Buffer.alloc(0))), '030100');
  // KeyUsage digitalSignature (bit 0) only: 03 02 07 80, as every CA emits it.
  assert.equal(hex(namedBits([0])), '03020780');
  // digitalSignature + keyEncipherment (bits 0, 2): 03 02 05 a0.
  assert.equal(hex(namedBits([0, 2])), '030205a0');
  // decipherOnly (bit 8) spills into a second octet: 03 03 07 00 80.
  assert.equal(hex(namedBits([8])), '0303070080');
  assert.equal(hex(namedBits([])), '030100');
  assertAsn1Error(() => bitString(Buffer.from([1]), 8));
});

test('time: UTCTime until 2049, GeneralizedTime from 2050', () => {
  const t2024 = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(utcTime(t2024).toString('latin1'), '\x17\x0d240102030405Z');
  assert.equal(x509Time(t2024).toString('latin1'), '\x17\x0d240102030405Z');
  const t2049 = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));
  assert.equal(x509Time(t2049).toString('latin1'), '\x17\x0d491231235959Z');
  const t2050 = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
  assert.equal(x509Time(t2050).toString('latin1'), '\x18\x0f20500101000000Z');
  assert.equal(generalizedTime(t2024).toString('latin1'), '\x18\x0f20240102030405Z');
  const t1950 = new Date(Date.UTC(1950, 5, 1));
  assert.equal(x509Time(t1950).toString('latin1'), '\x17\x0d500601000000Z');
  assert.equal(x509Time(new Date(Date.UTC(1949, 0, 1)))[0], 0x18);
  assertAsn1Error(() => utcTime(t2050));
  assertAsn1Error(() => x509Time(new Date(NaN)));
});

test('constructed types and context tags', () => {
  assert.equal(hex(sequence()), '3000');
  assert.equal(hex(sequence(integer(1), boolean(true))), '30060201010101ff');
  // SET OF is sorted by encoding, whatever the input order.
  assert.equal(hex(setOf(integer(2), integer(1))), '3106020101020102');
  assert.equal(hex(explicitTag(0, integer(2))), 'a003020102');
  assert.equal(hex(explicitTag(3, sequence())), 'a3023000');
  assert.equal(hex(implicitPrimitive(2, Buffer.from('a'))), '820161');
  assert.equal(hex(implicitPrimitive(7, Buffer.from([127, 0, 0, 1]))), '87047f000001');
  assertAsn1Error(() => explicitTag(31, nullValue()));
  assertAsn1Error(() => tlv(0x1f, Buffer.alloc(0)));
});

test('an EC SubjectPublicKeyInfo built here equals the one Node exports', () => {
  // Cross-check against OpenSSL's own encoder: rebuild the SPKI of a P-256 key from
  // its JWK coordinates and compare byte for byte.
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = publicKey.export({ format: 'jwk' });
  assert.ok(jwk.x !== undefined && jwk.y !== undefined);
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const spki = sequence(
    sequence(objectIdentifier('1.2.840.10045.2.1'), objectIdentifier('1.2.840.10045.3.1.7')),
    bitString(point),
  );
  assert.deepEqual(spki, publicKey.export({ type: 'spki', format: 'der' }));
  // And OpenSSL reads it back.
  const reread = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  assert.equal(reread.asymmetricKeyType, 'ec');
});
