import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTENSION_NUMBER, TRUNK_NAME } from '../../config/schema';
import type { StoredSecret } from '../../daemon/authenticator';
import { writeFileAtomicSync } from '../../platform/atomic-write';
import { computeHA1 } from '../../sip/auth/digest';

/**
 * Extension secrets in `<dataDir>/secrets.json`: for each extension the digest HA1
 * (H(number:realm:password)) for MD5 and for SHA-256 (RFC 8760), never the password.
 * HA1 is all a registrar needs to check either digest, and it is useless outside its
 * realm; inside it, it is as good as the password, so the file is owner-only (0600).
 *
 * Trunk passwords are kept too, in their own section and as given: the PBX is the
 * client there (it answers the provider's challenges), so it needs the password itself.
 * They do not depend on the realm and survive a realm change.
 *
 * File format (`trunks` is optional: files written before it existed load unchanged, and
 * an older daemon reading a newer file ignores it):
 *   { "version": 1, "realm": "…", "secrets": { "100": { "MD5": "…", "SHA-256": "…" } },
 *     "trunks": { "provider-a": "password" } }
 */

export const SECRETS_FILE = 'secrets.json';
const FILE_MODE = 0o600;

export type SecretStoreErrorCode =
  | 'EDGESIP_ERR_SECRETS_CORRUPT' // the file exists but is not a secrets document: refused, left alone
  | 'EDGESIP_ERR_SECRETS_IO' // the file could not be read or written
  | 'EDGESIP_ERR_SECRETS_INPUT'; // set() or setTrunkPassword() was given an unusable name or password

export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

interface SecretsDocument {
  version: 1;
  realm: string;
  secrets: Record<string, { MD5: string; 'SHA-256': string }>;
  /** Trunk name → password. Absent in files written before trunks existed. */
  trunks?: Record<string, string>;
}

/** Longest trunk password kept. */
export const TRUNK_PASSWORD_MAX = 256;

export class SecretStore {
  private constructor(
    private readonly file: string,
    private readonly realm: string,
    private readonly secrets: Map<string, StoredSecret>,
    private readonly trunks: Map<string, string> = new Map(),
  ) {}

  /**
   * Read `<dataDir>/secrets.json`. A missing file is an empty store. A file written for
   * another realm loads without extension secrets, with a warning (its HA1 values cannot
   * verify anything here), but with its trunk passwords; it is replaced at the next
   * change. A file that is not a secrets
   * document throws EDGESIP_ERR_SECRETS_CORRUPT and is never touched.
   */
  static load(dataDir: string, realm: string): { store: SecretStore; warnings: string[] } {
    const file = path.join(dataDir, SECRETS_FILE);
    const warnings: string[] = [];
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { store: new SecretStore(file, realm, new Map()), warnings };
      throw new SecretStoreError('EDGESIP_ERR_SECRETS_IO', `cannot read ${file}: ${(err as Error).message}`, file, { cause: err });
    }
    const doc = parseDocument(text, file);
    const trunks = new Map(Object.entries(doc.trunks ?? {}));
    // Checked whatever the realm: trunk passwords are stored as given.
    try {
      const mode = fs.statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        fs.chmodSync(file, FILE_MODE);
        warnings.push(`${file} was readable by others (mode ${mode.toString(8)}); set to 600`);
      }
    } catch (err) {
      warnings.push(`cannot check the permissions of ${file}: ${(err as Error).message}`);
    }
    if (doc.realm !== realm) {
      const numbers = Object.keys(doc.secrets);
      if (numbers.length > 0) {
        warnings.push(
          `${file} holds secrets for realm "${doc.realm}", not "${realm}": they cannot be used; ` +
            `set the passwords of extension(s) ${numbers.join(', ')} again`,
        );
      }
      return { store: new SecretStore(file, realm, new Map(), trunks), warnings };
    }
    const secrets = new Map<string, StoredSecret>();
    for (const [number, ha1] of Object.entries(doc.secrets)) secrets.set(number, { ha1: { MD5: ha1.MD5, 'SHA-256': ha1['SHA-256'] } });
    return { store: new SecretStore(file, realm, secrets, trunks), warnings };
  }

  get(number: string): StoredSecret | undefined {
    const s = this.secrets.get(number);
    return s === undefined ? undefined : { ha1: { ...s.ha1 } };
  }

  has(number: string): boolean {
    return this.secrets.has(number);
  }

  /** Extension numbers with a stored secret, sorted. */
  numbers(): string[] {
    return [...this.secrets.keys()].sort();
  }

  /** Store the HA1 values of `password` for `number` and write the file before returning. */
  set(number: string, password: string): void {
    if (!EXTENSION_NUMBER.test(number)) throw new SecretStoreError('EDGESIP_ERR_SECRETS_INPUT', `bad extension number "${number}"`);
    if (typeof password !== 'string' || password.length === 0) {
      throw new SecretStoreError('EDGESIP_ERR_SECRETS_INPUT', 'the password must not be empty');
    }
    const next = new Map(this.secrets);
    next.set(number, {
      ha1: {
        MD5: computeHA1('MD5', number, this.realm, password),
        'SHA-256': computeHA1('SHA-256', number, this.realm, password),
      },
    });
    this.commit(next, this.trunks);
  }

  /** Forget the secret of `number`; false when there was none (the file is then left alone). */
  remove(number: string): boolean {
    if (!this.secrets.has(number)) return false;
    const next = new Map(this.secrets);
    next.delete(number);
    this.commit(next, this.trunks);
    return true;
  }

  /** The password of trunk `name` as it was given; undefined when none is stored. */
  getTrunkPassword(name: string): string | undefined {
    return this.trunks.get(name);
  }

  hasTrunkPassword(name: string): boolean {
    return this.trunks.has(name);
  }

  /** Trunk names with a stored password, sorted. */
  trunkNames(): string[] {
    return [...this.trunks.keys()].sort();
  }

  /** Store the password of trunk `name` (replacing any) and write the file before returning. */
  setTrunkPassword(name: string, password: string): void {
    if (!TRUNK_NAME.test(name)) throw new SecretStoreError('EDGESIP_ERR_SECRETS_INPUT', `bad trunk name "${name}"`);
    const problem = trunkPasswordProblem(password);
    if (problem !== undefined) throw new SecretStoreError('EDGESIP_ERR_SECRETS_INPUT', `the trunk password ${problem}`);
    const next = new Map(this.trunks);
    next.set(name, password);
    this.commit(this.secrets, next);
  }

  /** Forget the password of trunk `name`; false when there was none (the file is then left alone). */
  removeTrunkPassword(name: string): boolean {
    if (!this.trunks.has(name)) return false;
    const next = new Map(this.trunks);
    next.delete(name);
    this.commit(this.secrets, next);
    return true;
  }

  /** Write first, then switch the memory over: a failed write changes nothing. */
  private commit(nextSecrets: Map<string, StoredSecret>, nextTrunks: Map<string, string>): void {
    const doc: SecretsDocument = { version: 1, realm: this.realm, secrets: {} };
    for (const number of [...nextSecrets.keys()].sort()) {
      const s = nextSecrets.get(number)!;
      doc.secrets[number] = { MD5: s.ha1.MD5, 'SHA-256': s.ha1['SHA-256'] };
    }
    // Written only when there is one: a file without trunks stays as it always was.
    if (nextTrunks.size > 0) {
      doc.trunks = {};
      for (const name of [...nextTrunks.keys()].sort()) doc.trunks[name] = nextTrunks.get(name)!;
    }
    try {
      writeFileAtomicSync(this.file, `${JSON.stringify(doc, null, 2)}\n`, { mode: FILE_MODE });
    } catch (err) {
      throw new SecretStoreError('EDGESIP_ERR_SECRETS_IO', `cannot write ${this.file}: ${(err as Error).message}`, this.file, { cause: err });
    }
    if (nextSecrets !== this.secrets) {
      this.secrets.clear();
      for (const [k, v] of nextSecrets) this.secrets.set(k, v);
    }
    if (nextTrunks !== this.trunks) {
      this.trunks.clear();
      for (const [k, v] of nextTrunks) this.trunks.set(k, v);
    }
  }
}

