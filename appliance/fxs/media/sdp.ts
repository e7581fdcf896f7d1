/**
 * SDP offer/answer for one audio stream (RFC 3264 over RFC 4566): what the FXS agent
 * offers in an INVITE, how it answers an offer, and what it takes from an answer.
 *
 * A small hand parser rather than a library (sdp-transform): the agent needs a dozen
 * line types of one audio stream, the parser is total (a result or an error code, so
 * a bad body becomes a 488, never an exception), and the appliance ships no extra
 * dependency for it. Everything it does not need (ICE, crypto, video, bandwidth) is
 * skipped, and any stream it cannot use is refused with port 0 as §6 says.
 *
 * Directions in MediaParams are ours: 'sendonly' means we send and do not receive.
 */

export type AudioCodecName = 'PCMU' | 'PCMA';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaParams {
  /** Where to send RTP (the far end's c= address and m= port). */
  readonly address: string;
  readonly port: number;
  readonly codec: { readonly name: AudioCodecName; readonly payloadType: number };
  /** telephone-event payload type to send and expect; absent when the far end has none. */
  readonly dtmfPayloadType?: number;
  /** What WE do: send and/or receive. */
  readonly direction: Direction;
  /** The far end's a=ptime, when given (we always send 20 ms; the jitter buffer takes any). */
  readonly ptime?: number;
}

export type SdpErrorCode =
  | 'EDGESIP_ERR_BAD_SDP' // not SDP, or an active stream without address
  | 'EDGESIP_ERR_NO_COMMON_CODEC' // no audio stream with PCMU/PCMA over RTP/AVP
  | 'EDGESIP_ERR_STREAM_REJECTED'; // the audio stream has port 0 (refused, or disabled by the offer)

export interface SdpError {
  readonly error: SdpErrorCode;
  readonly message: string;
}

export interface OfferOptions {
  readonly sessionId: string | number;
  /** o= version: increase it whenever a new SDP of the session differs (RFC 3264 §8). */
  readonly sessionVersion?: string | number;
  readonly address: string;
  readonly port: number;
  /** In order of preference. */
  readonly codecs: readonly AudioCodecName[];
  /** telephone-event payload type to offer (96..127); omit to offer no RFC 4733. */
  readonly dtmfPayloadType?: number;
  readonly direction?: Direction;
}

export type AnswerOptions = OfferOptions;

const STATIC_PAYLOAD_TYPES: Readonly<Record<number, AudioCodecName>> = { 0: 'PCMU', 8: 'PCMA' };
const PAYLOAD_TYPE_OF: Readonly<Record<AudioCodecName, number>> = { PCMU: 0, PCMA: 8 };
const PTIME_MS = 20;
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

// --- parsing --------------------------------------------------------------------------

interface Connection {
  readonly address: string;
}

interface Attribute {
  readonly name: string;
  readonly value: string | undefined;
}

interface MediaSection {
  readonly type: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly string[];
  connection: Connection | undefined;
  readonly attributes: Attribute[];
}

interface SessionDescription {
  connection: Connection | undefined;
  readonly attributes: Attribute[];
  readonly media: MediaSection[];
}

const bad = (message: string): SdpError => ({ error: 'EDGESIP_ERR_BAD_SDP', message });

function parseConnection(value: string): Connection | SdpError {
  // c=<nettype> <addrtype> <connection-address>, the address possibly with /ttl/count
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 3 || parts[0] !== 'IN' || (parts[1] !== 'IP4' && parts[1] !== 'IP6')) return bad(`c=${value}`);
  const address = parts[2]!.split('/')[0]!;
  if (address === '') return bad(`c=${value}`);
  return { address };
}

function parseSdp(text: string): SessionDescription | SdpError {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== 'v=0') return bad('does not start with v=0');
  const session: SessionDescription = { connection: undefined, attributes: [], media: [] };
  let current: MediaSection | undefined;
  for (const line of lines) {
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) return bad(`not an SDP line: ${JSON.stringify(line.slice(0, 80))}`);
    const type = m[1]!;
    const value = m[2]!.trim();
    if (type === 'm') {
      const parts = value.split(/\s+/);
      const portMatch = /^(\d{1,5})(?:\/\d+)?$/.exec(parts[1] ?? '');
      if (parts.length < 4 || !portMatch || Number(portMatch[1]) > 65535) return bad(`m=${value}`);
      current = { type: parts[0]!, port: Number(portMatch[1]), proto: parts[2]!, formats: parts.slice(3), connection: undefined, attributes: [] };
      session.media.push(current);
    } else if (type === 'c') {
      const c = parseConnection(value);
      if ('error' in c) return c;
      if (current) current.connection = c;
      else session.connection = c;
    } else if (type === 'a') {
      const colon = value.indexOf(':');
      const attr = colon < 0 ? { name: value, value: undefined } : { name: value.slice(0, colon), value: value.slice(colon + 1).trim() };
      (current ? current.attributes : session.attributes).push(attr);
    }
  }
  if (session.media.length === 0) return bad('no m= line');
  return session;
}

