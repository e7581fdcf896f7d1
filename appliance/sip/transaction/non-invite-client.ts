/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).
 *
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *     \--200-699--> Completed
 *   Trying / Proceeding --Timer F / transport error--> Terminated
 *
 * Timer E (unreliable transports only) retransmits the request: T1, doubling up to T2
 * in Trying; every T2 in Proceeding (§17.1.2.2).
 */
import { cseqOf } from '../message/headers/cseq';
import { branchOf, topVia } from '../message/headers/via';
import type { SipRequest, SipResponse } from '../message/message';
import type { Channel, TransportError } from './channel';
import {
  assertNever,
  isProvisional,
  NON_INVITE_CLIENT_TRANSITIONS,
  type ClientTransactionUser,
  type NonInviteClientState,
  type TransactionEnv,
} from './state';
import type { TimerValues } from './timers';
import { TransactionMachinery } from './machinery';

export type NonInviteClientTimer = 'E' | 'F' | 'K';

export interface NonInviteClientOptions extends TransactionEnv {
  /** Any request but INVITE and ACK; top Via already carrying an RFC 3261 branch. */
  readonly request: SipRequest;
  readonly channel: Channel;
  readonly user: ClientTransactionUser;
}

export class NonInviteClientTransaction {
  readonly kind = 'non-invite-client' as const;
  readonly branch: string;
  /** For logs: branch and method. */
  readonly id: string;
  readonly request: SipRequest;
  readonly channel: Channel;

  /** Current Timer E interval. */
  private eInterval: number;
  private readonly user: ClientTransactionUser;
  private readonly values: TimerValues;
  /**
   * State, timers, sending and termination. §17.1.2.2: "Once the transaction is in the
   * terminated state, it MUST be destroyed immediately."
   */
  private readonly machinery: TransactionMachinery<NonInviteClientTransaction, NonInviteClientState, NonInviteClientTimer>;

  constructor(opts: NonInviteClientOptions) {
    const { request } = opts;
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new TypeError(`NonInviteClientTransaction: ${request.method} does not use a non-INVITE transaction`);
    }
    const cseq = cseqOf(request);
    if (cseq.method !== request.method) {
      throw new TypeError(`NonInviteClientTransaction: CSeq method ${cseq.method} does not match ${request.method}`);
    }
    const branch = branchOf(topVia(request));
    if (!branch) throw new TypeError('NonInviteClientTransaction: top Via has no branch');
    this.branch = branch;
    this.id = `${branch}/${request.method}`;
    this.request = request;
    this.channel = opts.channel;
    this.user = opts.user;
    this.values = opts.timers;
    this.eInterval = this.values.E;
    const onTimer = (name: NonInviteClientTimer): void => this.timerFired(name);
    this.machinery = new TransactionMachinery(this, opts, NON_INVITE_CLIENT_TRANSITIONS, 'Trying', onTimer);
  }

  get state(): NonInviteClientState {
    return this.machinery.state;
  }

  runningTimers(): NonInviteClientTimer[] {
    return this.machinery.runningTimers();
  }

  /** Enter "Trying" and send the request. */
  start(): void {
    this.machinery.begin();
    // §17.1.2.2: "The client transaction MUST set timer F to fire in 64*T1 seconds."
    // "If an unreliable transport is in use, the client transaction MUST set timer E to fire
    // in T1 seconds."
    this.machinery.timers.start('F', this.values.F);
    if (!this.channel.reliable) this.machinery.timers.start('E', this.eInterval);
    this.machinery.send(this.request);
  }

  /** A response the layer matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    const status = res.status;
    if (!this.machinery.acceptsStatus(status)) return;
    const state = this.state;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        if (isProvisional(status)) {
          // §17.1.2.2: "If a provisional response is received while in the "Trying"
          // state, the response MUST be passed to the TU, and then the client transaction
          // SHOULD move to the "Proceeding" state." Timer E keeps running; from now on it
          // is reset to T2 when it fires.
          if (state === 'Trying') this.machinery.transition('Proceeding');
          this.deliver(res);
        } else {
          // "If a final response (status codes 200-699) is received while in the "Trying"
          // [or "Proceeding"] state, the response MUST be passed to the TU, and the client
          // transaction MUST transition to the "Completed" state."
          this.machinery.transition('Completed');
          this.machinery.timers.stop('E');
          this.machinery.timers.stop('F');
          this.deliver(res);
          if (this.state !== 'Completed') return;
          // "Once the client transaction enters the "Completed" state, it MUST set Timer K
          // to fire in T4 seconds for unreliable transports, and zero seconds for reliable
          // transports."
          this.machinery.waitThenTerminate('K', this.values.K);
        }
        return;
      case 'Completed':
        // "The "Completed" state exists to buffer any additional response
        // retransmissions that may be received".
        this.machinery.logger.debug({ tx: this.id, status }, 'response retransmission absorbed');
        return;
      case 'Terminated':
        this.machinery.logger.debug({ tx: this.id, status }, 'response to a terminated transaction dropped');
        return;
      default:
        assertNever(state);
    }
  }

  /** The request could not be delivered (§17.1.4). */
  transportError(err: TransportError): void {
    const state = this.state;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        // Figure 6: "Timer F or Transport Err. / inform TU" --> Terminated.
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Completed':
        // Nothing is sent in Completed.
        this.machinery.logger.debug({ tx: this.id, err: err.message }, 'transport error in Completed ignored');
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

  private timerFired(name: NonInviteClientTimer): void {
    const state = this.state;
    switch (state) {
      case 'Trying':
        if (name === 'E') {
          // §17.1.2.2: "If timer E fires while still in this state, the timer is reset, but
          // this time with a value of MIN(4*T1, T2)." — each firing doubles, capped at T2.
          if (!this.machinery.send(this.request)) return;
          this.eInterval = Math.min(2 * this.eInterval, this.values.T2);
          this.machinery.timers.start('E', this.eInterval);
        } else if (name === 'F') {
          // "If Timer F fires while the client transaction is still in the "Trying"
          // state, the client transaction SHOULD inform the TU about the timeout".
          this.machinery.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.machinery.stray(name);
        return;
      case 'Proceeding':
        if (name === 'E') {
          // "If Timer E fires while in the "Proceeding" state, the request MUST be passed
          // to the transport layer for retransmission, and Timer E MUST be reset with a
          // value of T2 seconds."
          if (!this.machinery.send(this.request)) return;
          this.eInterval = this.values.T2;
          this.machinery.timers.start('E', this.eInterval);
        } else if (name === 'F') {
          // "If timer F fires while in the "Proceeding" state, the TU MUST be informed of
          // a timeout, and the client transaction MUST transition to the terminated state."
          this.machinery.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.machinery.stray(name);
        return;
      case 'Completed':
        // "If Timer K fires while in this state, the client transaction MUST transition to
        // the "Terminated" state."
        if (name === 'K') this.machinery.terminate();
        else this.machinery.stray(name);
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }


  private deliver(res: SipResponse): void {
    this.machinery.notify('onResponse', () => this.user.onResponse(res, this));
  }



}
