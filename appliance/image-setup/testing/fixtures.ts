/**
 * Test doubles for edgesip-image-setup: temp roots, commands that record instead of
 * mounting or chowning, and valid keys and hashes to provision with.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../sip/clock';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { imageSetupContext, type ImageCommands, type ImageSetupContext } from '../context';

/** A syntactically valid public key of `type` (the blob names the type, then filler). */
export function sshKey(type: string, seed: number, comment = ''): string {
  const name = Buffer.from(type, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  const blob = Buffer.concat([length, name, Buffer.alloc(32, seed)]).toString('base64');
  return comment === '' ? `${type} ${blob}` : `${type} ${blob} ${comment}`;
}

/** Made by ssh-keygen: real keys, not only plausible ones. */
export const REAL_ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAWZNud53LQ4QwFu23goHjq9yQxib8yXMTv4WapfzTJe alice@laptop';
export const REAL_ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIricQ/zzLnLBUWfjGUY1jB0JXWBJABBzvuaHBFts8qrQ28NsxGk8ZveqcyJ/BmVwNeRXLQLav4mxCpBbfRxEHE= bob';

/** Made with libxcrypt (crypt_gensalt + crypt) and openssl passwd. */
export const HASHES = {
  yescrypt: '$y$j9T$Elx8Rs5Z82KoDukm5./n2.$VfQC7BnTBGBHifM0fQ584Dgt9mBFcvCU/xDiTA7417B',
  gostYescrypt: '$gy$j9T$epozQb3BgozVAvkd4/GvZ.$C/2rKNADagtDb/oKIf5e7gqB/MWjFk/dkE/ceCLz0/4',
  scrypt: '$7$CU..../....abcdefghijklmnop$Sq.34kg1gPTFUeOPpE6fyMzMfdgqET/x8Nv3KaQxh9.',
  sha512: '$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.',
  sha256: '$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.',
  bcrypt2b: '$2b$10$abcdefghijklmnopqrstuu5Lo0g67CiD3M4RpN1BmBb4Crp5w7dbK',
  bcrypt2y: '$2y$05$abcdefghijklmnopqrstuuWG29KuyeAicPCJODk1zjyGvyQUU2awu',
};

export type CommandCall = ['bindMount', string, string] | ['setHostname', string] | ['chown', string, string];

/** Commands that only record their calls; `fail` makes the named one throw. */
export class FakeCommands implements ImageCommands {
  readonly calls: CommandCall[] = [];
  fail: Partial<Record<CommandCall[0], Error>> = {};

  async bindMount(src: string, dst: string): Promise<void> {
    this.check('bindMount');
    this.calls.push(['bindMount', src, dst]);
  }
  async setHostname(name: string): Promise<void> {
    this.check('setHostname');
    this.calls.push(['setHostname', name]);
  }
  async chown(path: string, user: string): Promise<void> {
    this.check('chown');
    this.calls.push(['chown', path, user]);
  }
  of<K extends CommandCall[0]>(kind: K): CommandCall[] {
    return this.calls.filter((c) => c[0] === kind);
  }
  private check(kind: CommandCall[0]): void {
    const err = this.fail[kind];
    if (err) throw err;
  }
}

export interface TestRoots {
  root: string;
  ctx: ImageSetupContext;
  commands: FakeCommands;
  out: string[];
  err: string[];
  /** A context over the same roots (a "next boot"), with fresh output and commands. */
  reboot(): TestRoots;
}

/** boot/, data/, run/, etc/, home/ in a fresh temp dir; each like on the image. */
export function testRoots(parent: string, clock: Clock = new VirtualClock(Date.parse('2026-11-26T17:00:00.000Z'))): TestRoots {
  const root = mkdtempSync(join(parent, 'roots-'));
  for (const d of ['boot', 'data', 'run', 'etc', 'home']) mkdirSync(join(root, d));
  const make = (): TestRoots => {
    const commands = new FakeCommands();
    const out: string[] = [];
    const err: string[] = [];
    const ctx = imageSetupContext({
      bootDir: join(root, 'boot'),
      dataDir: join(root, 'data'),
      runDir: join(root, 'run'),
      etcDir: join(root, 'etc'),
      homeDir: join(root, 'home'),
      clock,
      commands,
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    return { root, ctx, commands, out, err, reboot: make };
  };
  return make();
}

export function tempParent(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
