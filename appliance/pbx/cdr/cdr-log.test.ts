import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { CdrLog, MAX_BUFFERED, type CdrLogOptions } from './cdr-log';
import { cdrToCsv, csvField, defuseFormula, forwardedField } from './csv';
import type { CallRecord } from './record';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const DAY = 86_400_000;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edgesip-cdr-'));
let n = 0;
/** A fresh directory path (not created: the log creates it). */
function tempDir(): string {
  return path.join(root, `d${n++}`, 'cdr');
}
after(() => fs.rmSync(root, { recursive: true, force: true }));

interface Warning {
  obj: object;
  msg: string;
}

function setup(over: Partial<CdrLogOptions> = {}) {
  const clock = new VirtualClock(T0);
  const warnings: Warning[] = [];
  const dir = over.dir ?? tempDir();
  const log = new CdrLog({ dir, clock, retentionDays: 90, logger: { warn: (obj, msg) => void warnings.push({ obj, msg }) }, ...over });
  return { clock, warnings, dir, log };
}

/** A call of `seconds` answered at start, from ISO `start`. */
function rec(id: string, start: string, seconds = 60, over: Partial<CallRecord> = {}): CallRecord {
  const s = Date.parse(start);
  return {
    id,
    callId: `${id}@192.0.2.10`,
    caller: '1001',
    callee: '1002',
    answeredBy: '1002',
    forwarded: [],
    route: 'local',
    start: new Date(s).toISOString(),
    answer: new Date(s + 1000).toISOString(),
    end: new Date(s + 1000 + seconds * 1000).toISOString(),
    durationSeconds: seconds,
    disposition: 'answered',
    sipCode: 200,
    endedBy: 'caller',
    ...over,
  };
}

