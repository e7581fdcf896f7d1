import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALAW_SILENCE, MULAW_SILENCE, decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from './g711';

const pcm = (...s: number[]) => Int16Array.from(s);

describe('G.711 µ-law', () => {
  it('encodes the reference points (silence 0xFF, full scale 0x80 / 0x00)', () => {
    assert.deepEqual([...encodeMuLaw(pcm(0, 32767, -32768, -8))], [0xff, 0x80, 0x00, 0x7e]);
    assert.equal(MULAW_SILENCE, 0xff);
  });

  it('decodes the reference points', () => {
    assert.deepEqual([...decodeMuLaw(Buffer.from([0xff, 0x7f, 0x80, 0x00]))], [0, 0, 32124, -32124]);
    // First steps of segment 0: 8, 16, ... (2 in 14-bit units)
    assert.deepEqual([...decodeMuLaw(Buffer.from([0xfe, 0xfd, 0x7e]))], [8, 16, -8]);
  });

  it('re-encodes every code word to itself (but the negative zero 0x7F)', () => {
    for (let code = 0; code < 256; code++) {
      if (code === 0x7f) continue;
      const back = encodeMuLaw(decodeMuLaw(Buffer.from([code])))[0];
      assert.equal(back, code, `code 0x${code.toString(16)}`);
    }
  });

  it('keeps the round-trip error within half a quantisation step (plus the 16->14 bit truncation)', () => {
    for (let s = -32768; s <= 32767; s += 7) {
      const back = decodeMuLaw(encodeMuLaw(pcm(s)))[0]!;
      if (Math.abs(s) > 32124) {
        assert.equal(Math.abs(back), 32124, `${s} clips`);
        continue;
      }
      // µ-law steps double per segment: 8 (seg 0) ... 1024 (seg 7), in 16-bit units.
      const mag = Math.max(Math.abs(s), Math.abs(back));
      const step = 2 ** Math.floor(Math.log2((mag + 132) / 132)) * 8;
      assert.ok(Math.abs(back - s) <= step / 2 + 4, `${s} -> ${back}`);
    }
  });

  it('is monotonic', () => {
    let last = -Infinity;
    for (let s = -32768; s <= 32767; s += 3) {
      const back = decodeMuLaw(encodeMuLaw(pcm(s)))[0]!;
      assert.ok(back >= last, `${s}`);
      last = back;
    }
  });
});

describe('G.711 A-law', () => {
  it('encodes the reference points (0 -> 0xD5, full scale 0xAA / 0x2A)', () => {
    assert.deepEqual([...encodeALaw(pcm(0, -1, 32767, -32768))], [0xd5, 0x55, 0xaa, 0x2a]);
    assert.equal(ALAW_SILENCE, 0xd5);
  });

  it('decodes the reference points', () => {
    assert.deepEqual([...decodeALaw(Buffer.from([0xd5, 0x55, 0xaa, 0x2a]))], [8, -8, 32256, -32256]);
  });

  it('re-encodes every code word to itself', () => {
    for (let code = 0; code < 256; code++) {
      const back = encodeALaw(decodeALaw(Buffer.from([code])))[0];
      assert.equal(back, code, `code 0x${code.toString(16)}`);
    }
  });

  it('keeps the round-trip error within one quantisation step', () => {
    for (let s = -32768; s <= 32767; s += 7) {
      const back = decodeALaw(encodeALaw(pcm(s)))[0]!;
      const mag = Math.abs(s);
      // A-law steps: 16 in segments 0 and 1, then doubling up to 1024, in 16-bit units.
      const step = mag < 512 ? 16 : 2 ** Math.floor(Math.log2(mag / 256)) * 16;
      assert.ok(Math.abs(back - s) <= step, `${s} -> ${back}`);
    }
  });

  it('is monotonic', () => {
    let last = -Infinity;
    for (let s = -32768; s <= 32767; s += 3) {
      const back = decodeALaw(encodeALaw(pcm(s)))[0]!;
      assert.ok(back >= last, `${s}`);
      last = back;
    }
  });
});
