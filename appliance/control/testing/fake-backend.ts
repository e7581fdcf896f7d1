/**
 * Test doubles for the control API: an in-memory AdminBackend and a logger that keeps
 * its entries. Used by control/server.test.ts and cli/cli.test.ts only.
 */
import { DEFAULT_PERMISSION, defaultForward, defaultRequestUriParams, defaultWeb, type DialRule, type InboundDid, type Language } from '../../config/schema';
import {
  AdminError,
  type AdminAccountInput,
  type AdminAccountView,
  type ServiceSettings,
  type ServiceSettingsInput,
  type ServiceSettingsView,
  type TlsCertificateView,
  type TlsInstallInput,
  type ActiveCallView,
  type CallRecord,
  type CdrListQuery,
  type AclList,
  type AclView,
  type AdminBackend,
  type BlockView,
  type DialRuleInput,
  type ExtensionInput,
  type ExtensionView,
  type InboundView,
  type LanguageView,
  type PingResult,
  type RegistrationView,
  type StatusView,
  type TrunkInput,
  type TrunkStatusView,
  type TrunkView,
} from '../backend';
import type { DnsCheckReport } from '../../pbx/diagnostics/dns-check';

/** An in-memory AdminBackend; removeBlock('boom') throws a plain Error (→ 500). */
export class FakeBackend implements AdminBackend {
  readonly extensions = new Map<string, ExtensionView>();
  readonly acl: AclView = { white: ['192.0.2.0/24'], black: [] };
  blocks: BlockView[] = [
    {
      key: '198.51.100.7|1001',
      address: '198.51.100.7',
      account: '1001',
      reason: 'wrong-password',
      count: 6,
      firstSeen: '2024-05-01T10:00:00.000Z',
      lastSeen: '2024-05-01T10:01:00.000Z',
      expiresAt: '2024-05-01T10:11:00.000Z',
    },
    {
      key: '203.0.113.9',
      address: '203.0.113.9',
      reason: 'enumeration',
      count: 40,
      firstSeen: '2024-05-01T09:00:00.000Z',
      lastSeen: '2024-05-01T09:05:00.000Z',
      expiresAt: '2024-05-01T10:05:00.000Z',
    },
  ];
  registrations: RegistrationView[] = [
    {
      aor: '1001',
      contact: 'sip:1001@192.0.2.10:5062;transport=udp',
      expiresAt: '2024-05-01T11:00:00.000Z',
      expiresIn: 3540,
      transport: 'UDP',
      source: '192.0.2.10:5062',
      userAgent: 'Yealink T46U',
      callId: 'abc@192.0.2.10',
      cseq: 3,
    },
  ];
  /** Every input the backend received (to check what validation let through). */
  readonly inputs: ExtensionInput[] = [];
  calls: ActiveCallView[] = [
    {
      id: 'c-7',
      caller: '1001',
      callee: '1002',
      target: '1003',
      state: 'answered',
      forwarded: [{ from: '1002', to: '1003', reason: 'busy' }],
      start: '2024-05-01T10:00:00.000Z',
      answer: '2024-05-01T10:00:05.000Z',
      durationSeconds: 125,
    },
    { id: 'c-8', caller: '1004', callee: '1001', target: '1001', state: 'ringing', forwarded: [], start: '2024-05-01T10:02:00.000Z', durationSeconds: 0 },
  ];
  /** Finished calls, sorted by start. */
  cdrs: CallRecord[] = [
    {
      id: 'r-1',
      callId: 'a1@192.0.2.10',
      caller: '1001',
      callerName: 'Front desk',
      callee: '1002',
      answeredBy: '1003',
      forwarded: [{ from: '1002', to: '1003', reason: 'no-answer' }],
      route: 'local',
      start: '2024-04-30T09:00:00.000Z',
      answer: '2024-04-30T09:00:20.000Z',
      end: '2024-04-30T09:02:20.000Z',
      durationSeconds: 120,
      disposition: 'answered',
      sipCode: 200,
      endedBy: 'caller',
    },
    {
      id: 'r-2',
      callId: 'b2@192.0.2.11',
      caller: '1002',
      callerName: 'Lee, "Boss"',
      callee: '1001',
      forwarded: [],
      route: 'local',
      start: '2024-05-01T08:00:00.000Z',
      end: '2024-05-01T08:00:30.000Z',
      durationSeconds: 0,
      disposition: 'no-answer',
      sipCode: 480,
    },
    {
      id: 'r-3',
      callId: 'c3@192.0.2.12',
      caller: '1004',
      callee: '1001',
      answeredBy: '1001',
      forwarded: [],
      route: 'local',
      start: '2024-05-01T09:30:00.000Z',
      answer: '2024-05-01T09:30:04.000Z',
      end: '2024-05-01T10:31:09.000Z',
      durationSeconds: 3665,
      disposition: 'answered',
      sipCode: 200,
      endedBy: 'callee',
    },
  ];
  /** Every query listCdrs received. */
  readonly cdrQueries: CdrListQuery[] = [];
  language: Language = 'en';
  readonly trunks = new Map<string, TrunkView>();
  /** Every trunk input the backend received (passwords included, to check what the CLI sent). */
  readonly trunkInputs: TrunkInput[] = [];
  trunkStatus: TrunkStatusView[] = [
    { name: 'itsp', type: 'register', enabled: true, state: 'registered', status: 200, expiresIn: 3312 },
    { name: 'backup', type: 'register', enabled: true, state: 'wrong-credentials', status: 403, reason: 'Forbidden', retryIn: 240 },
    { name: 'carrier', type: 'ip', enabled: true, state: 'ip' },
    { name: 'old', type: 'register', enabled: false, state: 'idle' },
  ];
  dialPlan: DialRule[] = [];
  /** What `GET /v1/status` answers: healthy, except for the trunk backup with wrong credentials. */
  status: StatusView = {
    version: '1.2.3',
    uptimeSeconds: 273_600,
    system: {
      cpu: { cores: 4, currentLoad: 7.5, loadAverage: [0.12, 0.2, 0.18], temperature: 41 },
      memory: { totalBytes: 926 * 1024 * 1024, usedBytes: 212 * 1024 * 1024, availableBytes: 714 * 1024 * 1024 },
      disk: { mount: '/', fs: '/dev/mmcblk0p2', sizeBytes: 14.6 * 1024 ** 3, usedBytes: 1.2 * 1024 ** 3, availableBytes: 13.4 * 1024 ** 3, usePercent: 8.2 },
      uptimeSeconds: 273_600,
      network: [{ name: 'eth0', ipv4: ['192.0.2.2'], ipv6: ['2001:db8::2'] }],
      node: '18.20.4',
      openssl: '3.0.13+quic',
    },
    sip: {
      listening: { udp: ['0.0.0.0:5060'], tcp: ['0.0.0.0:5060'], tls: ['0.0.0.0:5061'] },
      extensions: 15,
      registeredExtensions: 12,
      contacts: 14,
      activeCalls: 2,
      trunks: { total: 2, byState: { registered: 1, 'wrong-credentials': 1 }, failed: ['backup'] },
      blocks: 2,
    },
    tls: { notAfter: '2034-04-29T10:00:00.000Z', daysLeft: 3620, selfSigned: true },
    web: { listening: ['0.0.0.0:8443'] },
  };
  inbound: InboundView = { dids: [], defaultDestination: '' };

