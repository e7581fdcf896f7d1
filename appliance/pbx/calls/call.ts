/**
 * One call through the B2BUA: the caller's leg (we are its UAS), the legs we place
 * towards the callee's contacts (we are their UAC, one fork per contact), forwarding
 * between targets, and, once answered, the relay of in-dialog requests between the
 * two dialogs until one side hangs up.
 *
 *   routing ──ring(target)──► ringing ──2xx from a fork──► answered ──BYE/timer──► ended
 *      │                        │  │                                            ▲
 *      │                        │  └─busy / no answer / unavailable / 3xx──► forward ─┐
 *      └────────────────────────┴──── final failure, CANCEL ──────────────────────────┘
 */
import type { Clock, TimerHandle } from '../../sip/clock';
import { acceptRemoteRequest, acceptTargetRefresh, DialogError, dialogKey, inDialogRequest, uacDialog, uasDialog, type Dialog } from '../../sip/dialog/dialog';
import { SuccessRetransmitter } from '../../sip/dialog/success-retransmitter';
import type { SipLogger } from '../../sip/logger';
import { buildCancel, createResponse, newCallId, newTag, reasonPhrase } from '../../sip/message/build';
import { cseqOf } from '../../sip/message/headers/cseq';
import { contactsOf, fromOf, maxForwardsOf, tagOf, toOf } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type Header, type SipMessage, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseUri } from '../../sip/message/uri';
import type { ClientTransaction, ClientTransactionUser, ServerTransaction } from '../../sip/transaction/layer';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server';
import { newBranch } from '../../sip/transaction/match';
import type { Flow } from '../../sip/transport/flow';
import type { Extension } from '../../config/schema';
import type { Binding } from '../registrar/location-store';
import type { ActiveCallView, CallDisposition, CallRecord, ForwardHop, ForwardReason } from '../cdr/record';
import { VERSION } from '../../version';
import { answerChallenge, type ClientCredentials } from '../../sip/auth/digest-client';
import { diversionHeaders, forwardingCallInfo, historyInfoHeader } from './forwarding';
import { relayedRequestHeaders, relayedResponseHeaders } from './relay';

/** How a call reaches the network; the SIP service implements it over its transaction layer. */
export interface CallNetwork {
  /** A client transaction for `request` over `flow` (the layer adds the Via branch). */
  sendRequest(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction;
  /** Sends without a transaction: ACK for a 2xx, 2xx retransmissions. Throws on failure. */
  send(message: SipMessage, flow: Flow): void;
  /** Our Via for requests on this flow, without branch: `SIP/2.0/UDP host:port;rport`. */
  via(flow: Flow): string;
  /** Our Contact for dialogs on this flow: `<sip:edgesip@host:port;transport=…>`. */
  contact(flow: Flow): string;
  readonly t1: number;
  readonly t2: number;
}

/** Who placed the call: an extension (digest-authenticated), or a party on a trunk. */
export interface CallerParty {
  number: string;
  displayName: string;
  /** The calling extension; its permission class decides which numbers it may dial. */
  extension?: Extension;
  /** The trunk an inbound call came in on. */
  trunk?: string;
}

/** One trunk as a call sees it: where to send, how to address, how to authenticate. */
export interface TrunkDialer {
  readonly name: string;
  /** The provider's targets (RFC 3263), in failover order, as flows to send on. */
  targets(): Promise<Flow[]>;
  /** Request-URI, From (without tag), To and extra headers (P-Asserted-Identity) for `number`. */
  addressing(number: string, caller: CallerParty): { uri: string; from: string; to: string; headers: Header[] };
  /** The account that answers the provider's 401/407, if it has one. */
  credentials(): ClientCredentials | undefined;
}

/** Where a number that is no extension goes (the dial plan's answer). */
export interface OutboundRoute {
  /** The number to send, after the rule's strip and prefix. */
  number: string;
  /** Trunks in failover order (next one on 5xx, 408 or no answer at all). */
  trunks: TrunkDialer[];
}

/** What a call needs to know about extensions, their phones, and the way out. */
export interface CallDirectory {
  extension(number: string): Extension | undefined;
  bindings(aor: string): Binding[];
  limits(): { maxForwardHops: number; maxRingSeconds: number };
  /** The dial plan: a route, 'forbidden' (the caller's class does not allow it), or undefined (no rule). */
  outbound?(number: string, caller: CallerParty): OutboundRoute | 'forbidden' | undefined;
}

export type LegSide = 'caller' | 'callee';

/** What a call tells the B2BUA that owns it. */
export interface CallHooks {
  /** Requests arriving with this dialog key (Call-ID + our tag) belong to this call's side. */
  index(key: string, call: Call, side: LegSide): void;
  unindex(key: string): void;
  ended(call: Call, record: CallRecord): void;
}

export interface CallOptions {
  id: string;
  invite: SipRequest;
  tx: InviteServerTransaction;
  flow: Flow;
  caller: CallerParty;
  /** The extension to ring when it is not what was dialled (a DID mapped by the inbound rules). */
  ring?: string;
  /** Trunk for calls that came in on one (the call record's route). */
  inbound?: boolean;
  /** The user part of the Request-URI: what the caller dialled. */
  dialled: string;
  clock: Clock;
  net: CallNetwork;
  directory: CallDirectory;
  hooks: CallHooks;
  logger: SipLogger;
}

export type CallState = 'routing' | 'ringing' | 'answered' | 'ended';

/** One outgoing INVITE to one registered contact of the current target. */
interface Fork {
  readonly attempt: Attempt;
  readonly flow: Flow;
  readonly request: SipRequest;
  readonly key: string;
  tx: ClientTransaction | undefined;
  /** A provisional arrived, so a CANCEL may be sent (§9.1). */
  provisional: boolean;
  /** CANCEL wanted but not yet allowed; sent on the first provisional. */
  cancelWanted: Header[] | undefined;
  cancelled: boolean;
  /** Final status (408 for a timeout, 503 for a transport failure); undefined while live. */
  final: number | undefined;
  /** To tags of 2xx answered with ACK+BYE (late answers from losing forks). */
  rejectedTags: Set<string>;
  /** Challenges answered on this leg (a trunk's 401/407); a second one means wrong credentials. */
  authTries: number;
}

/** Dialling out: the route, which trunk and which of its targets is being tried. */
interface TrunkProgress {
  readonly route: OutboundRoute;
  trunk: number;
  targets: Flow[];
  next: number;
  /** The last failure, what the caller hears when every trunk failed. */
  lastStatus: number;
}

/** Ringing one target (an extension's phones, or a trunk): its legs and timers. */
interface Attempt {
  /** The extension rung; undefined when dialling out on a trunk. */
  readonly target: Extension | undefined;
  readonly trunk?: TrunkProgress;
  readonly forks: Fork[];
  ringTimer: TimerHandle | undefined;
  silenceTimer: TimerHandle | undefined;
  /** Ringing ends by forwarding (forward.noAnswer set) rather than with 480. */
  readonly forwardsOnNoAnswer: boolean;
  launching: boolean;
}

/** One side of the established call. */
interface Leg {
  readonly side: LegSide;
  readonly dialog: Dialog;
  readonly flow: Flow;
}

/** An in-dialog request relayed from one leg to the other, waiting for its answer. */
interface Relay {
  readonly from: Leg;
  readonly to: Leg;
  readonly serverTx: ServerTransaction;
  readonly request: SipRequest;
  clientTx: ClientTransaction | undefined;
  provisional: boolean;
  cancelWanted: boolean;
  /** The ACK sent for a relayed re-INVITE's 2xx, resent when that 2xx is retransmitted. */
  ack?: SipRequest;
}

/** A 2xx to an INVITE relayed to `from`, waiting for its ACK to pass on to `to`. */
interface PendingAck {
  readonly from: Leg;
  readonly to: Leg;
  readonly cseq: number;
  readonly toCseq: number;
  readonly retransmitter: SuccessRetransmitter;
  /** The relayed re-INVITE this 2xx answers (undefined for the call's first INVITE). */
  readonly relay?: Relay;
}

export class Call {
  readonly id: string;
  readonly caller: CallerParty;
  readonly dialled: string;
  readonly startedAt: number;
  private state: CallState = 'routing';
  private readonly invite: SipRequest;
  private readonly tx: InviteServerTransaction;
  private readonly flow: Flow;
  private readonly tag = newTag();
  private readonly domain: string;
  private readonly maxForwards: number;
  private readonly chain: ForwardHop[] = [];
  private readonly visited = new Set<string>();
  private attempt: Attempt | undefined;
  private target: string;
  private answeredAt: number | undefined;
  private answeredBy: string | undefined;
  private routeKind: 'local' | 'trunk';
  private callerLeg: Leg | undefined;
  private calleeLeg: Leg | undefined;
  /** The ACK sent to the callee for its 2xx, resent when that 2xx is retransmitted. */
  private calleeAck: SipRequest | undefined;
  private inviteAck: PendingAck | undefined;
  private reinviteAck: PendingAck | undefined;
  private readonly relays = new Set<Relay>();
  private sessionTimer: TimerHandle | undefined;
  private readonly keys = new Set<string>();

