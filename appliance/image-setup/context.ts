/**
 * What every edgesip-image-setup step is given: the file-system roots (injectable, so
 * tests run everything in temp dirs without root), the clock, the few OS side effects
 * and where text goes. Only the entry point makes the real ones.
 */
import { join } from 'node:path';
import type { Clock } from '../sip/clock';

/** The OS side effects that need root; fakes record them in tests. */
export interface ImageCommands {
  /** `mount --bind src dst`. */
  bindMount(src: string, dst: string): Promise<void>;
  /** The kernel's host name (the root file system is read-only: nothing in /etc). */
  setHostname(name: string): Promise<void>;
  /** Gives `path` to `user` and the user's login group. */
  chown(path: string, user: string): Promise<void>;
}

export interface ImageSetupOptions {
  bootDir?: string;
  dataDir?: string;
  runDir?: string;
  etcDir?: string;
  homeDir?: string;
  /** Time stamps of the scrub comments; the pbx step's retry timer. */
  clock: Clock;
  commands: ImageCommands;
  /** One line of normal output (console and journal); default stdout. */
  out?: (line: string) => void;
  /** One line about a problem; default stderr. */
  err?: (line: string) => void;
}

/** Options with every default filled in and the derived paths. */
export interface ImageSetupContext {
  bootDir: string;
  dataDir: string;
  runDir: string;
  etcDir: string;
  homeDir: string;
  clock: Clock;
  commands: ImageCommands;
  out: (line: string) => void;
  err: (line: string) => void;
  paths: ImagePaths;
}

export interface ImagePaths {
  /** The user's provisioning file on the FAT boot partition. */
  provisioningFile: string;
  /** Persistent state on the data partition (0700, root). */
  stateDir: string;
  settings: string;
  adminPasswordHash: string;
  pbxPending: string;
  appliedSha256: string;
  /** Shown by agetty above the login prompt. */
  provisioningIssue: string;
  consoleIssue: string;
  staticNetwork: string;
  /** Runtime files of this boot (tmpfs). */
  runEdgesip: string;
  sshPasswordConf: string;
  shadow: string;
  sudoersDir: string;
  sudoersAdmin: string;
  etcShadow: string;
  etcSkel: string;
  adminHome: string;
}

/** The login account the image is built with; provisioning gives it keys and a password. */
export const ADMIN_USER = 'admin';

export function imageSetupContext(options: ImageSetupOptions): ImageSetupContext {
  const bootDir = options.bootDir ?? '/boot/firmware';
  const dataDir = options.dataDir ?? '/data';
  const runDir = options.runDir ?? '/run';
  const etcDir = options.etcDir ?? '/etc';
  const homeDir = options.homeDir ?? '/home';
  const stateDir = join(dataDir, 'etc', 'edgesip-image');
  const runEdgesip = join(runDir, 'edgesip');
  return {
    bootDir,
    dataDir,
    runDir,
    etcDir,
    homeDir,
    clock: options.clock,
    commands: options.commands,
    out: options.out ?? ((line) => void process.stdout.write(`${line}\n`)),
    err: options.err ?? ((line) => void process.stderr.write(`${line}\n`)),
    paths: {
      provisioningFile: join(bootDir, 'edgesip.conf'),
      stateDir,
      settings: join(stateDir, 'settings.json'),
      adminPasswordHash: join(stateDir, 'admin-password.hash'),
      pbxPending: join(stateDir, 'pbx-pending.json'),
      appliedSha256: join(stateDir, 'applied.sha256'),
      provisioningIssue: join(runDir, 'issue.d', 'edgesip-provisioning.issue'),
      consoleIssue: join(runDir, 'issue.d', 'edgesip.issue'),
      staticNetwork: join(runDir, 'systemd', 'network', '10-edgesip-static.network'),
      runEdgesip,
      sshPasswordConf: join(runEdgesip, 'sshd_config.d', 'password.conf'),
      shadow: join(runEdgesip, 'shadow'),
      sudoersDir: join(runEdgesip, 'sudoers.d'),
      sudoersAdmin: join(runEdgesip, 'sudoers.d', ADMIN_USER),
      etcShadow: join(etcDir, 'shadow'),
      etcSkel: join(etcDir, 'skel'),
      adminHome: join(homeDir, ADMIN_USER),
    },
  };
}

export type ImageSetupErrorCode =
  | 'EDGESIP_ERR_PROVISIONING_FILE' // edgesip.conf refused: problems listed, nothing applied
  | 'EDGESIP_ERR_IMAGE_STATE' // a state file under /data/etc/edgesip-image is unreadable
  | 'EDGESIP_ERR_COMMAND' // mount, chown or the host name failed
  | 'EDGESIP_ERR_NO_ADMIN_ACCOUNT' // /etc/shadow has no admin line to give the password to
  | 'EDGESIP_ERR_NOT_RUNNING'; // edgesipd never answered on its control socket

export class ImageSetupError extends Error {
  override readonly name = 'ImageSetupError';
  constructor(
    readonly code: ImageSetupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Exit codes of edgesip-image-setup (the units log anything but 0 as a failure). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_PROVISIONING_REFUSED = 3;

/** `code: message` for an error of ours, the message (with its errno code) otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof ImageSetupError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
