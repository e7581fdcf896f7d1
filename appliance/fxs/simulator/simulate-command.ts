/**
 * `edgesip-fxs simulate --lines N --link PATH [--script FILE]`: a line board in
 * software on a pseudo-terminal, for demos and tests without hardware. It prints the
 * link path to put in the agent's `serial.path`, then either runs a script or reads the
 * same commands from stdin, printing what happens on the lines as it happens.
 *
 * A script is checked as a whole before anything runs (every problem with its line
 * number); an `expect-…` that times out ends the run with exit code 1.
 *
 *   wait MS                  lift L · hangup L · flash L · dial L DIGITS [GAP_MS]
 *   tone L HZ · silence L    the phone's microphone: a sine at HZ, or nothing
 *   play L FILE              the microphone plays a WAV file (16-bit mono 8 kHz) once
 *   noise N                  N random bytes onto the link
 *   reopen [MS]              unplug: close the pty, wait MS (500), open it again on PATH
 *   expect-ring L MS · expect-tone L TONE MS · expect-cid L NUMBER MS · expect-heard L HZ MS
 *   # a comment (whole lines only: # is a digit) · quit (interactive)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { realClock } from '../../platform/real-clock';
import type { Clock } from '../../sip/clock';
import { detectTone } from '../media/goertzel';
import { sine } from '../media/tone';
import { TONES, type ToneName } from '../serial/messages';
import { BoardSimulator, type SimulatorLogEntry } from './board-simulator';
import { openPtyPair, type PtyPair } from './pty-pair';
import { playOnce, readWavPcm } from './wav-file';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = `usage: edgesip-fxs simulate --lines N --link PATH [--script FILE]
  --lines N      analog lines on the simulated board (1..64, default 2)
  --link PATH    symlink to create for the agent's serial.path (e.g. /tmp/ttyFXS0)
  --script FILE  run these commands, then exit (0: every expect met, 1: one failed);
                 without it, commands are read from stdin
commands: wait MS | lift L | hangup L | flash L | dial L DIGITS [GAP_MS] | tone L HZ | silence L
          play L FILE (WAV, 16-bit mono 8 kHz) | noise N | reopen [MS] | expect-ring L MS
          expect-tone L TONE MS | expect-cid L NUMBER MS | expect-heard L HZ MS | quit`;

export interface SimulateIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  /** Tests may bring their own; the real clock otherwise. */
  clock?: Clock;
}

export type Step =
  | { kind: 'wait'; ms: number }
  | { kind: 'lift' | 'hangup' | 'flash' | 'silence'; line: number }
  | { kind: 'dial'; line: number; digits: string; gapMs: number | undefined }
  | { kind: 'tone'; line: number; hz: number }
  | { kind: 'noise'; bytes: number }
  | { kind: 'reopen'; ms: number }
  | { kind: 'expect-ring'; line: number; ms: number }
  | { kind: 'expect-tone'; line: number; tone: ToneName; ms: number }
  | { kind: 'expect-cid'; line: number; number: string; ms: number }
  | { kind: 'expect-heard'; line: number; hz: number; ms: number }
  | { kind: 'play'; line: number; file: string }
  | { kind: 'quit' };

