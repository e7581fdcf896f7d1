import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Authenticator } from '../../daemon/authenticator';
import { computeHA1, digestResponse, formatCredentials, parseChallenge } from '../../sip/auth/digest';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { SECRETS_FILE, SecretStore, SecretStoreError } from './secret-store';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'edgesip-secrets-'));
  dirs.push(d);
  return d;
}

function readDoc(dir: string): { version: number; realm: string; secrets: Record<string, Record<string, string>> } {
  return JSON.parse(fs.readFileSync(path.join(dir, SECRETS_FILE), 'utf8')) as { version: number; realm: string; secrets: Record<string, Record<string, string>> };
}

test('no file: an empty store, no warnings, nothing written', () => {
  const dir = tempDir();
  const { store, warnings } = SecretStore.load(dir, 'pbx.example');
  assert.deepEqual(warnings, []);
  assert.equal(store.has('100'), false);
  assert.equal(store.get('100'), undefined);
  assert.equal(fs.existsSync(path.join(dir, SECRETS_FILE)), false);
});

test('set() stores HA1 for MD5 and SHA-256, never the password, in a 0600 file', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'pbx.example');
  store.set('100', 'correct horse');
  const want = { MD5: computeHA1('MD5', '100', 'pbx.example', 'correct horse'), 'SHA-256': computeHA1('SHA-256', '100', 'pbx.example', 'correct horse') };
  assert.deepEqual(store.get('100'), { ha1: want });
  assert.equal(store.has('100'), true);
  const file = path.join(dir, SECRETS_FILE);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(text.includes('correct horse'), false);
  assert.deepEqual(readDoc(dir), { version: 1, realm: 'pbx.example', secrets: { '100': want } });
});

test('secrets survive a reload; remove() forgets one and rewrites the file', () => {
  const dir = tempDir();
  const first = SecretStore.load(dir, 'pbx.example').store;
  first.set('100', 'a');
  first.set('101', 'b');
  const { store, warnings } = SecretStore.load(dir, 'pbx.example');
  assert.deepEqual(warnings, []);
  assert.deepEqual(store.numbers(), ['100', '101']);
  assert.deepEqual(store.get('101'), first.get('101'));
  assert.equal(store.remove('100'), true);
  assert.equal(store.remove('100'), false);
  assert.deepEqual(Object.keys(readDoc(dir).secrets), ['101']);
  assert.equal(SecretStore.load(dir, 'pbx.example').store.has('100'), false);
});

test('the stored HA1 verifies real digest responses through the Authenticator (MD5 and SHA-256)', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'pbx.example');
  store.set('100', 'pässword'); // non-ASCII: hashed as UTF-8 on both sides
  const clock = new VirtualClock(1_000_000);
  const auth = new Authenticator('pbx.example', Buffer.alloc(32, 1), clock, { find: (u) => store.get(u) });
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const nonce = parseChallenge(auth.challengeHeaders(401, false)[0]!.value).nonce;
    clock.advance(1);
    const common = { username: '100', realm: 'pbx.example', uri: 'sip:pbx.example', nonce };
    const response = digestResponse({ ...common, algorithm, password: 'pässword', method: 'REGISTER', qop: 'auth', nc: '00000001', cnonce: 'x' });
    const value = formatCredentials({ ...common, response, algorithm, qop: 'auth', nc: '00000001', cnonce: 'x', other: [] });
    const req = { kind: 'request' as const, method: 'REGISTER', uri: 'sip:pbx.example', headers: [{ name: 'Authorization', value }], body: Buffer.alloc(0) };
    assert.equal(auth.authenticate(req, 'authorization').kind, 'authenticated', algorithm);
  }
});

test('a file for another realm: its secrets are unusable, with a warning naming the extensions', () => {
  const dir = tempDir();
  SecretStore.load(dir, 'old.example').store.set('100', 'a');
  const before = fs.readFileSync(path.join(dir, SECRETS_FILE), 'utf8');
  const { store, warnings } = SecretStore.load(dir, 'new.example');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /old\.example/);
  assert.match(warnings[0]!, /100/);
  assert.equal(store.has('100'), false);
  assert.equal(fs.readFileSync(path.join(dir, SECRETS_FILE), 'utf8'), before, 'loading changes nothing');
  // Setting a password writes the file for the new realm.
  store.set('101', 'b');
  assert.equal(readDoc(dir).realm, 'new.example');
  assert.deepEqual(Object.keys(readDoc(dir).secrets), ['101']);
});

