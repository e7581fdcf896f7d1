import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPUS, corpusFile } from '../testing/corpus';
import type { SipErrorAction, SipErrorCode } from './errors';
import { parseCSeq } from './headers/cseq';
import { contactsOf, fromOf, maxForwardsOf, parseNameAddr, tagOf, toOf } from './headers/name-addr';
import { vias } from './headers/via';
import { getHeader, getHeaderValues, headersNamed, utf8Text, type SipMessage, type SipRequest, type SipResponse } from './message';
import { parseMessage, type ParseResult } from './parse';
import { parseUri, unescapeUri, uriEquals, type SipUri } from './uri';

/**
 * RFC 4475 torture messages through parseMessage in datagram mode, against a table
 * written by hand from the RFC text and the corpus index — never generated from the
 * parser's output. Each row is checked against index.tsv's `expect` column as well.
 */

type Expectation = 'ok' | { code: SipErrorCode; status: SipErrorAction; header?: string };

const E = (code: SipErrorCode, status: SipErrorAction, header?: string): Expectation =>
  header === undefined ? { code, status } : { code, status, header };

const EXPECTED: Readonly<Record<string, Expectation>> = {
  // §3.1.1 valid messages: all parse.
  'wsinv.dat': 'ok',
  'intmeth.dat': 'ok',
  'esc01.dat': 'ok',
  'escnull.dat': 'ok',
  'esc02.dat': 'ok',
  'lwsdisp.dat': 'ok',
  'longreq.dat': 'ok',
  'dblreq.dat': 'ok',
  'semiuri.dat': 'ok',
  'transports.dat': 'ok',
  'mpart01.dat': 'ok',
  // Valid responses parse; that they are stray (and dropped) is for the layer above.
  'unreason.dat': 'ok',
  'noreason.dat': 'ok',

  // §3.1.2 invalid messages.
  'badinv01.dat': E('SIP_ERR_HEADER_SYNTAX', 400, 'Via'), // ";;,;,," in Via (the first defect met)
  'clerr.dat': E('SIP_ERR_CONTENT_LENGTH', 400, 'Content-Length'), // 9999 > body
  'ncl.dat': E('SIP_ERR_CONTENT_LENGTH', 400, 'Content-Length'), // -999
  'scalar02.dat': E('SIP_ERR_CSEQ', 400, 'CSeq'), // CSeq > 2**32-1 (Max-Forwards 300 alone would pass as absent)
  'scalarlg.dat': E('SIP_ERR_CSEQ', 'drop', 'CSeq'), // a response: drop
  'quotbal.dat': E('SIP_ERR_HEADER_SYNTAX', 400, 'To'), // unterminated quote; we do not infer the closing one
  'ltgtruri.dat': E('SIP_ERR_URI', 400, 'Request-URI'),
  'lwsruri.dat': E('SIP_ERR_URI', 400, 'Request-URI'),
  // 400|accept: rejected. The request line grammar is exact (one SP), and a 400 means the
  // extra SP can never reach a forwarded request line.
  'lwsstart.dat': E('SIP_ERR_START_LINE', 400),
  'trws.dat': E('SIP_ERR_START_LINE', 400),
  // 400|accept: accepted. Headers in a Request-URI are legal SIP-URI syntax (§19.1.1); not
  // forwarding them in the Request-URI nor turning them into headers is the proxy's job.
  'escruri.dat': 'ok',
  // 400|accept: accepted. The parser does not interpret Date; nothing here depends on it.
  'baddate.dat': 'ok',
  // 400|accept: rejected. §20.10 requires <> around a URI holding '?'; inferring the
  // brackets would guess where the URI ends.
  'regbadct.dat': E('SIP_ERR_HEADER_SYNTAX', 400, 'Contact'),
  // 400|accept: rejected. LAQUOT/RAQUOT leave no room for LWS inside the brackets.
  'badaspec.dat': E('SIP_ERR_URI', 400, 'To'),
  // 400|drop: 400. The archived file lacks the empty line closing the header section;
  // the request can still be answered. (Its display names are rejected too: see below.)
  'baddn.dat': E('SIP_ERR_INCOMPLETE', 400),
  'badvers.dat': E('SIP_ERR_VERSION', 505),
  'mismatch01.dat': E('SIP_ERR_CSEQ', 400, 'CSeq'),
  // 501|400: 400. Whether NEWMETHOD is implemented is the element's knowledge, not the
  // parser's; a CSeq that contradicts the request line is malformed whatever the method.
  'mismatch02.dat': E('SIP_ERR_CSEQ', 400, 'CSeq'),
  'bigcode.dat': E('SIP_ERR_STATUS_CODE', 'drop'),

  // §3.2 transaction: 400|accept: accepted. A bare cookie is a syntactically valid
  // branch; what it means for matching is the transaction layer's call.
  'badbranch.dat': 'ok',

  // §3.3 semantic: the parser accepts unless the defect is structural.
  'insuf.dat': E('SIP_ERR_HEADER_MISSING', 400, 'From'), // no Call-ID, From, To
  'unkscm.dat': 'ok', // 416 is the element's
  'novelsc.dat': 'ok', // 416|404 is the element's
  'unksm2.dat': 'ok', // the registrar rejects a non-SIP To; the parser must not fail
  'bext01.dat': 'ok', // 420 is the element's
  'invut.dat': 'ok', // 415 is the UAS's
  'regaut01.dat': 'ok', // 401 is the registrar's
  'multi01.dat': E('SIP_ERR_HEADER_MULTIPLE', 400, 'From'), // repeated From/To/Call-ID/CSeq/Max-Forwards
  'mcl01.dat': E('SIP_ERR_HEADER_MULTIPLE', 400, 'Content-Length'),
  'bcast.dat': 'ok', // refusing to send to 255.255.255.255 is the transport's
  'zeromf.dat': 'ok', // 483 is the proxy's
  'cparam01.dat': 'ok',
  'cparam02.dat': 'ok',
  'regescrt.dat': 'ok',
  'sdp01.dat': 'ok', // 406 is the UAS's
  // §3.4: RFC 2543 syntax (no Max-Forwards, no Content-Length, no tags) is accepted.
  'inv2543.dat': 'ok',
  // Not in the RFC text: no SIP-Version in the request line (400|drop: 400).
  'test.dat': E('SIP_ERR_START_LINE', 400),
};