const ids = (records: CallRecord[]): string[] => records.map((r) => r.id);
const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe('CdrLog', () => {
  it('buffers appends, writes them on the timer, and queries them back', async () => {
    const { clock, dir, log } = setup();
    const a = rec('a', '2026-11-26T09:00:00Z');
    const b = rec('b', '2026-11-26T09:30:00Z', 0, { answer: undefined, answeredBy: undefined, disposition: 'busy', sipCode: 486, endedBy: 'callee' });
    log.append(b);
    log.append(a);
    assert.equal(fs.existsSync(dir), false, 'nothing written before the interval');
    assert.deepEqual(ids(log.query()), ['a', 'b'], 'buffered records are visible, sorted by start');

    clock.advance(999);
    assert.equal(fs.existsSync(dir), false);
    clock.advance(1);
    await log.flush(); // waits for the write the timer started
    assert.equal(log.pending(), 0);
    const file = path.join(dir, '2026-11-26.jsonl');
    assert.deepEqual(lines(file).map((l) => (JSON.parse(l) as CallRecord).id), ['b', 'a'], 'one line each, in append order');
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o750);
    assert.deepEqual(log.query(), [a, JSON.parse(JSON.stringify(b)) as CallRecord]);

    // A new log on the same directory (a restart) reads the same.
    const again = new CdrLog({ dir, clock, retentionDays: 90 });
    assert.deepEqual(ids(again.query()), ['a', 'b']);
    await again.close();
    await log.close();
    assert.equal(clock.pending(), 0, 'close stops every timer');
  });

  it('one write per interval for a burst of calls', async () => {
    const { clock, dir, log } = setup({ flushIntervalMs: 500 });
    for (let i = 0; i < 5; i++) log.append(rec(`c${i}`, `2026-11-26T09:0${i}:00Z`));
    assert.equal(clock.pending(), 2, 'one flush timer (and the daily retention timer)');
    clock.advance(500);
    await log.flush();
    assert.equal(lines(path.join(dir, '2026-11-26.jsonl')).length, 5);
    log.append(rec('c5', '2026-11-26T09:10:00Z'));
    await log.close();
    assert.equal(lines(path.join(dir, '2026-11-26.jsonl')).length, 6, 'close flushes');
  });

  it('files a call under the UTC date of its end; since/until select by start', async () => {
    const { log, dir } = setup();
    // Starts before midnight, ends after: in the next day's file.
    const late = rec('late', '2026-11-25T23:59:00Z', 180);
    const early = rec('early', '2026-11-25T08:00:00Z');
    const next = rec('next', '2026-11-26T00:30:00Z');
    const third = rec('third', '2026-11-27T12:00:00Z');
    for (const r of [late, early, next, third]) log.append(r);
    await log.flush();
    assert.deepEqual(fs.readdirSync(dir).sort(), ['2026-11-25.jsonl', '2026-11-26.jsonl', '2026-11-27.jsonl']);
    assert.deepEqual(lines(path.join(dir, '2026-11-26.jsonl')).map((l) => (JSON.parse(l) as CallRecord).id), ['late', 'next']);

    const at = (iso: string): number => Date.parse(iso);
    assert.deepEqual(ids(log.query()), ['early', 'late', 'next', 'third']);
    assert.deepEqual(ids(log.query({ since: at('2026-11-25T23:59:00Z') })), ['late', 'next', 'third'], 'since is inclusive');
    assert.deepEqual(ids(log.query({ since: at('2026-11-26T00:00:00Z') })), ['next', 'third']);
    assert.deepEqual(ids(log.query({ until: at('2026-11-26T00:30:00Z') })), ['early', 'late'], 'until is exclusive');
    assert.deepEqual(ids(log.query({ since: at('2026-11-25T00:00:00Z'), until: at('2026-11-26T00:00:00Z') })), ['early', 'late'], 'a call is in the day it started');
    assert.deepEqual(ids(log.query({ since: at('2026-11-28T00:00:00Z') })), []);
    await log.close();
  });

  it('limit keeps the most recent calls, also across files', async () => {
    const { log } = setup();
    for (let d = 0; d < 5; d++) {
      for (let h = 0; h < 3; h++) log.append(rec(`d${d}h${h}`, new Date(Date.parse('2026-11-20T08:00:00Z') + d * DAY + h * 3_600_000).toISOString()));
    }
    await log.flush();
    // A long call that started early but ended on the last day.
    log.append(rec('long', '2026-11-20T07:00:00Z', 5 * 86_400));
    await log.flush();
    assert.deepEqual(ids(log.query({ limit: 4 })), ['d3h2', 'd4h0', 'd4h1', 'd4h2']);
    assert.deepEqual(ids(log.query({ limit: 1 })), ['d4h2']);
    assert.equal(log.query({ limit: 100 }).length, 16);
    assert.deepEqual(ids(log.query({ limit: 16 })).slice(0, 2), ['long', 'd0h0'], 'a long call is found in the file of its end');
    assert.deepEqual(ids(log.query({ until: Date.parse('2026-11-21T00:00:00Z'), limit: 2 })), ['d0h1', 'd0h2']);
    assert.deepEqual(log.query({ limit: 0 }), []);
    await log.close();
  });

  it('skips a torn last line (one warning) and starts the next append on a fresh line', async () => {
    const { log, dir, warnings } = setup();
    const a = rec('a', '2026-11-26T08:00:00Z');
    log.append(a);
    await log.flush();
    const file = path.join(dir, '2026-11-26.jsonl');
    // A power cut in the middle of the next line, plus some garbage lines.
    fs.appendFileSync(file, 'not json\n{"id":"x"}\n[1,2]\n{"id":"torn","callId":"t@h","cal');
    assert.deepEqual(ids(log.query()), ['a']);
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.obj, { dir, skipped: 4 });

    const b = rec('b', '2026-11-26T09:00:00Z');
    log.append(b);
    await log.flush();
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith(`"cal\n${JSON.stringify(b)}\n`), 'the new record is on its own line');
    assert.deepEqual(ids(log.query()), ['a', 'b']);
    await log.close();
  });

  it('keeps the records when a write fails, retries, and logs', async () => {
    const { clock, log, dir, warnings } = setup();
    // The directory cannot be created: a file is in the way.
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.writeFileSync(dir, 'in the way');
    log.append(rec('a', '2026-11-26T08:00:00Z'));
    await assert.rejects(log.flush());
    assert.equal(log.pending(), 1);
    assert.deepEqual(ids(log.query({ since: T0 - DAY })), ['a'], 'still visible');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.msg ?? '', /cannot write call records/);

    log.append(rec('b', '2026-11-26T08:10:00Z'));
    clock.advance(1000); // the retry fails again: not logged again within the minute
    await log.flush().catch(() => undefined);
    assert.equal(warnings.length, 1);
    assert.equal(log.pending(), 2);

    fs.rmSync(dir);
    clock.advance(1000);
    await log.flush();
    assert.equal(log.pending(), 0);
    assert.deepEqual(lines(path.join(dir, '2026-11-26.jsonl')).map((l) => (JSON.parse(l) as CallRecord).id), ['a', 'b'], 'in append order');
    assert.match(warnings.at(-1)?.msg ?? '', /works again/);
    await log.close();
  });

  it(`keeps at most ${MAX_BUFFERED} records while the disk refuses them, dropping the oldest`, async () => {
    const { log, dir, warnings } = setup();
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.writeFileSync(dir, 'in the way');
    const start = Date.parse('2026-11-26T00:00:00Z');
    for (let i = 0; i < MAX_BUFFERED + 5; i++) log.append(rec(`r${i}`, new Date(start + i * 1000).toISOString(), 1));
    assert.equal(log.pending(), MAX_BUFFERED);
    await assert.rejects(log.flush());
    assert.ok(warnings.some((w) => /oldest were dropped/.test(w.msg) && (w.obj as { dropped: number }).dropped === 5));
    assert.equal(log.query({ limit: 1 })[0]?.id, `r${MAX_BUFFERED + 4}`);
    assert.equal(log.query({ limit: MAX_BUFFERED + 100 })[0]?.id, 'r5');
    fs.rmSync(dir);
    await log.close();
  });

  it('deletes files older than the retention at start, daily, and when it changes', async () => {
    const dir = tempDir();
    fs.mkdirSync(dir, { recursive: true });
    // Today is 2026-11-26; with 30 days, 2026-10-27 is the oldest date kept.
    for (const date of ['2026-10-01', '2026-10-26', '2026-10-27', '2026-11-25', '2026-11-26']) {
      fs.writeFileSync(path.join(dir, `${date}.jsonl`), `${JSON.stringify(rec(date, `${date}T08:00:00Z`))}\n`);
    }
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    const { clock, log } = setup({ dir, retentionDays: 30 });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['2026-10-27.jsonl', '2026-11-25.jsonl', '2026-11-26.jsonl', 'notes.txt']);

    // Just after the next midnight (UTC) the daily pass drops 2026-10-27.
    clock.advanceTo(Date.parse('2026-11-27T00:00:59Z'));
    assert.ok(fs.existsSync(path.join(dir, '2026-10-27.jsonl')));
    clock.advanceTo(Date.parse('2026-11-27T00:01:00Z'));
    assert.equal(fs.existsSync(path.join(dir, '2026-10-27.jsonl')), false);
    clock.advance(DAY); // and again a day later (nothing more to delete)
    assert.deepEqual(fs.readdirSync(dir).sort(), ['2026-11-25.jsonl', '2026-11-26.jsonl', 'notes.txt']);

    log.setRetentionDays(1); // now 2026-11-28: keeps 2026-11-27 onwards
    assert.deepEqual(fs.readdirSync(dir).sort(), ['notes.txt']);
    assert.throws(() => log.setRetentionDays(0), RangeError);
    assert.throws(() => new CdrLog({ dir, clock, retentionDays: 1.5 }), RangeError);
    await log.close();
    assert.equal(clock.pending(), 0);
  });

  it('reports a record only once when a retry wrote it twice', async () => {
    const { log, dir } = setup();
    const a = rec('a', '2026-11-26T08:00:00Z');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '2026-11-26.jsonl'), `${JSON.stringify(a)}\n${JSON.stringify(a)}\n`);
    assert.deepEqual(log.query(), [a]);
    await log.close();
  });

  it('files a record without a valid end under today, with a warning', async () => {
    const { log, dir, warnings } = setup();
    log.append(rec('odd', '2026-11-20T08:00:00Z', 60, { end: 'garbage' }));
    await log.flush();
    assert.deepEqual(fs.readdirSync(dir), ['2026-11-26.jsonl']);
    assert.match(warnings[0]?.msg ?? '', /without a valid end/);
    await log.close();
  });
});

