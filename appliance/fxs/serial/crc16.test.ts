import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc16 } from './crc16';

test('CRC-16/CCITT-FALSE check value and initial value', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x29b1);
  assert.equal(crc16(Buffer.alloc(0)), 0xffff);
});

test('a range and a continued computation give the same CRC as the whole', () => {
  const data = Buffer.from('xx123456789yy');
  assert.equal(crc16(data, 2, 11), 0x29b1);
  assert.equal(crc16(data, 6, 11, crc16(data, 2, 6)), 0x29b1);
});

test('every single-bit error changes the CRC', () => {
  const data = Buffer.from('17 RING 1 1000,4000');
  const good = crc16(data);
  for (let bit = 0; bit < data.length * 8; bit++) {
    const copy = Buffer.from(data);
    copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
    assert.notEqual(crc16(copy), good, `bit ${bit}`);
  }
});
