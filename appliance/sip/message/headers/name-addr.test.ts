import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SipParseError, type SipErrorCode } from '../errors';
import type { SipRequest } from '../message';
import {
  callIdOf,
  contactsOf,
  contentLengthOf,
  formatNameAddr,
  fromOf,
  maxForwardsOf,
  parseCallId,
  parseNameAddr,
  tagOf,
  toOf,
} from './name-addr';

function throwsCode(fn: () => unknown, code: SipErrorCode, header?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SipParseError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, 400);
    if (header !== undefined) assert.equal(e.header, header);
    return true;
  });
}

function request(headers: Array<[string, string]>): SipRequest {
  return { kind: 'request', method: 'OPTIONS', uri: 'sip:x@example.com', headers: headers.map(([name, value]) => ({ name, value })), body: Buffer.alloc(0) };
}

test('quoted display name, bracketed URI, header parameters', () => {
  const na = parseNameAddr('"Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423', 'From');
  assert.equal(na.displayName, 'Bell, Alexander');
  assert.equal(na.uri, 'sip:a.g.bell@example.com');
  assert.equal(tagOf(na), '433423');
});

test('quoted display names unescape (wsinv, intmeth raw control octets)', () => {
  assert.equal(parseNameAddr('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com> ; tag = 98asjd8', 'From').displayName, 'J Rosenberg \\"');
  const na = parseNameAddr('"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:x@example.com>', 'To');
  assert.equal(na.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  // No LWS between the quoted string and '<' (longreq).
  assert.equal(parseNameAddr('"I have a user name"<sip:user@example.com:6000>', 'To').displayName, 'I have a user name');
});

test('token display names, with or without LWS before < (lwsdisp)', () => {
  assert.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323', 'From').displayName, 'caller');
  assert.equal(parseNameAddr('A. Bell <sip:a.g.bell@example.com>', 'From').displayName, 'A. Bell');
  const weird = parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\";tag=_token~1'+`*%!-.", 'From');
  assert.equal(weird.displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(tagOf(weird), "_token~1'+`*%!-.");
  assert.equal(weird.params.get("fromparam''~+*_!.-%"), '"\xd1\x80"');
  assert.equal(parseNameAddr('<sip:a@b.com>', 'To').displayName, undefined);
});

test('addr-spec: parameters after the URI belong to the header (cparam01 vs cparam02)', () => {
  const bare = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam', 'Contact');
  assert.equal(bare.uri, 'sip:+19725552222@gw1.example.net');
  assert.deepEqual([...bare.params], [['unknownparam', null]]);
  const bracketed = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>', 'Contact');
  assert.equal(bracketed.uri, 'sip:+19725552222@gw1.example.net;unknownparam');
  assert.equal(bracketed.params.size, 0);
  // LWS around ';' and '=' (wsinv).
  const to = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n', 'To');
  assert.equal(to.uri, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(tagOf(to), '1918181833n');
});

test('non-SIP URIs parse in From/To/Contact (unksm2)', () => {
  assert.equal(parseNameAddr('isbn:2983792873', 'To').uri, 'isbn:2983792873');
  assert.equal(parseNameAddr('<http://www.example.com>;tag=3234233', 'From').uri, 'http://www.example.com');
  assert.equal(parseNameAddr('<name:John_Smith>', 'Contact').uri, 'name:John_Smith');
});

test('malformed name-addrs', () => {
  throwsCode(() => parseNameAddr('"Mr. J. User <sip:j.user@example.com>', 'To'), 'SIP_ERR_HEADER_SYNTAX', 'To'); // quotbal
  throwsCode(() => parseNameAddr('Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'From'), 'SIP_ERR_HEADER_SYNTAX', 'From'); // baddn
  throwsCode(() => parseNameAddr('"Watson, Thomas" < sip:t.watson@example.org >', 'To'), 'SIP_ERR_URI', 'To'); // badaspec
  throwsCode(() => parseNameAddr('sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'Contact'), 'SIP_ERR_HEADER_SYNTAX', 'Contact'); // regbadct
  throwsCode(() => parseNameAddr('"Joe" <sip:joe@example.org>;;;;', 'Contact'), 'SIP_ERR_HEADER_SYNTAX'); // badinv01
  throwsCode(() => parseNameAddr('<sip:a@b.com', 'To'), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => parseNameAddr('<sip:a@b.com> junk', 'To'), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => parseNameAddr('"x" sip:a@b.com', 'To'), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => parseNameAddr('   ', 'To'), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => parseNameAddr('alan@jasomi.com', 'To'), 'SIP_ERR_URI'); // test.dat: no scheme
  throwsCode(() => parseNameAddr('<sip:a@b.com>;tag="x', 'To'), 'SIP_ERR_HEADER_SYNTAX');
});

test('formatNameAddr brackets and quotes', () => {
  const na = parseNameAddr('caller<sip:caller@example.com>;tag=323', 'From');
  assert.equal(formatNameAddr(na), '"caller" <sip:caller@example.com>;tag=323');
  assert.equal(formatNameAddr({ uri: 'sip:a@b.com;lr', params: new Map() }), '<sip:a@b.com;lr>');
  assert.equal(formatNameAddr({ displayName: 'say "hi"', uri: 'sip:a@b.com', params: new Map([['expires', '60']]) }), '"say \\"hi\\"" <sip:a@b.com>;expires=60');
  // Round trip through the parser.
  const again = parseNameAddr(formatNameAddr({ displayName: 'a\\b"c', uri: 'sip:x@y.com', params: new Map() }), 'To');
  assert.equal(again.displayName, 'a\\b"c');
});

test('tagOf: absent or valueless tag is undefined', () => {
  assert.equal(tagOf(parseNameAddr('<sip:a@b.com>', 'To')), undefined);
  assert.equal(tagOf(parseNameAddr('<sip:a@b.com>;tag', 'To')), undefined);
});

test('fromOf / toOf / callIdOf: exactly one, compact forms too', () => {
  const msg = request([
    ['f', 'sip:a@b.com;tag=1'],
    ['t', '<sip:c@d.com>'],
    ['i', 'abc@host'],
  ]);
  assert.equal(fromOf(msg).uri, 'sip:a@b.com');
  assert.equal(toOf(msg).uri, 'sip:c@d.com');
  assert.equal(callIdOf(msg), 'abc@host');
  throwsCode(() => fromOf(request([])), 'SIP_ERR_HEADER_MISSING', 'From');
  throwsCode(() => toOf(request([['To', 'sip:a@b.com'], ['t', 'sip:c@d.com']])), 'SIP_ERR_HEADER_MULTIPLE', 'To');
  throwsCode(() => callIdOf(request([['Call-ID', 'a'], ['Call-ID', 'b']])), 'SIP_ERR_HEADER_MULTIPLE', 'Call-ID');
});

test('Call-ID grammar: word [@ word] (intmeth)', () => {
  assert.equal(parseCallId('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  for (const bad of ['', 'a b', 'a@b@c', '@b', 'a@', 'a;b', 'a,b']) throwsCode(() => parseCallId(bad), 'SIP_ERR_HEADER_SYNTAX', 'Call-ID');
});

test('contactsOf: lists across lines and commas, * alone, escnull contacts', () => {
  const contacts = contactsOf(request([
    ['Contact', '<sip:%00@host5.example.com>'],
    ['m', '<sip:%00%00@host5.example.com>, "x, y" <sip:z@h.com>;q=0.5'],
  ]));
  assert.ok(Array.isArray(contacts));
  assert.deepEqual(contacts.map((c) => c.uri), ['sip:%00@host5.example.com', 'sip:%00%00@host5.example.com', 'sip:z@h.com']);
  assert.equal(contacts[2]!.params.get('q'), '0.5');
  assert.equal(contactsOf(request([['Contact', '*']])), '*');
  assert.deepEqual(contactsOf(request([])), []);
  throwsCode(() => contactsOf(request([['Contact', '*, <sip:a@b.com>']])), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => contactsOf(request([['Contact', '<sip:a@b.com>,,']])), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => contactsOf(request([['Contact', '']])), 'SIP_ERR_HEADER_SYNTAX');
});

test('maxForwardsOf: optional, leading zeros, overlarge treated as absent', () => {
  assert.equal(maxForwardsOf(request([])), undefined);
  assert.equal(maxForwardsOf(request([['Max-Forwards', '70']])), 70);
  assert.equal(maxForwardsOf(request([['MaX-fOrWaRdS', '0068']])), 68);
  assert.equal(maxForwardsOf(request([['Max-Forwards', '0']])), 0);
  assert.equal(maxForwardsOf(request([['Max-Forwards', '255']])), 255);
  assert.equal(maxForwardsOf(request([['Max-Forwards', '300']])), undefined);
  assert.equal(maxForwardsOf(request([['Max-Forwards', '9'.repeat(100)]])), undefined);
  throwsCode(() => maxForwardsOf(request([['Max-Forwards', '-1']])), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => maxForwardsOf(request([['Max-Forwards', '']])), 'SIP_ERR_HEADER_SYNTAX');
  throwsCode(() => maxForwardsOf(request([['Max-Forwards', '70'], ['Max-Forwards', '5']])), 'SIP_ERR_HEADER_MULTIPLE');
});

test('contentLengthOf: compact form, garbage, negative, multiple', () => {
  assert.equal(contentLengthOf(request([])), undefined);
  assert.equal(contentLengthOf(request([['l', '150']])), 150);
  assert.equal(contentLengthOf(request([['Content-Length', '0']])), 0);
  assert.equal(contentLengthOf(request([['Content-Length', '1'.repeat(30)]])), Number.POSITIVE_INFINITY);
  throwsCode(() => contentLengthOf(request([['Content-Length', '-999']])), 'SIP_ERR_CONTENT_LENGTH');
  throwsCode(() => contentLengthOf(request([['Content-Length', '1 2']])), 'SIP_ERR_CONTENT_LENGTH');
  throwsCode(() => contentLengthOf(request([['Content-Length', '13'], ['l', '5']])), 'SIP_ERR_HEADER_MULTIPLE', 'Content-Length');
});