describe('cdrToCsv', () => {
  it('writes the header and one CRLF row per record', () => {
    const r = rec('c1', '2026-11-26T08:00:00Z', 61, {
      callerName: 'Front desk',
      callee: '1002',
      answeredBy: '1003',
      forwarded: [
        { from: '1002', to: '1004', reason: 'busy' },
        { from: '1004', to: '1003', reason: 'no-answer' },
      ],
    });
    const missed = rec('c2', '2026-11-26T09:00:00Z', 0, { answer: undefined, answeredBy: undefined, disposition: 'no-answer', sipCode: 480, endedBy: undefined });
    assert.equal(
      cdrToCsv([r, missed]),
      'id,call_id,caller,caller_name,callee,answered_by,forwarded,route,start,answer,end,duration_s,disposition,sip_code,ended_by\r\n' +
        'c1,c1@192.0.2.10,1001,Front desk,1002,1003,1002>1004:busy;1004>1003:no-answer,local,2026-11-26T08:00:00.000Z,2026-11-26T08:00:01.000Z,2026-11-26T08:01:02.000Z,61,answered,200,caller\r\n' +
        'c2,c2@192.0.2.10,1001,,1002,,,local,2026-11-26T09:00:00.000Z,,2026-11-26T09:00:01.000Z,0,no-answer,480,\r\n',
    );
    assert.equal(cdrToCsv([]), 'id,call_id,caller,caller_name,callee,answered_by,forwarded,route,start,answer,end,duration_s,disposition,sip_code,ended_by\r\n');
    assert.equal(forwardedField([]), '');
  });

  it('quotes fields with commas, quotes and line ends (RFC 4180)', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('Smith, John'), '"Smith, John"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField('张三'), '张三');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(486), '486');
    const csv = cdrToCsv([rec('q', '2026-11-26T08:00:00Z', 1, { callerName: 'Lee, "Boss"' })]);
    assert.match(csv, /,1001,"Lee, ""Boss""",1002,/);
  });

  it('defuses spreadsheet formulas but leaves phone numbers alone', () => {
    for (const [input, output] of [
      ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['+cmd', "'+cmd"],
      ['-cmd', "'-cmd"],
      ['+ 1', "'+ 1"],
      ['-1+cmd|\' /C calc\'!A0', "'-1+cmd|' /C calc'!A0"],
      ['\tx', "'\tx"],
      ['+4930123456', '+4930123456'],
      ['+49 (30) 123-456', '+49 (30) 123-456'],
      ['-1', '-1'],
      ['1001', '1001'],
      ['a=b', 'a=b'],
      ['', ''],
    ] as const) {
      assert.equal(defuseFormula(input), output, input);
    }
    // Defused, then quoted when needed.
    assert.equal(csvField('=1,2'), `"'=1,2"`);
    const csv = cdrToCsv([rec('f', '2026-11-26T08:00:00Z', 1, { callerName: '=2+5', caller: '+4930123', callId: '@evil' })]);
    assert.match(csv, /^f,'@evil,\+4930123,'=2\+5,/m);
  });
});
