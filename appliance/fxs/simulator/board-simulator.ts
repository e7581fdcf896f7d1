/**
 * The line board's side of the serial protocol, in software (docs/fxs-serial-protocol.md):
 * per-line hook state, ringing, caller ID, tones, polarity and the audio path, with
 * scriptable phones. Tests attach it to one end of an in-memory stream or of a pty;
 * `edgesip-fxs simulate` drives it from a script or a terminal.
 *
 * It behaves as the protocol asks of real firmware: it answers every agent HELLO
 * (a new session resets sequence numbers and every line's outputs; a repeated one is
 * only answered again), acknowledges commands once they are applied, refuses what it
 * cannot do with a NAK, sends its events reliably, and drops the session when an event
 * goes unanswered through every retransmission.
 *
 * What it does not model: ring and tone cadences (isRinging is true from RING to
 * RINGSTOP or ring trip; tone() is the last TONE), hook-flash timing (flash() is a
 * flash), the analog signals themselves.
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from '../media/g711';
import type { ByteStream } from '../serial/board-link';
import { encodeAudioFrame, encodeControlFrame, type DecodedFrame } from '../serial/frame-codec';
import { FrameReader } from '../serial/frame-reader';
import { FxsLinkError } from '../serial/link-errors';
import {
  DIGITS,
  formatBoardHello,
  formatEvent,
  formatNak,
  formatSequenced,
  NO_SESSION,
  parseAgentHello,
  parseCommand,
  parseControlText,
  PROTOCOL_VERSION,
  type AgentRequest,
  type AudioCodec,
  type BoardEvent,
  type Digit,
  type RejectReason,
  type ToneName,
} from '../serial/messages';
import { ReliableChannel } from '../serial/reliable-channel';

/** Everything a board may announce; the simulator can do all of it. */
export const ALL_CAPS = ['cid-fsk', 'cid-dtmf', 'polarity', 'tones', 'pcmu', 'pcma'] as const;
/** One G.711 frame: 20 ms at 8 kHz. */
export const FRAME_SAMPLES = 160;
export const FRAME_MS = 20;
const DEFAULT_DIAL_GAP_MS = 150;
const MAX_LOG_ENTRIES = 10_000;

export interface SimulatorLogEntry {
  /** clock.now() when it happened. */
  at: number;
  /** 0 for the board as a whole (link, session, noise). */
  line: number;
  what: string;
}

export interface BoardSimulatorOptions {
  lines: number;
  clock: Clock;
  firmware?: string;
  caps?: string[];
  /** The version announced in HELLO (tests of a mismatch); default PROTOCOL_VERSION. */
  protocolVersion?: number;
  retransmitMs?: number;
  maxRetransmits?: number;
}

type Speaker = (n: number) => Int16Array | undefined;

interface LineState {
  offHook: boolean;
  ringing: boolean;
  callerId: { number: string; name: string; mode: 'fsk' | 'dtmf' } | undefined;
  tone: { tone: ToneName; country: string };
  polarityReversed: boolean;
  audio: { on: boolean; codec: AudioCodec };
  speaker: Speaker | undefined;
  speakTimer: TimerHandle | undefined;
  audioSeq: number;
  heard: Array<(pcm: Int16Array) => void>;
}

export class BoardSimulator {
  private readonly lineStates: LineState[];
  private readonly caps: string[];
  private readonly firmware: string;
  private readonly version: number;
  private stream: ByteStream | undefined;
  /** Bumped by attach(): callbacks of an earlier stream are ignored. */
  private generation = 0;
  private reader: FrameReader | undefined;
  private session = NO_SESSION;
  private readonly channel: ReliableChannel;
  private readonly log: SimulatorLogEntry[] = [];
  private readonly logListeners: Array<(entry: SimulatorLogEntry) => void> = [];

