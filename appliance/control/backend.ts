/**
 * What the control API can ask of the running daemon. The daemon implements it; the
 * HTTP layer (server.ts) only validates input, calls it and renders the result, so the
 * CLI and (later) the web admin share one code path.
 */

export interface ExtensionView {
  number: string;
  displayName: string;
  maxContacts: number;
  enabled: boolean;
  allowedNetworks: string[];
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

/** An error the API reports to its client with a stable code, an HTTP status and the field at fault. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    readonly code:
      | 'EDGESIP_ERR_INVALID' // 400: a field is wrong (field says which)
      | 'EDGESIP_ERR_NOT_FOUND' // 404
      | 'EDGESIP_ERR_EXISTS' // 409
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
  listAcl(): AclView;
  addAcl(list: AclList, cidr: string): Promise<AclView>;
  removeAcl(list: AclList, cidr: string): Promise<AclView>;
  listBlocks(): BlockView[];
  removeBlock(key: string): Promise<void>;
}
