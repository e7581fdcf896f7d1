/**
 * The agent's end of the board link over one open stream (docs/fxs-serial-protocol.md):
 * the HELLO exchange, sequenced commands with ACK/NAK and retransmission, the board's
 * events (acknowledged, duplicates suppressed), audio frames both ways, and a PING
 * keepalive so that a silent board is noticed. A link lives from start() to its first
 * "down"; BoardConnection makes a new one for every (re)connection.
 *
 *   hello ──board HELLO with our session──► up
 *     │                                      │ stream closed, no answer, board reset, close()
 *     └──── no answer, version mismatch ─────┴──► down (final)
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../sip/clock';
import { encodeAudioFrame, encodeControlFrame, type DecodedFrame } from './frame-codec';
import { FrameReader } from './frame-reader';
import { FxsLinkError, type FxsLinkErrorCode } from './link-errors';
import {
  formatAgentHello,
  formatCommand,
  formatSequenced,
  isSession,
  parseBoardHello,
  parseControlText,
  parseEvent,
  PROTOCOL_VERSION,
  type AudioCodec,
  type BoardCommand,
  type BoardEvent,
  type BoardHello,
} from './messages';
import { DEFAULT_MAX_RETRANSMITS, DEFAULT_RETRANSMIT_MS, ReliableChannel } from './reliable-channel';

export { FxsLinkError, type FxsLinkErrorCode } from './link-errors';

/** A byte stream to the board: a serial port, a pty, or an in-memory pipe in tests. */
export interface ByteStream {
  write(data: Buffer): void;
  onData(cb: (data: Buffer) => void): void;
  onClose(cb: (err?: Error) => void): void;
  close(): void;
}

export interface LinkStats {
  /** Good control frames received / sent (retransmissions included in framesOut). */
  framesIn: number;
  framesOut: number;
  /** Frames dropped: bad CRC, truncated, oversize, bad header, or text that is no link word. */
  badFrames: number;
  retransmits: number;
  audioIn: number;
  audioOut: number;
}

export type LinkState = 'hello' | 'up' | 'down';

export const DEFAULT_KEEPALIVE_MS = 5000;

export interface BoardLinkOptions {
  stream: ByteStream;
  clock: Clock;
  /** Session token for the HELLO (8 hex digits); random by default. Tests fix it. */
  session?: string;
  retransmitMs?: number;
  maxRetransmits?: number;
  /** PING after this long without sending anything while up (0: never). */
  keepaliveMs?: number;
}

export class BoardLink {
  private linkState: LinkState = 'hello';
  private started = false;
  private readonly session: string;
  private readonly reader: FrameReader;
  private readonly channel: ReliableChannel;
  private readonly retransmitMs: number;
  private readonly maxRetransmits: number;
  private readonly keepaliveMs: number;
  private helloTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  /** Line count from the board's HELLO: events and audio for other lines are refused. */
  private lines = 0;
  private readonly audioSeq = new Map<number, number>();
  private readonly counters = { framesIn: 0, framesOut: 0, badText: 0, helloRetransmits: 0, audioIn: 0, audioOut: 0 };
  private readonly upListeners: Array<(hello: BoardHello) => void> = [];
  private readonly downListeners: Array<(reason: string, code: FxsLinkErrorCode) => void> = [];
  private readonly eventListeners: Array<(e: BoardEvent) => void> = [];
  private readonly audioListeners: Array<(line: number, codec: AudioCodec, payload: Buffer) => void> = [];

  constructor(private readonly opts: BoardLinkOptions) {
    this.session = opts.session ?? randomSession();
    if (!isSession(this.session)) throw new RangeError(`bad session token: ${this.session}`);
    this.retransmitMs = opts.retransmitMs ?? DEFAULT_RETRANSMIT_MS;
    this.maxRetransmits = opts.maxRetransmits ?? DEFAULT_MAX_RETRANSMITS;
    this.keepaliveMs = opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.reader = new FrameReader(opts.clock, (frame) => this.receiveFrame(frame));
    this.channel = new ReliableChannel({
      clock: opts.clock,
      transmit: (text) => this.transmit(text),
      onGiveUp: (seq) => this.down(`no answer to frame ${seq} after ${this.maxRetransmits} retransmissions`, 'FXS_ERR_NO_ANSWER'),
      retransmitMs: this.retransmitMs,
      maxRetransmits: this.maxRetransmits,
    });
  }