  constructor(private readonly opts: BoardSimulatorOptions) {
    if (!Number.isInteger(opts.lines) || opts.lines < 1 || opts.lines > 64) throw new RangeError(`lines must be 1..64: ${opts.lines}`);
    this.caps = opts.caps ?? [...ALL_CAPS];
    this.firmware = opts.firmware ?? 'edgesip-sim-1';
    this.version = opts.protocolVersion ?? PROTOCOL_VERSION;
    this.lineStates = Array.from({ length: opts.lines }, () => ({
      offHook: false,
      ringing: false,
      callerId: undefined,
      tone: { tone: 'off' as ToneName, country: '' },
      polarityReversed: false,
      audio: { on: false, codec: 'pcmu' as AudioCodec },
      speaker: undefined,
      speakTimer: undefined,
      audioSeq: 0,
      heard: [],
    }));
    this.channel = new ReliableChannel({
      clock: opts.clock,
      transmit: (text) => this.write(encodeControlFrame(text)),
      onGiveUp: (seq) => {
        // The agent is gone or deaf: forget the session, so that its next command gets
        // NAK no-session and it says HELLO again (which reports the hook states).
        this.record(0, `event ${seq} unanswered: session dropped`);
        this.endSession();
      },
      retransmitMs: opts.retransmitMs,
      maxRetransmits: opts.maxRetransmits,
    });
  }

  /** The board side of the link; a new stream replaces the old one (after a reopen). */
  attach(stream: ByteStream): void {
    const generation = ++this.generation;
    this.stream = stream;
    this.reader?.stop();
    const reader = new FrameReader(this.opts.clock, (frame) => this.receiveFrame(frame));
    this.reader = reader;
    this.endSession();
    stream.onData((data) => reader.push(data));
    stream.onClose(() => {
      if (generation !== this.generation) return;
      reader.stop();
      this.stream = undefined;
      this.endSession();
      this.record(0, 'link closed');
    });
    this.record(0, 'link attached');
  }

  /** A power cycle: every output off, no session, and an unsolicited HELLO (session 00000000). */
  restart(): void {
    this.endSession();
    for (let line = 1; line <= this.lineStates.length; line++) this.resetOutputs(line);
    this.record(0, 'restarted');
    this.sendHello(NO_SESSION);
  }

  // ---- the phones ----

  /** Off-hook; while ringing that is a ring trip: the board stops ringing by itself. */
  liftHandset(line: number): void {
    const s = this.line(line);
    if (s.offHook) return;
    s.offHook = true;
    if (s.ringing) {
      s.ringing = false;
      this.emit({ kind: 'ring-trip', line });
    } else {
      this.emit({ kind: 'off-hook', line });
    }
    this.updateSpeaking(line);
  }

  hangUp(line: number): void {
    const s = this.line(line);
    if (!s.offHook) return;
    s.offHook = false;
    this.emit({ kind: 'on-hook', line });
    this.updateSpeaking(line);
  }

  /** A hook flash (only an off-hook phone can flash). */
  flash(line: number): void {
    if (!this.line(line).offHook) {
      this.record(line, 'flash ignored: on-hook');
      return;
    }
    this.emit({ kind: 'flash', line });
  }

  /** DTMF digits from an off-hook phone: the first now, the others every gapMs on the clock. */
  dial(line: number, digits: string, gapMs = DEFAULT_DIAL_GAP_MS): Promise<void> {
    const s = this.line(line);
    const list = [...digits];
    const wrong = list.find((d) => !DIGITS.includes(d as Digit));
    if (wrong !== undefined) return Promise.reject(new RangeError(`not a DTMF digit: ${JSON.stringify(wrong)}`));
    if (!s.offHook) return Promise.reject(new Error(`line ${line} is on-hook: no dial`));
    return new Promise<void>((resolve) => {
      const next = (i: number): void => {
        if (i >= list.length) {
          resolve();
          return;
        }
        // A phone hung up in the middle stops dialling.
        if (s.offHook) this.emit({ kind: 'digit', line, digit: list[i] as Digit });
        if (i + 1 >= list.length) resolve();
        else this.opts.clock.setTimer(gapMs, () => next(i + 1));
      };
      next(0);
    });
  }

  // ---- what the phone sees and hears ----

  isRinging(line: number): boolean {
    return this.line(line).ringing;
  }

  callerId(line: number): { number: string; name: string; mode: 'fsk' | 'dtmf' } | undefined {
    const c = this.line(line).callerId;
    return c && { ...c };
  }

  tone(line: number): { tone: ToneName; country: string } {
    return { ...this.line(line).tone };
  }

  polarityReversed(line: number): boolean {
    return this.line(line).polarityReversed;
  }

  audio(line: number): { on: boolean; codec: AudioCodec } {
    return { ...this.line(line).audio };
  }

  isOffHook(line: number): boolean {
    return this.line(line).offHook;
  }

