/**
 * Frames on the board link (docs/fxs-serial-protocol.md §2), bytes ⇄ frames:
 *
 *   control  `!` text `*` CRC(4 upper-case hex) `\n`      text: 1..200 bytes of 0x20..0x7E except `!`
 *   audio    A5 5A line codec seq(2) length(2) payload CRC(2)     big-endian, length 1..320
 *
 * The decoder is a resynchronising scanner: it looks for the next start marker, and a
 * frame that fails any check (a byte that cannot be in it, a bad header, a CRC
 * mismatch, too long) is dropped and counted; scanning resumes just after the failed
 * frame's first byte, so a good frame hidden inside garbage is still found. Its buffer
 * never holds more than one frame's worth of bytes; flushStale() empties it after a
 * silence (FrameReader runs that timer).
 */
import { crc16 } from './crc16';
import { MAX_LINES, MAX_TEXT_BYTES, type AudioCodec } from './messages';

export const CONTROL_START = 0x21; // '!'
const CONTROL_CRC_MARK = 0x2a; // '*'
const CONTROL_END = 0x0a; // '\n'
export const AUDIO_START_1 = 0xa5;
export const AUDIO_START_2 = 0x5a;
/** Marker, line, codec, seq(2), length(2). */
const AUDIO_HEADER_BYTES = 8;
export const MAX_AUDIO_PAYLOAD = 320;
/** `*` + 4 hex digits between the text and the newline. */
const CONTROL_TRAILER_BYTES = 5;

/** RTP payload type numbers, which the audio frame's codec byte reuses. */
const CODEC_BYTE: Record<AudioCodec, number> = { pcmu: 0, pcma: 8 };

export interface AudioFrame {
  line: number;
  codec: AudioCodec;
  /** 16-bit, one counter per line and direction; lets a receiver see gaps. */
  seq: number;
  payload: Buffer;
}

export type DecodedFrame = { type: 'control'; text: string } | ({ type: 'audio' } & AudioFrame);

export interface DecoderStats {
  /** Good frames returned. */
  frames: number;
  /** Frame starts that turned out not to be a frame (bad CRC, truncated, oversize, bad header). */
  badFrames: number;
  /** Bytes skipped between frames. */
  noiseBytes: number;
}

/** True for the bytes control text may contain. */
function isTextByte(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== CONTROL_START;
}

/** Encodes control text; a text that breaks the rules is a bug in the caller (RangeError). */
export function encodeControlFrame(text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const printable = [...text].every((ch) => isTextByte(ch.charCodeAt(0)));
  if (text.length < 1 || text.length > MAX_TEXT_BYTES || !printable) {
    throw new RangeError(`control text must be 1..${MAX_TEXT_BYTES} printable ASCII bytes without '!': ${JSON.stringify(text)}`);
  }
  const crc = crc16(body).toString(16).toUpperCase().padStart(4, '0');
  return Buffer.concat([Buffer.of(CONTROL_START), body, Buffer.from(`*${crc}\n`, 'latin1')]);
}

export function encodeAudioFrame(f: AudioFrame): Buffer {
  if (!Number.isInteger(f.line) || f.line < 1 || f.line > MAX_LINES) throw new RangeError(`audio frame line out of range: ${f.line}`);
  if (f.payload.length < 1 || f.payload.length > MAX_AUDIO_PAYLOAD) throw new RangeError(`audio payload must be 1..${MAX_AUDIO_PAYLOAD} bytes: ${f.payload.length}`);
  const frame = Buffer.alloc(AUDIO_HEADER_BYTES + f.payload.length + 2);
  frame[0] = AUDIO_START_1;
  frame[1] = AUDIO_START_2;
  frame[2] = f.line;
  frame[3] = CODEC_BYTE[f.codec];
  frame.writeUInt16BE(f.seq & 0xffff, 4);
  frame.writeUInt16BE(f.payload.length, 6);
  f.payload.copy(frame, AUDIO_HEADER_BYTES);
  // The CRC covers everything after the marker.
  frame.writeUInt16BE(crc16(frame, 2, AUDIO_HEADER_BYTES + f.payload.length), AUDIO_HEADER_BYTES + f.payload.length);
  return frame;
}

