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
  const migrated = migrate(parsed);
  const problems = validateConfig(migrated);
  if (problems.length > 0) throw new ConfigError(file, problems);
  if (migrated !== parsed) {
    // Keep the old file beside the new one: a downgrade can still read it.
    writeFileAtomicSync(`${file}.v1`, text, { mode: 0o600 });
    writeFileAtomicSync(file, `${JSON.stringify(migrated, null, 2)}\n`, { mode: 0o600 });
  }
  return { config: deepFreeze(migrated as EdgesipConfig), created: false, file };
}

/**
 * Bring an older config document to the current version. Version 1 (the first
 * release) had no registrar, extensions, guard or acl sections and no
 * sip.digestAlgorithms: they get defaults.
 * Anything that is not a recognisable old version is returned as is for validation.
 */
export function migrate(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || (doc as { version?: unknown }).version !== 1) return doc;
  const defaults = defaultConfig();
  const old = doc as Record<string, unknown>;
  return {
    ...old,
    version: 2,
    sip: typeof old.sip === 'object' && old.sip !== null ? { digestAlgorithms: defaults.sip.digestAlgorithms, ...old.sip } : old.sip,
    registrar: old.registrar ?? defaults.registrar,
    extensions: old.extensions ?? defaults.extensions,
    guard: old.guard ?? defaults.guard,
    acl: old.acl ?? defaults.acl,
  };
}

/**
 * Replace the config file with a validated candidate: the file changes only when the
 * candidate is valid as a whole, and atomically (a power cut leaves old or new).
 */
export function saveConfig(dataDir: string, candidate: EdgesipConfig): EdgesipConfig {
  const file = join(dataDir, CONFIG_FILE);
  const problems = validateConfig(candidate);
  if (problems.length > 0) throw new ConfigError(file, problems);
  writeFileAtomicSync(file, `${JSON.stringify(candidate, null, 2)}\n`, { mode: 0o600 });
  return deepFreeze(structuredClone(candidate));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
