/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with the RFC 6026 changes
 * (its §8.4, replacing text of §17.1.1.2) (a 2xx moves to "Accepted" and starts Timer M instead of terminating, so that
 * retransmitted 2xx and 2xx from other forks still reach the TU).
 *
 *   Calling --1xx--> Proceeding --2xx--> Accepted --Timer M--> Terminated
 *      |  \--2xx--> Accepted        \--300-699--> Completed --Timer D--> Terminated
 *      \--300-699--> Completed
 *   Calling --Timer B / transport error--> Terminated
 */
import { cseqOf } from '../message/headers/cseq';
import { branchOf, topVia } from '../message/headers/via';
import { getHeader, getHeaderValues, headersNamed, type Header, type SipRequest, type SipResponse } from '../message/message';
import type { Channel, TransportError } from './channel';
import {
  assertNever,
  INVITE_CLIENT_TRANSITIONS,
  isNonSuccessFinal,
  isProvisional,
  isSuccess,
  type ClientTransactionUser,
  type InviteClientState,
  type TransactionEnv,
} from './state';
import type { TimerValues } from './timers';
import { TransactionMachinery } from './machinery';

export type InviteClientTimer = 'A' | 'B' | 'D' | 'M';

export interface InviteClientOptions extends TransactionEnv {
  /** The INVITE, top Via already carrying an RFC 3261 branch (z9hG4bK…). */
  readonly request: SipRequest;
  readonly channel: Channel;
  readonly user: ClientTransactionUser;
}

export class InviteClientTransaction {
  readonly kind = 'invite-client' as const;
  /** The top Via branch of the INVITE (also the branch of the ACK and of a CANCEL). */
  readonly branch: string;
  /** For logs: branch and method. */
  readonly id: string;
  readonly request: SipRequest;
  readonly channel: Channel;

  /** The ACK built for the first 300-699 response (§17.1.1.3), resent for its retransmissions. */
  private nonSuccessAck: SipRequest | undefined;
  /** Current Timer A interval: T1, then doubling with no cap (§17.1.1.2). */
  private aInterval: number;
  private readonly user: ClientTransactionUser;
  private readonly values: TimerValues;
  /**
   * State, timers, sending and termination. §17.1.1.2: "The client transaction MUST be
   * destroyed the instant it enters the "Terminated" state": `machinery.terminate()` stops the
   * timers, then the layer forgets us, then the TU hears the reason (if any) and the
   * termination.
   */
  private readonly machinery: TransactionMachinery<InviteClientTransaction, InviteClientState, InviteClientTimer>;

  constructor(opts: InviteClientOptions) {
    const { request } = opts;
    if (request.method !== 'INVITE') throw new TypeError(`InviteClientTransaction: method ${request.method} is not INVITE`);
    const cseq = cseqOf(request);
    if (cseq.method !== 'INVITE') throw new TypeError(`InviteClientTransaction: CSeq method ${cseq.method} does not match INVITE`);
    const branch = branchOf(topVia(request));
    if (!branch) throw new TypeError('InviteClientTransaction: top Via has no branch');
    this.branch = branch;
    this.id = `${branch}/INVITE`;
    this.request = request;
    this.channel = opts.channel;
    this.user = opts.user;
    this.values = opts.timers;
    this.aInterval = this.values.A;
    const onTimer = (name: InviteClientTimer): void => this.timerFired(name);
    this.machinery = new TransactionMachinery(this, opts, INVITE_CLIENT_TRANSITIONS, 'Calling', onTimer);
  }

  get state(): InviteClientState {
    return this.machinery.state;
  }

  /** The ACK this transaction generated for a 300-699 response, if any. */
  get ack(): SipRequest | undefined {
    return this.nonSuccessAck;
  }

  /** Names of the running timers (tests, debugging). */
  runningTimers(): InviteClientTimer[] {
    return this.machinery.runningTimers();
  }

  /**
   * Enter "Calling" and send the INVITE. Separate from the constructor so that the
   * layer can index the transaction before anything (a transport error) can end it.
   */
  start(): void {
    this.machinery.begin();
    // §17.1.1.2: "For any transport, the client transaction MUST start timer B with a
    // value of 64*T1 seconds". "If an unreliable transport is being used, the client
    // transaction MUST start timer A with a value of T1."
    this.machinery.timers.start('B', this.values.B);
    if (!this.channel.reliable) this.machinery.timers.start('A', this.aInterval);
    this.machinery.send(this.request);
  }

