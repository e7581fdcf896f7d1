import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc16 } from './crc16';
import { encodeAudioFrame, encodeControlFrame, FrameDecoder, MAX_AUDIO_PAYLOAD, type AudioFrame, type DecodedFrame } from './frame-codec';
import { seededRandom } from './testing/prng';

/** The longest a frame can be: an audio frame with 320 bytes of payload. */
const MAX_FRAME_BYTES = 8 + MAX_AUDIO_PAYLOAD + 2;

/** Feeds the chunks; `gap` then applies the gap rule, as a silent line would. */
function decodeAll(chunks: Buffer[], opts: { gap?: boolean } = {}): { frames: DecodedFrame[]; decoder: FrameDecoder } {
  const decoder = new FrameDecoder();
  const frames: DecodedFrame[] = [];
  for (const c of chunks) {
    frames.push(...decoder.push(c));
    assert.ok(decoder.bufferedBytes <= MAX_FRAME_BYTES, `buffer grew to ${decoder.bufferedBytes}`);
  }
  if (opts.gap) frames.push(...decoder.flushStale());
  assert.ok(!opts.gap || decoder.bufferedBytes === 0);
  return { frames, decoder };
}

const control = (text: string): DecodedFrame => ({ type: 'control', text });
const audio = (f: AudioFrame): DecodedFrame => ({ type: 'audio', ...f });
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

test('a control frame is `!` text `*` CRC in upper-case hex and a newline', () => {
  const text = '12 RING 1 1000,4000';
  const crc = crc16(Buffer.from(text)).toString(16).toUpperCase().padStart(4, '0');
  assert.equal(encodeControlFrame(text).toString('latin1'), `!${text}*${crc}\n`);
  assert.equal(encodeControlFrame('A 7').toString('latin1'), `!A 7*${crc16(Buffer.from('A 7')).toString(16).toUpperCase().padStart(4, '0')}\n`);
});

test('control text: 1..200 printable bytes without `!`; anything else is refused at encoding', () => {
  assert.doesNotThrow(() => encodeControlFrame('x'.repeat(200)));
  assert.doesNotThrow(() => encodeControlFrame('1 DIGIT 1 *'));
  for (const bad of ['', 'x'.repeat(201), 'a!b', 'tab\there', 'new\nline', 'caf\u00e9', '\u6c49']) {
    assert.throws(() => encodeControlFrame(bad), RangeError, JSON.stringify(bad));
  }
});

test('an audio frame: A5 5A, line, codec (0/8), seq and length big-endian, payload, CRC over all but the marker', () => {
  const frame = encodeAudioFrame({ line: 3, codec: 'pcma', seq: 0x1234, payload: Buffer.from([1, 2, 3]) });
  assert.deepEqual([...frame.subarray(0, 8)], [0xa5, 0x5a, 3, 8, 0x12, 0x34, 0, 3]);
  assert.deepEqual([...frame.subarray(8, 11)], [1, 2, 3]);
  assert.equal(frame.readUInt16BE(11), crc16(frame, 2, 11));
  assert.equal(encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0x10001, payload: Buffer.of(0) })[3], 0);
  assert.equal(encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0x10001, payload: Buffer.of(0) }).readUInt16BE(4), 1);
  assert.throws(() => encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(0) }), RangeError);
  assert.throws(() => encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(321) }), RangeError);
  assert.throws(() => encodeAudioFrame({ line: 0, codec: 'pcmu', seq: 0, payload: Buffer.alloc(1) }), RangeError);
});

test('round trips, whole, byte by byte and split at every offset; binary payloads that look like frames stay payload', () => {
  // Audio whose payload holds every byte value and a complete, valid control frame.
  const trap = Buffer.concat([encodeControlFrame('99 OFFHOOK 1'), ALL_BYTES.subarray(0, 200), Buffer.from([0xa5, 0x5a])]);
  const frames: DecodedFrame[] = [
    control('1 OFFHOOK 1'),
    audio({ line: 1, codec: 'pcmu', seq: 0, payload: ALL_BYTES.subarray(0, 160) }),
    control('A 1'),
    audio({ line: 2, codec: 'pcma', seq: 65535, payload: trap.subarray(0, 320) }),
    audio({ line: 64, codec: 'pcmu', seq: 7, payload: ALL_BYTES.subarray(96, 256) }),
    control('2 DIGIT 1 #'),
  ];
  const stream = Buffer.concat(frames.map(encode));
  assert.deepEqual(decodeAll([stream]).frames, frames);
  assert.deepEqual(decodeAll(Array.from(stream, (b) => Buffer.of(b))).frames, frames);
  for (let k = 0; k <= stream.length; k++) {
    const { frames: got, decoder } = decodeAll([stream.subarray(0, k), stream.subarray(k)]);
    assert.deepEqual(got, frames, `split at ${k}`);
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.stats().badFrames, 0);
  }
});