  /** Listens to the stream and sends the HELLO. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.opts.stream.onData((data) => this.reader.push(data));
    this.opts.stream.onClose((err) => this.down(`stream closed${err ? `: ${err.message}` : ''}`, 'FXS_ERR_STREAM_CLOSED'));
    this.sendHello();
  }

  get state(): LinkState {
    return this.linkState;
  }

  onUp(cb: (hello: BoardHello) => void): void {
    this.upListeners.push(cb);
  }

  /** Once per link, with the reason for logs and its stable code. */
  onDown(cb: (reason: string, code: FxsLinkErrorCode) => void): void {
    this.downListeners.push(cb);
  }

  onEvent(cb: (e: BoardEvent) => void): void {
    this.eventListeners.push(cb);
  }

  onAudio(cb: (line: number, codec: AudioCodec, payload: Buffer) => void): void {
    this.audioListeners.push(cb);
  }

  /** Resolves on the board's ACK; rejects with an FxsLinkError (see its codes). */
  send(cmd: BoardCommand): Promise<void> {
    if (this.linkState !== 'up') return Promise.reject(new FxsLinkError('FXS_ERR_LINK_DOWN', `link is ${this.linkState}`));
    const body = formatCommand(cmd);
    if (!body.ok) return Promise.reject(new FxsLinkError('FXS_ERR_BAD_COMMAND', body.detail, body.reason));
    return this.channel.send(body.value);
  }

  /** One audio frame, unacknowledged; dropped unless the link is up. Payload: 1..320 bytes. */
  sendAudio(line: number, codec: AudioCodec, payload: Buffer): void {
    if (this.linkState !== 'up') return;
    const seq = this.audioSeq.get(line) ?? 0;
    const frame = encodeAudioFrame({ line, codec, seq, payload });
    this.audioSeq.set(line, (seq + 1) & 0xffff);
    this.counters.audioOut++;
    this.opts.stream.write(frame);
  }

  stats(): LinkStats {
    return {
      framesIn: this.counters.framesIn,
      framesOut: this.counters.framesOut,
      badFrames: this.reader.stats().badFrames + this.counters.badText,
      retransmits: this.channel.retransmits + this.counters.helloRetransmits,
      audioIn: this.counters.audioIn,
      audioOut: this.counters.audioOut,
    };
  }

  /** Ends the link (pending sends reject with FXS_ERR_CLOSED). The stream belongs to the caller. */
  close(): void {
    this.down('closed', 'FXS_ERR_CLOSED');
  }

  // ---- HELLO ----

  private sendHello(): void {
    // Armed before the HELLO goes out: the answer may come back inside write().
    this.helloTimer = this.opts.clock.setTimer(this.retransmitMs, () => {
      if (this.linkState !== 'hello') return;
      if (this.counters.helloRetransmits >= this.maxRetransmits) {
        this.down(`no HELLO from the board after ${this.maxRetransmits} retransmissions`, 'FXS_ERR_NO_ANSWER');
        return;
      }
      this.counters.helloRetransmits++;
      this.sendHello();
    });
    this.transmit(formatSequenced(0, formatAgentHello(PROTOCOL_VERSION, this.session)));
  }

