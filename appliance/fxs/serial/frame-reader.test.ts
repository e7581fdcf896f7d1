import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { encodeAudioFrame, encodeControlFrame, type DecodedFrame } from './frame-codec';
import { FRAME_GAP_MS, FrameReader } from './frame-reader';

const texts = (frames: DecodedFrame[]) => frames.map((f) => (f.type === 'control' ? f.text : `audio ${f.line}`));

test('gap rule: frames held behind a damaged audio header come out after 100 ms of silence, not before', () => {
  const clock = new VirtualClock();
  const got: DecodedFrame[] = [];
  const reader = new FrameReader(clock, (f) => got.push(f));
  const damaged = encodeAudioFrame({ line: 1, codec: 'pcmu', seq: 0, payload: Buffer.alloc(320) }).subarray(0, 12);
  reader.push(Buffer.concat([damaged, encodeControlFrame('A 3')]));
  clock.advance(FRAME_GAP_MS - 1);
  reader.push(encodeControlFrame('4 OFFHOOK 1')); // bytes keep coming: the gap starts again
  clock.advance(FRAME_GAP_MS - 1);
  assert.deepEqual(got, []);
  clock.advance(1);
  assert.deepEqual(texts(got), ['A 3', '4 OFFHOOK 1']);
  assert.equal(reader.stats().badFrames, 1);
  assert.equal(clock.pending(), 0);
});

test('no timer while nothing is held; none after stop()', () => {
  const clock = new VirtualClock();
  const got: DecodedFrame[] = [];
  const reader = new FrameReader(clock, (f) => got.push(f));
  reader.push(encodeControlFrame('1 PING'));
  assert.equal(clock.pending(), 0);
  reader.push(Buffer.from('!half'));
  assert.equal(clock.pending(), 1);
  reader.stop();
  assert.equal(clock.pending(), 0);
  reader.push(encodeControlFrame('2 PING'));
  assert.deepEqual(texts(got), ['1 PING']);
});
