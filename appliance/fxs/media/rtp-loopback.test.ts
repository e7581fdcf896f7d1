// Two RtpSessions over real UDP sockets on 127.0.0.1 (tests may create sockets): a tone
// each way through RTP, the jitter buffer and G.711, found again with Goertzel; and a
// DTMF digit reported once on the far side.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { realClock } from '../../platform/real-clock';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from './g711';
import { detectTone } from './goertzel';
import { RtpSession, type DatagramSocket, type RtpCodec } from './rtp-session';
import { sine } from './tone';

async function boundSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** What the entry point does: node:dgram seen through the session's interface. */
function adapt(s: Socket): DatagramSocket {
  return {
    send: (data, port, address) => s.send(data, port, address),
    onMessage: (cb) => void s.on('message', (data, rinfo) => cb(data, { address: rinfo.address, port: rinfo.port })),
    close: () => s.close(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sessionPair(t: TestContext, codec: RtpCodec) {
  const [sa, sb] = await Promise.all([boundSocket(), boundSocket()]);
  const clock = realClock();
  const heard = { a: [] as Buffer[], b: [] as Buffer[] };
  const digits = { a: [] as string[], b: [] as string[] };
  const a = new RtpSession({
    socket: adapt(sa),
    clock,
    remote: { address: '127.0.0.1', port: sb.address().port },
    codec,
    dtmfPayloadType: 101,
    onAudio: (f) => heard.a.push(f),
    onDigit: (d) => digits.a.push(d),
  });
  const b = new RtpSession({
    socket: adapt(sb),
    clock,
    remote: { address: '127.0.0.1', port: sa.address().port },
    codec,
    dtmfPayloadType: 101,
    onAudio: (f) => heard.b.push(f),
    onDigit: (d) => digits.b.push(d),
  });
  t.after(() => {
    a.close();
    b.close();
  });
  return { a, b, heard, digits };
}

/** Share of the frames (after the first two) in which `freq` is found and `other` is not. */
function shareWithTone(frames: Buffer[], decode: (b: Buffer) => Int16Array, freq: number, other: number): number {
  const tail = frames.slice(2);
  const hits = tail.filter((f) => detectTone(decode(f), freq) && !detectTone(decode(f), other)).length;
  return tail.length === 0 ? 0 : hits / tail.length;
}

describe('RtpSession over UDP loopback', () => {
  for (const [codec, encode, decode] of [
    [{ name: 'PCMU', payloadType: 0 }, encodeMuLaw, decodeMuLaw],
    [{ name: 'PCMA', payloadType: 8 }, encodeALaw, decodeALaw],
  ] as const) {
    it(`carries 1 kHz one way and 440 Hz the other (${codec.name})`, async (t) => {
      const { a, b, heard } = await sessionPair(t, codec);
      const toneA = sine(1000);
      const toneB = sine(440);
      const timer = setInterval(() => {
        a.sendAudio(encode(toneA(160)));
        b.sendAudio(encode(toneB(160)));
      }, 20);
      await sleep(600);
      clearInterval(timer);
      await sleep(100);

      assert.ok(heard.b.length >= 15, `B heard ${heard.b.length} frames`);
      assert.ok(heard.a.length >= 15, `A heard ${heard.a.length} frames`);
      assert.ok(heard.b.every((f) => f.length === 160));
      // Timer jitter on a busy machine may cost a concealed frame or two; the tone must
      // be there in nearly all of them.
      const atB = shareWithTone(heard.b, decode, 1000, 440);
      const atA = shareWithTone(heard.a, decode, 440, 1000);
      assert.ok(atB >= 0.8, `1 kHz found in ${(atB * 100).toFixed(0)} % of B's frames`);
      assert.ok(atA >= 0.8, `440 Hz found in ${(atA * 100).toFixed(0)} % of A's frames`);
      assert.equal(b.stats().received.lost, 0);
      assert.equal(a.stats().received.lost, 0);
    });
  }

  it('reports a DTMF digit once on the far side', async (t) => {
    const { a, digits } = await sessionPair(t, { name: 'PCMU', payloadType: 0 });
    assert.equal(a.sendDigit('7'), true);
    await sleep(400);
    assert.deepEqual(digits.b, ['7']);
    assert.deepEqual(digits.a, []);
  });
});