/** One script line → a step, undefined for a blank or comment line, or a problem. */
export function parseStep(text: string, lines: number): { step?: Step; problem?: string } {
  // Only whole lines are comments: `#` is also a DTMF digit (dial 1 *31#).
  if (/^\s*#/.test(text)) return {};
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return {};
  const [verb = '', ...args] = words;
  const int = (i: number, min: number, max: number, what: string): number => {
    const w = args[i];
    if (w === undefined || !/^\d+$/.test(w) || Number(w) < min || Number(w) > max) throw new Error(`${verb}: ${what} must be an integer in ${min}..${max}, got ${w ?? 'nothing'}`);
    return Number(w);
  };
  const arity = (n: number, optional = 0) => {
    if (args.length < n || args.length > n + optional) throw new Error(`${verb} takes ${optional ? `${n} or ${n + optional}` : n} argument${n + optional === 1 ? '' : 's'}`);
  };
  const line = () => int(0, 1, lines, 'the line');
  const ms = (i: number) => int(i, 0, 3_600_000, 'the time (ms)');
  try {
    switch (verb) {
      case 'wait':
        arity(1);
        return { step: { kind: 'wait', ms: ms(0) } };
      case 'lift':
      case 'hangup':
      case 'flash':
      case 'silence':
        arity(1);
        return { step: { kind: verb, line: line() } };
      case 'dial': {
        arity(2, 1);
        if (!/^[0-9*#A-D]+$/.test(args[1]!)) throw new Error(`dial: digits are 0-9 * # A-D, got ${args[1]}`);
        return { step: { kind: 'dial', line: line(), digits: args[1]!, gapMs: args[2] === undefined ? undefined : int(2, 40, 10_000, 'the gap (ms)') } };
      }
      case 'tone':
        arity(2);
        return { step: { kind: 'tone', line: line(), hz: int(1, 50, 3900, 'the frequency (Hz)') } };
      case 'play':
        arity(2);
        return { step: { kind: 'play', line: line(), file: args[1]! } };
      case 'noise':
        arity(1);
        return { step: { kind: 'noise', bytes: int(0, 1, 65536, 'the byte count') } };
      case 'reopen':
        arity(0, 1);
        return { step: { kind: 'reopen', ms: args[0] === undefined ? 500 : ms(0) } };
      case 'expect-ring':
        arity(2);
        return { step: { kind: 'expect-ring', line: line(), ms: ms(1) } };
      case 'expect-tone': {
        arity(3);
        const tone = args[1] as ToneName;
        if (!TONES.includes(tone)) throw new Error(`expect-tone: the tone is one of ${TONES.join(', ')}, got ${args[1]}`);
        return { step: { kind: 'expect-tone', line: line(), tone, ms: ms(2) } };
      }
      case 'expect-cid':
        arity(3);
        return { step: { kind: 'expect-cid', line: line(), number: args[1]!, ms: ms(2) } };
      case 'expect-heard':
        arity(3);
        return { step: { kind: 'expect-heard', line: line(), hz: int(1, 50, 3900, 'the frequency (Hz)'), ms: ms(2) } };
      case 'quit':
      case 'exit':
        arity(0);
        return { step: { kind: 'quit' } };
      default:
        return { problem: `unknown command: ${verb}` };
    }
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

export async function runSimulate(argv: string[], io: SimulateIo): Promise<number> {
  let values: { lines?: string; link?: string; script?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { lines: { type: 'string' }, link: { type: 'string' }, script: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`edgesip-fxs simulate: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  const lines = values.lines === undefined ? 2 : /^\d+$/.test(values.lines) ? Number(values.lines) : NaN;
  if (!(lines >= 1 && lines <= 64)) return usage(io, `--lines must be an integer in 1..64, got ${values.lines}`);
  if (!values.link) return usage(io, '--link PATH is required');

  let script: Step[] | undefined;
  if (values.script !== undefined) {
    let text: string;
    try {
      text = await readFile(values.script, 'utf8');
    } catch (err) {
      return usage(io, `cannot read the script: ${(err as Error).message}`);
    }
    const problems: string[] = [];
    script = [];
    text.split('\n').forEach((row, i) => {
      const { step, problem } = parseStep(row, lines);
      if (problem) problems.push(`${values.script}:${i + 1}: ${problem}`);
      else if (step) script!.push(step);
    });
    if (problems.length > 0) {
      io.stderr.write(`${problems.join('\n')}\n`);
      return EXIT_USAGE;
    }
  }

  const clock = io.clock ?? realClock();
  const session = new SimulationSession(lines, values.link, clock, io);
  try {
    await session.open();
  } catch (err) {
    io.stderr.write(`edgesip-fxs simulate: cannot open the pty at ${values.link}: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
  try {
    return script ? await session.runScript(script) : await session.runInteractive();
  } finally {
    session.close();
  }
}

function usage(io: SimulateIo, problem: string): number {
  io.stderr.write(`edgesip-fxs simulate: ${problem}\n${USAGE}\n`);
  return EXIT_USAGE;
}

/** The simulator, its pty and what the phones heard, for one run of the command. */
class SimulationSession {
  private readonly sim: BoardSimulator;
  private pty: PtyPair | undefined;
  private readonly started: number;
  /** The last 100 ms each earpiece heard, for expect-heard. */
  private readonly heard: Int16Array[];

  constructor(
    private readonly lines: number,
    private readonly linkPath: string,
    private readonly clock: Clock,
    private readonly io: SimulateIo,
  ) {
    this.started = clock.now();
    this.sim = new BoardSimulator({ lines, clock });
    this.heard = Array.from({ length: lines }, () => new Int16Array(0));
    for (let line = 1; line <= lines; line++) {
      this.sim.onHeard(line, (pcm) => {
        const joined = concat(this.heard[line - 1]!, pcm);
        this.heard[line - 1] = joined.subarray(Math.max(0, joined.length - 800));
      });
    }
    this.sim.onLog((e) => this.print(e));
  }

  async open(): Promise<void> {
    this.pty = await openPtyPair(this.linkPath);
    this.io.stdout.write(`board with ${this.lines} line${this.lines === 1 ? '' : 's'} on ${this.pty.path} -> ${this.pty.slavePath}\n`);
    this.io.stdout.write(`agent config: "serial": { "path": "${this.pty.path}" }\n`);
    this.sim.attach(this.pty.board);
  }

  close(): void {
    this.pty?.close();
    this.pty = undefined;
    for (let line = 1; line <= this.lines; line++) this.sim.stopSpeaking(line);
  }

  async runScript(steps: Step[]): Promise<number> {
    for (const step of steps) {
      const failure = await this.run(step);
      if (failure === 'quit') break;
      if (failure !== undefined) {
        this.io.stderr.write(`FAIL ${failure}\n`);
        return EXIT_FAILED;
      }
    }
    this.io.stdout.write('script done\n');
    return EXIT_OK;
  }

  /** Commands from stdin, one per line, until EOF or quit; a failure is reported and the session goes on. */
  async runInteractive(): Promise<number> {
    this.io.stdout.write('type commands (lift 1, dial 1 202#, hangup 1, …), quit to end\n');
    const rl = createInterface({ input: this.io.stdin, terminal: false });
    try {
      for await (const row of rl) {
        const { step, problem } = parseStep(row, this.lines);
        if (problem) {
          this.io.stderr.write(`${problem}\n`);
          continue;
        }
        if (!step) continue;
        const failure = await this.run(step);
        if (failure === 'quit') break;
        if (failure !== undefined) this.io.stderr.write(`FAIL ${failure}\n`);
      }
    } finally {
      rl.close();
    }
    return EXIT_OK;
  }

  /** Runs one step; returns why an expectation failed, 'quit', or undefined. */
  private async run(step: Step): Promise<string | undefined> {
    switch (step.kind) {
      case 'wait':
        await this.sleep(step.ms);
        return undefined;
      case 'lift':
        this.sim.liftHandset(step.line);
        return undefined;
      case 'hangup':
        this.sim.hangUp(step.line);
        return undefined;
      case 'flash':
        this.sim.flash(step.line);
        return undefined;
      case 'dial':
        try {
          await this.sim.dial(step.line, step.digits, step.gapMs);
        } catch (err) {
          return `dial ${step.line} ${step.digits}: ${(err as Error).message}`;
        }
        return undefined;
      case 'tone':
        this.sim.speak(step.line, sine(step.hz));
        return undefined;
      case 'silence':
        this.sim.stopSpeaking(step.line);
        return undefined;
      case 'play':
        try {
          this.sim.speak(step.line, playOnce(readWavPcm(readFileSync(step.file))));
        } catch (err) {
          return `play ${step.line} ${step.file}: ${(err as Error).message}`;
        }
        return undefined;
      case 'noise':
        this.sim.injectNoise(randomBytes(step.bytes));
        return undefined;
      case 'reopen':
        this.pty?.close();
        this.pty = undefined;
        await this.sleep(step.ms);
        await this.open();
        return undefined;
      case 'expect-ring':
        return (await this.waitFor(step.ms, () => this.sim.isRinging(step.line))) ? undefined : `line ${step.line} did not ring within ${step.ms} ms`;
      case 'expect-tone':
        return (await this.waitFor(step.ms, () => this.sim.tone(step.line).tone === step.tone))
          ? undefined
          : `line ${step.line}: no ${step.tone} tone within ${step.ms} ms (tone is ${this.sim.tone(step.line).tone})`;
      case 'expect-cid':
        return (await this.waitFor(step.ms, () => this.sim.callerId(step.line)?.number === step.number))
          ? undefined
          : `line ${step.line}: caller ID ${step.number} not received within ${step.ms} ms (last: ${this.sim.callerId(step.line)?.number ?? 'none'})`;
      case 'expect-heard': {
        // Only what arrives from now on counts.
        this.heard[step.line - 1] = new Int16Array(0);
        const heardIt = () => {
          const pcm = this.heard[step.line - 1]!;
          return pcm.length >= 800 && detectTone(pcm, step.hz);
        };
        return (await this.waitFor(step.ms, heardIt)) ? undefined : `line ${step.line} did not hear ${step.hz} Hz within ${step.ms} ms`;
      }
      case 'quit':
        return 'quit';
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  /** Checks `cond` every 20 ms until it holds (true) or `ms` have passed (false). */
  private async waitFor(ms: number, cond: () => boolean): Promise<boolean> {
    const deadline = this.clock.now() + ms;
    for (;;) {
      if (cond()) return true;
      if (this.clock.now() >= deadline) return false;
      await this.sleep(Math.min(20, deadline - this.clock.now()));
    }
  }

  private print(e: SimulatorLogEntry): void {
    const seconds = ((e.at - this.started) / 1000).toFixed(3).padStart(9);
    this.io.stdout.write(`${seconds}  ${e.line === 0 ? 'board ' : `line ${e.line}`}  ${e.what}\n`);
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