  /** A response the layer matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    const status = res.status;
    if (!this.machinery.acceptsStatus(status)) return;
    const state = this.state;
    switch (state) {
      case 'Calling':
      case 'Proceeding':
        if (isProvisional(status)) {
          // §17.1.1.2: "If the client transaction receives a provisional response while
          // in the "Calling" state, it transitions to the "Proceeding" state. In the
          // "Proceeding" state, the client transaction SHOULD NOT retransmit the request
          // any longer. Furthermore, the provisional response MUST be passed to the TU."
          // Timer B only acts in Calling, so it is stopped with A.
          if (state === 'Calling') {
            this.machinery.transition('Proceeding');
            this.machinery.timers.stop('A');
            this.machinery.timers.stop('B');
          }
          this.deliver(res);
        } else if (isSuccess(status)) {
          // RFC 6026 §8.4: "If a 2xx response is received while the client INVITE state
          // machine is in the "Calling" or "Proceeding" states, it MUST transition to the
          // "Accepted" state, pass the 2xx response to the TU, and set Timer M to 64*T1."
          this.machinery.transition('Accepted');
          this.machinery.timers.stop('A');
          this.machinery.timers.stop('B');
          this.machinery.timers.start('M', this.values.M);
          this.deliver(res);
        } else {
          // §17.1.1.2: "reception of a response with status code from 300-699 MUST cause
          // the client transaction to transition to "Completed". The client transaction
          // MUST pass the received response up to the TU, and the client transaction MUST
          // generate an ACK request, even if the transport is reliable".
          this.machinery.transition('Completed');
          this.machinery.timers.stop('A');
          this.machinery.timers.stop('B');
          this.deliver(res);
          if (this.state !== 'Completed') return; // the TU ended us (layer closed)
          this.nonSuccessAck = buildNon2xxAck(this.request, res);
          if (!this.machinery.send(this.nonSuccessAck)) return;
          // "The client transaction SHOULD start timer D when it enters the "Completed"
          // state, with a value of at least 32 seconds for unreliable transports, and a
          // value of zero seconds for reliable transports."
          this.machinery.waitThenTerminate('D', this.values.D);
        }
        return;
      case 'Accepted':
        // RFC 6026 §8.4: "A 2xx response received while in the "Accepted" state MUST be
        // passed to the TU and MUST NOT generate an ACK." Anything else is absorbed.
        if (isSuccess(status)) this.deliver(res);
        else this.machinery.logger.debug({ tx: this.id, status }, 'non-2xx in Accepted absorbed');
        return;
      case 'Completed':
        if (isNonSuccessFinal(status)) {
          // §17.1.1.2: "Any retransmissions of the final response that are received while
          // in the "Completed" state MUST cause the ACK to be re-passed to the transport
          // layer for retransmission, but the newly received response MUST NOT be passed
          // up to the TU."
          if (this.nonSuccessAck) this.machinery.send(this.nonSuccessAck);
        } else if (isSuccess(status)) {
          // Not in the figures: a forking proxy forwards a 2xx even after another branch
          // ended with a non-2xx (§16.7 step 5). The UAC core must see it to ACK it
          // (§13.2.2.4), so it goes up rather than being swallowed.
          this.deliver(res);
        } else {
          this.machinery.logger.debug({ tx: this.id, status }, '1xx in Completed absorbed');
        }
        return;
      case 'Terminated':
        this.machinery.logger.debug({ tx: this.id, status }, 'response to a terminated transaction dropped');
        return;
      default:
        assertNever(state);
    }
  }

  /**
   * The transport could not deliver what this transaction sent (§17.1.4): thrown by
   * `Channel.send`, or reported later through `TransactionLayer.channelFailed`.
   */
  transportError(err: TransportError): void {
    const state = this.state;
    switch (state) {
      case 'Calling':
        // Figure 5: Calling --"Timer B fires or Transport Err. / inform TU"--> Terminated.
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Proceeding':
        // Not in Figure 5 (nothing is sent in Proceeding), but a late report that the
        // INVITE was lost means no final response can come: §17.1.4 "inform the TU".
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Completed':
        // Figure 5: Completed --"Transport Err. / Inform TU"--> Terminated (the ACK failed).
        this.machinery.terminate(() => this.user.onTransportError(this, err), 'onTransportError');
        return;
      case 'Accepted':
        // Nothing is sent in Accepted: the ACK for 2xx belongs to the TU (§13.2.2.4).
        this.machinery.logger.debug({ tx: this.id, err: err.message }, 'transport error in Accepted ignored');
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

  private timerFired(name: InviteClientTimer): void {
    const state = this.state;
    switch (state) {
      case 'Calling':
        if (name === 'A') {
          // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the
          // request by passing it to the transport layer, and MUST reset the timer with a
          // value of 2*T1." and so on, doubling (no T2 cap for INVITE).
          if (!this.machinery.send(this.request)) return;
          this.aInterval *= 2;
          this.machinery.timers.start('A', this.aInterval);
        } else if (name === 'B') {
          // "If the client transaction is still in the "Calling" state when timer B fires,
          // the client transaction SHOULD inform the TU that a timeout has occurred."
          this.machinery.terminate(() => this.user.onTimeout(this), 'onTimeout');
        } else this.machinery.stray(name);
        return;
      case 'Proceeding':
        // A and B are stopped on entering Proceeding; no timer runs here.
        this.machinery.stray(name);
        return;
      case 'Accepted':
        // RFC 6026 §8.4: "If Timer M fires while the client INVITE state machine is in the
        // "Accepted" state, the machine MUST transition to the "Terminated" state."
        if (name === 'M') this.machinery.terminate();
        else this.machinery.stray(name);
        return;
      case 'Completed':
        // §17.1.1.2: "If timer D fires while the client transaction is in the "Completed"
        // state, the client transaction MUST move to the terminated state."
        if (name === 'D') this.machinery.terminate();
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

/**
 * The ACK for a 300-699 response, built inside the transaction (§17.1.1.3): same
 * Request-URI, Call-ID, From and CSeq number as the INVITE with method ACK; To from the
 * response (its tag); only the INVITE's top Via (same branch); the INVITE's Route header
 * fields; Max-Forwards 70; no body.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: Header[] = [];
  const via = getHeaderValues(invite, 'via')[0];
  if (via !== undefined) headers.push({ name: 'Via', value: via });
  // "If the INVITE request whose response is being acknowledged had Route header
  // fields, those header fields MUST appear in the ACK."
  for (const route of headersNamed(invite, 'route')) headers.push({ name: 'Route', value: route.value });
  headers.push({ name: 'Max-Forwards', value: '70' });
  const from = getHeader(invite, 'from');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  const to = getHeader(response, 'to');
  if (to !== undefined) headers.push({ name: 'To', value: to });
  const callId = getHeader(invite, 'call-id');
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  headers.push({ name: 'CSeq', value: `${cseqOf(invite).seq} ACK` });
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
