/**
 * TrunkService (trunk-service.ts): the dial plan as the B2BUA asks it, each trunk's
 * dialer (addressing, credentials, targets), the recognition of inbound calls by source,
 * DID mapping, and the registrations it runs, with a fake DnsQueries (RFC 3263 answers),
 * a fake TrunkSignalling that records every request and lets the test answer it, a
 * virtual clock, a config holder and a fake password store. Every REGISTER is
 * serialised and parsed back; digest answers are verified by recomputing them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig, defaultForward, type CallClass, type DialRule, type EdgesipConfig, type Extension, type Trunk } from '../../config/schema';
import { digestResponse, parseCredentials } from '../../sip/auth/digest';
import type { SipLogger } from '../../sip/logger';
import { createResponse } from '../../sip/message/build';
import { fromOf, tagOf } from '../../sip/message/headers/name-addr';
import { getHeader, type SipMessage, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseMessage } from '../../sip/message/parse';
import { serializeMessage } from '../../sip/message/serialize';
import type { DnsQueries, NaptrRecord, SipTarget, SrvRecord } from '../../sip/locate/server-locator';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { TransportError } from '../../sip/transaction/channel';
import type { ClientTransaction, ClientTransactionUser } from '../../sip/transaction/layer';
import type { Flow } from '../../sip/transport/flow';
import type { CallerParty, OutboundRoute, TrunkDialer } from '../calls/call';
import { TrunkService, type TrunkSignalling } from './trunk-service';

const START = Date.UTC(2024, 5, 1, 10, 0, 0);
const LOCAL = { address: '192.0.2.1', port: 5060 };
const PROVIDER = 'voip.example';
/** voip.example's SIP servers (SRV _sip._udp, priority 10 then 20). */
const SRV1 = { address: '203.0.113.10', port: 5060 };
const SRV2 = { address: '203.0.113.11', port: 5070 };
const PASSWORD = 'pr0vider-Secret';

// --- fakes -----------------------------------------------------------------------------

/** DNS answers by name; a name without an answer is NXDOMAIN ([]); `failing` names reject. */
class FakeDns implements DnsQueries {
  readonly srvs = new Map<string, SrvRecord[]>();
  readonly as = new Map<string, string[]>();
  readonly aaaas = new Map<string, string[]>();
  readonly failing = new Set<string>();
  readonly queries: string[] = [];

  async naptr(name: string): Promise<NaptrRecord[]> {
    return this.answer('NAPTR', name, new Map());
  }

  async srv(name: string): Promise<SrvRecord[]> {
    return this.answer('SRV', name, this.srvs);
  }

  async a(name: string): Promise<string[]> {
    return this.answer('A', name, this.as);
  }

  async aaaa(name: string): Promise<string[]> {
    return this.answer('AAAA', name, this.aaaas);
  }

  private answer<T>(type: string, name: string, table: Map<string, T[]>): T[] {
    this.queries.push(`${type} ${name}`);
    if (this.failing.has(name)) throw Object.assign(new Error(`SERVFAIL ${name}`), { code: 'ESERVFAIL' });
    return [...(table.get(name) ?? [])];
  }
}

interface Sent {
  /** The request as parsed back from its wire form. */
  request: SipRequest;
  flow: Flow;
  user: ClientTransactionUser;
  at: number;
  answered: boolean;
}

const TX = {} as ClientTransaction;

function reparse<T extends SipMessage>(msg: T): T {
  const r = parseMessage(serializeMessage(msg));
  if (!r.ok) assert.fail(`not parseable (${r.error.code}): ${serializeMessage(msg).toString('latin1')}`);
  return r.message as T;
}

class FakeSignalling implements TrunkSignalling {
  readonly sent: Sent[] = [];
  /** Addresses sendRequest throws for (no route). */
  readonly throwFor = new Set<string>();
  private branches = 0;

  constructor(private readonly clock: VirtualClock) {}

