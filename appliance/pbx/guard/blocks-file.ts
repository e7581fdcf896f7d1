/**
 * Persistence of the guard's blocks in `<dataDir>/blocks.json`, so a restart (or a
 * crash) does not hand an attacker a fresh start and the doubling of repeated blocks
 * survives. Written atomically (platform/atomic-write.ts); saves are debounced because
 * an attack changes blocks many times a second and the appliance writes to flash.
 *
 * A missing, unreadable or corrupt file is never fatal: the daemon starts with no
 * blocks and logs the warning that loadBlocks returns.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebouncedFileWriter } from '../../platform/debounced-file';
import type { Clock } from '../../sip/clock';
import { parseStoredBlock, type StoredBlock } from './guard';

export const BLOCKS_FILE_NAME = 'blocks.json';
const FORMAT_VERSION = 1;

export interface LoadedBlocks {
  blocks: StoredBlock[];
  /** Why some or all of the file was ignored; undefined when all was well (or no file yet). */
  warning?: string;
}

export function blocksFilePath(dataDir: string): string {
  return path.join(dataDir, BLOCKS_FILE_NAME);
}

/** The file's text for a snapshot (also what BlocksFile writes). */
export function serializeBlocks(blocks: readonly StoredBlock[], savedAt: number): string {
  return `${JSON.stringify({ version: FORMAT_VERSION, savedAt: new Date(savedAt).toISOString(), blocks }, null, 1)}\n`;
}

/**
 * Read `<dataDir>/blocks.json`. Never throws: a missing file gives no blocks and no
 * warning (first start); an unreadable or corrupt one gives no blocks and a warning;
 * malformed entries are skipped with a warning. Expired entries are left to the
 * Guard, which drops them against its own clock.
 */
export function loadBlocks(dataDir: string): LoadedBlocks {
  const file = blocksFilePath(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'ENOENT') return { blocks: [] };
    return { blocks: [], warning: `${file}: cannot read (${code ?? String(err)}), starting without blocks` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { blocks: [], warning: `${file}: not valid JSON, starting without blocks` };
  }
  // Accept the bare array too (a file written by hand).
  const list: unknown = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).blocks : undefined;
  if (!Array.isArray(list)) return { blocks: [], warning: `${file}: no "blocks" list, starting without blocks` };
  if (!Array.isArray(doc)) {
    const version = (doc as Record<string, unknown>).version;
    if (version !== FORMAT_VERSION) return { blocks: [], warning: `${file}: unknown format version ${JSON.stringify(version)}, starting without blocks` };
  }
  const blocks: StoredBlock[] = [];
  let skipped = 0;
  for (const entry of list) {
    const b = parseStoredBlock(entry);
    if (b === undefined) skipped++;
    else blocks.push(b);
  }
  if (skipped > 0) return { blocks, warning: `${file}: ${skipped} malformed ${skipped === 1 ? 'entry' : 'entries'} ignored` };
  return { blocks };
}

/**
 * Debounced, atomic saving (platform/debounced-file.ts). The first `scheduleSave` starts
 * a timer of `debounceMs`; calls until it fires join that save, which takes the snapshot
 * when it writes, so a burst of changes costs one write and the file is at most
 * `debounceMs` behind.
 */
export class BlocksFile {
  readonly file: string;
  private readonly writer: DebouncedFileWriter;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    debounceMs = 1000,
    /** Called when a background (timer) save fails; flush() rejects instead. */
    onError?: (err: unknown) => void,
  ) {
    this.file = blocksFilePath(dataDir);
    this.writer = new DebouncedFileWriter(this.file, clock, debounceMs, onError);
  }

  /** The error of the last background save, cleared by the next successful one. */
  get lastError(): unknown {
    return this.writer.lastError;
  }

  set lastError(err: unknown) {
    this.writer.lastError = err;
  }

  scheduleSave(getSnapshot: () => StoredBlock[]): void {
    this.writer.schedule(() => serializeBlocks(getSnapshot(), this.clock.now()));
  }

  /** Write a pending save now and wait for every write started so far. Rejects if that write fails. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