function files(): string[] {
  assert.ok(existsSync(CORPUS), `torture corpus missing: ${CORPUS}`);
  const found = readdirSync(CORPUS).filter((f) => f.endsWith('.dat')).sort();
  assert.ok(found.length >= 50, `only ${found.length} .dat files in ${CORPUS}`);
  return found;
}

function parseFile(file: string): ParseResult {
  return parseMessage(corpusFile(file), { datagram: true });
}

function message(file: string): SipMessage {
  const r = parseFile(file);
  if (!r.ok) assert.fail(`${file}: ${r.error.code} ${r.error.message}`);
  return r.message;
}

function request(file: string): SipRequest {
  const m = message(file);
  assert.equal(m.kind, 'request', file);
  return m as SipRequest;
}

function response(file: string): SipResponse {
  const m = message(file);
  assert.equal(m.kind, 'response', file);
  return m as SipResponse;
}

function sipUri(text: string): SipUri {
  const u = parseUri(text);
  assert.equal(u.kind, 'sip', text);
  return u as SipUri;
}

/** index.tsv rows by file name: its `expect` column (UDP). */
function indexExpectations(): Map<string, string> {
  const lines = corpusFile('index.tsv').toString('utf8').split('\n').filter((l) => l.trim() !== '');
  const columns = lines[0]!.split('\t');
  const fileCol = columns.indexOf('file');
  const expectCol = columns.indexOf('expect');
  assert.ok(fileCol >= 0 && expectCol >= 0, 'index.tsv has file and expect columns');
  return new Map(lines.slice(1).map((l) => {
    const cells = l.split('\t');
    return [cells[fileCol]!, cells[expectCol]!];
  }));
}

test('every corpus file has a row in the table, and every row a file', () => {
  const found = files();
  assert.deepEqual(found, Object.keys(EXPECTED).sort());
});

test('every corpus file gives the expected outcome, never an exception', () => {
  for (const file of files()) {
    const want = EXPECTED[file];
    assert.ok(want !== undefined, `${file} has no expectation`);
    // An exception here fails the test like any other mismatch.
    const r = parseFile(file);
    if (want === 'ok') {
      assert.ok(r.ok, `${file}: expected ok, got ${r.ok ? '' : `${r.error.code} ${r.error.message}`}`);
      continue;
    }
    assert.ok(!r.ok, `${file}: expected ${want.code}, parsed ok`);
    assert.equal(r.error.code, want.code, `${file}: ${r.error.message}`);
    assert.equal(r.error.status, want.status, `${file}: ${r.error.message}`);
    if (want.header !== undefined) assert.equal(r.error.header, want.header, file);
    // A request that can be answered comes with what an answer needs.
    if (typeof want.status === 'number') {
      assert.ok(r.request, `${file}: the failed request is attached`);
      assert.ok(headersNamed(r.request, 'via').length > 0 || file === 'test.dat', `${file}: its Via is there`);
    } else {
      assert.equal(r.request, undefined, file);
    }
  }
});

