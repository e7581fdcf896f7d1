/**
 * Where the tests find the repository and the RFC 4475 torture corpus (kept next to the
 * repository, in ../shared/sip-torture, as index.tsv and one .dat file per message).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: EDGESIP_ROOT, else the nearest directory above holding package.json. */
export function repoRoot(): string {
  const fromEnv = process.env['EDGESIP_ROOT'];
  if (fromEnv) return fromEnv;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/** The torture corpus directory: <repo root>/../shared/sip-torture. */
export const CORPUS = join(repoRoot(), '..', 'shared', 'sip-torture');

/** One file of the corpus, as bytes. */
export function corpusFile(file: string): Buffer {
  return readFileSync(join(CORPUS, file));
}
