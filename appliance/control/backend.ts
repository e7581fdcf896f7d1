/**
 * What the control API can ask of the running daemon. The daemon implements it; the
 * HTTP layer (server.ts) only validates input, calls it and renders the result, so the
 * CLI and (later) the web admin share one code path.
 */
import type { ActiveCallView, CallRecord } from '../pbx/cdr/record';
import type { DnsCheckReport } from '../pbx/diagnostics/dns-check';

export type { DnsCheckAnswer, DnsCheckEntry, DnsCheckName, DnsCheckReport, DnsCheckType, DnsCheckVerdict, DnsFinding, DnsFindingKind } from '../pbx/diagnostics/dns-check';

export type { ActiveCallView, CallDisposition, CallRecord, ForwardHop, ForwardReason } from '../pbx/cdr/record';

/** `GET /v1/cdr`: calls whose start is in [since, until) (epoch ms), the last `limit` of them. */
export interface CdrListQuery {
  since?: number;
  until?: number;
  limit?: number;
}
import type { CallClass, DialRule, DigestAlgorithmName, ForwardSettings, InboundConfig, InboundDid, Language, TlsMinVersion, Trunk } from '../config/schema';

export type { CallClass, DialRule, InboundDid, Language, Trunk, TrunkTransport } from '../config/schema';
export type { DiskHealth, InterfaceAddresses, StatusView, SystemHealth } from './status-view';

export interface ExtensionView {
  number: string;
  displayName: string;
  maxContacts: number;
  enabled: boolean;
  allowedNetworks: string[];
  forward: ForwardSettings;
  /** The call classes it may dial (this one and the ones before it). */
  permission: CallClass;
  /** True when a secret is stored for it (the secret itself never leaves the daemon). */
  hasSecret: boolean;
}

/** Fields of `ext add` / `ext set`. `password` is write-only. */
export interface ExtensionInput {
  number?: string;
  displayName?: string;
  password?: string;
  maxContacts?: number;
  enabled?: boolean;
  allowedNetworks?: string[];
  /** Merged over the current settings on change; over the defaults (all off) on creation. */
  forward?: Partial<ForwardSettings>;
  /** 'national' on creation when absent. */
  permission?: CallClass;
}

/** A trunk as the API shows it: the config entry, and whether a password is stored (never the password). */
export interface TrunkView extends Trunk {
  hasPassword: boolean;
}

/**
 * Fields of `trunk add` / `trunk set`. `password` is write-only; on change '' removes the
 * stored one. `callerId` and `templates` are merged over the current values (over all ''
 * on creation). On creation an absent `requestUriParams` takes the language default
 * ('user=phone' for zh-CN, '' for en); a value given, even '', is kept as it is.
 */
export interface TrunkInput {
  name?: string;
  enabled?: boolean;
  type?: Trunk['type'];
  domain?: string;
  proxy?: string;
  transport?: Trunk['transport'];
  username?: string;
  authUsername?: string;
  realm?: string;
  registerExpires?: number;
  password?: string;
  peers?: string[];
  requestUriParams?: string;
  callerId?: Partial<Trunk['callerId']>;
  templates?: Partial<Trunk['templates']>;
}

export type TrunkState = 'registered' | 'registering' | 'failed' | 'unreachable' | 'wrong-credentials' | 'idle' | 'ip';

/** The live state of one trunk (from the trunk registrations of the daemon). */
export interface TrunkStatusView {
  name: string;
  type: Trunk['type'];
  enabled: boolean;
  /** idle: disabled or not started; ip: a trunk without registration. */
  state: TrunkState;
  /** Last SIP status of the registration, when there was one. */
  status?: number;
  /** Why it failed (reason phrase, timeout, DNS…). */
  reason?: string;
  /** Seconds until the registration expires (registered). */
  expiresIn?: number;
  /** Seconds until the next attempt (failed, unreachable, wrong-credentials). */
  retryIn?: number;
}

/** `POST /v1/dialplan`: strip 0 and prefix '' when absent; inserted at `position` (1 = first), else appended. */
export interface DialRuleInput {
  name: string;
  pattern: string;
  strip?: number;
  prefix?: string;
  trunks: string[];
  class: DialRule['class'];
  position?: number;
}

