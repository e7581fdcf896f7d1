/**
 * RFC 4475 over the wire: every torture message is sent to a running edgesipd over
 * UDP and over TCP, and the server must behave as ../shared/sip-torture/index.tsv
 * prescribes — and keep serving after each one.
 *
 * Responses to UDP requests follow the top Via (RFC 3261 §18.2.2): to the source
 * address, at the sent-by port or 5060. The corpus names ports 5060 and 5050, so this
 * test binds both on 127.0.0.1. test/run.sh runs it inside a private network
 * namespace, where those ports are free and nothing leaves the machine.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { tortureDir } from '../helpers/paths';
import { headerOf, optionsRequest, statusOf, streamPeer, type Peer } from '../helpers/sip-peer';

interface Row {
  file: string;
  expect: string[];
  expectTcp: string[];
}

function loadIndex(): Row[] {
  const lines = readFileSync(join(tortureDir(), 'index.tsv'), 'utf8').trim().split('\n');
  const head = lines.shift()!.split('\t');
  const col = (name: string) => head.indexOf(name);
  return lines.map((line) => {
    const cells = line.split('\t');
    return { file: cells[col('file')]!, expect: cells[col('expect')]!.split('|'), expectTcp: cells[col('expect_tcp')]!.split('|') };
  });
}

interface Outcome {
  statuses: number[];
  closed: boolean;
}

/** Does what happened match one of the alternatives of index.tsv? */
function satisfies(outcome: Outcome, alternatives: string[]): boolean {
  const finals = outcome.statuses.filter((s) => s >= 200);
  return alternatives.some((alt) => {
    switch (alt) {
      case 'accept':
        return outcome.statuses.length > 0 && !finals.includes(400);
      case 'drop':
        return outcome.statuses.length === 0 && !outcome.closed;
      case 'closed':
        return outcome.closed;
      default:
        return finals.includes(Number(alt));
    }
  });
}

function callIdOf(bytes: Buffer): string | undefined {
  return headerOf(bytes, '(?:Call-ID|i)');
}

function branchOf(bytes: Buffer): string | undefined {
  return /branch=([^;,\s]+)/i.exec(headerOf(bytes, '(?:Via|v)') ?? '')?.[1];
}

describe('RFC 4475 torture messages against a running edgesipd', () => {
  const rows = loadIndex();
  let d: RunningDaemon;
  // A second daemon for TCP: the UDP run leaves server transactions alive (Timer J),
  // and corpus messages that share a transaction id would match them.
  let dTcp: RunningDaemon;
  let sockets: UdpSocket[] = [];
  const inbox: Buffer[] = [];
  let wake: (() => void) | undefined;

  before(async () => {
    assert.ok(readdirSync(tortureDir()).filter((f) => f.endsWith('.dat')).length >= 50, 'torture corpus missing');
    d = await startDaemon();
    dTcp = await startDaemon();
    for (const port of [5060, 5050]) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => resolve());
      });
      s.on('message', (m) => {
        inbox.push(m);
        wake?.();
      });
      sockets.push(s);
    }
  });
  after(async () => {
    for (const s of sockets) s.close();
    sockets = [];
    await d?.stop();
    await dTcp?.stop();
  });

  /** Send one message from 127.0.0.1:5060, then a sentinel OPTIONS; collect what came before the sentinel's answer. */
  async function exchangeUdp(bytes: Buffer): Promise<Outcome> {
    const sender = sockets[0]!;
    const ownCallId = callIdOf(bytes);
    const ownBranch = branchOf(bytes);
    sender.send(bytes, d.udpPort, '127.0.0.1');
    const sentinelPeer = { localPort: 5060, transport: 'UDP' } as Peer;
    const sentinel = optionsRequest(sentinelPeer);
    const sentinelId = callIdOf(Buffer.from(sentinel))!;
    sender.send(Buffer.from(sentinel), d.udpPort, '127.0.0.1');
    const statuses: number[] = [];
    const deadline = Date.now() + 5000;
    for (;;) {
      const m = inbox.shift();
      if (!m) {
        assert.ok(Date.now() < deadline, 'server stopped answering (sentinel OPTIONS lost)');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
        continue;
      }
      const id = callIdOf(m);
      if (id === sentinelId) {
        assert.equal(statusOf(m), 200, 'sentinel OPTIONS not answered 200');
        return { statuses, closed: false };
      }
      // Retransmissions of earlier answers (Timer G) carry earlier Call-IDs: skip them.
      // A few corpus messages reuse another's branch, sent-by and method: by §17.2.3
      // they ARE that transaction's retransmission, answered with its last response.
      if (id !== undefined && ownCallId !== undefined && id !== ownCallId && branchOf(m) !== ownBranch) continue;
      const s = statusOf(m);
      if (s !== undefined) statuses.push(s);
    }
  }

  async function exchangeTcp(bytes: Buffer): Promise<Outcome> {
    const peer = await streamPeer('TCP', dTcp.tcpPort);
    peer.send(bytes);
    const statuses: number[] = [];
    for (;;) {
      const m = await peer.next(statuses.some((s) => s >= 200) ? 300 : 1500);
      if (!m) break;
      const s = statusOf(m);
      if (s !== undefined) statuses.push(s);
    }
    const closed = await peer.closed(statuses.length > 0 ? 50 : 300);
    peer.close();
    return { statuses, closed };
  }

  for (const row of rows) {
    test(`${row.file} over UDP: ${row.expect.join('|')}`, async () => {
      const bytes = readFileSync(join(tortureDir(), row.file));
      const outcome = await exchangeUdp(bytes);
      assert.ok(satisfies(outcome, row.expect), `${row.file}: got ${JSON.stringify(outcome)}, want ${row.expect.join('|')}`);
    });
  }

  for (const row of rows) {
    test(`${row.file} over TCP: ${row.expectTcp.join('|')}`, async () => {
      const bytes = readFileSync(join(tortureDir(), row.file));
      const outcome = await exchangeTcp(bytes);
      assert.ok(satisfies(outcome, row.expectTcp), `${row.file}: got ${JSON.stringify(outcome)}, want ${row.expectTcp.join('|')}`);
      // The server keeps serving after each one.
      const check = await streamPeer('TCP', dTcp.tcpPort);
      check.send(optionsRequest(check));
      assert.equal(statusOf(await check.next()), 200);
      check.close();
    });
  }

  test('the daemon is still alive and logged every malformed message as JSON', () => {
    for (const daemon of [d, dTcp]) {
      assert.equal(daemon.child.exitCode, null);
      assert.ok(daemon.logs.some((l) => l.msg === 'sip malformed message'));
    }
  });
});