  /**
   * The phone's microphone: while the handset is off-hook and the agent has the audio
   * on, every 20 ms one 160-sample frame from `samples` goes to the agent (in the line's
   * codec). `samples` returning undefined ends it, as stopSpeaking does.
   */
  speak(line: number, samples: Speaker): void {
    this.line(line).speaker = samples;
    this.updateSpeaking(line);
  }

  stopSpeaking(line: number): void {
    this.line(line).speaker = undefined;
    this.updateSpeaking(line);
  }

  /** The earpiece: audio frames from the agent for this line, decoded, while its audio is on. */
  onHeard(line: number, cb: (pcm: Int16Array) => void): void {
    this.line(line).heard.push(cb);
  }

  /** Raw bytes into the link, as line noise would put them. */
  injectNoise(bytes: Buffer): void {
    this.record(0, `noise ${bytes.length} bytes`);
    this.write(bytes);
  }

  /** What happened so far, oldest first. */
  events(): SimulatorLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  /** Every new log entry as it happens (the simulate command prints them). */
  onLog(cb: (entry: SimulatorLogEntry) => void): void {
    this.logListeners.push(cb);
  }

  // ---- the link ----

  private receiveFrame(frame: DecodedFrame): void {
    if (frame.type === 'audio') {
      this.receiveAudio(frame.line, frame.codec, frame.payload);
      return;
    }
    const word = parseControlText(frame.text);
    if (word === undefined) return;
    switch (word.kind) {
      case 'ack':
        this.channel.handleAck(word.seq);
        return;
      case 'nak':
        this.channel.handleNak(word.seq, word.reason);
        return;
      case 'sequenced':
        if (word.seq === 0) this.receiveHello(word.body);
        else this.receiveCommand(word.seq, word.body);
        return;
    }
  }

  private receiveHello(body: string): void {
    const hello = parseAgentHello(body);
    if (!hello.ok) return;
    const { version, session } = hello.value;
    // A board that cannot speak the agent's version answers with its own and keeps no
    // session: the agent sees the mismatch.
    if (version !== this.version) {
      this.record(0, `HELLO version ${version} refused (board speaks ${this.version})`);
      this.sendHello(session);
      return;
    }
    if (session !== this.session) {
      this.endSession();
      this.session = session;
      for (let line = 1; line <= this.lineStates.length; line++) this.resetOutputs(line);
      this.record(0, `session ${session}`);
    }
    this.sendHello(session);
  }

  private sendHello(session: string): void {
    const hello = { version: this.version, lines: this.lineStates.length, caps: this.caps, firmware: this.firmware, offHook: this.lineStates.map((s) => s.offHook) };
    this.write(encodeControlFrame(formatSequenced(0, formatBoardHello(hello, session))));
  }

  private receiveCommand(seq: number, body: string): void {
    if (this.session === NO_SESSION) {
      this.write(encodeControlFrame(formatNak(seq, 'no-session')));
      return;
    }
    if (!this.channel.isNew(seq)) return;
    const parsed = parseCommand(body);
    const refusal = parsed.ok ? this.refusal(parsed.value) : parsed.reason;
    if (refusal !== undefined) {
      this.record(0, `refused "${body}": ${refusal}`);
      this.channel.reject(seq, refusal);
      return;
    }
    if (parsed.ok) this.apply(parsed.value);
    this.channel.accept(seq);
  }

  /** Why the board cannot do `req`, if it cannot. */
  private refusal(req: AgentRequest): RejectReason | undefined {
    if (req.kind === 'ping') return undefined;
    if (req.line > this.lineStates.length) return 'bad-line';
    const needs: string | undefined =
      req.kind === 'caller-id' ? `cid-${req.mode}` : req.kind === 'polarity' ? 'polarity' : req.kind === 'tone' && req.tone !== 'off' ? 'tones' : req.kind === 'audio' && req.on ? req.codec : undefined;
    return needs !== undefined && !this.caps.includes(needs) ? 'unsupported' : undefined;
  }

