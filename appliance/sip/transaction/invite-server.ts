/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with the RFC 6026 changes
 * (its §8.5-§8.7, replacing text of §17.2.1): a 2xx from the TU moves to "Accepted" (Timer L) instead of terminating; the
 * transaction never retransmits a 2xx itself (the TU does, §13.3.1.4) but passes the
 * TU's retransmissions on; INVITE retransmissions in Accepted are absorbed; an ACK in
 * Accepted goes to the TU.
 *
 *   Proceeding --300-699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
 *        |                             \--Timer H / transport error--> Terminated
 *        \--2xx from TU--> Accepted --Timer L--> Terminated
 *   Proceeding --transport error--> Terminated
 */
import { getHeader, headersNamed, type Header, type SipRequest, type SipResponse } from '../message/message';
import type { Channel, TransportError } from './channel';
import {
  assertNever,
  INVITE_SERVER_TRANSITIONS,
  isProvisional,
  isSuccess,
  type InviteServerState,
  type ServerTransactionUser,
  type TransactionEnv,
} from './state';
import type { TimerValues } from './timers';
import { TransactionMachinery } from './machinery';

export type InviteServerTimer = 'G' | 'H' | 'I' | 'L';

export interface InviteServerOptions extends TransactionEnv {
  /** The INVITE that created the transaction. */
  readonly request: SipRequest;
  /** Where responses go back (§18.2.2 is the channel's business). */
  readonly channel: Channel;
  readonly user: ServerTransactionUser;
  /** Transaction key the layer indexed this transaction under (for logs). */
  readonly key?: string;
}

export class InviteServerTransaction {
  readonly kind = 'invite-server' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly channel: Channel;

  /** Most recent response passed to the transport: the last 1xx in Proceeding, the final after. */
  private last: SipResponse | undefined;
  /** Current Timer G interval. */
  private gInterval: number;
  private readonly user: ServerTransactionUser;
  private readonly values: TimerValues;
  /**
   * State, timers, sending and termination. §17.2.1: "Once the transaction is in the
   * "Terminated" state, it MUST be destroyed immediately."
   */
  private readonly machinery: TransactionMachinery<InviteServerTransaction, InviteServerState, InviteServerTimer>;

  constructor(opts: InviteServerOptions) {
    if (opts.request.method !== 'INVITE') throw new TypeError(`InviteServerTransaction: method ${opts.request.method} is not INVITE`);
    this.request = opts.request;
    this.channel = opts.channel;
    this.user = opts.user;
    this.values = opts.timers;
    this.id = opts.key ?? `INVITE ${getHeader(opts.request, 'call-id') ?? '?'}`;
    this.gInterval = this.values.G;
    const onTimer = (name: InviteServerTimer): void => this.timerFired(name);
    this.machinery = new TransactionMachinery(this, opts, INVITE_SERVER_TRANSITIONS, 'Proceeding', onTimer);
  }

  get state(): InviteServerState {
    return this.machinery.state;
  }

  /** The response last passed to the transport (100 Trying at first). */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  runningTimers(): InviteServerTimer[] {
    return this.machinery.runningTimers();
  }

  /**
   * Enter "Proceeding" and send 100 Trying at once (§17.2.1: "the server transaction
   * MUST generate a 100 (Trying) response unless it knows that the TU will generate a
   * provisional or final response within 200 ms" — we never assume it will), so that
   * the client stops retransmitting the INVITE.
   */
  start(): void {
    this.machinery.begin();
    const trying = buildTrying(this.request);
    this.last = trying;
    this.machinery.send(trying);
  }

