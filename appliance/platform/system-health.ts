/**
 * The health of the machine for `GET /v1/status`: CPU load and temperature, memory, the
 * disk holding the data directory, uptime, network addresses, Node and OpenSSL versions.
 * Every probe that may be slow (a sensor, `df`) is bounded: past its time the value is
 * null, so a stuck sensor never hangs the control API.
 */
import { realpathSync } from 'node:fs';
import { cpus, freemem, loadavg, networkInterfaces, totalmem, uptime } from 'node:os';
import { resolve, sep } from 'node:path';
import * as si from 'systeminformation';

export interface DiskHealth {
  /** The mount point holding the data directory. */
  mount: string;
  fs: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  /** Used share in percent, 0-100. */
  usePercent: number;
}

export interface InterfaceAddresses {
  name: string;
  ipv4: string[];
  ipv6: string[];
}

export interface SystemHealth {
  cpu: {
    cores: number;
    /** Percent busy over all cores (since the previous reading, or boot); null when the probe timed out. */
    currentLoad: number | null;
    /** os.loadavg(): 1, 5 and 15 minutes. */
    loadAverage: [number, number, number];
    /** °C of the main sensor; null when the board reports none. */
    temperature: number | null;
  };
  memory: { totalBytes: number; usedBytes: number; availableBytes: number };
  /** null when no mounted filesystem was found (or df timed out). */
  disk: DiskHealth | null;
  uptimeSeconds: number;
  /** Non-internal addresses per interface. */
  network: InterfaceAddresses[];
  node: string;
  openssl: string;
}

export interface SystemHealthOptions {
  /** The directory whose filesystem is reported (the daemon's data dir). */
  dataDir: string;
  /** Bound of each probe, ms (default 2000). */
  timeoutMs?: number;
}

/** `promise`'s value, or `fallback` when it rejects or takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise(fallback), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolvePromise(v);
      },
      () => {
        clearTimeout(timer);
        resolvePromise(fallback);
      },
    );
  });
}

const finite = (n: unknown): number | null => (typeof n === 'number' && Number.isFinite(n) ? n : null);
const round1 = (n: number): number => Math.round(n * 10) / 10;

export async function readSystemHealth(options: SystemHealthOptions): Promise<SystemHealth> {
  const ms = options.timeoutMs ?? 2000;
  const [load, temp, mem, fs] = await Promise.all([
    withTimeout(si.currentLoad(), ms, null),
    withTimeout(si.cpuTemperature(), ms, null),
    withTimeout(si.mem(), ms, null),
    withTimeout(si.fsSize(), ms, null),
  ]);
  const currentLoad = finite(load?.currentLoad);
  // systeminformation reports a missing sensor as null (older versions -1).
  const temperature = finite(temp?.main);
  const total = finite(mem?.total) ?? totalmem();
  const available = finite(mem?.available) ?? freemem();
  const [l1, l5, l15] = loadavg();
  return {
    cpu: {
      cores: cpus().length,
      currentLoad: currentLoad === null ? null : round1(currentLoad),
      loadAverage: [round2(l1 ?? 0), round2(l5 ?? 0), round2(l15 ?? 0)],
      temperature: temperature !== null && temperature > 0 ? round1(temperature) : null,
    },
    memory: { totalBytes: total, usedBytes: Math.max(0, total - available), availableBytes: available },
    disk: fs === null ? null : diskOf(fs, options.dataDir),
    uptimeSeconds: Math.floor(uptime()),
    network: addresses(),
    node: process.versions.node,
    openssl: process.versions.openssl ?? '',
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The filesystem whose mount point is the longest prefix of `dir` (resolved through symlinks when it exists). */
export function diskOf(list: readonly si.Systeminformation.FsSizeData[], dir: string): DiskHealth | null {
  let path = resolve(dir);
  try {
    path = realpathSync(path);
  } catch {
    // not created yet: its absolute path still says where it would be
  }
  let best: si.Systeminformation.FsSizeData | undefined;
  for (const f of list) {
    const mount = f.mount;
    if (typeof mount !== 'string' || !mount.startsWith('/')) continue;
    const inside = mount === '/' || path === mount || path.startsWith(mount.endsWith(sep) ? mount : mount + sep);
    if (inside && (best === undefined || mount.length > best.mount.length)) best = f;
  }
  if (best === undefined) return null;
  const size = finite(best.size) ?? 0;
  const used = finite(best.used) ?? 0;
  const available = finite(best.available) ?? Math.max(0, size - used);
  return {
    mount: best.mount,
    fs: best.fs,
    sizeBytes: size,
    usedBytes: used,
    availableBytes: available,
    usePercent: finite(best.use) ?? (size > 0 ? round1((used / size) * 100) : 0),
  };
}

function addresses(): InterfaceAddresses[] {
  const out: InterfaceAddresses[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    const entry: InterfaceAddresses = { name, ipv4: [], ipv6: [] };
    for (const a of list ?? []) {
      if (a.internal) continue;
      // Node 18.0-18.3 reported family as a number.
      const family = String(a.family);
      if (family === 'IPv4' || family === '4') entry.ipv4.push(a.address);
      else entry.ipv6.push(a.address);
    }
    if (entry.ipv4.length + entry.ipv6.length > 0) out.push(entry);
  }
  return out;
}
