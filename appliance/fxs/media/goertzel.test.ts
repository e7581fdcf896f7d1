import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from './g711';
import { detectTone, goertzelPower } from './goertzel';
import { dualTone, sine } from './tone';

/** Deterministic white noise (xorshift32), uniform in ±amplitude. */
function whiteNoise(n: number, amplitude = 8000, seed = 0x12345678): Int16Array {
  let x = seed >>> 0;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = Math.round(((x / 0xffffffff) * 2 - 1) * amplitude);
  }
  return out;
}

const concat = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('goertzelPower', () => {
  it('is about (A·N/2)² for a sine of peak A on its frequency', () => {
    const p = goertzelPower(sine(1000, 8000)(160), 1000);
    const expected = ((8000 * 160) / 2) ** 2;
    assert.ok(Math.abs(p / expected - 1) < 0.01, `${p / expected}`);
  });

  it('is ~0 one bin away (50 Hz for 160 samples)', () => {
    const p = goertzelPower(sine(1000, 8000)(160), 1050);
    assert.ok(p < 1e-3 * ((8000 * 160) / 2) ** 2);
  });
});

describe('detectTone', () => {
  const tone440 = sine(440)(480);

  it('detects 440 Hz at 440 Hz, not at 1000 Hz or 350 Hz', () => {
    assert.equal(detectTone(tone440, 440), true);
    assert.equal(detectTone(tone440, 1000), false);
    assert.equal(detectTone(tone440, 350), false);
    assert.equal(detectTone(tone440, 480), false);
  });

  it('detects in a single 20 ms frame', () => {
    assert.equal(detectTone(sine(1000)(160), 1000), true);
    assert.equal(detectTone(sine(1000)(160), 440), false);
  });

  it('does not detect white noise or silence', () => {
    const noise = whiteNoise(480);
    for (const f of [350, 440, 1000, 2000]) assert.equal(detectTone(noise, f), false, `${f} Hz`);
    assert.equal(detectTone(new Int16Array(480), 440), false);
    assert.equal(detectTone(new Int16Array(0), 440), false);
  });

  it('still detects with a frame of silence at the edges', () => {
    const silence = new Int16Array(160);
    assert.equal(detectTone(concat(silence, sine(440)(320)), 440), true);
    assert.equal(detectTone(concat(sine(440)(320), silence), 440), true);
    assert.equal(detectTone(concat(silence, sine(440)(480), silence), 440), true);
  });

  it('detects a tone in moderate noise (≈ 10 dB SNR)', () => {
    const t = sine(1000, 8000)(480);
    const noise = whiteNoise(480, 4000);
    const mixed = t.map((x, i) => x + noise[i]!);
    assert.equal(detectTone(mixed, 1000), true);
  });

  it('detects each component of a dual tone', () => {
    const s = dualTone(350, 440, 6000)(800);
    assert.equal(detectTone(s, 350), true);
    assert.equal(detectTone(s, 440), true);
    assert.equal(detectTone(s, 620), false);
  });

  it('still detects after a µ-law and an A-law round trip', () => {
    for (const amplitude of [500, 8000, 30000]) {
      const mu = decodeMuLaw(encodeMuLaw(sine(440, amplitude)(480)));
      const a = decodeALaw(encodeALaw(sine(440, amplitude)(480)));
      assert.equal(detectTone(mu, 440), true, `µ-law ${amplitude}`);
      assert.equal(detectTone(a, 440), true, `A-law ${amplitude}`);
      assert.equal(detectTone(mu, 1000), false);
      assert.equal(detectTone(a, 1000), false);
    }
    const mu = decodeMuLaw(encodeMuLaw(sine(1000)(160)));
    assert.equal(detectTone(mu, 1000), true);
    // G.711 silence decodes to 0 (µ-law) or ±8 (A-law): still silence.
    assert.equal(detectTone(decodeALaw(encodeALaw(new Int16Array(480))), 440), false);
  });
});