test('resynchronisation: random bytes before, between and inside frames (seeded, 3000 rounds)', () => {
  const rnd = seededRandom(0x5eed);
  let recovered = 0;
  let corrupted = 0;
  for (let round = 0; round < 3000; round++) {
    const frames = Array.from({ length: 1 + rnd.int(6) }, () => randomFrame(rnd));
    const expected: DecodedFrame[] = [];
    const parts: Buffer[] = [];
    for (const f of frames) {
      if (rnd.next() < 0.5) parts.push(rnd.bytes(rnd.int(48))); // noise before or between
      const whole = encode(f);
      let bytes = whole;
      if (rnd.next() < 0.15) {
        // Noise inside: this frame is lost, but nothing else may be.
        const at = 1 + rnd.int(whole.length - 1);
        bytes = Buffer.concat([whole.subarray(0, at), rnd.bytes(1 + rnd.int(16)), whole.subarray(at)]);
      }
      // Noise that happens to end with the frame's first bytes leaves the frame whole.
      if (bytes.includes(whole)) expected.push(f);
      else corrupted++;
      parts.push(bytes);
    }
    if (rnd.next() < 0.5) parts.push(rnd.bytes(rnd.int(48)));
    const stream = Buffer.concat(parts);
    // Split into random chunks, as a serial driver delivers them.
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = 1 + rnd.int(64);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    // Noise that looks like an audio header may hold the frames after it until the line
    // goes silent: the gap rule then lets them out.
    const { frames: got } = decodeAll(chunks, { gap: true });
    assert.deepEqual(got, expected, `round ${round}`);
    recovered += expected.length;
  }
  assert.ok(recovered > 5000 && corrupted > 1000, `${recovered} recovered, ${corrupted} corrupted`);
});

test('a flipped bit anywhere drops that frame only, and is counted', () => {
  const good = control('5 ONHOOK 2');
  const victims = [encodeControlFrame('4 TONE 1 dial cn'), encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 9, payload: ALL_BYTES.subarray(0, 40) })];
  for (const victim of victims) {
    for (let bit = 0; bit < victim.length * 8; bit++) {
      const copy = Buffer.from(victim);
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      const { frames, decoder } = decodeAll([copy, encode(good)], { gap: true });
      assert.deepEqual(frames, [good], `bit ${bit} of ${victim.subarray(0, 8).toString('hex')}`);
      // A flipped start marker makes the frame plain noise; every other flip is a bad frame.
      if (bit >= 8 && !(victim[0] === 0xa5 && bit < 16)) assert.ok(decoder.stats().badFrames >= 1, `bit ${bit} counted`);
    }
  }
});

test('a truncated frame followed by a good one: the good one comes through', () => {
  const goods = [control('8 FLASH 1'), audio({ line: 2, codec: 'pcma', seq: 1, payload: ALL_BYTES.subarray(10, 170) })];
  const truncated = [encodeControlFrame('7 CID 1 fsk number=1001 name=Alice'), encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 3, payload: ALL_BYTES.subarray(0, 160) })];
  for (const t of truncated) {
    for (const good of goods) {
      for (let cut = 1; cut < t.length; cut++) {
        const { frames } = decodeAll([t.subarray(0, cut), encode(good)], { gap: true });
        assert.deepEqual(frames, [good], `cut at ${cut}`);
      }
    }
  }
});

