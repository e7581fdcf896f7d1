/**
 * The trunks at run time: one registration client per registering trunk, the dial plan
 * as the B2BUA asks it (which trunks, in which order, how each addresses the call),
 * and the recognition of calls coming in from a trunk (by its provider's addresses or
 * its configured peers) with their DID mapping.
 */
import { isIP } from 'node:net';
import type { CallClass, EdgesipConfig, Trunk } from '../../config/schema';
import type { TrunkStatusView } from '../../control/backend';
import type { Clock } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import { setHeader, type Header, type SipRequest } from '../../sip/message/message';
import { locateServers, type DnsQueries, type SipTarget } from '../../sip/locate/server-locator';
import type { ClientTransaction, ClientTransactionUser } from '../../sip/transaction/layer';
import { TransportError } from '../../sip/transaction/channel';
import type { Flow } from '../../sip/transport/flow';
import { displayPart, type CallerParty, type OutboundRoute, type TrunkDialer } from '../calls/call';
import { CidrSet } from '../guard/cidr';
import { allowed, matchDialPlan } from '../routing/dial-plan';
import { TrunkRegistration, type TrunkRegistrationState } from './trunk-registration';

/** How the trunks reach the network; the SIP service implements it. */
export interface TrunkSignalling {
  sendRequest(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction;
  /** A flow to send to a located target (our socket of that transport). */
  flowTo(target: SipTarget): Flow;
  /** Our Via for the flow, without branch. */
  via(flow: Flow): string;
  /** Our Contact for the flow, with `user` as its user part. */
  contact(flow: Flow, user: string): string;
}

export interface TrunkServiceOptions {
  clock: Clock;
  logger: SipLogger;
  config: { current: EdgesipConfig };
  passwords: { getTrunkPassword(name: string): string | undefined };
  dns: DnsQueries;
  net: TrunkSignalling;
}

interface Running {
  trunk: Trunk;
  registration?: TrunkRegistration;
  /** The provider's targets as "address|port": requests from them are this trunk's. */
  addresses: Set<string>;
  peers: CidrSet;
}

export class TrunkService {
  private running = new Map<string, Running>();

  constructor(private readonly o: TrunkServiceOptions) {}

  /** Start, update or stop registrations to match the configuration. */
  apply(config: EdgesipConfig = this.o.config.current): void {
    const wanted = new Map(config.trunks.filter((t) => t.enabled).map((t) => [t.name, t]));
    for (const [name, run] of this.running) {
      if (!wanted.has(name)) {
        void run.registration?.stop();
        this.running.delete(name);
      }
    }
    for (const trunk of wanted.values()) {
      const old = this.running.get(trunk.name);
      const where = (t: Trunk) => JSON.stringify([t.type, t.domain, t.proxy, t.transport, t.username]);
      if (old && where(old.trunk) === where(trunk)) {
        // Same provider and account: no new registration (a REGISTER with a new Call-ID
        // racing the old binding's removal could leave none, §10.3 step 7). Caller ID,
        // peers, templates change in place; credentials and expiry through update().
        old.trunk = trunk;
        old.peers = new CidrSet(trunk.peers);
        old.registration?.update(this.registrationConfig(trunk));
        continue;
      }
      void old?.registration?.stop();
      // A new provider address: the old one is no longer trusted for inbound calls.
      const run: Running = { trunk, addresses: new Set(), peers: new CidrSet(trunk.peers) };
      this.running.set(trunk.name, run);
      if (trunk.type === 'register') void this.startRegistration(run);
      else void this.resolve(trunk, run).catch(() => undefined);
    }
  }