/** The outcome of looking at the bytes from a start marker on. */
type Attempt =
  | { kind: 'frame'; frame: DecodedFrame; length: number }
  | { kind: 'bad'; skip: number } // not a frame: drop `skip` bytes (≥ 1) and scan on
  | { kind: 'more' }; // could still be a frame: wait for bytes

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly counters: DecoderStats = { frames: 0, badFrames: 0, noiseBytes: 0 };

  /** Feeds received bytes; returns the frames they complete, in order. */
  push(chunk: Buffer): DecodedFrame[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: DecodedFrame[] = [];
    for (;;) {
      const start = findStart(buf);
      this.counters.noiseBytes += start;
      buf = buf.subarray(start);
      if (buf.length === 0) break;
      const attempt = attemptAt(buf);
      if (attempt.kind === 'more') break;
      if (attempt.kind === 'bad') {
        this.counters.badFrames++;
        buf = buf.subarray(attempt.skip);
        continue;
      }
      this.counters.frames++;
      out.push(attempt.frame);
      buf = buf.subarray(attempt.length);
    }
    // Copy, so that the caller's (possibly large) chunk is not kept alive by a slice.
    this.pending = Buffer.from(buf);
    return out;
  }

  /**
   * The gap rule (protocol §2.3): when the line has been silent for a while, the bytes
   * held back can no longer become the frame they started; a damaged header (or noise
   * that looks like one) would otherwise hold later frames until enough bytes came.
   * Each held start is dropped in turn; frames complete within what is left come out.
   */
  flushStale(): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    while (this.pending.length > 0) {
      this.counters.badFrames++;
      const rest = this.pending.subarray(1);
      this.pending = Buffer.alloc(0);
      out.push(...this.push(rest));
    }
    return out;
  }

  stats(): DecoderStats {
    return { ...this.counters };
  }

  /** Bytes held back waiting for the rest of a frame (at most one frame's worth). */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}

/**
 * Offset of the first byte that may start a frame: `!`, `A5 5A`, or an `A5` at the very
 * end (its `5A` may come in the next chunk). buf.length when there is none.
 */
function findStart(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === CONTROL_START) return i;
    if (b === AUDIO_START_1 && (i + 1 === buf.length || buf[i + 1] === AUDIO_START_2)) return i;
  }
  return buf.length;
}

function attemptAt(buf: Buffer): Attempt {
  return buf[0] === CONTROL_START ? attemptControl(buf) : attemptAudio(buf);
}

function attemptControl(buf: Buffer): Attempt {
  const maxInner = MAX_TEXT_BYTES + CONTROL_TRAILER_BYTES;
  for (let j = 1; j < buf.length; j++) {
    const b = buf[j]!;
    if (b === CONTROL_END) return checkControl(buf, j);
    // A byte that cannot be in a control frame ends it here (truncated frame); it may be
    // the start of the next frame, so scanning resumes at it.
    if (!isTextByte(b)) return { kind: 'bad', skip: j };
    if (j > maxInner) return { kind: 'bad', skip: j };
  }
  return { kind: 'more' };
}

/** `buf[0]` is `!`, `buf[end]` the newline; nothing in between is `!` or unprintable. */
function checkControl(buf: Buffer, end: number): Attempt {
  const textEnd = end - CONTROL_TRAILER_BYTES;
  // Nothing between `!` and the newline can start a frame, so all of it goes on failure.
  const failed: Attempt = { kind: 'bad', skip: end + 1 };
  if (textEnd < 2 || buf[textEnd] !== CONTROL_CRC_MARK) return failed;
  const hex = buf.toString('latin1', textEnd + 1, end);
  if (!/^[0-9A-F]{4}$/.test(hex)) return failed;
  if (crc16(buf, 1, textEnd) !== parseInt(hex, 16)) return failed;
  return { kind: 'frame', frame: { type: 'control', text: buf.toString('latin1', 1, textEnd) }, length: end + 1 };
}

function attemptAudio(buf: Buffer): Attempt {
  if (buf.length < AUDIO_HEADER_BYTES) {
    // Check what is there already, so that noise fails now rather than later.
    return buf.length >= 3 && !(buf[2]! >= 1 && buf[2]! <= MAX_LINES) ? { kind: 'bad', skip: 1 } : { kind: 'more' };
  }
  const line = buf[2]!;
  const codecByte = buf[3]!;
  const length = buf.readUInt16BE(6);
  const codec: AudioCodec | undefined = codecByte === CODEC_BYTE.pcmu ? 'pcmu' : codecByte === CODEC_BYTE.pcma ? 'pcma' : undefined;
  if (line < 1 || line > MAX_LINES || codec === undefined || length < 1 || length > MAX_AUDIO_PAYLOAD) return { kind: 'bad', skip: 1 };
  const total = AUDIO_HEADER_BYTES + length + 2;
  if (buf.length < total) return { kind: 'more' };
  if (crc16(buf, 2, AUDIO_HEADER_BYTES + length) !== buf.readUInt16BE(AUDIO_HEADER_BYTES + length)) return { kind: 'bad', skip: 1 };
  const frame: DecodedFrame = {
    type: 'audio',
    line,
    codec,
    seq: buf.readUInt16BE(4),
    payload: Buffer.from(buf.subarray(AUDIO_HEADER_BYTES, AUDIO_HEADER_BYTES + length)),
  };
  return { kind: 'frame', frame, length: total };
}
