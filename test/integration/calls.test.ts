/**
 * Calls through the real daemon between SIPp phones registered as extensions (UDP on
 * loopback): 100 plain calls with their call records, every kind of forwarding with the
 * caller's 181 notices checked byte for byte, a forwarding loop, CANCEL, BYE from the
 * callee, and hold/resume by re-INVITE.
 *
 * Extensions: 201 calls (SIPp UAC); 202, 203, 204 are phones registered once from
 * their own ports; 205 is never registered (unavailable).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../../appliance/config/schema';
import type { ActiveCallView, CallRecord } from '../../appliance/pbx/cdr/record';
import { startDaemon, type RunningDaemon } from '../helpers/daemon';
import { cli, cliAsync } from '../helpers/registering';
import { headerValues, registerWithSipp, runSipp, startLines, tracedMessages, type SippOptions } from '../helpers/sipp';

const password = (n: string) => `call-test-${n}-secret`;
/** Ports of this run (random base: another suite may hold fixed ones). */
const BASE = 21000 + Math.floor(Math.random() * 20000);
const PORT: Record<string, number> = { '201': BASE + 1, '202': BASE + 2, '203': BASE + 3, '204': BASE + 4 };

let d: RunningDaemon;
let scratch: string;

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgesipd-calls-'));
  const config = defaultConfig();
  // SIPp 3.6 answers only the first challenge and knows only MD5.
  config.sip.digestAlgorithms = ['MD5', 'SHA-256'];
  // All phones share 127.0.0.1: the 100-call run must not look like a flood.
  config.acl.white = ['127.0.0.1'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  return dir;
}

function ext(...args: string[]): void {
  const r = cli(d.dataDir, 'ext', ...args);
  assert.equal(r.status, 0, `edgesip ext ${args.join(' ')}: ${r.stderr}`);
}

/** Reset forwarding of every extension, then apply `settings` (ext → CLI flags). */
function forwarding(settings: Record<string, string[]>): void {
  for (const n of ['202', '203', '204', '205']) {
    ext('set', n, '--forward-always', 'off', '--forward-busy', 'off', '--forward-noanswer', 'off', '--forward-unavailable', 'off', ...(settings[n] ?? []));
  }
}

function base(name: string, port: number): SippOptions {
  return { server: d.udpPort, port, dir: scratch, name };
}

/** The phone of `number` (registered from its port) runs `scenario` for `calls` calls. */
function phone(number: string, scenario: string, name: string, extra: Partial<SippOptions> = {}) {
  return runSipp(scenario, { ...base(name, PORT[number]!), ...extra });
}

/** 201 calls `target` with `scenario`. */
function caller(target: string, scenario: string, name: string, extra: Partial<SippOptions> = {}) {
  return runSipp(scenario, {
    ...base(name, PORT['201']!),
    service: target,
    auth: { user: '201', password: password('201') },
    keys: { caller: '201' },
    ...extra,
  });
}

/** The 181s the caller received, as their Call-Info values, in order. */
function forwardingNotices(trace: string): string[] {
  return tracedMessages(trace)
    .filter((m) => m.startsWith('SIP/2.0 181 '))
    .map((m) => headerValues(m, 'Call-Info')[0] ?? '(none)');
}

function finalStatuses(trace: string): string[] {
  return startLines(trace).filter((l) => /^SIP\/2\.0 [2-6]\d\d /.test(l) && !l.includes(' 407 '));
}

async function records(): Promise<CallRecord[]> {
  // The CDR log flushes once a second: give the last call's record time to land.
  await new Promise((r) => setTimeout(r, 1200));
  const r = await cliAsync(d.dataDir, 'cdr', 'list', '--json', '--limit', '100000');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as CallRecord[];
}

async function lastRecord(): Promise<CallRecord> {
  const all = await records();
  return all[all.length - 1]!;
}

