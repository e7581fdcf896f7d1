import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStep } from './simulate-command';
import { playOnce, readWavPcm, WavError } from './wav-file';

function wav(samples: number[], opts: { rate?: number; channels?: number; bits?: number } = {}): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, 2 * i));
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0);
  fmt.writeUInt16LE(opts.channels ?? 1, 2);
  fmt.writeUInt32LE(opts.rate ?? 8000, 4);
  fmt.writeUInt32LE((opts.rate ?? 8000) * 2, 8);
  fmt.writeUInt16LE(2, 12);
  fmt.writeUInt16LE(opts.bits ?? 16, 14);
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('LIST', Buffer.from('odd')), chunk('fmt ', fmt), chunk('data', data)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('WAV files for the simulated phones', () => {
  test('16-bit mono 8 kHz PCM is read, past other (odd-sized) chunks, and played once then silence', () => {
    const pcm = readWavPcm(wav([1, -2, 32767, -32768]));
    assert.deepEqual([...pcm], [1, -2, 32767, -32768]);
    const gen = playOnce(pcm);
    assert.deepEqual([...gen(3)], [1, -2, 32767]);
    assert.deepEqual([...gen(3)], [-32768, 0, 0]);
  });

  test('other formats are refused with what the file is', () => {
    assert.throws(() => readWavPcm(wav([0], { rate: 44100 })), (e: unknown) => e instanceof WavError && /44100 Hz/.test(e.message));
    assert.throws(() => readWavPcm(wav([0], { channels: 2 })), /2 channel/);
    assert.throws(() => readWavPcm(Buffer.from('not a wav file at all')), /not a WAV file/);
  });

  test('the simulator script plays a file on a line', () => {
    assert.deepEqual(parseStep('play 2 /tmp/hello.wav', 4), { step: { kind: 'play', line: 2, file: '/tmp/hello.wav' } });
    assert.match(parseStep('play 5 x.wav', 4).problem ?? '', /the line must be an integer in 1..4/);
    assert.match(parseStep('play 1', 4).problem ?? '', /takes 2 arguments/);
  });
});