  /** Unregister every trunk (shutdown). */
  async close(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.registration?.stop()));
  }

  /** The dial plan's route for `number` dialled by `caller`. */
  outbound(number: string, caller: CallerParty): OutboundRoute | 'forbidden' | undefined {
    const config = this.o.config.current;
    const match = matchDialPlan(config.dialPlan, number);
    if (!match) return undefined;
    if (caller.extension && !allowed(caller.extension as { permission: CallClass }, match.rule)) return 'forbidden';
    const trunks = match.rule.trunks
      .map((name) => config.trunks.find((t) => t.name === name && t.enabled))
      .filter((t): t is Trunk => t !== undefined)
      .map((t) => this.dialer(t));
    return { number: match.number, trunks };
  }

  /**
   * The trunk a request from `remote` comes from: one of its provider's targets (address
   * and port: phones may share the provider's address behind one NAT, never its SIP
   * port), or an address in its peers.
   */
  matchSource(remote: { address: string; port: number }, requestUser?: string): Trunk | undefined {
    const key = addressKey(remote.address, remote.port);
    const from = [...this.running.values()].filter((run) => run.addresses.has(key) || run.peers.has(remote.address));
    // Several accounts at one provider share its address: the Request-URI (our
    // registered Contact's user) says which one the call is for.
    return (from.find((run) => run.trunk.type === 'register' && run.trunk.username === requestUser) ?? from[0])?.trunk;
  }

  /**
   * What an inbound call from `trunk` is for: the Request-URI user, or the To user when
   * the Request-URI names the trunk account itself (a registered trunk's Contact).
   */
  dialledOf(trunk: Trunk, requestUser: string, toUser: string): string {
    return trunk.type === 'register' && (requestUser === trunk.username || requestUser === '') ? toUser : requestUser;
  }

  /** The extension a DID rings: its entry, else the default destination; undefined = 404. */
  destination(did: string): string | undefined {
    const inbound = this.o.config.current.inbound;
    const entry = inbound.dids.find((d) => d.did === did);
    if (entry) return entry.extension;
    return inbound.defaultDestination || undefined;
  }

  status(): TrunkStatusView[] {
    const now = this.o.clock.now();
    return this.o.config.current.trunks.map((t) => {
      const base = { name: t.name, type: t.type, enabled: t.enabled };
      const run = this.running.get(t.name);
      if (!t.enabled || !run) return { ...base, state: 'idle' as const };
      if (t.type === 'ip') return { ...base, state: 'ip' as const };
      return { ...base, ...stateView(run.registration?.state ?? { kind: 'idle' }, now) };
    });
  }

  // --- registration -------------------------------------------------------------------

  private async startRegistration(run: Running): Promise<void> {
    const { trunk } = run;
    let targets: SipTarget[] = [];
    try {
      targets = await this.resolve(trunk, run);
    } catch (err) {
      this.o.logger.warn({ trunk: trunk.name, err: (err as Error).message }, 'trunk provider not resolved; registering anyway when it is');
    }
    if (this.running.get(trunk.name) !== run) return;
    const contactFlow = targets[0] ? this.o.net.flowTo(targets[0]) : undefined;
    run.registration = new TrunkRegistration({
      config: this.registrationConfig(trunk),
      network: {
        sendRequest: (request, user) => void this.sendWithFailover(run, request, user),
        via: () => (contactFlow ? this.o.net.via(contactFlow) : 'SIP/2.0/UDP 0.0.0.0;rport'),
        contact: () => (contactFlow ? this.o.net.contact(contactFlow, trunk.username) : `<sip:${trunk.username}@0.0.0.0>`),
      },
      clock: this.o.clock,
      logger: this.o.logger,
    });
    run.registration.start();
  }

  private registrationConfig(trunk: Trunk) {
    return {
      name: trunk.name,
      domain: hostOf(trunk.domain),
      username: trunk.username,
      authUsername: trunk.authUsername,
      password: this.o.passwords.getTrunkPassword(trunk.name) ?? '',
      realm: trunk.realm,
      expires: trunk.registerExpires,
      requestUriParams: trunk.requestUriParams,
    };
  }

  /**
   * An out-of-dialog request to the trunk's provider, over its targets in RFC 3263
   * order: a timeout or transport error moves to the next target (§4.3), with a new
   * transaction (new branch); the user hears only the last outcome.
   */
  private async sendWithFailover(run: Running, request: SipRequest, user: ClientTransactionUser): Promise<void> {
    let targets: SipTarget[] = [];
    try {
      targets = await this.resolve(run.trunk, run);
    } catch (err) {
      this.o.logger.debug({ trunk: run.trunk.name, err: (err as Error).message }, 'trunk provider not resolved');
    }
    const attempt = (i: number): void => {
      const target = targets[i]!;
      const flow = this.o.net.flowTo(target);
      const copy: SipRequest = { ...request, headers: request.headers.map((h) => ({ name: h.name, value: h.value })) };
      setHeader(copy, 'Via', this.o.net.via(flow));
      const last = i + 1 >= targets.length;
      try {
        this.o.net.sendRequest(copy, flow, {
          // §4.3: a 503 from one target is a reason to try the next.
          onResponse: (res, tx) => (res.status === 503 && !last ? attempt(i + 1) : user.onResponse(res, tx)),
          onTimeout: (tx) => (last ? user.onTimeout(tx) : attempt(i + 1)),
          onTransportError: (tx, err) => (last ? user.onTransportError(tx, err) : attempt(i + 1)),
          onTerminated: (tx) => user.onTerminated?.(tx),
        });
      } catch (err) {
        if (last) user.onTransportError(undefined as never, err instanceof TransportError ? err : new TransportError((err as Error).message));
        else attempt(i + 1);
      }
    };
    if (targets.length === 0) {
      user.onTransportError(undefined as never, new TransportError(`no address for ${run.trunk.proxy || run.trunk.domain}`, { code: 'SIP_ERR_NO_ROUTE' }));
      return;
    }
    attempt(0);
  }

  /** The provider's targets (the proxy when set, else the domain), remembered in `run` for inbound matching. */
  private async resolve(trunk: Trunk, run?: Running): Promise<SipTarget[]> {
    const { host, port } = splitHostPort(trunk.proxy || trunk.domain);
    // RFC 3263 §4.1: an address or an explicit port fixes the transport; a bare domain
    // is looked up from NAPTR on, limited to the trunk's transport (the one we "support"
    // for this provider).
    const fixed = isIP(host) !== 0 || port !== undefined;
    const targets = await locateServers({ host, ...(port !== undefined ? { port } : {}), ...(fixed ? { transport: trunk.transport } : {}) }, this.o.dns, {
      supported: [trunk.transport],
    });
    if (run) for (const t of targets) run.addresses.add(addressKey(t.address, t.port));
    return targets;
  }

  // --- dialling out -------------------------------------------------------------------

  private dialer(trunk: Trunk): TrunkDialer {
    const domain = hostOf(trunk.domain);
    const fill = (template: string, number: string, caller: CallerParty): string =>
      template.replaceAll('{number}', number).replaceAll('{ext}', caller.number).replaceAll('{domain}', domain);
    return {
      name: trunk.name,
      targets: async () => (await this.resolve(trunk, this.running.get(trunk.name))).map((t) => this.o.net.flowTo(t)),
      addressing: (number, caller) => {
        const params = trunk.requestUriParams ? `;${trunk.requestUriParams.replace(/^;/, '')}` : '';
        const fromUser = trunk.callerId.fromUser || caller.number;
        const display = trunk.callerId.fromDisplay || caller.displayName;
        const from = trunk.templates.from ? `<${fill(trunk.templates.from, number, caller)}>` : `${displayPart(display)}<sip:${fromUser}@${domain}>`;
        const to = trunk.templates.to ? `<${fill(trunk.templates.to, number, caller)}>` : `<sip:${number}@${domain}>`;
        const headers: Header[] = [];
        if (trunk.templates.pai) headers.push({ name: 'P-Asserted-Identity', value: `<${fill(trunk.templates.pai, number, caller)}>` });
        else if (trunk.callerId.pai) headers.push({ name: 'P-Asserted-Identity', value: `<sip:${trunk.callerId.pai}@${domain}>` });
        return { uri: `sip:${number}@${domain}${params}`, from, to, headers };
      },
      credentials: () => {
        const password = this.o.passwords.getTrunkPassword(trunk.name);
        if (password === undefined || password === '') return undefined;
        return { username: trunk.authUsername || trunk.username, password, realm: trunk.realm };
      },
    };
  }
}

