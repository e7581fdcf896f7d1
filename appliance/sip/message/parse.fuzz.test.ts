import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { CORPUS, corpusFile } from '../testing/corpus';
import { StreamFramer } from '../transport/stream-framer';
import { createResponse } from './build';
import { SipParseError, type SipErrorCode } from './errors';
import { parseMessage, type ParseResult } from './parse';
import { serializeMessage } from './serialize';

/**
 * In-process fuzzing: mutated torture messages through parseMessage (datagram) and
 * through the StreamFramer in random chunks, then parseMessage (stream). Every call must
 * return; every error must be a SipParseError with a known code and a sane action.
 *
 * FUZZ_COUNT sets the number of cases (default 20000), FUZZ_SEED replays a run: the seed
 * is printed at the start and with every failure.
 */

const COUNT = Number(process.env['FUZZ_COUNT'] ?? 20000);
const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) >>> 0 : randomInt(1, 0xffffffff);

/** Every code a parse may report; SIP_ERR_INTERNAL means a parser bug and fails the test. */
const CODES: Record<SipErrorCode, boolean> = {
  SIP_ERR_START_LINE: true,
  SIP_ERR_VERSION: true,
  SIP_ERR_HEADER_SYNTAX: true,
  SIP_ERR_HEADER_MISSING: true,
  SIP_ERR_HEADER_MULTIPLE: true,
  SIP_ERR_CSEQ: true,
  SIP_ERR_CONTENT_LENGTH: true,
  SIP_ERR_URI: true,
  SIP_ERR_TOO_LARGE: true,
  SIP_ERR_INCOMPLETE: true,
  SIP_ERR_STATUS_CODE: true,
  SIP_ERR_INTERNAL: false,
};

/** xorshift32: small, fast, and the same sequence on every Node for a given seed. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  /** 0 ≤ n < max */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Octets that matter to a SIP parser, favoured over uniformly random ones. */
const INTERESTING = Buffer.from('\r\n \t:;,<>"\\%@=?&/[]*0129\x00\x7f\xff\xa0', 'latin1');

function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n', from)) {
    out.push(buf.subarray(from, i + 2));
    from = i + 2;
  }
  if (from < buf.length) out.push(buf.subarray(from));
  return out;
}

function mutate(rng: Rng, input: Buffer, corpus: readonly Buffer[]): Buffer {
  let b = Buffer.from(input);
  // Half the cases get a single mutation, so that many still parse and the success
  // paths (serialise, re-parse) are exercised too.
  const rounds = rng.int(2) === 0 ? 1 : 2 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(11)) {
      case 0: // flip bits of a few octets
        for (let k = 0, n = 1 + rng.int(4); k < n && b.length > 0; k++) b[rng.int(b.length)] ^= 1 << rng.int(8);
        break;
      case 1: {
        // insert octets, interesting or random
        const n = 1 + rng.int(8);
        const ins = Buffer.alloc(n);
        for (let k = 0; k < n; k++) ins[k] = rng.int(3) === 0 ? rng.int(256) : rng.pick([...INTERESTING]);
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 2: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16)))]);
        break;
      case 3: {
        // duplicate a line
        const ls = lines(b);
        const k = rng.int(ls.length);
        ls.splice(k, 0, ls[k] ?? Buffer.alloc(0));
        b = Buffer.concat(ls);
        break;
      }
      case 4: {
        // delete a line
        const ls = lines(b);
        ls.splice(rng.int(ls.length), 1);
        b = Buffer.concat(ls);
        break;
      }
      case 5: // truncate
        b = b.subarray(0, at);
        break;
      case 6: {
        // splice two messages
        const other = rng.pick(corpus);
        b = Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
        break;
      }
      case 7: {
        // a random Content-Length, replacing the first one or added
        const value = rng.pick(['0', '-1', '-999', '1', String(rng.int(2000)), '99999999999999999999', ' 12 ', '0x10', '', '1 2', String(b.length)]);
        const text = b.toString('latin1');
        const m = /\r\n(Content-Length|l)[ \t]*:[^\r\n]*/i.exec(text);
        const replaced = m ? text.slice(0, m.index) + `\r\nContent-Length: ${value}` + text.slice(m.index + m[0].length) : text.replace('\r\n', `\r\nContent-Length: ${value}\r\n`);
        b = Buffer.from(replaced, 'latin1');
        break;
      }
      case 8: // fold somewhere
        b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.int(2) === 0 ? '\r\n ' : '\r\n\t'), b.subarray(at)]);
        break;
      case 9: {
        // replace a line by random octets
        const ls = lines(b);
        const junk = Buffer.alloc(rng.int(40));
        for (let k = 0; k < junk.length; k++) junk[k] = rng.int(256);
        ls[rng.int(ls.length)] = Buffer.concat([junk, Buffer.from('\r\n')]);
        b = Buffer.concat(ls);
        break;
      }
      default: {
        // repeat a slice many times (long values, many headers)
        const from = rng.int(b.length);
        const piece = b.subarray(from, from + 1 + rng.int(30));
        const times = 1 + rng.int(200);
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => piece), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

