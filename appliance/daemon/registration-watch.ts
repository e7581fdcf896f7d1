import type { Clock, TimerHandle } from '../sip/clock';

/**
 * Notices when every registered extension drops at once — phones all offline while the
 * network looks fine, classically because the ISP's DNS now answers differently for the
 * server's name — and says so once, so the daemon can run the DNS check by itself.
 *
 * It samples the number of registered extensions; a fall from at least `minBefore` to
 * zero within `windowMs` is a mass drop. After one it stays quiet for `quietMs`, and it
 * re-arms only once extensions are registered again.
 */
export class RegistrationWatch {
  private timer: TimerHandle | undefined;
  /** (time, count) samples within the window, oldest first. */
  private samples: Array<{ at: number; count: number }> = [];
  private lastAlarm = -Infinity;

  constructor(
    private readonly o: {
      clock: Clock;
      /** Extensions with at least one live binding. */
      registered: () => number;
      onMassDrop: (dropped: number) => void;
      intervalMs?: number;
      windowMs?: number;
      minBefore?: number;
      quietMs?: number;
    },
  ) {}

  start(): void {
    this.sample();
  }

  stop(): void {
    this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = this.o.clock.now();
    const count = this.o.registered();
    const windowMs = this.o.windowMs ?? 10 * 60_000;
    this.samples = this.samples.filter((s) => now - s.at <= windowMs);
    const peak = Math.max(0, ...this.samples.map((s) => s.count));
    if (count === 0 && peak >= (this.o.minBefore ?? 2) && now - this.lastAlarm >= (this.o.quietMs ?? 60 * 60_000)) {
      this.lastAlarm = now;
      this.samples = [];
      this.o.onMassDrop(peak);
    } else {
      this.samples.push({ at: now, count });
    }
    this.timer = this.o.clock.setTimer(this.o.intervalMs ?? 30_000, () => this.sample());
  }
}
