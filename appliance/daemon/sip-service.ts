import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../sip/clock';
import type { SipLogger } from '../sip/logger';
import { createResponse, newCallId, newTag } from '../sip/message/build';
import { newBranch } from '../sip/transaction/match';
import type { Binding, LocationStore } from '../pbx/registrar/location-store';
import { B2bua } from '../pbx/calls/b2bua';
import type { CallNetwork } from '../pbx/calls/call';
import type { TrunkService, TrunkSignalling } from '../pbx/trunks/trunk-service';
import type { SipTarget } from '../sip/locate/server-locator';
import type { Trunk } from '../config/schema';
import type { CallRecord } from '../pbx/cdr/record';
import type { PingResult } from '../control/backend';
import { getHeader, type Header, type SipMessage, type SipRequest, type SipResponse } from '../sip/message/message';
import type { Channel, TransportError } from '../sip/transaction/channel';
import type { InviteServerTransaction } from '../sip/transaction/invite-server';
import { TransactionLayer, type ClientTransaction, type ClientTransactionUser, type ServerTransaction, type TransactionCore } from '../sip/transaction/layer';
import { DEFAULT_T1, DEFAULT_T2 } from '../sip/transaction/timers';
import type { NonInviteServerTransaction } from '../sip/transaction/non-invite-server';
import { formatEndpoint, hostLiteral, isReliable, type Flow } from '../sip/transport/flow';
import type { SipTransportLayer } from '../sip/transport/transport-layer';
import { VERSION } from '../version';
import type { Extension } from '../config/schema';
import { CidrSet } from '../pbx/guard/cidr';
import type { Guard } from '../pbx/guard/guard';
import type { Registrar } from '../pbx/registrar/registrar';
import { fromOf, toOf } from '../sip/message/headers/name-addr';
import { parseUri } from '../sip/message/uri';
import type { ConfigHolder } from './admin-backend';
import { Authenticator, type StoredSecret } from './authenticator';
import { precheck, type Capabilities } from './request-policy';

export interface SipServiceOptions {
  clock: Clock;
  logger: SipLogger;
  transport: SipTransportLayer;
  realm: string;
  config: ConfigHolder;
  secrets: SecretLookup;
  guard: Guard;
  registrar: Registrar;
  /** Where calls find the phones of an extension. */
  locations: Pick<LocationStore, 'bindings'>;
  /** Where finished calls are recorded (the CDR log). */
  records?: { append(record: CallRecord): void };
  /**
   * Our address as a peer sees it, for Via and Contact, when the socket is bound to a
   * wildcard (platform/local-address.ts); loopback when absent.
   */
  localAddressFor?: (remote: string) => string;
  maxServerTransactions?: number;
}

/** Where stored digest secrets come from (the secret store). */
export interface SecretLookup {
  get(number: string): StoredSecret | undefined;
}

/**
 * Server transactions alive at once before new requests get 503. A UDP transaction
 * lives 32 s after its answer (Timer J) and costs a few KiB, so this keeps a flood to
 * about 100 MiB on a 1 GiB board while serving ~600 requests/s without refusal.
 */
const MAX_SERVER_TRANSACTIONS = 20_000;

/** What this release serves; Allow/Supported/Accept are derived from it. */
export const CAPABILITIES: Capabilities = {
  allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'UPDATE', 'INFO'],
  // RFC 4028 session timers are relayed and enforced (pbx/calls/call.ts); 100rel is
  // deliberately absent (pbx/calls/relay.ts says why).
  supported: ['timer'],
  accept: ['application/sdp'],
};

const SERVER: Header = { name: 'Server', value: `EdgeSIP/${VERSION}` };

/**
 * The application on top of the SIP stack (the transaction user, RFC 3261 §8.2): runs
 * the checks every request passes, answers OPTIONS, challenges everything else with
 * digest authentication, and answers what this release cannot serve yet with the
 * status the RFC calls for. The registrar and the B2BUA plug in here.
 */
export class SipService implements TransactionCore {
  readonly calls: B2bua;
  private trunks: TrunkService | undefined;
  private readonly transactions: TransactionLayer;
  private readonly auth: Authenticator;
  private readonly streamChannels = new Map<number, FlowChannel>();

  private lastOverloadLog = -Infinity;

