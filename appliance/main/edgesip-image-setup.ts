/**
 * edgesip-image-setup — the appliance image's first-boot provisioning and per-boot
 * setup, run as root by the image's oneshot units on Debian's node:
 *
 *   provision   every boot, before ssh: applies /boot/firmware/edgesip.conf once
 *   setup       every boot, after provision: renders /run from the persisted state
 *   pbx         every boot, after edgesipd: hands it the pending web admin password and extensions
 *
 * The composition root: the only place with the real roots, clock and commands.
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, imageSetupContext } from '../image-setup/context';
import { runPbxProvisioning } from '../image-setup/pbx-provisioning';
import { runProvision } from '../image-setup/provision';
import { runSetup } from '../image-setup/runtime-setup';
import { systemCommands } from '../image-setup/system-commands';
import { realClock } from '../platform/real-clock';
import { VERSION } from '../version';

const USAGE = `usage: edgesip-image-setup provision|setup|pbx
  provision   apply /boot/firmware/edgesip.conf once (state in /data/etc/edgesip-image),
              then remove its secrets from the boot partition
  setup       write this boot's runtime files under /run (host name, network,
              SSH password login, admin password, sudo, console hint)
  pbx         give edgesipd the pending web admin password and extensions
  --help      this text        --version   the version
exit codes: 0 ok, 1 failure, 2 usage error, 3 edgesip.conf refused (see the console)`;

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`edgesip-image-setup ${VERSION}\n`);
    return EXIT_OK;
  }
  const [command, ...rest] = argv;
  if (rest.length > 0 || (command !== 'provision' && command !== 'setup' && command !== 'pbx')) {
    const what = command === undefined ? 'a command is required' : rest.length > 0 ? `unexpected argument "${rest[0]}"` : `unknown command "${command}"`;
    process.stderr.write(`edgesip-image-setup: ${what}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  // The umask stays systemd's 022: /run/systemd/network must stay readable by networkd;
  // private files and directories get their modes explicitly.
  const ctx = imageSetupContext({ clock: realClock(), commands: systemCommands() });
  switch (command) {
    case 'provision':
      return runProvision(ctx);
    case 'setup':
      return runSetup(ctx);
    case 'pbx':
      return runPbxProvisioning(ctx);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`edgesip-image-setup: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