function parseDocument(text: string, file: string): SecretsDocument {
  const corrupt = (why: string): SecretStoreError =>
    new SecretStoreError('EDGESIP_ERR_SECRETS_CORRUPT', `${file} is not a valid secrets file (${why}); it was left unchanged`, file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw corrupt('not an object');
  if (value['version'] !== 1) throw corrupt('version is not 1');
  const realm = value['realm'];
  if (typeof realm !== 'string') throw corrupt('realm is not a string');
  const secrets = value['secrets'];
  if (!isObject(secrets)) throw corrupt('secrets is not an object');
  const out: SecretsDocument = { version: 1, realm, secrets: {} };
  for (const [number, entry] of Object.entries(secrets)) {
    if (!EXTENSION_NUMBER.test(number)) throw corrupt(`bad extension number "${number.slice(0, 40)}"`);
    if (!isObject(entry)) throw corrupt(`entry ${number} is not an object`);
    const md5 = entry['MD5'];
    const sha = entry['SHA-256'];
    if (typeof md5 !== 'string' || !MD5_HEX.test(md5)) throw corrupt(`entry ${number}: MD5 is not 32 lower-case hex digits`);
    if (typeof sha !== 'string' || !SHA256_HEX.test(sha)) throw corrupt(`entry ${number}: SHA-256 is not 64 lower-case hex digits`);
    out.secrets[number] = { MD5: md5, 'SHA-256': sha };
  }
  const trunks = value['trunks'];
  if (trunks !== undefined) {
    if (!isObject(trunks)) throw corrupt('trunks is not an object');
    out.trunks = {};
    for (const [name, password] of Object.entries(trunks)) {
      if (!TRUNK_NAME.test(name)) throw corrupt(`bad trunk name "${name.slice(0, 40)}"`);
      if (typeof password !== 'string' || trunkPasswordProblem(password) !== undefined) throw corrupt(`trunk ${name}: the password is not a usable string`);
      out.trunks[name] = password;
    }
  }
  return out;
}

/** Why `password` cannot be a trunk password (empty, too long, control characters), or undefined. */
export function trunkPasswordProblem(password: string): string | undefined {
  if (typeof password !== 'string' || password.length === 0) return 'must not be empty';
  if (password.length > TRUNK_PASSWORD_MAX) return `must have at most ${TRUNK_PASSWORD_MAX} characters`;
  if (/[\x00-\x1f\x7f]/.test(password)) return 'must not contain control characters';
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
