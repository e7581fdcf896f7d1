import {
  AdminError,
  type ActiveCallView,
  type CallRecord,
  type CdrListQuery,
  type PingResult,
  type AclList,
  type AdminAccountView,
  type AdminAccountInput,
  type AdminBackend,
  type ServiceSettingsInput,
  type ServiceSettingsView,
  type TlsCertificateView,
  type TlsInstallInput,
  type DialRuleInput,
  type ExtensionInput,
  type ExtensionView,
  type InboundView,
  type LanguageView,
  type RegistrationView,
  type TrunkInput,
  type StatusView,
  type TrunkStatusView,
  type TrunkView,
} from '../control/backend';
import {
  DEFAULT_PERMISSION,
  defaultForward,
  defaultRequestUriParams,
  dnsNameProblem,
  type DialRule,
  type EdgesipConfig,
  type Extension,
  type ForwardSettings,
  type InboundDid,
  type Language,
  type Trunk,
} from '../config/schema';
import { ConfigError, saveConfig } from '../config/store';
import type { DnsCheckReport } from '../pbx/diagnostics/dns-check';
import type { SecretStore } from '../pbx/accounts/secret-store';
import type { Guard } from '../pbx/guard/guard';
import type { Binding, LocationStore } from '../pbx/registrar/location-store';
import type { Clock } from '../sip/clock';
import { describeTlsIdentity, installTlsIdentity, TlsInstallError, type TlsIdentity } from '../platform/tls-identity';
import { formatEndpoint } from '../sip/transport/flow';

/** The running configuration; replaced (never mutated) when an admin changes it. */
export interface ConfigHolder {
  current: EdgesipConfig;
}

export interface AdminBackendDeps {
  dataDir: string;
  config: ConfigHolder;
  secrets: SecretStore;
  locations: LocationStore;
  guard: Guard;
  clock: Clock;
  /** Sends OPTIONS to one contact over its flow (the SIP service). */
  ping(binding: Binding): Promise<PingResult>;
  /** The calls in progress (the B2BUA); none listed when absent. */
  calls?: { list(): ActiveCallView[] };
  /** The call detail records (pbx/cdr/cdr-log.ts CdrLog); none listed when absent. */
  cdr?: { query(q: CdrListQuery): CallRecord[] };
  /** Live state of the trunk registrations; none listed when absent. */
  trunkStatus?: { list(): TrunkStatusView[] };
  /** `GET /v1/status` (daemon/status.ts collectStatus); a 500 when absent. */
  status?: () => Promise<StatusView>;
  /** `POST /v1/diag/dns` (pbx/diagnostics/dns-check.ts over the configured resolvers); a 500 when absent. */
  dnsCheck?: (names: string[]) => Promise<DnsCheckReport>;
  /**
   * Called after every applied change (config saved, secrets stored), with the new
   * config: the daemon restarts trunk registrations from it. A trunk password change
   * calls it too, with an unchanged config. What it throws is reported as a 500 (the
   * change itself stays saved).
   */
  onConfigChange?: (config: EdgesipConfig) => void;
  /** The web admin accounts (web/admin-access.ts); a 500 when absent. */
  admins?: AdminDirectory;
  /**
   * The certificate in use; `use` makes SIP-TLS and the HTTPS admin present a new one
   * (and apply changed TLS versions), for new connections. A 500 when absent.
   */
  tls?: { current(): TlsIdentity; use(identity: TlsIdentity): void };
}

/** What the control API asks of the web admin accounts; errors are AdminErrors. */
export interface AdminDirectory {
  list(): AdminAccountView[];
  add(user: string, password: string): Promise<AdminAccountView>;
  setPassword(user: string, password: string): Promise<AdminAccountView>;
  remove(user: string): void;
  unlock(user: string): AdminAccountView;
}

/** Where config problems of one entry point to, in the API's field names. */
interface Scope {
  /** Config path of the entry, e.g. `trunks[2]`; problems under it lose this prefix. */
  prefix: string;
  /** The field a problem at exactly `prefix` is reported as. */
  as?: string;
}

const REGISTER_EXPIRES_DEFAULT = 3600;

/**
 * The daemon's side of the control API. Every change is validated as a whole config
 * candidate and written atomically before it takes effect; a refused change leaves the
 * running config and the file as they were.
 */
