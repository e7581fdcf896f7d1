/**
 * edgesip — the admin command line: configuration checks, and extensions,
 * registrations, ACL and blocks through the running daemon's control socket.
 * All of it lives in cli/run.ts; this entry point only binds it to the process.
 */
import { runCli } from '../cli/run';

const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  // Lazy: only --password-stdin touches standard input.
  get stdin(): NodeJS.ReadableStream {
    return process.stdin;
  },
  env: process.env,
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`edgesip: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
