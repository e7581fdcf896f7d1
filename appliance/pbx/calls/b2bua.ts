/**
 * The B2BUA: owns the calls in progress, finds the call a request belongs to by its
 * dialog (Call-ID + our tag, RFC 3261 §12.2.2), and writes one call record per call.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../sip/clock';
import { dialogKey, inDialogRequest, type Dialog } from '../../sip/dialog/dialog';
import type { SipLogger } from '../../sip/logger';
import { cseqOf } from '../../sip/message/headers/cseq';
import { contactsOf, fromOf, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type SipRequest, type SipResponse } from '../../sip/message/message';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server';
import type { ServerTransaction } from '../../sip/transaction/layer';
import { newBranch } from '../../sip/transaction/match';
import type { Flow } from '../../sip/transport/flow';
import type { Extension } from '../../config/schema';
import type { ActiveCallView, CallRecord } from '../cdr/record';
import { Call, type CallDirectory, type CallerParty, type CallNetwork, type LegSide } from './call';

export interface B2buaOptions {
  clock: Clock;
  net: CallNetwork;
  directory: CallDirectory;
  logger: SipLogger;
  /** Where finished calls go (the CDR log). */
  records?: { append(record: CallRecord): void };
}

export class B2bua {
  private readonly dialogs = new Map<string, { call: Call; side: LegSide }>();
  private readonly invites = new Map<InviteServerTransaction, Call>();
  private readonly calls = new Set<Call>();

  constructor(private readonly o: B2buaOptions) {}

  /**
   * A new call: from an authenticated extension, or (with `inbound`) from a trunk, to
   * what was dialled; `ring` names the extension when it differs (a DID's mapping).
   */
  startCall(
    invite: SipRequest,
    tx: InviteServerTransaction,
    flow: Flow,
    caller: Extension | CallerParty,
    dialled: string,
    opts: { ring?: string; inbound?: boolean } = {},
  ): void {
    const party: CallerParty = 'maxContacts' in caller ? { number: caller.number, displayName: caller.displayName, extension: caller } : caller;
    const call = new Call({
      id: randomBytes(8).toString('hex'),
      invite,
      tx,
      flow,
      caller: party,
      dialled,
      ...opts,
      clock: this.o.clock,
      net: this.o.net,
      directory: this.o.directory,
      logger: this.o.logger,
      hooks: {
        index: (key, c, side) => this.dialogs.set(key, { call: c, side }),
        unindex: (key) => this.dialogs.delete(key),
        ended: (c, record) => this.ended(c, tx, record),
      },
    });
    this.calls.add(call);
    this.invites.set(tx, call);
    call.start();
  }

  /** Whether a request with a To tag belongs to a call we know (else it gets 481). */
  hasDialog(request: SipRequest): boolean {
    return this.lookup(request) !== undefined;
  }

  /** A request inside a call's dialog; false when it matches no call. */
  request(request: SipRequest, tx: ServerTransaction, flow: Flow): boolean {
    const found = this.lookup(request);
    if (!found) return false;
    found.call.request(request, tx, found.side, flow);
    return true;
  }

  /** An ACK that matched no transaction: the ACK for a 2xx (§13.2.2.4), for its call. */
  ack(ack: SipRequest): void {
    const found = this.lookup(ack);
    found?.call.ack(ack, found.side);
  }

  /** CANCEL for an INVITE server transaction: true when a call (or its re-INVITE) took it. */
  cancel(invite: InviteServerTransaction): boolean {
    const call = this.invites.get(invite);
    if (call) {
      call.cancel();
      return true;
    }
    for (const c of this.calls) if (c.cancelRelayed(invite)) return true;
    return false;
  }

  /**
   * A 2xx to one of our INVITEs after its transaction ended (Timer M): ACK it
   * (§13.2.2.4) and, unless it is the answer of a call still up, hang it up.
   */
  strayAnswer(res: SipResponse, flow: Flow): void {
    const dialog = dialogOfStray(res);
    if (!dialog) return;
    try {
      this.o.net.send(inDialogRequest(dialog, 'ACK', { via: `${this.o.net.via(flow)};branch=${newBranch()}`, cseq: dialog.localSeq }), flow);
      if (this.dialogs.has(dialogKey(dialog.callId, dialog.localTag))) return;
      const bye = inDialogRequest(dialog, 'BYE', { via: this.o.net.via(flow) });
      this.o.net.sendRequest(bye, flow, { onResponse() {}, onTimeout() {}, onTransportError() {} });
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message }, 'ACK/BYE for a stray 2xx not sent');
    }
  }

  list(): ActiveCallView[] {
    return [...this.calls].filter((c) => c.currentState !== 'ended').map((c) => c.view());
  }

  get size(): number {
    return this.calls.size;
  }

  /** Shutdown: every call is hung up (BYE both sides, 503 while ringing) and recorded. */
  hangupAll(): void {
    for (const call of [...this.calls]) call.hangup();
  }

  private lookup(request: SipRequest): { call: Call; side: LegSide } | undefined {
    let tag: string | undefined;
    try {
      tag = tagOf(toOf(request));
    } catch {
      return undefined;
    }
    if (tag === undefined) return undefined;
    return this.dialogs.get(dialogKey(getHeader(request, 'call-id') ?? '', tag));
  }

  private ended(call: Call, tx: InviteServerTransaction, record: CallRecord): void {
    this.calls.delete(call);
    this.invites.delete(tx);
    this.o.records?.append(record);
  }
}

/** The dialog a stray 2xx describes, seen from our side (we sent the INVITE). */
function dialogOfStray(res: SipResponse): Dialog | undefined {
  try {
    const contacts = contactsOf(res);
    if (contacts === '*' || contacts.length === 0) return undefined;
    return {
      callId: getHeader(res, 'call-id') ?? '',
      localTag: tagOf(fromOf(res)) ?? '',
      remoteTag: tagOf(toOf(res)) ?? '',
      localParty: getHeader(res, 'from') ?? '',
      remoteParty: getHeader(res, 'to') ?? '',
      remoteTarget: contacts[0]!.uri,
      routeSet: getHeaderValues(res, 'record-route').reverse(),
      localSeq: cseqOf(res).seq,
      remoteSeq: undefined,
    };
  } catch {
    return undefined;
  }
}
