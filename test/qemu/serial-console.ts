import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';

/** Complete escape sequences: CSI (cursor moves, colours), OSC, charset selection, two-byte ESC x. */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\-_=>]/g;
/** Control characters other than newline and tab. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
const TAIL_CHARS = 3000;

interface Waiter {
  pattern: RegExp;
  resolve: (m: RegExpExecArray) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The directory of the image tests' artifacts (test-artifacts/qemu), created when missing. */
export function artifactsDir(): string {
  const dir = join(repoRoot(), 'test-artifacts', 'qemu');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The serial console of a VM, expect-style. Output is fed in as it arrives; escape
 * sequences are removed and line ends become \n; the text is appended to
 * test-artifacts/qemu/<name>-serial.log. `expect` waits for a pattern in the output after
 * the previous match (or after `skipToEnd`), so each match consumes what came before it.
 */
export class SerialConsole {
  readonly logFile: string;
  private text = '';
  private cursor = 0;
  private pending = '';
  private waiters: Waiter[] = [];
  private input: ((data: string) => void) | undefined;

  constructor(readonly name: string, dir = artifactsDir()) {
    this.logFile = join(dir, `${name}-serial.log`);
    this.note(`serial console of ${name}`);
  }

  /** Output from the VM (any chunking: an escape sequence cut in two is held back). */
  feed(raw: string): void {
    let data = this.pending + raw;
    this.pending = '';
    const esc = data.lastIndexOf('\x1b');
    if (esc >= 0 && data.length - esc < 64) {
      const rest = data.slice(esc);
      ESCAPES.lastIndex = 0;
      const m = ESCAPES.exec(rest);
      if (!m || m.index !== 0) {
        this.pending = rest;
        data = data.slice(0, esc);
      }
    }
    // A \r at the end may be the first half of \r\n: wait for the next chunk.
    if (data.endsWith('\r')) {
      this.pending = '\r' + this.pending;
      data = data.slice(0, -1);
    }
    // \r\n ends a line; a lone \r (a line redrawn in place, e.g. a countdown) too.
    const clean = data.replace(ESCAPES, '').replace(/\r+\n?/g, '\n').replace(CONTROLS, '');
    if (clean === '') return;
    this.text += clean;
    appendFileSync(this.logFile, clean);
    this.check();
  }

  /** A line of the test harness in the log file (not part of what `expect` sees). */
  note(line: string): void {
    appendFileSync(this.logFile, `\n##### ${new Date().toISOString()} [test harness] ${line}\n`);
  }

  /** Where typed input goes (the VM's pty); undefined while no VM runs. */
  attach(input: ((data: string) => void) | undefined): void {
    this.input = input;
  }

  /** Types `data` on the console. */
  send(data: string): void {
    if (!this.input) throw new Error(`serial console of ${this.name}: no VM is running`);
    this.input(data);
  }

  /** Forget what came so far: the next `expect` looks only at later output (e.g. at a new boot). */
  skipToEnd(): void {
    this.cursor = this.text.length;
  }

  /**
   * Resolves with the first match of `pattern` in the output after the cursor and moves
   * the cursor past it; rejects after `timeoutMs` with the tail of the transcript.
   */
  expect(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const nonGlobal = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const now = this.match(nonGlobal);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pattern: nonGlobal,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`serial console of ${this.name}: no ${pattern} within ${(timeoutMs / 1000).toFixed(0)} s; last output:\n${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Rejects every pending `expect` at once (the VM is gone: waiting longer cannot help). */
  abort(reason: string): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`serial console of ${this.name}: ${reason} while waiting for ${w.pattern}; last output:\n${this.tail()}`));
    }
  }

  /** The last `chars` characters of the transcript. */
  tail(chars = TAIL_CHARS): string {
    return this.text.slice(-chars);
  }

  /** The whole transcript (all boots of this VM). */
  transcript(): string {
    return this.text;
  }

  private match(pattern: RegExp): RegExpExecArray | undefined {
    const rest = this.text.slice(this.cursor);
    const m = pattern.exec(rest);
    if (!m) return undefined;
    this.cursor += m.index + m[0].length;
    return m;
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      const m = this.match(w.pattern);
      if (!m) continue;
      clearTimeout(w.timer);
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(m);
    }
  }
}