function checkResult(r: ParseResult, what: string): void {
  if (r.ok) return;
  assert.ok(r.error instanceof SipParseError, `${what}: not a SipParseError`);
  assert.equal(CODES[r.error.code], true, `${what}: code ${r.error.code} (${r.error.message})`);
  const s = r.error.status;
  assert.ok(s === 'drop' || (Number.isInteger(s) && s >= 400 && s <= 699), `${what}: action ${String(s)}`);
  if (r.request !== undefined && typeof s === 'number') {
    // The transport answers from the raw headers: that must never throw either.
    serializeMessage(createResponse(r.request, s));
  }
}

function corpusMessages(): Buffer[] {
  assert.ok(existsSync(CORPUS), `torture corpus missing: ${CORPUS}`);
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.dat')).sort();
  assert.ok(files.length >= 50, `only ${files.length} .dat files`);
  return files.map((f) => corpusFile(f));
}

test(`fuzz: ${COUNT} mutated messages through parseMessage and the StreamFramer (seed ${SEED})`, () => {
  console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT} replays this run)`);
  const corpus = corpusMessages();
  const rng = new Rng(SEED);
  const limits = { maxHeaderBytes: 4096, maxMessageBytes: 8192 };
  let parsedOk = 0;
  let framed = 0;
  for (let iter = 0; iter < COUNT; iter++) {
    const what = `seed ${SEED} case ${iter}`;
    const input = mutate(rng, rng.pick(corpus), corpus);

    // Datagram.
    let r: ParseResult | undefined;
    try {
      r = parseMessage(input, { datagram: true, maxSize: 65535 });
    } catch (e) {
      assert.fail(`${what}: parseMessage threw ${String(e)}`);
    }
    checkResult(r, what);
    if (r.ok) {
      parsedOk++;
      // A message that parsed serialises to something that parses to the same bytes.
      const out = serializeMessage(r.message);
      const again = parseMessage(out, { datagram: true });
      assert.ok(again.ok, `${what}: re-parse failed: ${again.ok ? '' : again.error.message}`);
      assert.ok(serializeMessage(again.message).equals(out), `${what}: serialisation not stable`);
    }

    // Stream: one to three messages, cut into random chunks.
    const stream = Buffer.concat(Array.from({ length: 1 + rng.int(3) }, () => (rng.int(3) === 0 ? rng.pick(corpus) : mutate(rng, rng.pick(corpus), corpus))));
    const framer = new StreamFramer(limits);
    for (let off = 0; off < stream.length && !framer.failed; ) {
      const size = rng.int(4) === 0 ? 1 + rng.int(4) : 1 + rng.int(600);
      let events;
      try {
        events = framer.push(stream.subarray(off, off + size));
      } catch (e) {
        assert.fail(`${what}: StreamFramer.push threw ${String(e)}`);
      }
      off += size;
      assert.ok(framer.bufferedBytes <= limits.maxMessageBytes, `${what}: framer holds ${framer.bufferedBytes} octets`);
      for (const event of events) {
        if (event.type === 'message') {
          framed++;
          assert.ok(event.bytes.length <= limits.maxMessageBytes, `${what}: message of ${event.bytes.length}`);
          let m: ParseResult | undefined;
          try {
            m = parseMessage(event.bytes, { datagram: false });
          } catch (e) {
            assert.fail(`${what}: parseMessage (stream) threw ${String(e)}`);
          }
          checkResult(m, `${what} (stream)`);
        } else if (event.type === 'error') {
          assert.ok(event.error instanceof SipParseError);
          assert.equal(CODES[event.error.code], true, `${what}: framer code ${event.error.code}`);
          assert.equal(event.close, true);
          if (event.head !== undefined) checkResult(parseMessage(event.head), `${what} (error head)`);
        }
      }
    }
  }
  console.log(`fuzz: ${parsedOk}/${COUNT} mutated datagrams still parsed, ${framed} stream messages framed`);
  // The mutations must leave enough valid messages to exercise the success paths.
  assert.ok(parsedOk >= COUNT / 50, `only ${parsedOk} parsed`);
});
