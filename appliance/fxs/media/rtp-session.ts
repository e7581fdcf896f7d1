/**
 * One call's media: G.711 frames from the line board out as RTP, RTP from the far end
 * through the jitter buffer back to the board, DTMF as RFC 4733 events both ways.
 *
 * The socket is injected (only entry points create sockets) and owned: close() closes
 * it. Time comes from the injected Clock, so tests drive playout and digit timing.
 *
 * Which packets are accepted: only those from the remote address and port the SDP
 * gave (a stranger on the LAN cannot inject audio into a call). With `symmetric: true`
 * the first valid RTP packet carrying one of our payload types may move the remote to
 * its source, once per setRemote(): that is what a phone behind NAT needs (its SDP
 * names a private address, its packets come from the NAT's), and the risk is the same
 * as for every symmetric-RTP endpoint: whoever answers first wins the latch. Off by
 * default, since the FXS agent and its PBX normally share a LAN.
 *
 * RTCP is not sent or read: on a LAN the RTP receive counters (stats()) are enough, and
 * RTCP packets arriving on the RTP port are counted as malformed and dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../sip/clock';
import { JitterBuffer, FRAME_SAMPLES, type G711Codec, type JitterStats } from './jitter-buffer';
import { encodeRtpPacket, parseRtpPacket, type RtpPacket } from './rtp-packet';
import { TelephoneEventReceiver, digitPackets, digitToEvent, parseTelephoneEvent, type DigitTrainOptions } from './telephone-event';

export interface RtpAddress {
  readonly address: string;
  readonly port: number;
}

/** The part of a UDP socket the session needs; the entry point adapts node:dgram. */
export interface DatagramSocket {
  send(data: Buffer, port: number, address: string): void;
  onMessage(cb: (data: Buffer, from: RtpAddress) => void): void;
  close(): void;
}

export interface RtpCodec {
  readonly name: G711Codec;
  readonly payloadType: number;
}

export interface RtpSessionOptions {
  readonly socket: DatagramSocket;
  readonly clock: Clock;
  readonly remote: RtpAddress;
  readonly codec: RtpCodec;
  /** The negotiated telephone-event payload type; without it no DTMF is sent or read. */
  readonly dtmfPayloadType?: number;
  /** One 160-byte G.711 frame every 20 ms while the far end sends audio. */
  readonly onAudio: (frame: Buffer) => void;
  readonly onDigit: (digit: string) => void;
  /** Let the first valid packet move the remote to its source (NAT); default false. */
  readonly symmetric?: boolean;
  readonly jitter?: { targetDelayMs?: number; maxDelayMs?: number };
  readonly digits?: DigitTrainOptions & { interDigitMs?: number };
  /** A random 32-bit unsigned integer (SSRC, first sequence number and timestamp). */
  readonly random?: () => number;
}

export interface RtpSessionStats {
  readonly ssrc: number;
  readonly remote: RtpAddress;
  readonly sent: {
    packets: number;
    octets: number;
    digits: number;
    /** Packets not sent because the remote is 0.0.0.0 / :: or port 0 (hold). */
    suppressed: number;
  };
  readonly received: {
    packets: number;
    octets: number;
    /** RFC 3550 §6.4.1 cumulative loss of the current far-end stream (expected - received). */
    lost: number;
    /** RFC 3550 §6.4.1 interarrival jitter of the audio, in ms. */
    jitterMs: number;
    digits: number;
    malformed: number;
    /** From a source other than the remote (and not latched). */
    ignoredSource: number;
    /** Payload types that are neither the codec nor telephone-event (comfort noise...). */
    unknownPayload: number;
  };
  readonly jitterBuffer: JitterStats;
}

/** After this long without audio from the board, the timestamp catches up with real time. */
const TIMESTAMP_GAP_MS = 60;

const defaultRandom = () => randomBytes(4).readUInt32BE(0);