export class DaemonAdminBackend implements AdminBackend {
  /** The ports the daemon started with (saved changes to them need a restart). */
  private readonly startPorts: string;

  constructor(private readonly d: AdminBackendDeps) {
    this.startPorts = portsOf(d.config.current);
  }

  listAdmins(): AdminAccountView[] {
    return this.adminDirectory().list();
  }

  addAdmin(input: AdminAccountInput): Promise<AdminAccountView> {
    return this.adminDirectory().add(input.user, input.password);
  }

  setAdminPassword(user: string, password: string): Promise<AdminAccountView> {
    return this.adminDirectory().setPassword(user, password);
  }

  async removeAdmin(user: string): Promise<void> {
    this.adminDirectory().remove(user);
  }

  async unlockAdmin(user: string): Promise<AdminAccountView> {
    return this.adminDirectory().unlock(user);
  }

  getTls(): TlsCertificateView {
    return describeTlsIdentity(this.tlsHolder().current(), new Date(this.d.clock.now()));
  }

  async installTls(input: TlsInstallInput): Promise<TlsCertificateView> {
    const holder = this.tlsHolder();
    const now = new Date(this.d.clock.now());
    let identity: TlsIdentity;
    try {
      identity = installTlsIdentity(this.d.dataDir, input.cert, input.key, now);
    } catch (err) {
      if (err instanceof TlsInstallError) throw new AdminError('EDGESIP_ERR_INVALID', err.message, err.field);
      throw err;
    }
    const current = this.d.config.current;
    this.apply({ ...current, tls: { ...current.tls, certFile: identity.certFile, keyFile: identity.keyFile } });
    holder.use(identity);
    return describeTlsIdentity(identity, now);
  }

  getSettings(): ServiceSettingsView {
    const c = this.d.config.current;
    return {
      sip: { port: c.sip.port, tlsPort: c.sip.tlsPort, tlsMinVersion: c.tls.minVersion, digestAlgorithms: [...c.sip.digestAlgorithms] },
      web: { ...c.web },
      restartRequired: portsOf(c) !== this.startPorts,
    };
  }

  async updateSettings(input: ServiceSettingsInput): Promise<ServiceSettingsView> {
    const c = this.d.config.current;
    const sip = input.sip ?? {};
    this.apply({
      ...c,
      // The SIP service reads digestAlgorithms at each challenge: applies at once.
      sip: merged(c.sip, { port: sip.port, tlsPort: sip.tlsPort, digestAlgorithms: sip.digestAlgorithms && [...sip.digestAlgorithms] }),
      tls: merged(c.tls, { minVersion: sip.tlsMinVersion }),
      web: merged(c.web, input.web),
    });
    // New TLS versions apply to the next connections; ports wait for a restart.
    const holder = this.d.tls;
    if (holder !== undefined) holder.use(holder.current());
    return this.getSettings();
  }

  private adminDirectory(): AdminDirectory {
    if (this.d.admins === undefined) throw new AdminError('EDGESIP_ERR_INTERNAL', 'web admin accounts are not available in this daemon');
    return this.d.admins;
  }

  private tlsHolder(): NonNullable<AdminBackendDeps['tls']> {
    if (this.d.tls === undefined) throw new AdminError('EDGESIP_ERR_INTERNAL', 'TLS is not available in this daemon');
    return this.d.tls;
  }

  listExtensions(): ExtensionView[] {
    return this.d.config.current.extensions.map((e) => this.view(e));
  }

  async addExtension(input: ExtensionInput): Promise<ExtensionView> {
    const number = input.number;
    if (!number) throw new AdminError('EDGESIP_ERR_INVALID', 'number is required', 'number');
    if (!input.password) throw new AdminError('EDGESIP_ERR_INVALID', 'password is required', 'password');
    if (this.find(number)) throw new AdminError('EDGESIP_ERR_EXISTS', `extension ${number} exists`, 'number');
    const ext: Extension = {
      number,
      displayName: input.displayName ?? '',
      maxContacts: input.maxContacts ?? 3,
      enabled: input.enabled ?? true,
      allowedNetworks: input.allowedNetworks ?? [],
      forward: mergeForward(defaultForward(), input.forward),
      permission: input.permission ?? DEFAULT_PERMISSION,
    };
    this.apply({ ...this.d.config.current, extensions: [...this.d.config.current.extensions, ext] });
    // The config names the extension first; without a secret it cannot authenticate,
    // so a crash between the two writes leaves a harmless, visible state (hasSecret false).
    this.d.secrets.set(number, input.password);
    this.changed();
    return this.view(ext);
  }