describe('calls between extensions (SIPp over UDP)', { timeout: 300_000 }, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sipp-calls-'));
    d = await startDaemon({ dataDir: dataDir() });
    for (const n of ['201', '202', '203', '204', '205']) ext('add', n, '--password', password(n), '--name', `Phone ${n}`);
    for (const n of ['202', '203', '204']) registerWithSipp(d.udpPort, PORT[n]!, n, password(n), scratch);
  });
  after(async () => {
    await d?.stop();
    if (d) rmSync(d.dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('100 calls 201 → 202 all complete (INVITE, 180, 200, ACK, BYE) and leave 100 records', async () => {
    const callee = phone('202', 'call-uas.xml', 'bulk-uas', { calls: 100, timeoutSeconds: 120 });
    const calls = await caller('202', 'call-uac.xml', 'bulk-uac', { calls: 100, rate: 20, limit: 20, pauseMs: 200, timeoutSeconds: 120 });
    const answered = await callee;
    assert.equal(calls.code, 0, `caller: ${calls.ok} ok, ${calls.failed} failed\n${calls.output.slice(-2000)}`);
    assert.equal(calls.ok, 100);
    assert.equal(answered.code, 0, `callee: ${answered.ok} ok, ${answered.failed} failed`);
    assert.equal(answered.ok, 100);
    const list = (await records()).filter((r) => r.caller === '201' && r.callee === '202');
    assert.equal(list.length, 100);
    for (const r of list) {
      assert.equal(r.disposition, 'answered');
      assert.equal(r.sipCode, 200);
      assert.equal(r.answeredBy, '202');
      assert.equal(r.endedBy, 'caller');
      assert.deepEqual(r.forwarded, []);
      assert.ok(Date.parse(r.start) <= Date.parse(r.answer!) && Date.parse(r.answer!) <= Date.parse(r.end));
    }
    assert.equal(new Set(list.map((r) => r.callId)).size, 100, 'one record per call');
  });

  test('unconditional forward 202 → 203: one 181 with the exact Call-Info, 203 answers with History-Info and Diversion', async () => {
    forwarding({ '202': ['--forward-always', '203'] });
    const callee = phone('203', 'call-uas.xml', 'always-uas');
    const call = await caller('202', 'call-uac.xml', 'always-uac', { pauseMs: 100 });
    const answered = await callee;
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal(answered.code, 0);
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="202", contact="203"']);
    const invite = tracedMessages(answered.messages).find((m) => m.startsWith('INVITE '))!;
    assert.deepEqual(headerValues(invite, 'Diversion'), ['<sip:202@127.0.0.1>;reason=unconditional;counter=1;privacy=off']);
    assert.deepEqual(headerValues(invite, 'History-Info'), ['<sip:202@127.0.0.1?Reason=SIP%3Bcause%3D302>;index=1, <sip:203@127.0.0.1;cause=302>;index=1.1;mp=1']);
    const r = await lastRecord();
    assert.equal(r.disposition, 'answered');
    assert.equal(r.callee, '202');
    assert.equal(r.answeredBy, '203');
    assert.deepEqual(r.forwarded, [{ from: '202', to: '203', reason: 'unconditional' }]);
  });

  test('chain 202 → 203 → 204: two 181s in order, 204 answers', async () => {
    forwarding({ '202': ['--forward-always', '203'], '203': ['--forward-always', '204'] });
    const callee = phone('204', 'call-uas.xml', 'chain-uas');
    const call = await caller('202', 'call-uac.xml', 'chain-uac', { pauseMs: 100 });
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await callee).code, 0);
    assert.deepEqual(forwardingNotices(call.messages), [
      'purpose=forwarding, username="202", contact="203"',
      'purpose=forwarding, username="203", contact="204"',
    ]);
    assert.deepEqual((await lastRecord()).forwarded, [
      { from: '202', to: '203', reason: 'unconditional' },
      { from: '203', to: '204', reason: 'unconditional' },
    ]);
  });

  test('forward on busy: 202 answers 486, the call goes to 203', async () => {
    forwarding({ '202': ['--forward-busy', '203'] });
    const busy = phone('202', 'call-uas-busy.xml', 'busy-202');
    const callee = phone('203', 'call-uas.xml', 'busy-203');
    const call = await caller('202', 'call-uac.xml', 'busy-uac', { pauseMs: 100 });
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await busy).code, 0);
    assert.equal((await callee).code, 0);
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="202", contact="203"']);
    const r = await lastRecord();
    assert.deepEqual(r.forwarded, [{ from: '202', to: '203', reason: 'busy' }]);
    assert.equal(r.answeredBy, '203');
  });

  test('busy without forwarding: the caller gets 486 and the record says busy', async () => {
    forwarding({});
    const busy = phone('202', 'call-uas-busy.xml', 'plainbusy-202');
    const call = await caller('202', 'call-uac.xml', 'plainbusy-uac');
    assert.equal((await busy).code, 0);
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.deepEqual(finalStatuses(call.messages), ['SIP/2.0 486 Busy Here']);
    const r = await lastRecord();
    assert.equal(r.disposition, 'busy');
    assert.equal(r.sipCode, 486);
  });

  test('forward on no answer: 202 rings 5 s, is cancelled, 203 answers; the call shows in `edgesip calls` meanwhile', async () => {
    forwarding({ '202': ['--forward-noanswer', '203', '--noanswer-timeout', '5'] });
    const ringing = phone('202', 'call-uas-noanswer.xml', 'noanswer-202');
    const callee = phone('203', 'call-uas.xml', 'noanswer-203');
    const started = Date.now();
    const pending = caller('202', 'call-uac.xml', 'noanswer-uac', { pauseMs: 100 });
    await new Promise((r) => setTimeout(r, 2000));
    const active = await cliAsync(d.dataDir, 'calls', '--json');
    assert.equal(active.status, 0, active.stderr);
    const calls = JSON.parse(active.stdout) as ActiveCallView[];
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.caller, '201');
    assert.equal(calls[0]!.target, '202');
    assert.equal(calls[0]!.state, 'ringing');
    const call = await pending;
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await ringing).code, 0, 'the ringing phone was cancelled (CANCEL, 200, 487, ACK)');
    assert.equal((await callee).code, 0);
    assert.ok(Date.now() - started >= 5000, 'the no-answer timer ran its 5 s');
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="202", contact="203"']);
    assert.deepEqual((await lastRecord()).forwarded, [{ from: '202', to: '203', reason: 'no-answer' }]);
  });

  test('forward when unavailable: 205 is not registered, the call goes to 203', async () => {
    forwarding({ '205': ['--forward-unavailable', '203'] });
    const callee = phone('203', 'call-uas.xml', 'unavail-203');
    const call = await caller('205', 'call-uac.xml', 'unavail-uac', { pauseMs: 100 });
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await callee).code, 0);
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="205", contact="203"']);
    assert.deepEqual((await lastRecord()).forwarded, [{ from: '205', to: '203', reason: 'unavailable' }]);
  });

  test('unavailable without forwarding: 480', async () => {
    forwarding({});
    const call = await caller('205', 'call-uac.xml', 'unavail480-uac');
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.deepEqual(finalStatuses(call.messages), ['SIP/2.0 480 Temporarily Unavailable']);
  });

  test('a 302 from the phone is followed as a forward (deflection)', async () => {
    forwarding({});
    const redirecting = phone('202', 'call-uas-redirect.xml', 'redirect-202', { keys: { target: '203' } });
    const callee = phone('203', 'call-uas.xml', 'redirect-203');
    const call = await caller('202', 'call-uac.xml', 'redirect-uac', { pauseMs: 100 });
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await redirecting).code, 0);
    assert.equal((await callee).code, 0);
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="202", contact="203"']);
    const invite = tracedMessages((await callee).messages).find((m) => m.startsWith('INVITE '))!;
    assert.deepEqual(headerValues(invite, 'Diversion'), ['<sip:202@127.0.0.1>;reason=deflection;counter=1;privacy=off']);
  });

  test('a forwarding loop 202 → 203 → 202 is stopped with 482 and a log line', async () => {
    forwarding({ '202': ['--forward-always', '203'], '203': ['--forward-always', '202'] });
    const call = await caller('202', 'call-uac.xml', 'loop-uac');
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.deepEqual(forwardingNotices(call.messages), ['purpose=forwarding, username="202", contact="203"']);
    assert.deepEqual(finalStatuses(call.messages), ['SIP/2.0 482 Forwarding Loop Detected']);
    assert.ok(d.logs.some((l) => l.msg === 'call forwarding loop stopped'));
    const r = await lastRecord();
    assert.equal(r.disposition, 'failed');
    assert.equal(r.sipCode, 482);
  });

  test('CANCEL before the answer: 487 to the caller, the phone is cancelled, the record says cancelled', async () => {
    forwarding({});
    const ringing = phone('202', 'call-uas-noanswer.xml', 'cancel-202');
    const call = await caller('202', 'call-uac-cancel.xml', 'cancel-uac');
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await ringing).code, 0, 'the phone got CANCEL, answered 200 and 487, got its ACK');
    const r = await lastRecord();
    assert.equal(r.disposition, 'cancelled');
    assert.equal(r.sipCode, 487);
  });

  test('BYE from the callee ends the call on both sides', async () => {
    forwarding({});
    const callee = phone('202', 'call-uas-bye.xml', 'bye-202', { pauseMs: 200 });
    const call = await caller('202', 'call-uac-remote-bye.xml', 'bye-uac');
    assert.equal(call.code, 0, call.output.slice(-1500));
    assert.equal((await callee).code, 0);
    const r = await lastRecord();
    assert.equal(r.disposition, 'answered');
    assert.equal(r.endedBy, 'callee');
  });

  test('hold and resume by re-INVITE are relayed (a=sendonly, then a=sendrecv)', async () => {
    forwarding({});
    const callee = phone('202', 'call-uas-hold.xml', 'hold-202');
    const call = await caller('202', 'call-uac-hold.xml', 'hold-uac');
    assert.equal(call.code, 0, call.output.slice(-1500));
    const held = await callee;
    assert.equal(held.code, 0, held.output.slice(-1500));
    const answers = tracedMessages(call.messages).filter((m) => m.startsWith('SIP/2.0 200 ') && m.includes('application/sdp'));
    assert.equal(answers.length, 3, 'the answer, then one answer per re-INVITE');
    assert.match(answers[1]!, /a=recvonly/, 'the held phone answered recvonly, relayed unchanged');
    const r = await lastRecord();
    assert.equal(r.disposition, 'answered');
    assert.equal(r.endedBy, 'caller');
  });
});