/** Canonical text of an address, so '::FFFF:10.0.0.1', '10.0.0.1' and IPv6 spellings compare equal. */
function canonicalAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a.includes(':')) {
    try {
      a = new URL(`http://[${a}]/`).hostname.slice(1, -1); // WHATWG serialises IPv6 canonically
    } catch {
      return a;
    }
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (mapped) {
      const hi = parseInt(mapped[1]!, 16);
      const lo = parseInt(mapped[2]!, 16);
      return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
    }
  }
  return a;
}

function isUnspecifiedAddress(address: string): boolean {
  const a = canonicalAddress(address);
  return a === '0.0.0.0' || a === '::';
}

function sameEndpoint(a: RtpAddress, b: RtpAddress): boolean {
  return a.port === b.port && canonicalAddress(a.address) === canonicalAddress(b.address);
}

/** RFC 3550 A.1/A.3/A.8 receive statistics for one far-end SSRC. */
interface SourceState {
  ssrc: number;
  baseSeq: number; // extended
  maxSeq: number; // extended
  lastSeq16: number;
  received: number;
  transit: number | undefined;
  jitter: number; // timestamp units
}

export class RtpSession {
  private readonly socket: DatagramSocket;
  private readonly clock: Clock;
  private readonly codec: RtpCodec;
  private readonly dtmfPayloadType: number | undefined;
  private readonly symmetric: boolean;
  private readonly digitOptions: DigitTrainOptions;
  private readonly interDigitMs: number;
  private readonly jitterBuffer: JitterBuffer;
  private readonly onDigit: (digit: string) => void;

  private remote: RtpAddress;
  private latched = false;
  private closed = false;

  // Sending
  private readonly ssrc: number;
  private sequence: number;
  private nextTimestamp: number;
  private timestampAlignedAt: number | undefined; // clock time nextTimestamp corresponds to
  private firstAudio = true;
  private sendingDigit = false;
  private readonly digitQueue: Array<{ digit: string; durationMs: number | undefined }> = [];
  private readonly digitTimers = new Set<TimerHandle>();

  // Receiving
  private source: SourceState | undefined;
  private eventReceiver: TelephoneEventReceiver;

  private readonly sent = { packets: 0, octets: 0, digits: 0, suppressed: 0 };
  private readonly received = { packets: 0, octets: 0, digits: 0, malformed: 0, ignoredSource: 0, unknownPayload: 0 };

  constructor(options: RtpSessionOptions) {
    this.socket = options.socket;
    this.clock = options.clock;
    this.remote = { address: options.remote.address, port: options.remote.port };
    this.codec = options.codec;
    this.dtmfPayloadType = options.dtmfPayloadType;
    this.symmetric = options.symmetric ?? false;
    const { interDigitMs, ...train } = options.digits ?? {};
    this.digitOptions = train;
    this.interDigitMs = interDigitMs ?? 50;
    this.onDigit = options.onDigit;
    const random = options.random ?? defaultRandom;
    this.ssrc = random() >>> 0;
    this.sequence = random() & 0xffff;
    this.nextTimestamp = random() >>> 0;
    this.jitterBuffer = new JitterBuffer({
      clock: this.clock,
      codec: this.codec.name,
      onFrame: options.onAudio,
      ...(options.jitter?.targetDelayMs !== undefined ? { targetDelayMs: options.jitter.targetDelayMs } : {}),
      ...(options.jitter?.maxDelayMs !== undefined ? { maxDelayMs: options.jitter.maxDelayMs } : {}),
    });
    this.eventReceiver = this.newEventReceiver();
    this.socket.onMessage((data, from) => this.receive(data, from));
  }

