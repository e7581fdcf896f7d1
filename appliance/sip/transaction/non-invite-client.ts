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
import { toTransportError, type Channel, type TransportError } from './channel';
import {
  assertNever,
  callUser,
  checkTransition,
  isProvisional,
  NON_INVITE_CLIENT_TRANSITIONS,
  silentTxLogger,
  type ClientTransactionUser,
  type NonInviteClientState,
  type TransactionEnv,
  type TxLogger,
} from './state';
import { TimerSlots, type TimerValues } from './timers';

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

  private currentState: NonInviteClientState = 'Trying';
  private started = false;
  /** Current Timer E interval. */
  private eInterval: number;
  private readonly user: ClientTransactionUser;
  private readonly values: TimerValues;
  private readonly logger: TxLogger;
  private readonly timers: TimerSlots<NonInviteClientTimer>;
  private readonly layerHook: TransactionEnv['onTerminated'];

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
    this.logger = opts.logger ?? silentTxLogger;
    this.layerHook = opts.onTerminated;
    this.eInterval = this.values.E;
    this.timers = new TimerSlots(opts.clock, (name) => this.timerFired(name));
  }

  get state(): NonInviteClientState {
    return this.currentState;
  }

  runningTimers(): NonInviteClientTimer[] {
    return this.timers.names();
  }

  /** Enter "Trying" and send the request. */
  start(): void {
    if (this.started) throw new Error(`${this.id}: start() called twice`);
    this.started = true;
    // §17.1.2.2: "The client transaction MUST set timer F to fire in 64*T1 seconds."
    // "If an unreliable transport is in use, the client transaction MUST set timer E to fire
    // in T1 seconds."
    this.timers.start('F', this.values.F);
    if (!this.channel.reliable) this.timers.start('E', this.eInterval);
    this.send(this.request);
  }

  /** A response the layer matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    const status = res.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) {
      this.logger.debug({ tx: this.id, status }, 'response with a bad status dropped');
      return;
    }
    const state = this.currentState;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        if (isProvisional(status)) {
          // §17.1.2.2: "If a provisional response is received while in the "Trying"
          // state, the response MUST be passed to the TU, and then the client transaction
          // SHOULD move to the "Proceeding" state." Timer E keeps running; from now on it
          // is reset to T2 when it fires.
          if (state === 'Trying') this.transition('Proceeding');
          this.deliver(res);
        } else {
          // "If a final response (status codes 200-699) is received while in the "Trying"
          // [or "Proceeding"] state, the response MUST be passed to the TU, and the client
          // transaction MUST transition to the "Completed" state."
          this.transition('Completed');
          this.timers.stop('E');
          this.timers.stop('F');
          this.deliver(res);
          if (this.currentState !== 'Completed') return;
          // "Once the client transaction enters the "Completed" state, it MUST set Timer K
          // to fire in T4 seconds for unreliable transports, and zero seconds for reliable
          // transports."
          if (this.values.K <= 0) this.terminate();
          else this.timers.start('K', this.values.K);
        }
        return;
      case 'Completed':
        // "The "Completed" state exists to buffer any additional response
        // retransmissions that may be received".
        this.logger.debug({ tx: this.id, status }, 'response retransmission absorbed');
        return;
      case 'Terminated':
        this.logger.debug({ tx: this.id, status }, 'response to a terminated transaction dropped');
        return;
      default:
        assertNever(state);
    }
  }

  /** The request could not be delivered (§17.1.4). */
  transportError(err: TransportError): void {
    const state = this.currentState;
    switch (state) {
      case 'Trying':
      case 'Proceeding':
        // Figure 6: "Timer F or Transport Err. / inform TU" --> Terminated.
        this.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Completed':
        // Nothing is sent in Completed.
        this.logger.debug({ tx: this.id, err: err.message }, 'transport error in Completed ignored');
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

  private timerFired(name: NonInviteClientTimer): void {
    const state = this.currentState;
    switch (state) {
      case 'Trying':
        if (name === 'E') {
          // §17.1.2.2: "If timer E fires while still in this state, the timer is reset, but
          // this time with a value of MIN(4*T1, T2)." — each firing doubles, capped at T2.
          if (!this.send(this.request)) return;
          this.eInterval = Math.min(2 * this.eInterval, this.values.T2);
          this.timers.start('E', this.eInterval);
        } else if (name === 'F') {
          // "If Timer F fires while the client transaction is still in the "Trying"
          // state, the client transaction SHOULD inform the TU about the timeout".
          this.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.stray(name);
        return;
      case 'Proceeding':
        if (name === 'E') {
          // "If Timer E fires while in the "Proceeding" state, the request MUST be passed
          // to the transport layer for retransmission, and Timer E MUST be reset with a
          // value of T2 seconds."
          if (!this.send(this.request)) return;
          this.eInterval = this.values.T2;
          this.timers.start('E', this.eInterval);
        } else if (name === 'F') {
          // "If timer F fires while in the "Proceeding" state, the TU MUST be informed of
          // a timeout, and the client transaction MUST transition to the terminated state."
          this.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.stray(name);
        return;
      case 'Completed':
        // "If Timer K fires while in this state, the client transaction MUST transition to
        // the "Terminated" state."
        if (name === 'K') this.terminate();
        else this.stray(name);
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  private stray(name: NonInviteClientTimer): void {
    this.logger.warn({ tx: this.id, timer: name, state: this.currentState }, 'timer fired in a state that does not use it');
  }

  private deliver(res: SipResponse): void {
    callUser(this.logger, this, 'onResponse', () => this.user.onResponse(res, this));
  }

  private send(msg: SipRequest): boolean {
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

  private transition(to: NonInviteClientState): void {
    checkTransition('non-invite-client', NON_INVITE_CLIENT_TRANSITIONS, this.currentState, to);
    this.logger.debug({ tx: this.id, from: this.currentState, to }, 'transaction state');
    this.currentState = to;
  }

  /** "Once the transaction is in the terminated state, it MUST be destroyed immediately." */
  private terminate(notice?: () => void, what = 'notice'): void {
    if (this.currentState === 'Terminated') return;
    this.transition('Terminated');
    this.timers.stopAll();
    this.layerHook?.(this);
    if (notice) callUser(this.logger, this, what, notice);
    callUser(this.logger, this, 'onTerminated', () => this.user.onTerminated?.(this));
  }
}
