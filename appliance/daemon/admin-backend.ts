import {
  AdminError,
  type ActiveCallView,
  type CallRecord,
  type CdrListQuery,
  type PingResult,
  type AclList,
  type AdminBackend,
  type ExtensionInput,
  type ExtensionView,
  type RegistrationView,
} from '../control/backend';
import { defaultForward, type EdgesipConfig, type Extension, type ForwardSettings } from '../config/schema';
import { ConfigError, saveConfig } from '../config/store';
import type { SecretStore } from '../pbx/accounts/secret-store';
import type { Guard } from '../pbx/guard/guard';
import type { Binding, LocationStore } from '../pbx/registrar/location-store';
import type { Clock } from '../sip/clock';
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
}

/**
 * The daemon's side of the control API. Every change is validated as a whole config
 * candidate and written atomically before it takes effect; a refused change leaves the
 * running config and the file as they were.
 */
export class DaemonAdminBackend implements AdminBackend {
  constructor(private readonly d: AdminBackendDeps) {}

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
    };
    this.apply({ ...this.d.config.current, extensions: [...this.d.config.current.extensions, ext] });
    // The config names the extension first; without a secret it cannot authenticate,
    // so a crash between the two writes leaves a harmless, visible state (hasSecret false).
    this.d.secrets.set(number, input.password);
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
    };
    this.apply({ ...this.d.config.current, extensions: this.d.config.current.extensions.map((e) => (e.number === number ? ext : e)) });
    if (input.password) this.d.secrets.set(number, input.password);
    if (!ext.enabled) this.d.locations.clear(number);
    return this.view(ext);
  }

  // Forwards of other extensions that name this one stay as they are: a forward to a
  // missing extension is allowed and fails at call time (the admin may re-add it).
  async removeExtension(number: string): Promise<void> {
    if (!this.find(number)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `no extension ${number}`, 'number');
    this.apply({ ...this.d.config.current, extensions: this.d.config.current.extensions.filter((e) => e.number !== number) });
    this.d.secrets.remove(number);
    this.d.locations.clear(number);
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
    return this.listAcl();
  }

  async removeAcl(list: AclList, cidr: string) {
    const acl = this.listAcl();
    if (!acl[list].includes(cidr)) throw new AdminError('EDGESIP_ERR_NOT_FOUND', `${cidr} is not on the ${list} list`, 'cidr');
    acl[list] = acl[list].filter((c) => c !== cidr);
    this.apply({ ...this.d.config.current, acl });
    this.d.guard.setAcl(acl);
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

  private find(number: string): Extension | undefined {
    return this.d.config.current.extensions.find((e) => e.number === number);
  }

  private view(e: Extension): ExtensionView {
    return { ...e, allowedNetworks: [...e.allowedNetworks], forward: { ...e.forward }, hasSecret: this.d.secrets.has(e.number) };
  }

  private apply(candidate: EdgesipConfig): void {
    try {
      this.d.config.current = saveConfig(this.d.dataDir, candidate);
    } catch (err) {
      if (err instanceof ConfigError) {
        const first = err.problems[0]!;
        throw new AdminError('EDGESIP_ERR_INVALID', `${first.path}: ${first.reason}`, first.path);
      }
      throw err;
    }
  }
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
