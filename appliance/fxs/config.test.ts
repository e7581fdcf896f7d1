import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultFxsConfig, FXS_COUNTRIES, FxsConfigError, loadFxsConfig, redactFxsConfig, serialCapacityWarning, validateFxsConfig, type FxsConfig, type FxsLine } from './config';
import { TONE_PROFILES } from './media/tone';

function line(n: number, over: Partial<FxsLine> = {}): FxsLine {
  return { line: n, enabled: true, username: `30${n}`, authUsername: '', password: `line-${n}-secret`, displayName: `Line ${n}`, ...over };
}

/** The defaults with `lines` and the overrides of `edit` applied to a mutable copy. */
function config(edit: (c: Record<string, any>) => void = () => {}, lines: FxsLine[] = [line(1)]): Record<string, any> {
  const c = { ...defaultFxsConfig(), lines } as unknown as Record<string, any>;
  edit(c);
  return c;
}

const paths = (doc: unknown): string[] => validateFxsConfig(doc).map((p) => p.path);
const reasonAt = (doc: unknown, path: string): string | undefined => validateFxsConfig(doc).find((p) => p.path === path)?.reason;

describe('validateFxsConfig', () => {
  test('the defaults are valid and have no lines; the documented example is valid', () => {
    const d = defaultFxsConfig();
    assert.deepEqual(validateFxsConfig(d), []);
    assert.deepEqual(d.lines, []);
    assert.deepEqual(d.dialing, { firstDigitSeconds: 10, interDigitSeconds: 4, sendKey: '#', immediate: ['1XX', '2XX', '*XX#'] });
    assert.deepEqual(validateFxsConfig(config()), []);
    const full = config((c) => {
      c.server = { host: 'pbx.example.net', port: 5061, transport: 'TLS', domain: 'example.net' };
      c.local = { address: '::', sipPort: 0, rtpPortMin: 20000, rtpPortMax: 20063 };
      c.codecs = ['PCMA'];
      c.callerIdMode = 'dtmf';
      c.country = 'de';
      c.dialing.sendKey = '';
      c.dialing.immediate = [];
    }, Array.from({ length: 32 }, (_, i) => line(i + 1, { enabled: i % 2 === 0, password: i % 2 === 0 ? `pw-of-line-${i}` : '' })));
    assert.deepEqual(validateFxsConfig(full), []);
  });

  test('the countries are exactly the tone profiles', () => {
    assert.deepEqual([...FXS_COUNTRIES].sort(), Object.keys(TONE_PROFILES).sort());
  });

  test('every problem with its path; unknown and missing fields', () => {
    const c = config((c) => {
      c.country = 'fr';
      c.serial.parity = 'none';
      delete c.server.domain;
      c.registerExpires = 30;
      c.extra = 1;
    });
    assert.deepEqual(validateFxsConfig(c), [
      { path: 'extra', reason: 'unknown field' },
      { path: 'serial.parity', reason: 'unknown field' },
      { path: 'server.domain', reason: 'missing' },
      { path: 'country', reason: 'must be one of cn, us, gb, de' },
      { path: 'registerExpires', reason: 'must be an integer from 60 to 86400' },
    ]);
    assert.deepEqual(validateFxsConfig(null), [{ path: '(root)', reason: 'must be an object' }]);
    assert.deepEqual(validateFxsConfig([]), [{ path: '(root)', reason: 'must be an object' }]);
    assert.deepEqual(paths(config((c) => (c.dialing = 'fast'))), ['dialing']);
    assert.deepEqual(paths(config((c) => (c.version = 2))), ['version']);
  });

  test('serial: an absolute device path and a standard speed', () => {
    assert.deepEqual(paths(config((c) => (c.serial = { path: 'ttyUSB0', baudRate: 115201 }))), ['serial.path', 'serial.baudRate']);
    assert.deepEqual(paths(config((c) => (c.serial = { path: '/dev/ttyAMA0', baudRate: 9600 }))), []);
    // Too slow for the audio of the lines on a UART: a warning at start, not a refusal (USB boards ignore it).
    const four = [line(1), line(2), line(3), line(4)];
    assert.match(serialCapacityWarning(config((c) => (c.serial.baudRate = 230400), four) as FxsConfig) ?? '', /too slow for the audio of 4 enabled lines .* use 460800/);
    assert.equal(serialCapacityWarning(config((c) => (c.serial.baudRate = 460800), four) as FxsConfig), undefined);
    assert.equal(serialCapacityWarning(config((c) => (c.serial.baudRate = 115200)) as FxsConfig), undefined, 'one line fits 115200');
    assert.match(reasonAt(config((c) => (c.serial.baudRate = 1)), 'serial.baudRate') as string, /9600, 19200, .*921600/);
  });

  test('server: host a DNS name or IP without port, transport, domain', () => {
    for (const host of ['127.0.0.1', 'pbx.example.net', 'pbx', '2001:db8::1', '::1']) assert.deepEqual(paths(config((c) => (c.server.host = host))), [], host);
    for (const host of ['', 'pbx:5060', '[2001:db8::1]', 'cafe:5060', '300.1.1.1', 'bad_host', 'a b']) {
      assert.deepEqual(paths(config((c) => (c.server.host = host))), ['server.host'], host);
    }
    assert.deepEqual(paths(config((c) => (c.server.transport = 'udp'))), ['server.transport']);
    assert.deepEqual(paths(config((c) => (c.server.port = 0))), ['server.port']);
    assert.deepEqual(paths(config((c) => (c.server.domain = 'example.net'))), []);
    assert.deepEqual(paths(config((c) => (c.server.domain = 'example.net:5060'))), ['server.domain']);
  });

  test('local: bind address, SIP port 0-65535, an RTP range with room for every line', () => {
    assert.deepEqual(paths(config((c) => (c.local.address = 'eth0'))), ['local.address']);
    assert.deepEqual(paths(config((c) => (c.local.address = '192.0.2.10'))), []);
    assert.deepEqual(paths(config((c) => (c.local.sipPort = 65536))), ['local.sipPort']);
    assert.deepEqual(paths(config((c) => (c.local.rtpPortMin = 16385))), ['local.rtpPortMin']);
    assert.match(reasonAt(config((c) => (c.local.rtpPortMin = 16385)), 'local.rtpPortMin') as string, /even/);
    assert.deepEqual(paths(config((c) => (c.local.rtpPortMin = 1000))), ['local.rtpPortMin']);
    assert.deepEqual(paths(config((c) => Object.assign(c.local, { rtpPortMin: 20000, rtpPortMax: 20000 }))), ['local.rtpPortMax']);
    assert.deepEqual(paths(config((c) => Object.assign(c.local, { rtpPortMin: 20000, rtpPortMax: 19000 }))), ['local.rtpPortMax']);
    // Two lines need four ports: 20000-20003 is enough, 20000-20002 is not.
    const two = [line(1), line(2)];
    assert.deepEqual(paths(config((c) => Object.assign(c.local, { rtpPortMin: 20000, rtpPortMax: 20003 }), two)), []);
    assert.equal(
      reasonAt(config((c) => Object.assign(c.local, { rtpPortMin: 20000, rtpPortMax: 20002 }), two), 'local.rtpPortMax'),
      'must leave at least 4 ports from local.rtpPortMin (2 per line)',
    );
    assert.equal(reasonAt(config((c) => (c.local.sipPort = 16400)), 'local.sipPort'), 'must lie outside the RTP range 16384-16583');
  });

  test('codecs: a non-empty subset of PCMU and PCMA without duplicates', () => {
    assert.deepEqual(paths(config((c) => (c.codecs = []))), ['codecs']);
    assert.deepEqual(paths(config((c) => (c.codecs = ['PCMU', 'G729']))), ['codecs[1]']);
    assert.equal(reasonAt(config((c) => (c.codecs = ['PCMA', 'PCMA'])), 'codecs[1]'), 'duplicate codec PCMA');
  });

  test('callerIdMode, authFailureLimit, dialing', () => {
    assert.deepEqual(paths(config((c) => (c.callerIdMode = 'none'))), ['callerIdMode']);
    assert.deepEqual(paths(config((c) => (c.authFailureLimit = 21))), ['authFailureLimit']);
    assert.deepEqual(paths(config((c) => (c.authFailureLimit = 1))), []);
    assert.deepEqual(paths(config((c) => Object.assign(c.dialing, { firstDigitSeconds: 0, interDigitSeconds: 61 }))), ['dialing.firstDigitSeconds', 'dialing.interDigitSeconds']);
    assert.deepEqual(paths(config((c) => (c.dialing.sendKey = '0'))), ['dialing.sendKey']);
    assert.equal(reasonAt(config((c) => (c.dialing.sendKey = 'x')), 'dialing.sendKey'), "must be one of #, *, '' (none)");
    assert.deepEqual(paths(config((c) => (c.dialing.sendKey = '*'))), []);
  });

  test('immediate patterns use the dial-plan syntax', () => {
    assert.deepEqual(paths(config((c) => (c.dialing.immediate = ['1XX', '[2-4]XXX', 'NXXXXXX', '0.', '*XX#']))), []);
    const bad = config((c) => (c.dialing.immediate = ['1XX', '1.X', 'A1', '', 7, '1XX']));
    assert.deepEqual(paths(bad), ['dialing.immediate[1]', 'dialing.immediate[2]', 'dialing.immediate[3]', 'dialing.immediate[4]', 'dialing.immediate[5]']);
    assert.match(reasonAt(bad, 'dialing.immediate[1]') as string, /'\.' may only come last/);
    assert.equal(reasonAt(bad, 'dialing.immediate[5]'), 'duplicate pattern 1XX');
    assert.deepEqual(paths(config((c) => (c.dialing.immediate = '1XX'))), ['dialing.immediate']);
  });

  test('lines: unique numbers 1-32 and usernames, a password when enabled, display names', () => {
    assert.deepEqual(paths(config(() => {}, [line(0), line(33)])), ['lines[0].line', 'lines[1].line']);
    const dup = config(() => {}, [line(1), line(1, { username: '399' }), line(2, { username: '301' })]);
    assert.deepEqual(validateFxsConfig(dup), [
      { path: 'lines[1].line', reason: 'duplicate line 1' },
      { path: 'lines[2].username', reason: 'duplicate username 301' },
    ]);
    assert.deepEqual(paths(config(() => {}, [line(1, { username: '' }), line(2, { username: 'a b' }), line(3, { username: 'x@y' })])), [
      'lines[0].username',
      'lines[1].username',
      'lines[2].username',
    ]);
    assert.equal(reasonAt(config(() => {}, [line(1, { password: '' })]), 'lines[0].password'), 'is required for an enabled line');
    assert.deepEqual(paths(config(() => {}, [line(1, { enabled: false, password: '' })])), []);
    const short = validateFxsConfig(config(() => {}, [line(1, { password: 'short1' }), line(2, { password: 'tab\there-too', enabled: false }), line(3, { password: 'x'.repeat(129) })]));
    assert.deepEqual(short.map((p) => p.path), ['lines[0].password', 'lines[1].password', 'lines[2].password']);
    assert.equal(short[0]?.reason, 'must be 8-128 characters without control characters');
    assert.ok(!JSON.stringify(short).includes('short1'), 'a password is never quoted back');
    assert.deepEqual(paths(config(() => {}, [line(1, { displayName: 'Say "hi"' }), line(2, { displayName: 'x'.repeat(65) }), line(3, { displayName: '前台 Front' })])), [
      'lines[0].displayName',
      'lines[1].displayName',
    ]);
    assert.deepEqual(paths(config(() => {}, [line(1, { authUsername: 'user@example.net' }), line(2, { authUsername: 'a"b' })])), ['lines[1].authUsername']);
    assert.deepEqual(paths(config(() => {}, [{ ...line(1), sip: true } as FxsLine, 'line' as unknown as FxsLine])), ['lines[0].sip', 'lines[1]']);
    assert.deepEqual(paths(config(() => {}, Array.from({ length: 33 }, (_, i) => line(i + 1)))).slice(0, 1), ['lines']);
    assert.deepEqual(paths(config((c) => (c.lines = {}))), ['lines']);
  });
});

