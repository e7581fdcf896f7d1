import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { defaultConfig, defaultForward } from '../config/schema';
import type { AdminAccountView, ServiceSettingsView } from '../control/backend';
import { startControlServer, type ControlServer } from '../control/server';
import { FakeBackend, memoryLogger, type LogEntry } from '../control/testing/fake-backend';
import { adminPasswordProblem } from '../control/validate';
import type { FxsStatus } from '../fxs/status';
import { startFxsStatusServer, type FxsStatusServer } from '../fxs/status-server';
import { cdrToCsv } from '../pbx/cdr/csv';
import { repoRoot } from '../../test/helpers/paths';
import { generatePassword, PASSWORD_ALPHABET } from '../platform/generated-password';
import type { TtyInput } from './commands/admin';
import { displayWidth, renderTable } from './commands/common';
import { runCli } from './run';

interface Run {
  code: number;
  out: string;
  err: string;
}

const EN = { LANG: 'en_US.UTF-8' };
const ZH = { LANG: 'zh_CN.UTF-8' };

async function run(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: options.env ?? EN,
  });
  return { code, out, err };
}

/** Column start offsets of a table line, taken from its header (two spaces apart). */
function columnStarts(header: string): number[] {
  const starts = [0];
  const re = / {2,}(?=\S)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) starts.push(m.index + m[0].length);
  return starts;
}

