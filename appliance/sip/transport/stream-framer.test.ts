import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../message/parse';
import { corpusFile as corpus } from '../testing/corpus';
import { StreamFramer, type FrameEvent, type StreamFramerOptions } from './stream-framer';

const LIMITS: StreamFramerOptions = { maxHeaderBytes: 8192, maxMessageBytes: 65536 };

/** Messages whose Content-Length frames them exactly: they must come out whole. */
const FRAMEABLE = ['wsinv.dat', 'mpart01.dat', 'longreq.dat', 'esc01.dat', 'intmeth.dat', 'unreason.dat', 'regescrt.dat', 'escnull.dat'];

function feed(chunks: Buffer[], opts: StreamFramerOptions = LIMITS): { events: FrameEvent[]; framer: StreamFramer } {
  const framer = new StreamFramer(opts);
  const events: FrameEvent[] = [];
  for (const c of chunks) {
    events.push(...framer.push(c));
    assert.ok(framer.bufferedBytes <= opts.maxMessageBytes);
  }
  return { events, framer };
}

function messages(events: FrameEvent[]): Buffer[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.bytes] : []));
}

function onlyError(events: FrameEvent[]): Extract<FrameEvent, { type: 'error' }> {
  const errors = events.filter((e): e is Extract<FrameEvent, { type: 'error' }> => e.type === 'error');
  assert.equal(errors.length, 1, JSON.stringify(events.map((e) => e.type)));
  return errors[0]!;
}

const SIMPLE = Buffer.from('OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:x@y.com>;tag=1\r\nTo: <sip:a@b.com>\r\nCall-ID: s1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody');

test('a whole message in one chunk comes out as one message, parseable in stream mode', () => {
  const { events } = feed([SIMPLE]);
  assert.deepEqual(events.map((e) => e.type), ['message']);
  assert.deepEqual(messages(events)[0], SIMPLE);
  assert.ok(parseMessage(messages(events)[0]!, { datagram: false }).ok);
});

test('byte by byte', () => {
  for (const file of ['mpart01.dat', 'wsinv.dat']) {
    const input = corpus(file);
    const chunks = Array.from(input, (b) => Buffer.of(b));
    const { events, framer } = feed(chunks);
    assert.deepEqual(messages(events), [input], file);
    assert.equal(framer.bufferedBytes, 0);
  }
});

test('split at every offset: exactly one message, identical bytes (binary body of mpart01 too)', () => {
  for (const file of FRAMEABLE) {
    const input = corpus(file);
    for (let k = 0; k <= input.length; k++) {
      const { events, framer } = feed([input.subarray(0, k), input.subarray(k)]);
      assert.equal(events.length, 1, `${file} split at ${k}: ${events.map((e) => e.type).join(',')}`);
      assert.ok(messages(events)[0]!.equals(input), `${file} split at ${k}`);
      assert.equal(framer.bufferedBytes, 0);
    }
    const r = parseMessage(input, { datagram: false });
    assert.ok(r.ok, `${file} parses in stream mode`);
  }
});

test('split in three at many offsets', () => {
  const input = corpus('mpart01.dat');
  for (let a = 0; a < input.length; a += 37) {
    for (let b = a; b <= input.length; b += 53) {
      const { events } = feed([input.subarray(0, a), input.subarray(a, b), input.subarray(b)]);
      assert.deepEqual(messages(events), [input], `${a}/${b}`);
    }
  }
});

test('several messages in one chunk, and one split across the next', () => {
  const a = corpus('wsinv.dat');
  const b = corpus('mpart01.dat');
  const c = SIMPLE;
  const all = Buffer.concat([a, b, c, a]);
  const { events } = feed([all.subarray(0, a.length + b.length + 10), all.subarray(a.length + b.length + 10)]);
  assert.deepEqual(messages(events), [a, b, c, a]);
  const { events: one } = feed([all]);
  assert.deepEqual(messages(one), [a, b, c, a]);
});

test('keep-alives: CRLFCRLF is a ping, a lone CRLF before a start line a pong', () => {
  assert.deepEqual(feed([Buffer.from('\r\n\r\n')]).events, [{ type: 'ping' }]);
  assert.deepEqual(feed([Buffer.from('\r\n'), Buffer.from('\r\n')]).events, [{ type: 'ping' }]);
  assert.deepEqual(feed([Buffer.from('\r'), Buffer.from('\n\r'), Buffer.from('\n')]).events, [{ type: 'ping' }]);
  assert.deepEqual(feed([Buffer.from('\r\n\r\n\r\n\r\n')]).events, [{ type: 'ping' }, { type: 'ping' }]);
  // A lone CRLF waits: it may be half a ping.
  assert.deepEqual(feed([Buffer.from('\r\n')]).events, []);
  const { events } = feed([Buffer.concat([Buffer.from('\r\n'), SIMPLE, Buffer.from('\r\n\r\n'), SIMPLE])]);
  assert.deepEqual(events.map((e) => e.type), ['pong', 'message', 'ping', 'message']);
  assert.deepEqual(messages(events), [SIMPLE, SIMPLE]);
  const split = feed([Buffer.from('\r\n'), SIMPLE]);
  assert.deepEqual(split.events.map((e) => e.type), ['pong', 'message']);
});