  constructor(private readonly options: SipServiceOptions) {
    this.transactions = new TransactionLayer({
      clock: options.clock,
      core: this,
      logger: options.logger,
      maxServerTransactions: options.maxServerTransactions ?? MAX_SERVER_TRANSACTIONS,
    });
    // Only enabled extensions with a stored secret can authenticate; anything else is
    // an unknown user, answered exactly like a wrong password (no enumeration).
    const accounts = { find: (user: string) => (this.extension(user) ? options.secrets.get(user) : undefined) };
    // Read at every challenge: `edgesip settings set --digest-algorithms` applies at once.
    this.auth = new Authenticator(options.realm, randomBytes(32), options.clock, accounts, {
      algorithms: () => options.config.current.sip.digestAlgorithms,
    });
    this.calls = new B2bua({
      clock: options.clock,
      logger: options.logger,
      net: this.callNetwork(),
      directory: {
        extension: (number) => this.extension(number),
        bindings: (aor) => options.locations.bindings(aor),
        limits: () => options.config.current.calls,
        outbound: (number, caller) => this.trunks?.outbound(number, caller),
      },
      records: options.records,
    });
  }

  receiveRequest(request: SipRequest, flow: Flow): void {
    // The guard sees every request first: black list, blocked addresses and floods
    // are dropped without an answer and without creating any state.
    if (this.options.guard.admit(flow.remote.address) === 'drop') return;
    const channel = this.channelFor(flow);
    // §8.2.7: what needs no state is answered statelessly — OPTIONS, challenges,
    // rejections. A flood of them then costs no memory, and a retransmission simply
    // gets the same answer again (the To tag is derived from the request).
    if (request.method !== 'ACK' && request.method !== 'CANCEL' && !this.transactions.hasServerTransaction(request)) {
      const answer = this.statelessAnswer(request, flow);
      if (answer) {
        try {
          channel.send(answer);
        } catch (err) {
          this.options.logger.debug({ reason: (err as Error).message }, 'sip stateless response not sent');
        }
        return;
      }
    }
    this.transactions.receiveRequest(request, channel);
  }

  receiveResponse(response: SipResponse, flow: Flow): void {
    if (this.options.guard.admit(flow.remote.address) === 'drop') return;
    this.transactions.receiveResponse(response, this.channelFor(flow));
  }

  /**
   * A stream connection closed. Its transactions are not failed: §18.2.2 lets a
   * response reach the peer over a new connection. Only the channel is forgotten.
   */
  connectionClosed(flow: Flow): void {
    if (flow.connectionId !== undefined) this.streamChannels.delete(flow.connectionId);
  }

  close(): void {
    this.transactions.close();
  }

  /** The trunks (created after this service: they send through it). */
  setTrunks(trunks: TrunkService): void {
    this.trunks = trunks;
  }

  /** What the trunks need to send: transactions, flows to located targets, Via and Contact. */
  trunkSignalling(): TrunkSignalling {
    const net = this.callNetwork();
    return {
      sendRequest: net.sendRequest,
      via: net.via,
      flowTo: (target: SipTarget): Flow => {
        const family = target.address.includes(':') ? 6 : 4;
        const local = this.options.transport.localEndpoint(target.transport, family) ?? { address: family === 6 ? '::' : '0.0.0.0', port: 0 };
        return { transport: target.transport, local, remote: { address: target.address, port: target.port } };
      },
      contact: (flow, user) => {
        const transport = flow.transport === 'UDP' ? '' : `;transport=${flow.transport.toLowerCase()}`;
        return `<sip:${user}@${this.localHost(flow)}:${this.localPort(flow)}${transport}>`;
      },
    };
  }

  /** Our host for Via and Contact on a flow: the local address, resolved when it is a wildcard. */
  private localHost(flow: Flow): string {
    const address = flow.local.address;
    if (address !== '0.0.0.0' && address !== '::') return hostLiteral(address);
    return hostLiteral(this.options.localAddressFor?.(flow.remote.address) ?? (flow.remote.address.includes(':') ? '::1' : '127.0.0.1'));
  }

  /** Our listening port for a transport (a stream flow's local port may be the phone's connection). */
  private localPort(flow: Flow): number {
    return this.options.transport.localEndpoint(flow.transport, flow.local.address.includes(':') ? 6 : 4)?.port ?? flow.local.port;
  }

