import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { Flow } from '../../sip/transport/flow';
import { bindingParam, LocationStore, type Binding, type ContactChange, type RegisterContext } from './location-store';

const UDP: Flow = { transport: 'UDP', local: { address: '192.0.2.1', port: 5060 }, remote: { address: '198.51.100.7', port: 40000 } };
const TCP: Flow = { transport: 'TCP', local: { address: '192.0.2.1', port: 5060 }, remote: { address: '198.51.100.8', port: 50000 }, connectionId: 12 };

function setup(sweepIntervalMs = 30_000): { clock: VirtualClock; store: LocationStore; changes: () => number } {
  const clock = new VirtualClock(1_000_000);
  let n = 0;
  const store = new LocationStore({ clock, sweepIntervalMs, onChange: () => n++ });
  return { clock, store, changes: () => n };
}

const c = (contact: string, expires = 3600, extra: Partial<ContactChange> = {}): ContactChange => ({ contact, params: [], expires, ...extra });
const ctx = (cseq: number, callId = 'call-1', flow: Flow = UDP): RegisterContext => ({ callId, cseq, flow });

test('add, then refresh with a higher CSeq: one binding, new expiry, first registration time kept', () => {
  const { clock, store, changes } = setup();
  const r1 = store.update('100', [c('sip:100@198.51.100.7:40000')], { ...ctx(1), userAgent: 'Phone/1' }, 3);
  assert.ok(r1.ok);
  assert.deepEqual(r1.events.map((e) => e.kind), ['added']);
  const [b] = store.bindings('100');
  assert.equal(b!.aor, '100');
  assert.equal(b!.expiresAt, 1_000_000 + 3_600_000);
  assert.equal(b!.userAgent, 'Phone/1');
  assert.deepEqual(b!.flow, UDP);
  clock.advance(60_000);
  const r2 = store.update('100', [c('sip:100@198.51.100.7:40000', 600)], ctx(2), 3);
  assert.ok(r2.ok);
  assert.deepEqual(r2.events.map((e) => e.kind), ['refreshed']);
  const all = store.bindings('100');
  assert.equal(all.length, 1);
  assert.equal(all[0]!.expiresAt, 1_060_000 + 600_000);
  assert.equal(all[0]!.registeredAt, 1_000_000);
  assert.equal(all[0]!.updatedAt, 1_060_000);
  assert.equal(all[0]!.cseq, 2);
  assert.equal(changes(), 2);
  store.close();
});

test('contacts match by URI equality (§19.1.4), not by text', () => {
  const { store } = setup();
  store.update('100', [c('sip:100@HOST.example;transport=udp')], ctx(1), 3);
  const r = store.update('100', [c('sip:100@host.example;Transport=UDP')], ctx(2), 3);
  assert.ok(r.ok);
  assert.deepEqual(r.events.map((e) => e.kind), ['refreshed']);
  assert.equal(store.count(), 1);
  store.close();
});

test('expires 0 removes; removing an unknown contact is no error', () => {
  const { store } = setup();
  store.update('100', [c('sip:a@h'), c('sip:b@h')], ctx(1), 5);
  const r = store.update('100', [c('sip:a@h', 0), c('sip:zzz@h', 0)], ctx(2), 5);
  assert.ok(r.ok);
  assert.deepEqual(r.events.map((e) => [e.kind, e.binding.contact]), [['removed', 'sip:a@h']]);
  assert.deepEqual(store.bindings('100').map((b) => b.contact), ['sip:b@h']);
  store.close();
});

test('same Call-ID with a CSeq not higher: refused, and nothing at all changes', () => {
  const { store } = setup();
  store.update('100', [c('sip:a@h')], ctx(5), 5);
  const before = store.bindings('100');
  for (const cseq of [5, 4]) {
    const r = store.update('100', [c('sip:new@h'), c('sip:a@h', 0)], ctx(cseq), 5);
    assert.deepEqual(r, { ok: false, reason: 'out-of-order', contact: 'sip:a@h', storedCseq: 5 });
  }
  assert.deepEqual(store.bindings('100'), before);
});

