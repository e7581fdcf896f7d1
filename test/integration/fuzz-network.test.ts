/**
 * Network fuzz: random mutations of the RFC 4475 corpus (and of a valid OPTIONS) sent
 * to a running edgesipd over UDP and over TCP, the TCP byte stream cut at random
 * offsets. The daemon must neither crash, nor hang (a sentinel OPTIONS is answered
 * after every batch), nor grow without bound (RSS checked at the end).
 *
 * The suite runs FUZZ_COUNT messages (default 4000); `make fuzz` runs 100,000+.
 * FUZZ_SEED replays a run.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { mutate, Prng } from '../helpers/mutate';
import { tortureDir } from '../helpers/paths';
import { optionsRequest, statusOf, udpPeer, type Peer } from '../helpers/sip-peer';

const COUNT = Number(process.env.FUZZ_COUNT ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
// Declared before use in the finally below; assigned in the test.
let rssStart = 0;
let rssPeak = 0;
const BATCH = 500;

let d: RunningDaemon;
let corpus: Buffer[];

before(async () => {
  d = await startDaemon();
  const files = readdirSync(tortureDir()).filter((f) => f.endsWith('.dat'));
  assert.ok(files.length >= 50, 'torture corpus missing');
  corpus = files.map((f) => readFileSync(join(tortureDir(), f)));
});
after(async () => {
  const code = await d?.stop();
  assert.equal(code, 0, 'daemon did not stop cleanly after the fuzz run');
});

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/**
 * The daemon still answers: an OPTIONS over UDP, asked again each second (the flood
 * may overflow the socket buffer and lose a datagram), answered within 10 s.
 */
async function alive(peer: Peer): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    peer.send(optionsRequest(peer));
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      const answer = await peer.next(deadline - Date.now());
      if (answer && statusOf(answer) === 200 && answer.toString('latin1').includes('CSeq: 1 OPTIONS')) return;
    }
  }
  assert.fail(`edgesipd stopped answering (seed ${SEED}; exit ${d.child.exitCode}; last log ${JSON.stringify(d.logs.slice(-3))})`);
}

test(`fuzz: ${COUNT} mutated messages over UDP and TCP (seed ${SEED})`, async () => {
  const rng = new Prng(SEED);
  const valid = Buffer.from(optionsRequest({ localPort: 5999, transport: 'UDP' } as Peer), 'latin1');
  const seeds = [...corpus, valid];
  const peer = await udpPeer(d.udpPort);
  let tcp: Socket | undefined;
  try {
  await alive(peer);
  rssStart = rssKiB(d.child.pid!);
  rssPeak = rssStart;

  let sent = 0;
  let tcpWrites = 0;
  while (sent < COUNT) {
    const batchEnd = Math.min(COUNT, sent + BATCH);
    for (; sent < batchEnd; sent++) {
      const message = mutate(rng.pick(seeds), rng, seeds);
      if (rng.next() < 0.5) {
        peer.send(message.subarray(0, 65000));
        continue;
      }
      // TCP: the stream is cut at random offsets; every so often a new connection,
      // since a mutated Content-Length can leave one waiting for a body forever.
      if (!tcp || tcp.destroyed || tcpWrites > 20) {
        tcp?.destroy();
        tcp = connect({ host: '127.0.0.1', port: d.tcpPort });
        tcp.on('error', () => {});
        tcp.on('data', () => {});
        tcpWrites = 0;
      }
      let offset = 0;
      while (offset < message.length) {
        const size = 1 + rng.int(Math.max(1, message.length - offset));
        tcp.write(message.subarray(offset, offset + size));
        offset += size;
      }
      tcpWrites++;
    }
    await alive(peer);
    rssPeak = Math.max(rssPeak, rssKiB(d.child.pid!));
  }
  } finally {
    tcp?.destroy();
    peer.close();
  }
  const rssEnd = rssKiB(d.child.pid!);
  console.log(`fuzz: ${COUNT} messages, seed ${SEED}, RSS start ${(rssStart / 1024).toFixed(1)} MiB, peak ${(rssPeak / 1024).toFixed(1)} MiB, end ${(rssEnd / 1024).toFixed(1)} MiB`);
  assert.equal(d.child.exitCode, null, 'edgesipd died');
  // Bounded: the server keeps nothing per bad message beyond short-lived transactions.
  assert.ok(rssPeak < rssStart + 150 * 1024, `RSS grew from ${rssStart} KiB to ${rssPeak} KiB`);
});
