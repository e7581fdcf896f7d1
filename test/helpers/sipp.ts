import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';

/** A finished SIPp run: its exit code (0: every call succeeded) and the messages it traced. */
export interface SippRun {
  code: number | null;
  /** The -message_file trace: every message sent and received, in order. */
  messages: string;
  /** Successful and failed call counts from the final statistics screen. */
  ok: number;
  failed: number;
  output: string;
}

export interface SippOptions {
  /** The daemon's UDP port on 127.0.0.1. */
  server: number;
  /** Local port SIPp binds (a phone's address: the one it registered from). */
  port: number;
  /** Scratch directory for traces. */
  dir: string;
  /** Name of this run (trace file names). */
  name: string;
  calls?: number;
  rate?: number;
  limit?: number;
  /** -d: pause length in ms (talk time). */
  pauseMs?: number;
  service?: string;
  auth?: { user: string; password: string };
  keys?: Record<string, string>;
  timeoutSeconds?: number;
}

/** Run a scenario from test/interop asynchronously (the test's event loop stays free). */
export function runSipp(scenario: string, o: SippOptions): Promise<SippRun> {
  const messageFile = join(o.dir, `${o.name}.msg`);
  const screenFile = join(o.dir, `${o.name}.screen`);
  const args = [
    `127.0.0.1:${o.server}`,
    '-sf', join(repoRoot(), 'test', 'interop', scenario),
    '-p', String(o.port),
    '-i', '127.0.0.1',
    '-m', String(o.calls ?? 1),
    '-nostdin',
    '-trace_msg', '-message_file', messageFile,
    '-trace_screen', '-screen_file', screenFile,
    '-timeout', String(o.timeoutSeconds ?? 30),
    '-timeout_error',
  ];
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.auth) args.push('-au', o.auth.user, '-ap', o.auth.password);
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('latin1')));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const messages = existsSync(messageFile) ? readFileSync(messageFile, 'latin1') : '';
      const screen = existsSync(screenFile) ? readFileSync(screenFile, 'latin1') : '';
      const last = (label: string): number => {
        const line = screen.split('\n').filter((l) => l.includes(label)).pop();
        const m = line ? /(\d+)\s*$/.exec(line.trim()) : null;
        return m ? Number(m[1]) : 0;
      };
      resolve({ code, messages, ok: last('Successful call'), failed: last('Failed call'), output });
    });
  });
}

/** REGISTER `ext` from 127.0.0.1:`port` with SIPp (digest, MD5); throws when it fails. */
export function registerWithSipp(server: number, port: number, ext: string, password: string, dir: string): void {
  const csv = join(dir, `reg-${ext}.csv`);
  writeFileSync(csv, `SEQUENTIAL\n${ext};[authentication username=${ext} password=${password}]\n`);
  const r = spawnSync(
    'sipp',
    [`127.0.0.1:${server}`, '-sf', join(repoRoot(), 'test', 'interop', 'register.xml'), '-inf', csv, '-p', String(port), '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '10', '-timeout_error'],
    { stdio: 'ignore', timeout: 20000 },
  );
  if (r.status !== 0) throw new Error(`SIPp REGISTER of ${ext} from port ${port} failed (exit ${r.status})`);
}

/** One line per message in a SIPp trace: the start line (responses as "SIP/2.0 181 …"). */
export function startLines(trace: string): string[] {
  return trace
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => /^SIP\/2\.0 \d{3} /.test(l) || /^[A-Z]+ sips?:\S+ SIP\/2\.0$/.test(l));
}

/** Every value of one header in the trace, in order (the header name matched case-insensitively). */
export function headerValues(trace: string, name: string): string[] {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'i');
  return trace
    .split('\n')
    .map((l) => re.exec(l.replace(/\r$/, '')))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1]!);
}

/** The messages of a trace, split (SIPp separates them with a timestamped banner). */
export function tracedMessages(trace: string): string[] {
  return trace
    .split(/^-{10,}.*$/m)
    .map((chunk) => chunk.trim().split('\n').slice(1).join('\n').trim())
    .filter((m) => /^(SIP\/2\.0 \d|[A-Z]+ \S+ SIP\/2\.0)/.test(m));
}