  sendRequest(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction {
    if (this.throwFor.has(flow.remote.address)) throw new TransportError(`no route to ${flow.remote.address}`);
    // Like the transaction layer: the top Via gets its branch.
    const at = request.headers.findIndex((h) => h.name.toLowerCase() === 'via');
    assert.ok(at >= 0, 'a request needs a Via');
    assert.ok(!/branch=/i.test(request.headers[at]!.value), 'the layer adds the branch');
    request.headers[at] = { name: 'Via', value: `${request.headers[at]!.value};branch=z9hG4bK-s${++this.branches}` };
    this.sent.push({ request: reparse(request), flow, user, at: this.clock.now(), answered: false });
    return TX;
  }

  flowTo(target: SipTarget): Flow {
    return { transport: target.transport, local: { ...LOCAL }, remote: { address: target.address, port: target.port } };
  }

  via(flow: Flow): string {
    return `SIP/2.0/${flow.transport} ${LOCAL.address}:${LOCAL.port};rport`;
  }

  contact(_flow: Flow, user: string): string {
    return `<sip:${user}@${LOCAL.address}:${LOCAL.port}>`;
  }

  /** The one request still waiting for its final answer. */
  pending(): Sent {
    const open = this.sent.filter((s) => !s.answered);
    assert.equal(open.length, 1, `expected one request in flight, found ${open.length}`);
    return open[0]!;
  }

  answer(status: number, headers: Array<[string, string]> = [], s = this.pending()): void {
    if (status >= 200) s.answered = true;
    const res = createResponse(s.request, status, undefined, { toTag: 'prov1', headers: headers.map(([name, value]) => ({ name, value })) });
    s.user.onResponse(reparse(res) as SipResponse, TX);
  }

  timeout(s = this.pending()): void {
    s.answered = true;
    s.user.onTimeout(TX);
    s.user.onTerminated?.(TX);
  }

  transportError(s = this.pending()): void {
    s.answered = true;
    s.user.onTransportError(TX, new TransportError('ICMP port unreachable'));
    s.user.onTerminated?.(TX);
  }
}

interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function trunk(name: string, over: Partial<Trunk> = {}): Trunk {
  return {
    name,
    enabled: true,
    type: 'register',
    domain: PROVIDER,
    proxy: '',
    transport: 'UDP',
    username: 'pbx1',
    authUsername: '',
    realm: '',
    registerExpires: 600,
    peers: [],
    requestUriParams: '',
    callerId: { fromUser: '', fromDisplay: '', pai: '' },
    templates: { from: '', to: '', pai: '' },
    ...over,
  };
}

function rule(name: string, pattern: string, trunks: string[], cls: DialRule['class'], o: { strip?: number; prefix?: string } = {}): DialRule {
  return { name, pattern, strip: o.strip ?? 0, prefix: o.prefix ?? '', trunks, class: cls };
}

function ext(number: string, permission: CallClass, displayName = ''): Extension {
  return { number, displayName, maxContacts: 5, enabled: true, allowedNetworks: [], forward: defaultForward(), permission };
}

function party(e: Extension): CallerParty {
  return { number: e.number, displayName: e.displayName, extension: e };
}

const ALICE = ext('200', 'national', 'Alice');

function setup(over: Partial<Pick<EdgesipConfig, 'trunks' | 'dialPlan' | 'inbound' | 'extensions'>> = {}, passwords: Record<string, string> = {}) {
  const clock = new VirtualClock(START);
  const config = { current: { ...defaultConfig(), extensions: [ALICE], ...over } };
  const dns = new FakeDns();
  dns.srvs.set(`_sip._udp.${PROVIDER}`, [
    { name: 'sip2.voip.example', port: SRV2.port, priority: 20, weight: 0 },
    { name: 'sip1.voip.example', port: SRV1.port, priority: 10, weight: 0 },
  ]);
  dns.as.set('sip1.voip.example', [SRV1.address]);
  dns.as.set('sip2.voip.example', [SRV2.address]);
  const net = new FakeSignalling(clock);
  const store = new Map(Object.entries(passwords));
  const logs: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: SipLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const service = new TrunkService({ clock, logger, config, passwords: { getTrunkPassword: (n) => store.get(n) }, dns, net });
  return { clock, config, dns, net, store, logs, service };
}

/** Lets the promise chains run (DNS, then the REGISTER). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function route(r: OutboundRoute | 'forbidden' | undefined): OutboundRoute {
  assert.ok(r !== undefined && r !== 'forbidden', `expected a route, got ${String(r)}`);
  return r;
}

function names(r: OutboundRoute): string[] {
  return r.trunks.map((t) => t.name);
}

function header(msg: SipMessage, name: string): string | undefined {
  return getHeader(msg, name);
}

/** The dialer of trunk "a" (over `over`), through a catch-all local rule. */
function dialer(over: Partial<Trunk> = {}, passwords: Record<string, string> = {}): { d: TrunkDialer; s: ReturnType<typeof setup> } {
  const s = setup({ trunks: [trunk('a', over)], dialPlan: [rule('all', 'X.', ['a'], 'local')] }, passwords);
  const r = route(s.service.outbound('0891234567', party(ALICE)));
  assert.equal(r.trunks.length, 1);
  return { d: r.trunks[0]!, s };
}

// --- tests -----------------------------------------------------------------------------

describe('TrunkService.outbound: the dial plan', () => {
  const plan: DialRule[] = [
    rule('emergency', '11[02]', ['a'], 'emergency'),
    rule('berlin', '030.', ['b'], 'local'),
    rule('national', '0Z.', ['a', 'b'], 'national', { strip: 1, prefix: '+49' }),
    rule('intl', '00Z.', ['b', 'a'], 'international', { strip: 2, prefix: '+' }),
  ];
  const both = () => setup({ trunks: [trunk('a'), trunk('b', { username: 'pbx2' })], dialPlan: plan });

  it('the first matching rule wins; strip then prefix make the number sent; trunks in the rule order', () => {
    const s = both();
    const berlin = route(s.service.outbound('0301234567', party(ALICE)));
    assert.equal(berlin.number, '0301234567', "030… matches 'berlin' before 'national'");
    assert.deepEqual(names(berlin), ['b']);
    const national = route(s.service.outbound('0891234567', party(ALICE)));
    assert.equal(national.number, '+49891234567');
    assert.deepEqual(names(national), ['a', 'b']);
    const intl = route(s.service.outbound('00861012345678', party(ext('201', 'international'))));
    assert.equal(intl.number, '+861012345678');
    assert.deepEqual(names(intl), ['b', 'a']);
  });

  it('a number no rule matches → undefined', () => {
    const s = both();
    assert.equal(s.service.outbound('5', party(ALICE)), undefined);
    assert.equal(s.service.outbound('0', party(ALICE)), undefined, "'0Z.' needs at least three digits");
    assert.equal(s.service.outbound('#31#', party(ALICE)), undefined);
  });

  it("the caller's class: 'forbidden' above it, allowed up to it; emergency always; no extension (a trunk party) unchecked", () => {
    const s = both();
    const local = party(ext('201', 'local'));
    assert.equal(s.service.outbound('0891234567', local), 'forbidden');
    assert.equal(route(s.service.outbound('0301234567', local)).number, '0301234567');
    assert.equal(s.service.outbound('00861012345678', party(ALICE)), 'forbidden', 'national may not dial international');
    const internal = party(ext('202', 'internal'));
    assert.equal(s.service.outbound('0301234567', internal), 'forbidden');
    assert.deepEqual(names(route(s.service.outbound('112', internal))), ['a'], 'emergency for every class');
    assert.deepEqual(names(route(s.service.outbound('00861012345678', { number: '0301234567', displayName: 'Far', trunk: 'a' }))), ['b', 'a']);
  });

  it('disabled (and unknown) trunks are skipped; none left → a route without trunks', () => {
    const s = setup({ trunks: [trunk('a', { enabled: false }), trunk('b', { username: 'pbx2' })], dialPlan: [...plan, rule('ghost', '9.', ['gone', 'b'], 'local')] });
    assert.deepEqual(names(route(s.service.outbound('0891234567', party(ALICE)))), ['b']);
    assert.deepEqual(names(route(s.service.outbound('912345', party(ALICE)))), ['b']);
    assert.deepEqual(names(route(s.service.outbound('112', party(ALICE)))), [], 'the B2BUA answers 404 for it');
  });

  it('reads the current config at every call (no apply needed for dial plan changes)', () => {
    const s = both();
    assert.equal(s.service.outbound('912345', party(ALICE)), undefined);
    s.config.current = { ...s.config.current, dialPlan: [rule('nine', '9.', ['a'], 'local', { strip: 1 })] };
    assert.equal(route(s.service.outbound('912345', party(ALICE))).number, '12345');
  });
});

describe("TrunkService: a trunk's dialer", () => {
  it('Request-URI: the number at the trunk domain with the requestUriParams', () => {
    assert.equal(dialer().d.addressing('0891234567', party(ALICE)).uri, 'sip:0891234567@voip.example');
    assert.equal(dialer({ requestUriParams: 'user=phone' }).d.addressing('0891234567', party(ALICE)).uri, 'sip:0891234567@voip.example;user=phone');
    assert.equal(dialer({ requestUriParams: 'user=phone;cic=1' }).d.addressing('0891234567', party(ALICE)).uri, 'sip:0891234567@voip.example;user=phone;cic=1');
  });

  it("From by default: the caller's number and display name at the trunk domain; To: the number; no PAI", () => {
    const { d } = dialer();
    assert.deepEqual(d.addressing('0891234567', party(ALICE)), {
      uri: 'sip:0891234567@voip.example',
      from: '"Alice" <sip:200@voip.example>',
      to: '<sip:0891234567@voip.example>',
      headers: [],
    });
    assert.equal(d.addressing('0891234567', { number: '201', displayName: '' }).from, '<sip:201@voip.example>');
  });

  it('callerId: fromUser, fromDisplay and pai replace the defaults', () => {
    const { d } = dialer({ callerId: { fromUser: '4930555000', fromDisplay: 'ACME GmbH', pai: '4930555000' } });
    assert.deepEqual(d.addressing('0891234567', party(ALICE)), {
      uri: 'sip:0891234567@voip.example',
      from: '"ACME GmbH" <sip:4930555000@voip.example>',
      to: '<sip:0891234567@voip.example>',
      headers: [{ name: 'P-Asserted-Identity', value: '<sip:4930555000@voip.example>' }],
    });
  });

  it('templates with {number} {ext} {domain}; the PAI template wins over callerId.pai', () => {
    const { d } = dialer({
      callerId: { fromUser: '', fromDisplay: '', pai: '4930555000' },
      templates: { from: 'sip:+4930555{ext}@{domain}', to: 'tel:{number}', pai: 'tel:+4930555{ext};x={number}' },
    });
    const a = d.addressing('0891234567', party(ALICE));
    assert.equal(a.from, '<sip:+4930555200@voip.example>');
    assert.equal(a.to, '<tel:0891234567>');
    assert.deepEqual(a.headers, [{ name: 'P-Asserted-Identity', value: '<tel:+4930555200;x=0891234567>' }]);
    assert.equal(a.uri, 'sip:0891234567@voip.example', 'the Request-URI has no template');
  });

  it('a domain with a port, or an IPv6 literal, goes into the URIs as a host', () => {
    assert.equal(dialer({ domain: 'voip.example:5080' }).d.addressing('0891234567', party(ALICE)).uri, 'sip:0891234567@voip.example');
    const v6 = dialer({ domain: '[2001:db8::5]:5060' }).d.addressing('0891234567', party(ALICE));
    assert.equal(v6.uri, 'sip:0891234567@[2001:db8::5]');
    assert.equal(v6.from, '"Alice" <sip:200@[2001:db8::5]>');
  });

  it('credentials(): authUsername, else username; the stored password; the realm; none without a password', () => {
    assert.deepEqual(dialer({}, { a: PASSWORD }).d.credentials(), { username: 'pbx1', password: PASSWORD, realm: '' });
    assert.deepEqual(dialer({ authUsername: 'auth-7', realm: 'voip.example' }, { a: PASSWORD }).d.credentials(), { username: 'auth-7', password: PASSWORD, realm: 'voip.example' });
    assert.equal(dialer().d.credentials(), undefined);
    assert.equal(dialer({}, { a: '' }).d.credentials(), undefined);
    const { d, s } = dialer();
    s.store.set('a', 'changed');
    assert.equal(d.credentials()?.password, 'changed', 'read when the challenge comes');
  });

  it(
    "a far party's display name (an inbound call forwarded out) is escaped in From (§25.1 quoted-pair)",
    () => {
      const { d } = dialer();
      const from = d.addressing('0891234567', { number: '0301234567', displayName: 'Smith "Bob"', trunk: 'b' }).from;
      assert.equal(from, '"Smith \\"Bob\\"" <sip:0301234567@voip.example>');
    },
  );

  it('targets(): the RFC 3263 targets in failover order, as flows', async () => {
    const { d, s } = dialer();
    const flows = await d.targets();
    assert.deepEqual(
      flows.map((f) => [f.transport, f.remote.address, f.remote.port]),
      [
        ['UDP', SRV1.address, SRV1.port],
        ['UDP', SRV2.address, SRV2.port],
      ],
    );
    assert.ok(s.dns.queries.includes('SRV _sip._udp.voip.example'));
  });

  it('targets() with a proxy: the proxy is resolved, not the domain', async () => {
    const { d, s } = dialer({ proxy: 'sbc.voip.example:5090' });
    s.dns.as.set('sbc.voip.example', ['198.18.0.9']);
    const flows = await d.targets();
    assert.deepEqual(
      flows.map((f) => [f.remote.address, f.remote.port]),
      [['198.18.0.9', 5090]],
    );
    assert.equal(
      s.dns.queries.some((q) => q.includes(PROVIDER) && !q.includes('sbc')),
      false,
    );
    assert.equal(d.addressing('0891234567', party(ALICE)).uri, 'sip:0891234567@voip.example', 'the URIs keep the domain');
  });

  it('targets() rejects when DNS fails (the call then tries the next trunk)', async () => {
    const { d, s } = dialer();
    s.dns.failing.add(`_sip._udp.${PROVIDER}`);
    await assert.rejects(d.targets(), /SERVFAIL/);
  });
});

describe('TrunkService.matchSource: which trunk a request comes from', () => {
  it("a registering trunk: its resolved targets' address AND port, not another port on the same address", async () => {
    const s = setup({ trunks: [trunk('a')] });
    assert.equal(s.service.matchSource(SRV1), undefined, 'nothing before apply()');
    s.service.apply();
    await settle();
    assert.equal(s.service.matchSource(SRV1)?.name, 'a');
    assert.equal(s.service.matchSource(SRV2)?.name, 'a');
    assert.equal(s.service.matchSource({ address: SRV1.address, port: 5070 }), undefined, 'a phone behind the provider address');
    assert.equal(s.service.matchSource({ address: SRV2.address, port: 5060 }), undefined);
    assert.equal(s.service.matchSource({ address: '198.51.100.10', port: 5060 }), undefined);
  });

  it('peers (CIDR) match from any port, for ip and register trunks', async () => {
    const s = setup({
      trunks: [
        trunk('peer', { type: 'ip', domain: '198.51.100.50', username: '', peers: ['198.51.100.0/28', '2001:db8:1::/48'] }),
        trunk('a', { peers: ['192.0.2.128/25'] }),
      ],
    });
    s.service.apply();
    await settle();
    assert.equal(s.service.matchSource({ address: '198.51.100.7', port: 40000 })?.name, 'peer');
    assert.equal(s.service.matchSource({ address: '198.51.100.50', port: 5060 })?.name, 'peer');
    assert.equal(s.service.matchSource({ address: '2001:db8:1::9', port: 5062 })?.name, 'peer');
    assert.equal(s.service.matchSource({ address: '198.51.100.16', port: 5060 }), undefined, 'outside the /28');
    assert.equal(s.service.matchSource({ address: '192.0.2.200', port: 1234 })?.name, 'a');
    assert.equal(s.net.sent.filter((x) => x.flow.remote.address === '198.51.100.50').length, 0, 'an ip trunk does not register');
  });

  it('several trunks at one provider: the Request-URI user picks the trunk whose username it is', async () => {
    const s = setup({ trunks: [trunk('a'), trunk('b', { username: 'pbx2' }), trunk('c', { username: 'pbx3' })] });
    s.service.apply();
    await settle();
    assert.equal(s.service.matchSource(SRV1, 'pbx2')?.name, 'b');
    assert.equal(s.service.matchSource(SRV2, 'pbx3')?.name, 'c');
    assert.equal(s.service.matchSource(SRV1, 'pbx1')?.name, 'a');
    assert.equal(s.service.matchSource(SRV1)?.name, 'a', 'no user: the first');
    assert.equal(s.service.matchSource(SRV1, '5550100')?.name, 'a', 'a DID as user: the first');
  });

  it(
    'an IPv6 literal domain written in another form than the socket reports ([2001:0DB8::5]) still matches',
    async () => {
      const s = setup({ trunks: [trunk('v6', { type: 'ip', domain: '[2001:0DB8::5]', username: '' })] });
      s.service.apply();
      await settle();
      assert.equal(s.service.matchSource({ address: '2001:db8::5', port: 5060 })?.name, 'v6');
    },
  );

  it('a disabled trunk is not matched', async () => {
    const s = setup({ trunks: [trunk('a', { enabled: false, peers: ['198.51.100.0/24'] })] });
    s.service.apply();
    await settle();
    assert.equal(s.service.matchSource(SRV1), undefined);
    assert.equal(s.service.matchSource({ address: '198.51.100.1', port: 5060 }), undefined);
  });

  it(
    "after the trunk's domain changes, the old provider's address no longer counts as the trunk",
    async () => {
      const s = setup({ trunks: [trunk('peer', { type: 'ip', domain: '198.51.100.50', username: '' })] });
      s.service.apply();
      await settle();
      assert.equal(s.service.matchSource({ address: '198.51.100.50', port: 5060 })?.name, 'peer');
      s.config.current = { ...s.config.current, trunks: [trunk('peer', { type: 'ip', domain: '198.51.100.60', username: '' })] };
      s.service.apply();
      await settle();
      assert.equal(s.service.matchSource({ address: '198.51.100.60', port: 5060 })?.name, 'peer');
      assert.equal(s.service.matchSource({ address: '198.51.100.50', port: 5060 }), undefined, 'calls from the old address would skip authentication');
    },
  );
});

describe('TrunkService: what an inbound call is for', () => {
  const s = setup({
    trunks: [trunk('a'), trunk('peer', { type: 'ip', domain: '198.51.100.50', username: '' })],
    inbound: { dids: [{ did: '5550100', extension: '102' }, { did: '+4930555777', extension: '103' }], defaultDestination: '100' },
  });
  const a = s.config.current.trunks[0]!;
  const peer = s.config.current.trunks[1]!;

  it('dialledOf: a register trunk whose username is the Request-URI user (or none) → the To user', () => {
    assert.equal(s.service.dialledOf(a, 'pbx1', '5550100'), '5550100');
    assert.equal(s.service.dialledOf(a, '', '5550100'), '5550100');
  });

  it('dialledOf: otherwise the Request-URI user', () => {
    assert.equal(s.service.dialledOf(a, '5550100', 'pbx1'), '5550100');
    assert.equal(s.service.dialledOf(peer, 'pbx1', '5550199'), 'pbx1', 'an ip trunk has no account to name');
    assert.equal(s.service.dialledOf(peer, '5550100', '5550199'), '5550100');
  });

  it('destination: the DID entry, else the default destination', () => {
    assert.equal(s.service.destination('5550100'), '102');
    assert.equal(s.service.destination('+4930555777'), '103');
    assert.equal(s.service.destination('5550199'), '100');
  });

  it("destination: '' as default → undefined (the call gets 404)", () => {
    const t = setup({ inbound: { dids: [{ did: '5550100', extension: '102' }], defaultDestination: '' } });
    assert.equal(t.service.destination('5550100'), '102');
    assert.equal(t.service.destination('5550199'), undefined);
  });
});

describe('TrunkService.apply and status: registrations', () => {
  it('an enabled register trunk REGISTERs to its first resolved target; ip and disabled trunks send nothing', async () => {
    const s = setup(
      {
        trunks: [
          trunk('a', { requestUriParams: 'user=phone' }),
          trunk('peer', { type: 'ip', domain: 'peer.example', username: '', peers: [] }),
          trunk('off', { enabled: false, username: 'pbx9' }),
        ],
      },
      { a: PASSWORD },
    );
    s.dns.as.set('peer.example', ['198.51.100.50']);
    s.service.apply();
    await settle();
    assert.equal(s.net.sent.length, 1);
    const { request: r, flow } = s.net.sent[0]!;
    assert.equal(r.method, 'REGISTER');
    assert.deepEqual(flow.remote, SRV1);
    assert.equal(r.uri, 'sip:voip.example;user=phone');
    assert.match(header(r, 'from')!, /^<sip:pbx1@voip\.example>;tag=/);
    assert.equal(header(r, 'to'), '<sip:pbx1@voip.example>');
    assert.equal(header(r, 'contact'), `<sip:pbx1@${LOCAL.address}:${LOCAL.port}>`);
    assert.equal(header(r, 'expires'), '600');
    assert.match(header(r, 'via')!, /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;rport;branch=z9hG4bK/);
    assert.equal(header(r, 'authorization'), undefined);
    assert.ok(s.dns.queries.includes('A peer.example'), 'the ip trunk is resolved (for matchSource)');
    assert.equal(s.service.matchSource({ address: '198.51.100.50', port: 5060 })?.name, 'peer');
    assert.deepEqual(s.service.status(), [
      { name: 'a', type: 'register', enabled: true, state: 'registering' },
      { name: 'peer', type: 'ip', enabled: true, state: 'ip' },
      { name: 'off', type: 'register', enabled: false, state: 'idle' },
    ]);
  });

  it("401 then 200: registered with expiresIn counting down; the digest verifies (authUsername, the REGISTER's URI)", async () => {
    const s = setup({ trunks: [trunk('a', { authUsername: 'auth-7', requestUriParams: 'user=phone' })] }, { a: PASSWORD });
    s.service.apply();
    await settle();
    const first = s.net.pending();
    s.net.answer(401, [['WWW-Authenticate', `Digest realm="${PROVIDER}", nonce="reg-n1", algorithm=MD5, qop="auth"`]]);
    await settle();
    assert.equal(s.net.sent.length, 2);
    const second = s.net.pending();
    assert.deepEqual(second.flow.remote, SRV1);
    assert.equal(header(second.request, 'call-id'), header(first.request, 'call-id'));
    assert.equal(tagOf(fromOf(second.request)), tagOf(fromOf(first.request)));
    assert.equal(header(second.request, 'cseq'), '2 REGISTER');
    const c = parseCredentials(header(second.request, 'authorization')!);
    assert.equal(c.username, 'auth-7');
    assert.equal(c.uri, 'sip:voip.example;user=phone');
    assert.equal(
      c.response,
      digestResponse({ algorithm: 'MD5', username: 'auth-7', realm: PROVIDER, password: PASSWORD, method: 'REGISTER', uri: c.uri, nonce: 'reg-n1', qop: 'auth', nc: c.nc!, cnonce: c.cnonce! }),
    );
    assert.deepEqual(s.service.status(), [{ name: 'a', type: 'register', enabled: true, state: 'registering' }]);
    s.net.answer(200, [['Contact', `<sip:pbx1@${LOCAL.address}:${LOCAL.port}>;expires=600`]]);
    assert.deepEqual(s.service.status(), [{ name: 'a', type: 'register', enabled: true, state: 'registered', expiresIn: 600 }]);
    s.clock.advance(100_000);
    assert.deepEqual(s.service.status(), [{ name: 'a', type: 'register', enabled: true, state: 'registered', expiresIn: 500 }]);
  });

  it('a 403 shows as failed with its status, reason and retry time', async () => {
    const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
    s.service.apply();
    await settle();
    s.net.answer(403);
    const [st] = s.service.status();
    assert.equal(st!.state, 'failed');
    assert.equal(st!.status, 403);
    assert.equal(st!.reason, 'Forbidden');
    assert.ok(st!.retryIn! > 0 && st!.retryIn! <= 30, `retryIn ${st!.retryIn}`);
  });

  it('apply() with an unchanged config sends nothing new', async () => {
    const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
    s.service.apply();
    await settle();
    s.net.answer(200, [['Expires', '600']]);
    s.service.apply();
    await settle();
    assert.equal(s.net.sent.length, 1);
    assert.equal(s.service.status()[0]!.state, 'registered');
  });

  it('a removed or disabled registered trunk is unregistered (Expires: 0) and stops', async () => {
    for (const change of ['remove', 'disable'] as const) {
      const s = setup({ trunks: [trunk('a'), trunk('b', { username: 'pbx2' })] }, { a: PASSWORD, b: PASSWORD });
      s.service.apply();
      await settle();
      assert.equal(s.net.sent.length, 2);
      for (const sent of [...s.net.sent]) s.net.answer(200, [['Expires', '600']], sent);
      const bRegister = s.net.sent.find((x) => header(x.request, 'to')!.includes('pbx2'))!;
      const trunks = change === 'remove' ? [trunk('a')] : [trunk('a'), trunk('b', { username: 'pbx2', enabled: false })];
      s.config.current = { ...s.config.current, trunks };
      s.service.apply();
      await settle();
      assert.equal(s.net.sent.length, 3, change);
      const unregister = s.net.pending();
      assert.equal(header(unregister.request, 'to'), '<sip:pbx2@voip.example>');
      assert.equal(header(unregister.request, 'expires'), '0');
      assert.equal(header(unregister.request, 'call-id'), header(bRegister.request, 'call-id'));
      s.net.answer(200);
      s.clock.advance(3_600_000);
      await settle();
      const refreshes = s.net.sent.slice(3);
      assert.ok(refreshes.length > 0, 'a keeps refreshing');
      assert.ok(refreshes.every((x) => header(x.request, 'to') === '<sip:pbx1@voip.example>'), `${change}: b is not registered again`);
      const expected =
        change === 'remove'
          ? [{ name: 'a', type: 'register', enabled: true, state: 'registered' }]
          : [
              { name: 'a', type: 'register', enabled: true, state: 'registered' },
              { name: 'b', type: 'register', enabled: false, state: 'idle' },
            ];
      assert.deepEqual(
        s.service.status().map(({ expiresIn: _e, ...rest }) => rest),
        expected,
      );
    }
  });

  it(
    'a change that does not touch the REGISTER (callerId) neither unregisters nor re-registers',
    async () => {
      const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
      s.service.apply();
      await settle();
      s.net.answer(200, [['Expires', '600']]);
      s.config.current = { ...s.config.current, trunks: [trunk('a', { callerId: { fromUser: '', fromDisplay: '', pai: '4930555000' } })] };
      s.service.apply();
      await settle();
      assert.deepEqual(
        s.net.sent.slice(1).map((x) => [header(x.request, 'call-id'), header(x.request, 'expires')]),
        [],
      );
      assert.equal(s.service.status()[0]!.state, 'registered');
    },
  );

  it('a provider that does not resolve: the registration is unreachable', async () => {
    const s = setup({ trunks: [trunk('a', { domain: 'nowhere.example' })] }, { a: PASSWORD });
    s.service.apply();
    await settle();
    assert.equal(s.net.sent.length, 0);
    assert.equal(s.service.status()[0]!.state, 'unreachable');
  });
});

describe('TrunkService: REGISTER failover over the RFC 3263 targets', () => {
  it('the first target times out → the same REGISTER to the second target with a new Via branch', async () => {
    const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
    s.service.apply();
    await settle();
    const first = s.net.pending();
    assert.deepEqual(first.flow.remote, SRV1);
    s.net.timeout(first);
    const second = s.net.pending();
    assert.deepEqual(second.flow.remote, SRV2);
    const via = (x: Sent) => header(x.request, 'via')!;
    assert.notEqual(via(second), via(first), 'a new transaction');
    assert.equal(via(second).replace(/;branch=[^;]*/, ''), via(first).replace(/;branch=[^;]*/, ''));
    const rest = (x: Sent) => x.request.headers.filter((h) => h.name.toLowerCase() !== 'via');
    assert.deepEqual(rest(second), rest(first), 'the same REGISTER: Call-ID, CSeq, From tag, Contact, Expires');
    assert.equal(second.request.uri, first.request.uri);
    assert.equal(s.service.status()[0]!.state, 'registering', 'one target failing is not the end');
    s.net.answer(200, [['Expires', '600']], second);
    assert.equal(s.service.status()[0]!.state, 'registered');
  });

  it('a transport error, or a target sendRequest cannot reach, moves on too; the last failing → unreachable', async () => {
    const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
    s.net.throwFor.add(SRV1.address);
    s.service.apply();
    await settle();
    const only = s.net.pending();
    assert.deepEqual(only.flow.remote, SRV2, 'skipped the target that threw');
    s.net.transportError(only);
    assert.equal(s.service.status()[0]!.state, 'unreachable');

    const t = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
    t.service.apply();
    await settle();
    t.net.transportError();
    assert.deepEqual(t.net.pending().flow.remote, SRV2);
    t.net.timeout();
    assert.equal(t.service.status()[0]!.state, 'unreachable');
    assert.equal(t.net.sent.length, 2);
  });

  it(
    'RFC 3263 §4.3: a 503 from the first target moves the REGISTER to the next one',
    async () => {
      const s = setup({ trunks: [trunk('a')] }, { a: PASSWORD });
      s.service.apply();
      await settle();
      s.net.answer(503);
      await settle();
      assert.equal(s.net.sent.length, 2);
      assert.deepEqual(s.net.pending().flow.remote, SRV2);
    },
  );
});
