/**
 * The admin's SSH keys: /home/admin/.ssh/authorized_keys, created with the home
 * directory (from /etc/skel) when the user has none yet. Keys are only ever added,
 * never removed, and a key already there (same type and data) is not added twice, so
 * applying the same provisioning file again changes nothing.
 */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../platform/atomic-write';
import { ADMIN_USER, type ImageSetupContext } from './context';
import { readOptional } from './state';
import { SSH_KEY_TYPES, sshKeyId, sshKeyLine, type SshPublicKey } from './value-rules';

/** sshd's StrictModes refuses keys in a directory or file others can write. */
const HOME_MODE = 0o700;
const SSH_DIR_MODE = 0o700;
const KEYS_MODE = 0o600;

export function authorizedKeysPath(ctx: ImageSetupContext): string {
  return join(ctx.paths.adminHome, '.ssh', 'authorized_keys');
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(SSH_KEY_TYPES);

/**
 * The keys of an authorized_keys file, as `type base64` ids. Lines may start with
 * options (`from="…" ssh-ed25519 AAAA…`): the key is the known type and what follows it.
 */
export function authorizedKeyIds(text: string): string[] {
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const tokens = trimmed.split(/\s+/);
    const i = tokens.findIndex((t) => KNOWN_TYPES.has(t));
    const data = i === -1 ? undefined : tokens[i + 1];
    if (data !== undefined) ids.push(sshKeyId({ type: tokens[i] as string, base64: data }));
  }
  return ids;
}

/** How many keys the admin can log in with (0 when the file is missing). */
export async function countAuthorizedKeys(ctx: ImageSetupContext): Promise<number> {
  const text = await readOptional(authorizedKeysPath(ctx));
  return text === undefined ? 0 : authorizedKeyIds(text).length;
}

export interface KeysInstalled {
  added: number;
  /** Keys of the file that the admin already had. */
  alreadyPresent: number;
}

export async function installAuthorizedKeys(ctx: ImageSetupContext, keys: readonly SshPublicKey[]): Promise<KeysInstalled> {
  await ensureAdminHome(ctx);
  const sshDir = join(ctx.paths.adminHome, '.ssh');
  await fsp.mkdir(sshDir, { recursive: true, mode: SSH_DIR_MODE });
  await fsp.chmod(sshDir, SSH_DIR_MODE);
  await ctx.commands.chown(sshDir, ADMIN_USER);

  const file = authorizedKeysPath(ctx);
  const existing = (await readOptional(file)) ?? '';
  const present = new Set(authorizedKeyIds(existing));
  const fresh = keys.filter((k) => !present.has(sshKeyId(k)));
  if (fresh.length > 0 || existing === '') {
    const base = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
    await writeFileAtomic(file, `${base}${fresh.map((k) => `${sshKeyLine(k)}\n`).join('')}`, { mode: KEYS_MODE });
  } else {
    await fsp.chmod(file, KEYS_MODE);
  }
  await ctx.commands.chown(file, ADMIN_USER);
  return { added: fresh.length, alreadyPresent: keys.length - fresh.length };
}

/**
 * /home/admin from /etc/skel when it does not exist. The copy is made under a temporary
 * name and renamed into place, so a power cut never leaves a half-copied home that a
 * later boot would take as complete.
 */
async function ensureAdminHome(ctx: ImageSetupContext): Promise<void> {
  const home = ctx.paths.adminHome;
  if (await exists(home)) return;
  await fsp.mkdir(ctx.homeDir, { recursive: true });
  const temp = join(ctx.homeDir, `.${ADMIN_USER}.edgesip-new`);
  await fsp.rm(temp, { recursive: true, force: true });
  await fsp.mkdir(temp, { mode: HOME_MODE });
  if (await exists(ctx.paths.etcSkel)) await copyTree(ctx, ctx.paths.etcSkel, temp);
  await fsp.chmod(temp, HOME_MODE);
  await ctx.commands.chown(temp, ADMIN_USER);
  await fsp.rename(temp, home);
}

/** Copies the contents of `from` into the existing dir `to`, each entry owned by the admin. */
async function copyTree(ctx: ImageSetupContext, from: string, to: string): Promise<void> {
  for (const entry of await fsp.readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      // Writable while filling it; its own mode afterwards.
      await fsp.mkdir(dst, { mode: 0o700 });
      await copyTree(ctx, src, dst);
      await fsp.chmod(dst, (await fsp.stat(src)).mode & 0o7777);
    } else if (entry.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(src), dst);
      continue; // chown would follow the link
    } else if (entry.isFile()) {
      await fsp.copyFile(src, dst);
      await fsp.chmod(dst, (await fsp.stat(src)).mode & 0o7777);
    } else {
      continue; // no devices or sockets in a home directory
    }
    await ctx.commands.chown(dst, ADMIN_USER);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
