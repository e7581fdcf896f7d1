/**
 * Debounced, atomic saving of one file. The first `schedule` starts a timer of
 * `debounceMs` on the injected clock; calls until it fires join that save, which renders
 * the text only when it writes, so a burst of changes costs one write and the file is at
 * most `debounceMs` behind. Writes go through writeFileAtomic (crash-safe).
 *
 * A background (timer) save has no caller to throw to: its failure is kept in
 * `lastError` and given to `onError`. flush() rejects with its own failure instead.
 */
import type { Clock, TimerHandle } from '../sip/clock';
import { writeFileAtomic } from './atomic-write';

export class DebouncedFileWriter {
  private timer: TimerHandle | undefined;
  private render: (() => string) | undefined;
  /** The latest write started, its failure already reported to whoever started it. */
  private writing: Promise<void> = Promise.resolve();
  /** The error of the last background save, cleared by the next successful write. */
  lastError: unknown;

  constructor(
    readonly file: string,
    private readonly clock: Clock,
    private readonly debounceMs = 1000,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** Write `render()` after the debounce delay; calls in between share one write (the latest render wins). */
  schedule(render: () => string): void {
    this.render = render;
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimer(this.debounceMs, () => {
      this.timer = undefined;
      this.save().catch((err: unknown) => {
        this.lastError = err;
        this.onError?.(err);
      });
    });
  }

  /** Write a pending save now and wait for every write started so far. Rejects if that write fails. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
      await this.save();
      return;
    }
    await this.writing;
  }

  private save(): Promise<void> {
    const render = this.render;
    this.render = undefined;
    if (render === undefined) return this.writing;
    let text: string;
    try {
      text = render();
    } catch (err) {
      return Promise.reject(err);
    }
    const write = writeFileAtomic(this.file, text).then(() => {
      this.lastError = undefined;
    });
    this.writing = write.catch(() => undefined);
    return write;
  }
}
