import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot } from '../helpers/paths';
import { mustRun } from './run-command';

/** One partition of the image's GPT, in bytes. */
export interface Partition {
  /** 1-based partition number. */
  number: number;
  offset: number;
  size: number;
  /** GPT partition name (label), when set. */
  name?: string;
  type: string;
}

/** The firmware image as a raw disk the test VMs use as their read-only backing file. */
export interface RawImage {
  path: string;
  size: number;
  partitions: Partition[];
}

/** The package version from the top entry of debian/changelog (what the image file is named after). */
export function packageVersion(root = repoRoot()): string {
  const first = readFileSync(join(root, 'debian', 'changelog'), 'utf8').split('\n', 1)[0]!;
  const m = /^\S+ \(([^)]+)\)/.exec(first);
  if (!m) throw new Error(`debian/changelog: no version in its first line: ${first}`);
  return m[1]!;
}

/** EDGESIP_IMAGE, or build/edgesip-<version>-uefi-arm64.img.zst; throws when it does not exist. */
export function imagePath(): string {
  const path = process.env.EDGESIP_IMAGE || join(repoRoot(), 'build', `edgesip-${packageVersion()}-uefi-arm64.img.zst`);
  if (!existsSync(path)) throw new Error(`firmware image not found: ${path} (run \`make image\`, or set EDGESIP_IMAGE)`);
  return path;
}

/** The Raspberry Pi image (build/…-rpi-arm64.img.zst, or $EDGESIP_RPI_IMAGE). */
export function rpiImagePath(): string {
  const path = process.env.EDGESIP_RPI_IMAGE || join(repoRoot(), 'build', `edgesip-${packageVersion()}-rpi-arm64.img.zst`);
  if (!existsSync(path)) throw new Error(`Raspberry Pi image not found: ${path} (run \`make image\`, or set EDGESIP_RPI_IMAGE)`);
  return path;
}

/**
 * The image as a raw disk in `dir`: a .zst file is decompressed there once (sparse);
 * a raw .img is used where it is (qemu opens it read-only as a backing file).
 */
export async function rawImage(dir: string, path = imagePath()): Promise<RawImage> {
  let raw = path;
  if (path.endsWith('.zst')) {
    raw = join(dir, basename(path, '.zst'));
    await mustRun('zstd', ['-d', '-q', '--sparse', '-f', path, '-o', raw], { timeoutMs: 10 * 60_000 });
  }
  return { path: raw, size: statSync(raw).size, partitions: await partitionTable(raw) };
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    partitions?: { node: string; start: number; size: number; type: string; name?: string }[];
  };
}

/** The partitions of a disk image file as `sfdisk -J` reads them. */
export async function partitionTable(file: string): Promise<Partition[]> {
  const { stdout } = await mustRun('sfdisk', ['-J', file], { timeoutMs: 30_000 });
  const table = (JSON.parse(stdout) as SfdiskJson).partitiontable;
  const sector = table.sectorsize ?? 512;
  return (table.partitions ?? []).map((p) => {
    const m = /(\d+)$/.exec(p.node);
    if (!m) throw new Error(`sfdisk: unexpected partition node ${p.node}`);
    return {
      number: Number(m[1]),
      offset: p.start * sector,
      size: p.size * sector,
      type: p.type,
      ...(p.name !== undefined ? { name: p.name } : {}),
    };
  });
}

/** Partition `number` of the image; throws when the table has none. */
export function partition(image: RawImage, number: number): Partition {
  const p = image.partitions.find((x) => x.number === number);
  if (!p) throw new Error(`${image.path}: no partition ${number} in its table (${image.partitions.length} partitions)`);
  return p;
}
