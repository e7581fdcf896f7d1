/**
 * Sequenced control frames in one link end, both ways (docs/fxs-serial-protocol.md §3):
 *
 * - sending: stop-and-wait. One frame is outstanding at a time; it is retransmitted
 *   every `retransmitMs` until its ACK or NAK arrives, at most `maxRetransmits` times,
 *   then the channel gives up. Later frames wait in a bounded queue, so frames arrive
 *   in order and a receiver only ever sees the outstanding frame again.
 * - receiving: because of stop-and-wait, a duplicate can only be the last frame
 *   received. Its sequence number and the answer given to it are kept; a frame with the
 *   same number is answered the same way again and not delivered twice.
 *
 * The agent's link and the board simulator both use it; HELLO (sequence 0) is handled
 * by each end itself, which then calls resetSequences().
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { FxsLinkError } from './link-errors';
import { formatAck, formatNak, formatSequenced, nextSeq } from './messages';

export const DEFAULT_RETRANSMIT_MS = 200;
export const DEFAULT_MAX_RETRANSMITS = 5;
export const DEFAULT_MAX_QUEUE = 64;

export interface ReliableChannelOptions {
  clock: Clock;
  /** Puts one control frame with this text on the wire. */
  transmit: (text: string) => void;
  /** The outstanding frame went unanswered through every retransmission (its promise is rejected already). */
  onGiveUp: (seq: number) => void;
  retransmitMs?: number;
  maxRetransmits?: number;
  maxQueue?: number;
}

interface Waiting {
  body: string;
  resolve: () => void;
  reject: (err: FxsLinkError) => void;
}

interface Outstanding extends Waiting {
  seq: number;
  text: string;
  retransmits: number;
  timer: TimerHandle;
}

export class ReliableChannel {
  private readonly retransmitMs: number;
  private readonly maxRetransmits: number;
  private readonly maxQueue: number;
  private queue: Waiting[] = [];
  private outstanding: Outstanding | undefined;
  private sendSeq = 1;
  /** Sequence number of the last frame received (0: none since the last reset) and the answer it got. */
  private lastReceived = 0;
  private lastAnswer = '';
  private retransmitCount = 0;
  private duplicateCount = 0;

  constructor(private readonly opts: ReliableChannelOptions) {
    this.retransmitMs = opts.retransmitMs ?? DEFAULT_RETRANSMIT_MS;
    this.maxRetransmits = opts.maxRetransmits ?? DEFAULT_MAX_RETRANSMITS;
    this.maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** Sends `body` (a verb and its arguments) as the next sequenced frame; resolves on its ACK. */
  send(body: string): Promise<void> {
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new FxsLinkError('FXS_ERR_QUEUE_FULL', `more than ${this.maxQueue} frames waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      this.pump();
    });
  }

  /** True while a frame waits for its answer or in the queue. */
  get busy(): boolean {
    return this.outstanding !== undefined || this.queue.length > 0;
  }

  handleAck(seq: number): void {
    const out = this.settle(seq);
    out?.resolve();
  }

  /** A NAK for the outstanding frame rejects it with FXS_ERR_REJECTED; others are stale and ignored. */
  handleNak(seq: number, reason: string): void {
    const out = this.settle(seq);
    out?.reject(new FxsLinkError('FXS_ERR_REJECTED', `the peer refused frame ${seq} (${out.body}): ${reason}`, reason));
  }

  /**
   * First step on receiving sequenced frame `seq`: false for a duplicate (which has
   * been answered again here and must not be delivered); true for a new frame, which
   * the caller judges and answers with accept() or reject().
   */
  isNew(seq: number): boolean {
    if (seq !== this.lastReceived) return true;
    this.duplicateCount++;
    this.opts.transmit(this.lastAnswer);
    return false;
  }

  accept(seq: number): void {
    this.answer(seq, formatAck(seq));
  }

  reject(seq: number, reason: string): void {
    this.answer(seq, formatNak(seq, reason));
  }

  /** After a HELLO exchange: numbering starts again at 1 both ways. Call fail() first if anything is pending. */
  resetSequences(): void {
    this.sendSeq = 1;
    this.lastReceived = 0;
    this.lastAnswer = '';
  }

  /** Rejects the outstanding and every queued frame with `err` and stops the timer. */
  fail(err: FxsLinkError): void {
    const out = this.outstanding;
    this.outstanding = undefined;
    if (out) this.opts.clock.clearTimer(out.timer);
    const queued = this.queue;
    this.queue = [];
    out?.reject(err);
    for (const w of queued) w.reject(err);
  }

  get retransmits(): number {
    return this.retransmitCount;
  }

  get duplicates(): number {
    return this.duplicateCount;
  }

  private answer(seq: number, text: string): void {
    this.lastReceived = seq;
    this.lastAnswer = text;
    this.opts.transmit(text);
  }

  /** Ends the outstanding frame if `seq` is its number; the next queued frame goes out. */
  private settle(seq: number): Outstanding | undefined {
    const out = this.outstanding;
    if (!out || out.seq !== seq) return undefined;
    this.opts.clock.clearTimer(out.timer);
    this.outstanding = undefined;
    this.pump();
    return out;
  }

  private pump(): void {
    if (this.outstanding) return;
    const next = this.queue.shift();
    if (!next) return;
    const seq = this.sendSeq;
    this.sendSeq = nextSeq(seq);
    const text = formatSequenced(seq, next.body);
    this.outstanding = { ...next, seq, text, retransmits: 0, timer: this.arm() };
    this.opts.transmit(text);
  }

  private arm(): TimerHandle {
    return this.opts.clock.setTimer(this.retransmitMs, () => this.onTimeout());
  }

  private onTimeout(): void {
    const out = this.outstanding;
    if (!out) return;
    if (out.retransmits < this.maxRetransmits) {
      out.retransmits++;
      this.retransmitCount++;
      out.timer = this.arm();
      this.opts.transmit(out.text);
      return;
    }
    this.outstanding = undefined;
    out.reject(new FxsLinkError('FXS_ERR_NO_ANSWER', `frame ${out.seq} (${out.body}) unanswered after ${this.maxRetransmits} retransmissions`));
    this.opts.onGiveUp(out.seq);
  }
}