  private apply(req: AgentRequest): void {
    if (req.kind === 'ping') return;
    const s = this.line(req.line);
    switch (req.kind) {
      case 'ring':
        // An off-hook phone cannot ring: a real SLIC would trip at once.
        if (s.offHook) {
          this.record(req.line, 'ring ignored: off-hook');
          return;
        }
        s.ringing = true;
        this.record(req.line, `ring ${req.cadenceMs.join(',')}`);
        return;
      case 'ring-stop':
        s.ringing = false;
        this.record(req.line, 'ring stop');
        return;
      case 'polarity':
        s.polarityReversed = req.reversed;
        this.record(req.line, `polarity ${req.reversed ? 'reversed' : 'normal'}`);
        return;
      case 'caller-id':
        s.callerId = { number: req.number, name: req.name, mode: req.mode };
        this.record(req.line, `caller-id ${req.mode} ${req.number} ${JSON.stringify(req.name)}`);
        return;
      case 'tone':
        s.tone = { tone: req.tone, country: req.country };
        this.record(req.line, req.tone === 'off' ? 'tone off' : `tone ${req.tone} ${req.country}`);
        return;
      case 'audio':
        s.audio = { on: req.on, codec: req.codec };
        this.record(req.line, req.on ? `audio on ${req.codec}` : 'audio off');
        this.updateSpeaking(req.line);
        return;
    }
  }

  private receiveAudio(line: number, codec: AudioCodec, payload: Buffer): void {
    if (this.session === NO_SESSION || line > this.lineStates.length) return;
    const s = this.line(line);
    if (!s.audio.on) return;
    const pcm = codec === 'pcmu' ? decodeMuLaw(payload) : decodeALaw(payload);
    for (const cb of s.heard) cb(pcm);
  }

  /** Events go out sequenced when there is a session; without one the next HELLO carries the hook states. */
  private emit(event: BoardEvent): void {
    const body = formatEvent(event);
    this.record(event.line, event.kind === 'digit' ? `digit ${event.digit}` : event.kind);
    if (this.session === NO_SESSION || !this.stream) return;
    this.channel.send(body).catch((err: unknown) => {
      // NO_ANSWER drops the session (onGiveUp); a NAK means the agent refused it.
      if (err instanceof FxsLinkError && err.code === 'FXS_ERR_REJECTED') this.record(event.line, `agent refused "${body}": ${err.reason}`);
    });
  }

  private endSession(): void {
    this.channel.fail(new FxsLinkError('FXS_ERR_LINK_DOWN', 'session ended'));
    this.channel.resetSequences();
    this.session = NO_SESSION;
    for (let line = 1; line <= this.lineStates.length; line++) this.updateSpeaking(line);
  }

  /** A new session (or a restart) begins with every output of the line off. */
  private resetOutputs(line: number): void {
    const s = this.line(line);
    s.ringing = false;
    s.tone = { tone: 'off', country: '' };
    s.polarityReversed = false;
    s.audio = { on: false, codec: s.audio.codec };
    this.updateSpeaking(line);
  }

  /** Runs the line's 20 ms microphone timer exactly when frames should flow. */
  private updateSpeaking(line: number): void {
    const s = this.line(line);
    const should = s.speaker !== undefined && s.offHook && s.audio.on && this.session !== NO_SESSION && this.stream !== undefined;
    if (should && s.speakTimer === undefined) {
      s.speakTimer = this.opts.clock.setTimer(FRAME_MS, () => this.speakTick(line));
    } else if (!should && s.speakTimer !== undefined) {
      this.opts.clock.clearTimer(s.speakTimer);
      s.speakTimer = undefined;
    }
  }

  private speakTick(line: number): void {
    const s = this.line(line);
    s.speakTimer = undefined;
    const samples = s.speaker?.(FRAME_SAMPLES);
    if (samples === undefined) {
      s.speaker = undefined;
      return;
    }
    const payload = s.audio.codec === 'pcmu' ? encodeMuLaw(samples) : encodeALaw(samples);
    this.write(encodeAudioFrame({ line, codec: s.audio.codec, seq: s.audioSeq, payload }));
    s.audioSeq = (s.audioSeq + 1) & 0xffff;
    this.updateSpeaking(line);
  }

  private write(data: Buffer): void {
    this.stream?.write(data);
  }

  private line(line: number): LineState {
    const s = this.lineStates[line - 1];
    if (!Number.isInteger(line) || s === undefined) throw new RangeError(`no line ${line} (the board has ${this.lineStates.length})`);
    return s;
  }

  private record(line: number, what: string): void {
    const entry = { at: this.opts.clock.now(), line, what };
    this.log.push(entry);
    // A simulator left running for days keeps the recent past only.
    if (this.log.length > MAX_LOG_ENTRIES) this.log.splice(0, this.log.length - MAX_LOG_ENTRIES);
    for (const cb of this.logListeners) cb(entry);
  }
}
