import type { SipMessage } from '../message/message';

/**
 * The boundary between the transaction layer (RFC 3261 §17) and the transport layer
 * (§18). The transaction layer owns this interface; the transport layer implements it.
 *
 * A Channel is the flow one transaction sends on:
 * - client transaction: towards the next hop the TU chose (§8.1.2, RFC 3263); the TU
 *   picks or creates the channel and hands it to `TransactionLayer.sendRequest`;
 * - server transaction: back to where the request came from. The transport passes the
 *   channel the request arrived on to `TransactionLayer.receiveRequest`; the §18.2.2
 *   response routing (same connection if still open, else a new one to `received`/
 *   `rport`/sent-by; for UDP the `received`/`rport` address) happens inside `send`.
 *
 * Channels are compared by identity: `TransactionLayer.channelFailed(channel, err)`
 * fails the transactions that use that very object. A transport should hand out one
 * Channel object per flow (e.g. per connection, per UDP remote) and reuse it.
 */
export interface Channel {
  /** TCP/TLS (and SCTP) are reliable: no retransmissions, Timers D/I/J/K are zero. */
  readonly reliable: boolean;
  readonly transport: TransportName;
  /**
   * Hand a message to the transport for sending. Must not call back into the
   * transaction layer synchronously.
   *
   * Failures the transport knows about at once (no route, connect refused, socket
   * closed, message too large) are reported by THROWING, preferably a TransportError
   * (any thrown value is wrapped into one). Failures found later (a stream write that
   * fails after `send` returned, a connect that times out) are reported by calling
   * `TransactionLayer.channelFailed(channel, err)`. Either way the transactions on the
   * channel follow §17.1.4 / §17.2.4: inform the TU and, in most states, terminate.
   */
  send(message: SipMessage): void;
}

export type TransportName = 'UDP' | 'TCP' | 'TLS';

/**
 * Stable codes (callers branch on them, never on text). The transport layer's own
 * error codes are kept when a transport error of that shape is thrown from `send`.
 */
export type TransportErrorCode = 'SIP_ERR_TRANSPORT' | 'SIP_ERR_NO_ROUTE' | 'SIP_ERR_TOO_LARGE';

const CODES: ReadonlySet<string> = new Set<TransportErrorCode>(['SIP_ERR_TRANSPORT', 'SIP_ERR_NO_ROUTE', 'SIP_ERR_TOO_LARGE']);

/** A message could not be handed to the network (§17.1.4, §17.2.4, §18.4). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;

  constructor(message: string, options: { code?: TransportErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'SIP_ERR_TRANSPORT';
  }
}

/** Whatever `Channel.send` threw, as a TransportError (keeping a known `code` and the cause). */
export function toTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return new TransportError(err.message, {
      code: typeof code === 'string' && CODES.has(code) ? (code as TransportErrorCode) : 'SIP_ERR_TRANSPORT',
      cause: err,
    });
  }
  return new TransportError(String(err), { cause: err });
}