  private callNetwork(): CallNetwork {
    return {
      sendRequest: (request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction =>
        this.transactions.sendRequest(request, this.channelFor(flow), user),
      send: (message: SipMessage, flow: Flow) => this.channelFor(flow).send(message),
      via: (flow) => `SIP/2.0/${flow.transport} ${this.localHost(flow)}:${this.localPort(flow)};rport`,
      contact: (flow) => {
        const transport = flow.transport === 'UDP' ? '' : `;transport=${flow.transport.toLowerCase()}`;
        return `<sip:edgesip@${this.localHost(flow)}:${this.localPort(flow)}${transport}>`;
      },
      t1: DEFAULT_T1,
      t2: DEFAULT_T2,
    };
  }

  /**
   * OPTIONS to a registered contact over the flow it registered from (the path a call
   * will take through NAT). Any final answer means reachable; none within `timeoutMs`
   * is a timeout (the transaction itself runs on to Timer F).
   */
  ping(binding: Binding, timeoutMs = 4000): Promise<PingResult> {
    const { flow } = binding;
    const base = { contact: binding.contact, transport: flow.transport, source: formatEndpoint(flow.remote) };
    const local = this.options.transport.localEndpoint(flow.transport, flow.local.address.includes(':') ? 6 : 4) ?? flow.local;
    const host = hostLiteral(local.address);
    const request: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: binding.contact,
      headers: [
        { name: 'Via', value: `SIP/2.0/${flow.transport} ${host}:${local.port};branch=${newBranch()};rport` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: `<sip:edgesip@${host}>;tag=${newTag()}` },
        { name: 'To', value: `<${binding.contact}>` },
        { name: 'Call-ID', value: newCallId(host) },
        { name: 'CSeq', value: '1 OPTIONS' },
        { name: 'User-Agent', value: SERVER.value },
        { name: 'Content-Length', value: '0' },
      ],
      body: Buffer.alloc(0),
    };
    const started = this.options.clock.now();
    return new Promise((resolve) => {
      let done = false;
      const finish = (result: PingResult) => {
        if (done) return;
        done = true;
        this.options.clock.clearTimer(timer);
        resolve(result);
      };
      const timer = this.options.clock.setTimer(timeoutMs, () => finish({ ...base, error: 'timeout' }));
      try {
        this.transactions.sendRequest(request, this.channelFor(flow), {
          onResponse: (res) => {
            if (res.status >= 200) finish({ ...base, status: res.status, rttMs: Math.round(this.options.clock.now() - started) });
          },
          onTimeout: () => finish({ ...base, error: 'timeout' }),
          onTransportError: () => finish({ ...base, error: 'transport' }),
        });
      } catch {
        finish({ ...base, error: 'transport' });
      }
    });
  }

  // --- TransactionCore --------------------------------------------------------------

  onRequest(request: SipRequest, tx: ServerTransaction): void {
    const flow = (tx.channel as FlowChannel).flow;
    if (isInDialog(request)) {
      // §12.2.2: a request with a To tag belongs to a dialog; one we do not know gets 481.
      if (!this.calls.request(request, tx, flow)) tx.sendResponse(this.respond(request, 481));
      return;
    }
    if (request.method === 'INVITE' && tx.kind === 'invite-server') {
      const trunk = this.trunks?.matchSource(flow.remote, dialledUser(request));
      if (trunk) {
        this.inboundCall(request, tx, flow, trunk);
        return;
      }
      const quick = this.statelessAnswer(request, flow);
      if (quick) {
        tx.sendResponse(quick);
        return;
      }
      const ext = this.authenticated(request, 407, flow);
      if ('status' in ext) {
        tx.sendResponse(ext);
        return;
      }
      this.calls.startCall(request, tx, flow, ext, dialledUser(request));
      return;
    }
    tx.sendResponse(this.answer(request, tx.channel as FlowChannel));
  }

  /**
   * A call from a trunk: trusted by where it comes from (the provider's addresses or
   * the trunk's peers), never challenged; its DID picks the extension, or 404.
   */
  private inboundCall(request: SipRequest, tx: InviteServerTransaction, flow: Flow, trunk: Trunk): void {
    const quick = precheck(request, CAPABILITIES);
    if (quick) {
      tx.sendResponse(this.respond(request, quick.status, quick.headers));
      return;
    }
    let toUser = '';
    let from = { number: '', displayName: '' };
    try {
      const to = parseUri(toOf(request).uri);
      toUser = to.kind === 'sip' ? (to.user ?? '') : to.kind === 'tel' ? to.number : '';
      const f = fromOf(request);
      const fu = parseUri(f.uri);
      from = { number: fu.kind === 'sip' ? (fu.user ?? '') : fu.kind === 'tel' ? fu.number : '', displayName: f.displayName ?? '' };
    } catch {
      tx.sendResponse(this.respond(request, 400));
      return;
    }
    const did = this.trunks!.dialledOf(trunk, dialledUser(request), toUser);
    const ext = this.trunks!.destination(did);
    if (!ext) {
      this.options.logger.info({ trunk: trunk.name, did, from: from.number }, 'inbound call to an unknown DID refused');
      tx.sendResponse(this.respond(request, 404));
      return;
    }
    this.calls.startCall(request, tx, flow, { ...from, trunk: trunk.name }, did, { ring: ext, inbound: true });
  }

