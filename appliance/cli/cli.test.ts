import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { defaultConfig } from '../config/schema';
import { startControlServer, type ControlServer } from '../control/server';
import { FakeBackend, memoryLogger, type LogEntry } from '../control/testing/fake-backend';
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
      hasSecret: true,
    });
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
    assert.match(lines[0] as string, /^NUMBER +NAME +ENABLED +MAX CONTACTS +PASSWORD SET +ALLOWED NETWORKS$/);
    const starts = columnStarts(lines[0] as string);
    const row = lines.find((l) => l.startsWith('1001')) as string;
    assert.equal(row.slice(starts[1], starts[2]).trim(), 'Front desk');
    assert.equal(row.slice(starts[2], starts[3]).trim(), 'yes');
    assert.equal(row.slice(starts[3], starts[4]).trim(), '3');
    assert.equal(row.slice(starts[5]), '192.0.2.0/24,2001:db8::/32');
    const off = lines.find((l) => l.startsWith('1002')) as string;
    assert.equal(off.slice(starts[2], starts[3]).trim(), 'no');
    assert.equal(off.slice(starts[5]), 'any');

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
    for (const args of [['ext', '--help'], ['ext', 'add', '--help'], ['reg', '--help'], ['acl', 'help'], ['acl', 'remove', '-h'], ['blocks', '--help'], ['config', '--help'], ['--help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: edgesip/, args.join(' '));
      assert.equal(r.err, '');
    }
    assert.match((await cli(['ext', '--help'])).out, /--password-stdin/);
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

  test('a daemon failure (500) exits 1 with its generic message', async () => {
    const r = await cli(['blocks', 'remove', 'boom']);
    assert.deepEqual(r, { code: 1, out: '', err: 'edgesip: edgesipd failed to do it: internal error; see the edgesip' + 'd log\n' });
  });

  test('messages and tables switch to Simplified Chinese with LANG=zh_CN.UTF-8', async () => {
    const list = await cli(['ext', 'list'], { env: ZH });
    assert.equal(list.code, 0);
    const lines = list.out.trimEnd().split('\n');
    assert.match(lines[0] as string, /^号码 +名称 +启用 +最大联系地址数 +已设密码 +允许的网络$/);
    // Wide characters count two columns: the cells line up under the header on a terminal.
    const header = lines[0] as string;
    const row = lines.find((l) => l.startsWith('1001')) as string;
    const nameCol = displayWidth(header.slice(0, header.indexOf('名称')));
    assert.equal(displayWidth(row.slice(0, row.indexOf('Desk'))), nameCol);
    assert.match(row, /是/);

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

describe('edgesip CLI without a daemon', () => {
  test('every daemon command exits 3 when nothing listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-cli-'));
    try {
      for (const args of [['ext', 'list'], ['ext', 'add', '1001', '--password', 'good-pass-1001'], ['reg', 'list', '--json'], ['acl', 'list'], ['blocks', 'remove', '192.0.2.1']]) {
        const r = await run(['--data-dir', dir, ...args]);
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

test('renderTable aligns by display width and trims trailing blanks', () => {
  assert.equal(renderTable(['A', 'BB', 'C'], [['xxx', '', 'z'], ['y', '中文', '']]), 'A    BB    C\nxxx        z\ny    中文\n'.trimEnd());
});
