/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). Also used for CANCEL,
 * which is a non-INVITE transaction of its own (§9.2).
 *
 *   Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J--> Terminated
 *     \--200-699 from TU--> Completed
 *   Proceeding / Completed --transport error--> Terminated
 */
import { getHeader, type SipRequest, type SipResponse } from '../message/message';
import type { Channel, TransportError } from './channel';
import {
  assertNever,
  isProvisional,
  NON_INVITE_SERVER_TRANSITIONS,
  type NonInviteServerState,
  type ServerTransactionUser,
  type TransactionEnv,
} from './state';
import type { TimerValues } from './timers';
import { TransactionMachinery } from './machinery';

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

  private last: SipResponse | undefined;
  private readonly user: ServerTransactionUser;
  private readonly values: TimerValues;
  /**
   * State, timers, sending and termination. §17.2.2: "Once the transaction is in the
   * "Terminated" state, it MUST be destroyed immediately."
   */
  private readonly machinery: TransactionMachinery<NonInviteServerTransaction, NonInviteServerState, NonInviteServerTimer>;

  constructor(opts: NonInviteServerOptions) {
    const { method } = opts.request;
    if (method === 'INVITE' || method === 'ACK') {
      throw new TypeError(`NonInviteServerTransaction: ${method} does not use a non-INVITE transaction`);
    }
    this.request = opts.request;
    this.channel = opts.channel;
    this.user = opts.user;
    this.values = opts.timers;
    this.id = opts.key ?? `${method} ${getHeader(opts.request, 'call-id') ?? '?'}`;
    const onTimer = (name: NonInviteServerTimer): void => this.timerFired(name);
    this.machinery = new TransactionMachinery(this, opts, NON_INVITE_SERVER_TRANSITIONS, 'Trying', onTimer);
  }

  get state(): NonInviteServerState {
    return this.machinery.state;
  }

  /** The response last passed to the transport, if any. */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  runningTimers(): NonInviteServerTimer[] {
    return this.machinery.runningTimers();
  }

  /**
   * Enter "Trying" (§17.2.2: "The state machine is initialized in the "Trying" state").
   * Nothing is sent: a non-INVITE server transaction never generates a 100 itself.
   */
  start(): void {
    this.machinery.begin();
  }

  /** A retransmission of the request, matched by the layer (§17.2.3). */
  receiveRequest(req: SipRequest): void {
    const state = this.state;
    switch (state) {
      case 'Trying':
        // §17.2.2: "Once in the "Trying" state, any further request retransmissions are
        // discarded."
        this.machinery.logger.debug({ tx: this.id, method: req.method }, 'retransmission absorbed in Trying');
        return;
      case 'Proceeding':
        // "If a retransmission of the request is received while in the "Proceeding"
        // state, the most recently sent provisional response MUST be passed to the
        // transport layer for retransmission."
        if (this.last) this.machinery.send(this.last);
        return;
      case 'Completed':
        // "While in the "Completed" state, the server transaction MUST pass the final
        // response to the transport layer for retransmission whenever a retransmission of
        // the request is received."
        if (this.last) this.machinery.send(this.last);
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
    this.machinery.checkTuStatus(status);
    const state = this.state;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        if (isProvisional(status)) {
          // "While in the "Trying" state, if the TU passes a provisional response to the
          // server transaction, the server transaction MUST enter the "Proceeding" state.
          // The response MUST be passed to the transport layer for transmission." "Any
          // further provisional responses that are received from the TU while in the
          // "Proceeding" state MUST be passed to the transport layer for transmission."
          if (state === 'Trying') this.machinery.transition('Proceeding');
          this.last = res;
          return this.machinery.send(res);
        }
        // "If the TU passes a final response (status codes 200-699) to the server while in
        // the "Proceeding" [or "Trying"] state, the transaction MUST enter the "Completed"
        // state, and the response MUST be passed to the transport layer for transmission."
        // "When the server transaction enters the "Completed" state, it MUST set Timer J to
        // fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable
        // transports."
        this.machinery.transition('Completed');
        this.last = res;
        if (!this.machinery.send(res)) return false;
        this.machinery.waitThenTerminate('J', this.values.J);
        return true;
      case 'Completed':
      case 'Terminated':
        this.machinery.logger.warn({ tx: this.id, status, state }, 'response from the TU discarded');
        return false;
      default:
        return assertNever(state);
    }
  }

  /** A response could not be delivered (§17.2.4). */
  transportError(err: TransportError): void {
    const state = this.state;
    switch (state) {
      case 'Trying':
        // Nothing has been sent yet; the TU will learn of a dead flow when it responds.
        this.machinery.logger.debug({ tx: this.id, err: err.message }, 'transport error in Trying ignored');
        return;
      case 'Proceeding':
      case 'Completed':
        // Figure 8: "Trnsprt Err. / Inform TU" --> Terminated, from both states.
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  /** End at once without any notice (layer shutdown). Clears every timer. */
  dispose(): void {
    this.machinery.dispose();
  }

  private timerFired(name: NonInviteServerTimer): void {
    const state = this.state;
    switch (state) {
      case 'Completed':
        // "The server transaction remains in this state until Timer J fires, at which
        // point it MUST transition to the "Terminated" state."
        this.machinery.terminate();
        return;
      case 'Trying':
      case 'Proceeding':
        this.machinery.stray(name);
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }



}
