import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { decodeMuLaw, encodeMuLaw } from './g711';
import { detectTone } from './goertzel';
import { parseRtpPacket, type RtpPacket } from './rtp-packet';
import { RtpSession, type DatagramSocket, type RtpAddress, type RtpSessionOptions } from './rtp-session';
import { parseTelephoneEvent } from './telephone-event';
import { sine } from './tone';

/**
 * An in-memory UDP network on a virtual clock: every datagram takes `latencyMs`, and a
 * test may drop or delay the n-th datagram a socket sends.
 */
class MemoryNetwork {
  private readonly sockets = new Map<string, MemorySocket>();
  constructor(
    readonly clock: VirtualClock,
    readonly latencyMs = 5,
  ) {}

  socket(address: string, port: number): MemorySocket {
    const s = new MemorySocket(this, { address, port });
    this.sockets.set(`${address}:${port}`, s);
    return s;
  }

  deliver(data: Buffer, from: RtpAddress, to: RtpAddress, extraDelayMs: number): void {
    this.clock.setTimer(this.latencyMs + extraDelayMs, () => this.sockets.get(`${to.address}:${to.port}`)?.receive(data, from));
  }
}

class MemorySocket implements DatagramSocket {
  readonly sent: Array<{ data: Buffer; to: RtpAddress }> = [];
  /** Per datagram index (0-based): 'drop' or extra delay in ms. */
  readonly faults = new Map<number, 'drop' | number>();
  closed = false;
  private cb: ((data: Buffer, from: RtpAddress) => void) | undefined;

  constructor(
    private readonly net: MemoryNetwork,
    readonly local: RtpAddress,
  ) {}

  send(data: Buffer, port: number, address: string): void {
    assert.equal(this.closed, false, 'send after close');
    const index = this.sent.length;
    this.sent.push({ data, to: { address, port } });
    const fault = this.faults.get(index);
    if (fault === 'drop') return;
    this.net.deliver(data, this.local, { address, port }, fault ?? 0);
  }

  onMessage(cb: (data: Buffer, from: RtpAddress) => void): void {
    this.cb = cb;
  }

  close(): void {
    this.closed = true;
  }

  receive(data: Buffer, from: RtpAddress): void {
    if (!this.closed) this.cb?.(data, from);
  }

  packets(): RtpPacket[] {
    return this.sent.map(({ data }) => {
      const r = parseRtpPacket(data);
      if (!r.ok) throw r.error;
      return r.packet;
    });
  }
}

const A = { address: '10.0.0.1', port: 4000 };
const B = { address: '10.0.0.2', port: 5000 };
const PCMU = { name: 'PCMU', payloadType: 0 } as const;

function pair(options: Partial<RtpSessionOptions> = {}) {
  const clock = new VirtualClock(1_000_000);
  const net = new MemoryNetwork(clock);
  const sa = net.socket(A.address, A.port);
  const sb = net.socket(B.address, B.port);
  const audioB: Buffer[] = [];
  const digitsB: string[] = [];
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 0x7fffffff);
  const a = new RtpSession({ socket: sa, clock, remote: B, codec: PCMU, dtmfPayloadType: 101, onAudio: () => {}, onDigit: () => {}, random, ...options });
  const b = new RtpSession({
    socket: sb,
    clock,
    remote: A,
    codec: PCMU,
    dtmfPayloadType: 101,
    onAudio: (f) => audioB.push(f),
    onDigit: (d) => digitsB.push(d),
    random,
    ...options,
  });
  /** A sends `n` frames, one per 20 ms, each filled with its index (1-based) as a byte. */
  const sendFrames = (n: number, make: (i: number) => Buffer = (i) => Buffer.alloc(160, i)) => {
    for (let i = 1; i <= n; i++) {
      a.sendAudio(make(i));
      clock.advance(20);
    }
  };
  return { clock, net, sa, sb, a, b, audioB, digitsB, sendFrames };
}

