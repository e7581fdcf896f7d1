/** `GET /v1/status`: the daemon, the SIP service and the machine at a glance. */
import type { SystemHealth } from '../platform/system-health';
import type { TrunkState } from './backend';

export type { DiskHealth, InterfaceAddresses, SystemHealth } from '../platform/system-health';

export interface StatusView {
  version: string;
  /** Seconds since the daemon started. */
  uptimeSeconds: number;
  system: SystemHealth;
  sip: {
    /** "addr:port" the daemon listens on, per transport. */
    listening: { udp: string[]; tcp: string[]; tls: string[] };
    /** Configured extensions. */
    extensions: number;
    /** Extensions with at least one contact. */
    registeredExtensions: number;
    contacts: number;
    activeCalls: number;
    trunks: {
      total: number;
      /** How many trunks are in each state (states with none are left out). */
      byState: Partial<Record<TrunkState, number>>;
      /** Enabled trunks whose registration failed (failed, unreachable, wrong-credentials). */
      failed: string[];
    };
    /** Automatic blocks in force. */
    blocks: number;
  };
  tls: { notAfter: string; daysLeft: number; selfSigned: boolean };
  /** The HTTPS admin: where it listens ("addr:port"); empty when it is off. */
  web: { listening: string[] };
}

/** Trunk states of an enabled trunk that need the admin. */
export const FAILED_TRUNK_STATES: readonly TrunkState[] = ['failed', 'unreachable', 'wrong-credentials'];
