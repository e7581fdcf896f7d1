import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../platform/atomic-write';
import { defaultConfig, validateConfig, type ConfigProblem, type EdgesipConfig } from './schema';

/** A config file that cannot be used. The file is left exactly as it is. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'EDGESIP_ERR_CONFIG';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
  }
}

export const CONFIG_FILE = 'config.json';

/**
 * Load `<dataDir>/config.json`. A missing file is created with the defaults (written
 * atomically, readable only by the service: it will hold secrets); an unreadable or
 * invalid one is refused with every problem listed and never overwritten.
 */
export function loadConfig(dataDir: string): { config: EdgesipConfig; created: boolean; file: string } {
  const file = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(file, [{ path: '(file)', reason: `cannot be read: ${(err as Error).message}` }]);
    }
    const config = defaultConfig();
    writeFileAtomicSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return { config, created: true, file };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', reason: `is not valid JSON: ${(err as Error).message}` }]);
  }
  const problems = validateConfig(parsed);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { config: deepFreeze(parsed as EdgesipConfig), created: false, file };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
