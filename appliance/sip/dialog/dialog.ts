/**
 * Dialogs (RFC 3261 §12): the state two user agents share after an INVITE is answered,
 * and the rules for requests inside it. A B2BUA holds one dialog per leg.
 *
 * The local and remote parties are kept as the full From/To header values of the
 * exchange that created the dialog (display name and tags included), so requests in the
 * dialog carry them back exactly as the peer saw them.
 */
import { cseqOf } from '../message/headers/cseq';
import { contactsOf, fromOf, parseNameAddr, tagOf, toOf } from '../message/headers/name-addr';
import { parseUri } from '../message/uri';
import { getHeader, getHeaderValues, type Header, type SipRequest, type SipResponse } from '../message/message';

export interface Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** From value of requests we send (with our tag). */
  readonly localParty: string;
  /** To value of requests we send (with the peer's tag). */
  readonly remoteParty: string;
  /** Where requests go: the peer's Contact URI (§12.1.1/§12.1.2), updated by target refreshes. */
  remoteTarget: string;
  /** Route header values for requests we send, in order. */
  readonly routeSet: readonly string[];
  /** Our CSeq: the last number used (§12.2.1.1 increments it by one per request). */
  localSeq: number;
  /** The peer's last CSeq, undefined until it sends a request (§12.2.2). */
  remoteSeq: number | undefined;
}

/** A dialog could not be formed or a request cannot be accepted in it. */
export class DialogError extends Error {
  override readonly name = 'DialogError';
  constructor(
    readonly code: 'SIP_ERR_DIALOG_CONTACT' | 'SIP_ERR_DIALOG_CSEQ',
    message: string,
    /** The status the RFC calls for when this refuses a request. */
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * §12.1.1: the UAS side of a dialog, from the INVITE and the tag we put in To. The
 * route set is the Record-Route list in order; the remote target is the request's
 * Contact; the remote sequence number is the request's CSeq.
 */
export function uasDialog(invite: SipRequest, localTag: string): Dialog {
  const to = getHeader(invite, 'to') ?? '';
  return {
    callId: getHeader(invite, 'call-id') ?? '',
    localTag,
    remoteTag: tagOf(fromOf(invite)) ?? '',
    localParty: tagOf(toOf(invite)) === undefined ? `${to};tag=${localTag}` : to,
    remoteParty: getHeader(invite, 'from') ?? '',
    remoteTarget: contactUri(invite),
    routeSet: getHeaderValues(invite, 'record-route'),
    localSeq: 0,
    remoteSeq: cseqOf(invite).seq,
  };
}

/**
 * §12.1.2: the UAC side, from the INVITE we sent and the response (1xx with a To tag,
 * or 2xx) that creates the dialog. The route set is the Record-Route list reversed.
 */
export function uacDialog(invite: SipRequest, response: SipResponse): Dialog {
  const from = fromOf(invite);
  return {
    callId: getHeader(invite, 'call-id') ?? '',
    localTag: tagOf(from) ?? '',
    remoteTag: tagOf(toOf(response)) ?? '',
    localParty: getHeader(invite, 'from') ?? '',
    remoteParty: getHeader(response, 'to') ?? '',
    remoteTarget: contactUri(response),
    routeSet: getHeaderValues(response, 'record-route').reverse(),
    localSeq: cseqOf(invite).seq,
    remoteSeq: undefined,
  };
}

/**
 * §12.2.2: a request from the peer in this dialog. A CSeq lower than the last one is
 * out of order (500); otherwise it is remembered. A re-INVITE or UPDATE with a Contact
 * refreshes the remote target (§12.2.2, RFC 3311 §5.2).
 */
export function acceptRemoteRequest(dialog: Dialog, request: SipRequest): void {
  const seq = cseqOf(request).seq;
  if (request.method !== 'ACK' && request.method !== 'CANCEL') {
    if (dialog.remoteSeq !== undefined && seq <= dialog.remoteSeq) {
      throw new DialogError('SIP_ERR_DIALOG_CSEQ', `CSeq ${seq} not above ${dialog.remoteSeq}`, 500);
    }
    dialog.remoteSeq = seq;
  }
  if ((request.method === 'INVITE' || request.method === 'UPDATE') && getHeader(request, 'contact') !== undefined) {
    dialog.remoteTarget = contactUri(request);
  }
}

/** A 2xx to a re-INVITE or UPDATE we sent refreshes the remote target too (§12.2.1.2). */
export function acceptTargetRefresh(dialog: Dialog, response: SipResponse): void {
  if (getHeader(response, 'contact') !== undefined) dialog.remoteTarget = contactUri(response);
}

export interface InDialogOptions {
  /** Our top Via (the transaction layer adds the branch). */
  via: string;
  maxForwards?: number;
  /** Extra headers, after the dialog's own. */
  headers?: Header[];
  body?: Buffer;
  /** CSeq number to use instead of a new one (the ACK for a 2xx reuses the INVITE's). */
  cseq?: number;
}

/**
 * §12.2.1.1: a request within the dialog. Request-URI is the remote target and the
 * route set becomes Route headers (loose routing); with a strict router first (no
 * `lr`), the Request-URI is that route and the remote target goes last. A new CSeq,
 * one above the last, except for ACK and CANCEL which reuse the INVITE's.
 */
export function inDialogRequest(dialog: Dialog, method: string, opts: InDialogOptions): SipRequest {
  let seq: number;
  if (opts.cseq !== undefined) seq = opts.cseq;
  else {
    dialog.localSeq += 1;
    seq = dialog.localSeq;
  }
  let uri = dialog.remoteTarget;
  let routes = [...dialog.routeSet];
  const first = routes[0];
  if (first !== undefined && !isLooseRoute(first)) {
    uri = parseNameAddr(first, 'Route').uri;
    routes = [...routes.slice(1), `<${dialog.remoteTarget}>`];
  }
  const body = opts.body ?? Buffer.alloc(0);
  const headers: Header[] = [
    { name: 'Via', value: opts.via },
    ...routes.map((value) => ({ name: 'Route', value })),
    { name: 'Max-Forwards', value: String(opts.maxForwards ?? 70) },
    { name: 'From', value: dialog.localParty },
    { name: 'To', value: dialog.remoteParty },
    { name: 'Call-ID', value: dialog.callId },
    { name: 'CSeq', value: `${seq} ${method}` },
    ...(opts.headers ?? []),
    { name: 'Content-Length', value: String(body.length) },
  ];
  return { kind: 'request', method, uri, headers, body };
}

/** The key requests of a dialog are matched by (§12.2.2): Call-ID and our tag. */
export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

function isLooseRoute(route: string): boolean {
  try {
    const uri = parseUri(parseNameAddr(route, 'Route').uri);
    return uri.kind === 'sip' && uri.params.has('lr');
  } catch {
    return true;
  }
}

/** The single Contact URI of a dialog-forming message (§12.1: exactly one is required). */
function contactUri(msg: SipRequest | SipResponse): string {
  let contacts;
  try {
    contacts = contactsOf(msg);
  } catch (err) {
    throw new DialogError('SIP_ERR_DIALOG_CONTACT', `Contact: ${(err as Error).message}`, 400);
  }
  if (contacts === '*' || contacts.length !== 1) {
    throw new DialogError('SIP_ERR_DIALOG_CONTACT', 'a dialog needs exactly one Contact', 400);
  }
  return contacts[0]!.uri;
}
