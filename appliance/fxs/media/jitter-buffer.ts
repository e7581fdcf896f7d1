/**
 * Receive-side jitter buffer for one G.711 stream on a LAN: RTP payloads in, in any
 * order, one 20 ms frame (160 bytes) out every 20 ms on the injected clock.
 *
 * Where a payload plays is decided by its RTP timestamp, not its sequence number:
 * the far end may pause its audio (silence suppression, or while it sends RFC 4733
 * events, which take sequence numbers from the same space) and the timestamps keep
 * the pause's length, so audio after it plays at the right time. Sequence numbers
 * find duplicates and jumps. Payloads of any length are cut into 20 ms frames by
 * timestamp, so a peer sending 10 or 30 ms packets still plays correctly.
 *
 * Delay: a frame that arrives now is played `targetDelayMs` later (default 40 ms).
 * Each late packet adds one frame of delay, up to `maxDelayMs` (default 120 ms); a
 * packet beyond that horizon while frames are queued means the far end's clock runs
 * fast or it sent a burst, and the oldest frames are dropped (`overflow`) to come back
 * to the current delay. A packet beyond the horizon with nothing queued starts a new
 * talkspurt at the current delay.
 *
 * A missing frame is concealed: the last frame repeated, quieter each time, then
 * silence. After `idleStopMs` with nothing to play, the buffer stops emitting until
 * the next packet (the consumer plays silence meanwhile: on hold, nothing is sent).
 *
 * A new SSRC, a sequence jump of more than 100 or a timestamp more than a second in
 * the past is a new stream: the buffer is emptied and starts over.
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { ALAW_SILENCE, MULAW_SILENCE, decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from './g711';

export type G711Codec = 'PCMU' | 'PCMA';

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160; // 20 ms at 8 kHz, one byte per sample in G.711
const SAMPLES_PER_MS = FRAME_SAMPLES / FRAME_MS;

/** Sequence jumps larger than this (2 s of 20 ms packets) mean a new stream. */
const MAX_SEQUENCE_JUMP = 100;
/** Timestamps further than this in the past mean the sender restarted its clock. */
const MAX_LATE_SAMPLES = 8000;
/** How many recent sequence numbers are remembered to spot duplicates. */
const SEEN_WINDOW = 512;

export interface JitterPacket {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Buffer;
}

/** Makes the frame to play when none arrived: `run` counts consecutive missing frames from 1. */
export type Concealer = (last: Buffer | undefined, run: number) => Buffer;

export interface JitterBufferOptions {
  readonly clock: Clock;
  readonly codec: G711Codec;
  readonly onFrame: (frame: Buffer) => void;
  readonly targetDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly idleStopMs?: number;
  readonly conceal?: Concealer;
}

export interface JitterStats {
  /** Packets taken into the buffer. */
  received: number;
  /** Frames played from received audio. */
  played: number;
  /** Packets dropped because their time had already been played. */
  late: number;
  /** Frames concealed for a hole: later audio was queued, this frame never came (lost or late). */
  lost: number;
  /** Packets whose sequence number was already received. */
  duplicates: number;
  /** Every concealment frame played (holes, stretches when the delay grew, running dry). */
  concealed: number;
  /** Queued frames dropped because the queue outgrew the maximum delay. */
  overflow: number;
  /** Times the stream started over (new SSRC, sequence or timestamp jump). */
  resets: number;
  /** Current playout delay, ms. */
  delayMs: number;
}

interface Slot {
  readonly data: Buffer;
}

function roundToFrames(ms: number): number {
  return Math.max(1, Math.round(ms / FRAME_MS)) * FRAME_MS;
}

/** Difference a - b of two 16-bit sequence numbers, in -32768..32767. */
function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** Difference a - b of two 32-bit timestamps, signed. */
function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * The usual G.711 concealment: repeat the last good frame at falling gain (80 %, 50 %,
 * 25 %) so a single loss is hardly heard, then silence so a longer gap does not buzz.
 */
export function g711Concealment(codec: G711Codec): Concealer {
  const decode = codec === 'PCMU' ? decodeMuLaw : decodeALaw;
  const encode = codec === 'PCMU' ? encodeMuLaw : encodeALaw;
  const silence = Buffer.alloc(FRAME_SAMPLES, codec === 'PCMU' ? MULAW_SILENCE : ALAW_SILENCE);
  const gains = [0.8, 0.5, 0.25];
  return (last, run) => {
    const gain = gains[run - 1];
    if (last === undefined || gain === undefined) return Buffer.from(silence);
    const pcm = decode(last);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(pcm[i]! * gain);
    return encode(pcm);
  };
}

