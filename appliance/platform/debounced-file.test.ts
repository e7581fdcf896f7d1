import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { VirtualClock } from '../sip/testing/virtual-clock';
import { DebouncedFileWriter } from './debounced-file';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'edgesip-debounced-'));
  dirs.push(d);
  return d;
}

test('a burst of schedules costs one write, rendered when the timer fires, with the latest render', async () => {
  const file = path.join(tempDir(), 'state.json');
  const clock = new VirtualClock(0);
  const writer = new DebouncedFileWriter(file, clock, 1000);
  const rendered: string[] = [];
  for (const text of ['a', 'b', 'c']) {
    writer.schedule(() => {
      rendered.push(text);
      return text;
    });
    clock.advance(100);
  }
  assert.equal(clock.pending(), 1, 'one timer for the burst');
  assert.equal(fs.existsSync(file), false, 'nothing before the delay');
  clock.advance(700);
  await writer.flush();
  assert.deepEqual(rendered, ['c']);
  assert.equal(fs.readFileSync(file, 'utf8'), 'c');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['state.json'], 'no temp files left');
});

test('flush() writes a pending save at once and cancels the timer; with nothing pending it writes nothing', async () => {
  const file = path.join(tempDir(), 'state.json');
  const clock = new VirtualClock(0);
  const writer = new DebouncedFileWriter(file, clock, 60_000);
  let calls = 0;
  writer.schedule(() => `${++calls}`);
  await writer.flush();
  assert.equal(clock.pending(), 0);
  assert.equal(fs.readFileSync(file, 'utf8'), '1');
  await writer.flush();
  clock.advance(60_000);
  assert.equal(calls, 1);
});

test('a failed background save goes to onError and lastError; flush() rejects with its own failure', async () => {
  const file = path.join(tempDir(), 'missing', 'state.json');
  const clock = new VirtualClock(0);
  const errors: unknown[] = [];
  const writer = new DebouncedFileWriter(file, clock, 10, (err) => errors.push(err));
  writer.schedule(() => 'x');
  clock.advance(10);
  await writer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
  assert.equal(writer.lastError, errors[0]);
  writer.schedule(() => 'y');
  await assert.rejects(writer.flush(), { code: 'ENOENT' });
  assert.equal(errors.length, 1, 'a flush failure is not reported to onError');

  fs.mkdirSync(path.dirname(file));
  writer.schedule(() => 'z');
  clock.advance(10);
  await writer.flush();
  assert.equal(writer.lastError, undefined, 'cleared by the next successful write');
  assert.equal(fs.readFileSync(file, 'utf8'), 'z');
});

test('a render that throws is reported like a failed write', async () => {
  const file = path.join(tempDir(), 'state.json');
  const clock = new VirtualClock(0);
  const errors: unknown[] = [];
  const writer = new DebouncedFileWriter(file, clock, 10, (err) => errors.push(err));
  const boom = new Error('boom');
  writer.schedule(() => {
    throw boom;
  });
  clock.advance(10);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(errors, [boom]);
  assert.equal(fs.existsSync(file), false);
});