describe('RtpSession sending', () => {
  it('sends G.711 frames with consecutive sequence numbers, timestamps +160, one SSRC, the marker first', () => {
    const { sa, sendFrames, a } = pair();
    sendFrames(4);
    const p = sa.packets();
    assert.equal(p.length, 4);
    assert.deepEqual(p.map((x) => x.payloadType), [0, 0, 0, 0]);
    assert.deepEqual(p.map((x) => x.marker), [true, false, false, false]);
    for (let i = 1; i < 4; i++) {
      assert.equal(p[i]!.sequenceNumber, (p[0]!.sequenceNumber + i) & 0xffff);
      assert.equal(p[i]!.timestamp, (p[0]!.timestamp + 160 * i) >>> 0);
      assert.equal(p[i]!.ssrc, p[0]!.ssrc);
    }
    assert.equal(p[0]!.ssrc, a.stats().ssrc);
    assert.deepEqual(sa.sent[0]!.to, B);
    assert.deepEqual(a.stats().sent, { packets: 4, octets: 640, digits: 0, suppressed: 0 });
  });

  it('moves the timestamp on by the time that passed when the board pauses, with a marker', () => {
    const { sa, a, clock } = pair();
    a.sendAudio(Buffer.alloc(160, 1));
    clock.advance(20);
    a.sendAudio(Buffer.alloc(160, 2));
    clock.advance(200); // 180 ms without a frame
    a.sendAudio(Buffer.alloc(160, 3));
    const p = sa.packets();
    assert.equal(p[2]!.timestamp - p[1]!.timestamp, 160 * 10);
    assert.equal(p[2]!.marker, true);
  });

  it('sends a digit as RFC 4733 events with one timestamp, holding the audio back meanwhile', () => {
    const { sa, a, clock } = pair();
    a.sendAudio(Buffer.alloc(160, 1));
    clock.advance(20);
    assert.equal(a.sendDigit('5'), true);
    for (let i = 0; i < 10; i++) {
      a.sendAudio(Buffer.alloc(160, 2));
      clock.advance(20);
    }
    const p = sa.packets();
    const events = p.filter((x) => x.payloadType === 101);
    assert.equal(events.length, 5);
    assert.deepEqual(events.map((x) => x.marker), [true, false, false, false, false]);
    assert.ok(events.every((x) => x.timestamp === p[0]!.timestamp + 160), 'the event starts where the next frame would');
    const parsed = events.map((x) => parseTelephoneEvent(x.payload));
    assert.deepEqual(parsed.map((r) => r.ok && [r.event.event, r.event.end, r.event.duration]), [
      [5, false, 400],
      [5, false, 800],
      [5, true, 800],
      [5, true, 800],
      [5, true, 800],
    ]);
    // Sequence numbers run on through audio and events alike.
    p.forEach((x, i) => assert.equal(x.sequenceNumber, (p[0]!.sequenceNumber + i) & 0xffff));
    // Audio stops from the first event packet to the last end packet (140 ms), then resumes
    // with timestamps that kept counting.
    const audioAfter = p.filter((x, i) => i > 0 && x.payloadType === 0);
    assert.ok(audioAfter.length >= 2 && audioAfter.length <= 4, `${audioAfter.length}`);
    assert.equal((audioAfter[0]!.timestamp - p[0]!.timestamp) % 160, 0);
    assert.ok(audioAfter[0]!.timestamp - p[0]!.timestamp >= 160 * 8);
    assert.equal(a.stats().sent.digits, 1);
  });

  it('queues digits and sends them one after the other', () => {
    const { sa, a, clock } = pair();
    a.sendDigit('1');
    a.sendDigit('2');
    a.sendDigit('#');
    clock.advance(1000);
    const events = sa.packets().map((x) => ({ ts: x.timestamp, ev: parseTelephoneEvent(x.payload) }));
    const digits = events.filter((e) => e.ev.ok && !e.ev.event.end && e.ev.event.duration === 400).map((e) => e.ev.ok && e.ev.event.event);
    assert.deepEqual(digits, [1, 2, 11]);
    assert.equal(new Set(events.map((e) => e.ts)).size, 3, 'a timestamp per digit');
  });

  it('sends nothing to an unspecified address or port 0 (hold)', () => {
    const { sa, a } = pair();
    a.setRemote({ address: '0.0.0.0', port: 5000 });
    a.sendAudio(Buffer.alloc(160));
    a.setRemote({ address: '::', port: 5000 });
    a.sendAudio(Buffer.alloc(160));
    a.setRemote({ address: '10.0.0.2', port: 0 });
    a.sendAudio(Buffer.alloc(160));
    assert.equal(sa.sent.length, 0);
    assert.equal(a.stats().sent.suppressed, 3);
    a.setRemote(B);
    a.sendAudio(Buffer.alloc(160));
    assert.equal(sa.sent.length, 1);
  });

  it('refuses digits without a negotiated telephone-event payload type, and bad digits', () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const s = new RtpSession({ socket: net.socket(A.address, A.port), clock, remote: B, codec: PCMU, onAudio: () => {}, onDigit: () => {} });
    assert.equal(s.sendDigit('1'), false);
    const { a } = pair();
    assert.throws(() => a.sendDigit('x'), { code: 'EDGESIP_ERR_TE_FIELD' });
  });
});

