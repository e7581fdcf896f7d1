import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createResponse, newCallId, newTag, reasonPhrase } from './build';
import { parseNameAddr, tagOf } from './headers/name-addr';
import { getHeader, getHeaderValues, headersNamed, type SipRequest } from './message';
import { parseMessage } from './parse';
import { serializeMessage } from './serialize';

const INVITE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
  'v: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP p2.example.com;branch=z9hG4bK2',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Timestamp: 54',
  'Contact: <sip:alice@pc33.atlanta.com>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function parsed(text: string): SipRequest {
  const r = parseMessage(Buffer.from(text, 'latin1'));
  assert.ok(r.ok && r.message.kind === 'request');
  return r.message;
}

test('§8.2.6.2: Vias in order, From, To with a new tag, Call-ID, CSeq, Content-Length 0', () => {
  const res = createResponse(parsed(INVITE), 486);
  assert.equal(res.status, 486);
  assert.equal(res.reason, 'Busy Here');
  assert.deepEqual(res.headers.map((h) => h.name), ['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
  assert.deepEqual(getHeaderValues(res, 'via'), [
    'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
    'SIP/2.0/UDP p1.example.com;branch=z9hG4bK1',
    'SIP/2.0/TCP p2.example.com;branch=z9hG4bK2',
  ]);
  assert.equal(getHeader(res, 'from'), 'Alice <sip:alice@atlanta.com>;tag=1928301774');
  const to = parseNameAddr(getHeader(res, 'to')!, 'To');
  assert.equal(to.uri, 'sip:bob@biloxi.com');
  assert.match(tagOf(to) ?? '', /^[0-9a-f]{16}$/);
  assert.equal(getHeader(res, 'call-id'), 'a84b4c76e66710@pc33.atlanta.com');
  assert.equal(getHeader(res, 'cseq'), '314159 INVITE');
  assert.equal(getHeader(res, 'content-length'), '0');
  assert.equal(getHeader(res, 'timestamp'), undefined);
  assert.equal(res.body.length, 0);
  // It is a valid response on the wire.
  const back = parseMessage(serializeMessage(res), { datagram: false });
  assert.ok(back.ok && back.message.kind === 'response' && back.message.status === 486);
});

test('100 Trying: no To tag, Timestamp copied (§8.2.6.1)', () => {
  const res = createResponse(parsed(INVITE), 100);
  assert.equal(res.reason, 'Trying');
  assert.equal(getHeader(res, 'to'), 'Bob <sip:bob@biloxi.com>');
  assert.equal(getHeader(res, 'timestamp'), '54');
});

test('the To tag: given one used, an existing one kept', () => {
  assert.equal(getHeader(createResponse(parsed(INVITE), 180, undefined, { toTag: 'abc' }), 'to'), 'Bob <sip:bob@biloxi.com>;tag=abc');
  const tagged = parsed(INVITE.replace('To: Bob <sip:bob@biloxi.com>', 'To: sip:bob@biloxi.com;tag=xyz'));
  assert.equal(getHeader(createResponse(tagged, 200, undefined, { toTag: 'abc' }), 'to'), 'sip:bob@biloxi.com;tag=xyz');
});

test('custom reason and extra headers before Content-Length', () => {
  const res = createResponse(parsed(INVITE), 603, 'Not Today', { headers: [{ name: 'Retry-After', value: '300' }] });
  assert.equal(res.reason, 'Not Today');
  assert.deepEqual(res.headers.slice(-2).map((h) => h.name), ['Retry-After', 'Content-Length']);
});

test('answering a request that failed to parse: raw values copied as they are', () => {
  const bad = [
    'INVITE sip:user@example.com SIP/2.0',
    'To: "Mr. J. User <sip:j.user@example.com>',
    'From: sip:caller@example.net;tag=93334',
    'Call-ID: quotbal.aksdj',
    'CSeq: 8 INVITE',
    'CSeq: 9 INVITE',
    'Via: SIP/2.0/UDP 192.0.2.15;;,;,,',
    'Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(bad));
  assert.ok(!r.ok && r.request);
  const res = createResponse(r.request, r.error.status as number);
  assert.equal(res.status, 400);
  assert.deepEqual(headersNamed(res, 'via').map((h) => h.value), ['SIP/2.0/UDP 192.0.2.15;;,;,,', 'SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234']);
  assert.equal(getHeader(res, 'to'), '"Mr. J. User <sip:j.user@example.com>', 'an unparsable To is not touched');
  assert.equal(getHeader(res, 'cseq'), '8 INVITE', 'the first of repeated single-valued headers');
  assert.ok(serializeMessage(res).toString('latin1').startsWith('SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n'));
});

test('a request missing headers still gets what can be copied', () => {
  const req: SipRequest = { kind: 'request', method: 'INVITE', uri: 'sip:a@b.com', headers: [{ name: 'CSeq', value: '1 INVITE' }], body: Buffer.alloc(0) };
  assert.deepEqual(createResponse(req, 400).headers.map((h) => h.name), ['CSeq', 'Content-Length']);
});

test('status must be 100..699', () => {
  for (const bad of [99, 700, 200.5, NaN]) assert.throws(() => createResponse(parsed(INVITE), bad), RangeError);
});

test('reason phrases: RFC 3261 §21 and later registrations, class fallback', () => {
  const expected: Array<[number, string]> = [
    [180, 'Ringing'], [181, 'Call Is Being Forwarded'], [183, 'Session Progress'], [199, 'Early Dialog Terminated'],
    [200, 'OK'], [204, 'No Notification'], [302, 'Moved Temporarily'], [400, 'Bad Request'], [401, 'Unauthorized'],
    [407, 'Proxy Authentication Required'], [413, 'Request Entity Too Large'], [416, 'Unsupported URI Scheme'],
    [420, 'Bad Extension'], [421, 'Extension Required'], [423, 'Interval Too Brief'], [429, 'Provide Referrer Identity'],
    [430, 'Flow Failed'], [433, 'Anonymity Disallowed'], [439, 'First Hop Lacks Outbound Support'],
    [440, 'Max-Breadth Exceeded'], [469, 'Bad Info Package'], [470, 'Consent Needed'], [481, 'Call/Transaction Does Not Exist'],
    [483, 'Too Many Hops'], [501, 'Not Implemented'], [505, 'Version Not Supported'], [513, 'Message Too Large'],
    [580, 'Precondition Failure'], [603, 'Decline'], [606, 'Not Acceptable'],
  ];
  for (const [code, phrase] of expected) assert.equal(reasonPhrase(code), phrase, String(code));
  assert.equal(reasonPhrase(299), 'Success');
  assert.equal(reasonPhrase(499), 'Client Error');
  assert.equal(reasonPhrase(699), 'Global Failure');
});

test('newTag and newCallId are random tokens', () => {
  const tags = new Set(Array.from({ length: 1000 }, () => newTag()));
  assert.equal(tags.size, 1000);
  for (const t of tags) assert.match(t, /^[0-9a-f]{16}$/);
  assert.match(newCallId(), /^[0-9a-f]{32}$/);
  assert.match(newCallId('edge.example.com'), /^[0-9a-f]{32}@edge\.example\.com$/);
  assert.notEqual(newCallId(), newCallId());
});
