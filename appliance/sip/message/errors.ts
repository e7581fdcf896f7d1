/**
 * Errors of the message layer. Each carries a stable `code` that callers branch on
 * (never on message text) and the answer the RFC calls for: a SIP status to send back
 * for a request, or `'drop'` when nothing may be answered (broken responses, datagrams
 * too damaged to answer).
 */
export type SipErrorCode =
  | 'SIP_ERR_START_LINE' // request/status line malformed
  | 'SIP_ERR_VERSION' // SIP version other than 2.0 (505)
  | 'SIP_ERR_HEADER_SYNTAX' // a header line or value does not parse
  | 'SIP_ERR_HEADER_MISSING' // a mandatory header is absent (§8.1.1)
  | 'SIP_ERR_HEADER_MULTIPLE' // a single-valued header appears more than once
  | 'SIP_ERR_CSEQ' // CSeq malformed, out of range, or method mismatch
  | 'SIP_ERR_CONTENT_LENGTH' // Content-Length malformed, negative, or larger than the body
  | 'SIP_ERR_URI' // Request-URI or header URI malformed
  | 'SIP_ERR_TOO_LARGE' // message exceeds the configured maximum (413 / close)
  | 'SIP_ERR_INCOMPLETE' // headers never terminated (no empty line)
  | 'SIP_ERR_STATUS_CODE' // status code outside 100..699
  | 'SIP_ERR_INTERNAL'; // a fault in the parser itself, reported instead of thrown (drop)

/** What the receiver must do: answer with this status, or drop silently. */
export type SipErrorAction = number | 'drop';

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  constructor(
    readonly code: SipErrorCode,
    message: string,
    /** SIP status to answer a request with; responses are always dropped. */
    readonly status: SipErrorAction,
    /** Header the error is about, when there is one. */
    readonly header?: string,
  ) {
    super(message);
  }
}
