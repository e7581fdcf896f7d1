/**
 * One call of an FXS line, as the UA it is (RFC 3261 §13-§15): outgoing (the phone
 * dialled; we send the INVITE with an SDP offer, answer digest challenges, CANCEL,
 * ACK the 2xx, BYE) or incoming (the server sent an INVITE; we ring, answer with an
 * SDP answer and retransmit the 2xx until the ACK, or refuse). Media is negotiated
 * here and run by the line (RtpSession).
 *
 *   outgoing: inviting ─1xx─► proceeding ─2xx─► confirmed ─BYE─► ended
 *                 └────────────── final ≥300, timeout, CANCEL ──► ended
 *   incoming: ringing ─answer()─► answered (2xx sent) ─ACK─► confirmed ─BYE─► ended
 *                 └──── reject(), CANCEL (487), no ACK ───────► ended
 */
import { randomBytes } from 'node:crypto';
import { answerChallenge } from '../../sip/auth/digest-client';
import type { Clock } from '../../sip/clock';
import { acceptRemoteRequest, inDialogRequest, uacDialog, uasDialog, type Dialog } from '../../sip/dialog/dialog';
import { SuccessRetransmitter } from '../../sip/dialog/success-retransmitter';
import { buildCancel, createResponse, newCallId, newTag } from '../../sip/message/build';
import { fromOf, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type Header, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseUri } from '../../sip/message/uri';
import type { SipLogger } from '../../sip/logger';
import type { ServerTransaction } from '../../sip/transaction/layer';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server';
import { answerOffer, buildOffer, parseAnswer, type MediaParams } from '../media/sdp';
import { USER_AGENT, type GatewaySip } from './gateway-sip';

export type { MediaParams } from '../media/sdp';

export interface LocalMedia {
  address: string;
  port: number;
  codecs: ('PCMU' | 'PCMA')[];
  dtmfPayloadType: number;
}

/** What a call tells its line. */
export interface CallEvents {
  /** 180/183 for an outgoing call; `media` when the 183 carried an answer (early media). */
  progress(ringing: boolean, media?: MediaParams): void;
  /** The call is up with these media parameters. */
  answered(media: MediaParams): void;
  /** An outgoing call failed: the final status (408 for a timeout, 503 for a transport error). */
  failed(status: number, reason: string): void;
  /** The far end hung up (BYE), or cancelled an incoming call before it was answered. */
  remoteEnded(why: 'bye' | 'cancel' | 'no-ack'): void;
}

export interface CallContext {
  sip: GatewaySip;
  clock: Clock;
  logger: SipLogger;
  username: string;
  displayName: string;
  credentials: { username: string; password: string };
  media: LocalMedia;
  events: CallEvents;
}

const T1 = 500;
const T2 = 4000;
/** Answers to challenges one INVITE may get (a stale nonce can need a second). */
const MAX_AUTH_ROUNDS = 2;

type State = 'inviting' | 'proceeding' | 'ringing' | 'answered' | 'confirmed' | 'ended';

export class GatewayCall {
  private state: State;
  private dialog: Dialog | undefined;
  private invite: SipRequest | undefined;
  private serverTx: InviteServerTransaction | undefined;
  private retransmitter: SuccessRetransmitter | undefined;
  private cancelWanted = false;
  private provisionalSeen = false;
  private authRounds = 0;
  private cseq = 1;
  private readonly sessionId = String(Date.now());
  /** RFC 3264 §8: o= version, one up for every SDP we send that may differ. */
  private sessionVersion = 0;
  /** An INVITE without SDP (delayed offer, RFC 3261 §13.2.1): our offer went in the 2xx, the answer comes in the ACK. */
  private offeredInAnswer = false;
  /** Who the other party is (number), for the status. */
  readonly peer: string;
  readonly callId: string;
  readonly localTag: string;

  private constructor(
    private readonly c: CallContext,
    readonly direction: 'outgoing' | 'incoming',
    peer: string,
    callId: string,
    localTag: string,
  ) {
    this.peer = peer;
    this.callId = callId;
    this.localTag = localTag;
    this.state = direction === 'outgoing' ? 'inviting' : 'ringing';
  }

  // --- outgoing -----------------------------------------------------------------------

