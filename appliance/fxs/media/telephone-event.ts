/**
 * RFC 4733 telephone events (DTMF digits carried in RTP instead of as tones).
 *
 * Payload (§2.3):
 *   0                   1                   2                   3
 *  |     event     |E|R| volume    |          duration             |
 *
 * event 0-9 = digits, 10 = *, 11 = #, 12-15 = A-D (§3.2); E marks the end; volume is
 * the tone's power in -dBm0 (0..63); duration in timestamp units (8 kHz samples).
 *
 * Sending (§2.5.1): every packet of one event carries the same RTP timestamp (the
 * event's start); the first has the marker bit; updates follow at a fixed interval
 * with the duration so far; the final packet, with E set, is sent three times so that
 * one loss cannot leave the far end with a digit that never ends.
 *
 * Receiving (§2.5.2): packets for one event share its timestamp, so a digit is
 * reported once per timestamp, from whichever packet arrives first, an end packet
 * included (the start may be lost).
 */

export const DIGITS = '0123456789*#ABCD';

export interface TelephoneEvent {
  readonly event: number; // 0..255
  readonly end: boolean;
  readonly volume: number; // 0..63
  readonly duration: number; // 0..65535, timestamp units
}

export type TelephoneEventErrorCode = 'EDGESIP_ERR_TE_TOO_SHORT' | 'EDGESIP_ERR_TE_FIELD';

export class TelephoneEventError extends Error {
  override readonly name = 'TelephoneEventError';
  constructor(
    readonly code: TelephoneEventErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The event code of a DTMF digit (case-insensitive A-D), or undefined. */
export function digitToEvent(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const at = DIGITS.indexOf(digit.toUpperCase());
  return at >= 0 ? at : undefined;
}

/** The digit of a DTMF event code (0..15), or undefined for other events (flash, tones). */
export function eventToDigit(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const check = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new TelephoneEventError('EDGESIP_ERR_TE_FIELD', `${name} ${v} outside 0..${max}`);
  };
  check('event', e.event, 255);
  check('volume', e.volume, 63);
  check('duration', e.duration, 0xffff);
  const out = Buffer.alloc(4);
  out[0] = e.event;
  out[1] = (e.end ? 0x80 : 0) | e.volume; // R (0x40) is reserved: sent as 0
  out.writeUInt16BE(e.duration, 2);
  return out;
}

/**
 * Parses the first event of a payload. More may follow when the sender adds
 * redundancy (RFC 2198); those repeat earlier events and are not needed here.
 */
export function parseTelephoneEvent(payload: Buffer): { ok: true; event: TelephoneEvent } | { ok: false; error: TelephoneEventError } {
  if (payload.length < 4) {
    return { ok: false, error: new TelephoneEventError('EDGESIP_ERR_TE_TOO_SHORT', `${payload.length} bytes, an event needs 4`) };
  }
  return {
    ok: true,
    event: {
      event: payload[0]!,
      end: (payload[1]! & 0x80) !== 0,
      volume: payload[1]! & 0x3f,
      duration: payload.readUInt16BE(2),
    },
  };
}

export interface DigitPacket {
  /** When to send it, ms after the digit starts. */
  readonly atMs: number;
  readonly marker: boolean;
  readonly payload: Buffer;
}

export interface DigitTrainOptions {
  /** How long the key is "pressed"; default 100 ms (≥ 40 ms per ITU-T Q.24). */
  durationMs?: number;
  /** Interval between updates; default 50 ms (RFC 4733 §2.5.1.2 suggests 50 ms). */
  intervalMs?: number;
  /** Gap between the three end packets; default 20 ms, one audio frame. */
  endSpacingMs?: number;
  /** Power in -dBm0; default 10 (-10 dBm0, a typical DTMF level). */
  volume?: number;
}

/**
 * The packets that send one digit, in order, with their times. All go out with the
 * same RTP timestamp (the digit's start); the caller stamps sequence numbers. The
 * duration field in each update counts the time up to that update's successor, so
 * the last update already announces the full length.
 */
export function digitPackets(digit: string, options: DigitTrainOptions = {}): DigitPacket[] {
  const event = digitToEvent(digit);
  if (event === undefined) throw new TelephoneEventError('EDGESIP_ERR_TE_FIELD', `not a DTMF digit: ${JSON.stringify(digit)}`);
  const durationMs = options.durationMs ?? 100;
  const intervalMs = options.intervalMs ?? 50;
  const endSpacingMs = options.endSpacingMs ?? 20;
  const volume = options.volume ?? 10;
  if (!(durationMs > 0 && intervalMs > 0 && endSpacingMs >= 0)) {
    throw new TelephoneEventError('EDGESIP_ERR_TE_FIELD', 'durations must be positive');
  }
  const units = (ms: number) => Math.min(0xffff, Math.round(ms * 8));
  const packets: DigitPacket[] = [];
  for (let t = 0; t < durationMs; t += intervalMs) {
    const payload = encodeTelephoneEvent({ event, end: false, volume, duration: units(Math.min(t + intervalMs, durationMs)) });
    packets.push({ atMs: t, marker: t === 0, payload });
  }
  const end = encodeTelephoneEvent({ event, end: true, volume, duration: units(durationMs) });
  for (let k = 0; k < 3; k++) packets.push({ atMs: durationMs + k * endSpacingMs, marker: false, payload: end });
  return packets;
}

/**
 * Reports each received event once. Fed every telephone-event packet of the stream
 * with its RTP timestamp; calls onDigit the first time a timestamp is seen (a start, an
 * update or an end packet alike). Late copies of recent events are recognised by their
 * timestamp and ignored. A long event that the sender splits into segments (§2.5.1.3,
 * durations past 65535) continues at timestamp + duration and is not reported again.
 */
export class TelephoneEventReceiver {
  private readonly recent: number[] = []; // timestamps of recent events, newest last
  private current: { timestamp: number; event: number; duration: number; ended: boolean } | undefined;
  private ignoredEvents = 0;

  constructor(private readonly onDigit: (digit: string) => void) {}

  /** Returns the digit when this packet reported one, undefined otherwise. */
  receive(timestamp: number, event: TelephoneEvent): string | undefined {
    const cur = this.current;
    if (cur !== undefined && cur.timestamp === timestamp) {
      cur.duration = Math.max(cur.duration, event.duration);
      cur.ended ||= event.end;
      return undefined;
    }
    if (this.recent.includes(timestamp)) return undefined;
    const continuation =
      cur !== undefined && !cur.ended && cur.event === event.event && ((timestamp - cur.timestamp) >>> 0) === cur.duration;

    this.recent.push(timestamp);
    if (this.recent.length > 16) this.recent.shift();
    this.current = { timestamp, event: event.event, duration: event.duration, ended: event.end };
    if (continuation) return undefined;

    const digit = eventToDigit(event.event);
    if (digit === undefined) {
      this.ignoredEvents++;
      return undefined;
    }
    this.onDigit(digit);
    return digit;
  }

  /** Events other than the 16 DTMF ones (flash, fax tones...), which are not reported. */
  get ignored(): number {
    return this.ignoredEvents;
  }
}
