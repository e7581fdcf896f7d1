/**
 * Keeps a BoardLink up: opens the stream (the serial port, given as `open`), runs a
 * link over it, and when the link goes down (adapter unplugged, board silent or
 * restarted, version mismatch) closes the stream and opens it again after
 * `reconnectMs`, forever, until close(). Every successful HELLO exchange is reported
 * with onUp and the board's hook states, since a board may have lost its outputs
 * and the phones may have changed state while the link was down.
 *
 *   connecting ──HELLO answered──► up ──link down──► down ──reconnectMs──► connecting
 *        └──── open failed / no HELLO / version ─────►┘
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { BoardLink, FxsLinkError, type ByteStream, type LinkStats } from './board-link';
import type { FxsLinkErrorCode } from './link-errors';
import type { AudioCodec, BoardCommand, BoardEvent, BoardHello } from './messages';

export type { ByteStream, LinkStats } from './board-link';

export const DEFAULT_RECONNECT_MS = 1000;

export interface BoardConnectionOptions {
  open: () => Promise<ByteStream>;
  clock: Clock;
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void };
  reconnectMs?: number;
  /** Passed to each BoardLink (tests shorten or switch off the keepalive). */
  keepaliveMs?: number;
  retransmitMs?: number;
  maxRetransmits?: number;
}

export type ConnectionState = 'connecting' | 'up' | 'down';

const ZERO_STATS: LinkStats = { framesIn: 0, framesOut: 0, badFrames: 0, retransmits: 0, audioIn: 0, audioOut: 0 };

export class BoardConnection {
  private connState: ConnectionState = 'down';
  private running = false;
  private link: BoardLink | undefined;
  private stream: ByteStream | undefined;
  private retryTimer: TimerHandle | undefined;
  /** Counts of the links that are gone, so that stats() covers the connection's whole life. */
  private pastStats: LinkStats = { ...ZERO_STATS };
  /** The last failure logged, so that a board unplugged for hours logs once, not every second. */
  private lastFailure = '';
  private readonly reconnectMs: number;
  private readonly upListeners: Array<(hello: BoardHello) => void> = [];
  private readonly downListeners: Array<(reason: string) => void> = [];
  private readonly eventListeners: Array<(e: BoardEvent) => void> = [];
  private readonly audioListeners: Array<(line: number, codec: AudioCodec, payload: Buffer) => void> = [];

  constructor(private readonly opts: BoardConnectionOptions) {
    this.reconnectMs = opts.reconnectMs ?? DEFAULT_RECONNECT_MS;
  }

  /** Opens, sends HELLO, and (re)connects until close(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  get state(): ConnectionState {
    return this.connState;
  }

  /** After every (re)connection's HELLO exchange. */
  onUp(cb: (hello: BoardHello) => void): void {
    this.upListeners.push(cb);
  }

  /**
   * When an up link goes down (stream closed, retransmissions exhausted, board reset,
   * close()). Failed attempts to connect are logged, not reported here: the link was
   * already down.
   */
  onDown(cb: (reason: string) => void): void {
    this.downListeners.push(cb);
  }

  onEvent(cb: (e: BoardEvent) => void): void {
    this.eventListeners.push(cb);
  }

  onAudio(cb: (line: number, codec: AudioCodec, payload: Buffer) => void): void {
    this.audioListeners.push(cb);
  }

  /** Resolves when acked; rejects with an FxsLinkError (FXS_ERR_LINK_DOWN while not up). */
  send(cmd: BoardCommand): Promise<void> {
    if (this.connState !== 'up' || !this.link) return Promise.reject(new FxsLinkError('FXS_ERR_LINK_DOWN', `board link is ${this.connState}`));
    return this.link.send(cmd);
  }

  /** Fire and forget; dropped while not up. */
  sendAudio(line: number, codec: AudioCodec, payload: Buffer): void {
    if (this.connState === 'up') this.link?.sendAudio(line, codec, payload);
  }

  stats(): LinkStats {
    const now = this.link?.stats() ?? ZERO_STATS;
    const sum = { ...this.pastStats };
    for (const k of Object.keys(sum) as Array<keyof LinkStats>) sum[k] += now[k];
    return sum;
  }

  close(): void {
    if (!this.running) return;
    this.running = false;
    this.opts.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    // The link reports 'closed' through onLinkDown, which closes the stream.
    if (this.link) this.link.close();
    else this.connState = 'down';
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.connState = 'connecting';
    this.opts.open().then(
      (stream) => this.opened(stream),
      (err: unknown) => this.failed(`cannot open the board's stream: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private opened(stream: ByteStream): void {
    if (!this.running) {
      // close() came while the port was opening.
      closeQuietly(stream);
      return;
    }
    this.stream = stream;
    const link = new BoardLink({
      stream,
      clock: this.opts.clock,
      keepaliveMs: this.opts.keepaliveMs,
      retransmitMs: this.opts.retransmitMs,
      maxRetransmits: this.opts.maxRetransmits,
    });
    this.link = link;
    link.onUp((hello) => {
      this.connState = 'up';
      this.lastFailure = '';
      this.opts.logger.info({ lines: hello.lines, caps: hello.caps, firmware: hello.firmware, offHook: hello.offHook }, 'FXS board link up');
      for (const cb of this.upListeners) cb(hello);
    });
    link.onDown((reason, code) => this.onLinkDown(link, reason, code));
    link.onEvent((e) => {
      for (const cb of this.eventListeners) cb(e);
    });
    link.onAudio((line, codec, payload) => {
      for (const cb of this.audioListeners) cb(line, codec, payload);
    });
    link.start();
  }

  private onLinkDown(link: BoardLink, reason: string, code: FxsLinkErrorCode): void {
    const wasUp = this.connState === 'up';
    const s = link.stats();
    for (const k of Object.keys(s) as Array<keyof LinkStats>) this.pastStats[k] += s[k];
    this.link = undefined;
    const stream = this.stream;
    this.stream = undefined;
    if (stream) closeQuietly(stream);
    if (wasUp) {
      this.connState = 'down';
      this.opts.logger.warn({ reason, code }, 'FXS board link down');
      for (const cb of this.downListeners) cb(reason);
      if (this.running) this.scheduleReconnect();
      return;
    }
    this.failed(reason, code);
  }

  /** A connection attempt failed: log it (once per distinct reason) and try again later. */
  private failed(reason: string, code?: FxsLinkErrorCode): void {
    this.connState = 'down';
    if (!this.running) return;
    if (reason !== this.lastFailure) {
      this.lastFailure = reason;
      this.opts.logger.warn({ reason, code, retryInMs: this.reconnectMs }, 'FXS board not reachable');
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = this.opts.clock.setTimer(this.reconnectMs, () => this.connect());
  }
}

function closeQuietly(stream: ByteStream): void {
  try {
    stream.close();
  } catch {
    // Already closed (the adapter went away): nothing left to release.
  }
}
