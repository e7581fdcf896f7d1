import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths';

export interface RunningDaemon {
  child: ChildProcess;
  dataDir: string;
  udpPort: number;
  tcpPort: number;
  tlsPort: number;
  /** HTTPS admin port (0 when the web admin is off). */
  webPort: number;
  /** Every stdout line parsed as JSON so far (pino), in order. */
  logs: Record<string, unknown>[];
  /** Everything written to stderr so far (the first start's admin password banner). */
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  listen?: string[];
  keepDataDir?: boolean;
}

/**
 * Start the real bundled daemon (dist/edgesipd.js) on the running Node, on free ports,
 * and wait until it logs that it listens. Callers register `stop` in `after` at once.
 */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgesipd-'));
  const listen = options.listen ?? ['127.0.0.1'];
  const args = [
    join(repoRoot(), 'dist', 'edgesipd.js'),
    '--data-dir', dataDir,
    '--sip-port', '0',
    '--tls-port', '0',
    '--web-port', '0',
    ...listen.flatMap((a) => ['--listen', a]),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'edgesipd listening') resolve(entry);
        } catch {
          logs.push({ unparsed: line });
        }
      }
    });
    exited.then((code) => reject(new Error(`edgesipd exited (${code}) before listening: ${stderr}\n${JSON.stringify(logs)}`)));
  });
  const entry = await listening;
  const portOf = (list: unknown) => Number(String((list as string[])[0]).split(':').pop());
  return {
    child,
    dataDir,
    udpPort: portOf(entry.udp),
    tcpPort: portOf(entry.tcp),
    tlsPort: portOf(entry.tls),
    webPort: Array.isArray(entry.web) && entry.web.length > 0 ? portOf(entry.web) : 0,
    logs,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
