import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MODE, writeFileAtomic, writeFileAtomicSync } from './atomic-write';

/**
 * This file is also the program of the child processes the crash and failure tests
 * start: the bundle in dist-test/ is re-run with ATOMIC_WRITE_CHILD set, so the child
 * exercises the real module, not a copy of its logic.
 */
const CHILD_ROLE = process.env.ATOMIC_WRITE_CHILD;

/** Deterministic document number `seq` of crash round `round` (both >= 0), 1 KiB to ~200 KiB. */
function documentFor(round: number, seq: number): string {
  const size = 1024 + ((seq * 7919 + round * 104729) % 200) * 1024;
  const fill = String.fromCharCode(97 + ((seq + round) % 26)).repeat(size);
  return `${JSON.stringify({ round, seq, size, fill })}\n`;
}

if (CHILD_ROLE !== undefined) {
  runChild(CHILD_ROLE).catch((err: unknown) => {
    process.stderr.write(`child failed: ${String(err)}\n`);
    process.exit(70);
  });
} else {
  registerTests();
}

async function runChild(role: string): Promise<void> {
  const target = process.env.ATOMIC_WRITE_TARGET;
  if (target === undefined) throw new Error('ATOMIC_WRITE_TARGET not set');
  if (role === 'crash-loop') {
    // Write forever until the parent kills us; announce each write before and after,
    // so the parent knows which documents may legitimately be on disk.
    const round = Number(process.env.ATOMIC_WRITE_ROUND);
    for (let seq = 0; ; seq++) {
      process.stdout.write(`writing ${seq}\n`); // stdout pipes are synchronous on Linux
      if (seq % 2 === 0) await writeFileAtomic(target, documentFor(round, seq));
      else writeFileAtomicSync(target, documentFor(round, seq));
      process.stdout.write(`wrote ${seq}\n`);
    }
  }
  if (role === 'file-too-large') {
    // Runs under `ulimit -f`: writing past the limit fails with EFBIG halfway through
    // the temp file (Node ignores SIGXFSZ), a real mid-write failure.
    const big = Buffer.alloc(4 * 1024 * 1024, 0x41);
    const codes: Array<string | undefined> = [];
    try {
      await writeFileAtomic(target, big);
      codes.push('no error');
    } catch (err) {
      codes.push((err as NodeJS.ErrnoException).code);
    }
    try {
      writeFileAtomicSync(target, big);
      codes.push('no error');
    } catch (err) {
      codes.push((err as NodeJS.ErrnoException).code);
    }
    process.stdout.write(JSON.stringify(codes));
    return;
  }
  throw new Error(`unknown child role ${role}`);
}

