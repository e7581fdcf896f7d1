/**
 * Call detail records: what the B2BUA reports once per finished call (CallRecord,
 * stored by cdr-log.ts) and what it shows of the calls in progress (ActiveCallView).
 * Both travel unchanged through the control API (`GET /v1/cdr`, `GET /v1/calls`).
 */

export type CallDisposition = 'answered' | 'busy' | 'no-answer' | 'cancelled' | 'failed';

export type ForwardReason = 'unconditional' | 'busy' | 'no-answer' | 'unavailable' | 'deflection';

export interface ForwardHop {
  from: string;
  to: string;
  reason: ForwardReason;
}

export interface CallRecord {
  /** Our unique call id. */
  id: string;
  /** SIP Call-ID of the caller's leg. */
  callId: string;
  /** Extension number (or number from a trunk later). */
  caller: string;
  callerName?: string;
  /** The number dialled. */
  callee: string;
  /** The target that answered (after forwarding). */
  answeredBy?: string;
  /** The forwarding chain in order, [] when none. */
  forwarded: ForwardHop[];
  route: 'local' | 'trunk';
  /** ISO 8601 UTC: INVITE received. */
  start: string;
  /** ISO, 2xx relayed to the caller. */
  answer?: string;
  /** ISO. */
  end: string;
  /** answer→end, whole seconds (rounded), 0 when not answered. */
  durationSeconds: number;
  disposition: CallDisposition;
  /** Final status the caller got (200 when answered). */
  sipCode: number;
  endedBy?: 'caller' | 'callee' | 'system';
}

export interface ActiveCallView {
  id: string;
  caller: string;
  callee: string;
  /** Who is ringing / connected now (after forwarding). */
  target: string;
  state: 'ringing' | 'answered';
  forwarded: ForwardHop[];
  start: string;
  answer?: string;
  durationSeconds: number;
}
