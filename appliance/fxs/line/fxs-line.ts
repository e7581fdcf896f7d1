/**
 * One analog line of the gateway: the phone's hook and digits on one side, its SIP
 * account and calls on the other. One switch per input over the line's state:
 *
 *   idle ──off-hook──► dial-tone ──digit──► dialing ──number──► calling ──1xx──► ringback
 *     ▲                    │                   │ abandon             │ 2xx          │ 2xx
 *     │                    └──────────── congestion ◄── 4xx-6xx ─────┴──► connected ◄┘
 *     │   INVITE ──► ringing ──off-hook──► connected ──far BYE──► busy-tone
 *     └────────────── on-hook (from any state: CANCEL / BYE / silence as needed)
 *
 * An INVITE for a line that is not idle and on-hook gets 486 Busy Here.
 */
import type { Clock } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import type { SipRequest } from '../../sip/message/message';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server';
import type { ServerTransaction } from '../../sip/transaction/layer';
import { DigitCollector } from '../dialing/digit-collector';
import { RtpSession, type DatagramSocket } from '../media/rtp-session';
import type { AudioCodec, BoardCommand, BoardEvent } from '../serial/messages';
import { GatewayCall, type CallEvents, type MediaParams } from '../sip/gateway-call';
import type { GatewaySip, LineRequestHandler } from '../sip/gateway-sip';
import { LineRegistration } from '../sip/line-registration';
import type { FxsCallState, FxsLineStatus } from '../status';

export interface LineSettings {
  line: number;
  username: string;
  authUsername: string;
  password: string;
  displayName: string;
  country: string;
  callerIdMode: 'fsk' | 'dtmf';
  codecs: ('PCMU' | 'PCMA')[];
  registerExpires: number;
  authFailureLimit: number;
  dialing: { firstDigitSeconds: number; interDigitSeconds: number; sendKey: string; immediate: string[] };
  /** Ring cadence of the country (ms on/off). */
  ringCadenceMs: number[];
}

/** What the line needs of the board (BoardConnection fits). */
export interface LineBoard {
  send(cmd: BoardCommand): Promise<void>;
  sendAudio(line: number, codec: AudioCodec, payload: Buffer): void;
}

/** The line's RTP socket: bound once for the line's lifetime, lent to each call's session. */
export interface LineRtp {
  address: string;
  port: number;
  socket: DatagramSocket;
}

const DTMF_PAYLOAD_TYPE = 101;

export class FxsLine implements LineRequestHandler {
  private state: FxsCallState = 'idle';
  private hook: 'on-hook' | 'off-hook' | 'unknown' = 'unknown';
  private call: GatewayCall | undefined;
  private media: RtpSession | undefined;
  private codec: AudioCodec = 'pcmu';
  /** Our direction of the current media (RFC 3264 §6.1), from the latest offer/answer. */
  private direction: MediaParams['direction'] = 'sendrecv';
  private collector: DigitCollector | undefined;
  private lastError: string | undefined;
  readonly registration: LineRegistration;
  /** Where the current media session's packets go; replaced per call. */
  private rtpHandler: ((data: Buffer, from: { address: string; port: number }) => void) | undefined;

  constructor(
    private readonly s: LineSettings,
    private readonly board: LineBoard,
    private readonly sip: GatewaySip,
    private readonly rtp: LineRtp,
    private readonly clock: Clock,
    private readonly logger: SipLogger,
  ) {
    this.registration = new LineRegistration(
      { line: s.line, username: s.username, authUsername: s.authUsername, password: s.password, expires: s.registerExpires, authFailureLimit: s.authFailureLimit },
      sip,
      clock,
      logger,
    );
    rtp.socket.onMessage((data, from) => this.rtpHandler?.(data, from));
    sip.addLine(s.username, this);
  }

  start(): void {
    this.registration.start();
  }

  async stop(): Promise<void> {
    this.endCall('hangup');
    await this.registration.stop();
  }

