import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SipErrorAction, SipErrorCode } from './errors';
import { getHeader, getHeaderValues, type SipMessage, type SipRequest, type SipResponse } from './message';
import { parseMessage, type ParseOptions } from './parse';

function bytes(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

const BASIC = [
  'OPTIONS sip:user@example.com SIP/2.0',
  'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKabc',
  'Max-Forwards: 70',
  'From: <sip:caller@example.net>;tag=1',
  'To: sip:user@example.com',
  'Call-ID: basic@host',
  'CSeq: 1 OPTIONS',
];

function withHeader(base: string[], replace: string | undefined, ...add: string[]): string[] {
  const out = base.filter((l) => replace === undefined || !l.toLowerCase().startsWith(replace.toLowerCase()));
  return [...out, ...add];
}

function ok(input: Buffer, opts?: ParseOptions): SipMessage {
  const r = parseMessage(input, opts);
  if (!r.ok) assert.fail(`expected ok, got ${r.error.code} ${r.error.message}`);
  return r.message;
}

function req(input: Buffer, opts?: ParseOptions): SipRequest {
  const m = ok(input, opts);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

function res(input: Buffer, opts?: ParseOptions): SipResponse {
  const m = ok(input, opts);
  assert.equal(m.kind, 'response');
  return m as SipResponse;
}

function fails(input: Buffer, code: SipErrorCode, status: SipErrorAction, opts?: ParseOptions, header?: string): void {
  const r = parseMessage(input, opts);
  if (r.ok) assert.fail(`expected ${code}, parsed ok`);
  assert.equal(r.error.code, code, r.error.message);
  assert.equal(r.error.status, status, r.error.message);
  if (header !== undefined) assert.equal(r.error.header, header);
}

test('a plain request: start line, headers with raw text, empty body', () => {
  const m = req(bytes([...BASIC, 'Content-Length: 0']));
  assert.equal(m.method, 'OPTIONS');
  assert.equal(m.uri, 'sip:user@example.com');
  assert.equal(m.headers.length, 7);
  assert.deepEqual(m.headers[0], { name: 'Via', value: 'SIP/2.0/UDP host.example.com;branch=z9hG4bKabc', raw: 'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKabc' });
  assert.equal(m.body.length, 0);
});

test('header names: compact forms, any case, LWS before the colon, empty values', () => {
  const m = req(
    bytes([
      'OPTIONS sip:user@example.com SIP/2.0',
      'v: SIP/2.0/UDP host.example.com;branch=z9hG4bKabc',
      'f :<sip:caller@example.net>;tag=1',
      'TO\t: sip:user@example.com',
      'i:basic@host',
      'cseq:    1 OPTIONS',
      'Subject:',
      's :',
      'l: 0',
    ]),
  );
  assert.equal(getHeader(m, 'from'), '<sip:caller@example.net>;tag=1');
  assert.equal(getHeader(m, 'To'), 'sip:user@example.com');
  assert.equal(getHeader(m, 'Call-ID'), 'basic@host');
  assert.equal(getHeader(m, 'CSeq'), '1 OPTIONS');
  assert.deepEqual(getHeaderValues(m, 'subject'), ['', '']);
  assert.equal(m.headers[1]!.name, 'f');
  assert.equal(m.headers[1]!.raw, 'f :<sip:caller@example.net>;tag=1');
});

test('folding: the value unfolds to single spaces, raw keeps the lines', () => {
  const m = req(bytes([...BASIC, 'NewFangledHeader:   newfangled value', ' continued newfangled value', 'X:\t a  \r\n\t  b  ', 'Content-Length: 0']));
  const h = m.headers.find((x) => x.name === 'NewFangledHeader')!;
  assert.equal(h.value, 'newfangled value continued newfangled value');
  assert.equal(h.raw, 'NewFangledHeader:   newfangled value\r\n continued newfangled value');
  assert.equal(getHeader(m, 'x'), 'a b');
});

test('values keep every octet: latin1 text, 0xA0 at the end is not trimmed', () => {
  const m = req(bytes([...BASIC, 'Subject: voil\xc3\xa0', 'Content-Length: 0']));
  assert.equal(getHeader(m, 'subject'), 'voil\xc3\xa0');
});

test('CRLFs before the start line are ignored (§7.5)', () => {
  const m = req(Buffer.concat([Buffer.from('\r\n\r\n\r\n'), bytes([...BASIC, 'Content-Length: 0'])]));
  assert.equal(m.method, 'OPTIONS');
});

test('the body is a slice of the input: binary octets survive', () => {
  const body = Buffer.from([0x00, 0x0a, 0x0d, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0x41]);
  const input = Buffer.concat([bytes([...BASIC, 'Content-Type: application/octet-stream', `Content-Length: ${body.length}`]), body]);
  const m = req(input);
  assert.deepEqual(m.body, body);
  assert.equal(m.body.buffer, input.buffer, 'no copy');
});

test('datagram Content-Length: extra octets ignored, absent means the rest, larger is 400', () => {
  assert.equal(req(bytes([...BASIC, 'Content-Length: 3'], 'abcdef')).body.toString(), 'abc');
  assert.equal(req(bytes(BASIC, 'abcdef')).body.toString(), 'abcdef');
  fails(bytes([...BASIC, 'Content-Length: 7'], 'abcdef'), 'SIP_ERR_CONTENT_LENGTH', 400, undefined, 'Content-Length');
  fails(bytes([...BASIC, 'Content-Length: 99999999999999999999999'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400);
  fails(bytes([...BASIC, 'Content-Length: -1'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400);
  fails(bytes([...BASIC, 'Content-Length: 3x'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400);
  fails(bytes([...BASIC, 'Content-Length:'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400);
  fails(bytes([...BASIC, 'Content-Length: 3', 'l: 3'], 'abc'), 'SIP_ERR_HEADER_MULTIPLE', 400, undefined, 'Content-Length');
});

test('stream mode: Content-Length mandatory and exact', () => {
  const stream = { datagram: false };
  assert.equal(req(bytes([...BASIC, 'Content-Length: 3'], 'abc'), stream).body.toString(), 'abc');
  fails(bytes(BASIC, 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400, stream);
  fails(bytes([...BASIC, 'Content-Length: 2'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400, stream);
  fails(bytes([...BASIC, 'Content-Length: 4'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 400, stream);
});

test('responses: empty and UTF-8 reason phrases, missing final SP tolerated', () => {
  const base = ['Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1', 'From: <sip:a@b.com>;tag=1', 'To: <sip:c@d.com>;tag=2', 'Call-ID: x', 'CSeq: 1 INVITE', 'Content-Length: 0'];
  const r = res(bytes(['SIP/2.0 180 Ringing', ...base]));
  assert.equal(r.status, 180);
  assert.equal(r.reason, 'Ringing');
  assert.equal(res(bytes(['SIP/2.0 100 ', ...base])).reason, '');
  assert.equal(res(bytes(['SIP/2.0 100', ...base])).reason, '');
  assert.equal(res(bytes(['SIP/2.0 200 \xd0\xbd\xd0\xbe OK', ...base])).reason, '\xd0\xbd\xd0\xbe OK');
  assert.equal(res(bytes(['sip/2.0 200 OK', ...base])).status, 200);
  for (const line of ['SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 2000 Long', 'SIP/2.0 20x Bad', 'SIP/2.0  200 Two spaces', 'SIP/2.0 4294967301 big']) {
    fails(bytes([line, ...base]), 'SIP_ERR_STATUS_CODE', 'drop');
  }
  fails(bytes(['SIP/2.0 200 O\x01K', ...base]), 'SIP_ERR_START_LINE', 'drop');
  fails(bytes(['SIP/3.0 200 OK', ...base]), 'SIP_ERR_VERSION', 'drop');
  fails(bytes(['SIP/2.0', ...base]), 'SIP_ERR_START_LINE', 'drop');
});

test('response defects are all drop, and carry no request', () => {
  const r = parseMessage(bytes(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1', 'CSeq: 1 INVITE']));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_HEADER_MISSING');
  assert.equal(r.error.status, 'drop');
  assert.equal(r.request, undefined);
  fails(bytes(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: x', 'To: <sip:c@d.com>', 'Call-ID: x', 'CSeq: 1 INVITE']), 'SIP_ERR_URI', 'drop');
  fails(bytes(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h.example.com', 'From: <sip:c@d.com>', 'To: <sip:c@d.com>', 'Call-ID: x', 'CSeq: 1 INVITE', 'l: 5'], 'abc'), 'SIP_ERR_CONTENT_LENGTH', 'drop');
});

test('request line: one SP between elements, version case-insensitive, 505 for other versions', () => {
  assert.equal(req(bytes(['OPTIONS sip:user@example.com sip/2.0', ...BASIC.slice(1)])).method, 'OPTIONS');
  fails(bytes(['OPTIONS  sip:user@example.com SIP/2.0', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
  fails(bytes(['OPTIONS sip:user@example.com SIP/2.0 ', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
  fails(bytes(['OPTIONS sip:user@example.com', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
  fails(bytes(['OPT(IONS sip:user@example.com SIP/2.0', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
  fails(bytes(['OPTIONS sip:user@example.com HTTP/1.1', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
  fails(bytes(['OPTIONS sip:user@example.com SIP/2.1', ...BASIC.slice(1)]), 'SIP_ERR_VERSION', 505);
  fails(bytes(['OPTIONS sip:user@example.com SIP/20', ...BASIC.slice(1)]), 'SIP_ERR_START_LINE', 400);
});

test('Request-URI: malformed is 400, an unknown scheme parses (416 is the element’s call)', () => {
  fails(bytes(['OPTIONS <sip:user@example.com> SIP/2.0', ...BASIC.slice(1)]), 'SIP_ERR_URI', 400);
  fails(bytes(['OPTIONS sip:user@example.com;\tlr SIP/2.0', ...BASIC.slice(1)]), 'SIP_ERR_URI', 400);
  fails(bytes(['OPTIONS sip:@ SIP/2.0', ...BASIC.slice(1)]), 'SIP_ERR_URI', 400);
  assert.equal(req(bytes(['OPTIONS urn:service:sos SIP/2.0', ...BASIC.slice(1)])).uri, 'urn:service:sos');
});

test('mandatory headers: missing or repeated ones are named', () => {
  const r = parseMessage(bytes(BASIC.filter((l) => !/^(From|To|Call-ID)/.test(l))));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_HEADER_MISSING');
  assert.equal(r.error.header, 'From');
  assert.match(r.error.message, /From, To, Call-ID/);
  fails(bytes(withHeader(BASIC, 'Via')), 'SIP_ERR_HEADER_MISSING', 400, undefined, 'Via');
  fails(bytes(withHeader(BASIC, 'CSeq')), 'SIP_ERR_HEADER_MISSING', 400, undefined, 'CSeq');
  fails(bytes(withHeader(BASIC, undefined, 'Call-ID: again')), 'SIP_ERR_HEADER_MULTIPLE', 400, undefined, 'Call-ID');
  fails(bytes(withHeader(BASIC, undefined, 'i: again')), 'SIP_ERR_HEADER_MULTIPLE', 400, undefined, 'Call-ID');
  fails(bytes(withHeader(BASIC, undefined, 'Max-Forwards: 5')), 'SIP_ERR_HEADER_MULTIPLE', 400, undefined, 'Max-Forwards');
});

test('Max-Forwards is optional (RFC 2543 peers) but must be a number when present', () => {
  assert.equal(getHeader(req(bytes(withHeader(BASIC, 'Max-Forwards'))), 'max-forwards'), undefined);
  assert.equal(getHeader(req(bytes(withHeader(BASIC, 'Max-Forwards', 'Max-Forwards: 300'))), 'max-forwards'), '300');
  fails(bytes(withHeader(BASIC, 'Max-Forwards', 'Max-Forwards: ten')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Max-Forwards');
});

test('CSeq: method must match, number must fit 32 bits', () => {
  fails(bytes(withHeader(BASIC, 'CSeq', 'CSeq: 1 INVITE')), 'SIP_ERR_CSEQ', 400, undefined, 'CSeq');
  fails(bytes(withHeader(BASIC, 'CSeq', 'CSeq: 1 options')), 'SIP_ERR_CSEQ', 400);
  fails(bytes(withHeader(BASIC, 'CSeq', 'CSeq: 4294967296 OPTIONS')), 'SIP_ERR_CSEQ', 400);
  fails(bytes(withHeader(BASIC, 'CSeq', 'CSeq: OPTIONS')), 'SIP_ERR_CSEQ', 400);
  assert.equal(getHeader(req(bytes(withHeader(BASIC, 'CSeq', 'CSeq: 4294967295 OPTIONS'))), 'cseq'), '4294967295 OPTIONS');
});

test('Via, From, To, Call-ID, Contact must parse', () => {
  fails(bytes(withHeader(BASIC, undefined, 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Via');
  fails(bytes(withHeader(BASIC, undefined, 'Via: SIP/2.0/UDP a.example.com,')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Via');
  fails(bytes(withHeader(BASIC, 'Via', 'Via: SIP/3.0/UDP a.example.com')), 'SIP_ERR_VERSION', 505);
  fails(bytes(withHeader(BASIC, 'From', 'From: "unterminated <sip:a@b.com>')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'From');
  fails(bytes(withHeader(BASIC, 'To', 'To: <sip:a@>')), 'SIP_ERR_URI', 400, undefined, 'To');
  fails(bytes(withHeader(BASIC, 'Call-ID', 'Call-ID: a b')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Call-ID');
  fails(bytes(withHeader(BASIC, undefined, 'Contact: "Joe" <sip:joe@example.org>;;;;')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Contact');
  fails(bytes(withHeader(BASIC, undefined, 'Contact: *', 'Contact: <sip:a@b.com>')), 'SIP_ERR_HEADER_SYNTAX', 400, undefined, 'Contact');
  assert.ok(req(bytes(withHeader(BASIC, undefined, 'Contact: *'))));
  assert.ok(req(bytes(withHeader(BASIC, undefined, 'Contact: <sip:a@b.com>;expires=60, sip:c@d.com;q=0.5'))));
});

test('malformed header lines: the error keeps the request with the lines that did split', () => {
  const r = parseMessage(bytes([...BASIC, 'Foobar roobar', 'Content-Length: 0']));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_HEADER_SYNTAX');
  assert.equal(r.error.status, 400);
  assert.ok(r.request);
  assert.equal(r.request.method, 'OPTIONS');
  assert.equal(getHeader(r.request, 'call-id'), 'basic@host');
  assert.equal(getHeader(r.request, 'content-length'), '0');
  for (const bad of [' leading: continuation', 'Bad Name: x', ': no name', 'Name\x00: x']) {
    fails(bytes([BASIC[0]!, bad, ...BASIC.slice(1)]), 'SIP_ERR_HEADER_SYNTAX', 400);
  }
});

test('bare CR or LF inside the header section is malformed', () => {
  fails(Buffer.from(`${BASIC.join('\r\n')}\nX: y\r\n\r\n`), 'SIP_ERR_HEADER_SYNTAX', 400);
  fails(Buffer.from(`${BASIC.join('\r\n')}\rX: y\r\n\r\n`), 'SIP_ERR_HEADER_SYNTAX', 400);
  fails(Buffer.from(`OPTIONS sip:a@b.com\rSIP/2.0\r\n${BASIC.slice(1).join('\r\n')}\r\n\r\n`), 'SIP_ERR_START_LINE', 400);
});

test('an unterminated header section is incomplete: 400 with the request, drop for a response', () => {
  const r = parseMessage(Buffer.from(`${BASIC.join('\r\n')}\r\nl: 0\r\n`));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_INCOMPLETE');
  assert.equal(r.error.status, 400);
  assert.equal(r.request?.headers.length, 7);
  fails(Buffer.from('SIP/2.0 200 OK\r\nVia: x'), 'SIP_ERR_INCOMPLETE', 'drop');
});

test('maxSize: 413 for requests (request attached), drop for responses', () => {
  const input = bytes([...BASIC, 'Content-Length: 100'], 'x'.repeat(100));
  const r = parseMessage(input, { maxSize: 200 });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'SIP_ERR_TOO_LARGE');
  assert.equal(r.error.status, 413);
  assert.equal(getHeader(r.request!, 'call-id'), 'basic@host');
  assert.ok(parseMessage(input, { maxSize: input.length }).ok);
  fails(Buffer.from(`SIP/2.0 200 OK\r\n${'X: y\r\n'.repeat(50)}\r\n`), 'SIP_ERR_TOO_LARGE', 'drop', { maxSize: 100 });
});

test('nothing or garbage is never thrown at the caller', () => {
  fails(Buffer.alloc(0), 'SIP_ERR_START_LINE', 'drop');
  fails(Buffer.from('\r\n\r\n'), 'SIP_ERR_START_LINE', 'drop');
  const noSplit = parseMessage(Buffer.from('GARBAGE\r\n\r\n'));
  assert.ok(!noSplit.ok && noSplit.request === undefined);
  for (let seed = 1; seed < 200; seed++) {
    const junk = Buffer.alloc(seed * 7);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + seed * 17) & 0xff;
    assert.doesNotThrow(() => parseMessage(junk));
  }
});

test('pathological inputs stay linear', () => {
  const huge = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const cases: Buffer[] = [
    huge([BASIC[0]!, ...Array.from({ length: 20000 }, () => 'a')]), // lines without ':'
    huge([...BASIC, `Subject: ${' '.repeat(60000)}x`]),
    huge([...BASIC, `Via: SIP/2.0/UDP ${'a'.repeat(60000)}`]),
    huge([...BASIC, `Contact: <sip:a@b.com>${';p'.repeat(20000)}`]),
    huge([...BASIC, `X: ${'\r\n '.repeat(15000)}`]),
    huge([`OPTIONS sip:${'a;'.repeat(30000)}@b.com SIP/2.0`, ...BASIC.slice(1)]),
  ];
  for (const input of cases) {
    const t0 = process.hrtime.bigint();
    parseMessage(input);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 1000, `${ms} ms for ${input.subarray(0, 40).toString('latin1')}…`);
  }
});