  /**
   * Sends one frame from the board (G.711, normally 160 bytes = 20 ms). While a digit
   * is being sent as events the audio is held back (it carries the same digit as an
   * in-band tone) but its timestamps still advance.
   */
  sendAudio(frame: Buffer): void {
    if (this.closed || frame.length === 0) return;
    const resumed = this.alignTimestamp();
    const timestamp = this.nextTimestamp;
    this.nextTimestamp = (this.nextTimestamp + frame.length) >>> 0;
    this.timestampAlignedAt = this.clock.now();
    if (this.sendingDigit) return;
    // RFC 3551 §4.1: the marker flags the first packet of a talkspurt.
    const marker = this.firstAudio || resumed;
    this.firstAudio = false;
    this.sendPacket(this.codec.payloadType, marker, timestamp, frame);
  }

  /**
   * Sends a DTMF digit (0-9 * # A-D) as RFC 4733 events; digits sent while one is in
   * progress queue behind it. Returns false when no telephone-event payload type was
   * negotiated (the caller may then leave the in-band tone in the audio). Throws
   * TelephoneEventError for a character that is not a digit.
   */
  sendDigit(digit: string, durationMs?: number): boolean {
    if (this.closed || this.dtmfPayloadType === undefined) return false;
    digitPackets(digit, { ...this.digitOptions, ...(durationMs !== undefined ? { durationMs } : {}) }); // validates
    this.digitQueue.push({ digit, durationMs });
    if (!this.sendingDigit) this.startNextDigit();
    return true;
  }

  /** True when `digit` can be sent: a DTMF character, and telephone-event negotiated. */
  canSendDigit(digit: string): boolean {
    return this.dtmfPayloadType !== undefined && digitToEvent(digit) !== undefined;
  }

  /** The far end moved (re-INVITE): send there, and accept packets from there only. */
  setRemote(remote: RtpAddress): void {
    this.remote = { address: remote.address, port: remote.port };
    this.latched = false;
  }

