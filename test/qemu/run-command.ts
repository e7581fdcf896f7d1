import { spawn } from 'node:child_process';

/** A finished command: exit code (null when a signal ended it) and its output. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Killed (SIGKILL) after this long; the result then has code null. */
  timeoutMs?: number;
  /** Written to stdin, then stdin is closed (stdin is empty otherwise). */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command without blocking the event loop: while the image tests wait for a
 * command, the serial console of the VM keeps being read (a stalled pty would stall
 * the guest's console writes).
 */
export function runCommand(file: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + `${file}: ${err.message}\n` });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like runCommand, but throws with the command line and its stderr unless it exits 0. */
export async function mustRun(file: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const r = await runCommand(file, args, options);
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed (exit ${r.code ?? 'killed'}):\n${(r.stderr || r.stdout).trim()}`);
  }
  return r;
}
