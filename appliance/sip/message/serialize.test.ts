import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CORPUS, corpusFile } from '../testing/corpus';
import { appendHeader, getHeader, setHeader, type SipRequest } from './message';
import { parseMessage } from './parse';
import { serializeMessage, setBody } from './serialize';

function request(headers: Array<[string, string]>, body = Buffer.alloc(0)): SipRequest {
  return { kind: 'request', method: 'MESSAGE', uri: 'sip:bob@example.com', headers: headers.map(([name, value]) => ({ name, value })), body };
}

test('every torture message that parses serialises back byte for byte', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.dat'));
  assert.ok(files.length >= 50, `only ${files.length} corpus files in ${CORPUS}`);
  let roundTripped = 0;
  for (const file of files) {
    const input = corpusFile(file);
    const r = parseMessage(input, { datagram: true });
    if (!r.ok) continue;
    const out = serializeMessage(r.message);
    if (file === 'dblreq.dat') {
      // Documented normalisation: the octets after Content-Length (a second request
      // in the same datagram, RFC 4475 §3.1.1.8) are not part of the message.
      const end = input.indexOf('\r\n\r\n') + 4;
      assert.deepEqual(out, input.subarray(0, end), file);
      assert.ok(out.length < input.length);
    } else {
      assert.ok(out.equals(input), `${file} differs after a round trip`);
    }
    // And the output parses to the same thing again.
    const again = parseMessage(out, { datagram: true });
    assert.ok(again.ok, file);
    assert.deepEqual(serializeMessage(again.message), out, file);
    roundTripped++;
  }
  // 29 of the 50 files parse (see torture.test.ts for which and why).
  assert.equal(roundTripped, 29);
});

test('headers without raw text are written as "Name: value"; changed ones lose their raw form', () => {
  const r = parseMessage(Buffer.from('OPTIONS sip:a@b.com SIP/2.0\r\nv :  SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nf: <sip:a@b.com>;tag=1\r\nt: <sip:a@b.com>\r\ni: x\r\nCSeq:1 OPTIONS\r\nl:0\r\n\r\n'));
  assert.ok(r.ok);
  setHeader(r.message, 'To', '<sip:a@b.com>;tag=2');
  appendHeader(r.message, 'Subject', 'hi');
  assert.equal(
    serializeMessage(r.message).toString('latin1'),
    'OPTIONS sip:a@b.com SIP/2.0\r\nv :  SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nf: <sip:a@b.com>;tag=1\r\nTo: <sip:a@b.com>;tag=2\r\ni: x\r\nCSeq:1 OPTIONS\r\nl:0\r\nSubject: hi\r\n\r\n',
  );
});

test('responses: status line with the reason as given, even empty', () => {
  const out = serializeMessage({ kind: 'response', status: 100, reason: '', headers: [{ name: 'Content-Length', value: '0' }], body: Buffer.alloc(0) });
  assert.equal(out.toString('latin1'), 'SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n');
});

test('latin1 header text is written one octet per character; binary bodies untouched', () => {
  const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0]);
  const msg = request([['Subject', 'na\xefve \xd0\xbd']], body);
  const out = serializeMessage(msg);
  const head = 'MESSAGE sip:bob@example.com SIP/2.0\r\nSubject: na\xefve \xd0\xbd\r\n\r\n';
  assert.deepEqual(out, Buffer.concat([Buffer.from(head, 'latin1'), body]));
});

test('setBody keeps Content-Length and Content-Type true to the body', () => {
  const msg = request([
    ['Call-ID', 'x'],
    ['l', '0'],
  ]);
  setBody(msg, Buffer.from('hello'), 'text/plain');
  assert.equal(getHeader(msg, 'content-length'), '5');
  assert.equal(getHeader(msg, 'content-type'), 'text/plain');
  assert.deepEqual(msg.headers.map((h) => h.name), ['Call-ID', 'Content-Length', 'Content-Type']);
  setBody(msg, Buffer.from('hello world'));
  assert.equal(getHeader(msg, 'content-length'), '11');
  assert.equal(getHeader(msg, 'content-type'), 'text/plain', 'type kept when not given');
  setBody(msg, Buffer.alloc(0));
  assert.equal(getHeader(msg, 'content-length'), '0');
  assert.equal(getHeader(msg, 'content-type'), undefined, 'no type for no body');
  const reparsed = parseMessage(serializeMessage(setBodyOn(request([
    ['Via', 'SIP/2.0/UDP h.example.com;branch=z9hG4bK1'],
    ['From', '<sip:a@b.com>;tag=1'],
    ['To', '<sip:bob@example.com>'],
    ['Call-ID', 'x'],
    ['CSeq', '1 MESSAGE'],
  ]))), { datagram: false });
  assert.ok(reparsed.ok);
  assert.equal(reparsed.message.body.toString(), 'stream-safe');
});

function setBodyOn(msg: SipRequest): SipRequest {
  setBody(msg, Buffer.from('stream-safe'), 'text/plain');
  return msg;
}
