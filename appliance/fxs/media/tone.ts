/**
 * Call-progress tones for the analog phones: sine and dual-tone generators at 8 kHz,
 * and the national tone plans (frequencies and cadences) the FXS agent plays to a
 * handset: dial, busy, ringback, congestion, plus the ring cadence it asks the line
 * board to apply to the bell.
 *
 * Generators keep their phase between calls, so asking for 160 samples every 20 ms
 * gives one continuous wave with no click at frame edges.
 */

export const SAMPLE_RATE = 8000;

/** Returns the next n samples each time it is called. */
export type SampleGenerator = (n: number) => Int16Array;

const TWO_PI = 2 * Math.PI;

function clamp16(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** Sum of sines, each of `amplitude` (peak, linear 16-bit), with continuous phase. */
function sumOfSines(freqs: readonly number[], amplitude: number): SampleGenerator {
  for (const f of freqs) {
    if (!(f > 0 && f < SAMPLE_RATE / 2)) throw new RangeError(`tone frequency ${f} Hz outside (0, 4000)`);
  }
  const steps = freqs.map((f) => (TWO_PI * f) / SAMPLE_RATE);
  const phases = freqs.map(() => 0);
  return (n: number) => {
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let k = 0; k < steps.length; k++) x += Math.sin(phases[k]!);
      out[i] = clamp16(x * amplitude);
      for (let k = 0; k < steps.length; k++) {
        // Wrap the phase so it never loses precision over hours of dial tone.
        const p = phases[k]! + steps[k]!;
        phases[k] = p >= TWO_PI ? p - TWO_PI : p;
      }
    }
    return out;
  };
}

/** A sine at freqHz; amplitude is the peak value (8000 ≈ -12 dBm0 in G.711 terms). */
export function sine(freqHz: number, amplitude = 8000): SampleGenerator {
  return sumOfSines([freqHz], amplitude);
}

/**
 * Two sines added; `amplitude` is the peak of EACH component, so the sum peaks at
 * twice it (the default stays clear of clipping).
 */
export function dualTone(f1: number, f2: number, amplitude = 8000): SampleGenerator {
  return sumOfSines([f1, f2], amplitude);
}

/** Frequencies (one, or two mixed) and a cadence: on/off durations in ms, repeating. */
export interface ToneSpec {
  readonly freqs: readonly number[];
  /** Alternating on, off, on, off… in ms, repeated; empty means continuous. */
  readonly cadence: readonly number[];
}

export type ToneName = 'dial' | 'busy' | 'ringback' | 'congestion';

export interface ToneProfile {
  readonly country: string;
  readonly dial: ToneSpec;
  readonly busy: ToneSpec;
  readonly ringback: ToneSpec;
  readonly congestion: ToneSpec;
  /** Ring cadence for the bell (on/off ms, repeating); the board makes the ring voltage. */
  readonly ring: readonly number[];
}

const tone = (freqs: number[], cadence: number[] = []): ToneSpec => ({ freqs, cadence });

/**
 * National tone plans, as listed in ITU-T E.180 Supplement 2 and ETSI TR 101 041:
 * - cn: YD/T 1103 / GB 3380 (450 Hz everywhere);
 * - us: ANSI T1.401 / Bellcore precise tones (local reorder 250/250);
 * - gb: BT SIN 350 (ringback and ring double-pulse 400/200/400/2000; "equipment
 *   engaged" congestion 400/350/225/525);
 * - de: FTZ 1 TR 110 (425 Hz everywhere).
 */
export const TONE_PROFILES = {
  cn: {
    country: 'cn',
    dial: tone([450]),
    busy: tone([450], [350, 350]),
    ringback: tone([450], [1000, 4000]),
    congestion: tone([450], [700, 700]),
    ring: [1000, 4000],
  },
  us: {
    country: 'us',
    dial: tone([350, 440]),
    busy: tone([480, 620], [500, 500]),
    ringback: tone([440, 480], [2000, 4000]),
    congestion: tone([480, 620], [250, 250]),
    ring: [2000, 4000],
  },
  gb: {
    country: 'gb',
    dial: tone([350, 440]),
    busy: tone([400], [375, 375]),
    ringback: tone([400, 450], [400, 200, 400, 2000]),
    congestion: tone([400], [400, 350, 225, 525]),
    ring: [400, 200, 400, 2000],
  },
  de: {
    country: 'de',
    dial: tone([425]),
    busy: tone([425], [480, 480]),
    ringback: tone([425], [1000, 4000]),
    congestion: tone([425], [240, 240]),
    ring: [1000, 4000],
  },
} as const satisfies Record<string, ToneProfile>;

export type CountryCode = keyof typeof TONE_PROFILES;

/**
 * A generator for one tone of a profile, honouring its cadence: the tone during the
 * "on" parts, silence (zeros) during the "off" parts, in a loop. The cadence position
 * carries over between calls, so frames can be any size.
 */
export function toneSamples(profile: ToneProfile | CountryCode, name: ToneName, amplitude = 8000): SampleGenerator {
  const plan: ToneProfile = typeof profile === 'string' ? TONE_PROFILES[profile] : profile;
  const spec = plan[name];
  const wave = sumOfSines(spec.freqs, amplitude);
  if (spec.cadence.length === 0) return wave;
  if (spec.cadence.length % 2 !== 0 || spec.cadence.some((ms) => !(ms > 0))) {
    throw new RangeError(`cadence must be on/off pairs of positive ms: ${spec.cadence.join('/')}`);
  }
  const segments = spec.cadence.map((ms) => Math.round((ms * SAMPLE_RATE) / 1000));
  let segment = 0;
  let leftInSegment = segments[0]!;
  return (n: number) => {
    const out = new Int16Array(n);
    let filled = 0;
    while (filled < n) {
      const take = Math.min(leftInSegment, n - filled);
      if (segment % 2 === 0) out.set(wave(take), filled); // even segments are "on"
      filled += take;
      leftInSegment -= take;
      if (leftInSegment === 0) {
        segment = (segment + 1) % segments.length;
        leftInSegment = segments[segment]!;
      }
    }
    return out;
  };
}
