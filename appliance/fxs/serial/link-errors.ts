/**
 * Errors of the board link. Callers branch on `code`, never on the message text; the
 * message is for logs. One class, so that `instanceof FxsLinkError` is the only check.
 */
export type FxsLinkErrorCode =
  | 'FXS_ERR_LINK_DOWN' // the link is not up (not yet, or any more): nothing was sent
  | 'FXS_ERR_NO_ANSWER' // a frame (HELLO or command) went unanswered through every retransmission
  | 'FXS_ERR_REJECTED' // the board received the command and refused it (NAK); see `reason`
  | 'FXS_ERR_VERSION' // the board speaks another protocol version
  | 'FXS_ERR_BAD_COMMAND' // the command cannot be put on the wire (line, cadence, caller ID length…)
  | 'FXS_ERR_QUEUE_FULL' // too many commands waiting for their turn
  | 'FXS_ERR_BOARD_RESET' // the board restarted or lost the session: its state is gone
  | 'FXS_ERR_STREAM_CLOSED' // the serial stream closed (adapter unplugged, pty gone)
  | 'FXS_ERR_CLOSED'; // the owner closed the link

export class FxsLinkError extends Error {
  override readonly name = 'FxsLinkError';
  constructor(
    readonly code: FxsLinkErrorCode,
    message: string,
    /** For FXS_ERR_REJECTED: the board's NAK reason (e.g. 'bad-line', 'unsupported'). */
    readonly reason?: string,
  ) {
    super(message);
  }
}
