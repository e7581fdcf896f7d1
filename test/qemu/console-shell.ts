import type { SerialConsole } from './serial-console';

/** A line the kernel or journald writes to the console, with the kernel's timestamp. */
const CONSOLE_MESSAGE = /^\[\s*\d+\.\d+\] /;

export interface ConsoleResult {
  code: number;
  /** What the command printed (stdout and stderr), line ends as \n. */
  output: string;
}

/**
 * A shell on a VM's serial console, for a VM without network: log in at the getty, then
 * run commands one at a time. Each command's output is framed by markers the shell
 * prints (`@@B<n>@@` … `@@E<n>:<exit code>@@`); the echo of the typed line cannot
 * match them, since there `$?` is not yet a number and `@@B<n>@@` is followed by `;`.
 */
export class ConsoleShell {
  private commands = 0;

  constructor(private readonly console: SerialConsole) {}

  /**
   * Logs `user` in with `password` at the login prompt (already on screen or coming
   * within `timeoutMs`), then turns off echo and line wrapping, so that output is only
   * what commands print (and a password typed later is not in the transcript).
   */
  async login(user: string, password: string, timeoutMs: number): Promise<void> {
    // A fresh prompt in case the visible one was consumed by an earlier expect.
    this.console.send('\r');
    await this.console.expect(/ login: *$/m, timeoutMs);
    this.console.send(`${user}\r`);
    await this.console.expect(/Password: *$/m, 60_000);
    this.console.send(`${password}\r`);
    const after = await this.console.expect(/(\S+@\S+:\S*\$ *$)|(Login incorrect)/m, 120_000);
    if (after[2]) throw new Error(`console login as ${user}: Login incorrect`);
    const setup = await this.run('stty -echo cols 1000', 60_000);
    if (setup.code !== 0) throw new Error(`console: stty after login: exit ${setup.code}: ${setup.output}`);
  }

  /**
   * `sudo -v` with `password` (typed only if sudo asks: its timestamp may still be
   * valid), so that later commands can use `sudo -n`; then the kernel's messages stop
   * interleaving with command output on this console.
   */
  async sudoLogin(password: string): Promise<void> {
    const n = ++this.commands;
    const done = new RegExp(`@@V${n}:(\\d+)@@`);
    this.console.send(`sudo -v; echo "@@V${n}:$?@@"\r`);
    const first = await this.console.expect(new RegExp(`(\\[sudo\\] password for \\S+: *$)|${done.source}`, 'm'), 60_000);
    let code = first[2];
    if (first[1]) {
      this.console.send(`${password}\r`);
      code = (await this.console.expect(done, 60_000))[1];
    }
    if (code !== '0') throw new Error(`console: sudo -v with the admin password: exit ${code}`);
    await this.output('sudo -n dmesg -n 1', 60_000);
  }

  /** Runs `command` in the logged-in shell; resolves with its exit code and output. */
  async run(command: string, timeoutMs = 120_000): Promise<ConsoleResult> {
    const n = ++this.commands;
    this.console.send(`echo @@B${n}@@; ( ${command} ) 2>&1; echo "@@E${n}:$?@@"\r`);
    const m = await this.console.expect(new RegExp(`@@B${n}@@\\n([\\s\\S]*?)@@E${n}:(\\d+)@@`), timeoutMs);
    // The console also carries what the kernel and journald print there at any moment
    // ("[  152.305529] ssh-host-keys[456]: …", units with StandardOutput=journal+console):
    // those lines are not the command's.
    const output = m[1]!
      .split('\n')
      .filter((line) => !CONSOLE_MESSAGE.test(line))
      .join('\n');
    return { code: Number(m[2]), output };
  }

  /** The output of `command`; throws with its exit code and output unless it exits 0. */
  async output(command: string, timeoutMs?: number): Promise<string> {
    const r = await this.run(command, timeoutMs);
    if (r.code !== 0) throw new Error(`console: ${JSON.stringify(command)}: exit ${r.code}\n${r.output}`);
    return r.output;
  }
}
