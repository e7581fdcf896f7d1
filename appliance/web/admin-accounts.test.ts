import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AdminAccounts, AdminAccountsError, hashPassword, verifyPassword } from './admin-accounts';

describe('admin accounts (scrypt hashes in admins.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgesip-admins-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a hash verifies its password only, and never contains it', async () => {
    const hash = await hashPassword('Tr0ub4dor&3-long');
    assert.match(hash, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    assert.equal(await verifyPassword('Tr0ub4dor&3-long', hash), true);
    assert.equal(await verifyPassword('Tr0ub4dor&3-lonG', hash), false);
    assert.notEqual(await hashPassword('Tr0ub4dor&3-long'), hash, 'salted');
    assert.equal(await verifyPassword('x', 'md5$abc'), false, 'an unknown scheme never verifies');
    assert.equal(await verifyPassword('x', 'scrypt$40$8$1$AAAA$AAAA'), false, 'an absurd cost is refused, not computed');
  });

  test('accounts are stored 0600, survive a reload, and a new password replaces the old', async () => {
    const accounts = AdminAccounts.load(dir);
    assert.equal(accounts.list().length, 0);
    await accounts.setPassword('admin', 'first password here', new Date('2026-11-26T10:00:00Z'));
    const file = join(dir, 'admins.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes('first password here'));
    const again = AdminAccounts.load(dir);
    assert.equal(await again.verify('admin', 'first password here'), true);
    await again.setPassword('admin', 'second password here', new Date('2026-11-27T10:00:00Z'));
    const third = AdminAccounts.load(dir);
    assert.equal(await third.verify('admin', 'first password here'), false);
    assert.equal(await third.verify('admin', 'second password here'), true);
    assert.equal(third.get('admin')!.createdAt, '2026-11-26T10:00:00.000Z');
    assert.equal(third.get('admin')!.passwordChangedAt, '2026-11-27T10:00:00.000Z');
    assert.equal(await third.verify('ghost', 'second password here'), false);
    assert.equal(third.remove('admin'), true);
    assert.equal(AdminAccounts.load(dir).list().length, 0);
  });

  test('a damaged file is refused and left as it is', () => {
    const bad = mkdtempSync(join(tmpdir(), 'edgesip-admins-bad-'));
    try {
      writeFileSync(join(bad, 'admins.json'), '{"admins": [{"user": "admin"');
      assert.throws(() => AdminAccounts.load(bad), (e: unknown) => e instanceof AdminAccountsError && /not valid JSON/.test(e.message));
      writeFileSync(join(bad, 'admins.json'), '{"admins": [{"user": 3}]}');
      assert.throws(() => AdminAccounts.load(bad), AdminAccountsError);
      assert.equal(readFileSync(join(bad, 'admins.json'), 'utf8'), '{"admins": [{"user": 3}]}');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
