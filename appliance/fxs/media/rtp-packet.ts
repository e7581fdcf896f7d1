/**
 * RTP fixed header (RFC 3550 §5.1), to and from bytes.
 *
 *   0                   1                   2                   3
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *  |            contributing source (CSRC) identifiers (0..15)     |
 *  | [extension: profile-defined 16 bits | length in 32-bit words]  |
 *  | payload ...                                   [padding | count] |
 *
 * Parsing is total: a packet or an RtpPacketError with a stable code (callers count and
 * drop; they never branch on message text). Payload and extension data are views into
 * the datagram, not copies.
 */

export type RtpErrorCode =
  | 'EDGESIP_ERR_RTP_TOO_SHORT' // under 12 bytes, or the CSRC list / extension runs past the end
  | 'EDGESIP_ERR_RTP_VERSION' // version field other than 2
  | 'EDGESIP_ERR_RTP_PADDING' // padding count 0 or larger than what follows the header
  | 'EDGESIP_ERR_RTP_IS_RTCP' // second byte 200..204: an RTCP packet on the RTP port (RFC 5761 §4)
  | 'EDGESIP_ERR_RTP_FIELD'; // encode: a field out of range

export class RtpPacketError extends Error {
  override readonly name = 'RtpPacketError';
  constructor(
    readonly code: RtpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RtpHeaderExtension {
  /** The 16 profile-defined bits (e.g. 0xBEDE for RFC 8285 one-byte headers). */
  readonly profile: number;
  /** Extension body, a multiple of 4 bytes. */
  readonly data: Buffer;
}

export interface RtpPacket {
  readonly marker: boolean;
  readonly payloadType: number; // 0..127
  readonly sequenceNumber: number; // 0..65535
  readonly timestamp: number; // 0..2^32-1
  readonly ssrc: number; // 0..2^32-1
  readonly csrcs: readonly number[];
  readonly extension?: RtpHeaderExtension;
  readonly payload: Buffer;
  /** Padding octets after the payload (including the count octet); 0 = none. */
  readonly paddingLength: number;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; error: RtpPacketError };

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;

const fail = (code: RtpErrorCode, message: string): RtpParseResult => ({ ok: false, error: new RtpPacketError(code, message) });

export function parseRtpPacket(data: Buffer): RtpParseResult {
  if (data.length < RTP_HEADER_SIZE) return fail('EDGESIP_ERR_RTP_TOO_SHORT', `${data.length} bytes, the fixed header needs 12`);
  const b0 = data[0]!;
  const b1 = data[1]!;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) return fail('EDGESIP_ERR_RTP_VERSION', `version ${version}`);
  // RTCP's packet types 200..204 sit where RTP has M + PT 72..76, which RFC 5761 §4
  // keeps unused so the two can be told apart on one port.
  if (b1 >= 200 && b1 <= 204) return fail('EDGESIP_ERR_RTP_IS_RTCP', `RTCP packet type ${b1}`);
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;

  let offset = RTP_HEADER_SIZE;
  if (data.length < offset + 4 * csrcCount) return fail('EDGESIP_ERR_RTP_TOO_SHORT', `CSRC list of ${csrcCount} runs past the end`);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, offset += 4) csrcs.push(data.readUInt32BE(offset));

  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (data.length < offset + 4) return fail('EDGESIP_ERR_RTP_TOO_SHORT', 'extension header runs past the end');
    const profile = data.readUInt16BE(offset);
    const words = data.readUInt16BE(offset + 2);
    offset += 4;
    if (data.length < offset + 4 * words) return fail('EDGESIP_ERR_RTP_TOO_SHORT', `extension of ${words} words runs past the end`);
    extension = { profile, data: data.subarray(offset, offset + 4 * words) };
    offset += 4 * words;
  }

  let end = data.length;
  let paddingLength = 0;
  if (hasPadding) {
    // §5.1: the last octet counts the padding octets, itself included.
    paddingLength = data[data.length - 1]!;
    if (paddingLength === 0 || paddingLength > data.length - offset) {
      return fail('EDGESIP_ERR_RTP_PADDING', `padding count ${paddingLength} with ${data.length - offset} bytes after the header`);
    }
    end -= paddingLength;
  }

  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: data.readUInt16BE(2),
      timestamp: data.readUInt32BE(4),
      ssrc: data.readUInt32BE(8),
      csrcs,
      ...(extension ? { extension } : {}),
      payload: data.subarray(offset, end),
      paddingLength,
    },
  };
}

export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
  extension?: RtpHeaderExtension;
  payload: Buffer;
  /** Padding octets to append (1..255, count octet included); 0 or absent for none. */
  paddingLength?: number;
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RtpPacketError('EDGESIP_ERR_RTP_FIELD', `${name} ${value} outside 0..${max}`);
  }
}

/** Serialises a packet; throws RtpPacketError (EDGESIP_ERR_RTP_FIELD) for out-of-range fields. */
export function encodeRtpPacket(p: RtpPacketInit): Buffer {
  const csrcs = p.csrcs ?? [];
  const padding = p.paddingLength ?? 0;
  checkRange('payload type', p.payloadType, 127);
  checkRange('sequence number', p.sequenceNumber, 0xffff);
  checkRange('timestamp', p.timestamp, 0xffffffff);
  checkRange('SSRC', p.ssrc, 0xffffffff);
  checkRange('CSRC count', csrcs.length, 15);
  checkRange('padding length', padding, 255);
  csrcs.forEach((c) => checkRange('CSRC', c, 0xffffffff));
  if (p.extension) {
    checkRange('extension profile', p.extension.profile, 0xffff);
    if (p.extension.data.length % 4 !== 0 || p.extension.data.length / 4 > 0xffff) {
      throw new RtpPacketError('EDGESIP_ERR_RTP_FIELD', `extension of ${p.extension.data.length} bytes is not a whole number of words`);
    }
  }

  const extSize = p.extension ? 4 + p.extension.data.length : 0;
  const headerSize = RTP_HEADER_SIZE + 4 * csrcs.length + extSize;
  const out = Buffer.alloc(headerSize + p.payload.length + padding);
  out[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (p.extension ? 0x10 : 0) | csrcs.length;
  out[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  out.writeUInt16BE(p.sequenceNumber, 2);
  out.writeUInt32BE(p.timestamp, 4);
  out.writeUInt32BE(p.ssrc, 8);
  let offset = RTP_HEADER_SIZE;
  for (const c of csrcs) {
    out.writeUInt32BE(c, offset);
    offset += 4;
  }
  if (p.extension) {
    out.writeUInt16BE(p.extension.profile, offset);
    out.writeUInt16BE(p.extension.data.length / 4, offset + 2);
    p.extension.data.copy(out, offset + 4);
    offset += extSize;
  }
  p.payload.copy(out, offset);
  if (padding > 0) out[out.length - 1] = padding;
  return out;
}