  constructor(private readonly o: CallOptions) {
    this.id = o.id;
    this.caller = o.caller;
    this.dialled = o.dialled;
    this.invite = o.invite;
    this.tx = o.tx;
    this.flow = o.flow;
    this.target = o.dialled;
    this.routeKind = o.inbound ? 'trunk' : 'local';
    this.startedAt = o.clock.now();
    const uri = parseUri(o.invite.uri);
    this.domain = uri.kind === 'sip' ? uri.host : 'localhost';
    // A B2BUA is a new UAC, but Max-Forwards still protects against loops through
    // other servers (RFC 3261 §16.6 step 3 applied per leg): one less than received.
    this.maxForwards = Math.min(70, (maxForwardsOf(o.invite) ?? 70) - 1);
  }

  get currentState(): CallState {
    return this.state;
  }

  /** Route the call to the dialled extension. */
  start(): void {
    this.index(dialogKey(getHeader(this.invite, 'call-id') ?? '', this.tag), 'caller');
    try {
      // §12.1.1: the caller's dialog needs exactly one Contact. Checked before ringing
      // anyone: found only at the answer, the call could never be connected.
      uasDialog(this.invite, this.tag);
    } catch (err) {
      this.fail(err instanceof DialogError ? err.status : 400, 'failed');
      return;
    }
    const ext = this.o.directory.extension(this.o.ring ?? this.dialled);
    if (ext) {
      this.visited.add(ext.number);
      this.ring(ext);
      return;
    }
    if (this.o.inbound) {
      this.fail(404, 'failed');
      return;
    }
    // Not an extension: the dial plan decides (a trunk, or 403/404).
    const route = this.outboundRoute(this.dialled, this.caller);
    if (route) this.dialOut(route);
  }

  /** The dial plan's route for `number`, or undefined after answering the caller 403/404. */
  private outboundRoute(number: string, party: CallerParty): OutboundRoute | undefined {
    const route = this.o.directory.outbound?.(number, party);
    if (route === 'forbidden') {
      this.o.logger.info({ call: this.id, caller: party.number, number }, 'call refused: the call class is not allowed for the extension');
      this.fail(403, 'failed', 'Call Class Not Allowed');
      return undefined;
    }
    if (!route || route.trunks.length === 0) {
      this.fail(404, 'failed');
      return undefined;
    }
    return route;
  }

  view(): ActiveCallView {
    const now = this.o.clock.now();
    return {
      id: this.id,
      caller: this.caller.number,
      callee: this.dialled,
      target: this.target,
      state: this.state === 'answered' ? 'answered' : 'ringing',
      forwarded: [...this.chain],
      start: iso(this.startedAt),
      ...(this.answeredAt !== undefined ? { answer: iso(this.answeredAt) } : {}),
      durationSeconds: this.answeredAt === undefined ? 0 : Math.round((now - this.answeredAt) / 1000),
    };
  }

  // --- routing and forwarding ------------------------------------------------------