describe('loadFxsConfig', () => {
  const withDir = (fn: (dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-fxs-config-'));
    try {
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('a missing file is created with the defaults, mode 0600, atomically; then read back', () => {
    withDir((dir) => {
      const first = loadFxsConfig(dir);
      assert.equal(first.created, true);
      assert.equal(first.file, join(dir, 'fxs.json'));
      assert.deepEqual(first.config, defaultFxsConfig());
      assert.ok(Object.isFrozen(first.config) && Object.isFrozen(first.config.dialing.immediate));
      assert.equal(statSync(first.file).mode & 0o777, 0o600);
      assert.deepEqual(JSON.parse(readFileSync(first.file, 'utf8')), defaultFxsConfig());
      assert.deepEqual(readdirSync(dir), ['fxs.json'], 'no temp file left behind');
      const again = loadFxsConfig(dir);
      assert.equal(again.created, false);
      assert.deepEqual(again.config, defaultFxsConfig());
    });
  });

  test('a valid file is used as is', () => {
    withDir((dir) => {
      const c = config((c) => (c.country = 'gb'), [line(1), line(2, { enabled: false, password: '' })]);
      writeFileSync(join(dir, 'fxs.json'), JSON.stringify(c));
      const { config: loaded, created } = loadFxsConfig(dir);
      assert.equal(created, false);
      assert.deepEqual(loaded, c as unknown as FxsConfig);
    });
  });

  test('an invalid file is refused with every problem and never overwritten', () => {
    withDir((dir) => {
      const file = join(dir, 'fxs.json');
      const text = JSON.stringify(config((c) => (c.codecs = ['G722']), [line(1, { password: 'abc' })]));
      writeFileSync(file, text, { mode: 0o640 });
      assert.throws(
        () => loadFxsConfig(dir),
        (err: unknown) => {
          assert.ok(err instanceof FxsConfigError);
          assert.equal(err.code, 'EDGESIP_ERR_FXS_CONFIG');
          assert.equal(err.file, file);
          assert.deepEqual(err.problems.map((p) => p.path), ['codecs[0]', 'lines[0].password']);
          assert.match(err.message, /codecs\[0\]: must be one of PCMU, PCMA; lines\[0\]\.password: must be 8-128/);
          return true;
        },
      );
      assert.equal(readFileSync(file, 'utf8'), text);
      assert.equal(statSync(file).mode & 0o777, 0o640);
    });
  });

  test('broken JSON gives the position, never a piece of the text (it may hold a password)', () => {
    withDir((dir) => {
      const file = join(dir, 'fxs.json');
      const text = '{\n  "lines": [{ "password": "hunter2-secret" x }]\n}\n';
      writeFileSync(file, text);
      assert.throws(
        () => loadFxsConfig(dir),
        (err: unknown) => {
          assert.ok(err instanceof FxsConfigError);
          assert.equal(err.problems.length, 1);
          assert.equal(err.problems[0]?.path, '(file)');
          assert.match(err.problems[0]?.reason as string, /^is not valid JSON( \(line 2, column \d+\))?$/);
          assert.ok(!err.message.includes('hunter2'));
          return true;
        },
      );
      assert.equal(readFileSync(file, 'utf8'), text);
      const reasonFor = (content: string): string | undefined => {
        writeFileSync(file, content);
        try {
          loadFxsConfig(dir);
        } catch (err) {
          return (err as FxsConfigError).problems[0]?.reason;
        }
        return undefined;
      };
      assert.equal(reasonFor('{"version": 1, "lines": ['), 'is not valid JSON (it ends too early)');
      // Node 18 says "ends early", Node 20 "unterminated string at position N": never the text.
      assert.match(reasonFor('{"version": 1, "lines": [{"password": "abc-secret') as string, /^is not valid JSON \((it ends too early|line 1, column \d+)\)$/);
      assert.equal(reasonFor(' \n'), 'is empty (delete it to get the defaults)');
    });
  });

  test('an unreadable path is refused, not replaced', () => {
    withDir((dir) => {
      // A directory where the file should be: reading fails (EISDIR), and it is no "missing file".
      const file = join(dir, 'fxs.json');
      mkdirSync(file);
      assert.throws(() => loadFxsConfig(dir), (err: unknown) => err instanceof FxsConfigError && err.problems[0]?.path === '(file)' && /cannot be read/.test(err.problems[0].reason));
      assert.ok(statSync(file).isDirectory());
    });
  });
});

test('redactFxsConfig hides every password, keeps the rest', () => {
  const c = config(() => {}, [line(1), line(2, { enabled: false, password: '' })]) as unknown as FxsConfig;
  const r = redactFxsConfig(c);
  assert.deepEqual(r.lines.map((l) => l.password), ['[redacted]', '']);
  assert.equal(r.lines[0]?.username, '301');
  assert.ok(!JSON.stringify(r).includes('line-1-secret'));
  assert.equal(c.lines[0]?.password, 'line-1-secret', 'the original is untouched');
});