describe('edgesip CLI against the control server', () => {
  let dir: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const logs: LogEntry[] = [];
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => run(['--data-dir', dir, ...args], options);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-'));
    backend = new FakeBackend();
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger(logs) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ext add with options, and with --password-stdin', async () => {
    const r = await cli(['ext', 'add', '1001', '--password', 'blue-fox-1001x', '--name', 'Front desk', '--max-contacts', '3', '--allow', '192.0.2.0/24', '--allow', '2001:db8::/32']);
    assert.deepEqual(r, { code: 0, out: 'extension 1001 added\n', err: '' });
    assert.deepEqual(backend.extensions.get('1001'), {
      number: '1001',
      displayName: 'Front desk',
      maxContacts: 3,
      enabled: true,
      allowedNetworks: ['192.0.2.0/24', '2001:db8::/32'],
      forward: defaultForward(),
      permission: 'national',
      hasSecret: true,
    });
    assert.equal(backend.inputs.at(-1)?.forward, undefined, 'no forwarding option, no forward field');
    assert.equal(backend.inputs.at(-1)?.password, 'blue-fox-1001x');

    const s = await cli(['ext', 'add', '1002', '--password-stdin', '--disabled'], { stdin: 'from-stdin-pass\nsecond line\n' });
    assert.equal(s.code, 0, s.err);
    assert.equal(backend.inputs.at(-1)?.password, 'from-stdin-pass');
    assert.equal(backend.extensions.get('1002')?.enabled, false);
    // --data-dir is also accepted after the command.
    const t = await run(['ext', 'add', 'lab.7', '--data-dir', dir, '--password-stdin'], { stdin: 'crlf-pass-99\r\n' });
    assert.equal(t.code, 0, t.err);
    assert.equal(backend.inputs.at(-1)?.password, 'crlf-pass-99');
  });

  test('ext list prints an aligned table, --json exactly the API body', async () => {
    const r = await cli(['ext', 'list']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] as string, /^NUMBER +NAME +ENABLED +MAX CONTACTS +PASSWORD SET +ALLOWED NETWORKS +PERMISSION +FORWARD$/);
    const starts = columnStarts(lines[0] as string);
    const row = lines.find((l) => l.startsWith('1001')) as string;
    assert.equal(row.slice(starts[1], starts[2]).trim(), 'Front desk');
    assert.equal(row.slice(starts[2], starts[3]).trim(), 'yes');
    assert.equal(row.slice(starts[3], starts[4]).trim(), '3');
    assert.equal(row.slice(starts[5], starts[6]).trim(), '192.0.2.0/24,2001:db8::/32');
    assert.equal(row.slice(starts[6], starts[7]).trim(), 'national');
    assert.equal(row.slice(starts[7]), '-', 'no forwarding');
    const off = lines.find((l) => l.startsWith('1002')) as string;
    assert.equal(off.slice(starts[2], starts[3]).trim(), 'no');
    assert.equal(off.slice(starts[5], starts[6]).trim(), 'any');

    const j = await cli(['ext', 'list', '--json']);
    assert.equal(j.code, 0);
    assert.equal(j.out, `${JSON.stringify(backend.listExtensions())}\n`);
  });

  test('ext set and ext remove', async () => {
    assert.deepEqual(await cli(['ext', 'set', '1001', '--disable', '--allow-any', '--name', 'Desk']), { code: 0, out: 'extension 1001 updated\n', err: '' });
    const e = backend.extensions.get('1001');
    assert.equal(e?.enabled, false);
    assert.deepEqual(e?.allowedNetworks, []);
    assert.equal(e?.displayName, 'Desk');
    assert.equal((await cli(['ext', 'set', '1001', '--enable'])).code, 0);
    assert.equal(backend.extensions.get('1001')?.enabled, true);
    assert.equal((await cli(['ext', 'set', '1001', '--password-stdin'], { stdin: 'new-pass-1001\n' })).code, 0);
    assert.equal(backend.inputs.at(-1)?.password, 'new-pass-1001');

    assert.deepEqual(await cli(['ext', 'remove', 'lab.7']), { code: 0, out: 'extension lab.7 removed\n', err: '' });
    assert.equal(backend.extensions.has('lab.7'), false);
  });

  test('ext add and set with forwarding; list shows it compactly, --json in full', async () => {
    const set = await cli(['ext', 'set', '1002', '--forward-always', '102', '--forward-busy', '103', '--forward-noanswer', '104', '--noanswer-timeout', '15']);
    assert.deepEqual(set, { code: 0, out: 'extension 1002 updated\n', err: '' });
    assert.deepEqual(backend.inputs.at(-1), { forward: { always: '102', busy: '103', noAnswer: '104', noAnswerSeconds: 15 } });
    assert.deepEqual(backend.extensions.get('1002')?.forward, { always: '102', busy: '103', noAnswer: '104', unavailable: '', noAnswerSeconds: 15 });

    const list = await cli(['ext', 'list']);
    const lines = list.out.trimEnd().split('\n');
    const starts = columnStarts(lines[0] as string);
    const row = lines.find((l) => l.startsWith('1002')) as string;
    assert.equal(row.slice(starts[7]), 'always→102 busy→103 noanswer→104/15s');
    const json = await cli(['ext', 'list', '--json']);
    const views = JSON.parse(json.out) as { number: string; forward: unknown }[];
    assert.deepEqual(views.find((v) => v.number === '1002')?.forward, backend.extensions.get('1002')?.forward);

    // "off" and "" turn a case off; the options not given keep their value.
    assert.equal((await cli(['ext', 'set', '1002', '--forward-always', 'off', '--forward-busy=', '--forward-unavailable', '+8613800138000'])).code, 0);
    assert.deepEqual(backend.inputs.at(-1), { forward: { always: '', busy: '', unavailable: '+8613800138000' } });
    assert.deepEqual(backend.extensions.get('1002')?.forward, { always: '', busy: '', noAnswer: '104', unavailable: '+8613800138000', noAnswerSeconds: 15 });
    const after = (await cli(['ext', 'list'])).out.split('\n').find((l) => l.startsWith('1002')) as string;
    assert.equal(after.slice(starts[7]), 'noanswer→104/15s unavailable→+8613800138000');

    const added = await cli(['ext', 'add', '1003', '--password', 'fwd-pass-1003', '--forward-noanswer', '*97#']);
    assert.equal(added.code, 0, added.err);
    assert.deepEqual(backend.extensions.get('1003')?.forward, { ...defaultForward(), noAnswer: '*97#' });
    assert.deepEqual(await cli(['ext', 'remove', '1003']), { code: 0, out: 'extension 1003 removed\n', err: '' });
  });

  test('forwarding refusals name the option; a bad timeout is a usage error', async () => {
    const self = await cli(['ext', 'set', '1002', '--forward-busy', '1002']);
    assert.deepEqual(self, { code: 1, out: '', err: 'edgesip: refused: --forward-busy: must not forward to itself\n' });
    const target = await cli(['ext', 'set', '1002', '--forward-always', 'a b']);
    assert.equal(target.code, 1);
    assert.match(target.err, /^edgesip: refused: --forward-always: must be '' \(off\), an extension number or a dialled number/);
    const range = await cli(['ext', 'set', '1002', '--noanswer-timeout', '3']);
    assert.deepEqual(range, { code: 1, out: '', err: 'edgesip: refused: --noanswer-timeout: must be an integer from 5 to 300\n' });
    const usage = await cli(['ext', 'set', '1002', '--noanswer-timeout', 'soon']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /option --noanswer-timeout needs a whole number, not "soon"/);
    const missing = await cli(['ext', 'set', '1002', '--forward-busy']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /option --forward-busy needs a value/);
    assert.equal(backend.extensions.get('1002')?.forward.busy, '', 'nothing changed');
    const help = await cli(['ext', 'set', '--help']);
    assert.match(help.out, /--forward-noanswer TARGET/);
    assert.match(help.out, /edgesip ext set 101 --forward-always 102 --forward-busy 103 --forward-noanswer 104 --noanswer-timeout 15/);
  });

  test('refusals by the daemon exit 1 and name the option at fault', async () => {
    const weak = await cli(['ext', 'add', '2001', '--password', '12345678']);
    assert.equal(weak.code, 1);
    assert.equal(weak.out, '');
    assert.match(weak.err, /^edgesip: refused: --password: is too weak: a password of digits only must have at least 12 digits\n$/);
    const same = await cli(['ext', 'add', '20012001', '--password', '20012001']);
    assert.match(same.err, /--password: is too weak: it must not be the extension number/);
    const max = await cli(['ext', 'add', '2001', '--password', 'ok-pass-2001', '--max-contacts', '30']);
    assert.equal(max.code, 1);
    assert.match(max.err, /--max-contacts: must be an integer from 1 to 20/);
    const cidr = await cli(['ext', 'set', '1001', '--allow', '192.0.2.0/24', '--allow', '10.1.2.3/64']);
    assert.equal(cidr.code, 1);
    assert.match(cidr.err, /--allow: "10\.1\.2\.3\/64" is not an IPv4 or IPv6 network/);
    const badNumber = await cli(['ext', 'add', '-x', '--password', 'ok-pass-2001']);
    assert.equal(badNumber.code, 2, 'a leading dash is an option to parseArgs');
    const badName = await cli(['ext', 'add', 'a b', '--password', 'ok-pass-2001']);
    assert.equal(badName.code, 1);
    assert.match(badName.err, /refused: NUMBER: must be 1-32 letters/);

    assert.deepEqual(await cli(['ext', 'add', '1001', '--password', 'ok-pass-1001x']), { code: 1, out: '', err: 'edgesip: extension 1001 already exists\n' });
    assert.deepEqual(await cli(['ext', 'set', '9999', '--enable']), { code: 1, out: '', err: 'edgesip: no extension 9999\n' });
    assert.deepEqual(await cli(['ext', 'remove', '9999']), { code: 1, out: '', err: 'edgesip: no extension 9999\n' });
  });

  test('usage errors exit 2 and name what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['ext', 'add', '3001'], /missing --password or --password-stdin/],
      [['ext', 'add', '--password', 'whatever-123'], /missing argument: NUMBER/],
      [['ext', 'add', '3001', '3002', '--password', 'whatever-123'], /unexpected argument: 3002/],
      [['ext', 'add', '3001', '--password', 'whatever-123', '--colour', 'red'], /unknown option: --colour/],
      [['ext', 'add', '3001', '--password'], /option --password needs a value/],
      [['ext', 'list', '--json=yes'], /option --json takes no value/],
      [['ext', 'add', '3001', '--password', 'p-123456789', '--max-contacts', 'lots'], /option --max-contacts needs a whole number, not "lots"/],
      [['ext', 'add', '3001', '--password', 'p-123456789', '--password-stdin'], /--password and --password-stdin cannot be used together/],
      [['ext', 'set', '1001'], /nothing to change/],
      [['ext', 'set', '1001', '--enable', '--disable'], /--enable and --disable cannot be used together/],
      [['ext', 'set', '1001', '--allow', '10.0.0.0/8', '--allow-any'], /--allow and --allow-any/],
      [['ext', 'add', '3001', '--disable', '--password', 'p-123456789'], /unknown option: --disable/],
      [['ext', 'add', '3001', '--password-stdin'], /no password on standard input/],
      [['ext'], /missing subcommand after "ext"/],
      [['ext', 'rename'], /unknown subcommand: ext rename/],
      [['reg', 'list', 'extra'], /unexpected argument: extra/],
      [['acl', 'add', 'grey', '10.0.0.0/8'], /list must be "white" or "black", not "grey"/],
      [['acl', 'add', 'white'], /missing argument: CIDR/],
      [['blocks', 'remove'], /missing argument: KEY/],
      [['frobnicate'], /unknown command: frobnicate/],
      [['--verbose', 'ext', 'list'], /unknown option: --verbose/],
      [['calls', 'extra'], /unexpected argument: extra/],
      [['calls', '--all'], /unknown option: --all/],
      [['cdr'], /missing subcommand after "cdr"/],
      [['cdr', 'show'], /unknown subcommand: cdr show/],
      [['cdr', 'list', 'extra'], /unexpected argument: extra/],
      [['cdr', 'list', '--since', 'yesterday'], /option --since needs a date \(2026-11-26\).*not "yesterday"/],
      [['cdr', 'list', '--since', '7w'], /option --since needs a date/],
      [['cdr', 'list', '--until', '2024-05-01T10:00'], /option --until: "2024-05-01T10:00" needs a time zone/],
      [['cdr', 'list', '--since', '2024-02-30'], /option --since needs a date/],
      [['cdr', 'list', '--limit', '0'], /option --limit needs a number from 1 to 100000, not "0"/],
      [['cdr', 'list', '--limit', '100001'], /option --limit needs a number from 1 to 100000/],
      [['cdr', 'list', '--limit', 'lots'], /option --limit needs a number/],
      [['cdr', 'list', '--since', '2024-05-02', '--until', '2024-05-01'], /--until must be later than --since/],
      [['cdr', 'export', '--limit', '5'], /unknown option: --limit/],
      [['cdr', 'export', '--output'], /option --output needs a value/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '', args.join(' '));
      assert.match(r.err, expected, args.join(' '));
    }
    assert.equal(backend.extensions.has('3001'), false);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /^usage: edgesip/);
  });

  test('--help per command group', async () => {
    for (const args of [
      ['ext', '--help'],
      ['ext', 'add', '--help'],
      ['reg', '--help'],
      ['acl', 'help'],
      ['acl', 'remove', '-h'],
      ['blocks', '--help'],
      ['config', '--help'],
      ['calls', '--help'],
      ['calls', 'help'],
      ['cdr', '--help'],
      ['cdr', 'list', '--help'],
      ['cdr', 'export', '-h'],
      ['--help'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: edgesip/, args.join(' '));
      assert.equal(r.err, '');
    }
    assert.match((await cli(['ext', '--help'])).out, /--password-stdin/);
    assert.match((await cli(['cdr', '--help'])).out, /cdr export \[--since T\] \[--until T\] \[--output FILE\]/);
    assert.match((await cli(['--help'])).out, /calls .*\n.*cdr list\|export/);
  });

  test('reg list', async () => {
    const r = await cli(['reg', 'list']);
    assert.equal(r.code, 0);
    const [header, row] = r.out.trimEnd().split('\n') as [string, string];
    assert.match(header, /^EXTENSION +CONTACT +TRANSPORT +SOURCE +EXPIRES IN +USER AGENT$/);
    const starts = columnStarts(header);
    assert.equal(row.slice(starts[1], starts[2]).trim(), 'sip:1001@192.0.2.10:5062;transport=udp');
    assert.equal(row.slice(starts[4], starts[5]).trim(), '59m00s');
    assert.equal(row.slice(starts[5]), 'Yealink T46U');
    assert.equal((await cli(['reg', 'list', '--json'])).out, `${JSON.stringify(backend.registrations)}\n`);

    const saved = backend.registrations;
    backend.registrations = [];
    assert.deepEqual(await cli(['reg', 'list']), { code: 0, out: '', err: 'no registrations\n' });
    assert.deepEqual(await cli(['reg', 'list', '--json']), { code: 0, out: '[]\n', err: '' });
    backend.registrations = saved;
  });

  test('acl list, add, remove', async () => {
    assert.deepEqual(await cli(['acl', 'add', 'black', '198.51.100.0/24']), { code: 0, out: '198.51.100.0/24 added to the black list\n', err: '' });
    assert.deepEqual(backend.acl.black, ['198.51.100.0/24']);
    const r = await cli(['acl', 'list']);
    assert.equal(r.out, 'LIST   NETWORK\nwhite  192.0.2.0/24\nblack  198.51.100.0/24\n');
    assert.equal((await cli(['acl', 'list', '--json'])).out, '{"white":["192.0.2.0/24"],"black":["198.51.100.0/24"]}\n');
    assert.deepEqual(await cli(['acl', 'remove', 'black', '198.51.100.0/24']), { code: 0, out: '198.51.100.0/24 removed from the black list\n', err: '' });
    assert.deepEqual(backend.acl.black, []);

    assert.deepEqual(await cli(['acl', 'remove', 'black', '198.51.100.0/24']), { code: 1, out: '', err: 'edgesip: 198.51.100.0/24 is not on the black list\n' });
    assert.deepEqual(await cli(['acl', 'add', 'white', '192.0.2.0/24']), { code: 1, out: '', err: 'edgesip: 192.0.2.0/24 is already on the white list\n' });
    const bad = await cli(['acl', 'add', 'white', '300.1.1.1/8']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /refused: CIDR: "300\.1\.1\.1\/8" is not an IPv4 or IPv6 network/);
  });

  test('blocks list and remove (keys with "|" are URL-encoded)', async () => {
    const r = await cli(['blocks', 'list']);
    assert.equal(r.code, 0);
    const [header, first] = r.out.trimEnd().split('\n') as [string, string];
    assert.match(header, /^KEY +ADDRESS +ACCOUNT +REASON +ATTEMPTS +EXPIRES$/);
    const starts = columnStarts(header);
    assert.equal(first.slice(0, starts[1]).trim(), '198.51.100.7|1001');
    assert.equal(first.slice(starts[3], starts[4]).trim(), 'wrong password');
    assert.equal((await cli(['blocks', 'list', '--json'])).out, `${JSON.stringify(backend.blocks)}\n`);

    assert.deepEqual(await cli(['blocks', 'remove', '198.51.100.7|1001']), { code: 0, out: 'block 198.51.100.7|1001 lifted\n', err: '' });
    assert.deepEqual(backend.blocks.map((b) => b.key), ['203.0.113.9']);
    assert.deepEqual(await cli(['blocks', 'remove', '198.51.100.7|1001']), { code: 1, out: '', err: 'edgesip: no block 198.51.100.7|1001 (it may have expired)\n' });
  });

  test('calls: active calls as a table, --json, and when there are none', async () => {
    const r = await cli(['calls']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const [header, first, second] = r.out.trimEnd().split('\n') as [string, string, string];
    assert.match(header, /^ID +CALLER +DIALLED +TARGET +STATE +DURATION +FORWARDED$/);
    const starts = columnStarts(header);
    const col = (row: string, i: number): string => row.slice(starts[i], starts[i + 1]).trim();
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => col(first, i)), ['c-7', '1001', '1002', '1003', 'talking', '2m05s']);
    assert.equal(first.slice(starts[6]), '1002>1003 (busy)');
    assert.deepEqual([0, 3, 4, 5].map((i) => col(second, i)), ['c-8', '1001', 'ringing', '0s']);
    assert.equal(second.slice(starts[6]), '-');
    assert.deepEqual(await cli(['calls', 'list']), r, '"calls list" is the same');
    assert.equal((await cli(['calls', '--json'])).out, `${JSON.stringify(backend.calls)}\n`);

    const zh = await cli(['calls'], { env: ZH });
    assert.match(zh.out, /^编号 +主叫 +被叫 +当前目标 +状态 +时长 +转移\n/);
    assert.match(zh.out, /通话中 +2m05s +1002>1003 \(遇忙\)/);

    const saved = backend.calls;
    backend.calls = [];
    assert.deepEqual(await cli(['calls']), { code: 0, out: '', err: 'no active calls\n' });
    assert.deepEqual(await cli(['calls'], { env: ZH }), { code: 0, out: '', err: '没有进行中的通话\n' });
    assert.deepEqual(await cli(['calls', '--json']), { code: 0, out: '[]\n', err: '' });
    backend.calls = saved;
  });

  test('cdr list: table, --since/--until (dates, date-times, time ago), --limit, --json', async () => {
    const r = await cli(['cdr', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(backend.cdrQueries.at(-1), { limit: 50 }, 'list asks for the last 50 by default');
    const [header, ...rows] = r.out.trimEnd().split('\n') as [string, ...string[]];
    assert.match(header, /^START +CALLER +DIALLED +ANSWERED BY +RESULT +SIP +DURATION +FORWARDED$/);
    assert.equal(rows.length, 3);
    const starts = columnStarts(header);
    const col = (row: string, i: number): string => row.slice(starts[i], starts[i + 1]).trim();
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => col(rows[0] as string, i)), ['2024-04-30T09:00:00.000Z', '1001', '1002', '1003', 'answered', '200', '2m00s']);
    assert.equal((rows[0] as string).slice(starts[7]), '1002>1003 (no answer)');
    assert.deepEqual([3, 4, 5, 6].map((i) => col(rows[1] as string, i)), ['-', 'no answer', '480', '0s']);
    assert.equal(col(rows[2] as string, 6), '1h01m05s');

    const ids = async (args: string[]): Promise<string[]> => {
      const j = await cli(['cdr', 'list', '--json', ...args]);
      assert.equal(j.code, 0, j.err);
      return (JSON.parse(j.out) as { id: string }[]).map((x) => x.id);
    };
    assert.deepEqual(await ids(['--since', '2024-05-01', '--until', '2024-05-01T09:30:00Z']), ['r-2']);
    assert.deepEqual(backend.cdrQueries.at(-1), { since: Date.parse('2024-05-01T00:00:00Z'), until: Date.parse('2024-05-01T09:30:00Z'), limit: 50 });
    assert.deepEqual(await ids(['--since=2024-05-01T17:00:00+08:00']), ['r-3']);
    assert.equal(backend.cdrQueries.at(-1)?.since, Date.parse('2024-05-01T09:00:00Z'));
    assert.deepEqual(await ids(['--limit', '1']), ['r-3']);

    // A time ago is counted back from now by the CLI.
    for (const [ago, ms] of [['30m', 1_800_000], ['24h', 86_400_000], ['7d', 604_800_000]] as const) {
      const before = Date.now();
      assert.deepEqual(await ids(['--since', ago]), []);
      const since = backend.cdrQueries.at(-1)?.since as number;
      assert.ok(since >= before - ms && since <= Date.now() - ms, `${ago}: ${since}`);
    }

    const limited = await cli(['cdr', 'list', '--limit', '2']);
    assert.equal(limited.code, 0);
    assert.equal(limited.out.trimEnd().split('\n').length, 3);
    assert.equal(limited.err, 'showing the most recent 2 calls; use --limit or --since for more\n');
    assert.equal((await cli(['cdr', 'list', '--json', '--limit', '1'])).out, `${JSON.stringify(backend.cdrs.slice(2))}\n`);
    assert.deepEqual(await cli(['cdr', 'list', '--since', '2030-01-01']), { code: 0, out: '', err: 'no call records\n' });

    const zh = await cli(['cdr', 'list'], { env: ZH });
    assert.match(zh.out, /^开始时间 +主叫 +被叫 +接听方 +结果 +SIP +时长 +转移\n/);
    assert.match(zh.out, /已接听 .*1002>1003 \(无应答\)/);
    assert.match(zh.out, /无应答 +480/);
  });

  test('cdr export: every matching call as CSV, to stdout or to a file', async () => {
    const r = await cli(['cdr', 'export']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(backend.cdrQueries.at(-1), {}, 'no limit');
    assert.equal(r.out, cdrToCsv(backend.cdrs));
    assert.match(r.out, /^id,call_id,caller,caller_name,callee,answered_by,forwarded,route,start,answer,end,duration_s,disposition,sip_code,ended_by\r\n/);
    assert.match(r.out, /\r\nr-2,b2@192\.0\.2\.11,1002,"Lee, ""Boss""",1001,,,local,/);

    const since = await cli(['cdr', 'export', '--since', '2024-05-01', '--output', '-']);
    assert.equal(since.out, cdrToCsv(backend.cdrs.slice(1)));

    const file = join(dir, 'calls.csv');
    const w = await cli(['cdr', 'export', '--until', '2024-05-01', '--output', file]);
    assert.deepEqual(w, { code: 0, out: `1 call records written to ${file}\n`, err: '' });
    assert.equal(readFileSync(file, 'utf8'), cdrToCsv(backend.cdrs.slice(0, 1)));
    assert.equal(statSync(file).mode & 0o007, 0, 'not readable by everyone');
    const zh = await cli(['cdr', 'export', '--output', file], { env: ZH });
    assert.deepEqual(zh, { code: 0, out: `已将 3 条通话记录写入 ${file}\n`, err: '' });

    const bad = await cli(['cdr', 'export', '--output', join(dir, 'no-such-dir', 'x.csv')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.match(bad.err, /^edgesip: cannot write .*x\.csv: ENOENT\n$/);
  });

  test('a daemon failure (500) exits 1 with its generic message', async () => {
    const r = await cli(['blocks', 'remove', 'boom']);
    assert.deepEqual(r, { code: 1, out: '', err: 'edgesip: edgesipd failed to do it: internal error; see the edgesip' + 'd log\n' });
  });

  test('messages and tables switch to Simplified Chinese with LANG=zh_CN.UTF-8', async () => {
    const list = await cli(['ext', 'list'], { env: ZH });
    assert.equal(list.code, 0);
    const lines = list.out.trimEnd().split('\n');
    assert.match(lines[0] as string, /^号码 +名称 +启用 +最大联系地址数 +已设密码 +允许的网络 +呼叫权限 +呼叫转移$/);
    // Wide characters count two columns: the cells line up under the header on a terminal.
    const header = lines[0] as string;
    const row = lines.find((l) => l.startsWith('1001')) as string;
    const nameCol = displayWidth(header.slice(0, header.indexOf('名称')));
    assert.equal(displayWidth(row.slice(0, row.indexOf('Desk'))), nameCol);
    assert.match(row, /是/);
    const forwarded = lines.find((l) => l.startsWith('1002')) as string;
    assert.match(forwarded, / 无应答→104\/15秒 不可达→\+8613800138000$/);
    const help = await cli(['ext', '--help'], { env: ZH });
    assert.match(help.out, /--forward-busy 目标 +分机忙时转移/);

    assert.deepEqual(await cli(['acl', 'add', 'white', '203.0.113.0/24'], { env: ZH }), { code: 0, out: '已将 203.0.113.0/24 加入白名单\n', err: '' });
    assert.deepEqual(await cli(['ext', 'remove', '9999'], { env: ZH }), { code: 1, out: '', err: 'edgesip: 分机 9999 不存在\n' });
    const weak = await cli(['ext', 'add', '5001', '--password', 'short'], { env: ZH });
    assert.equal(weak.code, 1);
    assert.match(weak.err, /^edgesip: 请求被拒绝：--password：/);
    const usage = await cli(['ext', 'add', '5001', '--bogus'], { env: ZH });
    assert.equal(usage.code, 2);
    assert.equal(usage.err, "edgesip: 未知选项：--bogus\n参见 'edgesip ext --help'\n");
    assert.match((await cli(['ext', '--help'], { env: ZH })).out, /^用法：edgesip ext/);
    const down = await run(['--data-dir', join(dir, 'nowhere'), 'reg', 'list'], { env: ZH });
    assert.equal(down.code, 3);
    assert.match(down.err, /^edgesip: edgesipd 未运行/);
  });

  test('control requests are audited without the passwords', () => {
    const text = JSON.stringify(logs);
    assert.ok(logs.some((l) => l.msg === 'control API request'));
    for (const secret of ['blue-fox-1001x', 'from-stdin-pass', 'new-pass-1001', 'crlf-pass-99']) assert.ok(!text.includes(secret), secret);
  });
});

describe('edgesip CLI: trunks, dial plan, DIDs, language, permissions', () => {
  let dir: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const logs: LogEntry[] = [];
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => run(['--data-dir', dir, ...args], options);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-trunks-'));
    backend = new FakeBackend();
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger(logs) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('trunk add: every option reaches the API by its field; the password from stdin', async () => {
    const r = await cli(
      [
        'trunk', 'add', 'itsp',
        '--type', 'register',
        '--domain', 'sip.example.net',
        '--proxy', '192.0.2.1:5070',
        '--transport', 'tls',
        '--username', '0101234567',
        '--auth-username', 'auth-0101',
        '--realm', 'example.net',
        '--password-stdin',
        '--expires', '600',
        '--peer', '203.0.113.0/24',
        '--peer', '2001:db8::/32',
        '--uri-params', 'user=phone;foo=bar',
        '--from-user', '+861012345678',
        '--from-display', 'Reception',
        '--pai', '+861012345678',
        '--from-template', 'sip:{number}@{domain}',
        '--to-template', 'sip:{number}@{domain}',
        '--pai-template', 'sip:{ext}@pbx.example',
        '--disable',
      ],
      { stdin: 'trunk-secret-9\n' },
    );
    assert.deepEqual(r, { code: 0, out: 'trunk itsp added\n', err: '' });
    assert.deepEqual(backend.trunkInputs.at(-1), {
      name: 'itsp',
      enabled: false,
      type: 'register',
      transport: 'TLS',
      domain: 'sip.example.net',
      proxy: '192.0.2.1:5070',
      username: '0101234567',
      authUsername: 'auth-0101',
      realm: 'example.net',
      requestUriParams: 'user=phone;foo=bar',
      registerExpires: 600,
      peers: ['203.0.113.0/24', '2001:db8::/32'],
      callerId: { fromUser: '+861012345678', fromDisplay: 'Reception', pai: '+861012345678' },
      templates: { from: 'sip:{number}@{domain}', to: 'sip:{number}@{domain}', pai: 'sip:{ext}@pbx.example' },
      password: 'trunk-secret-9',
    });
    // Minimal: the daemon picks the defaults, among them the language's URI parameters.
    const min = await cli(['trunk', 'add', 'carrier', '--type', 'ip', '--domain', '198.51.100.7', '--peer', '198.51.100.7']);
    assert.equal(min.code, 0, min.err);
    assert.deepEqual(backend.trunkInputs.at(-1), { name: 'carrier', type: 'ip', domain: '198.51.100.7', peers: ['198.51.100.7'] });
    assert.equal(backend.trunks.get('carrier')?.requestUriParams, '');
  });

  test('trunk list: a table and --json', async () => {
    const r = await cli(['trunk', 'list']);
    assert.equal(r.code, 0, r.err);
    const [header, ...rows] = r.out.trimEnd().split('\n') as [string, ...string[]];
    assert.match(header, /^NAME +TYPE +ENABLED +DOMAIN +PROXY +TRANSPORT +USERNAME +PASSWORD SET +URI PARAMS +PEERS$/);
    const starts = columnStarts(header);
    const col = (row: string, i: number): string => row.slice(starts[i], starts[i + 1]).trim();
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => col(rows[0] as string, i)), ['itsp', 'register', 'no', 'sip.example.net', '192.0.2.1:5070', 'TLS', '0101234567', 'yes', 'user=phone;foo=bar']);
    assert.equal((rows[0] as string).slice(starts[9]), '203.0.113.0/24,2001:db8::/32');
    assert.deepEqual([0, 1, 2, 4, 6, 7, 8].map((i) => col(rows[1] as string, i)), ['carrier', 'ip', 'yes', '-', '-', 'no', '-']);
    assert.equal((await cli(['trunk', 'list', '--json'])).out, `${JSON.stringify(backend.listTrunks())}\n`);
    assert.doesNotMatch(r.out + (await cli(['trunk', 'list', '--json'])).out, /trunk-secret/, 'the password never comes back');
  });

  test('trunk set: only the options given; --password= removes it; --no-peers clears', async () => {
    assert.deepEqual(await cli(['trunk', 'set', 'itsp', '--enable', '--transport', 'UDP', '--from-user', '']), { code: 0, out: 'trunk itsp updated\n', err: '' });
    assert.deepEqual(backend.trunkInputs.at(-1), { enabled: true, transport: 'UDP', callerId: { fromUser: '' } });
    assert.deepEqual(backend.trunks.get('itsp')?.callerId, { fromUser: '', fromDisplay: 'Reception', pai: '+861012345678' });
    assert.equal((await cli(['trunk', 'set', 'itsp', '--password='])).code, 0);
    assert.deepEqual(backend.trunkInputs.at(-1), { password: '' });
    assert.equal(backend.trunks.get('itsp')?.hasPassword, false);
    assert.equal((await cli(['trunk', 'set', 'itsp', '--no-peers', '--uri-params='])).code, 0);
    assert.deepEqual(backend.trunkInputs.at(-1), { requestUriParams: '', peers: [] });
  });

  test('trunk refusals name the option; usage errors exit 2', async () => {
    assert.deepEqual(await cli(['trunk', 'add', 'x', '--type', 'ip', '--domain', '192.0.2.5']), {
      code: 1,
      out: '',
      err: 'edgesip: refused: --peer: is required for ip trunks: the networks the provider sends calls from\n',
    });
    const params = await cli(['trunk', 'add', 'x', '--type', 'register', '--domain', 'x.example', '--username', 'u', '--uri-params', ';user=phone']);
    assert.deepEqual(params, { code: 1, out: '', err: "edgesip: refused: --uri-params: must not start with ';' (write user=phone, not ;user=phone)\n" });
    const peer = await cli(['trunk', 'set', 'itsp', '--peer', '10.0.0.0/8', '--peer', 'nope']);
    assert.match(peer.err, /^edgesip: refused: --peer: "nope" is not an IPv4 or IPv6 network/);
    const tmpl = await cli(['trunk', 'set', 'itsp', '--to-template', 'sip:{num}@{domain}']);
    assert.match(tmpl.err, /^edgesip: refused: --to-template: has an unknown placeholder \{num\}/);
    const expires = await cli(['trunk', 'set', 'itsp', '--expires', '30']);
    assert.match(expires.err, /refused: --expires: must be an integer from 60 to 86400/);
    assert.deepEqual(await cli(['trunk', 'add', 'itsp', '--type', 'ip', '--domain', 'x.example', '--peer', '192.0.2.0/24']), { code: 1, out: '', err: 'edgesip: trunk itsp already exists\n' });
    assert.deepEqual(await cli(['trunk', 'set', 'nope', '--enable']), { code: 1, out: '', err: 'edgesip: no trunk nope\n' });
    assert.deepEqual(await cli(['trunk', 'remove', 'nope']), { code: 1, out: '', err: 'edgesip: no trunk nope\n' });

    const cases: [string[], RegExp][] = [
      [['trunk', 'add', 'x', '--domain', 'x.example'], /missing option --type/],
      [['trunk', 'add', 'x', '--type', 'ip'], /missing option --domain/],
      [['trunk', 'add', 'x', '--type', 'peer', '--domain', 'x.example'], /option --type must be one of register\|ip, not "peer"/],
      [['trunk', 'set', 'x', '--transport', 'sctp'], /option --transport must be one of udp\|tcp\|tls, not "sctp"/],
      [['trunk', 'set', 'x', '--expires', 'soon'], /option --expires needs a whole number/],
      [['trunk', 'set', 'x', '--enable', '--disable'], /--enable and --disable cannot be used together/],
      [['trunk', 'set', 'x', '--peer', '10.0.0.0/8', '--no-peers'], /--peer and --no-peers cannot be used together/],
      [['trunk', 'set', 'x', '--password', 'a', '--password-stdin'], /--password and --password-stdin cannot be used together/],
      [['trunk', 'set', 'x'], /nothing to change/],
      [['trunk', 'add', 'x', '--type', 'ip', '--domain', 'y', '--no-peers'], /unknown option: --no-peers/],
      [['trunk', 'add', '--type', 'ip', '--domain', 'y'], /missing argument: NAME/],
      [['trunk'], /missing subcommand after "trunk"/],
      [['trunk', 'show'], /unknown subcommand: trunk show/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, expected, args.join(' '));
    }
  });

  test('trunk status: states and details in words; exit 1 when an enabled trunk failed', async () => {
    const r = await cli(['trunk', 'status']);
    assert.equal(r.code, 1, 'backup has wrong credentials');
    const [header, ...rows] = r.out.trimEnd().split('\n') as [string, ...string[]];
    assert.match(header, /^NAME +TYPE +STATE +DETAIL$/);
    const starts = columnStarts(header);
    const col = (row: string, i: number): string => (i === 3 ? row.slice(starts[3]) : row.slice(starts[i], starts[i + 1]).trim());
    assert.deepEqual([0, 1, 2, 3].map((i) => col(rows[0] as string, i)), ['itsp', 'register', 'registered', '200, expires in 55m12s']);
    assert.deepEqual([2, 3].map((i) => col(rows[1] as string, i)), ['wrong credentials', '403 Forbidden, retry in 4m00s']);
    assert.deepEqual([1, 2, 3].map((i) => col(rows[2] as string, i)), ['ip', 'no registration (ip)', '-']);
    assert.deepEqual([2, 3].map((i) => col(rows[3] as string, i)), ['idle', '-']);
    const json = await cli(['trunk', 'status', '--json']);
    assert.equal(json.code, 1);
    assert.equal(json.out, `${JSON.stringify(backend.trunkStatus)}\n`);
    const zh = await cli(['trunk', 'status'], { env: ZH });
    assert.match(zh.out, /^名称 +类型 +状态 +详情\n/);
    assert.match(zh.out, /账号或密码错误 +403 Forbidden, 4m00s 后重试/);
    const saved = backend.trunkStatus;
    backend.trunkStatus = saved.filter((s) => s.name !== 'backup');
    assert.equal((await cli(['trunk', 'status'])).code, 0);
    backend.trunkStatus = [];
    assert.deepEqual(await cli(['trunk', 'status']), { code: 0, out: '', err: 'no trunk status (no trunks, or none running yet)\n' });
    backend.trunkStatus = saved;
  });

  test('route add, list, move, test, remove', async () => {
    assert.deepEqual(await cli(['route', 'list']), { code: 0, out: '', err: 'no dial rules: calls to numbers that are no extension are refused\n' });
    const a = await cli(['route', 'add', 'mobile', '--pattern', '91[3-9]XXXXXXXXX', '--strip', '1', '--prefix', '+86', '--trunk', 'itsp', '--trunk', 'carrier', '--class', 'national']);
    assert.deepEqual(a, { code: 0, out: 'dial rule mobile added at position 1\n', err: '' });
    assert.deepEqual(backend.dialPlan[0], { name: 'mobile', pattern: '91[3-9]XXXXXXXXX', strip: 1, prefix: '+86', trunks: ['itsp', 'carrier'], class: 'national' });
    assert.equal((await cli(['route', 'add', 'intl', '--pattern', '900.', '--strip', '1', '--trunk', 'itsp', '--class', 'International'])).code, 0);
    assert.deepEqual(await cli(['route', 'add', 'sos', '--pattern', '11[09]', '--trunk', 'carrier', '--class', 'emergency', '--position', '1']), {
      code: 0,
      out: 'dial rule sos added at position 1\n',
      err: '',
    });
    const list = await cli(['route', 'list']);
    assert.equal(
      list.out,
      [
        'POS  NAME    PATTERN           STRIP  PREFIX  TRUNKS        CLASS',
        '1    sos     11[09]            0      -       carrier       emergency',
        '2    mobile  91[3-9]XXXXXXXXX  1      +86     itsp,carrier  national',
        '3    intl    900.              1      -       itsp          international',
        '',
      ].join('\n'),
    );
    assert.equal((await cli(['route', 'list', '--json'])).out, `${JSON.stringify(backend.dialPlan)}\n`);
    assert.deepEqual(await cli(['route', 'move', 'sos', '3']), { code: 0, out: 'dial rule sos moved to position 3\n', err: '' });
    assert.deepEqual(backend.dialPlan.map((r) => r.name), ['mobile', 'intl', 'sos']);

    assert.deepEqual(await cli(['route', 'test', '913800138000']), { code: 0, out: '913800138000: rule mobile (national), sends +8613800138000 over itsp, carrier\n', err: '' });
    assert.deepEqual(await cli(['route', 'test', '120']), { code: 1, out: '120: no dial rule matches\n', err: '' });
    assert.deepEqual(await cli(['route', 'test', '9004420', '--json']), {
      code: 0,
      out: '{"number":"9004420","match":{"rule":"intl","class":"international","number":"004420","trunks":["itsp"]}}\n',
      err: '',
    });
    const zh = await cli(['route', 'list'], { env: ZH });
    assert.match(zh.out, /^位置 +名称 +模式 +去除位数 +前缀 +中继 +类别\n/);
    assert.match(zh.out, /国内长途/);
    assert.match((await cli(['route', 'test', '110'], { env: ZH })).out, /^110：规则 sos（紧急呼叫），经 carrier 送出 110\n$/);

    assert.deepEqual(await cli(['trunk', 'remove', 'carrier']), { code: 1, out: '', err: 'edgesip: refused: NAME: trunk carrier is used by dial rule(s) mobile, sos: remove it from them first\n' });
    assert.deepEqual(await cli(['route', 'remove', 'sos']), { code: 0, out: 'dial rule sos removed\n', err: '' });
    assert.deepEqual(await cli(['route', 'remove', 'sos']), { code: 1, out: '', err: 'edgesip: no dial rule sos\n' });
    assert.deepEqual(await cli(['route', 'move', 'nope', '1']), { code: 1, out: '', err: 'edgesip: no dial rule nope\n' });
  });

  test('route refusals and usage errors', async () => {
    assert.deepEqual(await cli(['route', 'add', 'x', '--pattern', '9.X', '--trunk', 'itsp', '--class', 'local']), {
      code: 1,
      out: '',
      err: "edgesip: refused: --pattern: '.' may only come last (position 2)\n",
    });
    assert.deepEqual(await cli(['route', 'add', 'x', '--pattern', '9X', '--trunk', 'nope', '--class', 'local']), { code: 1, out: '', err: 'edgesip: refused: --trunk: no trunk nope\n' });
    assert.deepEqual(await cli(['route', 'add', 'mobile', '--pattern', '9X', '--trunk', 'itsp', '--class', 'local']), { code: 1, out: '', err: 'edgesip: dial rule mobile already exists\n' });
    assert.match((await cli(['route', 'add', 'x', '--pattern', '9X', '--trunk', 'itsp', '--class', 'local', '--position', '9'])).err, /refused: --position: must be from 1 to 3/);
    assert.match((await cli(['route', 'move', 'mobile', '7'])).err, /refused: POSITION: must be from 1 to 2/);
    const cases: [string[], RegExp][] = [
      [['route', 'add', 'x', '--trunk', 'itsp', '--class', 'local'], /missing option --pattern/],
      [['route', 'add', 'x', '--pattern', '9X', '--class', 'local'], /missing option --trunk/],
      [['route', 'add', 'x', '--pattern', '9X', '--trunk', 'itsp'], /missing option --class/],
      [['route', 'add', 'x', '--pattern', '9X', '--trunk', 'itsp', '--class', 'premium'], /option --class must be one of internal\|local\|national\|international\|emergency, not "premium"/],
      [['route', 'add', 'x', '--pattern', '9X', '--trunk', 'itsp', '--class', 'local', '--strip', 'one'], /option --strip needs a whole number/],
      [['route', 'move', 'mobile'], /missing argument: POSITION/],
      [['route', 'move', 'mobile', 'first'], /option POSITION needs a whole number, not "first"/],
      [['route', 'test'], /missing argument: NUMBER/],
      [['route'], /missing subcommand after "route"/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, expected, args.join(' '));
    }
  });

  test('did add, list, default, remove', async () => {
    await backend.addExtension({ number: '101', password: 'pass-word-101' });
    await backend.addExtension({ number: '102', password: 'pass-word-102' });
    assert.deepEqual(await cli(['did', 'list']), { code: 0, out: 'calls to other numbers are refused\n', err: 'no DIDs\n' });
    assert.deepEqual(await cli(['did', 'add', '5551234', '--extension', '101']), { code: 0, out: 'calls to 5551234 ring extension 101\n', err: '' });
    assert.equal((await cli(['did', 'add', '+861012345678', '--extension', '102'])).code, 0);
    assert.deepEqual(await cli(['did', 'default', '102']), { code: 0, out: 'other numbers ring extension 102\n', err: '' });
    assert.deepEqual(await cli(['did', 'list']), {
      code: 0,
      out: 'DID            EXTENSION\n5551234        101\n+861012345678  102\nother numbers ring extension 102\n',
      err: '',
    });
    assert.equal((await cli(['did', 'list', '--json'])).out, '{"dids":[{"did":"5551234","extension":"101"},{"did":"+861012345678","extension":"102"}],"defaultDestination":"102"}\n');
    const zh = await cli(['did', 'list'], { env: ZH });
    assert.match(zh.out, /^DID +分机\n/);
    assert.match(zh.out, /其他号码振铃分机 102\n$/);

    assert.deepEqual(await cli(['did', 'add', '5551234', '--extension', '102']), { code: 1, out: '', err: 'edgesip: DID 5551234 is already routed (remove it first)\n' });
    assert.deepEqual(await cli(['did', 'add', '5550000', '--extension', '109']), { code: 1, out: '', err: 'edgesip: refused: --extension: no extension 109\n' });
    assert.deepEqual(await cli(['did', 'add', '555-0000', '--extension', '101']), { code: 1, out: '', err: 'edgesip: refused: DID: must be 1-32 digits, * or #, with an optional leading +\n' });
    assert.deepEqual(await cli(['did', 'default', '109']), { code: 1, out: '', err: 'edgesip: refused: EXT: no extension 109\n' });
    assert.deepEqual(await cli(['did', 'remove', '+861012345678']), { code: 0, out: 'DID +861012345678 removed\n', err: '' });
    assert.deepEqual(await cli(['did', 'remove', '+861012345678']), { code: 1, out: '', err: 'edgesip: no DID +861012345678\n' });
    assert.deepEqual(await cli(['did', 'default', 'none']), { code: 0, out: 'calls to other numbers are refused\n', err: '' });
    assert.equal(backend.inbound.defaultDestination, '');
    assert.match((await cli(['did', 'add', '5550000'])).err, /missing option --extension/);
    assert.match((await cli(['did', 'default'])).err, /missing argument: EXT\|none/);
  });

  test('language: show and set; new trunks follow it, unless given', async () => {
    assert.deepEqual(await cli(['language']), { code: 0, out: 'language: en\n', err: '' });
    assert.deepEqual(await cli(['language', '--json']), { code: 0, out: '{"language":"en"}\n', err: '' });
    assert.deepEqual(await cli(['language', 'zh-cn']), {
      code: 0,
      out: 'language set to zh-CN; new trunks get the Request-URI parameters "user=phone" unless given (existing trunks are unchanged)\n',
      err: '',
    });
    assert.equal(backend.language, 'zh-CN');
    assert.equal((await cli(['trunk', 'add', 'cn', '--type', 'register', '--domain', 'sip.example.cn', '--username', 'u'])).code, 0);
    assert.equal(backend.trunks.get('cn')?.requestUriParams, 'user=phone');
    assert.equal((await cli(['trunk', 'add', 'cn2', '--type', 'register', '--domain', 'sip.example.cn', '--username', 'u', '--uri-params='])).code, 0);
    assert.equal(backend.trunks.get('cn2')?.requestUriParams, '', 'given empty: kept empty');
    assert.deepEqual(await cli(['language'], { env: ZH }), { code: 0, out: '语言：zh-CN\n', err: '' });
    assert.deepEqual(await cli(['language', 'en'], { env: ZH }), { code: 0, out: '语言已设为 en；新建中继未指定时使用 Request-URI 参数 无（已有中继不变）\n', err: '' });
    const bad = await cli(['language', 'fr']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /LANGUAGE must be one of en\|zh-CN, not "fr"/);
    assert.match((await cli(['language', 'en', 'zh-CN'])).err, /unexpected argument: zh-CN/);
  });

  test('ext --permission on add and set, shown in ext list', async () => {
    assert.equal((await cli(['ext', 'add', '103', '--password', 'pass-word-103', '--permission', 'local'])).code, 0);
    assert.equal(backend.extensions.get('103')?.permission, 'local');
    assert.deepEqual(await cli(['ext', 'set', '103', '--permission', 'international']), { code: 0, out: 'extension 103 updated\n', err: '' });
    assert.deepEqual(backend.inputs.at(-1), { permission: 'international' });
    const list = await cli(['ext', 'list']);
    const lines = list.out.trimEnd().split('\n');
    const starts = columnStarts(lines[0] as string);
    assert.equal((lines.find((l) => l.startsWith('103')) as string).slice(starts[6], starts[7]).trim(), 'international');
    const zh = await cli(['ext', 'list'], { env: ZH });
    assert.match(zh.out.split('\n').find((l) => l.startsWith('103')) as string, /国际长途/);
    const bad = await cli(['ext', 'set', '103', '--permission', 'emergency']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /option --permission must be one of internal\|local\|national\|international, not "emergency"/);
  });

  test('--help of the new groups, in both languages', async () => {
    for (const args of [['trunk', '--help'], ['trunk', 'add', '--help'], ['route', 'help'], ['route', 'test', '-h'], ['did', '--help'], ['language', '--help'], ['language', 'help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: edgesip/, args.join(' '));
      const zh = await cli(args, { env: ZH });
      assert.match(zh.out, /^用法：edgesip/, args.join(' '));
    }
    assert.match((await cli(['trunk', '--help'])).out, /--uri-params PARAMS/);
    assert.match((await cli(['route', '--help'])).out, /N 2-9, Z 1-9/);
    assert.match((await cli(['--help'])).out, /trunk list\|add\|set\|remove\|status/);
    assert.match((await cli(['ext', '--help'])).out, /--permission internal\|local\|national\|international/);
  });

  test('trunk passwords never reach the audit log', () => {
    assert.ok(logs.some((l) => l.msg === 'control API request'));
    assert.ok(!JSON.stringify(logs).includes('trunk-secret-9'));
  });
});

describe('edgesip CLI without a daemon', () => {
  test('every daemon command exits 3 when nothing listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-'));
    try {
      for (const args of [
        ['ext', 'list'],
        ['ext', 'add', '1001', '--password', 'good-pass-1001'],
        ['reg', 'list', '--json'],
        ['acl', 'list'],
        ['blocks', 'remove', '192.0.2.1'],
        ['calls'],
        ['cdr', 'list', '--since', '7d'],
        ['cdr', 'export'],
        ['trunk', 'list'],
        ['trunk', 'status', '--json'],
        ['route', 'test', '9123'],
        ['did', 'list'],
        ['did', 'default', 'none'],
        ['language'],
        ['language', 'en'],
        ['status'],
        ['status', '--json'],
        ['admin', 'list'],
        ['admin', 'add', 'ops', '--generate'],
        ['admin', 'passwd', '--password-stdin'],
        ['admin', 'remove', 'ops'],
        ['admin', 'unlock', 'ops'],
        ['cert', 'show', '--json'],
        ['settings', 'show'],
        ['settings', 'set', '--web-idle-timeout', '30'],
      ]) {
        const r = await run(['--data-dir', dir, ...args], { stdin: 'a-password-123\n' });
        assert.equal(r.code, 3, args.join(' '));
        assert.equal(r.out, '');
        assert.equal(r.err, `edgesip: edgesipd is not running (no control socket at ${join(dir, 'control.sock')})\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('version and config check still work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-'));
    try {
      assert.match((await run(['version'])).out, /^edgesip \d+\.\d+\.\d+/);
      const missing = await run(['config', 'check', '--data-dir', dir]);
      assert.equal(missing.code, 0);
      assert.match(missing.out, /no config file yet/);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(defaultConfig()));
      const ok = await run(['--data-dir', dir, 'config', 'check']);
      assert.deepEqual(ok, { code: 0, out: `config is valid: ${join(dir, 'config.json')}\n`, err: '' });
      const bad = { ...defaultConfig(), language: 'fr' };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(bad));
      const r = await run(['--data-dir', dir, 'config', 'check', '--json'], { env: ZH });
      assert.equal(r.code, 1);
      const report = JSON.parse(r.out) as { valid: boolean; problems: { path: string }[] };
      assert.equal(report.valid, false);
      assert.deepEqual(report.problems.map((p) => p.path), ['language']);
      const zh = await run(['--data-dir', dir, 'config', 'check'], { env: ZH });
      assert.match(zh.out, /^配置无效：/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('edgesip status', () => {
  let dir: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => run(['--data-dir', dir, ...args], options);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-status-'));
    backend = new FakeBackend();
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger([]) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a compact summary; a failed trunk exits 1 and is named', async () => {
    const r = await cli(['status']);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'SIP     listening udp 0.0.0.0:5060, tcp 0.0.0.0:5060, tls 0.0.0.0:5061; 12 of 15 extensions registered (14 contacts); 2 calls; trunks: 1 registered, 1 wrong credentials; 2 blocks',
        'System  load 0.12, CPU 41.0 °C, memory 212/926 MiB, disk 1.2/14.6 GiB (/), up 3d 4h',
        'TLS     self-signed, expires in 3620 days',
        'Web     https://0.0.0.0:8443/',
        'needs attention:',
        '  - trunk backup failed to register (edgesip trunk status)',
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 1);
  });

  test('healthy: exit 0, nothing to attend; no sensor and no disk are left out', async () => {
    const saved = backend.status;
    try {
      backend.status = {
        ...saved,
        system: { ...saved.system, cpu: { ...saved.system.cpu, temperature: null }, disk: null },
        sip: { ...saved.sip, trunks: { total: 1, byState: { registered: 1 }, failed: [] } },
      };
      const r = await cli(['status']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /^System  load 0\.12, memory 212\/926 MiB, up 3d 4h$/m);
      assert.doesNotMatch(r.out, /attention/);
      const json = await cli(['status', '--json']);
      assert.equal(json.code, 0);
      assert.deepEqual(JSON.parse(json.out), backend.status);
    } finally {
      backend.status = saved;
    }
  });

  test('--json prints the API view and exits by the same rules; every reason is listed', async () => {
    const json = await cli(['status', '--json']);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.out) as typeof backend.status;
    assert.deepEqual(parsed, backend.status);
    assert.equal(parsed.sip.registeredExtensions, 12);

    const saved = backend.status;
    try {
      backend.status = {
        ...saved,
        system: { ...saved.system, disk: { ...(saved.system.disk as NonNullable<typeof saved.system.disk>), mount: '/var', usePercent: 93.4 } },
        tls: { ...saved.tls, daysLeft: 12, selfSigned: false },
      };
      const r = await cli(['status']);
      assert.equal(r.code, 1);
      assert.match(r.out, /^TLS     installed certificate, expires in 12 days$/m);
      assert.match(
        r.out,
        /needs attention:\n {2}- trunk backup failed to register \(edgesip trunk status\)\n {2}- the TLS certificate expires in 12 days\n {2}- the disk of \/var is 93 % full\n$/,
      );
      backend.status = { ...saved, tls: { ...saved.tls, daysLeft: -3 }, sip: { ...saved.sip, trunks: { total: 0, byState: {}, failed: [] }, listening: { udp: [], tcp: [], tls: [] } } };
      const expired = await cli(['status']);
      assert.equal(expired.code, 1);
      assert.match(expired.out, /^SIP     listening nothing yet; .*trunks: none; 2 blocks$/m);
      backend.status = { ...saved, web: { listening: [] } };
      assert.match((await cli(['status'])).out, /^Web     off \(web\.port is 0\)$/m);
      assert.match(expired.out, /expired 3 days ago/);
      assert.match(expired.out, /- the TLS certificate has expired\n$/);
      assert.equal((await cli(['status', '--json'])).code, 1);
    } finally {
      backend.status = saved;
    }
  });

  test('in Simplified Chinese; usage errors; help', async () => {
    const zh = await cli(['status'], { env: ZH });
    assert.equal(zh.code, 1);
    assert.match(zh.out, /^SIP   监听 udp 0\.0\.0\.0:5060, tcp 0\.0\.0\.0:5060, tls 0\.0\.0\.0:5061；15 个分机中 12 个已注册（14 个联系地址）；2 路通话；中继：已注册 1 个，账号或密码错误 1 个；2 个封禁$/m);
    assert.match(zh.out, /^系统  负载 0\.12，CPU 41\.0 °C，内存 212\/926 MiB，磁盘 1\.2\/14\.6 GiB（\/），已运行 3d 4h$/m);
    assert.match(zh.out, /^TLS   自签名证书，3620 天后到期$/m);
    assert.match(zh.out, /^Web   https:\/\/0\.0\.0\.0:8443\/$/m);
    assert.match(zh.out, /需要处理：\n {2}- 中继 backup 注册失败/);
    assert.equal((await cli(['status', 'extra'])).code, 2);
    assert.equal((await cli(['status', '--bogus'])).code, 2);
    const help = await cli(['status', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^usage: edgesip status \[--json\]/);
    assert.match((await run(['--help'])).out, /status \[--json\]/);
    assert.match((await run(['--help'], { env: ZH })).out, /completion +输出 bash 自动补全脚本/);
  });
});

describe('edgesip completion', () => {
  const scriptFile = join(repoRoot(), 'appliance', 'cli', 'completion.bash');

  test('prints the bash completion script (the file, as bundled)', async () => {
    const r = await run(['completion']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.match(r.out, /^complete -F _edgesip edgesip$/m);
    assert.equal(r.out, readFileSync(scriptFile, 'utf8'));
    assert.match((await run(['completion', '--help'])).out, /^usage: edgesip completion/);
    assert.equal((await run(['completion', 'x'])).code, 2);
  });

  test('the script passes bash -n, registers for edgesip, and completes without a daemon', () => {
    const syntax = spawnSync('bash', ['-n', scriptFile], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    const bin = mkdtempSync(join(tmpdir(), 'edgesip-completion-'));
    try {
      // A stand-in edgesip on PATH answers the name lookups; "down" makes it fail like an absent daemon.
      writeFileSync(
        join(bin, 'edgesip'),
        `#!/bin/sh\n[ -e "${bin}/down" ] && { echo 'edgesipd is not running' >&2; exit 3; }\n` +
          `case "$*" in\n  *'ext list --json') echo '[{"number":"1001","forward":{"busy":"x"}},{"number":"1002"}]' ;;\n` +
          `  *'trunk list --json') echo '[{"name":"itsp","callerId":{"fromUser":""}},{"name":"backup"}]' ;;\n` +
          `  *'admin list --json') echo '[{"user":"admin","lockedUntil":null},{"user":"ops","lockedUntil":null}]' ;;\n  *) exit 1 ;;\nesac\n`,
      );
      chmodSync(join(bin, 'edgesip'), 0o755);
      const complete = (line: string, down = false): string => {
        const words = line.split(' ');
        const script = [
          `source ${JSON.stringify(scriptFile)}`,
          'complete -p edgesip',
          `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
          `COMP_CWORD=${words.length - 1}`,
          '_edgesip',
          'echo "[${COMPREPLY[*]}]"',
        ].join('\n');
        if (down) writeFileSync(join(bin, 'down'), '');
        else rmSync(join(bin, 'down'), { force: true });
        const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, '', `no errors completing "${line}"`);
        const [registered, reply] = r.stdout.trimEnd().split('\n');
        assert.equal(registered, 'complete -F _edgesip edgesip');
        return reply as string;
      };
      assert.equal(complete('edgesip st'), '[status]');
      assert.equal(complete('edgesip --data-dir /tmp tr'), '[trunk]');
      assert.equal(complete('edgesip trunk '), '[list add set remove status help]');
      assert.equal(complete('edgesip trunk add x --tr'), '[--transport]');
      assert.equal(complete('edgesip trunk add x --transport t'), '[tcp tls]');
      assert.equal(complete('edgesip ext set '), '[1001 1002]');
      assert.equal(complete('edgesip ext set 1001 --forward-busy 100'), '[1001 1002]');
      assert.equal(complete('edgesip trunk remove '), '[itsp backup]');
      assert.equal(complete('edgesip route add r --trunk '), '[itsp backup]');
      assert.equal(complete('edgesip ext set 1001 '), '[]');
      assert.equal(complete('edgesip status --'), '[--json --help]');
      assert.equal(complete('edgesip ext set ', true), '[]');
      assert.equal(complete('edgesip did default ', true), '[none]');
      assert.equal(complete('edgesip a'), '[admin acl]');
      assert.equal(complete('edgesip admin '), '[list add passwd remove unlock help]');
      assert.equal(complete('edgesip admin passwd '), '[admin ops]');
      assert.equal(complete('edgesip admin remove o'), '[ops]');
      assert.equal(complete('edgesip admin add x --'), '[--password-stdin --generate --help]');
      assert.equal(complete('edgesip admin add '), '[]', 'a new name');
      assert.equal(complete('edgesip admin list --'), '[--json --help]');
      assert.equal(complete('edgesip ce'), '[cert]');
      assert.equal(complete('edgesip cert '), '[show install help]');
      assert.equal(complete('edgesip cert install --'), '[--cert --key --help]');
      assert.equal(complete('edgesip cert show --'), '[--json --help]');
      assert.equal(complete('edgesip settings '), '[show set help]');
      assert.equal(complete('edgesip settings set --web-'), '[--web-port --web-redirect-port --web-tls-min --web-idle-timeout]');
      assert.equal(complete('edgesip settings set --sip-tls-min '), '[1.2 1.3]');
      assert.equal(complete('edgesip settings set --web-tls-min = 1'), '[1.2 1.3]');
      assert.equal(complete('edgesip settings set --sip-port '), '[]');
      assert.equal(complete('edgesip settings set --sip-port 5070 --j'), '[--json]');
      assert.equal(complete('edgesip settings set --d'), '[--digest-algorithms]');
      assert.equal(complete('edgesip settings set --digest-algorithms '), '[SHA-256,MD5 MD5,SHA-256 SHA-256 MD5]');
      assert.equal(complete('edgesip settings set --digest-algorithms M'), '[MD5,SHA-256 MD5]');
      assert.equal(complete('edgesip settings set --digest-algorithms = S'), '[SHA-256,MD5 SHA-256]');
      assert.equal(complete('edgesip settings set --digest-algorithms MD5 --w'), '[--web-port --web-redirect-port --web-tls-min --web-idle-timeout]');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

test('renderTable aligns by display width and trims trailing blanks', () => {
  assert.equal(renderTable(['A', 'BB', 'C'], [['xxx', '', 'z'], ['y', '中文', '']]), 'A    BB    C\nxxx        z\ny    中文\n'.trimEnd());
});

describe('edgesip diag dns', () => {
  let dir: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => run(['--data-dir', dir, ...args], options);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-diag-'));
    backend = new FakeBackend();
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger([]) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('usage errors, and --help', async () => {
    const tooMany = Array.from({ length: 21 }, (_, i) => `n${i}.example.net`);
    const cases: Array<[string[], RegExp]> = [
      [['diag'], /missing subcommand after "diag"/],
      [['diag', 'ping'], /unknown subcommand: diag ping/],
      [['diag', 'dns', '--all'], /unknown option: --all/],
      [['diag', 'dns', 'not a name'], /not a DNS name: not a name/],
      [['diag', 'dns', '192.0.2.1'], /not a DNS name: 192\.0\.2\.1/],
      [['diag', 'dns', ...tooMany], /at most 20 names at a time/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '');
      assert.match(r.err, expected, args.join(' '));
      assert.match(r.err, /see 'edgesip diag --help'/);
    }
    assert.match((await cli(['diag', 'dns', 'bad_name'], { env: ZH })).err, /不是有效的域名：bad_name/);
    assert.deepEqual(backend.dnsCheckNames, [], 'nothing reached the daemon');
    for (const args of [['diag', '--help'], ['diag', 'dns', '--help'], ['diag', 'help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0);
      assert.match(r.out, /^usage: edgesip diag dns \[NAME\.\.\.\] \[--json\]/);
    }
    assert.match((await cli(['diag', '--help'], { env: ZH })).out, /^用法：edgesip diag dns/);
    assert.match((await cli(['--help'])).out, /diag dns \[NAME\.\.\.\]/);
    assert.match((await cli(['--help'], { env: ZH })).out, /diag dns \[域名\.\.\.\]/);
  });

  test('--json: the report as sent, exit 1 with findings and 0 without', async () => {
    const r = await cli(['diag', 'dns', 'sip.example.net', 'Other.Example.', '--json']);
    assert.deepEqual(r, { code: 1, out: `${JSON.stringify(backend.dnsReport)}\n`, err: '' });
    assert.deepEqual(backend.dnsCheckNames.at(-1), ['sip.example.net', 'Other.Example.']);
    const saved = backend.dnsReport;
    backend.dnsReport = { ...saved, findings: [] };
    const clean = await cli(['diag', 'dns', '--json']);
    assert.equal(clean.code, 0);
    assert.deepEqual(JSON.parse(clean.out), backend.dnsReport);
    assert.equal(backend.dnsCheckNames.at(-1), undefined, 'no names: the daemon picks them');
    backend.dnsReport = saved;
  });

  test('the table, the findings explained, the commands; in Chinese too', async () => {
    const r = await cli(['diag', 'dns', 'sip.example.net']);
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'sip.example.net:',
        'TYPE           SYSTEM                      119.29.29.29                223.5.5.5                   VERDICT',
        'A              10.0.0.1                    198.51.100.10               timeout                     DISAGREE',
        'SRV _sip._udp  10 50 5060 sip.example.net  10 50 5060 sip.example.net  10 50 5060 sip.example.net  agree',
        '',
        'Findings:',
        "  The system resolver and 119.29.29.29 disagree about sip.example.net A: your ISP's DNS may be redirecting it; phones that resolve this name may fail to register.",
        '  223.5.5.5 did not answer within 3 s (sip.example.net A)',
        '',
        'To check by hand:',
        '  dig sip.example.net A',
        '  nslookup -type=A sip.example.net',
        '  dig @119.29.29.29 sip.example.net A',
        '  nslookup -type=A sip.example.net 119.29.29.29',
        '',
      ].join('\n'),
    );
    const zh = await cli(['diag', 'dns'], { env: ZH });
    assert.equal(zh.code, 1);
    assert.match(zh.out, /^sip\.example\.net:\n类型 +系统 +119\.29\.29\.29 +223\.5\.5\.5 +结论\n/);
    assert.match(zh.out, /\nA +10\.0\.0\.1 +198\.51\.100\.10 +超时 +不一致\n/);
    assert.ok(zh.out.includes('系统解析器和119.29.29.29对 sip.example.net A 的解析结果不一致'), zh.out);
    assert.ok(zh.out.includes('223.5.5.5 在 3 秒内未应答（sip.example.net A）'), zh.out);
    assert.ok(zh.out.includes('手动复查命令：\n  dig sip.example.net A\n'));

    const saved = backend.dnsReport;
    backend.dnsReport = { names: [], findings: [], commands: [] };
    assert.deepEqual(await cli(['diag', 'dns']), { code: 0, out: '', err: 'nothing to check: give a NAME, or add a trunk (its domain is checked)\n' });
    backend.dnsReport = { ...saved, findings: [] };
    const clean = await cli(['diag', 'dns']);
    assert.equal(clean.code, 0);
    assert.match(clean.out, /\nAll resolvers agree: no DNS problem found\.\n/);
    backend.dnsReport = saved;
  });
});

/** A terminal's stdin: the chunks typed, raw mode switches recorded. */
function fakeTty(chunks: string[]): TtyInput & { modes: boolean[] } {
  const stream = Readable.from(chunks) as unknown as TtyInput & { modes: boolean[] };
  stream.modes = [];
  stream.isTTY = true;
  stream.setRawMode = (mode: boolean) => {
    stream.modes.push(mode);
    return stream;
  };
  return stream;
}

describe('edgesip CLI: web admins, the TLS certificate, service settings', () => {
  let dir: string;
  let backend: FakeBackend;
  let server: ControlServer;
  const logs: LogEntry[] = [];
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => run(['--data-dir', dir, ...args], options);
  /** The CLI with a terminal as its standard input. */
  const onTty = async (args: string[], tty: NodeJS.ReadableStream): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await runCli(['--data-dir', dir, ...args], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      stdin: tty,
      env: EN,
    });
    return { code, out, err };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-admin-'));
    backend = new FakeBackend();
    server = await startControlServer({ socketPath: join(dir, 'control.sock'), backend, logger: memoryLogger(logs) });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('admin list: a table, --json exactly the API body', async () => {
    const r = await cli(['admin', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(r.out, 'USER   CREATED                   PASSWORD CHANGED          LOCKED UNTIL\nadmin  2024-05-01T08:00:00.000Z  2024-05-01T08:00:00.000Z  -\n');
    const j = await cli(['admin', 'list', '--json']);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.out), backend.listAdmins());
    assert.equal(j.out, `${JSON.stringify(backend.listAdmins())}\n`);
  });

  test('admin add: --password-stdin; already there; too weak names the field', async () => {
    const r = await cli(['admin', 'add', 'ops', '--password-stdin'], { stdin: 'ops-secret-2024\nsecond line\n' });
    assert.deepEqual(r, { code: 0, out: 'web admin ops added\n', err: '' });
    assert.deepEqual(backend.lastAdminPassword, { user: 'ops', password: 'ops-secret-2024' });
    assert.deepEqual(backend.listAdmins().map((a) => a.user), ['admin', 'ops']);

    assert.deepEqual(await cli(['admin', 'add', 'ops', '--password-stdin'], { stdin: 'another-secret-1\n' }), { code: 1, out: '', err: 'edgesip: web admin ops already exists\n' });
    const weak = await cli(['admin', 'add', 'auditor', '--password-stdin'], { stdin: 'short-pw\n' });
    assert.deepEqual(weak, { code: 1, out: '', err: 'edgesip: refused: password: is too weak: it must have at least 10 characters\n' });
    const same = await cli(['admin', 'add', 'auditor-one', '--password-stdin'], { stdin: 'Auditor-One\n' });
    assert.deepEqual(same, { code: 1, out: '', err: 'edgesip: refused: password: is too weak: it must not be the user name\n' });
    const badUser = await cli(['admin', 'add', 'Root', '--password-stdin'], { stdin: 'good-pass-12345\n' });
    assert.equal(badUser.code, 1);
    assert.match(badUser.err, /^edgesip: refused: USER: must be 1-32 lower-case letters/);
    assert.equal(backend.admins.has('auditor'), false);
  });

  test('admin add --generate: a strong password, set and printed once', async () => {
    const r = await cli(['admin', 'add', 'night', '--generate']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const sent = backend.lastAdminPassword;
    assert.equal(sent?.user, 'night');
    const password = sent?.password as string;
    assert.match(password, /^[A-HJ-NP-Za-km-z2-9]{5}(-[A-HJ-NP-Za-km-z2-9]{5}){3}$/);
    assert.equal(r.out, `web admin night added\ngenerated password for night: ${password}\nstore it now in a safe place (a password manager): it is not shown again\n`);
    assert.equal(r.out.split(password).length - 1, 1, 'printed once');

    const again = await cli(['admin', 'passwd', 'night', '--generate']);
    assert.equal(again.code, 0, again.err);
    const next = backend.lastAdminPassword?.password as string;
    assert.notEqual(next, password);
    assert.match(again.out, new RegExp(`^password of web admin night changed\ngenerated password for night: ${next}\n`));
    // The daemon's audit log never sees a password.
    for (const secret of [password, next, 'ops-secret-2024']) assert.ok(!JSON.stringify(logs).includes(secret));
  });

  test('generatePassword: 20 characters of the unambiguous alphabet, in groups, accepted by the daemon rules', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      const letters = p.replace(/-/g, '');
      assert.equal(letters.length, 20);
      assert.ok([...letters].every((c) => PASSWORD_ALPHABET.includes(c)), p);
      assert.equal(adminPasswordProblem(p, 'admin'), undefined, p);
      seen.add(p);
    }
    assert.equal(seen.size, 200);
    for (const c of '0O1lIo') assert.ok(!PASSWORD_ALPHABET.includes(c), c);
  });

  test('admin passwd: USER defaults to admin; stdin; unknown user', async () => {
    backend.admins.set('admin', { ...(backend.admins.get('admin') as AdminAccountView), lockedUntil: '2024-06-01T12:15:00.000Z' });
    const locked = await cli(['admin', 'list']);
    assert.match(locked.out, /^admin +2024-05-01T08:00:00\.000Z +2024-05-01T08:00:00\.000Z +2024-06-01T12:15:00\.000Z$/m);
    const r = await cli(['admin', 'passwd', '--password-stdin'], { stdin: 'new-admin-pass-1\n' });
    assert.deepEqual(r, { code: 0, out: 'password of web admin admin changed\n', err: '' });
    assert.deepEqual(backend.lastAdminPassword, { user: 'admin', password: 'new-admin-pass-1' });
    assert.equal(backend.admins.get('admin')?.lockedUntil, null, 'a new password lifts the lockout');
    assert.deepEqual(await cli(['admin', 'passwd', 'bob', '--password-stdin'], { stdin: 'bobs-pass-12345\n' }), { code: 1, out: '', err: 'edgesip: no web admin bob\n' });
    const weak = await cli(['admin', 'passwd', 'ops', '--password-stdin'], { stdin: 'aaaaaaaaaaaa\n' });
    assert.deepEqual(weak, { code: 1, out: '', err: 'edgesip: refused: password: is too weak: it must not repeat a single character\n' });
  });

  test('admin passwd on a terminal: asked twice without echo', async () => {
    const tty = fakeTty(['typed-pass-', '2024x\x7f\r', 'typed-pass-2024\r']);
    const r = await onTty(['admin', 'passwd', 'ops'], tty);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'password of web admin ops changed\n');
    assert.equal(r.err, 'new password for ops: \nrepeat the password: \n');
    assert.deepEqual(backend.lastAdminPassword, { user: 'ops', password: 'typed-pass-2024' });
    assert.deepEqual(tty.modes, [true, false], 'raw mode on while asking, off after');

    // Both lines in one chunk, CR LF, an arrow key that is ignored.
    const pasted = await onTty(['admin', 'passwd', 'ops'], fakeTty(['pasted-pass-\x1b[D77\r\npasted-pass-77\r']));
    assert.equal(pasted.code, 0, pasted.err);
    assert.equal(backend.lastAdminPassword?.password, 'pasted-pass-77');

    const before = backend.lastAdminPassword;
    const mismatch = await onTty(['admin', 'passwd', 'ops'], fakeTty(['first-pass-123\r', 'other-pass-123\r']));
    assert.deepEqual(mismatch, { code: 1, out: '', err: 'new password for ops: \nrepeat the password: \nedgesip: the passwords do not match; nothing changed\n' });
    const cancelled = await onTty(['admin', 'add', 'temp'], fakeTty(['half\x03']));
    assert.deepEqual(cancelled, { code: 1, out: '', err: 'new password for temp: \nedgesip: cancelled; nothing changed\n' });
    const ended = await onTty(['admin', 'add', 'temp'], fakeTty(['only-once-123\r']));
    assert.equal(ended.code, 1);
    assert.match(ended.err, /cancelled; nothing changed/);
    assert.equal(backend.lastAdminPassword, before, 'nothing was sent');
    assert.equal(backend.admins.has('temp'), false);
    // No terminal and no option: say how to give the password.
    const noTty = await cli(['admin', 'passwd']);
    assert.equal(noTty.code, 2);
    assert.match(noTty.err, /^edgesip: no terminal to ask the password on: use --password-stdin or --generate\nsee 'edgesip admin --help'\n$/);
  });

  test('admin unlock and remove; the last account stays', async () => {
    backend.admins.set('ops', { ...(backend.admins.get('ops') as AdminAccountView), lockedUntil: '2024-06-01T12:15:00.000Z' });
    assert.deepEqual(await cli(['admin', 'unlock', 'ops']), { code: 0, out: 'web admin ops unlocked\n', err: '' });
    assert.equal(backend.admins.get('ops')?.lockedUntil, null);
    assert.deepEqual(await cli(['admin', 'unlock', 'bob']), { code: 1, out: '', err: 'edgesip: no web admin bob\n' });
    assert.deepEqual(await cli(['admin', 'remove', 'bob']), { code: 1, out: '', err: 'edgesip: no web admin bob\n' });

    assert.deepEqual(await cli(['admin', 'remove', 'night']), { code: 0, out: 'web admin night removed; its web sessions have ended\n', err: '' });
    assert.deepEqual(await cli(['admin', 'remove', 'admin']), { code: 0, out: 'web admin admin removed; its web sessions have ended\n', err: '' });
    const last = await cli(['admin', 'remove', 'ops']);
    assert.deepEqual(last, { code: 1, out: '', err: 'edgesip: refused: ops is the last admin account; add another one first\n' });
    assert.deepEqual(backend.listAdmins().map((a) => a.user), ['ops']);
    const zh = await cli(['admin', 'remove', 'ops'], { env: ZH });
    assert.equal(zh.code, 1);
    assert.match(zh.err, /^edgesip: 请求被拒绝：ops is the last admin account/);
  });

  test('admin usage errors exit 2; nothing reaches the daemon', async () => {
    const before = backend.lastAdminPassword;
    const cases: [string[], RegExp][] = [
      [['admin'], /missing subcommand after "admin"/],
      [['admin', 'rename'], /unknown subcommand: admin rename/],
      [['admin', 'add'], /missing argument: USER/],
      [['admin', 'add', 'a', 'b', '--generate'], /unexpected argument: b/],
      [['admin', 'add', 'x1', '--generate', '--password-stdin'], /--password-stdin and --generate cannot be used together/],
      [['admin', 'add', 'x1', '--password', 'secret-pass-1'], /unknown option: --password/],
      [['admin', 'add', 'x1', '--password-stdin'], /no password on standard input/],
      [['admin', 'passwd', 'a', 'b', '--generate'], /unexpected argument: b/],
      [['admin', 'remove'], /missing argument: USER/],
      [['admin', 'unlock'], /missing argument: USER/],
      [['admin', 'list', 'x'], /unexpected argument: x/],
      [['admin', 'list', '--generate'], /unknown option: --generate/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '', args.join(' '));
      assert.match(r.err, expected, args.join(' '));
      assert.match(r.err, /see 'edgesip admin --help'\n$/, args.join(' '));
    }
    assert.equal(backend.lastAdminPassword, before);
    assert.equal(backend.admins.has('x1'), false);
  });

  test('cert show: the certificate in lines, --json the API body, a warning near expiry', async () => {
    const r = await cli(['cert', 'show']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'Subject      CN=edgesip',
        'Issuer       CN=edgesip',
        'Names (SAN)  DNS:edgesip, DNS:edgesip.local, DNS:localhost, IP Address:127.0.0.1',
        'Valid from   2024-05-01T10:00:00.000Z',
        'Valid until  2034-04-29T10:00:00.000Z',
        'Days left    3620',
        'Self-signed  yes',
        `SHA-256      ${backend.tls.fingerprint256}`,
        'File         /var/lib/edgesip/tls/edgesip.crt',
        '',
      ].join('\n'),
    );
    const j = await cli(['cert', 'show', '--json']);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.out), backend.getTls());

    const saved = backend.tls;
    try {
      backend.tls = { ...saved, daysLeft: 12, expiryWarning: true, selfSigned: false };
      const soon = await cli(['cert', 'show']);
      assert.equal(soon.code, 0);
      assert.match(soon.out, /^Self-signed  no$/m);
      assert.match(soon.out, /\nwarning: the certificate expires in 12 days: install a new one \(edgesip cert install\)\n$/);
      backend.tls = { ...saved, daysLeft: -3, expiryWarning: true };
      assert.match((await cli(['cert', 'show'])).out, /\nwarning: the certificate expired 3 days ago: install a new one/);
      const zh = await cli(['cert', 'show'], { env: ZH });
      assert.match(zh.out, /^主题 {10}CN=edgesip\n颁发者 {8}CN=edgesip\n名称（SAN） {3}DNS:edgesip/);
      assert.match(zh.out, /^自签名 {8}是$/m);
      assert.match(zh.out, /\n警告：证书已过期 3 天，请安装新证书（edgesip cert install）\n$/);
    } finally {
      backend.tls = saved;
    }
  });

  test('cert install: reads both files, sends the PEM text, prints the new certificate', async () => {
    const certFile = join(dir, 'fullchain.pem');
    const keyFile = join(dir, 'privkey.pem');
    const certPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
    const keyPem = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
    writeFileSync(certFile, certPem);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    const r = await cli(['cert', 'install', '--cert', certFile, '--key', keyFile]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(backend.tlsInputs.at(-1), { cert: certPem, key: keyPem });
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'certificate installed: SIP-TLS and the web admin now present it');
    assert.equal(lines[1], 'Subject      CN=pbx.example.com');
    assert.equal(lines[2], "Issuer       C=US, O=Let's Encrypt, CN=R11", 'one attribute per line in X.509 names, joined');
    assert.match(r.out, /^Self-signed  no$/m);
    assert.match(r.out, /^File         \/var\/lib\/edgesip\/tls\/installed\.crt$/m);
    assert.match(r.out, /\nwarning: the certificate expires in 20 days/);
    assert.deepEqual(JSON.parse((await cli(['cert', 'show', '--json'])).out), backend.installedTls);
  });

  test('cert install refusals name the option; unreadable files are usage errors naming them', async () => {
    const certFile = join(dir, 'c.pem');
    const keyFile = join(dir, 'k.pem');
    const badKey = join(dir, 'other.key');
    const der = join(dir, 'cert.der');
    writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(keyFile, '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');
    writeFileSync(badKey, '-----BEGIN PRIVATE KEY-----\nMISMATCH\n-----END PRIVATE KEY-----\n');
    writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    const saved = backend.tls;
    backend.tls = { ...saved };
    try {
      const mismatch = await cli(['cert', 'install', '--cert', certFile, '--key', badKey]);
      assert.deepEqual(mismatch, { code: 1, out: '', err: 'edgesip: refused: --key: does not match the certificate\n' });
      const notPem = await cli(['cert', 'install', '--cert', der, '--key', keyFile]);
      assert.equal(notPem.code, 1);
      assert.match(notPem.err, /^edgesip: refused: --cert: must be PEM text with a "BEGIN CERTIFICATE" block\n$/);
      const keyAsCert = await cli(['cert', 'install', '--cert', certFile, '--key', certFile]);
      assert.match(keyAsCert.err, /^edgesip: refused: --key: must be PEM text with a "BEGIN PRIVATE KEY" block\n$/);
      assert.deepEqual(backend.tls, saved, 'nothing installed');

      const big = join(dir, 'big.pem');
      writeFileSync(big, 'x'.repeat(61 * 1024));
      const cases: [string[], RegExp][] = [
        [['cert', 'install', '--cert', join(dir, 'missing.pem'), '--key', keyFile], new RegExp(`cannot read --cert ${join(dir, 'missing.pem')}: no such file`)],
        [['cert', 'install', '--cert', certFile, '--key', join(dir, 'nokey.pem')], new RegExp(`cannot read --key ${join(dir, 'nokey.pem')}: no such file`)],
        [['cert', 'install', '--cert', dir, '--key', keyFile], new RegExp(`cannot read --cert ${dir}: is a directory`)],
        [['cert', 'install', '--cert', big, '--key', keyFile], /cannot read --cert .*big\.pem: larger than 30 KiB: not a PEM file/],
        [['cert', 'install', '--key', keyFile], /missing option --cert/],
        [['cert', 'install', '--cert', certFile], /missing option --key/],
        [['cert', 'install', '--cert', certFile, '--key'], /option --key needs a value/],
        [['cert', 'install', certFile, keyFile], /unexpected argument: /],
        [['cert', 'show', 'now'], /unexpected argument: now/],
        [['cert', 'renew'], /unknown subcommand: cert renew/],
        [['cert'], /missing subcommand after "cert"/],
      ];
      for (const [args, expected] of cases) {
        const r = await cli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
        assert.equal(r.out, '');
        assert.match(r.err, expected, args.join(' '));
        assert.match(r.err, /see 'edgesip cert --help'\n$/);
      }
      if (process.getuid?.() !== 0) {
        const secret = join(dir, 'unreadable.pem');
        writeFileSync(secret, 'x', { mode: 0o000 });
        const denied = await cli(['cert', 'install', '--cert', certFile, '--key', secret]);
        assert.equal(denied.code, 2);
        assert.match(denied.err, /cannot read --key .*unreadable\.pem: permission denied/);
      }
      const zh = await cli(['cert', 'install', '--cert', join(dir, 'missing.pem'), '--key', keyFile], { env: ZH });
      assert.equal(zh.code, 2);
      assert.match(zh.err, /^edgesip: 无法读取 --cert .*missing\.pem：文件不存在\n参见 'edgesip cert --help'\n$/);
    } finally {
      backend.tls = saved;
    }
  });

  test('settings show: aligned lines, --json the API body', async () => {
    const r = await cli(['settings', 'show']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'SIP port (UDP, TCP)       5060',
        'SIP-TLS port              5061',
        'SIP-TLS minimum version   TLSv1.2',
        'SIP digest algorithms     SHA-256, MD5',
        'Web admin port (HTTPS)    8443',
        'Web redirect port (HTTP)  none',
        'Web TLS minimum version   TLSv1.2',
        'Web idle timeout          15 min',
        '',
      ].join('\n'),
    );
    const j = await cli(['settings', 'show', '--json']);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.out), { ...backend.settings, restartRequired: false });
  });

  test('settings set: TLS versions and the timeout at once, ports after a restart', async () => {
    const r = await cli(['settings', 'set', '--sip-tls-min', '1.3', '--web-tls-min', 'TLSv1.3', '--web-idle-timeout', '30']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(backend.settingsInputs.at(-1), { sip: { tlsMinVersion: 'TLSv1.3' }, web: { tlsMinVersion: 'TLSv1.3', idleTimeoutMinutes: 30 } });
    assert.match(r.out, /^settings saved\n/);
    assert.match(r.out, /^SIP-TLS minimum version   TLSv1\.3$/m);
    assert.match(r.out, /^Web idle timeout          30 min\n$/m);
    assert.doesNotMatch(r.out, /restart/);

    const ports = await cli(['settings', 'set', '--web-port', '0', '--web-redirect-port=80', '--sip-port', '5070']);
    assert.equal(ports.code, 0, ports.err);
    assert.deepEqual(backend.settingsInputs.at(-1), { sip: { port: 5070 }, web: { port: 0, httpRedirectPort: 80 } });
    assert.match(ports.out, /^SIP port \(UDP, TCP\) {7}5070$/m);
    assert.match(ports.out, /^Web admin port \(HTTPS\) {4}off \(web admin disabled\)$/m);
    assert.match(ports.out, /^Web redirect port \(HTTP\) {2}80$/m);
    assert.match(ports.out, /\nthe new ports take effect after: systemctl restart edgesipd\n$/);

    const json = await cli(['settings', 'set', '--web-port', '8443', '--json']);
    assert.equal(json.code, 0);
    const view = JSON.parse(json.out) as ServiceSettingsView;
    assert.equal(view.restartRequired, true, 'sip.port and the redirect port still differ from the ones in use');
    assert.equal(view.web.port, 8443);
    const zh = await cli(['settings', 'show'], { env: ZH });
    assert.match(zh.out, /^SIP 端口（UDP、TCP） {3}5070$/m);
    assert.match(zh.out, /^Web 空闲超时 {11}30 分钟$/m);
    assert.match(zh.out, /\n新端口在以下命令执行后生效：systemctl restart edgesipd\n$/);
    assert.equal((await cli(['settings', 'set', '--sip-port', '5060', '--web-redirect-port', '0'])).code, 0);
    assert.doesNotMatch((await cli(['settings', 'show'])).out, /restart/);
  });

  test('settings set --digest-algorithms: MD5 first or one alone, at once; show and --json have it', async () => {
    const r = await cli(['settings', 'set', '--digest-algorithms', 'MD5,SHA-256']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(backend.settingsInputs.at(-1), { sip: { digestAlgorithms: ['MD5', 'SHA-256'] } });
    assert.match(r.out, /^settings saved\n/);
    assert.match(r.out, /^SIP digest algorithms {5}MD5, SHA-256$/m);
    assert.doesNotMatch(r.out, /restart/, 'applies at once');
    assert.match((await cli(['settings', 'show'])).out, /^SIP digest algorithms {5}MD5, SHA-256$/m);
    const shown = JSON.parse((await cli(['settings', 'show', '--json'])).out) as ServiceSettingsView;
    assert.deepEqual(shown.sip.digestAlgorithms, ['MD5', 'SHA-256']);

    // Any case, sha256 without the dash, blanks around the commas.
    const one = await cli(['settings', 'set', '--digest-algorithms= md5 ', '--json']);
    assert.equal(one.code, 0, one.err);
    assert.deepEqual(backend.settingsInputs.at(-1), { sip: { digestAlgorithms: ['MD5'] } });
    assert.deepEqual((JSON.parse(one.out) as ServiceSettingsView).sip.digestAlgorithms, ['MD5']);
    assert.equal((await cli(['settings', 'set', '--digest-algorithms', 'sha256, Md5'])).code, 0);
    assert.deepEqual(backend.settingsInputs.at(-1), { sip: { digestAlgorithms: ['SHA-256', 'MD5'] } });

    const zh = await cli(['settings', 'set', '--digest-algorithms', 'SHA-256'], { env: ZH });
    assert.equal(zh.code, 0, zh.err);
    assert.match(zh.out, /^设置已保存\n/);
    assert.match(zh.out, /^SIP 摘要认证算法 {7}SHA-256$/m);
    assert.equal((await cli(['settings', 'set', '--digest-algorithms', 'SHA-256,MD5'])).code, 0);
    assert.deepEqual(backend.settings.sip.digestAlgorithms, ['SHA-256', 'MD5']);
  });

  test('settings refusals name the option; usage errors exit 2', async () => {
    const seen = backend.settingsInputs.length;
    const refusals: [string[], string][] = [
      [['--sip-port', '70000'], 'refused: --sip-port: must be an integer from 1 to 65535'],
      [['--sip-tls-port', '0'], 'refused: --sip-tls-port: must be an integer from 1 to 65535'],
      [['--web-redirect-port=-1'], 'refused: --web-redirect-port: must be an integer from 0 to 65535'],
      [['--web-idle-timeout', '0'], 'refused: --web-idle-timeout: must be an integer from 1 to 1440'],
      [['--web-idle-timeout', '1441'], 'refused: --web-idle-timeout: must be an integer from 1 to 1440'],
      [['--digest-algorithms', 'MD5,md5'], 'refused: --digest-algorithms: MD5 is listed twice; each algorithm once'],
      [['--sip-tls-port', '5060'], 'refused: --sip-tls-port: must differ from sip.port'],
    ];
    for (const [args, message] of refusals) {
      assert.deepEqual(await cli(['settings', 'set', ...args]), { code: 1, out: '', err: `edgesip: ${message}\n` }, args.join(' '));
    }
    assert.equal(backend.settingsInputs.length, seen + 1, 'only the last reached the backend (a conflict it found)');
    const usage: [string[], RegExp][] = [
      [['settings', 'set'], /nothing to change: give at least one option/],
      [['settings', 'set', '--json'], /nothing to change/],
      [['settings', 'set', '--sip-tls-min', '1.1'], /option --sip-tls-min must be one of 1\.2\|1\.3, not "1\.1"/],
      [['settings', 'set', '--web-tls-min', 'ssl3'], /option --web-tls-min must be one of 1\.2\|1\.3, not "ssl3"/],
      [['settings', 'set', '--digest-algorithms', 'SHA-1'], /option --digest-algorithms takes SHA-256 and\/or MD5, comma separated, most preferred first \(e\.g\. MD5,SHA-256\), not "SHA-1"/],
      [['settings', 'set', '--digest-algorithms', 'MD5,'], /option --digest-algorithms takes SHA-256 and\/or MD5.*, not "MD5,"/],
      [['settings', 'set', '--digest-algorithms='], /option --digest-algorithms takes SHA-256 and\/or MD5.*, not ""/],
      [['settings', 'set', '--digest-algorithms', 'MD5 SHA-256'], /option --digest-algorithms takes/],
      [['settings', 'set', '--sip-port', 'sip'], /option --sip-port needs a whole number, not "sip"/],
      [['settings', 'set', '--web-idle-timeout', '1.5'], /option --web-idle-timeout needs a whole number/],
      [['settings', 'set', '--web-port'], /option --web-port needs a value/],
      [['settings', 'set', '--http-port', '80'], /unknown option: --http-port/],
      [['settings', 'set', '5060'], /unexpected argument: 5060/],
      [['settings', 'show', '--sip-port', '1'], /unknown option: --sip-port/],
      [['settings', 'reset'], /unknown subcommand: settings reset/],
      [['settings'], /missing subcommand after "settings"/],
    ];
    for (const [args, expected] of usage) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.out, '');
      assert.match(r.err, expected, args.join(' '));
      assert.match(r.err, /see 'edgesip settings --help'\n$/);
    }
    assert.equal(backend.settingsInputs.length, seen + 1);
    const zh = await cli(['settings', 'set', '--sip-port', '70000'], { env: ZH });
    assert.deepEqual(zh, { code: 1, out: '', err: 'edgesip: 请求被拒绝：--sip-port：must be an integer from 1 to 65535\n' });
    const zhAlgorithms = await cli(['settings', 'set', '--digest-algorithms', 'sha1'], { env: ZH });
    assert.equal(zhAlgorithms.code, 2);
    assert.equal(
      zhAlgorithms.err,
      "edgesip: 选项 --digest-algorithms 需要 SHA-256 和/或 MD5，以逗号分隔，首选的在前（例如 MD5,SHA-256），而不是 \"sha1\"\n参见 'edgesip settings --help'\n",
    );
  });

  test('messages in Simplified Chinese', async () => {
    const list = await cli(['admin', 'list'], { env: ZH });
    assert.equal(list.code, 0);
    assert.match(list.out, /^用户 +创建时间 +密码修改时间 +锁定至\nops +/);
    const add = await cli(['admin', 'add', 'zhang', '--generate'], { env: ZH });
    assert.equal(add.code, 0, add.err);
    const password = backend.lastAdminPassword?.password as string;
    assert.equal(add.out, `已添加 Web 管理账号 zhang\n为 zhang 生成的密码：${password}\n请立即妥善保存（例如存入密码管理器）：该密码不会再次显示\n`);
    assert.deepEqual(await cli(['admin', 'unlock', 'li'], { env: ZH }), { code: 1, out: '', err: 'edgesip: Web 管理账号 li 不存在\n' });
    assert.deepEqual(await cli(['admin', 'add', 'zhang', '--generate'], { env: ZH }), { code: 1, out: '', err: 'edgesip: Web 管理账号 zhang 已存在\n' });
    const noTty = await cli(['admin', 'passwd', 'zhang'], { env: ZH });
    assert.equal(noTty.err, "edgesip: 没有可输入密码的终端：请使用 --password-stdin 或 --generate\n参见 'edgesip admin --help'\n");
    assert.deepEqual(await cli(['admin', 'remove', 'zhang'], { env: ZH }), { code: 0, out: '已删除 Web 管理账号 zhang，其 Web 会话已结束\n', err: '' });
    const set = await cli(['settings', 'set', '--web-idle-timeout', '20'], { env: ZH });
    assert.match(set.out, /^设置已保存\n/);
  });

  test('--help of the groups, in both languages; the main usage lists them', async () => {
    for (const args of [['admin', '--help'], ['admin', 'help'], ['admin', 'passwd', '--help'], ['cert', '-h'], ['cert', 'install', '--help'], ['settings', '--help'], ['settings', 'set', '--help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.equal(r.err, '');
      assert.match(r.out, new RegExp(`^usage: edgesip ${args[0]} <subcommand>`), args.join(' '));
      const zh = await cli(args, { env: ZH });
      assert.match(zh.out, new RegExp(`^用法：edgesip ${args[0]} <子命令>`), args.join(' '));
    }
    assert.match((await cli(['admin', '--help'])).out, /admin passwd \[USER\] \[--password-stdin \| --generate\] +USER defaults to admin/);
    assert.match((await cli(['cert', '--help'])).out, /cert install --cert FILE --key FILE/);
    assert.match((await cli(['settings', '--help'])).out, /--web-port N +HTTPS port of the web admin \(default 8443; 0 = web admin off\)/);
    assert.match((await cli(['settings', 'set', '--help'])).out, /--digest-algorithms LIST +digest challenges offered to phones, most preferred first:/);
    assert.match((await cli(['settings', '--help'], { env: ZH })).out, /--digest-algorithms 列表 +向话机提供的摘要认证算法，首选的在前/);
    const usage = (await run(['--help'])).out;
    assert.match(usage, /\n {2}admin list\|add\|passwd\|remove\|unlock {2}manage the web admin accounts\n/);
    assert.match(usage, /\n {2}cert show\|install +show or install the TLS certificate\n/);
    assert.match(usage, /\n {2}settings show\|set +ports, TLS versions, digest algorithms, web idle timeout\n/);
    assert.match((await run(['--help'], { env: ZH })).out, /\n {2}settings show\|set +端口、TLS 版本、摘要认证算法和 Web 空闲超时\n/);
  });
});

describe('edgesip fxs', () => {
  let dir: string;
  let server: FxsStatusServer;
  let agentStatus: FxsStatus;
  let agentFails = false;
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => run(['fxs', ...args, '--fxs-dir', dir], options);

  const healthy = (): FxsStatus => ({
    version: '0.1.0',
    board: { state: 'up', path: '/dev/ttyUSB0', firmware: 'fxs-4 1.2.0', lines: 4, badFrames: 0, reconnects: 1 },
    server: '127.0.0.1:5060 UDP',
    local: '0.0.0.0:5070',
    lines: [
      { line: 1, username: '301', registration: 'registered', hook: 'on-hook', call: 'idle', expiresInSeconds: 280 },
      { line: 2, username: '302', registration: 'registered', hook: 'off-hook', call: 'connected', peer: '1001', expiresInSeconds: 45 },
      { line: 3, username: '303', registration: 'disabled', hook: 'unknown', call: 'idle' },
    ],
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-fxs-'));
    agentStatus = healthy();
    server = await startFxsStatusServer({
      socketPath: join(dir, 'fxs.sock'),
      status: () => {
        if (agentFails) throw new Error('status source broken');
        return agentStatus;
      },
      logger: memoryLogger([]),
    });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('healthy: the board line and a table per line, exit 0; --json prints the status', async () => {
    agentStatus = healthy();
    const r = await cli(['status']);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      [
        'board up (/dev/ttyUSB0, firmware fxs-4 1.2.0, 4 lines, 0 bad frames, 1 reconnects); server 127.0.0.1:5060 UDP, local 0.0.0.0:5070',
        'LINE  ACCOUNT  REGISTRATION                   HOOK      CALL              LAST ERROR',
        '1     301      registered (expires in 4m40s)  on hook   idle              -',
        '2     302      registered (expires in 45s)    off hook  connected (1001)  -',
        '3     303      disabled                       unknown   idle              -',
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 0);
    const json = await cli(['status', '--json']);
    assert.equal(json.code, 0);
    assert.equal(json.out, `${JSON.stringify(healthy())}\n`);
    // --fxs-dir=DIR, before or after --json.
    assert.equal((await run(['fxs', 'status', `--fxs-dir=${dir}`, '--json'])).code, 0);
  });

  test('needs attention: every failing line and the board are listed, exit 1 (also with --json)', async () => {
    agentStatus = {
      ...healthy(),
      board: { state: 'down', path: '/dev/ttyUSB0', badFrames: 17, reconnects: 4 },
      lines: [
        { line: 1, username: '301', registration: 'auth-failed', hook: 'on-hook', call: 'idle', lastError: '403 Forbidden' },
        { line: 2, username: '302', registration: 'failed', hook: 'off-hook', call: 'busy-tone', lastError: '503 Service Unavailable', retryInSeconds: 30 },
        { line: 3, username: '303', registration: 'unreachable', hook: 'unknown', call: 'idle', retryInSeconds: 125 },
        { line: 4, username: '304', registration: 'registered', hook: 'on-hook', call: 'ringing', peer: 'sip:1001@pbx' },
      ],
    };
    const r = await cli(['status']);
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], 'board down (/dev/ttyUSB0, 17 bad frames, 4 reconnects); server 127.0.0.1:5060 UDP, local 0.0.0.0:5070');
    const starts = columnStarts(lines[1] as string);
    const col = (row: string, i: number): string => row.slice(starts[i], starts[i + 1]).trim();
    assert.equal(col(lines[2] as string, 2), 'wrong credentials');
    assert.equal(col(lines[2] as string, 5), '403 Forbidden');
    assert.equal(col(lines[3] as string, 2), 'failed (retry in 30s)');
    assert.equal(col(lines[3] as string, 4), 'busy tone');
    assert.equal(col(lines[4] as string, 2), 'unreachable (retry in 2m05s)');
    assert.equal(col(lines[5] as string, 2), 'registered');
    assert.equal(col(lines[5] as string, 4), 'ringing (sip:1001@pbx)');
    assert.deepEqual(lines.slice(6), [
      'needs attention:',
      '  - the line board on /dev/ttyUSB0 is down (check its cable and power)',
      '  - line 1 (301): the server refused its credentials (403 Forbidden); check username, authUsername and password in fxs.json',
      '  - line 2 (302) failed to register (503 Service Unavailable)',
      '  - line 3 (303): the server 127.0.0.1:5060 UDP does not answer',
    ]);
    const json = await cli(['status', '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.out), agentStatus);

    // Not yet up, not yet registered: still exit 1, with the reason.
    agentStatus = { ...healthy(), board: { ...healthy().board, state: 'connecting' }, lines: [{ line: 1, username: '301', registration: 'registering', hook: 'on-hook', call: 'idle' }] };
    const starting = await cli(['status']);
    assert.equal(starting.code, 1);
    assert.match(starting.out, /needs attention:\n {2}- the line board on \/dev\/ttyUSB0 is not connected yet\n {2}- line 1 \(301\) is not registered yet\n$/);
  });

  test('no lines: the board line, a note on stderr; exit 0 when the board is up', async () => {
    agentStatus = { ...healthy(), lines: [] };
    const r = await cli(['status']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^board up .*\n$/);
    assert.equal(r.err, "no lines configured (add them to fxs.json in the agent's data dir)\n");
  });

  test('in Simplified Chinese', async () => {
    agentStatus = { ...healthy(), lines: [...healthy().lines, { line: 4, username: '304', registration: 'auth-failed', hook: 'off-hook', call: 'dial-tone', lastError: '403 Forbidden' }] };
    const r = await cli(['status'], { env: ZH });
    assert.equal(r.code, 1);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines[0], '线路板正常（/dev/ttyUSB0，固件 fxs-4 1.2.0，4 路，坏帧 0 个，重连 1 次）；服务器 127.0.0.1:5060 UDP，本地 0.0.0.0:5070');
    assert.match(lines[1] as string, /^线路 +账号 +注册 +摘挂机 +通话 +最近错误$/);
    assert.match(lines[2] as string, /^1 +301 +已注册（4m40s 后到期） +挂机 +空闲 +-$/);
    assert.match(lines[3] as string, /^2 +302 +已注册（45s 后到期） +摘机 +通话中（1001） +-$/);
    assert.match(lines[5] as string, /^4 +304 +账号或密码错误 +摘机 +拨号音 +403 Forbidden$/);
    assert.deepEqual(lines.slice(6), ['需要处理：', '  - 线路 4（304）：服务器拒绝了其账号或密码（403 Forbidden）；请检查 fxs.json 中的 username、authUsername 和 password']);
    // Columns line up by display width: the HOOK column starts at the same width on every row.
    const hookAt = (line: string): number => displayWidth(line.slice(0, line.search(/(摘挂机|摘机|挂机|未知)/)));
    assert.deepEqual(lines.slice(2, 6).map(hookAt), Array(4).fill(hookAt(lines[1] as string)));
  });

  test('agent not running: exit 3 naming the socket (default dir /var/lib/edgesip/fxs)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edgesip-cli-fxs-'));
    try {
      for (const args of [['fxs', 'status'], ['fxs', 'status', '--json']]) {
        const r = await run([...args, '--fxs-dir', empty]);
        assert.deepEqual(r, { code: 3, out: '', err: `edgesip: edgesip-fxs is not running (no status socket at ${join(empty, 'fxs.sock')})\n` });
      }
      const zh = await run(['fxs', 'status', '--fxs-dir', empty], { env: ZH });
      assert.equal(zh.code, 3);
      assert.equal(zh.err, `edgesip: edgesip-fxs 未运行（${join(empty, 'fxs.sock')} 处没有状态套接字）\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    if (!existsSync('/var/lib/edgesip/fxs/fxs.sock')) {
      assert.deepEqual(await run(['fxs', 'status']), { code: 3, out: '', err: 'edgesip: edgesip-fxs is not running (no status socket at /var/lib/edgesip/fxs/fxs.sock)\n' });
    }
  });

  test('an agent that fails to answer: exit 1 with its message', async () => {
    agentFails = true;
    try {
      assert.deepEqual(await cli(['status']), { code: 1, out: '', err: 'edgesip: edgesip-fxs failed to answer: internal error; see the edgesip-fxs log\n' });
    } finally {
      agentFails = false;
    }
  });

  test('usage errors exit 2; help in both languages; the main usage lists fxs', async () => {
    assert.equal((await run(['fxs'])).code, 2);
    assert.equal((await run(['fxs', 'lines'])).code, 2);
    assert.equal((await cli(['status', 'extra'])).code, 2);
    assert.equal((await cli(['status', '--bogus'])).code, 2);
    const noDir = await run(['fxs', 'status', '--fxs-dir']);
    assert.equal(noDir.code, 2);
    assert.match(noDir.err, /option --fxs-dir needs a value/);
    assert.equal((await run(['fxs', 'status', '--fxs-dir='])).code, 2);
    for (const args of [['fxs', '--help'], ['fxs', 'help'], ['fxs', 'status', '--help']]) {
      const r = await run(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: edgesip fxs <subcommand>\n {2}fxs status \[--fxs-dir DIR\] \[--json\]\n/);
      assert.match((await run(args, { env: ZH })).out, /^用法：edgesip fxs <子命令>/);
    }
    assert.match((await run(['--help'])).out, /\n {2}fxs status \[--fxs-dir DIR\] \[--json\] {2}the FXS gateway agent: line board and lines\n/);
    assert.match((await run(['--help'], { env: ZH })).out, /\n {2}fxs status \[--fxs-dir DIR\] \[--json\] {2}FXS 网关代理：线路板和各线路的状态\n/);
  });

  test('bash completion knows fxs status and its options', () => {
    const scriptFile = join(repoRoot(), 'appliance', 'cli', 'completion.bash');
    const complete = (line: string): string => {
      const words = line.split(' ');
      const script = [`source ${JSON.stringify(scriptFile)}`, `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`, `COMP_CWORD=${words.length - 1}`, '_edgesip', 'echo "[${COMPREPLY[*]}]"'].join('\n');
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      return r.stdout.trimEnd();
    };
    assert.equal(complete('edgesip fx'), '[fxs]');
    assert.equal(complete('edgesip fxs '), '[status help]');
    assert.equal(complete('edgesip fxs status --'), '[--fxs-dir --json --help]');
    assert.equal(complete(`edgesip fxs status --fxs-dir ${dir}`), `[${dir}]`);
    assert.equal(complete(`edgesip fxs status --fxs-dir ${dir} --j`), '[--json]');
  });
});
