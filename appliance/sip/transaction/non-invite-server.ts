/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). Also used for CANCEL,
 * which is a non-INVITE transaction of its own (§9.2).
 *
 *   Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J--> Terminated
 *     \--200-699 from TU--> Completed
 *   Proceeding / Completed --transport error--> Terminated
 */
import { getHeader, type SipRequest, type SipResponse } from '../message/message';
import { toTransportError, type Channel, type TransportError } from './channel';
import {
  assertNever,
  callUser,
  checkTransition,
  isProvisional,
  NON_INVITE_SERVER_TRANSITIONS,
  silentTxLogger,
  type NonInviteServerState,
  type ServerTransactionUser,
  type TransactionEnv,
  type TxLogger,
} from './state';
import { TimerSlots, type TimerValues } from './timers';

export type NonInviteServerTimer = 'J';

export interface NonInviteServerOptions extends TransactionEnv {
  /** The request that created the transaction (any method but INVITE and ACK). */
  readonly request: SipRequest;
  readonly channel: Channel;
  readonly user: ServerTransactionUser;
  /** Transaction key the layer indexed this transaction under (for logs). */
  readonly key?: string;
}

export class NonInviteServerTransaction {
  readonly kind = 'non-invite-server' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly channel: Channel;

  private currentState: NonInviteServerState = 'Trying';
  private started = false;
  private last: SipResponse | undefined;
  private readonly user: ServerTransactionUser;
  private readonly values: TimerValues;
  private readonly logger: TxLogger;
  private readonly timers: TimerSlots<NonInviteServerTimer>;
  private readonly layerHook: TransactionEnv['onTerminated'];

  constructor(opts: NonInviteServerOptions) {
    const { method } = opts.request;
    if (method === 'INVITE' || method === 'ACK') {
      throw new TypeError(`NonInviteServerTransaction: ${method} does not use a non-INVITE transaction`);
    }
    this.request = opts.request;
    this.channel = opts.channel;
    this.user = opts.user;
    this.values = opts.timers;
    this.logger = opts.logger ?? silentTxLogger;
    this.layerHook = opts.onTerminated;
    this.id = opts.key ?? `${method} ${getHeader(opts.request, 'call-id') ?? '?'}`;
    this.timers = new TimerSlots(opts.clock, (name) => this.timerFired(name));
  }

  get state(): NonInviteServerState {
    return this.currentState;
  }

  /** The response last passed to the transport, if any. */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  runningTimers(): NonInviteServerTimer[] {
    return this.timers.names();
  }

  /**
   * Enter "Trying" (§17.2.2: "The state machine is initialized in the "Trying" state").
   * Nothing is sent: a non-INVITE server transaction never generates a 100 itself.
   */
  start(): void {
    if (this.started) throw new Error(`${this.id}: start() called twice`);
    this.started = true;
  }

  /** A retransmission of the request, matched by the layer (§17.2.3). */
  receiveRequest(req: SipRequest): void {
    const state = this.currentState;
    switch (state) {
      case 'Trying':
        // §17.2.2: "Once in the "Trying" state, any further request retransmissions are
        // discarded."
        this.logger.debug({ tx: this.id, method: req.method }, 'retransmission absorbed in Trying');
        return;
      case 'Proceeding':
        // "If a retransmission of the request is received while in the "Proceeding"
        // state, the most recently sent provisional response MUST be passed to the
        // transport layer for retransmission."
        if (this.last) this.send(this.last);
        return;
      case 'Completed':
        // "While in the "Completed" state, the server transaction MUST pass the final
        // response to the transport layer for retransmission whenever a retransmission of
        // the request is received."
        if (this.last) this.send(this.last);
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  /**
   * A response from the TU; true when handed to the transport. §17.2.2: "Any other final
   * responses passed by the TU to the server transaction MUST be discarded while in the
   * "Completed" state." — so are 1xx after the final and anything after termination
   * (false). A status outside 100-699 throws (a TU bug).
   */
  sendResponse(res: SipResponse): boolean {
    const status = res.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      throw new RangeError(`${this.id}: cannot send a response with status ${status}`);
    }
    const state = this.currentState;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        if (isProvisional(status)) {
          // "While in the "Trying" state, if the TU passes a provisional response to the
          // server transaction, the server transaction MUST enter the "Proceeding" state.
          // The response MUST be passed to the transport layer for transmission." "Any
          // further provisional responses that are received from the TU while in the
          // "Proceeding" state MUST be passed to the transport layer for transmission."
          if (state === 'Trying') this.transition('Proceeding');
          this.last = res;
          return this.send(res);
        }
        // "If the TU passes a final response (status codes 200-699) to the server while in
        // the "Proceeding" [or "Trying"] state, the transaction MUST enter the "Completed"
        // state, and the response MUST be passed to the transport layer for transmission."
        // "When the server transaction enters the "Completed" state, it MUST set Timer J to
        // fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable
        // transports."
        this.transition('Completed');
        this.last = res;
        if (!this.send(res)) return false;
        if (this.values.J <= 0) this.terminate();
        else this.timers.start('J', this.values.J);
        return true;
      case 'Completed':
      case 'Terminated':
        this.logger.warn({ tx: this.id, status, state }, 'response from the TU discarded');
        return false;
      default:
        return assertNever(state);
    }
  }

  /** A response could not be delivered (§17.2.4). */
  transportError(err: TransportError): void {
    const state = this.currentState;
    switch (state) {
      case 'Trying':
        // Nothing has been sent yet; the TU will learn of a dead flow when it responds.
        this.logger.debug({ tx: this.id, err: err.message }, 'transport error in Trying ignored');
        return;
      case 'Proceeding':
      case 'Completed':
        // Figure 8: "Trnsprt Err. / Inform TU" --> Terminated, from both states.
        this.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  /** End at once without any notice (layer shutdown). Clears every timer. */
  dispose(): void {
    if (this.currentState === 'Terminated') return;
    this.transition('Terminated');
    this.timers.stopAll();
  }

  private timerFired(name: NonInviteServerTimer): void {
    const state = this.currentState;
    switch (state) {
      case 'Completed':
        // "The server transaction remains in this state until Timer J fires, at which
        // point it MUST transition to the "Terminated" state."
        this.terminate();
        return;
      case 'Trying':
      case 'Proceeding':
        this.logger.warn({ tx: this.id, timer: name, state }, 'timer fired in a state that does not use it');
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  private send(msg: SipResponse): boolean {
    try {
      this.channel.send(msg);
      return true;
    } catch (err) {
      const terr = toTransportError(err);
      this.logger.debug({ tx: this.id, err: terr.message, code: terr.code }, 'send failed');
      this.transportError(terr);
      return false;
    }
  }

  private transition(to: NonInviteServerState): void {
    checkTransition('non-invite-server', NON_INVITE_SERVER_TRANSITIONS, this.currentState, to);
    this.logger.debug({ tx: this.id, from: this.currentState, to }, 'transaction state');
    this.currentState = to;
  }

  /** "Once the transaction is in the "Terminated" state, it MUST be destroyed immediately." */
  private terminate(notice?: () => void, what = 'notice'): void {
    if (this.currentState === 'Terminated') return;
    this.transition('Terminated');
    this.timers.stopAll();
    this.layerHook?.(this);
    if (notice) callUser(this.logger, this, what, notice);
    callUser(this.logger, this, 'onTerminated', () => this.user.onTerminated?.(this));
  }
}