test('the table agrees with index.tsv', () => {
  const index = indexExpectations();
  for (const [file, want] of Object.entries(EXPECTED)) {
    const expect = index.get(file);
    assert.ok(expect !== undefined, `${file} missing from index.tsv`);
    const allowed = expect.split('|');
    if (want === 'ok') {
      const isResponse = message(file).kind === 'response';
      // A parsed request must be one the server may accept or answer with something other
      // than 400; a parsed response is a stray one the layers above drop.
      const fine = isResponse ? allowed.includes('drop') : allowed.some((a) => a === 'accept' || /^[1-6][0-9][0-9]$/.test(a) && a !== '400');
      assert.ok(fine, `${file}: parsed ok but index.tsv says ${expect}`);
    } else {
      assert.ok(allowed.includes(String(want.status)), `${file}: ${String(want.status)} but index.tsv says ${expect}`);
    }
    if (allowed.includes('accept') && allowed.length === 1) assert.equal(want, 'ok', `${file} must be accepted`);
  }
});

test('wsinv: folding, escaped quotes, LWS everywhere, leading zeros, unknown headers', () => {
  const m = request('wsinv.dat');
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  assert.equal(getHeader(m, 'NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(headersNamed(m, 'newfangledheader')[0]!.raw, 'NewFangledHeader:   newfangled value\r\n continued newfangled value');
  assert.equal(getHeader(m, 'UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.equal(getHeader(m, 'subject'), '');
  assert.equal(maxForwardsOf(m), 68);
  assert.deepEqual(parseCSeq(getHeader(m, 'cseq')!), { seq: 9, method: 'INVITE' });
  assert.equal(tagOf(toOf(m)), '1918181833n');
  const from = fromOf(m);
  assert.equal(from.displayName, 'J Rosenberg \\"');
  assert.equal(tagOf(from), '98asjd8');
  assert.deepEqual(vias(m).map((v) => `${v.transport} ${v.host}`), ['UDP 192.0.2.2', 'TCP spindle.example.com', 'UDP 192.168.255.111']);
  const contacts = contactsOf(m);
  assert.ok(Array.isArray(contacts) && contacts.length === 1);
  assert.equal(contacts[0]!.displayName, 'Quoted string ""');
  assert.equal(contacts[0]!.params.get('q'), '0.33');
  assert.equal(m.body.length, 150);
});

test('intmeth: every token character in the method, raw control octets in a quoted string', () => {
  const m = request('intmeth.dat');
  assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  assert.equal(toOf(m).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  assert.equal(sipUri(m.uri).password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(utf8Text(getHeader(m, "extensionHeader-!.%*+_`'~")!), '\ufeff大停電');
  assert.equal(maxForwardsOf(m), 255);
});

test('esc01 and esc02: escapes in URIs, not in methods or header names', () => {
  const e1 = request('esc01.dat');
  assert.equal(unescapeUri(sipUri(e1.uri).user!), 'sips:user@example.com');
  assert.ok(uriEquals(parseUri(toOf(e1).uri), parseUri('sip:user@example.com')));
  const e2 = request('esc02.dat');
  assert.equal(e2.method, 'RE%47IST%45R');
  // C%6Fntact is an unknown header, not a third Contact.
  const contacts = contactsOf(e2);
  assert.ok(Array.isArray(contacts) && contacts.length === 2);
  assert.equal(getHeader(e2, 'C%6Fntact'), '<sip:alias2@host2.example.com>');
  assert.equal(toOf(e2).displayName, '%Z%45');
});

test('escnull: %00 does not truncate; the two Contacts are distinct', () => {
  const m = request('escnull.dat');
  const contacts = contactsOf(m);
  assert.ok(Array.isArray(contacts));
  assert.deepEqual(contacts.map((c) => c.uri), ['sip:%00@host5.example.com', 'sip:%00%00@host5.example.com']);
  const [a, b] = contacts.map((c) => sipUri(c.uri));
  assert.equal(unescapeUri(a!.user!), '\x00');
  assert.equal(unescapeUri(b!.user!), '\x00\x00');
  assert.ok(!uriEquals(a!, b!));
  assert.equal(unescapeUri(sipUri(toOf(m).uri).user!), 'null-\x00-null');
});

test('lwsdisp, semiuri, transports, longreq', () => {
  assert.equal(fromOf(request('lwsdisp.dat')).displayName, 'caller');
  assert.equal(sipUri(request('semiuri.dat').uri).user, 'user;par=u%40example.net');
  assert.deepEqual(getHeaderValues(request('semiuri.dat'), 'accept').length, 6);
  assert.deepEqual(vias(request('transports.dat')).map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  const long = request('longreq.dat');
  assert.equal(vias(long).length, 34);
  assert.equal(headersNamed(long, 'via').length, 34);
  const to = toOf(long);
  assert.ok(to.displayName!.startsWith('I have a user name of extremeextreme'));
  const toUri = sipUri(to.uri);
  assert.equal(toUri.port, 6000);
  assert.equal(toUri.params.size, 3);
  assert.equal(tagOf(fromOf(long))!.length, 155); // counted in the file: tag=1298…424
  assert.equal(long.body.length, 150);
});

test('dblreq: the REGISTER only; the trailing INVITE octets are ignored', () => {
  const m = request('dblreq.dat');
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.body.length, 0);
  assert.equal(getHeader(m, 'call-id'), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  assert.equal(headersNamed(m, 'cseq').length, 1);
});

test('mpart01: the binary body is framed by Content-Length, NUL octets included', () => {
  const m = request('mpart01.dat');
  assert.equal(m.body.length, 553);
  assert.ok(m.body.includes(0x00));
  const input = corpusFile('mpart01.dat');
  assert.deepEqual(m.body, input.subarray(input.length - 553));
});

test('unreason and noreason: UTF-8 and empty reason phrases', () => {
  const u = response('unreason.dat');
  assert.equal(u.status, 200);
  assert.ok(utf8Text(u.reason).endsWith('простое'), utf8Text(u.reason));
  const n = response('noreason.dat');
  assert.equal(n.status, 100);
  assert.equal(n.reason, '');
  assert.equal(vias(response('bcast.dat'))[1]!.host, '255.255.255.255');
});

test('baddn with its empty line restored: the unquoted display names are still a 400', () => {
  const input = Buffer.concat([corpusFile('baddn.dat'), Buffer.from('\r\n')]);
  const r = parseMessage(input, { datagram: true });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_HEADER_SYNTAX');
  assert.equal(r.error.status, 400);
  assert.equal(r.error.header, 'From');
});

test('semantic messages parse with the values the element needs', () => {
  assert.deepEqual(parseUri(request('unkscm.dat').uri), { kind: 'absolute', scheme: 'nobodyknowsthisscheme', opaque: 'totallyopaquecontent' });
  assert.equal(parseUri(request('novelsc.dat').uri).scheme, 'soap.beep');
  const unksm2 = request('unksm2.dat');
  assert.equal(toOf(unksm2).uri, 'isbn:2983792873');
  assert.equal(fromOf(unksm2).uri, 'http://www.example.com');
  assert.deepEqual(getHeaderValues(request('bext01.dat'), 'require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
  assert.equal(maxForwardsOf(request('zeromf.dat')), 0);
  assert.equal(getHeader(request('invut.dat'), 'content-type'), 'application/unknownformat');
  assert.equal(request('invut.dat').body.length, 40);
  assert.equal(getHeader(request('sdp01.dat'), 'accept'), 'text/nobodyKnowsThis');
  assert.equal(getHeader(request('regaut01.dat'), 'authorization'), 'NoOneKnowsThisScheme opaque-data=here');
  assert.equal(getHeader(request('badbranch.dat'), 'via'), 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK');

  const c1 = contactsOf(request('cparam01.dat'));
  assert.ok(Array.isArray(c1));
  assert.equal(c1[0]!.params.has('unknownparam'), true, 'a contact-param');
  assert.equal(sipUri(c1[0]!.uri).params.size, 0);
  const c2 = contactsOf(request('cparam02.dat'));
  assert.ok(Array.isArray(c2));
  assert.equal(c2[0]!.params.size, 0);
  assert.equal(sipUri(c2[0]!.uri).params.has('unknownparam'), true, 'a url-parameter');

  const rt = contactsOf(request('regescrt.dat'));
  assert.ok(Array.isArray(rt));
  assert.deepEqual(sipUri(rt[0]!.uri).headers, [['Route', '%3Csip:sip.example.com%3E']]);
  assert.deepEqual(sipUri(request('escruri.dat').uri).headers, [['Route', '%3Csip:example.com%3E']]);

  const old = request('inv2543.dat');
  assert.equal(maxForwardsOf(old), undefined);
  assert.equal(getHeader(old, 'content-length'), undefined);
  assert.equal(old.body.length, readFileSync(join(CORPUS, 'inv2543.dat')).length - readFileSync(join(CORPUS, 'inv2543.dat')).indexOf('\r\n\r\n') - 4);
  assert.equal(tagOf(parseNameAddr(getHeader(old, 'from')!, 'From')), undefined);
});