  private ring(target: Extension): void {
    this.target = target.number;
    this.state = 'ringing';
    if (target.forward.always) {
      this.forward(target, 'unconditional', target.forward.always);
      return;
    }
    const bindings = this.o.directory.bindings(target.number);
    if (bindings.length === 0) {
      this.unavailable(target);
      return;
    }
    const forwardsOnNoAnswer = target.forward.noAnswer !== '';
    const attempt: Attempt = { target, forks: [], ringTimer: undefined, silenceTimer: undefined, forwardsOnNoAnswer, launching: true };
    this.routeKind = this.o.inbound ? 'trunk' : 'local';
    this.attempt = attempt;
    const seconds = forwardsOnNoAnswer ? target.forward.noAnswerSeconds : this.o.directory.limits().maxRingSeconds;
    attempt.ringTimer = this.o.clock.setTimer(seconds * 1000, () => this.noAnswer(attempt));
    attempt.silenceTimer = this.o.clock.setTimer(SILENT_PHONE_MS, () => this.silentForks(attempt));
    // Parallel forking (RFC 3261 §16.6/§16.7 as a B2BUA does it): every contact at once.
    for (const binding of bindings) {
      if (this.attempt !== attempt) break;
      attempt.forks.push(this.startFork(attempt, binding));
    }
    attempt.launching = false;
    if (this.attempt === attempt) this.checkAttempt(attempt);
  }

  /** Forward from `from` to `to` for `reason`: 181 to the caller, then ring the new target. */
  private forward(from: Extension, reason: ForwardReason, to: string): void {
    const hop: ForwardHop = { from: from.number, to, reason };
    const limit = this.o.directory.limits().maxForwardHops;
    if (this.visited.has(to)) {
      this.o.logger.warn({ call: this.id, chain: [...this.chain, hop] }, 'call forwarding loop stopped');
      this.fail(482, 'failed', 'Forwarding Loop Detected');
      return;
    }
    if (this.chain.length >= limit) {
      this.o.logger.warn({ call: this.id, chain: [...this.chain, hop], limit }, 'call forwarding hop limit reached');
      this.fail(483, 'failed', 'Too Many Forwarding Hops');
      return;
    }
    const next = this.o.directory.extension(to);
    // A number that is no extension goes out like a dialled one, under the class of the
    // extension that forwards (it chose the target); no 181 for a target that cannot ring.
    const route = next ? undefined : this.outboundRoute(to, { number: from.number, displayName: from.displayName, extension: from });
    if (!next && !route) {
      this.o.logger.warn({ call: this.id, from: hop.from, target: to }, 'call forwarding target cannot be reached');
      return;
    }
    this.chain.push(hop);
    this.visited.add(to);
    this.o.logger.debug({ call: this.id, from: hop.from, to, reason }, 'call forwarded');
    this.sendToCaller(this.callerResponse(181, undefined, [forwardingCallInfo(hop)]));
    if (next) this.ring(next);
    else this.dialOut(route!);
  }

  private stopTimers(attempt: Attempt): void {
    this.o.clock.clearTimer(attempt.ringTimer);
    this.o.clock.clearTimer(attempt.silenceTimer);
    attempt.ringTimer = undefined;
    attempt.silenceTimer = undefined;
  }

  private busy(target: Extension, status: number): void {
    if (target.forward.busy) this.forward(target, 'busy', target.forward.busy);
    else this.fail(status, 'busy');
  }

  private unavailable(target: Extension): void {
    if (target.forward.unavailable) this.forward(target, 'unavailable', target.forward.unavailable);
    else this.fail(480, 'failed');
  }

  private noAnswer(attempt: Attempt): void {
    attempt.ringTimer = undefined;
    this.stopTimers(attempt);
    if (this.attempt !== attempt || this.state !== 'ringing') return;
    this.cancelForks(attempt);
    if (attempt.forwardsOnNoAnswer && attempt.target) this.forward(attempt.target, 'no-answer', attempt.target.forward.noAnswer);
    else this.fail(480, 'no-answer');
  }

  /**
   * A registered phone that has not even sent 100 Trying after SILENT_PHONE_MS is
   * unreachable (switched off, gone from the network while its registration runs on):
   * it counts as a 408 at once instead of after Timer B (32 s), so "forward when
   * unavailable" works while the caller still listens. Should it wake up and answer
   * 1xx, it gets a CANCEL; a 2xx, an ACK and a BYE.
   */
  private silentForks(attempt: Attempt): void {
    attempt.silenceTimer = undefined;
    if (this.attempt !== attempt || this.state !== 'ringing') return;
    if (attempt.trunk) {
      // RFC 3263 §4.3: a target that does not answer is skipped for the next one.
      const leg = attempt.forks[attempt.forks.length - 1];
      if (leg && !leg.provisional && leg.final === undefined) {
        leg.final = 408;
        leg.cancelled = true;
        leg.cancelWanted = [];
        this.trunkFailed(attempt, 408);
      }
      return;
    }
    for (const fork of attempt.forks) {
      if (fork.provisional || fork.final !== undefined) continue;
      fork.final = 408;
      fork.cancelled = true;
      fork.cancelWanted = [];
    }
    this.checkAttempt(attempt);
  }

  /** Every fork of the attempt has a final non-2xx answer: decide what the caller hears. */
  private checkAttempt(attempt: Attempt): void {
    if (attempt.launching || this.attempt !== attempt || this.state !== 'ringing' || !attempt.target) return;
    if (attempt.forks.some((f) => f.final === undefined)) return;
    this.stopTimers(attempt);
    this.attempt = undefined;
    const statuses = attempt.forks.map((f) => f.final!);
    // A rejected call (486 Busy Here, 600 Busy Everywhere, 603 Decline) counts as busy:
    // that is what "forward on busy" means to the people who configure it.
    const busy = statuses.find((s) => s === 486 || s === 600 || s === 603);
    if (busy !== undefined) {
      this.busy(attempt.target, busy);
      return;
    }
    if (statuses.every((s) => s === 408 || s === 503 || s === 480)) {
      this.unavailable(attempt.target);
      return;
    }
    this.fail(bestFailure(statuses), 'failed');
  }

