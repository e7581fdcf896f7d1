import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: EDGESIP_ROOT, or the first directory above this file with package.json. */
export function repoRoot(): string {
  if (process.env.EDGESIP_ROOT) return process.env.EDGESIP_ROOT;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** RFC 4475 corpus, shared read-only beside the repository. */
export function tortureDir(): string {
  return join(repoRoot(), '..', 'shared', 'sip-torture');
}