  stats(): RtpSessionStats {
    const s = this.source;
    return {
      ssrc: this.ssrc,
      remote: { ...this.remote },
      sent: { ...this.sent },
      received: {
        ...this.received,
        lost: s ? Math.max(0, s.maxSeq - s.baseSeq + 1 - s.received) : 0,
        jitterMs: s ? s.jitter / 8 : 0,
      },
      jitterBuffer: this.jitterBuffer.stats(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.jitterBuffer.close();
    for (const t of this.digitTimers) this.clock.clearTimer(t);
    this.digitTimers.clear();
    this.digitQueue.length = 0;
    this.socket.close();
  }

  /**
   * Keeps the RTP clock running through gaps in what the board sends: after more than
   * TIMESTAMP_GAP_MS of nothing, the next timestamp jumps by the time that passed
   * (whole frames), as the far end's jitter buffer expects. Returns true on a jump.
   */
  private alignTimestamp(): boolean {
    const now = this.clock.now();
    if (this.timestampAlignedAt === undefined) {
      this.timestampAlignedAt = now;
      return false;
    }
    const idle = now - this.timestampAlignedAt;
    if (idle <= TIMESTAMP_GAP_MS) return false;
    const frames = Math.round(idle / 20) - 1;
    this.nextTimestamp = (this.nextTimestamp + frames * FRAME_SAMPLES) >>> 0;
    this.timestampAlignedAt = now;
    return true;
  }

  private startNextDigit(): void {
    const next = this.digitQueue.shift();
    if (next === undefined || this.closed) {
      this.sendingDigit = false;
      return;
    }
    this.sendingDigit = true;
    this.alignTimestamp();
    const timestamp = this.nextTimestamp; // every packet of the event carries its start
    const train = digitPackets(next.digit, { ...this.digitOptions, ...(next.durationMs !== undefined ? { durationMs: next.durationMs } : {}) });
    const pt = this.dtmfPayloadType!;
    const lastAt = train[train.length - 1]!.atMs;
    this.sent.digits++;
    for (const p of train) {
      const send = () => this.sendPacket(pt, p.marker, timestamp, p.payload);
      if (p.atMs === 0) send();
      else this.after(p.atMs, send);
    }
    // Audio resumes once the last end packet is out; the next digit after a pause.
    this.after(lastAt, () => {
      this.sendingDigit = false;
      if (this.digitQueue.length > 0) {
        this.sendingDigit = true; // keep the audio held between queued digits
        this.after(this.interDigitMs, () => this.startNextDigit());
      }
    });
  }

  private after(ms: number, fn: () => void): void {
    const handle = this.clock.setTimer(ms, () => {
      this.digitTimers.delete(handle);
      if (!this.closed) fn();
    });
    this.digitTimers.add(handle);
  }

  private sendPacket(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    // An SDP with c=0.0.0.0 or port 0 means "send nothing" (old-style hold); on Linux a
    // datagram to 0.0.0.0 would reach this host instead.
    if (this.remote.port === 0 || isUnspecifiedAddress(this.remote.address)) {
      this.sent.suppressed++;
      return;
    }
    const data = encodeRtpPacket({ payloadType, marker, sequenceNumber: this.sequence, timestamp, ssrc: this.ssrc, payload });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.sent.packets++;
    this.sent.octets += payload.length;
    this.socket.send(data, this.remote.port, this.remote.address);
  }

  private receive(data: Buffer, from: RtpAddress): void {
    if (this.closed) return;
    const fromRemote = sameEndpoint(from, this.remote);
    if (!fromRemote && !(this.symmetric && !this.latched)) {
      this.received.ignoredSource++;
      return;
    }
    const parsed = parseRtpPacket(data);
    if (!parsed.ok) {
      this.received.malformed++;
      return;
    }
    const packet = parsed.packet;
    const isAudio = packet.payloadType === this.codec.payloadType;
    const isEvent = this.dtmfPayloadType !== undefined && packet.payloadType === this.dtmfPayloadType;
    if (!fromRemote) {
      // Latch only on something that is plainly our call's media.
      if (!isAudio && !isEvent) {
        this.received.ignoredSource++;
        return;
      }
      this.remote = { address: from.address, port: from.port };
    }
    if (this.symmetric) this.latched = true;

    this.received.packets++;
    this.received.octets += packet.payload.length;
    this.updateSource(packet, isAudio);
    if (isAudio) {
      this.jitterBuffer.push(packet);
    } else if (isEvent) {
      const event = parseTelephoneEvent(packet.payload);
      if (!event.ok) {
        this.received.malformed++;
        return;
      }
      if (this.eventReceiver.receive(packet.timestamp, event.event) !== undefined) this.received.digits++;
    } else {
      this.received.unknownPayload++;
    }
  }

  /** RFC 3550 A.1 (extended sequence numbers) and A.8 (interarrival jitter). */
  private updateSource(packet: RtpPacket, isAudio: boolean): void {
    let s = this.source;
    if (s === undefined || s.ssrc !== packet.ssrc) {
      s = { ssrc: packet.ssrc, baseSeq: packet.sequenceNumber, maxSeq: packet.sequenceNumber, lastSeq16: packet.sequenceNumber, received: 0, transit: undefined, jitter: 0 };
      this.source = s;
      this.eventReceiver = this.newEventReceiver();
    }
    const delta = ((((packet.sequenceNumber - s.lastSeq16) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0) {
      s.maxSeq += delta;
      s.lastSeq16 = packet.sequenceNumber;
    } else if (s.maxSeq + delta < s.baseSeq) {
      s.baseSeq = s.maxSeq + delta; // reordered ahead of the first packet seen
    }
    s.received++;
    if (isAudio) {
      const arrival = Math.round(this.clock.now() * 8); // in timestamp units (8 kHz)
      const transit = arrival - packet.timestamp;
      if (s.transit !== undefined) {
        const d = Math.abs(((transit - s.transit) | 0));
        s.jitter += (d - s.jitter) / 16;
      }
      s.transit = transit;
    }
  }

  private newEventReceiver(): TelephoneEventReceiver {
    return new TelephoneEventReceiver((digit) => this.onDigit(digit));
  }

}