  private receiveHello(body: string): void {
    const parsed = parseBoardHello(body);
    if (!parsed.ok) {
      this.counters.badText++;
      return;
    }
    const { hello, session } = parsed.value;
    if (hello.version !== PROTOCOL_VERSION) {
      this.down(`the board speaks protocol version ${hello.version}, this agent ${PROTOCOL_VERSION}`, 'FXS_ERR_VERSION');
      return;
    }
    switch (this.linkState) {
      case 'hello':
        // Another session's HELLO (a board that just powered up) is not the answer to
        // ours: the board will answer our retransmission.
        if (session !== this.session) return;
        this.opts.clock.clearTimer(this.helloTimer);
        this.channel.resetSequences();
        this.lines = hello.lines;
        this.linkState = 'up';
        this.armKeepalive();
        for (const cb of this.upListeners) cb(hello);
        return;
      case 'up':
        // Our own session: the answer to a HELLO retransmission, already seen. Any other:
        // the board restarted and forgot everything we told it.
        if (session !== this.session) this.down('the board restarted', 'FXS_ERR_BOARD_RESET');
        return;
      case 'down':
        return;
    }
  }

  // ---- receiving ----

  private receiveFrame(frame: DecodedFrame): void {
    if (frame.type === 'audio') {
      if (this.linkState !== 'up' || frame.line > this.lines) return;
      this.counters.audioIn++;
      for (const cb of this.audioListeners) cb(frame.line, frame.codec, frame.payload);
      return;
    }
    this.counters.framesIn++;
    const word = parseControlText(frame.text);
    if (word === undefined) {
      this.counters.badText++;
      return;
    }
    switch (word.kind) {
      case 'ack':
        this.channel.handleAck(word.seq);
        return;
      case 'nak':
        if (word.reason === 'no-session') this.down('the board has no session (it restarted)', 'FXS_ERR_BOARD_RESET');
        else this.channel.handleNak(word.seq, word.reason);
        return;
      case 'sequenced':
        if (word.seq === 0) this.receiveHello(word.body);
        else this.receiveEvent(word.seq, word.body);
        return;
    }
  }

  private receiveEvent(seq: number, body: string): void {
    // Before our session is up the board's numbering is not ours yet: no answer, so the
    // board retransmits after the HELLO exchange (or gives up and reports in its HELLO).
    if (this.linkState !== 'up' || !this.channel.isNew(seq)) return;
    const event = parseEvent(body);
    if (!event.ok || event.value.line > this.lines) {
      this.channel.reject(seq, event.ok ? 'bad-line' : event.reason);
      return;
    }
    this.channel.accept(seq);
    for (const cb of this.eventListeners) cb(event.value);
  }

  // ---- sending ----

  private transmit(text: string): void {
    this.counters.framesOut++;
    this.opts.stream.write(encodeControlFrame(text));
    this.armKeepalive();
  }

  /** (Re)starts the keepalive countdown: a PING goes out after keepaliveMs of silence from us. */
  private armKeepalive(): void {
    if (this.linkState !== 'up' || this.keepaliveMs <= 0) return;
    this.opts.clock.clearTimer(this.keepaliveTimer);
    this.keepaliveTimer = this.opts.clock.setTimer(this.keepaliveMs, () => {
      if (this.linkState !== 'up') return;
      // A frame already waiting for its answer proves the link as well as a PING would.
      if (this.channel.busy) this.armKeepalive();
      else this.channel.send('PING').catch(() => undefined); // a failure takes the link down by itself
    });
  }

  private down(reason: string, code: FxsLinkErrorCode): void {
    if (this.linkState === 'down') return;
    this.linkState = 'down';
    this.opts.clock.clearTimer(this.helloTimer);
    this.opts.clock.clearTimer(this.keepaliveTimer);
    // A frame may have taken the link down (version, board reset): the rest is not ours.
    this.reader.stop();
    this.channel.fail(new FxsLinkError(code === 'FXS_ERR_CLOSED' ? code : 'FXS_ERR_LINK_DOWN', `link down: ${reason}`));
    for (const cb of this.downListeners) cb(reason, code);
  }
}

function randomSession(): string {
  for (;;) {
    const s = randomBytes(4).toString('hex').toUpperCase();
    if (isSession(s)) return s;
  }
}
