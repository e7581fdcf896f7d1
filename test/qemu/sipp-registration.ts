import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';
import { headerValues, tracedMessages } from '../helpers/sipp';

/** A SIPp registration run as it ended. */
export interface SippRegistrationResult {
  code: number | null;
  /** Successful and failed REGISTER "calls" from SIPp's final statistics (0 when its global timeout ended it: no statistics then). */
  ok: number;
  failed: number;
  /** REGISTERs (Call-IDs) answered 200 in the trace, also when SIPp was cut short; retransmitted 200s count once. */
  accepted: number;
  /** The -message_file trace (every message sent and received). */
  messages: string;
  output: string;
}

export interface SippRegistrationOptions {
  /** The forwarded SIP port on 127.0.0.1. */
  server: number;
  /** Local UDP port SIPp sends from (the phone's address). */
  port: number;
  extension: string;
  password: string;
  /** Where the account file and the traces go. */
  dir: string;
  name: string;
  /** REGISTER transactions (default 1) and their rate per second. */
  count?: number;
  rate?: number;
  timeoutSeconds?: number;
}

export interface SippRegistration {
  readonly done: Promise<SippRegistrationResult>;
  /** Ends SIPp early (SIGTERM to the process this started). */
  stop(): void;
}

/**
 * REGISTERs of one extension with SIPp and test/interop/register.xml (digest MD5: SIPp
 * knows no other), without blocking the event loop. `count` > 1 repeats them at `rate`
 * per second: a registration load.
 */
export function startSippRegistration(o: SippRegistrationOptions): SippRegistration {
  mkdirSync(o.dir, { recursive: true });
  const csv = join(o.dir, `${o.name}.csv`);
  writeFileSync(csv, `SEQUENTIAL\n${o.extension};[authentication username=${o.extension} password=${o.password}]\n`);
  const messageFile = join(o.dir, `${o.name}.msg`);
  const screenFile = join(o.dir, `${o.name}.screen`);
  const args = [
    `127.0.0.1:${o.server}`,
    '-sf', join(repoRoot(), 'test', 'interop', 'register.xml'),
    '-inf', csv,
    '-p', String(o.port),
    '-i', '127.0.0.1',
    '-m', String(o.count ?? 1),
    '-nostdin',
    '-trace_msg', '-message_file', messageFile,
    '-trace_screen', '-screen_file', screenFile,
    '-timeout', String(o.timeoutSeconds ?? 30),
    '-timeout_error',
  ];
  if (o.rate !== undefined) args.push('-r', String(o.rate));
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('latin1')));
  const done = new Promise<SippRegistrationResult>((resolve) => {
    child.on('error', (err) => resolve({ code: null, ok: 0, failed: 0, accepted: 0, messages: '', output: `sipp: ${err.message}` }));
    child.on('close', (code) => {
      const messages = existsSync(messageFile) ? readFileSync(messageFile, 'latin1') : '';
      const screen = existsSync(screenFile) ? readFileSync(screenFile, 'latin1') : '';
      const last = (label: string): number => {
        const line = screen.split('\n').filter((l) => l.includes(label)).pop();
        const m = line ? /(\d+)\s*$/.exec(line.trim()) : null;
        return m ? Number(m[1]) : 0;
      };
      const accepted = new Set(
        tracedMessages(messages)
          .filter((m) => m.startsWith('SIP/2.0 200 '))
          .map((m) => headerValues(m, 'Call-ID')[0]),
      ).size;
      resolve({ code, ok: last('Successful call'), failed: last('Failed call'), accepted, messages, output });
    });
  });
  return {
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** One REGISTER (with its 401 round trip) of `extension`; resolves with SIPp's result. */
export function registerOnce(o: Omit<SippRegistrationOptions, 'count' | 'rate'>): Promise<SippRegistrationResult> {
  return startSippRegistration({ ...o, count: 1 }).done;
}
