/**
 * The transaction layer (RFC 3261 §17): owns every client and server transaction,
 * matches incoming messages to them (§17.1.3, §17.2.3), creates server transactions
 * for new requests, and hands the TU (the "core": registrar, B2BUA) what is not a
 * transaction's business.
 *
 * Wiring:
 *   transport --receiveRequest(req, channel)-->  layer --core.onRequest / onAck / onCancel
 *   transport --receiveResponse(res, channel)--> layer --tx.user.onResponse / core.onStrayResponse
 *   TU        --sendRequest(req, channel, user)--> client transaction --channel.send
 *   TU        --tx.sendResponse(res)-->            server transaction --channel.send
 *   transport --channelFailed(channel, err)-->     every transaction on that channel
 */
import type { Clock } from '../clock';
import { cseqOf } from '../message/headers/cseq';
import { branchOf, parseVia } from '../message/headers/via';
import { canonicalName, getHeader, splitList, type SipRequest, type SipResponse } from '../message/message';
import type { Channel, TransportError } from './channel';
import { InviteClientTransaction } from './invite-client';
import { InviteServerTransaction } from './invite-server';
import { clientKey, clientKeyOf, isRfc3261Branch, legacyAckKeyOf, newBranch, serverKeyOf, tagOf } from './match';
import { NonInviteClientTransaction } from './non-invite-client';
import { NonInviteServerTransaction } from './non-invite-server';
import {
  callUser,
  isSuccess,
  silentTxLogger,
  type ClientTransaction,
  type ClientTransactionUser,
  type ServerTransaction,
  type ServerTransactionUser,
  type Transaction,
  type TxLogger,
} from './state';
import { timerValues, type TimerConfig, type TimerValues } from './timers';

export type { ClientTransaction, ClientTransactionUser, ServerTransaction, Transaction, TxLogger } from './state';

/** What the transaction layer hands up to the TU core. Calls never overlap; none may throw (a throw is logged). */
export interface TransactionCore {
  /**
   * A new request (not ACK, not CANCEL) created `tx`: an InviteServerTransaction (which
   * already sent 100 Trying) or a NonInviteServerTransaction. Answer with
   * `tx.sendResponse(res)`, now or later.
   */
  onRequest(req: SipRequest, tx: ServerTransaction): void;
  /**
   * An ACK for a 2xx. `tx` is the INVITE server transaction when the ACK matched one in
   * the Accepted state (RFC 6026; same branch as the INVITE, or an RFC 2543 peer);
   * undefined for the usual case, an ACK with its own branch that matched nothing
   * (§17.2.3: it goes to the core, which matches it to a dialog, §13.3.1.4).
   * `channel` is the one the ACK arrived on, or the transaction's channel when matched.
   */
  onAck(ack: SipRequest, channel: Channel, tx: InviteServerTransaction | undefined): void;
  /**
   * A new CANCEL (§9.2). `tx` is its own non-INVITE server transaction, to answer 200
   * (or 481 when `invite` is undefined). `invite` is the INVITE server transaction the
   * CANCEL matches (same key except the method); if it is still in Proceeding the core
   * should answer it with 487 (in any later state `invite.sendResponse` discards it).
   */
  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void;
  /**
   * A 2xx to INVITE that matched no client transaction (e.g. a retransmission after
   * Timer M). The UAC core re-ACKs it (§13.2.2.4). Every other unmatched response is
   * dropped (§18.1.2).
   */
  onStrayResponse?(res: SipResponse, channel: Channel): void;
  /**
   * A new request arrived while `maxServerTransactions` are live. No transaction was
   * created; the core answers statelessly (503 with Retry-After, §21.5.4) or drops it.
   */
  onOverload?(req: SipRequest, channel: Channel): void;
  /** Timer H fired: the ACK for a non-2xx never came (§17.2.1). */
  onServerTimeout?(tx: InviteServerTransaction): void;
  /** A response could not be sent (§17.2.4). */
  onServerTransportError?(tx: ServerTransaction, err: TransportError): void;
  onServerTerminated?(tx: ServerTransaction): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  /** T1/T2/T4; defaults 500/4000/5000 ms. Per-transport values derive from them. */
  timers?: TimerConfig;
  core: TransactionCore;
  logger?: TxLogger;
  /**
   * Most server transactions alive at once. Each holds its request and last response
   * for up to 64*T1 (Timer J/H/L), so this bounds memory under a flood.
   */
  maxServerTransactions?: number;
}