test('RFC 4475 dblreq over a stream: the REGISTER, a stray CRLF, the INVITE, then garbage', () => {
  const input = corpus('dblreq.dat');
  const { events } = feed([input]);
  // The INVITE's body is 155 octets for a Content-Length of 150: the last 5 ("C" CRLF
  // CRLF) are framed as a message without Content-Length, which ends the stream.
  assert.deepEqual(events.map((e) => e.type), ['message', 'pong', 'message', 'error']);
  const [register, invite] = messages(events);
  assert.ok(register!.toString('latin1').startsWith('REGISTER '));
  assert.ok(invite!.toString('latin1').startsWith('INVITE '));
});

test('Content-Length: compact, any case, LWS before the colon, folded', () => {
  for (const header of ['l: 4', 'L:4', 'content-LENGTH  : 4', 'Content-Length:\r\n 4']) {
    const msg = Buffer.from(`MESSAGE sip:a@b.com SIP/2.0\r\nX-Other: l: 99\r\n${header}\r\n\r\nbody`);
    assert.deepEqual(messages(feed([msg]).events), [msg], header);
  }
});

test('ncl, mcl01, a missing Content-Length: 400 and close; nothing more is framed', () => {
  for (const [file, code] of [
    ['ncl.dat', 'SIP_ERR_CONTENT_LENGTH'],
    ['mcl01.dat', 'SIP_ERR_HEADER_MULTIPLE'],
    ['inv2543.dat', 'SIP_ERR_CONTENT_LENGTH'],
  ] as const) {
    const { events, framer } = feed([corpus(file), SIMPLE]);
    const e = onlyError(events);
    assert.equal(e.error.code, code, file);
    assert.equal(e.error.status, 400);
    assert.equal(e.close, true);
    assert.equal(messages(events).length, 0, file);
    assert.ok(framer.failed);
    assert.deepEqual(framer.push(SIMPLE), []);
    assert.equal(framer.bufferedBytes, 0);
    // The header section comes along so that the transport can answer before closing.
    const again = parseMessage(e.head!);
    assert.ok(again.ok ? again.message.kind === 'request' : again.request !== undefined, file);
  }
});

test('a broken response is dropped, not answered', () => {
  const e = onlyError(feed([Buffer.from('SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n')]).events);
  assert.equal(e.error.status, 'drop');
  assert.equal(e.close, true);
});

test('limits: header section and message size give 413 and close', () => {
  const small: StreamFramerOptions = { maxHeaderBytes: 200, maxMessageBytes: 300 };
  // Header section too long, arriving in one piece and byte by byte.
  const longHead = Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nX: ${'a'.repeat(300)}\r\nl: 0\r\n\r\n`);
  for (const chunks of [[longHead], Array.from(longHead, (b) => Buffer.of(b))]) {
    const { events, framer } = feed(chunks, small);
    const e = onlyError(events);
    assert.equal(e.error.code, 'SIP_ERR_TOO_LARGE');
    assert.equal(e.error.status, 413);
    assert.equal(e.close, true);
    assert.ok(framer.bufferedBytes <= small.maxMessageBytes);
  }
  // No empty line at all: the framer gives up at the limit instead of buffering forever.
  const endless = feed([Buffer.alloc(150, 0x41), Buffer.alloc(150, 0x41)], small);
  assert.equal(onlyError(endless.events).error.code, 'SIP_ERR_TOO_LARGE');
  // A header section of exactly the limit is fine.
  const exact = Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nl: 0\r\n\r\n`);
  assert.deepEqual(messages(feed([exact], { maxHeaderBytes: exact.length, maxMessageBytes: exact.length }).events), [exact]);
  const over = feed([exact], { maxHeaderBytes: exact.length - 1, maxMessageBytes: exact.length });
  assert.equal(onlyError(over.events).error.code, 'SIP_ERR_TOO_LARGE');
  // Content-Length beyond the message limit: refused before any body is buffered.
  const big = feed([Buffer.from('MESSAGE sip:a@b.com SIP/2.0\r\nl: 1000\r\n\r\nabc')], small);
  const e = onlyError(big.events);
  assert.equal(e.error.code, 'SIP_ERR_TOO_LARGE');
  assert.equal(e.error.status, 413);
  assert.equal(big.framer.bufferedBytes, 0);
  const huge = feed([Buffer.from(`MESSAGE sip:a@b.com SIP/2.0\r\nl: ${'9'.repeat(40)}\r\n\r\n`)], small);
  assert.equal(onlyError(huge.events).error.code, 'SIP_ERR_TOO_LARGE');
});

test('the body is waited for, and buffered no further than announced', () => {
  const framer = new StreamFramer(LIMITS);
  const head = Buffer.from('MESSAGE sip:a@b.com SIP/2.0\r\nContent-Length: 10\r\n\r\n');
  assert.deepEqual(framer.push(head), []);
  assert.deepEqual(framer.push(Buffer.from('01234')), []);
  assert.equal(framer.bufferedBytes, head.length + 5);
  const events = framer.push(Buffer.from('56789OPTIONS'));
  assert.deepEqual(messages(events), [Buffer.concat([head, Buffer.from('0123456789')])]);
  assert.equal(framer.bufferedBytes, 'OPTIONS'.length);
});

test('options are checked', () => {
  assert.throws(() => new StreamFramer({ maxHeaderBytes: 1000, maxMessageBytes: 500 }), RangeError);
  assert.throws(() => new StreamFramer({ maxHeaderBytes: 0, maxMessageBytes: 500 }), RangeError);
});
