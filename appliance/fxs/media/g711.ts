/**
 * ITU-T G.711 companding: 16-bit linear PCM <-> 8-bit µ-law (PCMU, North America and
 * Japan) and A-law (PCMA, Europe and China). The arithmetic follows the segment/
 * quantisation layout of G.711 tables 1a/2a on the 14-bit (µ-law) and 13-bit (A-law)
 * ranges that the standard defines, scaled to 16-bit samples: the low bits of a 16-bit
 * sample are simply below what G.711 can represent.
 *
 * Encoding is computed per sample (160 samples per 20 ms frame costs nothing); decoding
 * uses a 256-entry table built once.
 */

const SIGN_BIT = 0x80;
const QUANT_MASK = 0x0f;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;

/** µ-law bias (33 in 14-bit units, 0x84 in 16-bit units): makes the segments start at 0. */
const ULAW_BIAS = 0x84;
/** Largest 14-bit magnitude µ-law can represent (8159 = 8191 - 33 - 1 + 2). */
const ULAW_CLIP = 8159;

/** Upper end of each µ-law segment, in biased 14-bit magnitude. */
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
/** Upper end of each A-law segment, in 13-bit magnitude. */
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segmentOf(value: number, ends: readonly number[]): number {
  for (let seg = 0; seg < ends.length; seg++) if (value <= ends[seg]!) return seg;
  return ends.length;
}

function linearToMuLaw(sample: number): number {
  let pcm = sample >> 2; // 16-bit -> 14-bit
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS >> 2;
  const seg = segmentOf(pcm, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask; // the clipped top value lands past segment 7
  // The code words are transmitted inverted (G.711 §2: all bits of the µ-law word are
  // complemented, which the mask does together with the sign).
  return ((seg << 4) | ((pcm >> (seg + 1)) & QUANT_MASK)) ^ mask;
}

function muLawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & QUANT_MASK) << 3) + ULAW_BIAS;
  t <<= (u & SEG_MASK) >> SEG_SHIFT;
  return u & SIGN_BIT ? ULAW_BIAS - t : t - ULAW_BIAS;
}

function linearToALaw(sample: number): number {
  let pcm = sample >> 3; // 16-bit -> 13-bit
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set for positive values, even bits inverted (G.711 table 1a)
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segmentOf(pcm, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask; // beyond the top segment: clip
  let code = seg << SEG_SHIFT;
  code |= seg < 2 ? (pcm >> 1) & QUANT_MASK : (pcm >> seg) & QUANT_MASK;
  return code ^ mask;
}

function aLawToLinear(code: number): number {
  const a = code ^ 0x55;
  let t = (a & QUANT_MASK) << 4;
  const seg = (a & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & SIGN_BIT ? t : -t;
}

function buildTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decode(code);
  return table;
}

const MULAW_DECODE = buildTable(muLawToLinear);
const ALAW_DECODE = buildTable(aLawToLinear);

export function encodeMuLaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToMuLaw(pcm[i]!);
  return out;
}

export function decodeMuLaw(data: Buffer): Int16Array {
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = MULAW_DECODE[data[i]!]!;
  return out;
}

export function encodeALaw(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToALaw(pcm[i]!);
  return out;
}

export function decodeALaw(data: Buffer): Int16Array {
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ALAW_DECODE[data[i]!]!;
  return out;
}

/** The code word for silence (linear 0), used to fill concealment frames. */
export const MULAW_SILENCE = 0xff;
export const ALAW_SILENCE = 0xd5;
