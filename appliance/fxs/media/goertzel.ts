/**
 * Single-frequency energy measurement (the Goertzel algorithm) and a tone detector on
 * top of it, used to check call-progress tones and audio paths (tests, line self-test).
 *
 * The detector compares the energy at the asked frequency with two references:
 * - the block's total energy: a pure sine puts all of it at one frequency, so the
 *   normalised Goertzel power is ~1; noise spreads it (~2/N); a dual tone gives ~0.5
 *   to each component; silence at the block's edges lowers it in proportion;
 * - the frequencies 100 Hz either side: a tone at a neighbouring frequency leaks into
 *   the asked bin (the rectangular window's main lobe is 2·fs/N wide), but then its
 *   own neighbour is stronger still.
 */

export const DEFAULT_SAMPLE_RATE = 8000;

/**
 * Squared magnitude of the block's DFT at freqHz (non-integer bins allowed). For a sine
 * of peak A over N samples this is about (A·N/2)².
 */
export function goertzelPower(samples: Int16Array, freqHz: number, sampleRate = DEFAULT_SAMPLE_RATE): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

export interface DetectOptions {
  sampleRate?: number;
  /** Share of the block's energy that must sit at freqHz (1 = a pure, full-length sine). */
  minShare?: number;
  /** How much stronger freqHz must be than freqHz ± 100 Hz (power ratio; 4 = 6 dB). */
  minNeighbourRatio?: number;
  /** Below this RMS (16-bit linear) the block counts as silence: nothing is detected. */
  minRms?: number;
}

/**
 * True when the energy at freqHz clearly dominates the block: at least `minShare`
 * (default 0.3) of the block's energy, 6 dB above ±100 Hz, and above a silence floor
 * (RMS 30 ≈ -60 dBm0, well under G.711's quantisation of real tones).
 *
 * 0.3 leaves room for a tone that fills two thirds of the block (a frame of silence at
 * an edge of three) and for each half of a dual tone (~0.5 each), while white noise
 * stays near 2/N.
 */
export function detectTone(samples: Int16Array, freqHz: number, options: DetectOptions = {}): boolean {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const minShare = options.minShare ?? 0.3;
  const minNeighbourRatio = options.minNeighbourRatio ?? 4;
  const minRms = options.minRms ?? 30;
  const n = samples.length;
  if (n === 0) return false;
  let energy = 0;
  for (let i = 0; i < n; i++) energy += samples[i]! * samples[i]!;
  if (Math.sqrt(energy / n) < minRms) return false;

  const power = goertzelPower(samples, freqHz, sampleRate);
  // Parseval: a sine holding all the energy E gives power ≈ N·E/2.
  if ((2 * power) / (n * energy) < minShare) return false;

  for (const neighbour of [freqHz - 100, freqHz + 100]) {
    if (neighbour <= 0 || neighbour >= sampleRate / 2) continue;
    if (power < minNeighbourRatio * goertzelPower(samples, neighbour, sampleRate)) return false;
  }
  return true;
}