  /** §13.2.1: INVITE sip:<number>@<domain> with our offer. */
  static dial(c: CallContext, number: string): GatewayCall {
    const call = new GatewayCall(c, 'outgoing', number, newCallId(), newTag());
    call.sendInvite([]);
    return call;
  }

  private sendInvite(auth: Header[]): void {
    const { sip, username, displayName } = this.c;
    const target = `sip:${this.peer}@${sip.domain}`;
    const body = Buffer.from(this.offer());
    const name = displayName === '' ? '' : `"${displayName.replace(/["\\]/g, '')}" `;
    const request: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: target,
      headers: [
        { name: 'Via', value: sip.via() },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `${name}<sip:${username}@${sip.domain}>;tag=${this.localTag}` },
        { name: 'To', value: `<${target}>` },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: `${this.cseq} INVITE` },
        { name: 'Contact', value: `<${sip.contactUri(username)}>` },
        { name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS' },
        { name: 'User-Agent', value: USER_AGENT },
        ...auth,
        { name: 'Content-Type', value: 'application/sdp' },
        { name: 'Content-Length', value: String(body.length) },
      ],
      body,
    };
    this.invite = request;
    this.provisionalSeen = false;
    sip.sendRequest(request, {
      onResponse: (res) => this.inviteResponse(request, res),
      onTimeout: () => this.inviteGaveUp(request, 408, 'no answer from the server'),
      onTransportError: (_tx, err) => this.inviteGaveUp(request, 503, err.message),
    });
  }

  private inviteResponse(request: SipRequest, res: SipResponse): void {
    if (request !== this.invite) return; // an answer to an INVITE already re-sent with credentials
    if (res.status < 200) {
      if (res.status === 100) return;
      this.provisionalSeen = true;
      // §9.1: a CANCEL may only go once a provisional response has arrived.
      if (this.cancelWanted) return this.sendCancel();
      if (this.state === 'inviting') this.state = 'proceeding';
      const media = res.body.length > 0 ? this.answerMedia(res) : undefined;
      this.c.events.progress(res.status === 180 || res.status === 181 || res.status === 182, media);
      return;
    }
    if (res.status < 300) return this.inviteAccepted(res);
    if (this.state === 'confirmed' || this.state === 'ended') return;
    if ((res.status === 401 || res.status === 407) && this.authRounds < MAX_AUTH_ROUNDS && !this.cancelWanted) {
      const answer = answerChallenge(request, res, { username: this.c.credentials.username, password: this.c.credentials.password, realm: '' });
      if (answer) {
        this.authRounds++;
        this.cseq++;
        // §22.2: the same Call-ID and From tag, a new CSeq, the credentials.
        this.sendInvite([answer.header]);
        return;
      }
    }
    this.end();
    this.c.events.failed(res.status, res.reason);
  }

  /** §13.2.2.4: a 2xx creates the dialog; ACK it (every retransmission too). */
  private inviteAccepted(res: SipResponse): void {
    if (!this.dialog) {
      try {
        this.dialog = uacDialog(this.invite!, res);
      } catch (err) {
        this.c.logger.warn({ call: this.callId, err: (err as Error).message }, 'fxs call: 2xx without a usable Contact');
        return;
      }
    }
    this.sendAck();
    if (this.state === 'confirmed' || this.state === 'ended') return;
    if (this.cancelWanted) {
      // The far end answered while we were cancelling (§9.1 race): hang up properly.
      this.state = 'confirmed';
      this.hangup();
      return;
    }
    const media = this.answerMedia(res);
    if (media === undefined) {
      this.hangup();
      this.c.events.failed(488, 'no usable SDP answer');
      return;
    }
    this.state = 'confirmed';
    this.c.events.answered(media);
  }

  private sendAck(): void {
    const dialog = this.dialog!;
    const ack = inDialogRequest(dialog, 'ACK', { via: `${this.c.sip.via()};branch=z9hG4bK${randomBytes(8).toString('hex')}`, cseq: this.cseq });
    try {
      this.c.sip.sendAck(ack);
    } catch (err) {
      this.c.logger.debug({ call: this.callId, err: (err as Error).message }, 'fxs call: ACK not sent');
    }
  }

  private inviteGaveUp(request: SipRequest, status: number, reason: string): void {
    if (request !== this.invite || this.state === 'confirmed' || this.state === 'ended') return;
    this.end();
    this.c.events.failed(status, reason);
  }

  private answerMedia(res: SipResponse): MediaParams | undefined {
    const parsed = parseAnswer(res.body.toString('utf8'), this.c.media.codecs);
    return 'error' in parsed ? undefined : parsed;
  }

  /** The phone hung up before an answer: CANCEL once a provisional came (§9.1). */
  cancel(): void {
    if (this.state !== 'inviting' && this.state !== 'proceeding') return;
    this.cancelWanted = true;
    if (this.provisionalSeen) this.sendCancel();
    // Without a provisional yet, the CANCEL goes when one arrives; a final response or
    // Timer B ends the call otherwise. The line is free at once either way.
    this.state = 'ended';
  }

  private sendCancel(): void {
    const invite = this.invite;
    if (!invite) return;
    this.c.sip.sendRequest(buildCancel(invite), { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
  }

  // --- incoming -----------------------------------------------------------------------

  /** An INVITE for our line: the call in the ringing state (answer with ring() / answer() / reject()). */
  static incoming(c: CallContext, invite: SipRequest, tx: ServerTransaction): GatewayCall {
    let peer = '';
    try {
      const from = parseUri(fromOf(invite).uri);
      peer = from.kind === 'sip' ? (from.user ?? '') : from.kind === 'tel' ? from.number : '';
    } catch {
      // An unparseable From still rings; the caller ID is then empty.
    }
    const call = new GatewayCall(c, 'incoming', peer, getHeader(invite, 'call-id') ?? '', newTag());
    call.invite = invite;
    call.serverTx = tx as InviteServerTransaction;
    return call;
  }

  /** The caller's display name from From, for caller ID. */
  callerName(): string {
    try {
      return this.invite ? (fromOf(this.invite).displayName ?? '') : '';
    } catch {
      return '';
    }
  }

  ringing(): void {
    if (this.state !== 'ringing') return;
    this.respond(180);
  }

  /**
   * Off-hook on a ringing line: 200 with our SDP answer, retransmitted until the ACK
   * (§13.3.1.4). Returns the media to start, or 'pending' for a delayed offer: the
   * 200 carries our offer and the media come with the ACK's answer (CallEvents.answered).
   */
  answer(): MediaParams | 'pending' | undefined {
    if (this.state !== 'ringing' || !this.invite) return undefined;
    let sdp: string;
    let media: MediaParams | 'pending';
    if (this.invite.body.length === 0) {
      sdp = this.offer();
      media = 'pending';
      this.offeredInAnswer = true;
    } else {
      const result = this.answerTo(this.invite);
      if ('error' in result) {
        this.reject(488);
        return undefined;
      }
      sdp = result.sdp;
      media = result.media;
    }
    this.dialog = uasDialog(this.invite, this.localTag);
    const ok = this.response(this.invite, 200, [
      { name: 'Contact', value: `<${this.c.sip.contactUri(this.c.username)}>` },
      { name: 'Content-Type', value: 'application/sdp' },
    ], Buffer.from(sdp));
    this.state = 'answered';
    this.serverTx?.sendResponse(ok);
    this.retransmitter = new SuccessRetransmitter(this.c.clock, {
      reliable: this.serverTx?.channel.reliable ?? false,
      t1: T1,
      t2: T2,
      resend: () => {
        try {
          this.serverTx?.channel.send(ok);
        } catch {
          // The next retransmission may go through.
        }
      },
      onNoAck: () => {
        // §13.3.1.4: no ACK within 64*T1 — the call is over; say so to the far end.
        this.state = 'confirmed';
        this.hangup();
        this.c.events.remoteEnded('no-ack');
      },
    });
    return media;
  }

  private offer(): string {
    const { media } = this.c;
    return buildOffer({ sessionId: this.sessionId, sessionVersion: ++this.sessionVersion, address: media.address, port: media.port, codecs: media.codecs, dtmfPayloadType: media.dtmfPayloadType });
  }

  private answerTo(request: SipRequest) {
    const { media } = this.c;
    return answerOffer(request.body.toString('utf8'), {
      sessionId: this.sessionId,
      sessionVersion: ++this.sessionVersion,
      address: media.address,
      port: media.port,
      codecs: media.codecs,
      dtmfPayloadType: media.dtmfPayloadType,
    });
  }

  /** Refuse the incoming call (486 when the line is busy, 480 when it cannot ring). */
  reject(status: number): void {
    if (this.state !== 'ringing') return;
    this.respond(status);
    this.end();
  }

  /** CANCEL for our ringing INVITE (§9.2): 487 to the INVITE. */
  cancelledBy(invite: InviteServerTransaction): boolean {
    if (invite !== this.serverTx || this.state !== 'ringing') return false;
    this.respond(487);
    this.end();
    this.c.events.remoteEnded('cancel');
    return true;
  }

  ack(ack: SipRequest): boolean {
    if (!this.isOurs(ack)) return false;
    if (this.state === 'answered') {
      this.retransmitter?.stop();
      this.state = 'confirmed';
      if (this.offeredInAnswer) {
        // Delayed offer: the ACK carries the answer to the offer in our 2xx.
        const media = ack.body.length > 0 ? parseAnswer(ack.body.toString('utf8'), this.c.media.codecs) : undefined;
        if (media === undefined || 'error' in media) {
          this.hangup();
          this.c.events.remoteEnded('no-ack');
        } else {
          this.c.events.answered(media);
        }
      }
    }
    return true;
  }

  // --- either direction ----------------------------------------------------------------

  /** Whether an in-dialog message belongs to this call (§12.2.2: Call-ID and our tag). */
  isOurs(message: SipRequest): boolean {
    if ((getHeader(message, 'call-id') ?? '') !== this.callId) return false;
    try {
      return tagOf(toOf(message)) === this.localTag;
    } catch {
      return false;
    }
  }

  /** A request from the far end in our dialog. */
  inDialog(request: SipRequest, tx: ServerTransaction): boolean {
    if (!this.isOurs(request) || !this.dialog) return false;
    try {
      acceptRemoteRequest(this.dialog, request);
    } catch {
      tx.sendResponse(this.response(request, 500));
      return true;
    }
    switch (request.method) {
      case 'BYE': {
        tx.sendResponse(this.response(request, 200));
        const wasUp = this.state !== 'ended';
        this.end();
        if (wasUp) this.c.events.remoteEnded('bye');
        return true;
      }
      case 'INVITE': {
        // A re-INVITE (hold, a new address): answer with our media and its direction.
        const result = this.answerTo(request);
        if ('error' in result) {
          tx.sendResponse(this.response(request, 488));
          return true;
        }
        tx.sendResponse(this.response(request, 200, [{ name: 'Contact', value: `<${this.c.sip.contactUri(this.c.username)}>` }, { name: 'Content-Type', value: 'application/sdp' }], Buffer.from(result.sdp)));
        this.c.events.answered(result.media);
        return true;
      }
      default:
        tx.sendResponse(this.response(request, request.method === 'OPTIONS' ? 200 : 405));
        return true;
    }
  }

  /** The phone hung up on an established call: BYE (§15.1.1). */
  hangup(): void {
    if (this.state === 'ended') return;
    const dialog = this.dialog;
    if (dialog && (this.state === 'confirmed' || this.state === 'answered')) {
      const bye = inDialogRequest(dialog, 'BYE', { via: this.c.sip.via(), headers: [{ name: 'User-Agent', value: USER_AGENT }] });
      // The call is over for us whatever the answer: nothing to wait for.
      this.c.sip.sendRequest(bye, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
    } else if (this.direction === 'outgoing') {
      this.cancel();
    } else {
      this.reject(480);
    }
    this.end();
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  private end(): void {
    this.state = 'ended';
    this.retransmitter?.stop();
  }

  private respond(status: number): void {
    if (this.invite) this.serverTx?.sendResponse(this.response(this.invite, status));
  }

  private response(request: SipRequest, status: number, headers: Header[] = [], body?: Buffer): SipResponse {
    // §12.1.1: responses that establish a dialog copy the Record-Route set.
    const recordRoute = status > 100 && status < 300 ? getHeaderValues(request, 'record-route').map((value) => ({ name: 'Record-Route', value })) : [];
    const res = createResponse(request, status, undefined, { toTag: this.localTag, headers: [...recordRoute, ...headers, { name: 'Server', value: USER_AGENT }] });
    if (body === undefined) return res;
    const headersWithLength = res.headers.map((h) => (h.name.toLowerCase() === 'content-length' ? { name: h.name, value: String(body.length) } : h));
    return { ...res, headers: headersWithLength, body };
  }
}
