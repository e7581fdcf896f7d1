/**
 * Web admin accounts: user names with scrypt password hashes in `<data>/admins.json`
 * (mode 0600, written atomically). There is never a fixed default password: when the
 * file has no account, the daemon creates `admin` with a generated password and shows
 * it once (see main/edgesipd.ts), or the owner sets one with `edgesip admin passwd`.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../platform/atomic-write';

export interface AdminAccount {
  user: string;
  /** `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>`: the cost travels with the hash. */
  hash: string;
  createdAt: string;
  passwordChangedAt: string;
}

interface AdminsFile {
  version: 1;
  admins: AdminAccount[];
}

/**
 * N = 2^15, r = 8: 32 MiB and about 0.1 s per hash on a Raspberry Pi 4 — slow enough
 * to make offline guessing expensive, cheap enough for a login.
 */
const COST = { log2N: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export class AdminAccountsError extends Error {
  override readonly name = 'AdminAccountsError';
  constructor(
    readonly code: 'EDGESIP_ERR_ADMINS_FILE',
    message: string,
  ) {
    super(message);
  }
}

export class AdminAccounts {
  private accounts: AdminAccount[];
  /** A hash to verify against when the user does not exist: the same work either way. */
  private decoy: Promise<string> | undefined;

  private constructor(
    private readonly file: string,
    accounts: AdminAccount[],
  ) {
    this.accounts = accounts;
  }

  /** Reads `<dataDir>/admins.json`; a missing file is no account. A malformed one is refused, never overwritten. */
  static load(dataDir: string): AdminAccounts {
    const file = join(dataDir, 'admins.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new AdminAccounts(file, []);
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new AdminAccountsError('EDGESIP_ERR_ADMINS_FILE', `${file} is not valid JSON; fix or remove it (then set a password with edgesip admin passwd)`);
    }
    const admins = (doc as Partial<AdminsFile> | null)?.admins;
    if (!Array.isArray(admins) || !admins.every(isAccount)) {
      throw new AdminAccountsError('EDGESIP_ERR_ADMINS_FILE', `${file} does not hold a list of admin accounts; fix or remove it`);
    }
    return new AdminAccounts(file, admins);
  }

  list(): readonly AdminAccount[] {
    return this.accounts;
  }

  get(user: string): AdminAccount | undefined {
    return this.accounts.find((a) => a.user === user);
  }

  /** Adds or replaces the password of `user` (created when new). */
  async setPassword(user: string, password: string, now = new Date()): Promise<AdminAccount> {
    const hash = await hashPassword(password);
    const iso = now.toISOString();
    const old = this.get(user);
    const account: AdminAccount = { user, hash, createdAt: old?.createdAt ?? iso, passwordChangedAt: iso };
    this.save(old ? this.accounts.map((a) => (a.user === user ? account : a)) : [...this.accounts, account]);
    return account;
  }

  remove(user: string): boolean {
    if (!this.get(user)) return false;
    this.save(this.accounts.filter((a) => a.user !== user));
    return true;
  }

  /** True when `password` is the password of `user`; takes as long for an unknown user. */
  async verify(user: string, password: string): Promise<boolean> {
    const account = this.get(user);
    if (account === undefined) {
      this.decoy ??= hashPassword(randomBytes(12).toString('base64'));
      await verifyPassword(password, await this.decoy);
      return false;
    }
    return verifyPassword(password, account.hash);
  }

  private save(accounts: AdminAccount[]): void {
    const doc: AdminsFile = { version: 1, admins: accounts };
    writeFileAtomicSync(this.file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    this.accounts = accounts;
  }
}

function isAccount(a: unknown): a is AdminAccount {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return typeof r.user === 'string' && typeof r.hash === 'string' && typeof r.createdAt === 'string' && typeof r.passwordChangedAt === 'string';
}

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that at our cost.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST.log2N, COST.r, COST.p);
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0) || log2N > 20 || r > 32 || p > 16) return false;
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== KEY_BYTES) return false;
  const key = await derive(password, Buffer.from(parts[4]!, 'base64'), log2N, r, p);
  return timingSafeEqual(key, expected);
}