test('a corrupt file is refused with a typed error and never overwritten', () => {
  const cases = [
    '{ not json',
    '[]',
    '{"version":2,"realm":"r","secrets":{}}',
    '{"version":1,"realm":5,"secrets":{}}',
    '{"version":1,"realm":"r","secrets":{"100":{"MD5":"zz","SHA-256":"00"}}}',
    '{"version":1,"realm":"r","secrets":{"../x":{"MD5":"' + '0'.repeat(32) + '","SHA-256":"' + '0'.repeat(64) + '"}}}',
    '{"version":1,"realm":"r","secrets":{"100":{"MD5":"' + '0'.repeat(32) + '"}}}',
  ];
  for (const text of cases) {
    const dir = tempDir();
    const file = path.join(dir, SECRETS_FILE);
    fs.writeFileSync(file, text, { mode: 0o600 });
    assert.throws(
      () => SecretStore.load(dir, 'r'),
      (err: unknown) => err instanceof SecretStoreError && err.code === 'EDGESIP_ERR_SECRETS_CORRUPT' && err.file === file,
      text,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  }
});

test('a file readable by others is tightened to 0600 with a warning', () => {
  const dir = tempDir();
  SecretStore.load(dir, 'r').store.set('100', 'a');
  const file = path.join(dir, SECRETS_FILE);
  fs.chmodSync(file, 0o644);
  const { store, warnings } = SecretStore.load(dir, 'r');
  assert.equal(store.has('100'), true);
  assert.equal(warnings.length, 1);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('set() refuses a bad extension number or an empty password; nothing is written', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'r');
  for (const [number, password] of [
    ['', 'x'],
    ['../etc', 'x'],
    ['100', ''],
  ] as const) {
    assert.throws(
      () => store.set(number, password),
      (err: unknown) => err instanceof SecretStoreError && err.code === 'EDGESIP_ERR_SECRETS_INPUT',
    );
  }
  assert.equal(fs.existsSync(path.join(dir, SECRETS_FILE)), false);
});

test('a failed write leaves the store as it was', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'r');
  store.set('100', 'a');
  const before = store.get('100');
  fs.rmSync(dir, { recursive: true, force: true }); // the directory is gone: the write must fail
  assert.throws(
    () => store.set('100', 'b'),
    (err: unknown) => err instanceof SecretStoreError && err.code === 'EDGESIP_ERR_SECRETS_IO',
  );
  assert.deepEqual(store.get('100'), before);
  assert.throws(() => store.set('101', 'c'));
  assert.equal(store.has('101'), false);
});

test('get() returns a copy: changing it does not change the store', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'r');
  store.set('100', 'a');
  const got = store.get('100')!;
  got.ha1.MD5 = 'tampered';
  assert.notEqual(store.get('100')!.ha1.MD5, 'tampered');
});

test('trunk passwords: kept as given in their own section, with get/has/set/remove', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'pbx.example');
  store.set('100', 'a');
  assert.equal(store.hasTrunkPassword('provider-a'), false);
  assert.equal(store.getTrunkPassword('provider-a'), undefined);
  store.setTrunkPassword('provider-a', 'Pa55 wörd;"x"');
  store.setTrunkPassword('b_2', 'second');
  assert.equal(store.getTrunkPassword('provider-a'), 'Pa55 wörd;"x"');
  assert.equal(store.hasTrunkPassword('provider-a'), true);
  assert.deepEqual(store.trunkNames(), ['b_2', 'provider-a']);
  const doc = readDoc(dir) as unknown as { trunks: Record<string, string>; secrets: Record<string, unknown> };
  assert.deepEqual(doc.trunks, { b_2: 'second', 'provider-a': 'Pa55 wörd;"x"' });
  assert.deepEqual(Object.keys(doc.secrets), ['100'], 'extension secrets are untouched');
  assert.equal(fs.statSync(path.join(dir, SECRETS_FILE)).mode & 0o777, 0o600);

  const reloaded = SecretStore.load(dir, 'pbx.example').store;
  assert.equal(reloaded.getTrunkPassword('b_2'), 'second');
  assert.equal(reloaded.has('100'), true);
  // Changing an extension keeps the trunk passwords, and the other way round.
  reloaded.remove('100');
  assert.deepEqual(Object.keys((readDoc(dir) as unknown as { trunks: object }).trunks), ['b_2', 'provider-a']);
  assert.equal(reloaded.removeTrunkPassword('b_2'), true);
  assert.equal(reloaded.removeTrunkPassword('b_2'), false);
  reloaded.removeTrunkPassword('provider-a');
  assert.equal('trunks' in readDoc(dir), false, 'no section once the last trunk password is gone');
});