function stateView(s: TrunkRegistrationState, now: number): Omit<TrunkStatusView, 'name' | 'type' | 'enabled'> {
  const secondsUntil = (t: number) => Math.max(0, Math.round((t - now) / 1000));
  switch (s.kind) {
    case 'idle':
      return { state: 'idle' };
    case 'registering':
      return { state: 'registering' };
    case 'registered':
      return { state: 'registered', expiresIn: secondsUntil(s.expiresAt) };
    case 'failed':
      return { state: 'failed', status: s.status, reason: s.reason, retryIn: secondsUntil(s.retryAt) };
    case 'unreachable':
      return { state: 'unreachable', retryIn: secondsUntil(s.retryAt) };
    case 'wrong-credentials':
      return { state: 'wrong-credentials', status: s.status, retryIn: secondsUntil(s.retryAt) };
  }
}

/** An address and port as compared for inbound matching: IPv6 in its canonical form. */
function addressKey(address: string, port: number): string {
  const canonical = isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
  return `${canonical}|${port}`;
}

/** "host", "host:port", "[v6]:port", "v6" → host (brackets kept for URIs) and port. */
function splitHostPort(text: string): { host: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return { host: bracket[1]!, ...(bracket[2] ? { port: Number(bracket[2]) } : {}) };
  const colon = text.split(':');
  if (colon.length === 2) return { host: colon[0]!, port: Number(colon[1]) };
  return { host: text };
}

/** The domain as it goes into URIs: without the port; IPv6 keeps its brackets. */
function hostOf(domain: string): string {
  const { host } = splitHostPort(domain);
  return host.includes(':') ? `[${host}]` : host;
}