test('another Call-ID may update regardless of its CSeq (a rebooted phone)', () => {
  const { store } = setup();
  store.update('100', [c('sip:a@h')], ctx(50), 5);
  const r = store.update('100', [c('sip:a@h', 120)], ctx(1, 'call-2'), 5);
  assert.ok(r.ok);
  assert.equal(store.bindings('100')[0]!.callId, 'call-2');
  assert.equal(store.bindings('100')[0]!.cseq, 1);
  store.close();
});

test('beyond maxContacts a new contact replaces the least recently refreshed binding', () => {
  const { clock, store } = setup();
  store.update('100', [c('sip:a@h')], ctx(1, 'A'), 2);
  clock.advance(1000);
  store.update('100', [c('sip:b@h')], ctx(1, 'B'), 2);
  clock.advance(1000);
  store.update('100', [c('sip:a@h')], ctx(2, 'A'), 2); // a refreshed: b is now the oldest
  clock.advance(1000);
  const r = store.update('100', [c('sip:c@h')], ctx(1, 'C'), 2);
  assert.ok(r.ok);
  assert.deepEqual(r.events.map((e) => [e.kind, e.binding.contact]), [
    ['replaced', 'sip:b@h'],
    ['added', 'sip:c@h'],
  ]);
  assert.deepEqual(store.bindings('100').map((b) => b.contact).sort(), ['sip:a@h', 'sip:c@h']);
  store.close();
});

test('Contact * (removeAll) removes every binding; the same Call-ID with an old CSeq is refused', () => {
  const { store } = setup();
  store.update('100', [c('sip:a@h')], ctx(1, 'A'), 5);
  store.update('100', [c('sip:b@h')], ctx(7, 'B'), 5);
  assert.deepEqual(store.removeAll('100', { callId: 'B', cseq: 7 }), { ok: false, reason: 'out-of-order', contact: 'sip:b@h', storedCseq: 7 });
  assert.equal(store.count(), 2);
  const r = store.removeAll('100', { callId: 'B', cseq: 8 });
  assert.ok(r.ok);
  assert.equal(r.events.length, 2);
  assert.equal(store.count(), 0);
  assert.deepEqual(store.bindings('100'), []);
  store.close();
});

test('bindings are ordered by q (absent = 1.0) then most recent', () => {
  const { clock, store } = setup();
  store.update('100', [c('sip:low@h', 3600, { q: 0.1 })], ctx(1, 'L'), 10);
  clock.advance(10);
  store.update('100', [c('sip:none-old@h')], ctx(1, 'N1'), 10);
  clock.advance(10);
  store.update('100', [c('sip:half@h', 3600, { q: 0.5 })], ctx(1, 'H'), 10);
  clock.advance(10);
  store.update('100', [c('sip:none-new@h')], ctx(1, 'N2'), 10);
  assert.deepEqual(
    store.bindings('100').map((b) => b.contact),
    ['sip:none-new@h', 'sip:none-old@h', 'sip:half@h', 'sip:low@h'],
  );
  store.close();
});

test('expired bindings are gone on read (lazily) and by the periodic sweep; close() stops the sweep', () => {
  const { clock, store } = setup(30_000);
  store.update('100', [c('sip:short@h', 10), c('sip:long@h', 100)], ctx(1), 5);
  store.update('200', [c('sip:x@h', 20)], ctx(1), 5);
  clock.advance(10_000); // exactly at expiresAt: gone
  assert.deepEqual(store.bindings('100').map((b) => b.contact), ['sip:long@h']);
  assert.equal(store.count(), 2);
  assert.equal(store.sweep(), 0);
  clock.advance(20_000); // the sweep at 30 s drops 200's binding without anyone reading
  assert.equal(store.all().length, 1);
  assert.equal(clock.pending(), 1, 'the sweep re-arms');
  store.close();
  assert.equal(clock.pending(), 0);
});