export type InboundView = InboundConfig;

export interface LanguageView {
  language: Language;
}

export interface RegistrationView {
  aor: string; // extension number
  contact: string;
  expiresAt: string; // ISO time
  expiresIn: number; // seconds
  q?: number;
  transport: 'UDP' | 'TCP' | 'TLS';
  source: string; // "addr:port"
  userAgent?: string;
  callId: string;
  cseq: number;
}

/** One contact's answer to an OPTIONS sent over its registered flow (`reg ping`). */
export interface PingResult {
  contact: string;
  transport: 'UDP' | 'TCP' | 'TLS';
  source: string;
  /** Final status of the OPTIONS; any final answer means the phone is reachable. */
  status?: number;
  rttMs?: number;
  /** Set when no answer came: the transaction timed out or the flow is gone. */
  error?: 'timeout' | 'transport';
}

export type AclList = 'white' | 'black';

export interface AclView {
  white: string[];
  black: string[];
}

export type BlockReason = 'wrong-password' | 'unknown-user' | 'enumeration' | 'flood' | 'black-list';

export interface BlockView {
  /** Stable key to remove it by: "addr" for an address, "addr|account" for a pair. */
  key: string;
  address: string;
  /** Set for an (address, account) block. */
  account?: string;
  reason: BlockReason;
  /** Attempts seen, including those made while blocked. */
  count: number;
  firstSeen: string; // ISO
  lastSeen: string; // ISO
  expiresAt: string; // ISO
}

/** A web admin account as the API shows it (never the hash). */
export interface AdminAccountView {
  user: string;
  createdAt: string; // ISO
  passwordChangedAt: string; // ISO
  /** Set while web logins to this account are locked after repeated failures. */
  lockedUntil: string | null; // ISO
}

/** `POST /v1/admins`. */
export interface AdminAccountInput {
  user: string;
  password: string;
}

/** The certificate SIP-TLS and the HTTPS admin present (`GET /v1/tls`). */
export interface TlsCertificateView {
  subject: string;
  issuer: string;
  subjectAltName: string;
  notBefore: string; // ISO
  notAfter: string; // ISO
  /** Negative once expired. */
  daysLeft: number;
  /** True when it expires within 30 days (or has): the UI and `edgesip status` warn. */
  expiryWarning: boolean;
  selfSigned: boolean;
  /** SHA-256 fingerprint, colon-separated hex (as browsers show it). */
  fingerprint256: string;
  certFile: string;
}

/** `PUT /v1/tls`: a PEM certificate (its chain may follow it) and its PEM private key. */
export interface TlsInstallInput {
  cert: string;
  key: string;
}

/** Ports and TLS of the SIP service and of the HTTPS admin (`GET|PATCH /v1/settings`). */
export interface ServiceSettings {
  /** digestAlgorithms: the challenges offered, most preferred first (config sip.digestAlgorithms). */
  sip: { port: number; tlsPort: number; tlsMinVersion: TlsMinVersion; digestAlgorithms: DigestAlgorithmName[] };
  /** httpRedirectPort 0: no plain-HTTP port. idleTimeoutMinutes: web sessions end after this long unused. */
  web: { port: number; httpRedirectPort: number; tlsMinVersion: TlsMinVersion; idleTimeoutMinutes: number };
}

export interface ServiceSettingsView extends ServiceSettings {
  /** True when a saved port differs from the one in use: it takes effect when edgesipd restarts. */
  restartRequired: boolean;
}

export interface ServiceSettingsInput {
  sip?: Partial<ServiceSettings['sip']>;
  web?: Partial<ServiceSettings['web']>;
}