  status(): FxsLineStatus {
    const reg = this.registration.view();
    const out: FxsLineStatus = { line: this.s.line, username: this.s.username, registration: reg.registration, hook: this.hook, call: this.state };
    if (this.call && !this.call.ended) out.peer = this.call.peer;
    const lastError = this.lastError ?? reg.lastError;
    if (lastError !== undefined) out.lastError = lastError;
    if (reg.retryInSeconds !== undefined) out.retryInSeconds = reg.retryInSeconds;
    if (reg.expiresInSeconds !== undefined) out.expiresInSeconds = reg.expiresInSeconds;
    return out;
  }

  // --- inputs from the board ---------------------------------------------------------

  /** The board (re)connected: its HELLO tells the hook state; nothing else survived. */
  boardUp(offHook: boolean): void {
    this.hook = offHook ? 'off-hook' : 'on-hook';
    if (!offHook) {
      this.endCall('hangup');
      this.enter('idle');
    } else if (this.state === 'idle') {
      this.offHook();
    } else {
      // A call survived the reconnection: restore what the board lost.
      this.restoreBoard();
    }
  }

  boardDown(): void {
    this.hook = 'unknown';
  }

  event(e: BoardEvent): void {
    switch (e.kind) {
      case 'off-hook':
      case 'ring-trip':
        this.hook = 'off-hook';
        this.offHook();
        return;
      case 'on-hook':
        this.hook = 'on-hook';
        this.onHook();
        return;
      case 'digit':
        this.digit(e.digit);
        return;
      case 'flash':
        // Hook flash: no supplementary services yet; a flash on a dead line is a fresh start.
        if (this.state === 'busy-tone' || this.state === 'congestion') {
          this.enter('dial-tone');
        }
        return;
    }
  }

  /** A G.711 frame from the phone's microphone. */
  audio(codec: AudioCodec, payload: Buffer): void {
    if (this.state !== 'connected' || codec !== this.codec) return;
    // On hold (the far end said sendonly or inactive, so ours is recvonly or inactive): keep quiet.
    if (this.direction === 'recvonly' || this.direction === 'inactive') return;
    this.media?.sendAudio(payload);
  }

  private offHook(): void {
    switch (this.state) {
      case 'idle':
        this.enter('dial-tone');
        return;
      case 'ringing': {
        const media = this.call?.answer();
        if (media === undefined) {
          this.enter('congestion');
          return;
        }
        // A delayed offer: the media start when the ACK brings the answer.
        if (media === 'pending') this.connected();
        else this.connect(media);
        return;
      }
      case 'dial-tone':
      case 'dialing':
      case 'calling':
      case 'ringback':
      case 'connected':
      case 'busy-tone':
      case 'congestion':
        return; // already off-hook
    }
  }

  private onHook(): void {
    switch (this.state) {
      case 'idle':
      case 'ringing':
        return;
      case 'dial-tone':
      case 'dialing':
      case 'busy-tone':
      case 'congestion':
        this.enter('idle');
        return;
      case 'calling':
      case 'ringback':
      case 'connected':
        this.endCall('hangup');
        this.enter('idle');
        return;
    }
  }

  private digit(d: string): void {
    switch (this.state) {
      case 'dial-tone':
        this.state = 'dialing';
        this.command({ kind: 'tone', line: this.s.line, tone: 'off', country: this.s.country });
        this.collector?.digit(d);
        return;
      case 'dialing':
        this.collector?.digit(d);
        return;
      case 'connected':
        // RFC 4733: DTMF in a call goes out as telephone events, not as audio.
        this.media?.sendDigit(d);
        return;
      case 'idle':
      case 'calling':
      case 'ringback':
      case 'ringing':
      case 'busy-tone':
      case 'congestion':
        return;
    }
  }

  // --- SIP (LineRequestHandler) ------------------------------------------------------