  async updateExtension(number: string, input: ExtensionInput): Promise<ExtensionView> {
    const old = this.find(number);
    if (!old) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${number}`, 'number');
    if (input.number !== undefined && input.number !== number) {
      throw new AdminError('EDGESIP_ERR_INVALID', 'the number of an extension cannot change', 'number');
    }
    const ext: Extension = {
      ...old,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.maxContacts !== undefined ? { maxContacts: input.maxContacts } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.allowedNetworks !== undefined ? { allowedNetworks: input.allowedNetworks } : {}),
      forward: mergeForward(old.forward, input.forward),
      ...(input.permission !== undefined ? { permission: input.permission } : {}),
    };
    this.apply({ ...this.d.config.current, extensions: this.d.config.current.extensions.map((e) => (e.number === number ? ext : e)) });
    if (input.password) this.d.secrets.set(number, input.password);
    if (!ext.enabled) this.d.locations.clear(number);
    this.changed();
    return this.view(ext);
  }

  // Forwards of other extensions that name this one stay as they are: a forward to a
  // missing extension is allowed and fails at call time (the admin may re-add it).
  // Inbound routing is not: a DID must ring an extension that exists.
  async removeExtension(number: string): Promise<void> {
    if (!this.find(number)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${number}`, 'number');
    const { inbound } = this.d.config.current;
    const dids = inbound.dids.filter((d) => d.extension === number).map((d) => d.did);
    if (dids.length > 0 || inbound.defaultDestination === number) {
      const uses = [
        ...(dids.length > 0 ? [`calls to ${dids.join(', ')}`] : []),
        ...(inbound.defaultDestination === number ? ['inbound calls without a DID entry (the default destination)'] : []),
      ];
      throw new AdminError('EDGESIP_ERR_INVALID', `extension ${number} receives ${uses.join(' and ')}: change the inbound routing first`, 'number');
    }
    this.apply({ ...this.d.config.current, extensions: this.d.config.current.extensions.filter((e) => e.number !== number) });
    this.d.secrets.remove(number);
    this.d.locations.clear(number);
    this.changed();
  }

  listRegistrations(): RegistrationView[] {
    const now = this.d.clock.now();
    return this.d.locations.all().map((b) => ({
      aor: b.aor,
      contact: b.contact,
      expiresAt: new Date(b.expiresAt).toISOString(),
      expiresIn: Math.max(0, Math.ceil((b.expiresAt - now) / 1000)),
      ...(b.q !== undefined ? { q: b.q } : {}),
      transport: b.flow.transport,
      source: formatEndpoint(b.flow.remote),
      ...(b.userAgent !== undefined ? { userAgent: b.userAgent } : {}),
      callId: b.callId,
      cseq: b.cseq,
    }));
  }

  async pingRegistrations(aor: string): Promise<PingResult[]> {
    if (!this.find(aor)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${aor}`, 'number');
    return Promise.all(this.d.locations.bindings(aor).map((b) => this.d.ping(b)));
  }

  listAcl() {
    const { white, black } = this.d.config.current.acl;
    return { white: [...white], black: [...black] };
  }

  async addAcl(list: AclList, cidr: string) {
    const acl = this.listAcl();
    if (acl[list].includes(cidr)) throw new AdminError('EDGESIP_ERR_EXISTS', `${cidr} is already on the ${list} list`, 'cidr');
    acl[list].push(cidr);
    this.apply({ ...this.d.config.current, acl });
    this.d.guard.setAcl(acl);
    this.changed();
    return this.listAcl();
  }

  async removeAcl(list: AclList, cidr: string) {
    const acl = this.listAcl();
    if (!acl[list].includes(cidr)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `${cidr} is not on the ${list} list`, 'cidr');
    acl[list] = acl[list].filter((c) => c !== cidr);
    this.apply({ ...this.d.config.current, acl });
    this.d.guard.setAcl(acl);
    this.changed();
    return this.listAcl();
  }

  listBlocks() {
    return this.d.guard.list();
  }

  async removeBlock(key: string): Promise<void> {
    if (!this.d.guard.remove(key)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no block ${key}`, 'key');
  }

  listCalls(): ActiveCallView[] {
    return this.d.calls?.list() ?? [];
  }

  listCdrs(q: CdrListQuery): CallRecord[] {
    return this.d.cdr?.query(q) ?? [];
  }

  listTrunks(): TrunkView[] {
    return this.d.config.current.trunks.map((t) => this.trunkView(t));
  }

  async addTrunk(input: TrunkInput): Promise<TrunkView> {
    const { name, type, domain } = input;
    if (!name) throw new AdminError('EDGESIP_ERR_INVALID', 'name is required', 'name');
    if (!type) throw new AdminError('EDGESIP_ERR_INVALID', 'type is required', 'type');
    if (!domain) throw new AdminError('EDGESIP_ERR_INVALID', 'domain is required', 'domain');
    const current = this.d.config.current;
    if (this.findTrunk(name)) throw new AdminError('EDGESIP_ERR_EXISTS', `trunk ${name} exists`, 'name');
    const trunk: Trunk = {
      name,
      enabled: input.enabled ?? true,
      type,
      domain,
      proxy: input.proxy ?? '',
      transport: input.transport ?? 'UDP',
      username: input.username ?? '',
      authUsername: input.authUsername ?? '',
      realm: input.realm ?? '',
      registerExpires: input.registerExpires ?? REGISTER_EXPIRES_DEFAULT,
      peers: input.peers ?? [],
      // The language decides only when nothing was given; '' given stays ''.
      requestUriParams: input.requestUriParams ?? defaultRequestUriParams(current.language),
      callerId: merged({ fromUser: '', fromDisplay: '', pai: '' }, input.callerId),
      templates: merged({ from: '', to: '', pai: '' }, input.templates),
    };
    this.apply({ ...current, trunks: [...current.trunks, trunk] }, { prefix: `trunks[${current.trunks.length}]` });
    if (input.password) this.d.secrets.setTrunkPassword(name, input.password);
    else this.d.secrets.removeTrunkPassword(name); // one left over by an earlier trunk of that name
    this.changed();
    return this.trunkView(trunk);
  }

  async updateTrunk(name: string, input: TrunkInput): Promise<TrunkView> {
    const current = this.d.config.current;
    const index = current.trunks.findIndex((t) => t.name === name);
    const old = current.trunks[index];
    if (!old) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no trunk ${name}`, 'name');
    if (input.name !== undefined && input.name !== name) throw new AdminError('EDGESIP_ERR_INVALID', 'the name of a trunk cannot change', 'name');
    const { password, callerId, templates, name: _name, ...fields } = input;
    const trunk: Trunk = {
      ...old,
      ...definedOnly(fields),
      callerId: merged(old.callerId, callerId),
      templates: merged(old.templates, templates),
    };
    this.apply({ ...current, trunks: current.trunks.map((t) => (t.name === name ? trunk : t)) }, { prefix: `trunks[${index}]` });
    if (password === '') this.d.secrets.removeTrunkPassword(name);
    else if (password !== undefined) this.d.secrets.setTrunkPassword(name, password);
    this.changed();
    return this.trunkView(trunk);
  }

  async removeTrunk(name: string): Promise<void> {
    const current = this.d.config.current;
    if (!this.findTrunk(name)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no trunk ${name}`, 'name');
    const rules = current.dialPlan.filter((r) => r.trunks.includes(name)).map((r) => r.name);
    if (rules.length > 0) {
      throw new AdminError('EDGESIP_ERR_INVALID', `trunk ${name} is used by dial rule(s) ${rules.join(', ')}: remove it from them first`, 'name');
    }
    this.apply({ ...current, trunks: current.trunks.filter((t) => t.name !== name) });
    this.d.secrets.removeTrunkPassword(name);
    this.changed();
  }

  listTrunkStatus(): TrunkStatusView[] {
    return this.d.trunkStatus?.list() ?? [];
  }

  async getStatus(): Promise<StatusView> {
    if (this.d.status === undefined) throw new AdminError('EDGESIP_ERR_INTERNAL', 'status is not available');
    return this.d.status();
  }

  async checkDns(names: string[] | undefined): Promise<DnsCheckReport> {
    if (this.d.dnsCheck === undefined) throw new AdminError('EDGESIP_ERR_INTERNAL', 'the DNS check is not available');
    return this.d.dnsCheck(names ?? defaultDnsCheckNames(this.d.config.current));
  }

  listDialPlan(): DialRule[] {
    return this.d.config.current.dialPlan.map(copyRule);
  }

  async addDialRule(input: DialRuleInput): Promise<DialRule> {
    const current = this.d.config.current;
    if (current.dialPlan.some((r) => r.name === input.name)) throw new AdminError('EDGESIP_ERR_EXISTS', `dial rule ${input.name} exists`, 'name');
    const count = current.dialPlan.length;
    const position = input.position ?? count + 1;
    if (position < 1 || position > count + 1) throw new AdminError('EDGESIP_ERR_INVALID', `must be from 1 to ${count + 1}`, 'position');
    const rule: DialRule = {
      name: input.name,
      pattern: input.pattern,
      strip: input.strip ?? 0,
      prefix: input.prefix ?? '',
      trunks: [...input.trunks],
      class: input.class,
    };
    const dialPlan = [...current.dialPlan];
    dialPlan.splice(position - 1, 0, rule);
    this.apply({ ...current, dialPlan }, { prefix: `dialPlan[${position - 1}]` });
    this.changed();
    return copyRule(rule);
  }

  async removeDialRule(name: string): Promise<void> {
    const current = this.d.config.current;
    if (!current.dialPlan.some((r) => r.name === name)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no dial rule ${name}`, 'name');
    this.apply({ ...current, dialPlan: current.dialPlan.filter((r) => r.name !== name) });
    this.changed();
  }

  async moveDialRule(name: string, position: number): Promise<DialRule[]> {
    const current = this.d.config.current;
    const index = current.dialPlan.findIndex((r) => r.name === name);
    const rule = current.dialPlan[index];
    if (!rule) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no dial rule ${name}`, 'name');
    if (position < 1 || position > current.dialPlan.length) throw new AdminError('EDGESIP_ERR_INVALID', `must be from 1 to ${current.dialPlan.length}`, 'position');
    const dialPlan = current.dialPlan.filter((r) => r.name !== name);
    dialPlan.splice(position - 1, 0, rule);
    this.apply({ ...current, dialPlan });
    this.changed();
    return this.listDialPlan();
  }

  getInbound(): InboundView {
    const { dids, defaultDestination } = this.d.config.current.inbound;
    return { dids: dids.map((d) => ({ ...d })), defaultDestination };
  }

  async addDid(entry: InboundDid): Promise<InboundView> {
    const current = this.d.config.current;
    if (current.inbound.dids.some((d) => d.did === entry.did)) throw new AdminError('EDGESIP_ERR_EXISTS', `DID ${entry.did} is already routed`, 'did');
    const dids = [...current.inbound.dids, { did: entry.did, extension: entry.extension }];
    this.apply({ ...current, inbound: { ...current.inbound, dids } }, { prefix: `inbound.dids[${dids.length - 1}]` });
    this.changed();
    return this.getInbound();
  }

  async removeDid(did: string): Promise<InboundView> {
    const current = this.d.config.current;
    if (!current.inbound.dids.some((d) => d.did === did)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no DID ${did}`, 'did');
    this.apply({ ...current, inbound: { ...current.inbound, dids: current.inbound.dids.filter((d) => d.did !== did) } });
    this.changed();
    return this.getInbound();
  }

  async setDefaultDestination(extension: string): Promise<InboundView> {
    const current = this.d.config.current;
    this.apply({ ...current, inbound: { ...current.inbound, defaultDestination: extension } }, { prefix: 'inbound.defaultDestination', as: 'extension' });
    this.changed();
    return this.getInbound();
  }

  getLanguage(): LanguageView {
    return { language: this.d.config.current.language };
  }

  // Existing trunks keep their Request-URI parameters: the language is only their default.
  async setLanguage(language: Language): Promise<LanguageView> {
    this.apply({ ...this.d.config.current, language }, { prefix: 'language', as: 'language' });
    this.changed();
    return this.getLanguage();
  }

  private findTrunk(name: string): Trunk | undefined {
    return this.d.config.current.trunks.find((t) => t.name === name);
  }

  private trunkView(t: Trunk): TrunkView {
    return { ...t, peers: [...t.peers], callerId: { ...t.callerId }, templates: { ...t.templates }, hasPassword: this.d.secrets.hasTrunkPassword(t.name) };
  }

  private find(number: string): Extension | undefined {
    return this.d.config.current.extensions.find((e) => e.number === number);
  }

  private view(e: Extension): ExtensionView {
    return { ...e, allowedNetworks: [...e.allowedNetworks], forward: { ...e.forward }, hasSecret: this.d.secrets.has(e.number) };
  }

  /**
   * Validates and saves the candidate, then makes it current. A refusal names the first
   * problem; one inside `scope` (the entry being added or changed) is named by the
   * API's field (`peers`, not `trunks[2].peers`) and reported by its reason alone.
   */
  private apply(candidate: EdgesipConfig, scope?: Scope): void {
    try {
      this.d.config.current = saveConfig(this.d.dataDir, candidate);
    } catch (err) {
      if (err instanceof ConfigError) {
        const first = err.problems[0]!;
        const field = scope === undefined ? undefined : scopedField(first.path, scope);
        if (field !== undefined) throw new AdminError('EDGESIP_ERR_INVALID', first.reason, field);
        throw new AdminError('EDGESIP_ERR_INVALID', `${first.path}: ${first.reason}`, first.path);
      }
      throw err;
    }
  }

  /** Tells the daemon (onConfigChange) that a change was applied. */
  private changed(): void {
    const hook = this.d.onConfigChange;
    if (hook === undefined) return;
    try {
      hook(this.d.config.current);
    } catch (err) {
      throw new AdminError('EDGESIP_ERR_INTERNAL', `the change was saved, but applying it failed: ${(err as Error).message ?? String(err)}`);
    }
  }
}

/** The listening ports of a config, compared to tell whether a restart is needed. */
function portsOf(c: EdgesipConfig): string {
  return [c.sip.port, c.sip.tlsPort, c.web.port, c.web.httpRedirectPort].join(',');
}

/** The API field of config path `path` when it lies inside `scope`, else undefined. */
function scopedField(path: string, scope: Scope): string | undefined {
  if (path === scope.prefix) return scope.as;
  if (path.startsWith(`${scope.prefix}.`)) return path.slice(scope.prefix.length + 1);
  return undefined;
}

/** `base` with the fields of `change` that are set. */
function merged<T extends object>(base: T, change: Partial<T> = {}): T {
  return { ...base, ...definedOnly(change) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function copyRule(r: DialRule): DialRule {
  return { ...r, trunks: [...r.trunks] };
}

/**
 * The settings given over `base`: only the fields present change, so
 * `ext set --forward-busy X` leaves the other cases alone.
 */
function mergeForward(base: ForwardSettings, change: Partial<ForwardSettings> = {}): ForwardSettings {
  return {
    always: change.always ?? base.always,
    busy: change.busy ?? base.busy,
    noAnswer: change.noAnswer ?? base.noAnswer,
    unavailable: change.unavailable ?? base.unavailable,
    noAnswerSeconds: change.noAnswerSeconds ?? base.noAnswerSeconds,
  };
}

/**
 * What `diag dns` checks when no name is given: every enabled trunk's domain (without
 * its port) and the SIP realm, those that are DNS names (IP addresses need no lookup).
 */
export function defaultDnsCheckNames(config: EdgesipConfig): string[] {
  const names = new Set<string>();
  const add = (hostPort: string): void => {
    const host = hostPort.startsWith('[') ? '' : (hostPort.split(':')[0] ?? '');
    if (host !== '' && dnsNameProblem(host) === undefined) names.add(host.toLowerCase().replace(/\.$/, ''));
  };
  for (const t of config.trunks) if (t.enabled) add(t.domain);
  add(config.sip.realm);
  return [...names];
}
