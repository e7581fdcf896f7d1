import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '../../config/schema';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import { BlocksFile, blocksFilePath, loadBlocks } from './blocks-file';
import { Guard, type StoredBlock } from './guard';

const START = Date.parse('2025-01-01T00:00:00.000Z');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edgesip-blocks-'));
let n = 0;
function tempDir(): string {
  const dir = path.join(root, String(n++));
  fs.mkdirSync(dir);
  return dir;
}
after(() => fs.rmSync(root, { recursive: true, force: true }));

const quiet = { info() {}, warn() {} };

function block(over: Partial<StoredBlock> = {}): StoredBlock {
  return {
    address: '192.0.2.10',
    account: '109',
    reason: 'wrong-password',
    port: 5060,
    count: 37,
    firstSeen: START - 60_000,
    lastSeen: START - 1000,
    expiresAt: START + 540_000,
    repeats: 2,
    forgetAt: START + 540_000 + 86_400_000,
    ...over,
  };
}

describe('loadBlocks', () => {
  it('gives no blocks and no warning when the file does not exist yet', () => {
    assert.deepEqual(loadBlocks(tempDir()), { blocks: [] });
  });

  it('tolerates a corrupt file with a warning', () => {
    for (const text of ['{"version":1,"blocks":[', '', 'null', '"text"', '{"version":1}', '{"version":99,"blocks":[]}', '\u0000\u0001binary']) {
      const dir = tempDir();
      fs.writeFileSync(blocksFilePath(dir), text);
      const loaded = loadBlocks(dir);
      assert.deepEqual(loaded.blocks, [], text);
      assert.match(loaded.warning ?? '', /blocks\.json: .*starting without blocks/, text);
    }
  });

  it('tolerates an unreadable path (a directory) with a warning', () => {
    const dir = tempDir();
    fs.mkdirSync(blocksFilePath(dir));
    const loaded = loadBlocks(dir);
    assert.deepEqual(loaded.blocks, []);
    assert.match(loaded.warning ?? '', /cannot read/);
  });

  it('skips malformed entries and keeps the good ones', () => {
    const dir = tempDir();
    const good = block();
    const doc = { version: 1, blocks: [good, { ...good, count: 'many' }, 42, { ...good, reason: 'black-list' }, { ...good, address: 'a|b' }] };
    fs.writeFileSync(blocksFilePath(dir), JSON.stringify(doc));
    const loaded = loadBlocks(dir);
    assert.deepEqual(loaded.blocks, [good]);
    assert.match(loaded.warning ?? '', /4 malformed entries ignored/);
  });
});

describe('BlocksFile', () => {
  it('round-trips a Guard snapshot through the file', async () => {
    const dir = tempDir();
    const clock = new VirtualClock(START);
    const guard = new Guard({ config: defaultConfig().guard, acl: { white: [], black: [] }, clock, logger: quiet });
    for (let i = 0; i < 5; i++) guard.recordFailure('192.0.2.10', 5060, '109', 'wrong-password');
    for (const a of ['1', '2', '3', '4']) guard.recordFailure('2001:db8::66', 5060, a, 'wrong-password');
    const file = new BlocksFile(dir, clock, 1000);
    file.scheduleSave(() => guard.snapshot());
    clock.advance(1000);
    await file.flush();
    const text = fs.readFileSync(blocksFilePath(dir), 'utf8');
    assert.equal((JSON.parse(text) as { version: number }).version, 1);
    assert.equal(fs.statSync(blocksFilePath(dir)).mode & 0o777, 0o600);

    const loaded = loadBlocks(dir);
    assert.equal(loaded.warning, undefined);
    assert.deepEqual(loaded.blocks, guard.snapshot());
    const restored = new Guard({ config: defaultConfig().guard, acl: { white: [], black: [] }, clock, logger: quiet, initialBlocks: loaded.blocks });
    assert.deepEqual(restored.list(), guard.list());
    assert.equal(restored.admit('2001:db8::66'), 'drop');
    guard.close();
    restored.close();
  });

  it('writes once for many changes within the debounce interval, with the latest snapshot', async () => {
    const dir = tempDir();
    const clock = new VirtualClock(START);
    const file = new BlocksFile(dir, clock, 1000);
    let calls = 0;
    let blocks: StoredBlock[] = [];
    const snapshot = () => {
      calls++;
      return blocks;
    };
    for (let i = 0; i < 100; i++) {
      blocks = [block({ count: i })];
      file.scheduleSave(snapshot);
      clock.advance(5);
    }
    assert.equal(calls, 0);
    assert.equal(fs.existsSync(blocksFilePath(dir)), false);
    clock.advance(1000);
    await file.flush();
    assert.equal(calls, 1);
    // The debounce fired at 1000 ms, while i was 99 or less: whatever it was, it is what is on disk.
    const first = loadBlocks(dir).blocks;
    assert.equal(first.length, 1);
    assert.ok(first[0]!.count <= 99);
    // Later changes are not lost: a new schedule writes them.
    blocks = [block({ count: 500 })];
    file.scheduleSave(snapshot);
    assert.equal(clock.pending(), 1);
    await file.flush(); // flush writes at once without waiting for the timer
    assert.equal(clock.pending(), 0);
    assert.equal(calls, 2);
    assert.equal(loadBlocks(dir).blocks[0]!.count, 500);
    // flush with nothing pending writes nothing.
    await file.flush();
    assert.equal(calls, 2);
  });

  it('reports a failed background save and rejects a failed flush, without crashing', async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'gone');
    const clock = new VirtualClock(START);
    const errors: unknown[] = [];
    const file = new BlocksFile(missing, clock, 10, (err) => errors.push(err));
    file.scheduleSave(() => [block()]);
    clock.advance(10);
    await file.flush();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
    assert.ok(file.lastError !== undefined);
    file.scheduleSave(() => [block()]);
    await assert.rejects(file.flush(), { code: 'ENOENT' });
  });
});