export class JitterBuffer {
  private readonly clock: Clock;
  private readonly onFrame: (frame: Buffer) => void;
  private readonly conceal: Concealer;
  private readonly silenceByte: number;
  private readonly targetDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly idleStopMs: number;

  private delayMs: number;
  private timer: TimerHandle | undefined;
  private nextTickAt = 0;
  private closed = false;

  // The stream. Sample positions are relative to `anchor` (an extended timestamp), so
  // they stay small; frame k covers samples [k·160, k·160 + 160).
  private ssrc: number | undefined;
  private highestSeq = 0; // as received (16 bits)
  private highestExtSeq = 0;
  private highestTs = 0; // as received (32 bits)
  private highestExtTs = 0;
  private anchor = 0;
  private playIndex = 0; // frame to play at the next tick
  private readonly slots = new Map<number, Slot>();
  private readonly seen = new Set<number>();

  private stretch = 0; // frames of delay still to add
  private lastFrame: Buffer | undefined;
  private concealRun = 0;
  private idleMs = 0;

  private readonly counters: Omit<JitterStats, 'delayMs'> = {
    received: 0,
    played: 0,
    late: 0,
    lost: 0,
    duplicates: 0,
    concealed: 0,
    overflow: 0,
    resets: 0,
  };

  constructor(options: JitterBufferOptions) {
    this.clock = options.clock;
    this.onFrame = options.onFrame;
    this.silenceByte = options.codec === 'PCMU' ? MULAW_SILENCE : ALAW_SILENCE;
    this.conceal = options.conceal ?? g711Concealment(options.codec);
    this.maxDelayMs = roundToFrames(options.maxDelayMs ?? 120);
    this.targetDelayMs = Math.min(roundToFrames(options.targetDelayMs ?? 40), this.maxDelayMs);
    this.idleStopMs = options.idleStopMs ?? 200;
    this.delayMs = this.targetDelayMs;
  }

  push(packet: JitterPacket): void {
    if (this.closed || packet.payload.length === 0) return;

    if (packet.ssrc !== this.ssrc) {
      if (this.ssrc !== undefined) this.counters.resets++;
      this.startStream(packet);
      return;
    }

    const dSeq = seqDiff(packet.sequenceNumber, this.highestSeq);
    if (Math.abs(dSeq) > MAX_SEQUENCE_JUMP) {
      this.counters.resets++;
      this.startStream(packet);
      return;
    }
    const extSeq = this.highestExtSeq + dSeq;
    if (this.seen.has(extSeq)) {
      this.counters.duplicates++;
      return;
    }
    const extTs = this.highestExtTs + tsDiff(packet.timestamp, this.highestTs);
    if (!this.running) {
      // Stopped after a silence: whatever comes first starts the playout again.
      this.rememberSequence(extSeq, packet, dSeq, extTs);
      this.rebase(extTs);
      this.store(0, packet.payload);
      this.counters.received++;
      return;
    }
    const start = extTs - this.anchor;
    const playPos = this.playIndex * FRAME_SAMPLES;

    if (start < playPos) {
      if (playPos - start > MAX_LATE_SAMPLES) {
        // A timestamp from long ago on a live stream: the sender restarted its clock.
        this.counters.resets++;
        this.startStream(packet);
        return;
      }
      // Its time has (at least partly) been played: too late. Grow the delay so the
      // next packet this late still makes it.
      this.counters.late++;
      this.rememberSequence(extSeq, packet, dSeq, extTs);
      if (this.delayMs < this.maxDelayMs) {
        this.delayMs += FRAME_MS;
        this.stretch++;
      }
      return;
    }

    // In steady state a packet arriving now ends at most `delayMs` + one frame ahead
    // of the next frame to play.
    const horizon = playPos + this.maxDelayMs * SAMPLES_PER_MS + FRAME_SAMPLES;
    const end = start + packet.payload.length;
    this.rememberSequence(extSeq, packet, dSeq, extTs);
    if (end > horizon) {
      if (this.slots.size === 0) {
        // Nothing queued: a new talkspurt (after silence suppression or a long event).
        this.rebase(extTs);
      } else {
        // Queued audio and still further ahead than the maximum delay: drop the oldest
        // frames so this packet plays after the current delay.
        const newPlayIndex = Math.floor((end - 1) / FRAME_SAMPLES) - this.delayMs / FRAME_MS;
        for (let k = this.playIndex; k < newPlayIndex && this.slots.size > 0; k++) {
          if (this.slots.delete(k)) this.counters.overflow++;
        }
        this.playIndex = newPlayIndex;
      }
    }
    this.store(extTs - this.anchor, packet.payload);
    this.counters.received++;
  }