  onInvite(invite: SipRequest, tx: ServerTransaction): void {
    const call = GatewayCall.incoming(this.callContext(), invite, tx);
    if (this.state !== 'idle' || this.hook === 'off-hook') {
      call.reject(486);
      return;
    }
    if (this.hook === 'unknown') {
      // The board is away: the phone cannot ring.
      call.reject(480);
      return;
    }
    this.call = call;
    call.ringing();
    this.enter('ringing');
    const name = call.callerName();
    this.command({ kind: 'caller-id', line: this.s.line, mode: this.s.callerIdMode, number: call.peer, name });
    this.command({ kind: 'ring', line: this.s.line, cadenceMs: this.s.ringCadenceMs });
  }

  onInDialog(request: SipRequest, tx: ServerTransaction): boolean {
    return this.call?.inDialog(request, tx) ?? false;
  }

  onAck(ack: SipRequest): boolean {
    return this.call?.ack(ack) ?? false;
  }

  onCancel(invite: InviteServerTransaction): boolean {
    return this.call?.cancelledBy(invite) ?? false;
  }

  // --- the call ------------------------------------------------------------------------

  private dial(number: string): void {
    if (this.state !== 'dialing' && this.state !== 'dial-tone') return;
    this.logger.info({ line: this.s.line, number }, 'fxs line dials');
    this.state = 'calling';
    this.call = GatewayCall.dial(this.callContext(), number);
  }

  private callContext() {
    const events: CallEvents = {
      progress: (ringing, media) => {
        if (this.state !== 'calling' && this.state !== 'ringback') return;
        if (media) {
          // Early media (183 with SDP): the far end plays its own ringback or announcement.
          this.startMedia(media);
          this.state = 'ringback';
          return;
        }
        if (ringing && this.state === 'calling') this.enter('ringback');
      },
      answered: (media) => {
        if (this.state === 'calling' || this.state === 'ringback') this.connect(media);
        else if (this.state === 'connected' && this.media === undefined) this.startMedia(media);
        else if (this.state === 'connected') {
          // A re-INVITE: a new address, or hold (we keep receiving, stop sending).
          this.media?.setRemote({ address: media.address, port: media.port });
          this.direction = media.direction;
        }
      },
      failed: (status, reason) => {
        if (this.state !== 'calling' && this.state !== 'ringback') return;
        this.lastError = `call failed: ${status} ${reason}`;
        this.stopMedia();
        // §21.4.18 / §21.6: busy everywhere is a busy tone; anything else congestion.
        this.enter(status === 486 || status === 600 || status === 603 ? 'busy-tone' : 'congestion');
      },
      remoteEnded: (why) => {
        this.stopMedia();
        if (this.state === 'ringing') {
          this.command({ kind: 'ring-stop', line: this.s.line });
          this.enter('idle');
        } else if (this.state === 'connected') {
          // The far end hung up: busy tone until the phone goes on-hook.
          this.enter('busy-tone');
        }
        this.logger.info({ line: this.s.line, why }, 'fxs call ended by the far end');
      },
    };
    return {
      sip: this.sip,
      clock: this.clock,
      logger: this.logger,
      username: this.s.username,
      displayName: this.s.displayName,
      credentials: { username: this.s.authUsername === '' ? this.s.username : this.s.authUsername, password: this.s.password },
      media: { address: this.rtp.address, port: this.rtp.port, codecs: this.s.codecs, dtmfPayloadType: DTMF_PAYLOAD_TYPE },
      events,
    };
  }

  private connect(media: MediaParams): void {
    this.startMedia(media);
    this.connected();
  }

  private connected(): void {
    this.lastError = undefined;
    this.enter('connected');
    this.command({ kind: 'ring-stop', line: this.s.line });
    this.command({ kind: 'audio', line: this.s.line, on: true, codec: this.codec });
    // Line polarity reversal on answer: what payphones and call meters listen for.
    if (this.call?.direction === 'outgoing') this.command({ kind: 'polarity', line: this.s.line, reversed: true });
  }