  // --- forks (the callee legs) -----------------------------------------------------

  private startFork(attempt: Attempt, binding: Binding): Fork {
    const display = displayPart(this.caller.displayName);
    return this.sendLeg(attempt, binding.flow, {
      uri: binding.contact,
      from: `${display}<sip:${this.caller.number}@${this.domain}>`,
      to: `<sip:${attempt.target!.number}@${this.domain}>`,
      headers: [],
    });
  }

  /**
   * Sends one INVITE leg. `retry` re-sends a leg with credentials: same Call-ID and
   * From tag, the next CSeq (§22.2: "the request MUST use the same Call-ID and From
   * tag... CSeq incremented").
   */
  private sendLeg(
    attempt: Attempt,
    flow: Flow,
    address: { uri: string; from: string; to: string; headers: Header[] },
    retry?: { callId: string; fromTag: string; seq: number; auth: Header; authTries: number },
  ): Fork {
    const callId = retry?.callId ?? newCallId();
    const fromTag = retry?.fromTag ?? newTag();
    const history = historyInfoHeader(this.dialled, this.chain, this.domain);
    const headers: Header[] = [
      { name: 'Via', value: this.o.net.via(flow) },
      { name: 'Max-Forwards', value: String(this.maxForwards) },
      { name: 'From', value: `${address.from};tag=${fromTag}` },
      { name: 'To', value: address.to },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${retry?.seq ?? 1} INVITE` },
      { name: 'Contact', value: this.o.net.contact(flow) },
      { name: 'User-Agent', value: SERVER.value },
      ...address.headers,
      ...(history ? [history] : []),
      ...diversionHeaders(this.chain, this.domain),
      ...relayedRequestHeaders(this.invite),
      ...(retry ? [retry.auth] : []),
      { name: 'Content-Length', value: String(this.invite.body.length) },
    ];
    const request: SipRequest = { kind: 'request', method: 'INVITE', uri: address.uri, headers, body: this.invite.body };
    const fork: Fork = {
      attempt,
      flow,
      request,
      key: dialogKey(callId, fromTag),
      tx: undefined,
      provisional: false,
      cancelWanted: undefined,
      cancelled: false,
      final: undefined,
      rejectedTags: new Set(),
      authTries: retry?.authTries ?? 0,
    };
    this.index(fork.key, 'callee');
    try {
      fork.tx = this.o.net.sendRequest(request, flow, {
        onResponse: (res) => this.forkResponse(fork, res),
        onTimeout: () => this.forkFailed(fork, 408),
        onTransportError: () => this.forkFailed(fork, 503),
        onTerminated: () => {
          // A leg re-sent with credentials shares the key: keep it while that one lives.
          const reused = attempt.forks.some((f) => f !== fork && f.key === fork.key && f.final === undefined);
          if (this.calleeLeg?.dialog.callId !== callId && !reused) this.unindex(fork.key);
        },
      });
    } catch (err) {
      this.o.logger.debug({ call: this.id, err: (err as Error).message }, 'call leg not sent');
      fork.final = 503;
    }
    return fork;
  }

  private forkResponse(fork: Fork, res: SipResponse): void {
    const status = res.status;
    if (status >= 200 && status < 300) {
      this.forkAnswered(fork, res);
      return;
    }
    if (status < 200) {
      // §9.1: any provisional, 100 included, makes CANCEL legal.
      fork.provisional = true;
      if (fork.cancelWanted) {
        this.sendCancel(fork, fork.cancelWanted);
        return;
      }
      if (status === 100) return;
      if (this.attempt === fork.attempt && this.state === 'ringing' && !fork.cancelled) {
        this.sendToCaller(this.callerResponse(status, res.reason, relayedResponseHeaders(res), res.body));
      }
      return;
    }
    fork.final = status;
    if (this.attempt !== fork.attempt || this.state !== 'ringing' || fork.cancelled) return;
    if (fork.attempt.trunk) {
      this.trunkResponse(fork, res);
      return;
    }
    if (status >= 300 && status < 400) {
      const to = redirectTarget(res);
      if (to !== undefined) {
        // A phone's 3xx is a forward it asks us to perform (deflection).
        this.stopTimers(fork.attempt);
        this.cancelForks(fork.attempt);
        this.attempt = undefined;
        this.forward(fork.attempt.target!, 'deflection', to);
        return;
      }
    }
    this.checkAttempt(fork.attempt);
  }

  private forkFailed(fork: Fork, status: number): void {
    if (fork.final !== undefined) return;
    fork.final = status;
    if (fork.attempt.trunk) {
      if (this.attempt === fork.attempt && this.state === 'ringing' && !fork.cancelled) this.trunkFailed(fork.attempt, status);
      return;
    }
    this.checkAttempt(fork.attempt);
  }

  // --- trunks (dialling out) -----------------------------------------------------------

  /** Dial out on the route's trunks, in order, each on its RFC 3263 targets in order. */
  private dialOut(route: OutboundRoute): void {
    this.routeKind = 'trunk';
    this.target = route.number;
    this.state = 'ringing';
    const attempt: Attempt = {
      target: undefined,
      trunk: { route, trunk: -1, targets: [], next: 0, lastStatus: 503 },
      forks: [],
      ringTimer: undefined,
      silenceTimer: undefined,
      forwardsOnNoAnswer: false,
      launching: false,
    };
    this.attempt = attempt;
    attempt.ringTimer = this.o.clock.setTimer(this.o.directory.limits().maxRingSeconds * 1000, () => this.noAnswer(attempt));
    void this.nextTrunkTarget(attempt);
  }

  /** The next target of this trunk, else the next trunk's first; none left: the last failure. */
  private async nextTrunkTarget(attempt: Attempt): Promise<void> {
    const t = attempt.trunk!;
    while (this.attempt === attempt && this.state === 'ringing') {
      const flow = t.targets[t.next];
      if (flow) {
        t.next += 1;
        this.startTrunkLeg(attempt, flow);
        return;
      }
      t.trunk += 1;
      const dialer = t.route.trunks[t.trunk];
      if (!dialer) {
        this.fail(t.lastStatus, 'failed');
        return;
      }
      try {
        t.targets = await dialer.targets();
      } catch (err) {
        this.o.logger.warn({ call: this.id, trunk: dialer.name, err: (err as Error).message }, 'trunk has no reachable target');
        t.targets = [];
      }
      t.next = 0;
    }
  }

  private startTrunkLeg(attempt: Attempt, flow: Flow, retry?: Parameters<Call['sendLeg']>[3]): void {
    const t = attempt.trunk!;
    const dialer = t.route.trunks[t.trunk]!;
    this.o.clock.clearTimer(attempt.silenceTimer);
    attempt.silenceTimer = this.o.clock.setTimer(SILENT_PHONE_MS, () => this.silentForks(attempt));
    const fork = this.sendLeg(attempt, flow, dialer.addressing(t.route.number, this.caller), retry);
    attempt.forks.push(fork);
    if (fork.final !== undefined) this.trunkFailed(attempt, fork.final);
  }

  /** A final non-2xx from the provider: answer a challenge, fail over, or give up. */
  private trunkResponse(fork: Fork, res: SipResponse): void {
    const attempt = fork.attempt;
    const t = attempt.trunk!;
    const status = res.status;
    if ((status === 401 || status === 407) && fork.authTries === 0) {
      // §22.2: answer the challenge once; a second one for the same leg means the
      // credentials are wrong, and is passed on as a failure.
      const creds = t.route.trunks[t.trunk]!.credentials();
      const answer = creds ? answerChallenge(fork.request, res, creds) : undefined;
      if (answer) {
        const callId = getHeader(fork.request, 'call-id') ?? '';
        const fromTag = tagOf(fromOf(fork.request)) ?? '';
        this.startTrunkLeg(attempt, fork.flow, { callId, fromTag, seq: cseqOf(fork.request).seq + 1, auth: answer.header, authTries: 1 });
        return;
      }
    }
    // §21.6: a 6xx is the callee's final word (declined, busy everywhere): no failover.
    if ((status >= 500 && status < 600) || status === 408) {
      this.trunkFailed(attempt, status);
      return;
    }
    if (status === 401 || status === 407) {
      this.o.logger.warn({ call: this.id, trunk: t.route.trunks[t.trunk]!.name, status }, 'trunk refused our credentials');
    }
    const busy = status === 486 || status === 600 || status === 603;
    // A redirect from a provider has nowhere to send our caller (we do not follow it
    // out of the trunk): the caller hears it as unavailable.
    const heard = status === 401 || status === 407 ? 403 : status < 400 ? 480 : status;
    this.fail(heard, busy ? 'busy' : 'failed');
  }

  private trunkFailed(attempt: Attempt, status: number): void {
    attempt.trunk!.lastStatus = status === 408 ? 408 : 503;
    this.o.clock.clearTimer(attempt.silenceTimer);
    attempt.silenceTimer = undefined;
    void this.nextTrunkTarget(attempt);
  }

  private forkAnswered(fork: Fork, res: SipResponse): void {
    const tag = tagOf(toOf(res)) ?? '';
    if (this.calleeLeg && this.calleeLeg.dialog.callId === getHeader(res, 'call-id') && this.calleeLeg.dialog.remoteTag === tag) {
      // A retransmitted 2xx (our ACK was lost): ACK again (§13.2.2.4).
      if (this.calleeAck) this.trySend(this.calleeAck, fork.flow);
      return;
    }
    if (this.state !== 'ringing' || this.attempt !== fork.attempt || fork.cancelled) {
      // Another fork won, the caller gave up, or we forwarded: this answer comes too late.
      this.rejectAnswer(fork, res, tag);
      return;
    }
    let dialog: Dialog;
    try {
      dialog = uacDialog(fork.request, res);
    } catch (err) {
      this.o.logger.debug({ call: this.id, err: (err as Error).message }, 'unusable 2xx from callee');
      this.rejectAnswer(fork, res, tag, fork.request.uri);
      return;
    }
    const attempt = fork.attempt;
    this.stopTimers(attempt);
    this.attempt = undefined;
    this.cancelForks(attempt, fork, [{ name: 'Reason', value: 'SIP;cause=200;text="Call completed elsewhere"' }]);
    this.state = 'answered';
    this.answeredAt = this.o.clock.now();
    this.answeredBy = attempt.target?.number ?? attempt.trunk?.route.number;
    this.calleeLeg = { side: 'callee', dialog, flow: fork.flow };
    this.callerLeg = { side: 'caller', dialog: uasDialog(this.invite, this.tag), flow: this.flow };
    const ok = this.callerResponse(res.status, res.reason, relayedResponseHeaders(res), res.body);
    this.tx.sendResponse(ok);
    this.inviteAck = this.awaitAck(this.callerLeg, this.calleeLeg, cseqOf(this.invite).seq, cseqOf(fork.request).seq, ok);
    this.armSessionTimer(res);
    this.o.logger.debug({ call: this.id, by: this.answeredBy }, 'call answered');
  }

  /** ACK and BYE a 2xx that lost the race (§16.7 leaves the UAC to end such dialogs). */
  private rejectAnswer(fork: Fork, res: SipResponse, tag: string, target?: string): void {
    let dialog: Dialog;
    try {
      dialog = uacDialog(fork.request, res);
    } catch {
      dialog = { ...uacDialogFallback(fork.request, res), remoteTarget: target ?? fork.request.uri };
    }
    const ack = inDialogRequest(dialog, 'ACK', { via: this.branchVia(fork.flow), cseq: cseqOf(fork.request).seq });
    this.trySend(ack, fork.flow);
    if (fork.rejectedTags.has(tag)) return;
    fork.rejectedTags.add(tag);
    const bye = inDialogRequest(dialog, 'BYE', { via: this.o.net.via(fork.flow), headers: [{ name: 'Reason', value: 'SIP;cause=200;text="Call completed elsewhere"' }] });
    this.sendQuietly(bye, fork.flow);
  }

  /** CANCEL every live fork of the attempt except `keep` (§9.1: only after a provisional). */
  private cancelForks(attempt: Attempt, keep?: Fork, reason: Header[] = []): void {
    for (const fork of attempt.forks) {
      if (fork === keep || fork.final !== undefined || fork.cancelled) continue;
      fork.cancelled = true;
      if (fork.provisional) this.sendCancel(fork, reason);
      else fork.cancelWanted = reason;
    }
  }

  private sendCancel(fork: Fork, reason: Header[]): void {
    fork.cancelWanted = undefined;
    this.sendQuietly(buildCancel(fork.request, reason), fork.flow);
  }


  // --- the caller's side -----------------------------------------------------------

  /** The caller sent CANCEL (the INVITE server transaction is still Proceeding). */
  cancel(): void {
    if (this.state !== 'routing' && this.state !== 'ringing') return;
    this.o.logger.debug({ call: this.id }, 'call cancelled by the caller');
    this.fail(487, 'cancelled');
  }

  /** An ACK with our tag from the caller, or (after a relayed re-INVITE) from either side. */
  ack(ack: SipRequest, side: LegSide): void {
    let seq: number;
    try {
      seq = cseqOf(ack).seq;
    } catch {
      return;
    }
    for (const pending of [this.inviteAck, this.reinviteAck]) {
      if (!pending || pending.from.side !== side || pending.cseq !== seq) continue;
      pending.retransmitter.stop();
      if (pending === this.inviteAck) this.inviteAck = undefined;
      else this.reinviteAck = undefined;
      // End-to-end ACK: an answer to a late offer (SDP in the ACK) reaches the callee.
      const contentType = getHeader(ack, 'content-type');
      const ackOut = inDialogRequest(pending.to.dialog, 'ACK', {
        via: this.branchVia(pending.to.flow),
        cseq: pending.toCseq,
        headers: contentType && ack.body.length > 0 ? [{ name: 'Content-Type', value: contentType }] : [],
        body: ack.body,
      });
      if (pending.relay) pending.relay.ack = ackOut;
      else if (pending.to.side === 'callee' && pending.toCseq === this.calleeLeg?.dialog.localSeq) this.calleeAck = ackOut;
      this.trySend(ackOut, pending.to.flow);
      return;
    }
  }

  /** A request inside one of the call's dialogs (not ACK, not CANCEL). */
  request(req: SipRequest, tx: ServerTransaction, side: LegSide, flow: Flow): void {
    const from = side === 'caller' ? this.callerLeg : this.calleeLeg;
    const to = side === 'caller' ? this.calleeLeg : this.callerLeg;
    if (this.state !== 'answered' || !from || !to || !sameDialog(from, req)) {
      // Early dialogs carry nothing we relay (no PRACK, see relay.ts; UPDATE before the
      // answer is refused the same way).
      tx.sendResponse(this.plainResponse(req, 481, from?.dialog.localTag ?? this.tag));
      return;
    }
    if (flow.remote.address !== from.flow.remote.address) {
      // The dialog identifiers are secret enough, but a request for it from another
      // address is not the phone we talk to.
      tx.sendResponse(this.plainResponse(req, 403, from.dialog.localTag));
      return;
    }
    try {
      acceptRemoteRequest(from.dialog, req);
    } catch (err) {
      const status = err instanceof DialogError ? err.status : 400;
      tx.sendResponse(this.plainResponse(req, status, from.dialog.localTag));
      return;
    }
    switch (req.method) {
      case 'BYE':
        // §15.1.2: answer the BYE at once; the other side gets its own BYE.
        tx.sendResponse(this.plainResponse(req, 200, from.dialog.localTag));
        this.sendBye(to, relayedRequestHeaders(req).filter((h) => h.name.toLowerCase() === 'reason'));
        this.end(side, 200);
        return;
      case 'INVITE':
        // §14.2: one INVITE at a time per dialog pair; the other gets 491.
        if (this.reinviteAck || [...this.relays].some((r) => r.request.method === 'INVITE')) {
          tx.sendResponse(this.plainResponse(req, 491, from.dialog.localTag));
          return;
        }
        this.relay(req, tx, from, to);
        return;
      default:
        this.relay(req, tx, from, to);
    }
  }

  /** CANCEL of a relayed re-INVITE: pass it on end to end (the 487 comes back the same way). */
  cancelRelayed(invite: ServerTransaction): boolean {
    for (const relay of this.relays) {
      if (relay.serverTx !== invite) continue;
      if (relay.clientTx && relay.provisional) this.cancelRelay(relay);
      else relay.cancelWanted = true;
      return true;
    }
    return false;
  }

  /** Hang up from outside (shutdown, admin): BYE to both sides, or 503 while ringing. */
  hangup(): void {
    if (this.state === 'answered') {
      const reason = [{ name: 'Reason', value: 'SIP;cause=503;text="Service shutting down"' }];
      if (this.callerLeg) this.sendBye(this.callerLeg, reason);
      if (this.calleeLeg) this.sendBye(this.calleeLeg, reason);
      this.end('system', 200);
    } else if (this.state !== 'ended') {
      this.fail(503, 'failed');
    }
  }

  // --- relaying in-dialog requests --------------------------------------------------

  private relay(req: SipRequest, tx: ServerTransaction, from: Leg, to: Leg): void {
    const headers = relayedRequestHeaders(req);
    if (req.method === 'INVITE' || req.method === 'UPDATE') headers.unshift({ name: 'Contact', value: this.o.net.contact(to.flow) });
    const out = inDialogRequest(to.dialog, req.method, {
      via: this.o.net.via(to.flow),
      maxForwards: Math.min(70, (safe(() => maxForwardsOf(req)) ?? 70) - 1),
      headers,
      body: req.body,
    });
    const relay: Relay = { from, to, serverTx: tx, request: out, clientTx: undefined, provisional: false, cancelWanted: false };
    this.relays.add(relay);
    const done = (res: SipResponse | number): void => {
      if (!this.relays.delete(relay)) return;
      this.relayAnswer(relay, req, res);
    };
    try {
      relay.clientTx = this.o.net.sendRequest(out, to.flow, {
        onResponse: (res) => {
          if (res.status < 200) {
            relay.provisional = true;
            if (relay.cancelWanted) this.cancelRelay(relay);
            return;
          }
          // A retransmitted 2xx to a relayed re-INVITE (our ACK was lost): ACK again (§13.2.2.4).
          if (relay.ack && res.status < 300) {
            this.trySend(relay.ack, to.flow);
            return;
          }
          done(res);
        },
        onTimeout: () => done(408),
        onTransportError: () => done(503),
      });
    } catch {
      done(503);
    }
  }

  private relayAnswer(relay: Relay, req: SipRequest, res: SipResponse | number): void {
    const { from, to } = relay;
    if (this.state === 'ended') return;
    if (typeof res === 'number') {
      relay.serverTx.sendResponse(this.plainResponse(req, res, from.dialog.localTag));
    } else {
      const success = res.status < 300;
      if (success && (req.method === 'INVITE' || req.method === 'UPDATE')) {
        try {
          acceptTargetRefresh(to.dialog, res);
        } catch {
          // A 2xx with a broken Contact keeps the old target; the answer still goes back.
        }
      }
      const headers = relayedResponseHeaders(res);
      if (success && (req.method === 'INVITE' || req.method === 'UPDATE')) headers.unshift({ name: 'Contact', value: this.o.net.contact(from.flow) });
      const answer = this.build(req, res.status, res.reason, from.dialog.localTag, headers, res.body);
      relay.serverTx.sendResponse(answer);
      if (success && req.method === 'INVITE') {
        this.reinviteAck = this.awaitAck(from, to, cseqOf(req).seq, cseqOf(relay.request).seq, answer, relay);
      }
      if (success && (req.method === 'INVITE' || req.method === 'UPDATE')) this.armSessionTimer(res);
    }
    // RFC 5057 §5.1: 481 (or a timeout) to a request in the dialog means the dialog is gone.
    const status = typeof res === 'number' ? res : res.status;
    if (status === 481 || status === 408) {
      this.sendBye(from, [{ name: 'Reason', value: `SIP;cause=${status}` }]);
      this.end('system', 200);
    }
  }

  private cancelRelay(relay: Relay): void {
    relay.cancelWanted = false;
    this.sendQuietly(buildCancel(relay.request, []), relay.to.flow);
  }


  /** Send a 2xx-to-INVITE's retransmissions until the ACK (§13.3.1.4); no ACK ends the call. */
  private awaitAck(from: Leg, to: Leg, cseq: number, toCseq: number, answer: SipResponse, relay?: Relay): PendingAck {
    const retransmitter = new SuccessRetransmitter(this.o.clock, {
      reliable: from.flow.transport !== 'UDP',
      t1: this.o.net.t1,
      t2: this.o.net.t2,
      resend: () => this.trySend(answer, from.flow),
      onNoAck: () => {
        this.o.logger.debug({ call: this.id, side: from.side }, 'no ACK for 2xx: ending the call');
        this.sendBye(from, []);
        this.sendBye(to, [{ name: 'Reason', value: 'SIP;cause=408;text="No ACK"' }]);
        this.end('system', 200);
      },
    });
    return { from, to, cseq, toCseq, retransmitter, ...(relay ? { relay } : {}) };
  }

  // --- session timers (RFC 4028) ----------------------------------------------------

  /**
   * RFC 4028 §10: the session ends unless refreshed within Session-Expires; a B2BUA that
   * sees no refresh sends BYE "before the session expiration", at expiry minus the
   * smaller of 32 seconds and a third of the interval. A 2xx without Session-Expires
   * means no session timer.
   */
  private armSessionTimer(res: SipResponse): void {
    this.o.clock.clearTimer(this.sessionTimer);
    this.sessionTimer = undefined;
    const value = getHeader(res, 'session-expires');
    const seconds = value === undefined ? NaN : Number(value.split(';')[0]!.trim());
    if (!Number.isInteger(seconds) || seconds <= 0) return;
    const ms = seconds * 1000 - Math.min(32_000, (seconds * 1000) / 3);
    this.sessionTimer = this.o.clock.setTimer(Math.max(ms, 1000), () => {
      this.o.logger.info({ call: this.id, sessionExpires: seconds }, 'call ended: session not refreshed');
      const reason = [{ name: 'Reason', value: 'SIP;cause=408;text="Session expired"' }];
      if (this.callerLeg) this.sendBye(this.callerLeg, reason);
      if (this.calleeLeg) this.sendBye(this.calleeLeg, reason);
      this.end('system', 200);
    });
  }

  // --- ending ----------------------------------------------------------------------

  /** Answer the caller with a final failure and end the call. */
  private fail(status: number, disposition: CallDisposition, reason?: string): void {
    if (this.state === 'ended' || this.state === 'answered') return;
    if (this.attempt) {
      this.stopTimers(this.attempt);
      this.cancelForks(this.attempt);
      this.attempt = undefined;
    }
    this.tx.sendResponse(this.callerResponse(status, reason));
    this.finish(disposition, status, status === 487 ? 'caller' : 'system');
  }

  private end(endedBy: LegSide | 'system', status: number): void {
    if (this.state !== 'answered') return;
    this.finish('answered', status, endedBy);
  }

  private finish(disposition: CallDisposition, sipCode: number, endedBy: LegSide | 'system'): void {
    this.state = 'ended';
    this.o.clock.clearTimer(this.sessionTimer);
    this.inviteAck?.retransmitter.stop();
    this.reinviteAck?.retransmitter.stop();
    // §15.1.2: requests still pending in the dialogs get an answer (487) when the call ends.
    for (const relay of this.relays) relay.serverTx.sendResponse(this.plainResponse(relay.serverTx.request, 487, relay.from.dialog.localTag));
    this.relays.clear();
    for (const key of this.keys) this.o.hooks.unindex(key);
    this.keys.clear();
    const end = this.o.clock.now();
    const record: CallRecord = {
      id: this.id,
      callId: getHeader(this.invite, 'call-id') ?? '',
      caller: this.caller.number,
      ...(this.caller.displayName ? { callerName: this.caller.displayName } : {}),
      callee: this.dialled,
      ...(this.answeredBy !== undefined ? { answeredBy: this.answeredBy } : {}),
      forwarded: [...this.chain],
      route: this.routeKind,
      start: iso(this.startedAt),
      ...(this.answeredAt !== undefined ? { answer: iso(this.answeredAt) } : {}),
      end: iso(end),
      durationSeconds: this.answeredAt === undefined ? 0 : Math.round((end - this.answeredAt) / 1000),
      disposition,
      sipCode,
      endedBy: endedBy === 'caller' ? 'caller' : endedBy === 'callee' ? 'callee' : 'system',
    };
    this.o.hooks.ended(this, record);
  }

  private sendBye(leg: Leg, extra: Header[]): void {
    const bye = inDialogRequest(leg.dialog, 'BYE', { via: this.o.net.via(leg.flow), headers: extra });
    this.sendQuietly(bye, leg.flow);
  }

  // --- message plumbing ------------------------------------------------------------

  /** A response to the caller's INVITE with our tag, Contact and its Record-Route (§12.1.1). */
  private callerResponse(status: number, reason?: string, headers: Header[] = [], body?: Buffer): SipResponse {
    const extra: Header[] = [];
    if (status > 100 && status < 300) {
      for (const rr of getHeaderValues(this.invite, 'record-route')) extra.push({ name: 'Record-Route', value: rr });
      extra.push({ name: 'Contact', value: this.o.net.contact(this.flow) });
    }
    return this.build(this.invite, status, reason, this.tag, [...extra, ...headers], body);
  }

  private plainResponse(req: SipRequest, status: number, tag: string): SipResponse {
    return this.build(req, status, undefined, tag, []);
  }

  private build(req: SipRequest, status: number, reason: string | undefined, tag: string, headers: Header[], body?: Buffer): SipResponse {
    const res = createResponse(req, status, reason ?? reasonPhrase(status), { toTag: tag, headers: [...headers, SERVER] });
    if (body && body.length > 0) {
      res.body = body;
      const at = res.headers.findIndex((h) => h.name === 'Content-Length');
      res.headers[at] = { name: 'Content-Length', value: String(body.length) };
    }
    return res;
  }

  private sendToCaller(res: SipResponse): void {
    this.tx.sendResponse(res);
  }

  private branchVia(flow: Flow): string {
    return `${this.o.net.via(flow)};branch=${newBranch()}`;
  }

  private trySend(message: SipMessage, flow: Flow): void {
    try {
      this.o.net.send(message, flow);
    } catch (err) {
      this.o.logger.debug({ call: this.id, err: (err as Error).message }, 'call message not sent');
    }
  }

  /** A request whose answer changes nothing (BYE, CANCEL): sent in a transaction, outcome ignored. */
  private sendQuietly(request: SipRequest, flow: Flow): void {
    try {
      this.o.net.sendRequest(request, flow, { onResponse() {}, onTimeout() {}, onTransportError() {} });
    } catch (err) {
      this.o.logger.debug({ call: this.id, method: request.method, err: (err as Error).message }, 'call request not sent');
    }
  }

  private index(key: string, side: LegSide): void {
    this.keys.add(key);
    this.o.hooks.index(key, this, side);
  }

  private unindex(key: string): void {
    if (this.keys.delete(key)) this.o.hooks.unindex(key);
  }
}

const SERVER: Header = { name: 'Server', value: `EdgeSIP/${VERSION}` };

/** How long a phone may stay silent (not even 100 Trying) before it counts as unreachable. */
const SILENT_PHONE_MS = 4000;

/**
 * A display name as it goes before `<uri>` (§25.1 quoted-string: `"` and `\` escaped,
 * control characters dropped), with its trailing space; '' for none. Names from a
 * trunk's From are not validated like extension names.
 */
export function displayPart(name: string): string {
  const clean = name.replace(/[\x00-\x1f\x7f]/g, '');
  return clean ? `"${clean.replace(/["\\]/g, '\\$&')}" ` : '';
}

/** The user a 3xx sends the call to: the first Contact's user part. */
function redirectTarget(res: SipResponse): string | undefined {
  try {
    const contacts = contactsOf(res);
    if (contacts === '*' || contacts.length === 0) return undefined;
    const uri = parseUri(contacts[0]!.uri);
    if (uri.kind === 'sip') return uri.user;
    if (uri.kind === 'tel') return uri.number;
  } catch {
    // An unusable Contact: treated like any failure.
  }
  return undefined;
}

/**
 * The failure the caller hears when no fork was busy or unreachable: a 6xx first
 * (§16.7 step 6), else the lowest 4xx, else 5xx as 480 (the phone's server trouble is
 * not ours to report), in the spirit of §16.7's "best response".
 */
function bestFailure(statuses: number[]): number {
  const global = statuses.find((s) => s >= 600);
  if (global !== undefined) return global;
  const client = statuses.filter((s) => s >= 400 && s < 500 && s !== 408).sort((a, b) => a - b)[0];
  if (client !== undefined) return client;
  return 480;
}

/** The request is in this leg's dialog: same Call-ID and the peer's tag in From. */
function sameDialog(leg: Leg, req: SipRequest): boolean {
  try {
    return tagOf(fromOf(req)) === leg.dialog.remoteTag;
  } catch {
    return false;
  }
}

/** A dialog for ACK+BYE when the 2xx lacks a usable Contact. */
function uacDialogFallback(invite: SipRequest, res: SipResponse): Dialog {
  return {
    callId: getHeader(invite, 'call-id') ?? '',
    localTag: safe(() => tagOf(fromOf(invite))) ?? '',
    remoteTag: safe(() => tagOf(toOf(res))) ?? '',
    localParty: getHeader(invite, 'from') ?? '',
    remoteParty: getHeader(res, 'to') ?? '',
    remoteTarget: invite.uri,
    routeSet: getHeaderValues(res, 'record-route').reverse(),
    localSeq: safe(() => cseqOf(invite).seq) ?? 1,
    remoteSeq: undefined,
  };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
