/**
 * The real OS side effects of edgesip-image-setup (root only); the entry point passes
 * them in, tests pass fakes.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { ImageSetupError, type ImageCommands } from './context';

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new ImageSetupError('EDGESIP_ERR_COMMAND', `${file} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
    });
  });
}

export function systemCommands(): ImageCommands {
  return {
    bindMount: (src, dst) => run('/usr/bin/mount', ['--bind', src, dst]),
    // What sethostname(2) does; no hostname binary or hostnamed needed this early in boot.
    setHostname: async (name) => {
      try {
        await writeFile('/proc/sys/kernel/hostname', name);
      } catch (err) {
        throw new ImageSetupError('EDGESIP_ERR_COMMAND', `setting the host name to ${name} failed: ${(err as Error).message}`);
      }
    },
    // `user:` is the user and its login group.
    chown: (path, user) => run('/usr/bin/chown', ['--no-dereference', `${user}:`, path]),
  };
}
