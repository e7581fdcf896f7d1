import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Crash-safe file replacement: readers see either the old content or the new one,
 * never a torn mix, even when the process is killed or power fails mid-write.
 *
 * Recipe: write a temp file in the same directory (rename is only atomic within one
 * file system), fsync it (so the data is on disk before the name points at it),
 * rename it over the target, then fsync the directory (so the rename itself survives
 * a power cut). On failure the temp file is removed and the error rethrown unchanged,
 * so callers see the usual fs error codes (ENOENT, EACCES, ENOSPC, ...).
 *
 * A process killed between creating and renaming the temp file leaves it behind; its
 * name starts with `.<target name>.` and ends with `.tmp` so it is easy to spot.
 */

export interface AtomicWriteOptions {
  /** Permission bits of the new file. Default: the existing file's, or 0o600 for a new one. */
  mode?: number;
}

/** New files hold configuration with secrets (SIP passwords, keys): owner-only by default. */
export const DEFAULT_MODE = 0o600;

/** Async writes in flight, per resolved target path. */
const queues = new Map<string, Promise<void>>();

/**
 * Atomically replace `file` with `data`. Concurrent calls for the same path run one
 * after the other in call order, so the last call's data is what remains.
 */
export function writeFileAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const key = path.resolve(file);
  const previous = queues.get(key) ?? Promise.resolve();
  // A failed earlier write must not stop the later ones: its caller got the error.
  const current = previous.then(
    () => writeNow(file, data, opts),
    () => writeNow(file, data, opts),
  );
  queues.set(key, current);
  const forget = () => {
    if (queues.get(key) === current) queues.delete(key);
  };
  current.then(forget, forget);
  return current;
}

/** Synchronous variant for start-up paths. Not serialised against pending async writes. */
export function writeFileAtomicSync(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const target = resolveTargetSync(file);
  const mode = opts.mode ?? existingModeSync(target) ?? DEFAULT_MODE;
  const temp = tempPathFor(target);
  let fd: number | undefined;
  let created = false; // never unlink a file this call did not create
  try {
    fd = fs.openSync(temp, 'wx', mode);
    created = true;
    fs.writeFileSync(fd, data);
    // The creation mode was filtered by the umask; set the exact bits asked for.
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (err) {
    if (fd !== undefined) closeQuietlySync(fd);
    if (created) unlinkQuietlySync(temp);
    throw err;
  }
  fsyncDirectorySync(path.dirname(target));
}

async function writeNow(file: string, data: string | Buffer, opts: AtomicWriteOptions): Promise<void> {
  const target = await resolveTarget(file);
  const mode = opts.mode ?? (await existingMode(target)) ?? DEFAULT_MODE;
  const temp = tempPathFor(target);
  let handle: fsp.FileHandle | undefined;
  let created = false; // never unlink a file this call did not create
  try {
    handle = await fsp.open(temp, 'wx', mode);
    created = true;
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, target);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (created) await fsp.unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(path.dirname(target));
}

/**
 * Same directory as the target, unique per process and call: pid guards against other
 * processes, the random part against concurrent calls in this one.
 */
function tempPathFor(target: string): string {
  const name = `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  return path.join(path.dirname(target), name);
}

/**
 * Follow a symlink at the target so the link survives and the real file is replaced
 * (an appliance may link its config from a read-only root into a data partition).
 * A missing target is written where it was named.
 */
async function resolveTarget(file: string): Promise<string> {
  try {
    return await fsp.realpath(file);
  } catch (err) {
    if (isNotFound(err)) return path.resolve(file);
    throw err;
  }
}

function resolveTargetSync(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch (err) {
    if (isNotFound(err)) return path.resolve(file);
    throw err;
  }
}

async function existingMode(target: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(target)).mode & 0o7777;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function existingModeSync(target: string): number | undefined {
  try {
    return fs.statSync(target).mode & 0o7777;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fsyncDirectorySync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function closeQuietlySync(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // The write already failed; that error is the one worth reporting.
  }
}

function unlinkQuietlySync(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone (renamed, or removed by someone else): nothing to clean up.
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