/** An error the API reports to its client with a stable code, an HTTP status and the field at fault. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly code:
      | 'EDGESIP_ERR_INVALID' // 400: a field is wrong (field says which)
      | 'EDGESIP_ERR_NOT_FOUND' // 404
      | 'EDGESIP_ERR_EXISTS' // 409
      | 'EDGESIP_ERR_CONFLICT' // 409: refused in the current state (e.g. removing the last admin)
      | 'EDGESIP_ERR_INTERNAL', // 500
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  get httpStatus(): number {
    switch (this.code) {
      case 'EDGESIP_ERR_INVALID':
        return 400;
      case 'EDGESIP_ERR_NOT_FOUND':
        return 404;
      case 'EDGESIP_ERR_EXISTS':
      case 'EDGESIP_ERR_CONFLICT':
        return 409;
      case 'EDGESIP_ERR_INTERNAL':
        return 500;
    }
  }
}

export interface AdminBackend {
  listExtensions(): ExtensionView[];
  addExtension(input: ExtensionInput): Promise<ExtensionView>;
  updateExtension(number: string, input: ExtensionInput): Promise<ExtensionView>;
  removeExtension(number: string): Promise<void>;
  listRegistrations(): RegistrationView[];
  /** OPTIONS to every contact of the AOR over the flow it registered from. */
  pingRegistrations(aor: string): Promise<PingResult[]>;
  listAcl(): AclView;
  addAcl(list: AclList, cidr: string): Promise<AclView>;
  removeAcl(list: AclList, cidr: string): Promise<AclView>;
  listBlocks(): BlockView[];
  removeBlock(key: string): Promise<void>;
  /** Calls ringing or connected now. */
  listCalls(): ActiveCallView[];
  /** Finished calls, sorted by start ascending. */
  listCdrs(q: CdrListQuery): CallRecord[];
  listTrunks(): TrunkView[];
  addTrunk(input: TrunkInput): Promise<TrunkView>;
  updateTrunk(name: string, input: TrunkInput): Promise<TrunkView>;
  /** Refused while a dial rule names the trunk. */
  removeTrunk(name: string): Promise<void>;
  /** Registration state per trunk; empty when the daemon runs no trunk registrations. */
  listTrunkStatus(): TrunkStatusView[];
  /** The dial plan in the order rules are tried. */
  listDialPlan(): DialRule[];
  addDialRule(input: DialRuleInput): Promise<DialRule>;
  removeDialRule(name: string): Promise<void>;
  /** Moves a rule to `position` (1 = tried first); returns the whole plan. */
  moveDialRule(name: string, position: number): Promise<DialRule[]>;
  getInbound(): InboundView;
  addDid(entry: InboundDid): Promise<InboundView>;
  removeDid(did: string): Promise<InboundView>;
  /** '' = calls to numbers without a DID entry are refused. */
  setDefaultDestination(extension: string): Promise<InboundView>;
  getLanguage(): LanguageView;
  setLanguage(language: Language): Promise<LanguageView>;
  /**
   * `POST /v1/diag/dns`: the DNS check of `names`; when absent, of every enabled trunk's
   * domain and the SIP realm (those that are DNS names).
   */
  checkDns(names: string[] | undefined): Promise<DnsCheckReport>;
  /** `GET /v1/status`: daemon, SIP and system health in one view. */
  getStatus(): Promise<import('./status-view').StatusView>;
  /** Web admin accounts, by user name. */
  listAdmins(): AdminAccountView[];
  addAdmin(input: AdminAccountInput): Promise<AdminAccountView>;
  /** Sets a new password (and lifts a login lockout). */
  setAdminPassword(user: string, password: string): Promise<AdminAccountView>;
  /** Refused (EDGESIP_ERR_CONFLICT) for the last account. Ends its web sessions. */
  removeAdmin(user: string): Promise<void>;
  /** Lifts a web login lockout of the account. */
  unlockAdmin(user: string): Promise<AdminAccountView>;
  getTls(): TlsCertificateView;
  /** Checks the pair (parses, key matches, not expired), stores it and serves it at once on SIP-TLS and HTTPS. */
  installTls(input: TlsInstallInput): Promise<TlsCertificateView>;
  getSettings(): ServiceSettingsView;
  /** TLS versions, digest algorithms and the idle timeout apply at once; ports when edgesipd restarts. */
  updateSettings(input: ServiceSettingsInput): Promise<ServiceSettingsView>;
}
