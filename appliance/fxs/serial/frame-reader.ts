/**
 * Bytes in, frames out, for one end of the link: a FrameDecoder plus the gap rule
 * (docs/fxs-serial-protocol.md §2.3). Senders write each frame in one piece, so when
 * the decoder holds part of a frame and no byte has come for `gapMs`, that part is the
 * rest of a damaged frame (or noise that looked like a header) and is flushed, instead
 * of holding later frames back until 330 bytes have arrived.
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { FrameDecoder, type DecodedFrame, type DecoderStats } from './frame-codec';

/** Silence after which held bytes are stale: far above a USB adapter's latency, below the 200 ms retransmission. */
export const FRAME_GAP_MS = 100;

export class FrameReader {
  private readonly decoder = new FrameDecoder();
  private gapTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onFrame: (frame: DecodedFrame) => void,
    private readonly gapMs = FRAME_GAP_MS,
  ) {}

  push(data: Buffer): void {
    if (this.stopped) return;
    this.clock.clearTimer(this.gapTimer);
    this.gapTimer = undefined;
    this.deliver(this.decoder.push(data));
    if (!this.stopped && this.decoder.bufferedBytes > 0) {
      this.gapTimer = this.clock.setTimer(this.gapMs, () => {
        this.gapTimer = undefined;
        this.deliver(this.decoder.flushStale());
      });
    }
  }

  stats(): DecoderStats {
    return this.decoder.stats();
  }

  /** No more frames, no timer left behind. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.gapTimer);
    this.gapTimer = undefined;
  }

  private deliver(frames: DecodedFrame[]): void {
    for (const f of frames) {
      if (this.stopped) return;
      this.onFrame(f);
    }
  }
}