describe('RtpSession receiving', () => {
  it('plays what arrives through the jitter buffer, in order, one frame per 20 ms', () => {
    const { sendFrames, audioB, clock, b } = pair();
    sendFrames(10);
    clock.advance(100);
    const ids = audioB.map((f) => f[0]);
    assert.deepEqual(ids.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(b.stats().received.packets, 10);
    assert.equal(b.stats().received.lost, 0);
  });

  it('conceals a lost packet and reorders swapped ones', () => {
    const { sa, sendFrames, audioB, clock, b } = pair();
    // Frame i carries a 1 kHz tone scaled by i, so the order is visible in the level.
    const tone = sine(1000, 1000);
    sa.faults.set(4, 'drop'); // frame 5
    sa.faults.set(7, 25); // frame 8 overtaken by frame 9
    sendFrames(16, (i) => {
      const pcm = tone(160).map((x) => x * (1 + i / 4));
      return encodeMuLaw(pcm);
    });
    clock.advance(200);
    const levels = audioB.slice(0, 16).map((f) => Math.max(...decodeMuLaw(f)));
    // Monotonic but for the concealed frame 5 (a quieter copy of frame 4).
    for (let i = 1; i < 16; i++) {
      if (i === 4) assert.ok(levels[4]! < levels[3]!, `frame 5 concealed: ${levels}`);
      else if (i === 5) assert.ok(levels[5]! > levels[3]!);
      else assert.ok(levels[i]! > levels[i - 1]!, `order at ${i}: ${levels}`);
    }
    // Every frame, concealed or not, still carries the tone.
    assert.ok(audioB.slice(0, 16).every((f) => detectTone(decodeMuLaw(f), 1000)));
    const st = b.stats();
    assert.equal(st.received.lost, 1);
    assert.equal(st.jitterBuffer.lost, 1);
    assert.equal(st.jitterBuffer.late, 0);
    assert.equal(st.jitterBuffer.played, 15);
  });

  it('reports a received digit once', () => {
    const { a, clock, digitsB, b } = pair();
    a.sendDigit('9');
    clock.advance(500);
    assert.deepEqual(digitsB, ['9']);
    assert.equal(b.stats().received.digits, 1);
  });

  it('reports a digit whose first packets were lost', () => {
    const { a, sa, clock, digitsB } = pair();
    sa.faults.set(0, 'drop');
    sa.faults.set(1, 'drop');
    a.sendDigit('*');
    clock.advance(500);
    assert.deepEqual(digitsB, ['*']);
  });

  it('ignores packets from another source, and malformed ones', () => {
    const { net, clock, audioB, b } = pair();
    const stranger = net.socket('10.0.0.66', 4000);
    const other = new RtpSession({ socket: stranger, clock, remote: B, codec: PCMU, onAudio: () => {}, onDigit: () => {} });
    other.sendAudio(Buffer.alloc(160, 1));
    const samePortOtherHost = net.socket(A.address, 4001);
    samePortOtherHost.send(Buffer.alloc(172), B.port, B.address);
    clock.advance(200);
    assert.equal(audioB.length, 0);
    assert.equal(b.stats().received.ignoredSource, 2);
    // From the right source but not RTP:
    const fake = net.socket(A.address, A.port); // replaces A's socket in the network
    fake.send(Buffer.from('hello'), B.port, B.address);
    clock.advance(10);
    assert.equal(b.stats().received.malformed, 1);
  });

  it('matches the remote whatever the address spelling (IPv4-mapped, IPv6 forms)', () => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork(clock);
    const frames: Buffer[] = [];
    const rx = new RtpSession({ socket: net.socket('::1', 5000), clock, remote: { address: '2001:DB8:0:0::7', port: 4000 }, codec: PCMU, onAudio: (f) => frames.push(f), onDigit: () => {} });
    const tx = new RtpSession({ socket: net.socket('2001:db8::7', 4000), clock, remote: { address: '::1', port: 5000 }, codec: PCMU, onAudio: () => {}, onDigit: () => {} });
    tx.sendAudio(Buffer.alloc(160, 3));
    clock.advance(100);
    assert.equal(rx.stats().received.packets, 1);
    const rx4 = new RtpSession({ socket: net.socket('10.0.0.9', 5000), clock, remote: { address: '10.0.0.8', port: 4000 }, codec: PCMU, onAudio: () => {}, onDigit: () => {} });
    net.socket('::ffff:10.0.0.8', 4000).send(Buffer.from('80000001000000000000000a' + 'ff'.repeat(160), 'hex'), 5000, '10.0.0.9');
    clock.advance(100);
    assert.equal(rx4.stats().received.packets, 1);
  });

  it('with symmetric: true, latches the remote to the first packet source, once', () => {
    const { net, clock, a, b, sb, audioB } = pair({ symmetric: true });
    // B believes A is at 10.0.0.1:4000, but A's packets come through a NAT.
    const natted = net.socket('192.0.2.10', 31000);
    const aBehindNat = new RtpSession({ socket: natted, clock, remote: B, codec: PCMU, onAudio: () => {}, onDigit: () => {}, random: () => 77 });
    aBehindNat.sendAudio(Buffer.alloc(160, 1));
    clock.advance(20);
    assert.deepEqual(b.stats().remote, { address: '192.0.2.10', port: 31000 });
    // B now answers to the NAT's address...
    b.sendAudio(Buffer.alloc(160, 2));
    assert.deepEqual(sb.sent.at(-1)!.to, { address: '192.0.2.10', port: 31000 });
    // ...and a packet from anywhere else (even the SDP address) is ignored.
    a.sendAudio(Buffer.alloc(160, 3));
    clock.advance(100);
    assert.equal(b.stats().received.ignoredSource, 1);
    assert.ok(audioB.every((f) => f[0] !== 3));
    // setRemote() (a re-INVITE) allows a new latch.
    b.setRemote(A);
    a.sendAudio(Buffer.alloc(160, 4));
    clock.advance(10);
    assert.deepEqual(b.stats().remote, A);
  });

  it('without symmetric, setRemote() moves where packets go and come from', () => {
    const { net, clock, b, sb, a } = pair();
    const moved = net.socket('10.0.0.5', 6000);
    const a2 = new RtpSession({ socket: moved, clock, remote: B, codec: PCMU, onAudio: () => {}, onDigit: () => {}, random: () => 5 });
    a2.sendAudio(Buffer.alloc(160, 1));
    clock.advance(10);
    assert.equal(b.stats().received.packets, 0);
    b.setRemote({ address: '10.0.0.5', port: 6000 });
    a2.sendAudio(Buffer.alloc(160, 1));
    clock.advance(10);
    assert.equal(b.stats().received.packets, 1);
    b.sendAudio(Buffer.alloc(160, 2));
    assert.deepEqual(sb.sent.at(-1)!.to, { address: '10.0.0.5', port: 6000 });
    a.sendAudio(Buffer.alloc(160, 1));
    clock.advance(10);
    assert.equal(b.stats().received.ignoredSource, 2); // a2 before setRemote(), then a after
  });

  it('counts payload types it does not play (comfort noise)', () => {
    const { net, clock, b } = pair();
    net.socket(A.address, A.port).send(Buffer.from('800d0001000000000000000a40', 'hex'), B.port, B.address);
    clock.advance(10);
    assert.equal(b.stats().received.unknownPayload, 1);
  });

  it('close() closes the socket, stops the timers and ignores what comes later', () => {
    const { a, b, sb, clock, sendFrames, audioB } = pair();
    sendFrames(2);
    a.sendDigit('1');
    b.close();
    a.close();
    assert.equal(sb.closed, true);
    clock.advance(1000);
    assert.equal(clock.pending(), 0);
    assert.ok(audioB.length <= 1);
    a.sendAudio(Buffer.alloc(160)); // ignored after close
  });
});