  /**
   * A request the layer matched to this transaction (§17.2.3): a retransmission of the
   * INVITE, or an ACK.
   */
  receiveRequest(req: SipRequest): void {
    const isAck = req.method === 'ACK';
    if (!isAck && req.method !== 'INVITE') {
      this.machinery.logger.debug({ tx: this.id, method: req.method }, 'request of another method dropped');
      return;
    }
    const state = this.state;
    switch (state) {
      case 'Proceeding':
        if (isAck) {
          this.machinery.logger.debug({ tx: this.id }, 'ACK before any final response dropped');
          return;
        }
        // §17.2.1: "If a request retransmission is received while in the "Proceeding"
        // state, the most recent provisional response that was received from the TU MUST
        // be passed to the transport layer for retransmission."
        if (this.last) this.machinery.send(this.last);
        return;
      case 'Completed':
        if (isAck) {
          // "If an ACK is received while the server transaction is in the "Completed"
          // state, the server transaction MUST transition to the "Confirmed" state. As
          // Timer G is ignored in this state, any retransmissions of the response will
          // cease." Timer I: T4 for unreliable transports, zero for reliable ones.
          this.machinery.transition('Confirmed');
          this.machinery.timers.stop('G');
          this.machinery.timers.stop('H');
          this.machinery.waitThenTerminate('I', this.values.I);
        } else if (this.last) {
          // "while in the "Completed" state, if a request retransmission is received, the
          // server SHOULD pass the response to the transport for retransmission."
          this.machinery.send(this.last);
        }
        return;
      case 'Confirmed':
        // "The purpose of the "Confirmed" state is to absorb any additional ACK messages
        // that arrive, triggered from retransmissions of the final response."
        this.machinery.logger.debug({ tx: this.id, method: req.method }, 'retransmission absorbed in Confirmed');
        return;
      case 'Accepted':
        if (isAck) {
          // RFC 6026 §8.7: an ACK matching the transaction in "Accepted" is the ACK for
          // a 2xx; "the ACK must be passed up to the TU".
          this.machinery.notify('onAck', () => this.user.onAck?.(req, this));
        } else {
          // RFC 6026 §8.7: "The purpose of the "Accepted" state is to absorb
          // retransmissions of an accepted INVITE request. Any such retransmissions are
          // absorbed entirely within the server transaction." The TU already owns the
          // 2xx retransmissions.
          this.machinery.logger.debug({ tx: this.id }, 'INVITE retransmission absorbed in Accepted');
        }
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  /**
   * A response from the TU. Returns true when it was handed to the transport. Responses
   * the state does not allow (a second non-2xx final, a 1xx after the final, anything
   * after termination) are discarded with false, as §17.2.2 prescribes for the
   * non-INVITE case. A status outside 100-699 throws (a TU bug).
   */
  sendResponse(res: SipResponse): boolean {
    const status = res.status;
    this.machinery.checkTuStatus(status);
    const state = this.state;
    switch (state) {
      case 'Proceeding':
        if (isProvisional(status)) {
          // "The TU passes any number of provisional responses to the server transaction.
          // So long as the server transaction is in the "Proceeding" state, each of these
          // MUST be passed to the transport layer for transmission."
          this.last = res;
          return this.machinery.send(res);
        }
        if (isSuccess(status)) {
          // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx
          // response to the server transaction, the server transaction MUST pass this
          // response to the transport layer for transmission. It is not retransmitted by
          // the server transaction; retransmissions of 2xx responses are handled by the
          // TU. The server transaction MUST then transition to the "Accepted" state."
          // §8.7: on entering "Accepted", Timer L is set to 64*T1 for all transports.
          this.machinery.transition('Accepted');
          this.last = res;
          this.machinery.timers.start('L', this.values.L);
          return this.machinery.send(res);
        }
        // §17.2.1: "While in the "Proceeding" state, if the TU passes a response with
        // status code from 300 to 699 to the server transaction, the response MUST be
        // passed to the transport layer for transmission, and the state machine MUST
        // enter the "Completed" state. For unreliable transports, timer G is set to fire
        // in T1 seconds, and is not set to fire for reliable transports." "When the
        // "Completed" state is entered, timer H MUST be set to fire in 64*T1 seconds for
        // all transports."
        this.machinery.transition('Completed');
        this.last = res;
        this.machinery.timers.start('H', this.values.H);
        if (!this.channel.reliable) this.machinery.timers.start('G', this.gInterval);
        return this.machinery.send(res);
      case 'Accepted':
        if (isSuccess(status)) {
          // RFC 6026 §8.7: "While in the "Accepted" state, if the TU passes a 2xx response,
          // the server transaction MUST pass the response to the transport layer for
          // transmission." (the TU's 2xx retransmissions, or 2xx from other forks)
          this.last = res;
          return this.machinery.send(res);
        }
        return this.discard(res);
      case 'Completed':
      case 'Confirmed':
      case 'Terminated':
        return this.discard(res);
      default:
        return assertNever(state);
    }
  }

  /** A response could not be delivered (§17.2.4). */
  transportError(err: TransportError): void {
    const state = this.state;
    switch (state) {
      case 'Proceeding':
        // Figure 7: Proceeding --"Transport Err. / Inform TU"--> Terminated.
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Completed':
        // Figure 7: Completed --"Timer H fires or Transport Err. / Inform TU"--> Terminated.
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Accepted':
        // RFC 6026's Figure 7 has "Transport Err. / Inform TU" as a loop on Accepted: the
        // transaction stays to absorb INVITE retransmissions and route ACKs until Timer L;
        // the TU, which owns the 2xx retransmissions, decides whether to go on.
        this.machinery.notify('onTransportError', () => this.user.onTransportError(this, err));
        return;
      case 'Confirmed':
        this.machinery.logger.debug({ tx: this.id, err: err.message }, 'transport error in Confirmed ignored');
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

  private timerFired(name: InviteServerTimer): void {
    const state = this.state;
    switch (state) {
      case 'Completed':
        if (name === 'G') {
          // §17.2.1: "If timer G fires, the response is passed to the transport layer once
          // more for retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds.
          // From then on, when timer G fires, the response is passed to the transport
          // again for transmission, and timer G is reset with a value that doubles, unless
          // that value exceeds T2, in which case it is reset with the value of T2."
          if (this.last && !this.machinery.send(this.last)) return;
          this.gInterval = Math.min(2 * this.gInterval, this.values.T2);
          this.machinery.timers.start('G', this.gInterval);
        } else if (name === 'H') {
          // "If timer H fires while in the "Completed" state, it implies that the ACK was
          // never received. In this case, the server transaction MUST transition to the
          // "Terminated" state, and MUST indicate to the TU that a transaction failure has
          // occurred."
          this.machinery.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.machinery.stray(name);
        return;
      case 'Confirmed':
        // "Once timer I fires, the server MUST transition to the "Terminated" state."
        if (name === 'I') this.machinery.terminate();
        else this.machinery.stray(name);
        return;
      case 'Accepted':
        // RFC 6026 §8.7: "If Timer L fires while the INVITE server transaction is in the
        // "Accepted" state, the transaction MUST transition to the "Terminated" state."
        if (name === 'L') this.machinery.terminate();
        else this.machinery.stray(name);
        return;
      case 'Proceeding':
        this.machinery.stray(name);
        return;
      case 'Terminated':
        return;
      default:
        assertNever(state);
    }
  }

  private discard(res: SipResponse): boolean {
    this.machinery.logger.warn({ tx: this.id, status: res.status, state: this.state }, 'response from the TU discarded');
    return false;
  }




}

/**
 * A response built from the request alone (§8.2.6): the Via header fields in order,
 * From, To, Call-ID and CSeq copied, Timestamp copied (§8.2.6.1), no body. No To tag is
 * added: a 100 Trying may go without one, and a TU that needs a tag adds it.
 */
export function buildResponseFromRequest(req: SipRequest, status: number, reason: string): SipResponse {
  const headers: Header[] = [];
  for (const via of headersNamed(req, 'via')) headers.push({ name: 'Via', value: via.value });
  for (const name of ['From', 'To', 'Call-ID', 'CSeq'] as const) {
    const value = getHeader(req, name);
    if (value !== undefined) headers.push({ name, value });
  }
  if (status === 100) {
    const timestamp = getHeader(req, 'timestamp');
    if (timestamp !== undefined) headers.push({ name: 'Timestamp', value: timestamp });
  }
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'response', status, reason, headers, body: Buffer.alloc(0) };
}

/** The 100 (Trying) the INVITE server transaction sends on creation. */
export function buildTrying(req: SipRequest): SipResponse {
  return buildResponseFromRequest(req, 100, 'Trying');
}
