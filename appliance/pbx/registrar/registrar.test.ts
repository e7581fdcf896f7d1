import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tortureDir } from '../../../test/helpers/paths';
import { defaultForward, type Extension } from '../../config/schema';
import { silentLogger } from '../../sip/logger';
import { parseNameAddr, tagOf } from '../../sip/message/headers/name-addr';
import { getHeader, getHeaderValues, type SipRequest, type SipResponse } from '../../sip/message/message';
import { parseMessage } from '../../sip/message/parse';
import { parseUri, type SipUri } from '../../sip/message/uri';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { Flow } from '../../sip/transport/flow';
import { bindingParam, LocationStore } from './location-store';
import { deltaSeconds, Registrar } from './registrar';

const FLOW: Flow = { transport: 'UDP', local: { address: '192.0.2.1', port: 5060 }, remote: { address: '198.51.100.7', port: 40000 } };
const START = Date.UTC(2024, 0, 31, 12, 0, 0);

function ext(number = '100', maxContacts = 3): Extension {
  return { number, displayName: 'Test', maxContacts, enabled: true, allowedNetworks: [], forward: defaultForward(), permission: 'national' };
}

function setup(config = { minExpires: 60, maxExpires: 3600, defaultExpires: 1800 }): { clock: VirtualClock; store: LocationStore; registrar: Registrar } {
  const clock = new VirtualClock(START);
  const store = new LocationStore({ clock });
  const registrar = new Registrar({ store, config, clock, logger: silentLogger, headers: [{ name: 'Server', value: 'EdgeSIP/test' }] });
  return { clock, store, registrar };
}

interface RegOptions {
  user?: string;
  to?: string;
  callId?: string;
  cseq?: number;
  /** Raw header lines (name: value) added after the mandatory ones. */
  extra?: string[];
}

