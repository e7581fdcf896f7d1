/**
 * Audio files for the simulated phones' microphones (`play LINE FILE`): WAV with
 * 16-bit PCM, mono, 8 kHz — what `sox in.wav -r 8000 -c 1 -b 16 out.wav` makes. Other
 * formats are refused with what was found, rather than played at the wrong speed.
 */
export class WavError extends Error {
  override readonly name = 'WavError';
  readonly code = 'EDGESIP_ERR_WAV';
}

export function readWavPcm(data: Buffer): Int16Array {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') throw new WavError('not a WAV file (no RIFF/WAVE header)');
  let format: { codec: number; channels: number; rate: number; bits: number } | undefined;
  let offset = 12;
  while (offset + 8 <= data.length) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= data.length) {
      format = { codec: data.readUInt16LE(body), channels: data.readUInt16LE(body + 2), rate: data.readUInt32LE(body + 4), bits: data.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!format) throw new WavError('the data chunk comes before the fmt chunk');
      if (format.codec !== 1 || format.channels !== 1 || format.rate !== 8000 || format.bits !== 16) {
        throw new WavError(`needs 16-bit PCM, mono, 8000 Hz; this file is codec ${format.codec}, ${format.channels} channel(s), ${format.rate} Hz, ${format.bits} bits`);
      }
      const end = Math.min(data.length, body + size);
      const samples = new Int16Array(Math.floor((end - body) / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(body + 2 * i);
      return samples;
    }
    offset = body + size + (size % 2); // chunks are padded to even sizes
  }
  throw new WavError('no data chunk');
}

/** A sample generator that plays `pcm` once, then silence. */
export function playOnce(pcm: Int16Array): (n: number) => Int16Array {
  let position = 0;
  return (n) => {
    const out = new Int16Array(n);
    const take = Math.max(0, Math.min(n, pcm.length - position));
    out.set(pcm.subarray(position, position + take));
    position += take;
    return out;
  };
}
