/**
 * Collects the digits dialled on an off-hook line and decides when the number is
 * complete:
 *
 *  - the send key (# or *, if configured) completes it at once and is not part of the
 *    number; pressed before any digit it is ignored (nothing was dialled). A send key
 *    that continues an immediate pattern ('*XX#' with '#' as send key) is a digit;
 *  - a number that fully matches an immediate pattern and cannot grow into a longer
 *    match of any pattern completes at once (with 1XX and 1XXX, 123 still waits);
 *  - otherwise silence for the inter-digit time completes what was dialled;
 *  - no digit within the first-digit time abandons the call.
 *
 * Patterns use the daemon's dial-plan syntax (pbx/routing/dial-plan.ts). That module
 * answers "does this whole number match"; "can this number still grow into a match"
 * is answered here by matching against the pattern cut to the number's length, each cut
 * compiled by the same compilePattern, so both questions share one syntax.
 *
 * Time comes from the injected Clock; one timer runs at a time.
 */
import { compilePattern } from '../../pbx/routing/dial-plan';
import type { Clock, TimerHandle } from '../../sip/clock';

export type DialCompletion = 'send-key' | 'pattern' | 'timeout';

export interface DigitCollectorOptions {
  clock: Clock;
  /** Off hook this long without a digit: onAbandon. */
  firstDigitMs: number;
  /** Silence after a digit this long: onDial(number, 'timeout'). */
  interDigitMs: number;
  /** '#', '*' or '' (none). */
  sendKey: string;
  /** Dial-plan patterns that complete a number at once (validated by the config). */
  immediate: readonly string[];
  onDial(number: string, how: DialCompletion): void;
  onAbandon(): void;
}

/** Longest number collected; further digits are ignored (DTMF from a stuck key, a toddler). */
export const MAX_DIALLED_DIGITS = 32;

/** DTMF keys of an analog phone; A-D (rare on phones) are not dialled. */
const DIAL_KEY = /^[0-9*#]$/;

/** One immediate pattern, asked two questions about a number. */
interface ImmediatePattern {
  /** The whole number matches the pattern. */
  matches(number: string): boolean;
  /** Some longer number starting with this one matches the pattern. */
  canGrow(number: string): boolean;
}

/**
 * The pattern's elements: '[...]' sets are one element, every other character is one.
 * Only called on patterns compilePattern accepted.
 */
function elementsOf(pattern: string): string[] {
  const elements: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '[') {
      const end = pattern.indexOf(']', i);
      elements.push(pattern.slice(i, end + 1));
      i = end;
    } else elements.push(pattern[i] as string);
  }
  return elements;
}

/** Compiles `pattern`; throws RangeError for a pattern the config should have refused. */
export function compileImmediatePattern(pattern: string): ImmediatePattern {
  const whole = compilePattern(pattern);
  if (!whole.ok) throw new RangeError(`immediate pattern "${pattern}" ${whole.reason}`);
  const elements = elementsOf(pattern);
  const open = elements.at(-1) === '.';
  // Elements before a final '.': each of them matches exactly one character.
  const fixed = open ? elements.length - 1 : elements.length;
  // cuts[n]: the first n elements, matching a number of exactly n characters.
  const cuts: RegExp[] = [];
  for (let n = 1; n <= fixed; n++) {
    const cut = compilePattern(elements.slice(0, n).join(''));
    if (!cut.ok) throw new RangeError(`immediate pattern "${pattern}": cannot cut after element ${n}: ${cut.reason}`);
    cuts[n] = cut.regex;
  }
  return {
    matches: (number) => whole.regex.test(number),
    canGrow: (number) => {
      const n = number.length;
      if (n === 0) return true;
      if (n < fixed) return (cuts[n] as RegExp).test(number);
      // A number as long as the fixed part grows by one digit into a match of an open pattern.
      if (n === fixed) return open && (cuts[n] as RegExp).test(number);
      // Longer: an open pattern's '.' takes any further digit.
      return open && whole.regex.test(number);
    },
  };
}

export class DigitCollector {
  private collected = '';
  private timer: TimerHandle | undefined;
  private finished = false;
  private readonly patterns: ImmediatePattern[];

  constructor(private readonly options: DigitCollectorOptions) {
    this.patterns = options.immediate.map(compileImmediatePattern);
    this.timer = options.clock.setTimer(options.firstDigitMs, () => this.abandon());
  }

  /** The digits dialled so far (without a send key that completed the number). */
  get digits(): string {
    return this.collected;
  }

  /** True once the number was completed, the call abandoned or the collector cancelled. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * One key pressed. Keys after completion, keys that are not 0-9 * #, and digits
   * beyond MAX_DIALLED_DIGITS are ignored.
   */
  digit(d: string): void {
    if (this.finished || !DIAL_KEY.test(d)) return;
    const next = this.collected + d;
    if (d === this.options.sendKey && this.options.sendKey !== '' && !this.patterns.some((p) => p.matches(next) || p.canGrow(next))) {
      // Alone it dials nothing: the first-digit timer keeps running.
      if (this.collected !== '') this.complete(this.collected, 'send-key');
      return;
    }
    if (this.collected.length >= MAX_DIALLED_DIGITS) return;
    this.collected = next;
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.patterns.some((p) => p.matches(next)) && !this.patterns.some((p) => p.canGrow(next))) {
      this.complete(next, 'pattern');
      return;
    }
    this.timer = this.options.clock.setTimer(this.options.interDigitMs, () => this.complete(this.collected, 'timeout'));
  }

  /** Stops collecting without a callback (the phone went on hook, a call came in). */
  cancel(): void {
    this.stop();
  }

  private complete(number: string, how: DialCompletion): void {
    this.stop();
    this.options.onDial(number, how);
  }

  private abandon(): void {
    this.stop();
    this.options.onAbandon();
  }

  private stop(): void {
    this.finished = true;
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