test('the sweep removes expired bindings from memory without a read', () => {
  const { clock, store, changes } = setup(1000);
  store.update('100', [c('sip:a@h', 1)], ctx(1), 5);
  const n = changes();
  clock.advance(1000);
  assert.equal(store.count(), 0);
  assert.equal(changes(), n, 'expiry is not a change to save');
  store.close();
});

test('many AORs share one flow independently', () => {
  const { store } = setup();
  store.update('100', [c('sip:100@198.51.100.8:50000;transport=tcp')], ctx(1, 'X', TCP), 5);
  store.update('101', [c('sip:101@198.51.100.8:50000;transport=tcp')], ctx(1, 'Y', TCP), 5);
  store.update('102', [c('sip:100@198.51.100.8:50000;transport=tcp')], ctx(1, 'Z', TCP), 5); // same URI, other AOR
  assert.equal(store.count(), 3);
  store.update('100', [c('sip:100@198.51.100.8:50000;transport=tcp', 0)], ctx(2, 'X', TCP), 5);
  assert.deepEqual(store.all().map((b) => [b.aor, b.flow.connectionId]), [
    ['101', 12],
    ['102', 12],
  ]);
  store.close();
});

test('+sip.instance and reg-id identify a device: a new contact URI replaces its old binding', () => {
  const { store } = setup();
  const inst: ContactChange['params'] = [
    ['+sip.instance', '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"'],
    ['reg-id', '1'],
  ];
  store.update('100', [c('sip:100@10.0.0.5:5060', 3600, { params: inst })], ctx(1), 5);
  const r = store.update('100', [c('sip:100@10.0.0.9:5060', 3600, { params: inst })], ctx(1, 'after-reboot'), 5);
  assert.ok(r.ok);
  assert.deepEqual(r.events.map((e) => e.kind), ['refreshed']);
  const [b] = store.bindings('100');
  assert.equal(b!.contact, 'sip:100@10.0.0.9:5060');
  assert.equal(bindingParam(b!, '+sip.instance'), '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
  // Another reg-id of the same instance is another flow: a second binding.
  store.update('100', [c('sip:100@10.0.0.9:5061', 3600, { params: [inst[0]!, ['reg-id', '2']] })], ctx(2, 'after-reboot'), 5);
  assert.equal(store.count(), 2);
  store.close();
});

test('remove(), clear() and restore()', () => {
  const { clock, store } = setup();
  store.update('100', [c('sip:a@h'), c('sip:b@h')], ctx(1), 5);
  assert.equal(store.remove('100', 'sip:A@H'), false, 'user parts are case-sensitive');
  assert.equal(store.remove('100', 'sip:a@H'), true);
  assert.equal(store.clear('100'), 1);
  assert.equal(store.count(), 0);
  const saved: Binding[] = [
    { aor: '100', contact: 'sip:a@h', params: [], expiresAt: clock.now() + 5000, callId: 'c', cseq: 3, flow: UDP, registeredAt: 1, updatedAt: 2 },
    { aor: '100', contact: 'sip:old@h', params: [], expiresAt: clock.now(), callId: 'c', cseq: 3, flow: UDP, registeredAt: 1, updatedAt: 2 },
  ];
  assert.equal(store.restore(saved), 1);
  assert.deepEqual(store.bindings('100').map((b) => b.contact), ['sip:a@h']);
  // Ordering still applies to restored bindings.
  assert.equal(store.update('100', [c('sip:a@h')], ctx(3, 'c'), 5).ok, false);
  store.close();
});

test('returned bindings are snapshots: a later refresh does not change them', () => {
  const { clock, store } = setup();
  store.update('100', [c('sip:a@h')], ctx(1), 5);
  const first = store.bindings('100')[0]!;
  clock.advance(1000);
  store.update('100', [c('sip:a@h', 60)], ctx(2), 5);
  assert.equal(first.cseq, 1);
  assert.equal(store.bindings('100')[0]!.cseq, 2);
  store.close();
});
