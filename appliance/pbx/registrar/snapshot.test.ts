import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { Flow } from '../../sip/transport/flow';
import { LocationStore, type Binding } from './location-store';
import { loadRegistrations, parseRegistrations, REGISTRATIONS_FILE, RegistrationSnapshot, serializeRegistrations } from './snapshot';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'edgesip-regs-'));
  dirs.push(d);
  return d;
}

const TLS: Flow = { transport: 'TLS', local: { address: '192.0.2.1', port: 5061 }, remote: { address: '2001:db8::7', port: 45000 }, connectionId: 42 };
const NOW = Date.UTC(2024, 0, 31, 12, 0, 0);

function binding(over: Partial<Binding> = {}): Binding {
  return {
    aor: '100',
    contact: 'sip:100@[2001:db8::7]:45000;transport=tls',
    params: [
      ['+sip.instance', '"<urn:uuid:abc>"'],
      ['reg-id', '1'],
      ['unknownparam', null],
    ],
    q: 0.5,
    expiresAt: NOW + 600_000,
    callId: 'c1@phone',
    cseq: 7,
    flow: TLS,
    userAgent: 'Phone/2.0',
    registeredAt: NOW - 60_000,
    updatedAt: NOW - 1000,
    ...over,
  };
}

test('a snapshot round-trips bindings; connectionId is dropped on load', () => {
  const text = serializeRegistrations([binding()], NOW);
  const { bindings, warnings } = parseRegistrations(text, NOW);
  assert.deepEqual(warnings, []);
  const { connectionId: _dropped, ...flow } = TLS;
  assert.deepEqual(bindings, [{ ...binding(), flow }]);
  assert.equal(bindings[0]!.flow.connectionId, undefined);
});

