import type { Clock, TimerHandle } from '../clock';

/**
 * The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4, kept by RFC 6026): the INVITE
 * server transaction never retransmits a 2xx, the core does — "starting at T1 and
 * doubling up to T2" on unreliable transports — until the ACK arrives. If no ACK comes
 * within 64*T1 the dialog is given up ("the UAS core SHOULD terminate the dialog with a
 * BYE"). On reliable transports nothing is resent but the 64*T1 wait still applies.
 */
export class SuccessRetransmitter {
  private interval: number;
  private retransmit: TimerHandle | undefined;
  private giveUp: TimerHandle | undefined;
  private done = false;

  constructor(
    private readonly clock: Clock,
    private readonly opts: {
      reliable: boolean;
      t1: number;
      t2: number;
      /** Sends the 2xx again; errors are the caller's to swallow. */
      resend: () => void;
      /** 64*T1 passed without an ACK. */
      onNoAck: () => void;
    },
  ) {
    this.interval = opts.t1;
    if (!opts.reliable) this.retransmit = clock.setTimer(this.interval, () => this.fire());
    this.giveUp = clock.setTimer(64 * opts.t1, () => {
      this.stop();
      opts.onNoAck();
    });
  }

  /** The ACK arrived (or the dialog ended another way): stop everything. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.clock.clearTimer(this.retransmit);
    this.clock.clearTimer(this.giveUp);
  }

  private fire(): void {
    if (this.done) return;
    this.opts.resend();
    this.interval = Math.min(this.interval * 2, this.opts.t2);
    this.retransmit = this.clock.setTimer(this.interval, () => this.fire());
  }
}