interface RtpMap {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
}

function rtpMaps(media: MediaSection): Map<number, RtpMap> {
  const maps = new Map<number, RtpMap>();
  for (const a of media.attributes) {
    if (a.name !== 'rtpmap' || a.value === undefined) continue;
    const m = /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(a.value);
    if (m) maps.set(Number(m[1]), { encoding: m[2]!, clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : 1 });
  }
  return maps;
}

interface StreamFormats {
  /** Audio codecs we know, in the stream's order. */
  readonly codecs: Array<{ name: AudioCodecName; payloadType: number }>;
  readonly dtmfPayloadType: number | undefined;
}

/** The formats of an m= line we can use: PCMU/PCMA at 8 kHz mono, telephone-event at 8 kHz. */
function streamFormats(media: MediaSection): StreamFormats {
  const maps = rtpMaps(media);
  const codecs: Array<{ name: AudioCodecName; payloadType: number }> = [];
  let dtmfPayloadType: number | undefined;
  for (const f of media.formats) {
    if (!/^\d{1,3}$/.test(f)) continue;
    const pt = Number(f);
    if (pt > 127) continue;
    const map = maps.get(pt);
    // §6 of RFC 3551: static types need no rtpmap; an rtpmap, when present, rules.
    const name = map ? map.encoding.toUpperCase() : STATIC_PAYLOAD_TYPES[pt];
    const eightKhzMono = map === undefined || (map.clockRate === 8000 && map.channels === 1);
    if ((name === 'PCMU' || name === 'PCMA') && eightKhzMono) codecs.push({ name, payloadType: pt });
    else if (name === 'TELEPHONE-EVENT' && map?.clockRate === 8000 && dtmfPayloadType === undefined) dtmfPayloadType = pt;
  }
  return { codecs, dtmfPayloadType };
}

function attributeOf(session: SessionDescription, media: MediaSection, name: string): Attribute | undefined {
  return media.attributes.find((a) => a.name === name) ?? session.attributes.find((a) => a.name === name);
}

function isUnspecified(address: string): boolean {
  if (address === '0.0.0.0') return true;
  if (!address.includes(':')) return false;
  try {
    return new URL(`http://[${address}]/`).hostname === '[::]'; // any spelling of ::
  } catch {
    return false;
  }
}

/**
 * The direction the description's author declares for this stream (media-level
 * attribute, else session-level, else sendrecv). A c= of 0.0.0.0 is the old way to
 * say "do not send to me" (RFC 3264 §8.4): the author does not receive.
 */
function declaredDirection(session: SessionDescription, media: MediaSection, address: string): Direction {
  const own = media.attributes.find((a) => DIRECTIONS.includes(a.name as Direction));
  const shared = session.attributes.find((a) => DIRECTIONS.includes(a.name as Direction));
  let dir = (own ?? shared)?.name as Direction | undefined;
  dir ??= 'sendrecv';
  if (isUnspecified(address)) dir = dir === 'sendrecv' || dir === 'sendonly' ? 'sendonly' : 'inactive';
  return dir;
}

/** The other side's view of a direction: what they send, we receive. */
function mirror(dir: Direction): Direction {
  return dir === 'sendonly' ? 'recvonly' : dir === 'recvonly' ? 'sendonly' : dir;
}

