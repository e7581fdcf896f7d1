import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpPacketError, encodeRtpPacket, parseRtpPacket, type RtpPacket } from './rtp-packet';

function parsed(data: Buffer): RtpPacket {
  const r = parseRtpPacket(data);
  if (!r.ok) throw r.error;
  return r.packet;
}

function errorCode(data: Buffer): string {
  const r = parseRtpPacket(data);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error.code;
}

describe('RTP fixed header', () => {
  it('parses a hand-written PCMU packet', () => {
    // V=2 P=0 X=0 CC=0 | M=1 PT=0 | seq 0x1234 | ts 0xDEADBEEF | SSRC 0x01020304 | 4 payload bytes
    const bytes = Buffer.from('80801234deadbeef01020304fffefdfc', 'hex');
    const p = parsed(bytes);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 0);
    assert.equal(p.sequenceNumber, 0x1234);
    assert.equal(p.timestamp, 0xdeadbeef);
    assert.equal(p.ssrc, 0x01020304);
    assert.deepEqual(p.csrcs, []);
    assert.equal(p.extension, undefined);
    assert.deepEqual([...p.payload], [0xff, 0xfe, 0xfd, 0xfc]);
    assert.equal(p.paddingLength, 0);
  });

  it('encodes to the same bytes', () => {
    const bytes = encodeRtpPacket({
      marker: true,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      payload: Buffer.from('fffefdfc', 'hex'),
    });
    assert.equal(bytes.toString('hex'), '80801234deadbeef01020304fffefdfc');
  });

  it('round-trips CSRCs, an extension and padding', () => {
    const init = {
      marker: false,
      payloadType: 101,
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0xffffffff,
      csrcs: [1, 0xfffffffe],
      extension: { profile: 0xbede, data: Buffer.from('1122334455667788', 'hex') },
      payload: Buffer.from('0a0b0c', 'hex'),
      paddingLength: 5,
    };
    const bytes = encodeRtpPacket(init);
    assert.equal(bytes[0], 0x80 | 0x20 | 0x10 | 2);
    assert.equal(bytes.length, 12 + 8 + 4 + 8 + 3 + 5);
    assert.equal(bytes[bytes.length - 1], 5);
    const p = parsed(bytes);
    assert.equal(p.payloadType, 101);
    assert.equal(p.sequenceNumber, 65535);
    assert.equal(p.timestamp, 0xffffffff);
    assert.equal(p.ssrc, 0xffffffff);
    assert.deepEqual(p.csrcs, [1, 0xfffffffe]);
    assert.equal(p.extension?.profile, 0xbede);
    assert.equal(p.extension?.data.toString('hex'), '1122334455667788');
    assert.equal(p.payload.toString('hex'), '0a0b0c');
    assert.equal(p.paddingLength, 5);
  });

  it('accepts an empty payload', () => {
    assert.equal(parsed(Buffer.from('800000010000000000000001', 'hex')).payload.length, 0);
  });

  it('refuses malformed packets with a stable code', () => {
    assert.equal(errorCode(Buffer.alloc(11)), 'EDGESIP_ERR_RTP_TOO_SHORT');
    assert.equal(errorCode(Buffer.from('400000010000000000000001', 'hex')), 'EDGESIP_ERR_RTP_VERSION');
    assert.equal(errorCode(Buffer.from('000000010000000000000001', 'hex')), 'EDGESIP_ERR_RTP_VERSION');
    // CC = 3 but only one CSRC present
    assert.equal(errorCode(Buffer.from('83000001000000000000000100000005', 'hex')), 'EDGESIP_ERR_RTP_TOO_SHORT');
    // X set, no room for the extension header
    assert.equal(errorCode(Buffer.from('900000010000000000000001beef', 'hex')), 'EDGESIP_ERR_RTP_TOO_SHORT');
    // X set, extension claims 2 words, 1 present
    assert.equal(errorCode(Buffer.from('900000010000000000000001bede000211223344', 'hex')), 'EDGESIP_ERR_RTP_TOO_SHORT');
    // P set, count 0
    assert.equal(errorCode(Buffer.from('a0000001000000000000000100', 'hex')), 'EDGESIP_ERR_RTP_PADDING');
    // P set, count larger than what follows the header
    assert.equal(errorCode(Buffer.from('a000000100000000000000010103', 'hex')), 'EDGESIP_ERR_RTP_PADDING');
    // An RTCP receiver report (PT 201) arriving on the RTP port
    assert.equal(errorCode(Buffer.from('81c90001000000010000000000000000', 'hex')), 'EDGESIP_ERR_RTP_IS_RTCP');
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const data = Buffer.from(Array.from({ length: rnd() % 40 }, rnd));
      if (i % 2 === 0 && data.length > 0) data[0] = (data[0]! & 0x3f) | 0x80; // version 2 half the time
      const r = parseRtpPacket(data);
      if (r.ok) assert.ok(r.packet.payload.length <= data.length);
    }
  });

  it('refuses out-of-range fields when encoding', () => {
    const base = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof RtpPacketError ? e.code : 'other';
      }
      return 'none';
    };
    assert.equal(code(() => encodeRtpPacket({ ...base, payloadType: 128 })), 'EDGESIP_ERR_RTP_FIELD');
    assert.equal(code(() => encodeRtpPacket({ ...base, sequenceNumber: 65536 })), 'EDGESIP_ERR_RTP_FIELD');
    assert.equal(code(() => encodeRtpPacket({ ...base, timestamp: -1 })), 'EDGESIP_ERR_RTP_FIELD');
    assert.equal(code(() => encodeRtpPacket({ ...base, csrcs: new Array(16).fill(0) })), 'EDGESIP_ERR_RTP_FIELD');
    assert.equal(code(() => encodeRtpPacket({ ...base, extension: { profile: 1, data: Buffer.alloc(3) } })), 'EDGESIP_ERR_RTP_FIELD');
  });
});