test('trunk passwords: bad names and passwords are refused, nothing written', () => {
  const dir = tempDir();
  const { store } = SecretStore.load(dir, 'r');
  for (const [name, password] of [
    ['Bad', 'x'],
    ['../x', 'x'],
    ['a', ''],
    ['a', 'line\nbreak'],
    ['a', 'x'.repeat(257)],
  ] as const) {
    assert.throws(
      () => store.setTrunkPassword(name, password),
      (err: unknown) => err instanceof SecretStoreError && err.code === 'EDGESIP_ERR_SECRETS_INPUT',
      `${name} ${password.slice(0, 10)}`,
    );
  }
  assert.equal(fs.existsSync(path.join(dir, SECRETS_FILE)), false);
});

test('an old secrets file without trunks loads; one for another realm keeps its trunk passwords', () => {
  const dir = tempDir();
  const md5 = '0'.repeat(32);
  const sha = '1'.repeat(64);
  fs.writeFileSync(path.join(dir, SECRETS_FILE), JSON.stringify({ version: 1, realm: 'r', secrets: { '100': { MD5: md5, 'SHA-256': sha } } }), { mode: 0o600 });
  const { store, warnings } = SecretStore.load(dir, 'r');
  assert.deepEqual(warnings, []);
  assert.deepEqual(store.get('100'), { ha1: { MD5: md5, 'SHA-256': sha } });
  assert.deepEqual(store.trunkNames(), []);
  store.setTrunkPassword('itsp', 'secret');

  const moved = SecretStore.load(dir, 'other.example');
  assert.equal(moved.warnings.length, 1, 'the extension secrets cannot be used');
  assert.equal(moved.store.has('100'), false);
  assert.equal(moved.store.getTrunkPassword('itsp'), 'secret', 'trunk passwords do not depend on the realm');
  moved.store.set('101', 'b');
  assert.deepEqual(readDoc(dir).realm, 'other.example');
  assert.equal(SecretStore.load(dir, 'other.example').store.getTrunkPassword('itsp'), 'secret');
});

test('a corrupt trunks section is refused and left alone', () => {
  const base = { version: 1, realm: 'r', secrets: {} };
  for (const trunks of [[], 'x', { Bad: 'p' }, { a: 5 }, { a: '' }, { a: 'x\u0000' }]) {
    const dir = tempDir();
    const file = path.join(dir, SECRETS_FILE);
    const text = JSON.stringify({ ...base, trunks });
    fs.writeFileSync(file, text, { mode: 0o600 });
    assert.throws(
      () => SecretStore.load(dir, 'r'),
      (err: unknown) => err instanceof SecretStoreError && err.code === 'EDGESIP_ERR_SECRETS_CORRUPT',
      JSON.stringify(trunks),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  }
});

test('a file readable by others is tightened even when written for another realm (trunk passwords are plain)', () => {
  const dir = tempDir();
  SecretStore.load(dir, 'old').store.setTrunkPassword('itsp', 'secret');
  const file = path.join(dir, SECRETS_FILE);
  fs.chmodSync(file, 0o644);
  const { store, warnings } = SecretStore.load(dir, 'new');
  assert.equal(store.getTrunkPassword('itsp'), 'secret');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(warnings.some((w) => /readable by others/.test(w)));
});