function register(o: RegOptions = {}): SipRequest {
  const user = o.user ?? '100';
  const lines = [
    'REGISTER sip:pbx.example SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:40000;branch=z9hG4bK-1;rport',
    'Max-Forwards: 70',
    `From: <sip:${user}@pbx.example>;tag=abc`,
    `To: ${o.to ?? `<sip:${user}@pbx.example>`}`,
    `Call-ID: ${o.callId ?? 'reg-1@phone'}`,
    `CSeq: ${o.cseq ?? 1} REGISTER`,
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return parse(Buffer.from(lines.join('\r\n'), 'latin1'));
}

/**
 * The same request built without the parser, for header values parseMessage already
 * refuses on the wire: the registrar must still answer them with 400 when called directly.
 */
function unparsed(o: RegOptions = {}): SipRequest {
  const user = o.user ?? '100';
  const headers = [
    ['Via', 'SIP/2.0/UDP 198.51.100.7:40000;branch=z9hG4bK-1;rport'],
    ['From', `<sip:${user}@pbx.example>;tag=abc`],
    ['To', o.to ?? `<sip:${user}@pbx.example>`],
    ['Call-ID', o.callId ?? 'reg-1@phone'],
    ['CSeq', `${o.cseq ?? 1} REGISTER`],
    ...(o.extra ?? []).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  ];
  return { kind: 'request', method: 'REGISTER', uri: 'sip:pbx.example', headers: headers.map(([name, value]) => ({ name: name!, value: value! })), body: Buffer.alloc(0) };
}

function parse(bytes: Buffer): SipRequest {
  const r = parseMessage(bytes);
  if (!r.ok) throw r.error;
  assert.equal(r.message.kind, 'request');
  return r.message as SipRequest;
}

function contacts(res: SipResponse): string[] {
  return getHeaderValues(res, 'contact');
}

test('a REGISTER binds its contact: 200 copies the request headers, adds a To tag, Contact with expires, Date', () => {
  const { registrar, store } = setup();
  const req = register({ extra: ['Contact: <sip:100@198.51.100.7:40000;ob>;expires=600', 'User-Agent: Phone/1.0'] });
  const res = registrar.handleRegister(req, FLOW, ext());
  assert.equal(res.status, 200);
  assert.equal(getHeader(res, 'via'), 'SIP/2.0/UDP 198.51.100.7:40000;branch=z9hG4bK-1;rport');
  assert.equal(getHeader(res, 'from'), '<sip:100@pbx.example>;tag=abc');
  assert.equal(getHeader(res, 'call-id'), 'reg-1@phone');
  assert.equal(getHeader(res, 'cseq'), '1 REGISTER');
  assert.ok(tagOf(parseNameAddr(getHeader(res, 'to')!, 'To')));
  assert.deepEqual(contacts(res), ['<sip:100@198.51.100.7:40000;ob>;expires=600']);
  assert.equal(getHeader(res, 'date'), 'Wed, 31 Jan 2024 12:00:00 GMT');
  assert.equal(getHeader(res, 'server'), 'EdgeSIP/test');
  const [b] = store.bindings('100');
  assert.equal(b!.userAgent, 'Phone/1.0');
  assert.deepEqual(b!.flow, FLOW);
  assert.equal(b!.callId, 'reg-1@phone');
});

test('expiry: contact param, else Expires header, else defaultExpires; above max is shortened', () => {
  const { registrar } = setup();
  const res = registrar.handleRegister(
    register({ extra: ['Contact: <sip:a@h>;expires=120, <sip:b@h>', 'Contact: <sip:c@h>;expires=99999', 'Expires: 300'] }),
    FLOW,
    ext('100', 5),
  );
  assert.equal(res.status, 200);
  assert.deepEqual(contacts(res).sort(), ['<sip:a@h>;expires=120', '<sip:b@h>;expires=300', '<sip:c@h>;expires=3600']);
  const res2 = registrar.handleRegister(register({ user: '101', extra: ['Contact: <sip:d@h>'] }), FLOW, ext('101'));
  assert.deepEqual(contacts(res2), ['<sip:d@h>;expires=1800']);
});

test('the 200 lists remaining time of every binding, including ones from earlier REGISTERs', () => {
  const { registrar, clock } = setup();
  registrar.handleRegister(register({ callId: 'A', extra: ['Contact: <sip:a@h>;expires=600'] }), FLOW, ext());
  clock.advance(100_500);
  const res = registrar.handleRegister(register({ callId: 'B', extra: ['Contact: <sip:b@h>;q=0.5;expires=300'] }), FLOW, ext());
  assert.deepEqual(contacts(res), ['<sip:a@h>;expires=500', '<sip:b@h>;q=0.5;expires=300']);
});

test('a REGISTER without Contact is a fetch: the bindings are listed and left unchanged', () => {
  const { registrar, store, clock } = setup();
  registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>;expires=600'] }), FLOW, ext());
  clock.advance(10_000);
  const before = store.bindings('100');
  const res = registrar.handleRegister(register({ cseq: 2 }), FLOW, ext());
  assert.equal(res.status, 200);
  assert.deepEqual(contacts(res), ['<sip:a@h>;expires=590']);
  assert.deepEqual(store.bindings('100'), before);
  const empty = registrar.handleRegister(register({ user: '200', cseq: 2 }), FLOW, ext('200'));
  assert.equal(empty.status, 200);
  assert.deepEqual(contacts(empty), []);
});

test('expires=0 removes a binding; Expires: 0 removes all contacts listed', () => {
  const { registrar, store } = setup();
  registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>, <sip:b@h>, <sip:c@h>'] }), FLOW, ext());
  const r1 = registrar.handleRegister(register({ cseq: 2, extra: ['Contact: <sip:a@h>;expires=0'] }), FLOW, ext());
  assert.equal(r1.status, 200);
  assert.deepEqual(contacts(r1).map((v) => v.split(';')[0]).sort(), ['<sip:b@h>', '<sip:c@h>']);
  const r2 = registrar.handleRegister(register({ cseq: 3, extra: ['Contact: <sip:b@h>, <sip:c@h>', 'Expires: 0'] }), FLOW, ext());
  assert.equal(r2.status, 200);
  assert.deepEqual(contacts(r2), []);
  assert.equal(store.count(), 0);
});

test('Contact: * with Expires: 0 removes every binding of the AOR', () => {
  const { registrar, store } = setup();
  registrar.handleRegister(register({ callId: 'A', extra: ['Contact: <sip:a@h>'] }), FLOW, ext());
  registrar.handleRegister(register({ callId: 'B', extra: ['Contact: <sip:b@h>'] }), FLOW, ext());
  registrar.handleRegister(register({ user: '101', callId: 'C', extra: ['Contact: <sip:x@h>'] }), FLOW, ext('101'));
  const res = registrar.handleRegister(register({ callId: 'A', cseq: 2, extra: ['Contact: *', 'Expires: 0'] }), FLOW, ext());
  assert.equal(res.status, 200);
  assert.deepEqual(contacts(res), []);
  assert.equal(store.bindings('100').length, 0);
  assert.equal(store.bindings('101').length, 1, 'other AORs are untouched');
});

test('Contact: * without Expires: 0, or not alone, is a 400', () => {
  const { registrar, store } = setup();
  registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>'] }), FLOW, ext());
  for (const extra of [['Contact: *'], ['Contact: *', 'Expires: 10'], ['Contact: *', 'Expires: junk'], ['Contact: *, <sip:a@h>', 'Expires: 0'], ['Contact: *', 'Contact: <sip:b@h>', 'Expires: 0']]) {
    const res = registrar.handleRegister(unparsed({ cseq: 5, extra }), FLOW, ext());
    assert.equal(res.status, 400, extra.join(' | '));
  }
  assert.equal(store.count(), 1);
});

test('Contact * with the same Call-ID and an old CSeq is refused (400), nothing removed', () => {
  const { registrar, store } = setup();
  registrar.handleRegister(register({ cseq: 10, extra: ['Contact: <sip:a@h>'] }), FLOW, ext());
  const res = registrar.handleRegister(register({ cseq: 10, extra: ['Contact: *', 'Expires: 0'] }), FLOW, ext());
  assert.equal(res.status, 400);
  assert.match(res.reason, /CSeq/);
  assert.equal(store.count(), 1);
});

test('an out-of-order REGISTER (same Call-ID, CSeq not higher) is a 400 saying why; nothing changes', () => {
  const { registrar, store } = setup();
  registrar.handleRegister(register({ cseq: 5, extra: ['Contact: <sip:a@h>;expires=600'] }), FLOW, ext());
  const before = store.bindings('100');
  for (const cseq of [5, 3]) {
    const res = registrar.handleRegister(register({ cseq, extra: ['Contact: <sip:a@h>;expires=0', 'Contact: <sip:new@h>'] }), FLOW, ext());
    assert.equal(res.status, 400);
    assert.match(res.reason, /CSeq not above 5/);
  }
  assert.deepEqual(store.bindings('100'), before);
  assert.equal(registrar.handleRegister(register({ cseq: 6, extra: ['Contact: <sip:a@h>;expires=0'] }), FLOW, ext()).status, 200);
});

test('below minExpires: 423 with Min-Expires, and the whole request fails', () => {
  const { registrar, store } = setup();
  const res = registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>;expires=3600, <sip:b@h>;expires=30'] }), FLOW, ext());
  assert.equal(res.status, 423);
  assert.equal(res.reason, 'Interval Too Brief');
  assert.equal(getHeader(res, 'min-expires'), '60');
  assert.equal(store.count(), 0);
  const viaHeader = registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>', 'Expires: 59'] }), FLOW, ext());
  assert.equal(viaHeader.status, 423);
  assert.equal(registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>', 'Expires: 60'] }), FLOW, ext()).status, 200);
});

test('a malformed expiry counts as 3600 (§20.10, §20.19); huge values are shortened to max', () => {
  assert.equal(deltaSeconds('junk'), 3600);
  assert.equal(deltaSeconds(null), 3600);
  assert.equal(deltaSeconds('-5'), 3600);
  assert.equal(deltaSeconds('0'), 0);
  assert.equal(deltaSeconds('000'), 0);
  assert.equal(deltaSeconds('4294967296'), 4294967295);
  assert.equal(deltaSeconds('280297596632815'), 4294967295);
  const { registrar } = setup({ minExpires: 60, maxExpires: 7200, defaultExpires: 1800 });
  const res = registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>;expires=soon', 'Contact: <sip:b@h>;expires=280297596632815'] }), FLOW, ext());
  assert.deepEqual(contacts(res).sort(), ['<sip:a@h>;expires=3600', '<sip:b@h>;expires=7200']);
});

test('the To user must be the authenticated extension: 403 otherwise (no third-party registration)', () => {
  const { registrar, store } = setup();
  for (const to of ['<sip:101@pbx.example>', '<tel:+15551234>', '<sip:pbx.example>']) {
    const res = registrar.handleRegister(register({ to, extra: ['Contact: <sip:a@h>'] }), FLOW, ext('100'));
    assert.equal(res.status, 403, to);
  }
  // An escaped user part is compared unescaped (§10.3 step 5).
  assert.equal(registrar.handleRegister(register({ to: '<sip:%31%30%30@pbx.example>', extra: ['Contact: <sip:a@h>'] }), FLOW, ext('100')).status, 200);
  assert.equal(store.bindings('101').length, 0);
  assert.equal(registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>'] }), FLOW, { ...ext(), enabled: false }).status, 403);
});

test('bad Contact syntax or a bad q is a 400', () => {
  const { registrar, store } = setup();
  for (const contact of ['Contact: <sip:a@h', 'Contact: sip:a@h?x=y', 'Contact: <sip:a@h>;q=2', 'Contact: <sip:a@h>;q=0.1234', 'Contact: <sip:a@h>;q', 'Contact: "unterminated <sip:a@h>']) {
    const res = registrar.handleRegister(unparsed({ extra: [contact] }), FLOW, ext());
    assert.equal(res.status, 400, contact);
  }
  assert.equal(store.count(), 0);
  for (const broken of [{ callId: 'bad id with spaces' }, { cseq: -1 }, { to: '<sip:100@pbx.example' }]) {
    assert.equal(registrar.handleRegister(unparsed({ ...broken, extra: ['Contact: <sip:a@h>'] }), FLOW, ext()).status, 400, JSON.stringify(broken));
  }
});

test('maxContacts: a new contact beyond it replaces the oldest binding', () => {
  const { registrar, clock } = setup();
  registrar.handleRegister(register({ callId: 'A', extra: ['Contact: <sip:a@h>'] }), FLOW, ext('100', 2));
  clock.advance(1000);
  registrar.handleRegister(register({ callId: 'B', extra: ['Contact: <sip:b@h>'] }), FLOW, ext('100', 2));
  clock.advance(1000);
  const res = registrar.handleRegister(register({ callId: 'C', extra: ['Contact: <sip:c@h>'] }), FLOW, ext('100', 2));
  assert.equal(res.status, 200);
  assert.deepEqual(contacts(res).map((v) => v.split(';')[0]), ['<sip:c@h>', '<sip:b@h>']);
});

test('header params (+sip.instance, reg-id) are stored and returned; q stays numeric', () => {
  const { registrar, store } = setup();
  const res = registrar.handleRegister(
    register({ extra: ['Contact: <sip:100@10.0.0.5:5060;transport=tcp>;+sip.instance="<urn:uuid:abc>";reg-id=1;q=0.7;expires=600'] }),
    FLOW,
    ext(),
  );
  assert.deepEqual(contacts(res), ['<sip:100@10.0.0.5:5060;transport=tcp>;+sip.instance="<urn:uuid:abc>";reg-id=1;q=0.7;expires=600']);
  const [b] = store.bindings('100');
  assert.equal(b!.q, 0.7);
  assert.equal(bindingParam(b!, 'reg-id'), '1');
  assert.equal(bindingParam(b!, 'expires'), undefined);
  assert.equal(bindingParam(b!, 'q'), undefined);
});

// --- RFC 4475 registrations, from the shared corpus -------------------------------------

function torture(file: string): SipRequest {
  return parse(readFileSync(join(tortureDir(), file)));
}

test('RFC 4475 cparam01: an addr-spec contact-param stays a header param of the binding', () => {
  const { registrar, store } = setup();
  const res = registrar.handleRegister(torture('cparam01.dat'), FLOW, ext('watson'));
  assert.equal(res.status, 200);
  const [b] = store.bindings('watson');
  assert.equal(b!.contact, 'sip:+19725552222@gw1.example.net');
  assert.deepEqual(b!.params, [['unknownparam', null]]);
  assert.deepEqual(contacts(res), ['<sip:+19725552222@gw1.example.net>;unknownparam;expires=1800']);
});

test('RFC 4475 cparam02: a bracketed url-parameter stays inside the URI', () => {
  const { registrar, store } = setup();
  const res = registrar.handleRegister(torture('cparam02.dat'), FLOW, ext('watson'));
  assert.equal(res.status, 200);
  const [b] = store.bindings('watson');
  assert.equal(b!.contact, 'sip:+19725552222@gw1.example.net;unknownparam');
  assert.deepEqual(b!.params, []);
  assert.ok((parseUri(b!.contact) as SipUri).params.has('unknownparam'));
  assert.deepEqual(contacts(res), ['<sip:+19725552222@gw1.example.net;unknownparam>;expires=1800']);
});

test('RFC 4475 regescrt: the escaped header in the contact URI is stored as received', () => {
  const { registrar, store } = setup();
  const res = registrar.handleRegister(torture('regescrt.dat'), FLOW, ext('user'));
  assert.equal(res.status, 200);
  const [b] = store.bindings('user');
  assert.equal(b!.contact, 'sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  assert.deepEqual((parseUri(b!.contact) as SipUri).headers, [['Route', '%3Csip:sip.example.com%3E']]);
  assert.deepEqual(contacts(res), ['<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=1800']);
});

test('the Date header follows the clock, and expiry is counted from it', () => {
  const { registrar, clock } = setup();
  registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>;expires=120'] }), FLOW, ext());
  clock.advance(119_001);
  const res = registrar.handleRegister(register({ cseq: 2 }), FLOW, ext());
  assert.deepEqual(contacts(res), ['<sip:a@h>;expires=1']);
  assert.equal(getHeader(res, 'date'), new Date(START + 119_001).toUTCString());
  clock.advance(999);
  assert.deepEqual(contacts(registrar.handleRegister(register({ cseq: 3 }), FLOW, ext())), []);
});

test('setConfig changes the limits for later REGISTERs', () => {
  const { registrar } = setup();
  registrar.setConfig({ minExpires: 300, maxExpires: 600, defaultExpires: 400 });
  assert.equal(registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>;expires=200'] }), FLOW, ext()).status, 423);
  assert.deepEqual(contacts(registrar.handleRegister(register({ extra: ['Contact: <sip:a@h>'] }), FLOW, ext())), ['<sip:a@h>;expires=400']);
});