/** What `receiveRequest` did with a request (for tests and metrics). */
export type RequestDisposition =
  | 'new' // created a server transaction, core.onRequest called
  | 'cancel' // created a CANCEL server transaction, core.onCancel called
  | 'retransmission' // matched a server transaction, which handled it
  | 'ack-matched' // an ACK matched an INVITE server transaction
  | 'ack-to-core' // an ACK matched nothing: core.onAck(ack, channel, undefined)
  | 'overload' // maxServerTransactions reached: core.onOverload, no transaction
  | 'dropped'; // unusable (no Via/CSeq…) or the layer is closed

/** What `receiveResponse` did with a response. */
export type ResponseDisposition = 'matched' | 'stray' | 'dropped';

export interface TransactionCounts {
  inviteClient: number;
  nonInviteClient: number;
  inviteServer: number;
  nonInviteServer: number;
  total: number;
}

export class TransactionLayer {
  private readonly clock: Clock;
  private readonly core: TransactionCore;
  private readonly logger: TxLogger;
  private readonly reliableTimers: TimerValues;
  private readonly unreliableTimers: TimerValues;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  /** RFC 2543 INVITE transactions by their ACK-matching key (To tag compared separately). */
  private readonly legacyAcks = new Map<string, InviteServerTransaction>();
  /** Every live transaction with the keys it is indexed under. */
  private readonly live = new Map<Transaction, Array<[Map<string, Transaction>, string]>>();
  private closed = false;
  private readonly serverUser: ServerTransactionUser;
  private readonly forget = (tx: Transaction): void => this.unregister(tx);
  private readonly maxServerTransactions: number;

  constructor(opts: TransactionLayerOptions) {
    this.clock = opts.clock;
    this.core = opts.core;
    this.logger = opts.logger ?? silentTxLogger;
    this.maxServerTransactions = opts.maxServerTransactions ?? Infinity;
    this.reliableTimers = timerValues({ reliable: true, ...opts.timers });
    this.unreliableTimers = timerValues({ reliable: false, ...opts.timers });
    this.serverUser = {
      onTimeout: (tx) => this.core.onServerTimeout?.(tx),
      onTransportError: (tx, err) => this.core.onServerTransportError?.(tx, err),
      onAck: (ack, tx) => this.core.onAck(ack, tx.channel, tx),
      onTerminated: (tx) => this.core.onServerTerminated?.(tx),
    };
  }

  /** The timer table used for transactions on this channel. */
  timersFor(channel: Channel): TimerValues {
    return channel.reliable ? this.reliableTimers : this.unreliableTimers;
  }

  /**
   * A request from the transport (already parsed, with `received`/`rport` stamped,
   * §18.2.1). `channel` is where its responses go back.
   */
  receiveRequest(req: SipRequest, channel: Channel): RequestDisposition {
    if (this.closed) return 'dropped';
    let key: string;
    try {
      key = serverKeyOf(req);
    } catch (err) {
      this.logger.debug({ method: req.method, err: (err as Error).message }, 'request without a usable Via/CSeq dropped');
      return 'dropped';
    }

    if (req.method === 'ACK') {
      // §17.2.3: an ACK matches the INVITE transaction (same branch and sent-by).
      const tx = this.servers.get(key) ?? this.legacyAckMatch(req);
      if (tx && tx.kind === 'invite-server') {
        tx.receiveRequest(req);
        return 'ack-matched';
      }
      // No transaction: an ACK for a 2xx (a transaction of its own, §17), for the core.
      callUser(this.logger, { id: 'core' }, 'onAck', () => this.core.onAck(req, channel, undefined));
      return 'ack-to-core';
    }

    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRequest(req);
      return 'retransmission';
    }

    if (this.servers.size >= this.maxServerTransactions) {
      callUser(this.logger, { id: 'core' }, 'onOverload', () => this.core.onOverload?.(req, channel));
      return 'overload';
    }

