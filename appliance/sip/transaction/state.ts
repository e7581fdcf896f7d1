/**
 * States of the four transaction state machines (RFC 3261 §17, with the RFC 6026
 * "Accepted" states), their legal transitions, and the small plumbing the four
 * machines share (TU interfaces, logger, errors).
 */
import type { Clock } from '../clock';
import type { SipRequest, SipResponse } from '../message/message';
import type { TransportError } from './channel';
import type { InviteClientTransaction } from './invite-client';
import type { InviteServerTransaction } from './invite-server';
import type { NonInviteClientTransaction } from './non-invite-client';
import type { NonInviteServerTransaction } from './non-invite-server';
import type { TimerValues } from './timers';

/** Figure 5 of RFC 3261 as amended by RFC 6026 (Accepted, Timer M). */
export type InviteClientState = 'Calling' | 'Proceeding' | 'Accepted' | 'Completed' | 'Terminated';
/** Figure 6 of RFC 3261. */
export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';
/** Figure 7 of RFC 3261 as amended by RFC 6026 (Accepted, Timer L). */
export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';
/** Figure 8 of RFC 3261. */
export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export type TransactionKind = 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type Transaction = ClientTransaction | ServerTransaction;

/** A machine's legal transitions: from each state, the states it may move to. */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/**
 * Legal transitions, from the RFC figures. "Terminated" is reachable from every live
 * state because the layer may abort any transaction (shutdown, failed flow); nothing
 * leaves "Terminated". Self-loops (retransmissions, 1xx in Proceeding) are not
 * transitions and never go through the guard.
 */
export const INVITE_CLIENT_TRANSITIONS: TransitionTable<InviteClientState> = {
  Calling: ['Proceeding', 'Accepted', 'Completed', 'Terminated'],
  Proceeding: ['Accepted', 'Completed', 'Terminated'],
  Accepted: ['Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export const NON_INVITE_CLIENT_TRANSITIONS: TransitionTable<NonInviteClientState> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

export const INVITE_SERVER_TRANSITIONS: TransitionTable<InviteServerState> = {
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

export const NON_INVITE_SERVER_TRANSITIONS: TransitionTable<NonInviteServerState> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

/** A state machine tried a transition its figure does not have: a bug, never network input. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'SIP_ERR_TX_TRANSITION';
  constructor(
    readonly machine: TransactionKind,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine} transaction: illegal transition ${from} -> ${to}`);
  }
}

/** The guard every machine's `transition()` goes through. Throws IllegalTransitionError. */
export function checkTransition<S extends string>(machine: TransactionKind, table: TransitionTable<S>, from: S, to: S): void {
  if (!table[from].includes(to)) throw new IllegalTransitionError(machine, from, to);
}

/** Exhaustiveness check for `switch (this.state)`: a missing case is a compile error. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${String(x)}`);
}

/** The logging the transaction layer needs; pino loggers and the stack's SipLogger fit. */
export interface TxLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentTxLogger: TxLogger = { debug() {}, warn() {} };

/** What a client transaction tells its TU (the UAC core, or the B2BUA leg). */
export interface ClientTransactionUser {
  /**
   * Every response the RFC passes up: 1xx, the final response, and (INVITE, RFC 6026
   * Accepted state) every further 2xx, including retransmissions and 2xx from other
   * forks. Not: retransmitted non-2xx finals (absorbed, the ACK is resent).
   */
  onResponse(res: SipResponse, tx: ClientTransaction): void;
  /** Timer B (INVITE, still in Calling) or Timer F (non-INVITE) fired. Terminated follows. */
  onTimeout(tx: ClientTransaction): void;
  /** The request (or the ACK for a non-2xx) could not be sent (§17.1.4). Terminated follows. */
  onTransportError(tx: ClientTransaction, err: TransportError): void;
  /** The transaction entered Terminated (after any onTimeout/onTransportError). */
  onTerminated?(tx: ClientTransaction): void;
}

/** What a server transaction tells its TU. The layer routes these to TransactionCore. */
export interface ServerTransactionUser {
  /** Timer H fired: no ACK came for a non-2xx final (§17.2.1 "a transaction failure"). */
  onTimeout(tx: InviteServerTransaction): void;
  /** A response could not be sent (§17.2.4). */
  onTransportError(tx: ServerTransaction, err: TransportError): void;
  /** An ACK matched this INVITE transaction in the Accepted state (ACK for 2xx, RFC 6026 §8.7). */
  onAck?(ack: SipRequest, tx: InviteServerTransaction): void;
  onTerminated?(tx: ServerTransaction): void;
}

/** Everything a transaction needs from its surroundings except request/channel/user. */
export interface TransactionEnv {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly logger?: TxLogger;
  /**
   * The layer's hook, called once when the transaction enters Terminated, before the
   * TU's notices, so that the transaction is out of the layer's tables by then.
   * Not called by `dispose()`.
   */
  readonly onTerminated?: (tx: Transaction) => void;
}

/** Run a TU callback; a throwing TU must not leave a state machine half-way. */
export function callUser(logger: TxLogger, tx: { readonly id: string }, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.warn({ tx: tx.id, err }, `transaction user threw in ${what}`);
  }
}

/** §7.2 / §21: status classes as the machines see them. */
export function isProvisional(status: number): boolean {
  return status >= 100 && status <= 199;
}
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}
export function isNonSuccessFinal(status: number): boolean {
  return status >= 300 && status <= 699;
}
