import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mustRun, runCommand, type CommandResult } from './run-command';

/** The per-run key pair the tests provision as the admin's authorized key. */
export interface TestKey {
  privateKeyFile: string;
  /** The OpenSSH public key line. */
  publicKey: string;
}

/** A fresh ed25519 key pair without passphrase in `dir`. */
export async function generateTestKey(dir: string): Promise<TestKey> {
  const privateKeyFile = join(dir, 'id_ed25519');
  await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'edgesip-image-test', '-f', privateKeyFile], { timeoutMs: 30_000 });
  return { privateKeyFile, publicKey: (await readFile(`${privateKeyFile}.pub`, 'utf8')).trim() };
}

export interface SshRunOptions {
  /** Login name (default: admin). */
  user?: string;
  timeoutMs?: number;
  /** Extra `-o` options, e.g. 'PreferredAuthentications=password'. */
  options?: string[];
}

/** The guest's sshd through qemu's forwarded port on 127.0.0.1, with the system ssh client. */
export class SshClient {
  constructor(
    readonly port: number,
    readonly key: TestKey,
    /** A known_hosts file of this run: the first connection records the host keys, later ones must match. */
    readonly knownHosts: string,
  ) {}

  /** Runs `command` (a shell command line on the guest): exit code (255: ssh itself failed) and output. */
  run(command: string, o: SshRunOptions = {}): Promise<CommandResult> {
    const args = ['-F', '/dev/null', '-i', this.key.privateKeyFile, '-p', String(this.port)];
    const options = [
      'StrictHostKeyChecking=accept-new',
      `UserKnownHostsFile=${this.knownHosts}`,
      'GlobalKnownHostsFile=/dev/null',
      'BatchMode=yes',
      'ConnectTimeout=10',
      'IdentitiesOnly=yes',
      'LogLevel=ERROR',
      // A VM killed under a session must not leave ssh waiting forever.
      'ServerAliveInterval=5',
      'ServerAliveCountMax=6',
      ...(o.options ?? []),
    ];
    for (const opt of options) args.push('-o', opt);
    args.push(`${o.user ?? 'admin'}@127.0.0.1`, command);
    return runCommand('ssh', args, { timeoutMs: o.timeoutMs ?? 120_000 });
  }

  /** stdout of `command`; throws with its exit code and stderr unless it exits 0. */
  async output(command: string, o: SshRunOptions = {}): Promise<string> {
    const r = await this.run(command, o);
    if (r.code !== 0) throw new Error(`ssh ${o.user ?? 'admin'}@guest ${JSON.stringify(command)}: exit ${r.code ?? 'killed'}\n${r.stderr.trim()}\n${r.stdout.trim()}`);
    return r.stdout;
  }

  /**
   * Retries a trivial command until a login works or `timeoutMs` passes; throws with the
   * last failure. Until sshd listens, qemu accepts and closes the forwarded connection.
   */
  async waitForSsh(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: CommandResult | undefined;
    while (Date.now() < deadline) {
      last = await this.run('true', { timeoutMs: 30_000 });
      if (last.code === 0) return;
      await sleep(2000);
    }
    throw new Error(`no SSH login as admin within ${(timeoutMs / 1000).toFixed(0)} s; last attempt: exit ${last?.code ?? 'none'}: ${last?.stderr.trim() ?? ''}`);
  }

  /**
   * The host's public keys as served now (`type base64` lines, sorted), by ssh-keyscan:
   * one type at a time, each tried up to three times (a busy guest under TCG can let one
   * of several parallel scans time out, which would look like a missing key).
   */
  async scanHostKeys(types: readonly string[] = HOST_KEY_TYPES): Promise<string[]> {
    const keys: string[] = [];
    for (const type of types) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await runCommand('ssh-keyscan', ['-p', String(this.port), '-T', '30', '-t', type, '127.0.0.1'], { timeoutMs: 60_000 });
        const found = keyLines(r.stdout);
        if (found.length > 0) {
          keys.push(...found);
          break;
        }
      }
    }
    return keys.sort();
  }

  /** scanHostKeys, retried until sshd answers or `timeoutMs` passes (then: an empty list). */
  async waitForHostKeys(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const keys = await this.scanHostKeys();
      if (keys.length > 0 || Date.now() >= deadline) return keys;
      await sleep(2000);
    }
  }

  /** The host keys this run's known_hosts file recorded (`type base64` lines, sorted). */
  async knownHostKeys(): Promise<string[]> {
    return keyLines(await readFile(this.knownHosts, 'utf8').catch(() => '')).sort();
  }
}

/** The key types sshd offers on the image (OpenSSH's defaults). */
export const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;

/** `type base64` of each `host type base64 [comment]` line (ssh-keyscan output, known_hosts). */
function keyLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/).slice(1, 3).join(' '));
}

/** SHA256 fingerprints of `type base64` key lines (for the log). */
export async function fingerprints(keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const r = await mustRun('ssh-keygen', ['-l', '-f', '-'], { input: keys.map((k) => `${k}\n`).join(''), timeoutMs: 30_000 });
  return r.stdout.trim().split('\n');
}