  onAck(ack: SipRequest): void {
    // The ACK for a 2xx is its own transaction (§17.1.1.3); its dialog says which call.
    this.calls.ack(ack);
  }

  onStrayResponse(res: SipResponse, channel: Channel): void {
    this.calls.strayAnswer(res, (channel as FlowChannel).flow);
  }

  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void {
    // §9.2: 481 when the CANCEL matches no transaction; else 200 for the CANCEL and,
    // if the INVITE has not been answered finally yet, 487 for it.
    if (!invite) {
      tx.sendResponse(this.respond(cancel, 481));
      return;
    }
    tx.sendResponse(this.respond(cancel, 200));
    if (this.calls.cancel(invite)) return;
    if (invite.state === 'Proceeding') invite.sendResponse(this.respond(invite.request, 487));
  }

  onOverload(request: SipRequest, channel: Channel): void {
    // §21.5.4: 503 with Retry-After, sent statelessly: overload must cost no state.
    const now = this.options.clock.now();
    if (now - this.lastOverloadLog > 10_000) {
      this.lastOverloadLog = now;
      this.options.logger.warn({ limit: this.transactions.size }, 'sip overloaded: answering new requests with 503');
    }
    try {
      channel.send(this.respond(request, 503, [{ name: 'Retry-After', value: '5' }]));
    } catch {
      // Nowhere to send it: the client retransmits or gives up.
    }
  }

  onServerTimeout(tx: InviteServerTransaction): void {
    this.options.logger.debug({ callId: tx.id }, 'sip no ACK for final response (Timer H)');
  }

  onServerTransportError(tx: ServerTransaction, err: TransportError): void {
    this.options.logger.debug({ tx: tx.id, code: err.code, reason: err.message }, 'sip response not sent');
  }

  // --- request handling -------------------------------------------------------------

  private answer(request: SipRequest, channel: FlowChannel): SipResponse {
    const quick = this.statelessAnswer(request, channel.flow);
    if (quick) return quick;
    switch (request.method) {
      case 'REGISTER': {
        const ext = this.authenticated(request, 401, channel.flow);
        return 'status' in ext ? ext : this.options.registrar.handleRegister(request, channel.flow, ext);
      }
      default:
        // precheck admits only CAPABILITIES.allow; ACK and CANCEL never reach here.
        return this.respond(request, 500);
    }
  }

  /** The answer when it depends on nothing but the request (and the guard), else undefined. */
  private statelessAnswer(request: SipRequest, flow: Flow): SipResponse | undefined {
    const rejection = precheck(request, CAPABILITIES);
    if (rejection) return this.respond(request, rejection.status, rejection.headers);
    if (isInDialog(request)) {
      // In-dialog requests are authorised by the dialog (its Call-ID and tags are known
      // only to its two ends); one that matches no call is answered here and now.
      return this.calls.hasDialog(request) ? undefined : this.respond(request, 481);
    }
    switch (request.method) {
      case 'OPTIONS':
        // §11.2: what this server can do.
        return this.respond(request, 200, [
          { name: 'Allow', value: CAPABILITIES.allow.join(', ') },
          { name: 'Accept', value: CAPABILITIES.accept.join(', ') },
          { name: 'Accept-Encoding', value: 'identity' },
          { name: 'Accept-Language', value: 'en, zh-CN' },
          { name: 'Supported', value: CAPABILITIES.supported.join(', ') },
        ]);
      case 'BYE':
      case 'UPDATE':
      case 'INFO':
        // §15.1.2 (and RFC 3311, RFC 6086): these exist only inside a dialog.
        return this.respond(request, 481);
      case 'REGISTER':
      case 'INVITE': {
        // Calls from a trunk are trusted by their source, not challenged (inboundCall).
        if (request.method === 'INVITE' && this.trunks?.matchSource(flow.remote)) return undefined;
        const challenge = request.method === 'REGISTER' ? 401 : 407;
        if (getHeader(request, challenge === 401 ? 'authorization' : 'proxy-authorization') !== undefined) return undefined;
        const claimed = claimedAccount(request);
        if (claimed !== undefined && this.options.guard.accountBlocked(flow.remote.address, claimed)) return this.respond(request, 403);
        return this.respond(request, challenge, this.auth.challengeHeaders(challenge, false));
      }
      default:
        return undefined;
    }
  }

