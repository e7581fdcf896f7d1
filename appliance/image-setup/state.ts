/**
 * The persistent state of the image under /data/etc/edgesip-image/ (0700, root):
 * what provisioning stored and every boot's setup renders from.
 *
 *   settings.json         { hostname?, network?: { address, gateway?, dns[] } }
 *   admin-password.hash   the crypt(3) hash of the admin login (0600)
 *   pbx-pending.json      web admin password and extensions edgesipd has not taken yet (0600)
 *   applied.sha256        of the scrubbed edgesip.conf: the same file is not applied twice
 *
 * Every write is atomic (temp file, fsync, rename, fsync dir): power may fail at any time.
 */
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../platform/atomic-write';
import { ImageSetupError, type ImageSetupContext } from './context';
import type { ExtensionRequest } from './value-rules';

export interface StaticNetwork {
  address: string;
  gateway?: string;
  dns: string[];
}

export interface ImageSettings {
  hostname?: string;
  network?: StaticNetwork;
}

export interface PbxPending {
  edgesipAdminPassword?: string;
  extensions: ExtensionRequest[];
}

export const STATE_DIR_MODE = 0o700;

export async function ensureStateDir(ctx: ImageSetupContext): Promise<void> {
  await fsp.mkdir(ctx.paths.stateDir, { recursive: true, mode: STATE_DIR_MODE });
  // mkdir's mode is filtered by the umask, and an existing dir keeps its own.
  await fsp.chmod(ctx.paths.stateDir, STATE_DIR_MODE);
}

/** The file's text, or undefined when it does not exist. */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes a file so that the removal survives a power cut; a missing file is fine. */
export async function removeDurably(file: string): Promise<void> {
  try {
    await fsp.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const dir = await fsp.open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function badState(file: string, why: string): ImageSetupError {
  return new ImageSetupError('EDGESIP_ERR_IMAGE_STATE', `${file}: ${why}`);
}

function parseJsonObject(file: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message may quote the content (pbx-pending.json holds passwords).
    throw badState(file, 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badState(file, 'is not a JSON object');
  return parsed as Record<string, unknown>;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export async function readSettings(ctx: ImageSetupContext): Promise<ImageSettings> {
  const file = ctx.paths.settings;
  const text = await readOptional(file);
  if (text === undefined) return {};
  const obj = parseJsonObject(file, text);
  const settings: ImageSettings = {};
  if (obj.hostname !== undefined) {
    if (typeof obj.hostname !== 'string') throw badState(file, 'hostname is not a string');
    settings.hostname = obj.hostname;
  }
  if (obj.network !== undefined) {
    const n = obj.network as Record<string, unknown> | null;
    if (typeof n !== 'object' || n === null || typeof n.address !== 'string' || !isStringArray(n.dns) || (n.gateway !== undefined && typeof n.gateway !== 'string')) {
      throw badState(file, 'network is not { address, gateway?, dns[] }');
    }
    settings.network = { address: n.address, dns: [...n.dns] };
    if (typeof n.gateway === 'string') settings.network.gateway = n.gateway;
  }
  return settings;
}

export async function writeSettings(ctx: ImageSetupContext, settings: ImageSettings): Promise<void> {
  await writeFileAtomic(ctx.paths.settings, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

export async function readAdminPasswordHash(ctx: ImageSetupContext): Promise<string | undefined> {
  const text = await readOptional(ctx.paths.adminPasswordHash);
  const hash = text?.trim();
  return hash === undefined || hash === '' ? undefined : hash;
}

export async function writeAdminPasswordHash(ctx: ImageSetupContext, hash: string): Promise<void> {
  await writeFileAtomic(ctx.paths.adminPasswordHash, `${hash}\n`, { mode: 0o600 });
}

export async function readPending(ctx: ImageSetupContext): Promise<PbxPending | undefined> {
  const file = ctx.paths.pbxPending;
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  const obj = parseJsonObject(file, text);
  const pending: PbxPending = { extensions: [] };
  if (obj.edgesipAdminPassword !== undefined) {
    if (typeof obj.edgesipAdminPassword !== 'string') throw badState(file, 'edgesipAdminPassword is not a string');
    pending.edgesipAdminPassword = obj.edgesipAdminPassword;
  }
  const list = obj.extensions ?? [];
  if (!Array.isArray(list)) throw badState(file, 'extensions is not a list');
  list.forEach((e: unknown, i) => {
    const x = e as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.number !== 'string' || typeof x.password !== 'string' || (x.name !== undefined && typeof x.name !== 'string')) {
      throw badState(file, `extensions[${i}] is not { number, password, name? }`);
    }
    const ext: ExtensionRequest = { number: x.number, password: x.password };
    if (typeof x.name === 'string') ext.name = x.name;
    pending.extensions.push(ext);
  });
  return pending;
}

export function isPendingEmpty(p: PbxPending): boolean {
  return p.edgesipAdminPassword === undefined && p.extensions.length === 0;
}

/** Rewrites the pending file, or removes it once nothing is left. */
export async function writePending(ctx: ImageSetupContext, pending: PbxPending): Promise<void> {
  if (isPendingEmpty(pending)) {
    await removeDurably(ctx.paths.pbxPending);
    return;
  }
  const body: PbxPending = { ...(pending.edgesipAdminPassword !== undefined ? { edgesipAdminPassword: pending.edgesipAdminPassword } : {}), extensions: pending.extensions };
  await writeFileAtomic(ctx.paths.pbxPending, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Newer values win: the web admin password replaces the pending one, an extension
 * replaces the pending entry of the same number. Merging the same file twice is a no-op.
 */
export function mergePending(old: PbxPending | undefined, add: PbxPending): PbxPending {
  const merged: PbxPending = { extensions: [...(old?.extensions ?? [])] };
  const adminPassword = add.edgesipAdminPassword ?? old?.edgesipAdminPassword;
  if (adminPassword !== undefined) merged.edgesipAdminPassword = adminPassword;
  for (const ext of add.extensions) {
    const i = merged.extensions.findIndex((e) => e.number === ext.number);
    if (i === -1) merged.extensions.push(ext);
    else merged.extensions[i] = ext;
  }
  return merged;
}

export async function readAppliedSha256(ctx: ImageSetupContext): Promise<string | undefined> {
  return (await readOptional(ctx.paths.appliedSha256))?.trim();
}

export async function writeAppliedSha256(ctx: ImageSetupContext, sha256: string): Promise<void> {
  await writeFileAtomic(ctx.paths.appliedSha256, `${sha256}\n`, { mode: 0o600 });
}
