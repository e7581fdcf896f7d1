/**
 * Builds the `GET /v1/status` view from the running parts of the daemon (edgesipd.ts
 * passes them) and the system health probes.
 */
import type { ActiveCallView, TrunkState, TrunkStatusView } from '../control/backend';
import { FAILED_TRUNK_STATES, type StatusView } from '../control/status-view';
import type { SystemHealth } from '../platform/system-health';

export interface Listening {
  udp: string[];
  tcp: string[];
  tls: string[];
  /** The HTTPS admin's addresses. */
  web: string[];
}

export interface StatusSources {
  version: string;
  /** Seconds since the daemon started. */
  uptimeSeconds(): number;
  system(): Promise<SystemHealth>;
  /** Listen addresses; empty until the sockets are bound. */
  listening(): Listening;
  extensions(): number;
  /** The AOR of every current binding. */
  bindings(): readonly { aor: string }[];
  calls(): readonly ActiveCallView[];
  trunks(): readonly TrunkStatusView[];
  blocks(): number;
  tls(): { notAfter: Date; daysLeft: number; selfSigned: boolean };
}

export async function collectStatus(s: StatusSources): Promise<StatusView> {
  const system = await s.system();
  const bindings = s.bindings();
  const trunks = s.trunks();
  const byState: Partial<Record<TrunkState, number>> = {};
  for (const t of trunks) byState[t.state] = (byState[t.state] ?? 0) + 1;
  const listening = s.listening();
  const tls = s.tls();
  return {
    version: s.version,
    uptimeSeconds: Math.floor(s.uptimeSeconds()),
    system,
    sip: {
      listening: { udp: [...listening.udp], tcp: [...listening.tcp], tls: [...listening.tls] },
      extensions: s.extensions(),
      registeredExtensions: new Set(bindings.map((b) => b.aor)).size,
      contacts: bindings.length,
      activeCalls: s.calls().length,
      trunks: {
        total: trunks.length,
        byState,
        failed: trunks.filter((t) => t.enabled && FAILED_TRUNK_STATES.includes(t.state)).map((t) => t.name),
      },
      blocks: s.blocks(),
    },
    tls: { notAfter: tls.notAfter.toISOString(), daysLeft: tls.daysLeft, selfSigned: tls.selfSigned },
    web: { listening: [...listening.web] },
  };
}