  /**
   * Digest on everything (§22) behind the guard. A blocked (address, account) pair,
   * wrong credentials and unknown users all get the same 403, so nothing can be
   * learnt about which extensions exist. Returns the extension, or the answer.
   */
  private authenticated(request: SipRequest, challenge: 401 | 407, flow: Flow): Extension | SipResponse {
    const address = flow.remote.address;
    const claimed = claimedAccount(request);
    if (claimed !== undefined && this.options.guard.accountBlocked(address, claimed)) return this.respond(request, 403);
    const outcome = this.auth.authenticate(request, challenge === 401 ? 'authorization' : 'proxy-authorization');
    switch (outcome.kind) {
      case 'challenge':
        return this.respond(request, challenge, this.auth.challengeHeaders(challenge, outcome.stale));
      case 'forbidden': {
        const account = outcome.username || claimed || '';
        if (account && outcome.username && outcome.username !== claimed && this.options.guard.accountBlocked(address, account)) {
          return this.respond(request, 403);
        }
        this.options.guard.recordFailure(address, flow.remote.port, account, outcome.reason === 'unknown-user' ? 'unknown-user' : 'wrong-password');
        // Debug only: the guard summarises repeated failures (one line per device), so a
        // retrying gateway or an attack does not flood the journal.
        this.options.logger.debug({ method: request.method, user: account, from: formatEndpoint(flow.remote), reason: outcome.reason }, 'sip authentication failed');
        return this.respond(request, 403);
      }
      case 'authenticated': {
        const ext = this.extension(outcome.username)!;
        if (ext.allowedNetworks.length > 0 && !new CidrSet(ext.allowedNetworks).has(address)) {
          this.options.logger.warn({ user: ext.number, from: formatEndpoint(flow.remote) }, 'sip request from outside the allowed networks of the extension');
          return this.respond(request, 403);
        }
        this.options.guard.recordSuccess(address, ext.number);
        return ext;
      }
    }
  }

  private extension(number: string): Extension | undefined {
    const ext = this.options.config.current.extensions.find((e) => e.number === number);
    return ext?.enabled ? ext : undefined;
  }

  private respond(request: SipRequest, status: number, headers: Header[] = []): SipResponse {
    return createResponse(request, status, undefined, { headers: [...headers, SERVER], toTag: toTagFor(request) });
  }

  private channelFor(flow: Flow): FlowChannel {
    const transport = this.options.transport;
    const make = (): FlowChannel => ({
      flow,
      reliable: isReliable(flow.transport),
      transport: flow.transport,
      send: (message) =>
        message.kind === 'response' ? transport.sendResponse(message, flow) : transport.sendRequest(message, flow.transport, flow.remote),
    });
    // One Channel object per stream connection, so a closed connection fails exactly
    // its transactions; UDP has no connection to fail.
    if (flow.connectionId === undefined) return make();
    let channel = this.streamChannels.get(flow.connectionId);
    if (!channel) {
      channel = make();
      this.streamChannels.set(flow.connectionId, channel);
    }
    return channel;
  }
}

/** A Channel that remembers its flow, so handlers know where a request came from. */
interface FlowChannel extends Channel {
  readonly flow: Flow;
}

/** Methods that can arrive inside a call's dialog (a To tag says so, §12.2.2). */
const DIALOG_METHODS = new Set(['INVITE', 'BYE', 'UPDATE', 'INFO']);

function isInDialog(request: SipRequest): boolean {
  if (!DIALOG_METHODS.has(request.method)) return false;
  try {
    return toOf(request).params.has('tag');
  } catch {
    return false;
  }
}

/** What the caller dialled: the Request-URI's user part (a tel: URI's number). */
function dialledUser(request: SipRequest): string {
  try {
    const uri = parseUri(request.uri);
    if (uri.kind === 'sip') return uri.user ?? '';
    if (uri.kind === 'tel') return uri.number;
  } catch {
    // precheck already refused unparseable URIs.
  }
  return '';
}

/** The account a request speaks for before authentication: the To user of a REGISTER, else the From user. */
function claimedAccount(request: SipRequest): string | undefined {
  try {
    const nameAddr = request.method === 'REGISTER' ? toOf(request) : fromOf(request);
    const uri = parseUri(nameAddr.uri);
    return uri.kind === 'sip' ? uri.user : undefined;
  } catch {
    return undefined;
  }
}

/**
 * §8.2.7: a stateless UAS "MUST generate its To tag in a way that would generate the
 * same tag for the same request consistently": a hash of what identifies the request.
 */
function toTagFor(request: SipRequest): string {
  const parts = [getHeader(request, 'call-id'), getHeader(request, 'from'), getHeader(request, 'cseq'), getHeader(request, 'via')];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