function intersect(a: Direction, b: Direction): Direction {
  const send = (a === 'sendrecv' || a === 'sendonly') && (b === 'sendrecv' || b === 'sendonly');
  const recv = (a === 'sendrecv' || a === 'recvonly') && (b === 'sendrecv' || b === 'recvonly');
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

function ptimeOf(session: SessionDescription, media: MediaSection): number | undefined {
  const v = Number(attributeOf(session, media, 'ptime')?.value);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

// --- writing --------------------------------------------------------------------------

function addressLine(address: string): string {
  return `IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`;
}

function description(opts: OfferOptions, mediaLines: string[][]): string {
  const lines = [
    'v=0',
    `o=edgesip-fxs ${opts.sessionId} ${opts.sessionVersion ?? 1} ${addressLine(opts.address)}`,
    's=-',
    `c=${addressLine(opts.address)}`,
    't=0 0',
    ...mediaLines.flat(),
  ];
  return lines.join('\r\n') + '\r\n';
}

function audioLines(port: number, codecs: ReadonlyArray<{ name: AudioCodecName; payloadType: number }>, dtmfPayloadType: number | undefined, direction: Direction): string[] {
  const formats = codecs.map((c) => c.payloadType);
  if (dtmfPayloadType !== undefined) formats.push(dtmfPayloadType);
  const lines = [`m=audio ${port} RTP/AVP ${formats.join(' ')}`];
  for (const c of codecs) lines.push(`a=rtpmap:${c.payloadType} ${c.name}/8000`);
  if (dtmfPayloadType !== undefined) lines.push(`a=rtpmap:${dtmfPayloadType} telephone-event/8000`, `a=fmtp:${dtmfPayloadType} 0-15`);
  lines.push(`a=ptime:${PTIME_MS}`, `a=${direction}`);
  return lines;
}

function checkLocal(opts: OfferOptions): void {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new RangeError(`RTP port ${opts.port}`);
  if (opts.codecs.length === 0) throw new RangeError('no codec to offer');
  const pt = opts.dtmfPayloadType;
  if (pt !== undefined && (!Number.isInteger(pt) || pt < 96 || pt > 127)) throw new RangeError(`telephone-event payload type ${pt} is not dynamic (96..127)`);
}

// --- offer/answer ---------------------------------------------------------------------

/** Our offer: one audio stream with the codecs in order, plus telephone-event. */
export function buildOffer(opts: OfferOptions): string {
  checkLocal(opts);
  const codecs = [...new Set(opts.codecs)].map((name) => ({ name, payloadType: PAYLOAD_TYPE_OF[name] }));
  return description(opts, [audioLines(opts.port, codecs, opts.dtmfPayloadType, opts.direction ?? 'sendrecv')]);
}

/**
 * Answers an offer (RFC 3264 §6): the first audio stream over RTP/AVP with a codec of
 * ours is accepted, with one codec (the first of the offer's list that we allow: the
 * offerer's preference) and, if offered, telephone-event under the offer's payload
 * type; every other m= line is refused with port 0, in the same order.
 */
export function answerOffer(offerSdp: string, opts: AnswerOptions): { sdp: string; media: MediaParams } | SdpError {
  checkLocal(opts);
  const offer = parseSdp(offerSdp);
  if ('error' in offer) return offer;

  let chosen: { index: number; media: MediaParams } | undefined;
  let sawAudio = false;
  let sawActiveAudio = false;
  for (let i = 0; i < offer.media.length && !chosen; i++) {
    const m = offer.media[i]!;
    if (m.type !== 'audio') continue;
    sawAudio = true;
    if (m.port === 0) continue;
    sawActiveAudio = true;
    if (m.proto !== 'RTP/AVP') continue; // SRTP (RTP/SAVP), AVPF feedback: not ours
    const formats = streamFormats(m);
    const codec = formats.codecs.find((c) => opts.codecs.includes(c.name));
    if (!codec) continue;
    const connection = m.connection ?? offer.connection;
    if (!connection) return bad(`m=audio ${m.port} without a c= line`);
    const theirs = declaredDirection(offer, m, connection.address);
    const dtmf = opts.dtmfPayloadType !== undefined ? formats.dtmfPayloadType : undefined;
    const ptime = ptimeOf(offer, m);
    chosen = {
      index: i,
      media: {
        address: connection.address,
        port: m.port,
        codec,
        ...(dtmf !== undefined ? { dtmfPayloadType: dtmf } : {}),
        direction: intersect(mirror(theirs), opts.direction ?? 'sendrecv'),
        ...(ptime !== undefined ? { ptime } : {}),
      },
    };
  }
  if (!chosen) {
    if (sawAudio && !sawActiveAudio) return { error: 'EDGESIP_ERR_STREAM_REJECTED', message: 'the offer has no active audio stream' };
    return { error: 'EDGESIP_ERR_NO_COMMON_CODEC', message: `no audio stream over RTP/AVP with ${opts.codecs.join(' or ')}` };
  }

  const { index, media } = chosen;
  const mediaLines = offer.media.map((m, i) =>
    i === index ? audioLines(opts.port, [media.codec], media.dtmfPayloadType, media.direction) : [`m=${m.type} 0 ${m.proto} ${m.formats.join(' ')}`],
  );
  return { sdp: description(opts, mediaLines), media };
}

/**
 * What the far end answered to our offer: its address, the codec it picked (the first
 * of its list that we offered), its telephone-event payload type, and our direction.
 */
export function parseAnswer(answerSdp: string, offeredCodecs: readonly AudioCodecName[]): MediaParams | SdpError {
  const answer = parseSdp(answerSdp);
  if ('error' in answer) return answer;
  // We offer a single audio stream, so the answer's first m= line is it (§6: same order).
  const m = answer.media[0]!;
  if (m.type !== 'audio') return bad(`answer's first stream is ${m.type}, not audio`);
  if (m.port === 0) return { error: 'EDGESIP_ERR_STREAM_REJECTED', message: 'the answer refused the audio stream (port 0)' };
  const formats = streamFormats(m);
  const codec = formats.codecs.find((c) => offeredCodecs.includes(c.name));
  if (!codec) return { error: 'EDGESIP_ERR_NO_COMMON_CODEC', message: `the answer has none of ${offeredCodecs.join(', ')}` };
  const connection = m.connection ?? answer.connection;
  if (!connection) return bad('the answer has no c= line');
  const ptime = ptimeOf(answer, m);
  return {
    address: connection.address,
    port: m.port,
    codec,
    ...(formats.dtmfPayloadType !== undefined ? { dtmfPayloadType: formats.dtmfPayloadType } : {}),
    direction: mirror(declaredDirection(answer, m, connection.address)),
    ...(ptime !== undefined ? { ptime } : {}),
  };
}