  private startMedia(media: MediaParams): void {
    this.stopMedia();
    this.codec = media.codec.name === 'PCMA' ? 'pcma' : 'pcmu';
    this.direction = media.direction;
    const socket = this.rtp.socket;
    const session = new RtpSession({
      // The line's socket outlives the session: lend it without close().
      socket: { send: (data, port, address) => socket.send(data, port, address), onMessage: (cb) => (this.rtpHandler = cb), close: () => (this.rtpHandler = undefined) },
      clock: this.clock,
      remote: { address: media.address, port: media.port },
      codec: media.codec,
      ...(media.dtmfPayloadType !== undefined ? { dtmfPayloadType: media.dtmfPayloadType } : {}),
      onAudio: (frame) => this.board.sendAudio(this.s.line, this.codec, frame),
      onDigit: (digit) => this.logger.debug({ line: this.s.line, digit }, 'fxs telephone event received'),
    });
    this.media = session;
  }

  private stopMedia(): void {
    this.media?.close();
    this.media = undefined;
  }

  private endCall(why: 'hangup'): void {
    const call = this.call;
    this.call = undefined;
    this.stopMedia();
    if (call && !call.ended) {
      this.logger.info({ line: this.s.line, why, peer: call.peer }, 'fxs line hangs up');
      call.hangup();
    }
  }

  /** Entering a state sets what the phone hears. */
  private enter(next: FxsCallState): void {
    const previous = this.state;
    this.state = next;
    const line = this.s.line;
    const tone = (t: 'dial' | 'busy' | 'ringback' | 'congestion' | 'off') => this.command({ kind: 'tone', line, tone: t, country: this.s.country });
    if (next !== 'dialing' && next !== 'dial-tone') {
      this.collector?.cancel();
      this.collector = undefined;
    }
    switch (next) {
      case 'idle':
        if (previous === 'connected' || previous === 'busy-tone') this.command({ kind: 'audio', line, on: false, codec: this.codec });
        if (previous === 'connected') this.command({ kind: 'polarity', line, reversed: false });
        if (previous !== 'idle' && previous !== 'ringing') tone('off');
        return;
      case 'dial-tone':
        tone('dial');
        this.collector = new DigitCollector({
          clock: this.clock,
          firstDigitMs: this.s.dialing.firstDigitSeconds * 1000,
          interDigitMs: this.s.dialing.interDigitSeconds * 1000,
          sendKey: this.s.dialing.sendKey,
          immediate: this.s.dialing.immediate,
          onDial: (number) => this.dial(number),
          onAbandon: () => {
            if (this.state === 'dial-tone' || this.state === 'dialing') this.enter('congestion');
          },
        });
        return;
      case 'dialing':
        return;
      case 'calling':
        return;
      case 'ringback':
        tone('ringback');
        return;
      case 'ringing':
        return;
      case 'connected':
        tone('off');
        return;
      case 'busy-tone':
        if (previous === 'connected') this.command({ kind: 'audio', line, on: false, codec: this.codec });
        tone('busy');
        return;
      case 'congestion':
        tone('congestion');
        return;
    }
  }

  /** After a board reconnection during a call: the board starts blank. */
  private restoreBoard(): void {
    const line = this.s.line;
    switch (this.state) {
      case 'connected':
        this.command({ kind: 'audio', line, on: true, codec: this.codec });
        return;
      case 'ringback':
        this.command({ kind: 'tone', line, tone: 'ringback', country: this.s.country });
        return;
      case 'busy-tone':
        this.command({ kind: 'tone', line, tone: 'busy', country: this.s.country });
        return;
      case 'congestion':
        this.command({ kind: 'tone', line, tone: 'congestion', country: this.s.country });
        return;
      case 'dial-tone':
        this.command({ kind: 'tone', line, tone: 'dial', country: this.s.country });
        return;
      case 'idle':
      case 'dialing':
      case 'calling':
      case 'ringing':
        return;
    }
  }

  /** Commands are acknowledged by the board; a lost one (board away) is logged, not fatal. */
  private command(cmd: BoardCommand): void {
    this.board.send(cmd).catch((err: Error & { code?: string }) => {
      this.logger.debug({ line: this.s.line, command: cmd.kind, code: err.code, err: err.message }, 'fxs board command not delivered');
    });
  }
}
