import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { partition, type Partition, type RawImage } from './image-file';
import { mustRun } from './run-command';

const GIB = 1024 ** 3;
const CHUNK = 4 * 1024 * 1024;

/** The ESP is partition 1 of the image (FAT, label EDGESIPBOOT). */
export const ESP_PARTITION = 1;

export interface ProvisionedDisk {
  /** The VM's disk: a qcow2 overlay on the raw image (the image itself stays untouched). */
  path: string;
  /** Virtual size of the disk in bytes (bigger than the image: first boot grows /data). */
  size: number;
  /** The ESP as written into the overlay (edgesip.conf added). */
  espImage: string;
}

/**
 * A disk for one VM: a qcow2 overlay of `image`, `extraBytes` bigger than it, whose ESP
 * carries `edgesipConf` as /edgesip.conf. The ESP is copied out of the raw image, the
 * file is added with mtools, and the ESP is written back into the overlay with qemu-io.
 */
export async function provisionedDisk(image: RawImage, dir: string, name: string, edgesipConf: string, extraBytes = GIB): Promise<ProvisionedDisk> {
  const path = join(dir, `${name}.qcow2`);
  const size = image.size + extraBytes;
  await mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.path, '-F', 'raw', path, String(size)], { timeoutMs: 60_000 });
  const esp = partition(image, ESP_PARTITION);
  const espImage = join(dir, `${name}-esp.img`);
  await copyRange(image.path, esp, espImage);
  const conf = join(dir, `${name}-edgesip.conf`);
  await writeFile(conf, edgesipConf);
  await addFileToFat(espImage, conf, 'edgesip.conf');
  await writeIntoQcow2(path, espImage, esp);
  return { path, size, espImage };
}

/** Copies the bytes of `part` out of `file` into `out` (zero chunks are skipped: `out` stays sparse). */
export async function copyRange(file: string, part: Pick<Partition, 'offset' | 'size'>, out: string): Promise<void> {
  const src = await open(file, 'r');
  const dst = await open(out, 'w');
  try {
    await dst.truncate(part.size);
    const buf = Buffer.alloc(CHUNK);
    for (let done = 0; done < part.size; ) {
      const want = Math.min(CHUNK, part.size - done);
      const { bytesRead } = await src.read(buf, 0, want, part.offset + done);
      if (bytesRead === 0) throw new Error(`${file}: ends at ${part.offset + done}, inside the partition (${part.offset}+${part.size})`);
      const chunk = buf.subarray(0, bytesRead);
      if (chunk.some((b) => b !== 0)) await dst.write(chunk, 0, bytesRead, done);
      done += bytesRead;
    }
  } finally {
    await src.close();
    await dst.close();
  }
}

/** mtools' options: MTOOLS_SKIP_CHECK, or it refuses a FAT whose size is no multiple of its geometry. */
const MTOOLS = { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, timeoutMs: 60_000 };

/** Puts `file` into the root of the FAT file system image `fatImage` as `name` (replacing it). */
export async function addFileToFat(fatImage: string, file: string, name: string): Promise<void> {
  await mustRun('mcopy', ['-i', fatImage, '-o', file, `::/${name}`], MTOOLS);
}

/** Copies `name` from the root of the FAT image `fatImage` to the file `out`. */
export async function copyFileFromFat(fatImage: string, name: string, out: string): Promise<void> {
  await mustRun('mcopy', ['-i', fatImage, '-o', `::/${name}`, out], MTOOLS);
}

/** A file from the root of a FAT image (mtype), for checks of what a disk carries. */
export async function readFileFromFat(fatImage: string, name: string): Promise<string> {
  return (await mustRun('mtype', ['-i', fatImage, `::/${name}`], MTOOLS)).stdout;
}

/** Writes `source` (exactly `at.size` bytes) at byte `at.offset` of the qcow2 disk `qcow2`. */
export async function writeIntoQcow2(qcow2: string, source: string, at: Pick<Partition, 'offset' | 'size'>): Promise<void> {
  const r = await mustRun('qemu-io', ['-f', 'qcow2', '-c', `write -s ${source} ${at.offset} ${at.size}`, qcow2], { timeoutMs: 5 * 60_000 });
  if (!/^wrote \d+\/\d+ bytes/m.test(r.stdout)) throw new Error(`qemu-io wrote nothing into ${qcow2}:\n${r.stdout}${r.stderr}`);
}

/** Copies `at.size` bytes at `at.offset` of a qcow2 disk (read through its backing file) into `out`. */
export async function readFromQcow2(qcow2: string, at: Pick<Partition, 'offset' | 'size'>, out: string): Promise<void> {
  // The raw driver's offset/size window over the qcow2 node (`qemu-img dd` of qemu 7.2
  // counts skipped blocks in count=, so it is not used).
  const opts = `driver=raw,offset=${at.offset},size=${at.size},file.driver=qcow2,file.file.driver=file,file.file.filename=${qcow2.replace(/,/g, ',,')}`;
  await mustRun('qemu-img', ['convert', '--image-opts', opts, '-O', 'raw', out], { timeoutMs: 5 * 60_000 });
}

/**
 * Adds `file` as `guestPath` (a new file; its directory must exist) to the ext4 partition
 * `part` of the qcow2 disk `qcow2`, whose backing file is `image`: the partition is copied
 * out of the image, written with `debugfs -w` and written back into the overlay.
 */
export async function addFileToExt4Partition(image: RawImage, qcow2: string, part: Partition, file: string, guestPath: string, dir: string): Promise<void> {
  const ext4 = join(dir, `partition-${part.number}.ext4`);
  await copyRange(image.path, part, ext4);
  const r = await mustRun('debugfs', ['-w', '-R', `write ${file} ${guestPath}`, ext4], { timeoutMs: 60_000 });
  if (/error|not found|exists/i.test(r.stderr.replace(/^debugfs [^\n]*\n/, ''))) throw new Error(`debugfs write ${guestPath}: ${r.stderr}`);
  await writeIntoQcow2(qcow2, ext4, part);
  await rm(ext4, { force: true });
}