    if (req.method === 'CANCEL') {
      const tx = new NonInviteServerTransaction(this.serverOptions(req, channel, key));
      this.register(tx, [[this.servers, key]]);
      tx.start();
      // §9.2: "the CANCEL request matches the transaction being cancelled using the
      // procedures of §17.2.3 except the method" — the INVITE's key.
      let invite: InviteServerTransaction | undefined;
      const target = this.servers.get(serverKeyOf(req, 'INVITE'));
      if (target && target.kind === 'invite-server') invite = target;
      callUser(this.logger, tx, 'onCancel', () => this.core.onCancel(req, tx, invite));
      return 'cancel';
    }

    let tx: ServerTransaction;
    if (req.method === 'INVITE') {
      const ist = new InviteServerTransaction(this.serverOptions(req, channel, key));
      const keys: Array<[Map<string, Transaction>, string]> = [[this.servers, key]];
      const ackKey = legacyAckKeyOf(req);
      if (ackKey !== undefined) keys.push([this.legacyAcks, ackKey]);
      this.register(ist, keys);
      tx = ist;
    } else {
      tx = new NonInviteServerTransaction(this.serverOptions(req, channel, key));
      this.register(tx, [[this.servers, key]]);
    }
    tx.start();
    // An IST whose 100 Trying could not be sent is already Terminated (the core heard
    // onServerTransportError); the client will retransmit.
    if (tx.state === 'Terminated') return 'dropped';
    const created = tx;
    callUser(this.logger, tx, 'onRequest', () => this.core.onRequest(req, created));
    return 'new';
  }

  /** A response from the transport (§18.1.2: sent-by already checked by the transport). */
  receiveResponse(res: SipResponse, channel: Channel): ResponseDisposition {
    if (this.closed) return 'dropped';
    let key: string;
    let method: string;
    try {
      key = clientKeyOf(res);
      method = cseqOf(res).method;
    } catch (err) {
      this.logger.debug({ status: res.status, err: (err as Error).message }, 'response without a usable Via/CSeq dropped');
      return 'dropped';
    }
    const tx = this.clients.get(key);
    if (tx) {
      tx.receiveResponse(res);
      return 'matched';
    }
    if (isSuccess(res.status) && method === 'INVITE' && this.core.onStrayResponse) {
      callUser(this.logger, { id: 'core' }, 'onStrayResponse', () => this.core.onStrayResponse?.(res, channel));
      return 'stray';
    }
    this.logger.debug({ status: res.status, method }, 'response matching no transaction dropped');
    return 'dropped';
  }

  /**
   * Create a client transaction and send `req` on `channel`.
   *
   * The TU puts the top Via (the sent-by of the transport it chose, §18.1.1). If that
   * Via has no branch parameter, the layer adds a fresh one (`newBranch()`); a branch
   * without the z9hG4bK cookie is refused. For a CANCEL, the TU copies the INVITE's
   * top Via, branch included (§9.1). ACK is refused: the ACK for a non-2xx is sent by
   * the INVITE client transaction, the ACK for a 2xx by the TU directly on a channel.
   *
   * Throws TypeError on such misuse, or when a live client transaction already has the
   * same branch and method. A transport error during the first send is reported to
   * `user` (onTransportError, onTerminated) before this returns.
   */
  sendRequest(req: SipRequest, channel: Channel, user: ClientTransactionUser): ClientTransaction {
    if (this.closed) throw new Error('TransactionLayer is closed');
    if (req.method === 'ACK') throw new TypeError('ACK does not create a client transaction');
    const branch = ensureBranch(req);
    const key = clientKey(branch, req.method);
    if (this.clients.has(key)) throw new TypeError(`a client transaction ${branch} ${req.method} already exists`);
    const opts = {
      request: req,
      channel,
      user,
      clock: this.clock,
      timers: this.timersFor(channel),
      logger: this.logger,
      onTerminated: this.forget,
    };
    const tx = req.method === 'INVITE' ? new InviteClientTransaction(opts) : new NonInviteClientTransaction(opts);
    this.register(tx, [[this.clients, key]]);
    tx.start();
    return tx;
  }

  /**
   * The transport learned, after `send` returned, that a message on `channel` was not
   * delivered (a failed stream write or connect). Every transaction using that channel
   * gets a transport error (§17.1.4, §17.2.4). Do not call this merely because a
   * connection closed: per §18.2.2 the channel may reach the peer over a new one.
   */
  channelFailed(channel: Channel, err: TransportError): void {
    for (const tx of [...this.live.keys()]) {
      if (tx.channel === channel) tx.transportError(err);
    }
  }

  /** The live client transaction a response would match, if any. */
  findClient(res: SipResponse): ClientTransaction | undefined {
    try {
      return this.clients.get(clientKeyOf(res));
    } catch {
      return undefined;
    }
  }

  /** Live transactions by type. */
  /** Whether a request would match a live server transaction (a retransmission). */
  hasServerTransaction(req: SipRequest): boolean {
    try {
      return this.servers.has(serverKeyOf(req));
    } catch {
      return false;
    }
  }

  /** Live transactions, client and server (O(1), for metrics and overload checks). */
  get size(): number {
    return this.live.size;
  }

  counts(): TransactionCounts {
    const c: TransactionCounts = { inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0, total: 0 };
    for (const tx of this.live.keys()) {
      if (tx.kind === 'invite-client') c.inviteClient++;
      else if (tx.kind === 'non-invite-client') c.nonInviteClient++;
      else if (tx.kind === 'invite-server') c.inviteServer++;
      else c.nonInviteServer++;
      c.total++;
    }
    return c;
  }

  /**
   * Drop every transaction and timer without notifying anyone; afterwards messages are
   * dropped and sendRequest throws.
   */
  close(): void {
    this.closed = true;
    const all = [...this.live.keys()];
    this.live.clear();
    this.clients.clear();
    this.servers.clear();
    this.legacyAcks.clear();
    for (const tx of all) tx.dispose();
  }

  private serverOptions(request: SipRequest, channel: Channel, key: string) {
    return {
      request,
      channel,
      key,
      user: this.serverUser,
      clock: this.clock,
      timers: this.timersFor(channel),
      logger: this.logger,
      onTerminated: this.forget,
    };
  }

  /** RFC 2543 ACK: same Request-URI/From tag/Call-ID/CSeq number/top Via, To tag of our response. */
  private legacyAckMatch(ack: SipRequest): InviteServerTransaction | undefined {
    const ackKey = legacyAckKeyOf(ack);
    if (ackKey === undefined) return undefined;
    const tx = this.legacyAcks.get(ackKey);
    if (!tx) return undefined;
    const sent = tx.lastResponse;
    const sentTag = sent ? tagOf(getHeader(sent, 'to')) : '';
    return sentTag === tagOf(getHeader(ack, 'to')) ? tx : undefined;
  }

  private register(tx: Transaction, keys: Array<[Map<string, Transaction>, string]>): void {
    for (const [map, key] of keys) map.set(key, tx);
    this.live.set(tx, keys);
  }

  private unregister(tx: Transaction): void {
    const keys = this.live.get(tx);
    if (!keys) return;
    this.live.delete(tx);
    for (const [map, key] of keys) if (map.get(key) === tx) map.delete(key);
  }
}

/**
 * The branch of the request's top Via, adding a fresh one when it has none. Throws
 * TypeError when there is no Via or the branch is not an RFC 3261 one.
 */
function ensureBranch(req: SipRequest): string {
  const at = req.headers.findIndex((h) => canonicalName(h.name) === 'via');
  if (at < 0) throw new TypeError('request has no Via: the TU puts the top Via before sending');
  const header = req.headers[at]!;
  const values = splitList(header.value);
  const via = parseVia(values[0]!);
  if (!via.params.has('branch')) {
    const branch = newBranch();
    values[0] = `${values[0]};branch=${branch}`;
    req.headers[at] = { name: header.name, value: values.join(', ') };
    return branch;
  }
  const branch = branchOf(via);
  if (!isRfc3261Branch(branch)) throw new TypeError(`top Via branch "${branch ?? ''}" lacks the z9hG4bK cookie`);
  return branch;
}