test('oversize control text, a bad audio header and lower-case CRC digits are noise', () => {
  const good = control('3 RINGTRIP 1');
  const longText = `!${'x'.repeat(300)}*0000\n`;
  const tooLongButValid = Buffer.concat([Buffer.from('!'), Buffer.from('y'.repeat(201)), Buffer.from(`*${crc16(Buffer.from('y'.repeat(201))).toString(16).toUpperCase()}\n`)]);
  const lowerCrc = Buffer.from(encodeControlFrame('1 PING').toString('latin1').toLowerCase().replace('ping', 'PING'));
  const badLength = encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(10) });
  badLength.writeUInt16BE(321, 6);
  const badCodec = encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(10) });
  badCodec[3] = 9;
  for (const noise of [Buffer.from(longText), tooLongButValid, lowerCrc, badLength, badCodec]) {
    const { frames, decoder } = decodeAll([noise, encode(good)]);
    assert.deepEqual(frames, [good], noise.subarray(0, 12).toString('latin1'));
    assert.ok(decoder.stats().badFrames >= 1);
  }
  assert.ok(/[a-f]/.test(lowerCrc.toString('latin1').split('*')[1]!), 'the CRC really has lower-case digits');
});

test('the gap rule: a truncated audio header no longer holds the control frames behind it', () => {
  const truncated = encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(320, 0x55) }).subarray(0, 20);
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(Buffer.concat([truncated, encodeControlFrame('A 4'), encodeControlFrame('5 OFFHOOK 1')])), []);
  assert.deepEqual(decoder.flushStale(), [control('A 4'), control('5 OFFHOOK 1')]);
  assert.equal(decoder.bufferedBytes, 0);
});

test('the frames of the example in docs/fxs-serial-protocol.md §9 and §2.2 are exact', () => {
  const example = [
    '!0 HELLO 1 session=5F3A09C2*5CBE',
    '!0 HELLO 1 lines=2 caps=cid-fsk,polarity,tones,pcmu,pcma fw=edgesip-sim-1 hook=01 session=5F3A09C2*31D6',
    '!1 TONE 2 dial cn*54DA',
    '!A 1*C695',
    '!1 DIGIT 2 5*2016',
    '!2 TONE 2 ringback cn*AC57',
    '!A 2*F6F6',
    '!3 CID 1 dtmf number=13800138000 name=*32F9',
    '!N 3 unsupported*6250',
    '!4 RING 1 1000,4000*5505',
    '!A 4*9630',
    '!2 RINGTRIP 1*BCC6',
    '!5 AUDIO 1 on pcmu*2A5C',
    '!A 5*8611',
    '!6 PING*442E',
    '!A 6*B672',
    '!0 HELLO 1 lines=2 caps=cid-fsk,polarity,tones,pcmu,pcma fw=edgesip-sim-1 hook=00 session=00000000*36F3',
  ];
  for (const line of example) assert.equal(encodeControlFrame(line.slice(1, -5)).toString('latin1'), `${line}\n`);
  assert.equal(encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 42, payload: Buffer.from([0xff, 0xfe, 0x7e, 0x7f]) }).toString('hex'), 'a55a0100002a0004fffe7e7f8d1c');
});

test('stats: frames, bad frames, bytes of noise', () => {
  const { decoder } = decodeAll([Buffer.from('hello'), encodeControlFrame('1 PING'), Buffer.from('!oops\n'), encodeControlFrame('A 1')]);
  assert.deepEqual(decoder.stats(), { frames: 2, badFrames: 1, noiseBytes: 5 });
});

function encode(f: DecodedFrame): Buffer {
  return f.type === 'control' ? encodeControlFrame(f.text) : encodeAudioFrame(f);
}

function randomFrame(rnd: ReturnType<typeof seededRandom>): DecodedFrame {
  if (rnd.next() < 0.5) {
    const len = 1 + rnd.int(200);
    let text = '';
    for (let i = 0; i < len; i++) {
      const c = 0x20 + rnd.int(0x5f);
      text += c === 0x21 ? '?' : String.fromCharCode(c);
    }
    return control(text);
  }
  return audio({ line: 1 + rnd.int(64), codec: rnd.next() < 0.5 ? 'pcmu' : 'pcma', seq: rnd.int(65536), payload: rnd.bytes(1 + rnd.int(MAX_AUDIO_PAYLOAD)) });
}
