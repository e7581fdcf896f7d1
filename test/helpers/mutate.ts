/**
 * Seeded mutations of SIP messages for the network fuzz tests. The same seed gives the
 * same sequence, so a failure can be replayed with FUZZ_SEED.
 */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** mulberry32: small, fast, good enough to pick mutations. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const INTERESTING = ['\r\n', '\r\n\r\n', ':', ';', ',', '"', '<', '>', '\\', '%', '\x00', ' ', '\t', 'SIP/2.0', 'Content-Length: ', '-1', '99999999999', 'z9hG4bK'];

/** One random mutation (sometimes several stacked) of `input`. */
export function mutate(input: Buffer, rng: Prng, corpus: readonly Buffer[]): Buffer {
  let out = input;
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) out = mutateOnce(out, rng, corpus);
  return out;
}

function mutateOnce(b: Buffer, rng: Prng, corpus: readonly Buffer[]): Buffer {
  const at = b.length === 0 ? 0 : rng.int(b.length);
  switch (rng.int(9)) {
    case 0: {
      const c = Buffer.from(b);
      if (c.length) c[at] = rng.int(256);
      return c;
    }
    case 1:
      return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(INTERESTING), 'latin1'), b.subarray(at)]);
    case 2:
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(32)))]);
    case 3:
      return b.subarray(0, at); // truncated
    case 4: {
      // duplicate a line
      const text = b.toString('latin1').split('\r\n');
      const i = rng.int(text.length);
      text.splice(i, 0, text[i]!);
      return Buffer.from(text.join('\r\n'), 'latin1');
    }
    case 5: {
      // drop a line
      const text = b.toString('latin1').split('\r\n');
      text.splice(rng.int(text.length), 1);
      return Buffer.from(text.join('\r\n'), 'latin1');
    }
    case 6:
      // splice with another message
      return Buffer.concat([b.subarray(0, at), rng.pick(corpus).subarray(rng.int(64))]);
    case 7: {
      // random Content-Length
      const v = rng.pick(['0', '1', '-5', '4294967296', String(rng.int(100000)), 'abc', '']);
      return Buffer.from(b.toString('latin1').replace(/^(Content-Length|l)[ \t]*:.*$/im, `Content-Length: ${v}`), 'latin1');
    }
    default: {
      // a long run of one byte (limits)
      const run = Buffer.alloc(1 + rng.int(70000), rng.pick([0x61, 0x20, 0x3b, 0x0d]));
      return Buffer.concat([b.subarray(0, at), run, b.subarray(at)]);
    }
  }
}