  listExtensions(): ExtensionView[] {
    return [...this.extensions.values()];
  }
  async addExtension(input: ExtensionInput): Promise<ExtensionView> {
    this.inputs.push(input);
    const number = input.number as string;
    if (this.extensions.has(number)) throw new AdminError('EDGESIP_ERR_EXISTS', `extension ${number} already exists`, 'number');
    const view: ExtensionView = {
      number,
      displayName: input.displayName ?? '',
      maxContacts: input.maxContacts ?? 5,
      enabled: input.enabled ?? true,
      allowedNetworks: input.allowedNetworks ?? [],
      forward: { ...defaultForward(), ...input.forward },
      permission: input.permission ?? DEFAULT_PERMISSION,
      hasSecret: input.password !== undefined,
    };
    this.extensions.set(number, view);
    return view;
  }
  async updateExtension(number: string, input: ExtensionInput): Promise<ExtensionView> {
    this.inputs.push(input);
    const old = this.extensions.get(number);
    if (!old) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${number}`, 'number');
    const view: ExtensionView = {
      ...old,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.maxContacts !== undefined ? { maxContacts: input.maxContacts } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.allowedNetworks !== undefined ? { allowedNetworks: input.allowedNetworks } : {}),
      forward: { ...old.forward, ...input.forward },
      ...(input.permission !== undefined ? { permission: input.permission } : {}),
    };
    this.extensions.set(number, view);
    return view;
  }
  async removeExtension(number: string): Promise<void> {
    if (!this.extensions.delete(number)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${number}`, 'number');
  }
  async pingRegistrations(aor: string): Promise<PingResult[]> {
    return this.registrations.filter((r) => r.aor === aor).map((r) => ({ contact: r.contact, transport: r.transport, source: r.source, status: 200, rttMs: 1 }));
  }

  listRegistrations(): RegistrationView[] {
    return this.registrations;
  }
  listAcl(): AclView {
    return { white: [...this.acl.white], black: [...this.acl.black] };
  }
  async addAcl(list: AclList, cidr: string): Promise<AclView> {
    if (this.acl[list].includes(cidr)) throw new AdminError('EDGESIP_ERR_EXISTS', `${cidr} is already on the ${list} list`, 'cidr');
    this.acl[list].push(cidr);
    return this.listAcl();
  }
  async removeAcl(list: AclList, cidr: string): Promise<AclView> {
    const i = this.acl[list].indexOf(cidr);
    if (i === -1) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `${cidr} is not on the ${list} list`, 'cidr');
    this.acl[list].splice(i, 1);
    return this.listAcl();
  }
  listBlocks(): BlockView[] {
    return this.blocks;
  }
  async removeBlock(key: string): Promise<void> {
    if (key === 'boom') throw new Error('disk on fire');
    const before = this.blocks.length;
    this.blocks = this.blocks.filter((b) => b.key !== key);
    if (this.blocks.length === before) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no block ${key}`, 'key');
  }
  listCalls(): ActiveCallView[] {
    return this.calls;
  }
  /** Filters like the CdrLog: start in [since, until), the last `limit`. */
  listCdrs(q: CdrListQuery): CallRecord[] {
    this.cdrQueries.push(q);
    const found = this.cdrs.filter((r) => {
      const start = Date.parse(r.start);
      return (q.since === undefined || start >= q.since) && (q.until === undefined || start < q.until);
    });
    return q.limit === undefined ? found : found.slice(Math.max(0, found.length - q.limit));
  }

  listTrunks(): TrunkView[] {
    return [...this.trunks.values()];
  }
  /** Like the daemon: defaults, the language's Request-URI parameters when none are given. */
  async addTrunk(input: TrunkInput): Promise<TrunkView> {
    this.trunkInputs.push(input);
    const name = input.name as string;
    if (this.trunks.has(name)) throw new AdminError('EDGESIP_ERR_EXISTS', `trunk ${name} exists`, 'name');
    if (input.type === 'ip' && (input.peers ?? []).length === 0) throw new AdminError('EDGESIP_ERR_INVALID', 'is required for ip trunks: the networks the provider sends calls from', 'peers');
    const view: TrunkView = {
      name,
      enabled: input.enabled ?? true,
      type: input.type ?? 'register',
      domain: input.domain ?? '',
      proxy: input.proxy ?? '',
      transport: input.transport ?? 'UDP',
      username: input.username ?? '',
      authUsername: input.authUsername ?? '',
      realm: input.realm ?? '',
      registerExpires: input.registerExpires ?? 3600,
      peers: input.peers ?? [],
      requestUriParams: input.requestUriParams ?? defaultRequestUriParams(this.language),
      callerId: { fromUser: '', fromDisplay: '', pai: '', ...input.callerId },
      templates: { from: '', to: '', pai: '', ...input.templates },
      hasPassword: Boolean(input.password),
    };
    this.trunks.set(name, view);
    return view;
  }
  async updateTrunk(name: string, input: TrunkInput): Promise<TrunkView> {
    this.trunkInputs.push(input);
    const old = this.trunks.get(name);
    if (!old) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no trunk ${name}`, 'name');
    const { password, callerId, templates, ...fields } = input;
    const view: TrunkView = {
      ...old,
      ...fields,
      callerId: { ...old.callerId, ...callerId },
      templates: { ...old.templates, ...templates },
      hasPassword: password === undefined ? old.hasPassword : password !== '',
    };
    this.trunks.set(name, view);
    return view;
  }
  async removeTrunk(name: string): Promise<void> {
    const rules = this.dialPlan.filter((r) => r.trunks.includes(name)).map((r) => r.name);
    if (rules.length > 0) throw new AdminError('EDGESIP_ERR_INVALID', `trunk ${name} is used by dial rule(s) ${rules.join(', ')}: remove it from them first`, 'name');
    if (!this.trunks.delete(name)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no trunk ${name}`, 'name');
  }
  listTrunkStatus(): TrunkStatusView[] {
    return this.trunkStatus;
  }
  async getStatus(): Promise<StatusView> {
    return this.status;
  }

  listDialPlan(): DialRule[] {
    return this.dialPlan;
  }
  async addDialRule(input: DialRuleInput): Promise<DialRule> {
    if (this.dialPlan.some((r) => r.name === input.name)) throw new AdminError('EDGESIP_ERR_EXISTS', `dial rule ${input.name} exists`, 'name');
    input.trunks.forEach((t, i) => {
      if (!this.trunks.has(t)) throw new AdminError('EDGESIP_ERR_INVALID', `no trunk ${t}`, `trunks[${i}]`);
    });
    const position = input.position ?? this.dialPlan.length + 1;
    if (position > this.dialPlan.length + 1) throw new AdminError('EDGESIP_ERR_INVALID', `must be from 1 to ${this.dialPlan.length + 1}`, 'position');
    const rule: DialRule = { name: input.name, pattern: input.pattern, strip: input.strip ?? 0, prefix: input.prefix ?? '', trunks: input.trunks, class: input.class };
    this.dialPlan.splice(position - 1, 0, rule);
    return rule;
  }
  async removeDialRule(name: string): Promise<void> {
    const before = this.dialPlan.length;
    this.dialPlan = this.dialPlan.filter((r) => r.name !== name);
    if (this.dialPlan.length === before) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no dial rule ${name}`, 'name');
  }
  async moveDialRule(name: string, position: number): Promise<DialRule[]> {
    const rule = this.dialPlan.find((r) => r.name === name);
    if (!rule) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no dial rule ${name}`, 'name');
    if (position > this.dialPlan.length) throw new AdminError('EDGESIP_ERR_INVALID', `must be from 1 to ${this.dialPlan.length}`, 'position');
    this.dialPlan = this.dialPlan.filter((r) => r !== rule);
    this.dialPlan.splice(position - 1, 0, rule);
    return this.dialPlan;
  }

  getInbound(): InboundView {
    return { dids: [...this.inbound.dids], defaultDestination: this.inbound.defaultDestination };
  }
  async addDid(entry: InboundDid): Promise<InboundView> {
    if (this.inbound.dids.some((d) => d.did === entry.did)) throw new AdminError('EDGESIP_ERR_EXISTS', `DID ${entry.did} is already routed`, 'did');
    if (!this.extensions.has(entry.extension)) throw new AdminError('EDGESIP_ERR_INVALID', `no extension ${entry.extension}`, 'extension');
    this.inbound.dids.push(entry);
    return this.getInbound();
  }
  async removeDid(did: string): Promise<InboundView> {
    const i = this.inbound.dids.findIndex((d) => d.did === did);
    if (i === -1) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no DID ${did}`, 'did');
    this.inbound.dids.splice(i, 1);
    return this.getInbound();
  }
  async setDefaultDestination(extension: string): Promise<InboundView> {
    if (extension !== '' && !this.extensions.has(extension)) throw new AdminError('EDGESIP_ERR_INVALID', `no extension ${extension}`, 'extension');
    this.inbound.defaultDestination = extension;
    return this.getInbound();
  }

  getLanguage(): LanguageView {
    return { language: this.language };
  }
  /** What checkDns answers (whatever the names); the names asked are kept in dnsCheckNames. */
  dnsReport: DnsCheckReport = {
    names: [
      {
        name: 'sip.example.net',
        checks: [
          {
            type: 'A',
            query: 'sip.example.net',
            answers: [
              { resolver: 'system', records: ['10.0.0.1'] },
              { resolver: '119.29.29.29', records: ['198.51.100.10'] },
              { resolver: '223.5.5.5', error: 'ETIMEOUT' },
            ],
            verdict: 'disagree',
          },
          {
            type: 'SRV',
            query: '_sip._udp.sip.example.net',
            answers: [
              { resolver: 'system', records: ['10 50 5060 sip.example.net'] },
              { resolver: '119.29.29.29', records: ['10 50 5060 sip.example.net'] },
              { resolver: '223.5.5.5', records: ['10 50 5060 sip.example.net'] },
            ],
            verdict: 'agree',
          },
        ],
      },
    ],
    findings: [
      { name: 'sip.example.net', type: 'A', query: 'sip.example.net', kind: 'disagree', resolvers: ['system', '119.29.29.29'] },
      { name: 'sip.example.net', type: 'A', query: 'sip.example.net', kind: 'timeout', resolvers: ['223.5.5.5'] },
    ],
    commands: ['dig sip.example.net A', 'nslookup -type=A sip.example.net', 'dig @119.29.29.29 sip.example.net A', 'nslookup -type=A sip.example.net 119.29.29.29'],
    timeoutMs: 3000,
  };
  dnsCheckNames: Array<string[] | undefined> = [];

  async checkDns(names: string[] | undefined): Promise<DnsCheckReport> {
    this.dnsCheckNames.push(names);
    return this.dnsReport;
  }

  async setLanguage(language: Language): Promise<LanguageView> {
    this.language = language;
    return this.getLanguage();
  }

  /** Web admin accounts by user name; one, `admin`, at first. */
  readonly admins = new Map<string, AdminAccountView>([
    ['admin', { user: 'admin', createdAt: '2024-05-01T08:00:00.000Z', passwordChangedAt: '2024-05-01T08:00:00.000Z', lockedUntil: null }],
  ]);
  /** The last password addAdmin or setAdminPassword received (to check what the CLI sent). */
  lastAdminPassword: { user: string; password: string } | undefined;
  /** The time stamps the fake gives to admin changes. */
  adminNow = '2024-06-01T12:00:00.000Z';

  listAdmins(): AdminAccountView[] {
    return [...this.admins.values()].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)).map((a) => ({ ...a }));
  }
  async addAdmin(input: AdminAccountInput): Promise<AdminAccountView> {
    if (this.admins.has(input.user)) throw new AdminError('EDGESIP_ERR_EXISTS', `admin ${input.user} already exists`, 'user');
    const view: AdminAccountView = { user: input.user, createdAt: this.adminNow, passwordChangedAt: this.adminNow, lockedUntil: null };
    this.admins.set(input.user, view);
    this.lastAdminPassword = { user: input.user, password: input.password };
    return { ...view };
  }
  async setAdminPassword(user: string, password: string): Promise<AdminAccountView> {
    const old = this.adminOf(user);
    const view: AdminAccountView = { ...old, passwordChangedAt: this.adminNow, lockedUntil: null };
    this.admins.set(user, view);
    this.lastAdminPassword = { user, password };
    return { ...view };
  }
  async removeAdmin(user: string): Promise<void> {
    this.adminOf(user);
    if (this.admins.size === 1) throw new AdminError('EDGESIP_ERR_CONFLICT', `${user} is the last admin account; add another one first`);
    this.admins.delete(user);
  }
  async unlockAdmin(user: string): Promise<AdminAccountView> {
    const view: AdminAccountView = { ...this.adminOf(user), lockedUntil: null };
    this.admins.set(user, view);
    return { ...view };
  }
  private adminOf(user: string): AdminAccountView {
    const found = this.admins.get(user);
    if (found === undefined) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no admin ${user}`, 'user');
    return found;
  }

  /** The certificate in use: the self-signed one at first. */
  tls: TlsCertificateView = {
    subject: 'CN=edgesip',
    issuer: 'CN=edgesip',
    subjectAltName: 'DNS:edgesip, DNS:edgesip.local, DNS:localhost, IP Address:127.0.0.1',
    notBefore: '2024-05-01T10:00:00.000Z',
    notAfter: '2034-04-29T10:00:00.000Z',
    daysLeft: 3620,
    expiryWarning: false,
    selfSigned: true,
    fingerprint256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
    certFile: '/var/lib/edgesip/tls/edgesip.crt',
  };
  /** What installTls serves after a successful install. */
  installedTls: TlsCertificateView = {
    subject: 'CN=pbx.example.com',
    issuer: "C=US\nO=Let's Encrypt\nCN=R11",
    subjectAltName: 'DNS:pbx.example.com',
    notBefore: '2024-05-01T00:00:00.000Z',
    notAfter: '2024-07-30T00:00:00.000Z',
    daysLeft: 20,
    expiryWarning: true,
    selfSigned: false,
    fingerprint256: '12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0',
    certFile: '/var/lib/edgesip/tls/installed.crt',
  };
  /** Every pair installTls received. */
  readonly tlsInputs: TlsInstallInput[] = [];

  getTls(): TlsCertificateView {
    return { ...this.tls };
  }
  /** Any pair whose certificate holds a certificate block; a key containing 'MISMATCH' does not fit. */
  async installTls(input: TlsInstallInput): Promise<TlsCertificateView> {
    this.tlsInputs.push(input);
    if (!input.cert.includes('BEGIN CERTIFICATE')) throw new AdminError('EDGESIP_ERR_INVALID', 'is not a PEM certificate', 'cert');
    if (input.key.includes('MISMATCH')) throw new AdminError('EDGESIP_ERR_INVALID', 'does not match the certificate', 'key');
    this.tls = { ...this.installedTls };
    return this.getTls();
  }

  /** The saved settings; the ports in use are those of the start (restartRequired when they differ). */
  settings: ServiceSettings = { sip: { port: 5060, tlsPort: 5061, tlsMinVersion: 'TLSv1.2', digestAlgorithms: ['SHA-256', 'MD5'] }, web: defaultWeb() };
  private readonly portsInUse = portsOf(this.settings);
  /** Every settings change received. */
  readonly settingsInputs: ServiceSettingsInput[] = [];

  getSettings(): ServiceSettingsView {
    const { sip, web } = this.settings;
    return { sip: { ...sip, digestAlgorithms: [...sip.digestAlgorithms] }, web: { ...web }, restartRequired: portsOf(this.settings) !== this.portsInUse };
  }
  async updateSettings(input: ServiceSettingsInput): Promise<ServiceSettingsView> {
    this.settingsInputs.push(input);
    const next: ServiceSettings = { sip: { ...this.settings.sip, ...input.sip }, web: { ...this.settings.web, ...input.web } };
    if (next.sip.port === next.sip.tlsPort) throw new AdminError('EDGESIP_ERR_INVALID', 'must differ from sip.port', 'sip.tlsPort');
    this.settings = next;
    return this.getSettings();
  }
}

/** The ports of `s`, as one comparable string. */
function portsOf(s: ServiceSettings): string {
  return [s.sip.port, s.sip.tlsPort, s.web.port, s.web.httpRedirectPort].join(' ');
}

export interface LogEntry {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}

export function memoryLogger(entries: LogEntry[]) {
  return {
    info: (obj: object, msg: string) => void entries.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void entries.push({ level: 'warn', obj, msg }),
  };
}
