/**
 * The FXS gateway agent: the board connection, one FxsLine per configured port, and
 * the status `edgesip fxs status` shows. Sockets, the serial port and the clock come
 * from the entry point (main/edgesip-fxs.ts).
 */
import type { Clock } from '../sip/clock';
import type { SipLogger } from '../sip/logger';
import type { FxsConfig } from './config';
import { FxsLine, type LineRtp } from './line/fxs-line';
import { TONE_PROFILES } from './media/tone';
import type { BoardConnection } from './serial/board-connection';
import type { GatewaySip } from './sip/gateway-sip';
import type { FxsStatus } from './status';

export interface FxsAgentOptions {
  config: FxsConfig;
  clock: Clock;
  logger: SipLogger;
  board: BoardConnection;
  sip: GatewaySip;
  /** The RTP socket of each enabled line, by line number. */
  rtp: Map<number, LineRtp>;
  version: string;
  /** "addr:port" we send SIP from, for the status. */
  local: () => string;
}

export class FxsAgent {
  private readonly lines = new Map<number, FxsLine>();
  private firmware: string | undefined;
  private boardLines: number | undefined;
  private reconnects = -1;

  constructor(private readonly o: FxsAgentOptions) {
    const { config } = o;
    const ring = [...TONE_PROFILES[config.country].ring];
    for (const l of config.lines) {
      if (!l.enabled) continue;
      const rtp = o.rtp.get(l.line);
      if (!rtp) throw new Error(`no RTP socket for line ${l.line}`);
      this.lines.set(
        l.line,
        new FxsLine(
          {
            line: l.line,
            username: l.username,
            authUsername: l.authUsername,
            password: l.password,
            displayName: l.displayName,
            country: config.country,
            callerIdMode: config.callerIdMode,
            codecs: [...config.codecs],
            registerExpires: config.registerExpires,
            authFailureLimit: config.authFailureLimit,
            dialing: { ...config.dialing, immediate: [...config.dialing.immediate] },
            ringCadenceMs: ring,
          },
          o.board,
          o.sip,
          rtp,
          o.clock,
          o.logger,
        ),
      );
    }
  }

  start(): void {
    const { board, logger } = this.o;
    board.onUp((hello) => {
      this.reconnects++;
      this.firmware = hello.firmware;
      this.boardLines = hello.lines;
      logger.info({ firmware: hello.firmware, lines: hello.lines, caps: hello.caps }, 'fxs board connected');
      for (const [n, line] of this.lines) {
        if (n > hello.lines) logger.warn({ line: n, boardLines: hello.lines }, 'fxs line configured beyond the board');
        line.boardUp(hello.offHook[n - 1] ?? false);
      }
    });
    board.onDown((reason) => {
      logger.warn({ reason }, 'fxs board connection lost; reconnecting');
      for (const line of this.lines.values()) line.boardDown();
    });
    board.onEvent((e) => this.lines.get(e.line)?.event(e));
    board.onAudio((n, codec, payload) => this.lines.get(n)?.audio(codec, payload));
    board.start();
    // Lines register at once, independently of the board: a caller hears "busy" or
    // "unavailable" from the server rather than nothing while the board reconnects.
    for (const line of this.lines.values()) line.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.lines.values()].map((l) => l.stop()));
    this.o.board.close();
  }

  status(): FxsStatus {
    const { config, board } = this.o;
    const stats = board.stats();
    const lines = config.lines.map((l) => {
      const live = this.lines.get(l.line);
      return live ? live.status() : { line: l.line, username: l.username, registration: 'disabled' as const, hook: 'unknown' as const, call: 'idle' as const };
    });
    const out: FxsStatus = {
      version: this.o.version,
      board: { state: board.state, path: config.serial.path, badFrames: stats.badFrames, reconnects: Math.max(0, this.reconnects) },
      server: `${config.server.transport.toLowerCase()}:${config.server.host}:${config.server.port}`,
      local: this.o.local(),
      lines,
    };
    if (this.firmware !== undefined) out.board.firmware = this.firmware;
    if (this.boardLines !== undefined) out.board.lines = this.boardLines;
    return out;
  }
}
