import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SAMPLE_RATE, TONE_PROFILES, dualTone, sine, toneSamples, type ToneName } from './tone';

/** Sign changes from negative to non-negative: one per period of a pure sine. */
function upwardCrossings(s: Int16Array): number {
  let n = 0;
  for (let i = 1; i < s.length; i++) if (s[i - 1]! < 0 && s[i]! >= 0) n++;
  return n;
}

const peak = (s: Int16Array) => s.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** Lengths of the runs of sound / silence (a run of silence: ≥ 8 zeros in a row). */
function runs(s: Int16Array): Array<['on' | 'off', number]> {
  const out: Array<['on' | 'off', number]> = [];
  let i = 0;
  while (i < s.length) {
    let j = i;
    const isOff = (k: number) => s.slice(k, k + 8).every((x) => x === 0) && k + 8 <= s.length;
    const off = isOff(i);
    while (j < s.length && (off ? s[j] === 0 : !isOff(j))) j++;
    out.push([off ? 'off' : 'on', j - i]);
    i = j;
  }
  return out;
}

describe('sine', () => {
  it('produces the asked frequency and amplitude', () => {
    const s = sine(1000, 8000)(SAMPLE_RATE); // one second
    assert.ok(Math.abs(upwardCrossings(s) - 1000) <= 1);
    assert.ok(peak(s) >= 7990 && peak(s) <= 8000);
  });

  it('keeps its phase across calls (frames join without a click)', () => {
    const whole = sine(440)(480);
    const gen = sine(440);
    const parts = [gen(160), gen(100), gen(220)];
    const joined = new Int16Array(480);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    assert.deepEqual([...joined], [...whole]);
  });

  it('refuses frequencies outside (0, 4000) Hz', () => {
    assert.throws(() => sine(0), RangeError);
    assert.throws(() => sine(4000), RangeError);
  });
});

describe('dualTone', () => {
  it('adds two components of the given amplitude each', () => {
    const s = dualTone(350, 440, 6000)(SAMPLE_RATE);
    assert.ok(peak(s) > 11000 && peak(s) <= 12000, `peak ${peak(s)}`);
  });
});

describe('TONE_PROFILES', () => {
  it('has the four plans with their national values', () => {
    assert.deepEqual(TONE_PROFILES.cn.busy, { freqs: [450], cadence: [350, 350] });
    assert.deepEqual(TONE_PROFILES.cn.ringback, { freqs: [450], cadence: [1000, 4000] });
    assert.deepEqual(TONE_PROFILES.us.dial, { freqs: [350, 440], cadence: [] });
    assert.deepEqual(TONE_PROFILES.us.congestion, { freqs: [480, 620], cadence: [250, 250] });
    assert.deepEqual(TONE_PROFILES.gb.ring, [400, 200, 400, 2000]);
    assert.deepEqual(TONE_PROFILES.de.busy, { freqs: [425], cadence: [480, 480] });
    for (const p of Object.values(TONE_PROFILES)) {
      for (const name of ['dial', 'busy', 'ringback', 'congestion'] as ToneName[]) {
        assert.equal(p[name].cadence.length % 2, 0, `${p.country} ${name}`);
      }
      assert.equal(p.ring.length % 2, 0);
    }
  });
});

describe('toneSamples', () => {
  it('plays dial tone continuously', () => {
    const gen = toneSamples('cn', 'dial');
    const s = gen(SAMPLE_RATE);
    assert.deepEqual(runs(s), [['on', SAMPLE_RATE]]);
    assert.ok(Math.abs(upwardCrossings(s) - 450) <= 1);
  });

  it('honours the busy cadence (cn 350/350) across 20 ms frames', () => {
    const gen = toneSamples(TONE_PROFILES.cn, 'busy');
    const s = new Int16Array(160 * 70); // 1.4 s in 20 ms frames
    for (let f = 0; f < 70; f++) s.set(gen(160), f * 160);
    const r = runs(s);
    assert.deepEqual(r.map(([kind]) => kind), ['on', 'off', 'on', 'off']);
    // 350 ms = 2800 samples; a run of sound may end on a few samples of the sine that
    // round to 0, so allow a handful of samples of slack.
    for (const [, len] of r) assert.ok(Math.abs(len - 2800) <= 4, `${len}`);
  });

  it('honours a four-part cadence (gb ringback 400/200/400/2000)', () => {
    const s = toneSamples('gb', 'ringback')(3000 * 8 + 400 * 8);
    const r = runs(s);
    assert.deepEqual(r.map(([kind]) => kind), ['on', 'off', 'on', 'off', 'on']);
    const lens = r.map(([, len]) => len / 8);
    [400, 200, 400, 2000, 400].forEach((ms, i) => assert.ok(Math.abs(lens[i]! - ms) <= 1, `${lens}`));
  });
});
