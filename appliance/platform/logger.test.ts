import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('secrets are censored wherever they sit in a log entry', () => {
  const { stream, lines } = capture();
  const log = createLogger('info', stream);
  log.info(
    {
      password: 'hunter2',
      account: { secret: 's3cret', name: '100' },
      headers: { authorization: 'Digest username="100", response="abc"', 'proxy-authorization': 'Digest x' },
      response: '6629fae49393a05397450978507c4ef1',
    },
    'something happened',
  );
  const [entry] = lines();
  const text = JSON.stringify(entry);
  for (const secret of ['hunter2', 's3cret', 'Digest', '6629fae4']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.equal((entry!.account as Record<string, unknown>).name, '100', 'non-secret fields survive');
  assert.equal(entry!.msg, 'something happened');
});

test('lines are JSON with level, time and service name', () => {
  const { stream, lines } = capture();
  createLogger('debug', stream).debug({ n: 1 }, 'x');
  const [entry] = lines();
  assert.equal(entry!.level, 20);
  assert.equal(entry!.svc, 'edgesipd');
  assert.match(String(entry!.time), /^\d{4}-\d\d-\d\dT/);
});