test('scheduleSave is debounced on the clock and written atomically; flush waits for it', async () => {
  const dir = tempDir();
  const clock = new VirtualClock(NOW);
  const snapshot = new RegistrationSnapshot(dir, clock, 1000);
  let calls = 0;
  let current: Binding[] = [binding()];
  const get = () => {
    calls++;
    return current;
  };
  snapshot.scheduleSave(get);
  snapshot.scheduleSave(get);
  current = [binding(), binding({ aor: '101', contact: 'sip:101@h' })];
  snapshot.scheduleSave(get);
  assert.equal(clock.pending(), 1, 'one timer for the burst');
  assert.equal(fs.existsSync(path.join(dir, REGISTRATIONS_FILE)), false, 'nothing before the delay');
  clock.advance(1000);
  await snapshot.flush();
  assert.equal(calls, 1, 'the bindings are read once, when the save happens');
  const loaded = loadRegistrations(dir, NOW);
  assert.deepEqual(loaded.warnings, []);
  assert.deepEqual(
    loaded.bindings.map((b) => b.aor),
    ['100', '101'],
  );
  assert.equal(fs.statSync(path.join(dir, REGISTRATIONS_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), [REGISTRATIONS_FILE], 'no temp files left');
});

test('flush() writes a pending save at once (shutdown) and cancels the timer', async () => {
  const dir = tempDir();
  const clock = new VirtualClock(NOW);
  const snapshot = new RegistrationSnapshot(dir, clock, 60_000);
  snapshot.scheduleSave(() => [binding()]);
  await snapshot.flush();
  assert.equal(clock.pending(), 0);
  assert.equal(loadRegistrations(dir, NOW).bindings.length, 1);
  await snapshot.flush(); // nothing pending: resolves
});

test('a failed background save goes to onError; flush() rejects with its own failure', async () => {
  const dir = path.join(tempDir(), 'missing', 'dir');
  const clock = new VirtualClock(NOW);
  const errors: unknown[] = [];
  const snapshot = new RegistrationSnapshot(dir, clock, 10, (err) => errors.push(err));
  snapshot.scheduleSave(() => [binding()]);
  clock.advance(10);
  await snapshot.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
  snapshot.scheduleSave(() => [binding()]);
  await assert.rejects(snapshot.flush(), { code: 'ENOENT' });
});

test('loading drops expired bindings and skips invalid entries with a warning', () => {
  const dir = tempDir();
  const good = binding();
  const doc = {
    version: 1,
    savedAt: new Date(NOW).toISOString(),
    bindings: [
      good,
      binding({ contact: 'sip:expired@h', expiresAt: NOW }),
      { ...good, flow: { transport: 'SCTP', local: TLS.local, remote: TLS.remote } },
      { ...good, cseq: 'seven' },
      'junk',
    ],
  };
  fs.writeFileSync(path.join(dir, REGISTRATIONS_FILE), JSON.stringify(doc));
  const { bindings, warnings } = loadRegistrations(dir, NOW);
  assert.deepEqual(bindings.map((b) => b.contact), [good.contact]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /3 invalid/);
});

test('no file: no bindings, no warning', () => {
  assert.deepEqual(loadRegistrations(tempDir(), NOW), { bindings: [], warnings: [] });
});

test('a corrupt file: no bindings, a warning, and the file is moved aside (never deleted)', () => {
  for (const text of ['{"version":1,"bindings":[', '{"version":9,"bindings":[]}', '']) {
    const dir = tempDir();
    const file = path.join(dir, REGISTRATIONS_FILE);
    fs.writeFileSync(file, text);
    const { bindings, warnings } = loadRegistrations(dir, NOW);
    assert.deepEqual(bindings, []);
    assert.equal(warnings.length, 1);
    assert.equal(fs.existsSync(file), false);
    const aside = path.join(dir, `${REGISTRATIONS_FILE}.corrupt-20240131T120000Z`);
    assert.equal(fs.readFileSync(aside, 'utf8'), text);
    assert.match(warnings[0]!, /corrupt-20240131T120000Z/);
    // A second corrupt file in the same second does not overwrite the first.
    fs.writeFileSync(file, 'again');
    loadRegistrations(dir, NOW);
    assert.equal(fs.readFileSync(`${aside}-2`, 'utf8'), 'again');
    assert.equal(fs.readFileSync(aside, 'utf8'), text);
  }
});

test('an unreadable snapshot (a directory in its place) is a warning, not a crash', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, REGISTRATIONS_FILE));
  const { bindings, warnings } = loadRegistrations(dir, NOW);
  assert.deepEqual(bindings, []);
  assert.equal(warnings.length, 1);
});

test('restart: the location store saved by the snapshot is restored into a new one', async () => {
  const dir = tempDir();
  const clock = new VirtualClock(NOW);
  const snapshot = new RegistrationSnapshot(dir, clock, 500);
  const store: LocationStore = new LocationStore({ clock, onChange: () => snapshot.scheduleSave(() => store.all()) });
  store.update('100', [{ contact: 'sip:100@h', params: [], expires: 600 }], { callId: 'a', cseq: 1, flow: TLS }, 3);
  store.update('101', [{ contact: 'sip:101@h', params: [], expires: 60 }], { callId: 'b', cseq: 1, flow: TLS }, 3);
  clock.advance(500);
  await snapshot.flush();
  store.close();

  // 2 minutes later the daemon starts again: 101's registration has run out meanwhile.
  const later = new VirtualClock(NOW + 120_000);
  const loaded = loadRegistrations(dir, later.now());
  const fresh = new LocationStore({ clock: later });
  assert.equal(fresh.restore(loaded.bindings), 1);
  const [b] = fresh.bindings('100');
  assert.equal(b!.expiresAt, NOW + 600_000);
  assert.equal(b!.flow.connectionId, undefined);
  assert.equal(fresh.update('100', [{ contact: 'sip:100@h', params: [], expires: 600 }], { callId: 'a', cseq: 1, flow: TLS }, 3).ok, false, 'CSeq ordering survives the restart');
  fresh.close();
});