function registerTests(): void {
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-write-test-'));
  let dirCount = 0;
  const freshDir = () => {
    const dir = path.join(tmpRoot, String(dirCount++));
    fs.mkdirSync(dir);
    return dir;
  };
  const tempFilesIn = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));
  const modeOf = (file: string) => fs.statSync(file).mode & 0o7777;
  const childEnv = (extra: Record<string, string>) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    delete env.NODE_TEST_CONTEXT; // the child is a plain program, not a test file
    return env;
  };

  after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

  test('writes string and Buffer content, async and sync', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'a.json');
    await writeFileAtomic(file, '{"a":1}');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}');
    await writeFileAtomic(file, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(fs.readFileSync(file), Buffer.from([0, 1, 2, 255]));
    writeFileAtomicSync(file, 'sync ✓');
    assert.equal(fs.readFileSync(file, 'utf8'), 'sync ✓');
    writeFileAtomicSync(file, Buffer.alloc(0));
    assert.equal(fs.readFileSync(file).length, 0);
    assert.deepEqual(tempFilesIn(dir), []);
    assert.deepEqual(fs.readdirSync(dir), ['a.json']);
  });

  test('new files default to 0600', async () => {
    const dir = freshDir();
    assert.equal(DEFAULT_MODE, 0o600);
    await writeFileAtomic(path.join(dir, 'async'), 'x');
    writeFileAtomicSync(path.join(dir, 'sync'), 'x');
    assert.equal(modeOf(path.join(dir, 'async')), 0o600);
    assert.equal(modeOf(path.join(dir, 'sync')), 0o600);
  });

  test('an explicit mode is applied exactly, whatever the umask', async () => {
    const dir = freshDir();
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(path.join(dir, 'async'), 'x', { mode: 0o644 });
      writeFileAtomicSync(path.join(dir, 'sync'), 'x', { mode: 0o640 });
    } finally {
      process.umask(previous);
    }
    assert.equal(modeOf(path.join(dir, 'async')), 0o644);
    assert.equal(modeOf(path.join(dir, 'sync')), 0o640);
  });

  test('the existing file mode is kept when none is given', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'kept');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o644);
    await writeFileAtomic(file, 'new');
    assert.equal(modeOf(file), 0o644);
    fs.chmodSync(file, 0o640);
    writeFileAtomicSync(file, 'newer');
    assert.equal(modeOf(file), 0o640);
    assert.equal(fs.readFileSync(file, 'utf8'), 'newer');
  });

  test('a symlinked target stays a link and its file is replaced', async () => {
    const dir = freshDir();
    const real = path.join(dir, 'real.json');
    const link = path.join(dir, 'link.json');
    fs.writeFileSync(real, 'old', { mode: 0o640 });
    fs.chmodSync(real, 0o640);
    fs.symlinkSync('real.json', link);
    await writeFileAtomic(link, 'via link');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), 'via link');
    assert.equal(modeOf(real), 0o640);
    writeFileAtomicSync(link, 'via link, sync');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), 'via link, sync');
  });

  test('concurrent async writes to one path end with the last call', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'race.json');
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      // Vary sizes so a naive implementation would finish out of order.
      writes.push(writeFileAtomic(file, JSON.stringify({ i, pad: 'x'.repeat(((50 - i) % 7) * 20000) })));
    }
    await Promise.all(writes);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).i, 49);
    assert.deepEqual(tempFilesIn(dir), []);
    // Different spellings of the same path share one queue.
    const spelled = [file, path.join(dir, '.', 'race.json'), path.relative(process.cwd(), file)];
    await Promise.all(spelled.map((p, i) => writeFileAtomic(p, `v${i}`)));
    assert.equal(fs.readFileSync(file, 'utf8'), 'v2');
  });

  test('a failed write does not block the queued ones', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'q');
    const failing = writeFileAtomic(file, 'bad', { mode: -1 });
    const next = writeFileAtomic(file, 'good');
    await assert.rejects(failing);
    await next;
    assert.equal(fs.readFileSync(file, 'utf8'), 'good');
    assert.deepEqual(tempFilesIn(dir), []);
  });

  test('a missing directory fails with ENOENT and creates nothing', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'absent', 'x.json');
    await assert.rejects(writeFileAtomic(file, 'x'), { code: 'ENOENT' });
    assert.throws(() => writeFileAtomicSync(file, 'x'), { code: 'ENOENT' });
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a write failing halfway (EFBIG) leaves the old file intact and no temp file', () => {
    const dir = freshDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, '{"old":true}\n', { mode: 0o600 });
    // `ulimit -f 16` caps files at 8 or 16 KiB (the unit depends on the shell).
    const child = spawnSync('/bin/sh', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, process.argv[1] ?? ''], {
      env: childEnv({ ATOMIC_WRITE_CHILD: 'file-too-large', ATOMIC_WRITE_TARGET: file }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.status, 0, `child exited ${child.status} ${child.signal}: ${child.stderr}`);
    assert.deepEqual(JSON.parse(child.stdout), ['EFBIG', 'EFBIG']);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"old":true}\n');
    assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  });

  test('kill -9 at random moments never leaves a torn file', async (t) => {
    const dir = freshDir();
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, documentFor(999, 0)); // a round no child uses
    let caughtMidWrite = 0;
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, [process.argv[1] ?? ''], {
        env: childEnv({ ATOMIC_WRITE_CHILD: 'crash-loop', ATOMIC_WRITE_TARGET: file, ATOMIC_WRITE_ROUND: String(round) }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      // Wait for the first complete write, then kill at a random point of the loop.
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes('wrote 0\n')) resolve();
        };
        child.stdout.on('data', check);
        child.on('exit', () => reject(new Error(`child exited early: ${err}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL', `child should die by SIGKILL: ${err}`);

      const lines = out.split('\n');
      const last = (verb: string) => Math.max(...lines.filter((l) => l.startsWith(`${verb} `)).map((l) => Number(l.split(' ')[1])));
      const wrote = last('wrote');
      const writing = last('writing');
      if (writing > wrote) caughtMidWrite++;
      const text = fs.readFileSync(file, 'utf8');
      let doc: { round: number; seq: number };
      try {
        doc = JSON.parse(text) as { round: number; seq: number };
      } catch {
        assert.fail(`round ${round}: target is not complete JSON (${text.length} bytes)`);
      }
      assert.equal(doc.round, round);
      // The last finished write, or the one in progress if its rename already happened.
      assert.ok(doc.seq === wrote || doc.seq === writing, `round ${round}: seq ${doc.seq}, wrote ${wrote}, writing ${writing}`);
      assert.equal(text, documentFor(round, doc.seq));
    }
    // Temp files of killed writers may remain by design; report how the kills landed.
    t.diagnostic(`killed mid-write in ${caughtMidWrite}/20 rounds; ${tempFilesIn(dir).length} orphaned temp files`);
  });
}