  stats(): JitterStats {
    return { ...this.counters, delayMs: this.delayMs };
  }

  /** Stops the playout timer and drops what is queued; push() is ignored afterwards. */
  close(): void {
    this.closed = true;
    this.stop();
    this.slots.clear();
  }

  private get running(): boolean {
    return this.timer !== undefined;
  }

  /** A new stream: forget everything about the old one, then place this packet. */
  private startStream(packet: JitterPacket): void {
    this.ssrc = packet.ssrc;
    this.slots.clear();
    this.seen.clear();
    this.stretch = 0;
    this.delayMs = this.targetDelayMs;
    this.highestSeq = packet.sequenceNumber;
    this.highestExtSeq = packet.sequenceNumber;
    this.highestTs = packet.timestamp;
    this.highestExtTs = packet.timestamp;
    this.seen.add(packet.sequenceNumber);
    this.rebase(packet.timestamp);
    this.store(0, packet.payload);
    this.counters.received++;
  }

  /**
   * Makes the sample at extended timestamp `extTs` play `delayMs` from now: anchors
   * positions there and starts the playout timer if it is not running. When it is,
   * the frame waits the whole frames that bring it to at least the delay.
   */
  private rebase(extTs: number): void {
    this.slots.clear();
    this.anchor = extTs;
    this.stretch = 0;
    this.idleMs = 0;
    const now = this.clock.now();
    if (!this.running) {
      this.playIndex = 0;
      this.nextTickAt = now + this.delayMs;
      this.timer = this.clock.setTimer(this.delayMs, () => this.tick());
    } else {
      const untilTick = Math.min(Math.max(this.nextTickAt - now, 0), FRAME_MS);
      this.playIndex = -Math.max(0, Math.ceil((this.delayMs - untilTick) / FRAME_MS));
    }
  }

  private rememberSequence(extSeq: number, packet: JitterPacket, dSeq: number, extTs: number): void {
    this.seen.add(extSeq);
    if (dSeq > 0) {
      this.highestSeq = packet.sequenceNumber;
      this.highestExtSeq = extSeq;
      this.highestTs = packet.timestamp;
      this.highestExtTs = extTs;
    }
    if (this.seen.size > 2 * SEEN_WINDOW) {
      for (const s of this.seen) if (s < this.highestExtSeq - SEEN_WINDOW) this.seen.delete(s);
    }
  }

  /** Copies a payload starting at sample position `pos` into its frames. */
  private store(pos: number, payload: Buffer): void {
    let offset = 0;
    while (offset < payload.length) {
      const at = pos + offset;
      const index = Math.floor(at / FRAME_SAMPLES);
      const within = at - index * FRAME_SAMPLES;
      const take = Math.min(FRAME_SAMPLES - within, payload.length - offset);
      let slot = this.slots.get(index);
      if (slot === undefined) {
        slot = { data: Buffer.alloc(FRAME_SAMPLES, this.silenceByte) };
        this.slots.set(index, slot);
      }
      payload.copy(slot.data, within, offset, offset + take);
      offset += take;
    }
  }

  private tick(): void {
    // Ticks are scheduled on absolute times so they do not drift. After a stall (a
    // suspended process) or a jump of the clock (the wall clock set back or forth)
    // start again from now, rather than firing a burst or waiting for the lost time.
    const now = this.clock.now();
    const due = this.nextTickAt + FRAME_MS;
    this.nextTickAt = now - due > 10 * FRAME_MS || due - now > 2 * FRAME_MS ? now + FRAME_MS : due;
    this.timer = this.clock.setTimer(this.nextTickAt - now, () => this.tick());

    if (this.stretch > 0) {
      this.stretch--;
      this.playConcealment();
      return;
    }
    const slot = this.slots.get(this.playIndex);
    this.slots.delete(this.playIndex);
    this.playIndex++;
    if (slot !== undefined) {
      this.counters.played++;
      this.lastFrame = slot.data;
      this.concealRun = 0;
      this.idleMs = 0;
      this.onFrame(slot.data);
      return;
    }
    if (this.slots.size > 0) {
      this.counters.lost++;
      this.idleMs = 0;
    } else {
      this.idleMs += FRAME_MS;
    }
    this.playConcealment();
    if (this.slots.size === 0 && this.idleMs >= this.idleStopMs) {
      this.stop();
      this.lastFrame = undefined;
      this.concealRun = 0;
    }
  }

  private playConcealment(): void {
    this.counters.concealed++;
    this.concealRun++;
    this.onFrame(this.conceal(this.lastFrame, this.concealRun));
  }

  private stop(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
