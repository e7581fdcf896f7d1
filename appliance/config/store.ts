import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../platform/atomic-write';
import { DEFAULT_PERMISSION, defaultCalls, defaultConfig, defaultDiagnostics, defaultWeb, defaultForward, defaultInbound, validateConfig, type ConfigProblem, type EdgesipConfig } from './schema';

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
    // Keep the old file beside the new one (config.json.v<old version>): a downgrade can still read it.
    writeFileAtomicSync(`${file}.v${(parsed as { version: number }).version}`, text, { mode: 0o600 });
    writeFileAtomicSync(file, `${JSON.stringify(migrated, null, 2)}\n`, { mode: 0o600 });
  }
  return { config: deepFreeze(migrated as EdgesipConfig), created: false, file };
}

type Doc = Record<string, unknown>;

/**
 * One step per old version, each to the next: a file of any old version goes through
 * every later step, so a step is written once and never revisited.
 */
const MIGRATIONS: Readonly<Record<number, (old: Doc) => Doc>> = {
  1: fromVersion1,
  2: fromVersion2,
  3: fromVersion3,
  4: fromVersion4,
  5: fromVersion5,
};

/**
 * Bring an older config document to the current version. Anything that is not a
 * recognisable old version is returned as is for validation; an old one is returned as
 * a new object (the caller compares identities to know whether to rewrite the file).
 */
export function migrate(doc: unknown): unknown {
  let current = doc;
  for (;;) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return current;
    const version = (current as Doc).version;
    const step = typeof version === 'number' && Object.prototype.hasOwnProperty.call(MIGRATIONS, version) ? MIGRATIONS[version] : undefined;
    if (step === undefined) return current;
    current = step(current as Doc);
  }
}

/**
 * Version 1 (the first release) had no registrar, extensions, guard or acl sections and
 * no sip.digestAlgorithms: they get defaults.
 */
function fromVersion1(old: Doc): Doc {
  const defaults = defaultConfig();
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

/** Version 2 had no call forwarding and no calls section: forwarding off, default limits. */
function fromVersion2(old: Doc): Doc {
  return {
    ...old,
    version: 3,
    // A malformed list or entry is left for validation to report with its path.
    extensions: Array.isArray(old.extensions) ? old.extensions.map(withForward) : old.extensions,
    calls: old.calls ?? defaultCalls(),
  };
}

function withForward(ext: unknown): unknown {
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext) || 'forward' in ext) return ext;
  return { ...ext, forward: defaultForward() };
}

/**
 * Version 3 had no trunks, dial plan or inbound routing, and no call permissions: none
 * of them, and every extension may dial national numbers (what the first dial plan a
 * site adds usually needs; international needs an explicit grant).
 */
function fromVersion3(old: Doc): Doc {
  return {
    ...old,
    version: 4,
    extensions: Array.isArray(old.extensions) ? old.extensions.map(withPermission) : old.extensions,
    trunks: old.trunks ?? [],
    dialPlan: old.dialPlan ?? [],
    inbound: old.inbound ?? defaultInbound(),
  };
}

/** Version 4 had no diagnostics section: the DNS check compares with the default public resolvers. */
function fromVersion4(old: Doc): Doc {
  return { ...old, version: 5, diagnostics: old.diagnostics ?? defaultDiagnostics() };
}

/** Version 5 had no web section: the HTTPS admin on 8443, no plain-HTTP redirect. */
function fromVersion5(old: Doc): Doc {
  return { ...old, version: 6, web: old.web ?? defaultWeb() };
}

function withPermission(ext: unknown): unknown {
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext) || 'permission' in ext) return ext;
  return { ...ext, permission: DEFAULT_PERMISSION };
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
