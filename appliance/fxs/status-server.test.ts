import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { controlRequest, ControlClientError } from '../control/client';
import type { FxsStatus } from './status';
import { UnixSocketError } from '../control/unix-socket';
import { startFxsStatusServer, type FxsStatusServer } from './status-server';

interface LogEntry {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}

function memoryLogger(entries: LogEntry[]) {
  return {
    info: (obj: object, msg: string) => void entries.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void entries.push({ level: 'warn', obj, msg }),
  };
}

function sampleStatus(): FxsStatus {
  return {
    version: '0.1.0',
    board: { state: 'up', path: '/dev/ttyUSB0', firmware: 'fxs-4 1.2.0', lines: 4, badFrames: 0, reconnects: 1 },
    server: '127.0.0.1:5060 UDP',
    local: '0.0.0.0:5070',
    lines: [
      { line: 1, username: '301', registration: 'registered', hook: 'on-hook', call: 'idle', expiresInSeconds: 280 },
      { line: 2, username: '302', registration: 'auth-failed', hook: 'off-hook', call: 'dial-tone', lastError: '403 Forbidden' },
    ],
  };
}

/** One raw request; the reply's status, headers and parsed body. */
function raw(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A socket file nobody listens on: a child binds it and is killed (as after a crash). */
function makeDeadSocket(socketPath: string): void {
  const script = `const s=require('net').createServer();s.listen(${JSON.stringify(socketPath)},()=>process.kill(process.pid,'SIGKILL'));`;
  spawnSync(process.execPath, ['-e', script]);
}

describe('fxs status server', () => {
  let dir: string;
  let socketPath: string;
  let server: FxsStatusServer;
  let current: FxsStatus = sampleStatus();
  let fail = false;
  const logs: LogEntry[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgesip-fxs-status-'));
    socketPath = join(dir, 'fxs.sock');
    server = await startFxsStatusServer({
      socketPath,
      status: () => {
        if (fail) throw new Error('board table on fire');
        return current;
      },
      logger: memoryLogger(logs),
    });
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is 0660: owner and group, nothing for others', () => {
    const st = statSync(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.mode & 0o007, 0, 'others have no access');
  });

  test('GET /v1/status returns the current status as JSON, fresh each time', async () => {
    const r = await raw(socketPath, 'GET', '/v1/status');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.deepEqual(r.body, sampleStatus());
    current = { ...sampleStatus(), board: { ...sampleStatus().board, state: 'down' } };
    const again = await controlRequest(socketPath, 'GET', '/v1/status?x=1');
    assert.equal((again.body as FxsStatus).board.state, 'down');
    current = sampleStatus();
  });

  test('other paths are 404, other methods 405 with Allow, both as {code, message}', async () => {
    const missing = await raw(socketPath, 'GET', '/v1/lines');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { code: 'EDGESIP_ERR_NOT_FOUND', message: 'no such route: /v1/lines' });
    assert.equal((await raw(socketPath, 'GET', '/')).status, 404);
    const post = await raw(socketPath, 'POST', '/v1/status', '{"lines":[]}');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    assert.deepEqual(post.body, { code: 'EDGESIP_ERR_METHOD', message: 'POST is not allowed on /v1/status; allowed: GET' });
    assert.equal((await raw(socketPath, 'DELETE', '/v1/status')).status, 405);
  });

  test('a failing status source is a 500 with a generic message; the cause is logged', async () => {
    fail = true;
    try {
      const r = await raw(socketPath, 'GET', '/v1/status');
      assert.equal(r.status, 500);
      assert.deepEqual(r.body, { code: 'EDGESIP_ERR_INTERNAL', message: 'internal error; see the edgesip-fxs log' });
      assert.ok(logs.some((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('board table on fire')));
    } finally {
      fail = false;
    }
    assert.equal((await raw(socketPath, 'GET', '/v1/status')).status, 200);
  });

  test('a second server on the live socket is refused; the first keeps serving', async () => {
    await assert.rejects(
      startFxsStatusServer({ socketPath, status: sampleStatus, logger: memoryLogger([]) }),
      (err: unknown) => err instanceof UnixSocketError && err.code === 'EDGESIP_ERR_SOCKET_IN_USE' && /edgesip-fxs running twice/.test(err.message),
    );
    assert.equal((await raw(socketPath, 'GET', '/v1/status')).status, 200);
  });
});

describe('fxs status socket lifecycle', () => {
  test('a stale socket is replaced; close removes the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-fxs-status-'));
    try {
      const socketPath = join(dir, 'fxs.sock');
      makeDeadSocket(socketPath);
      assert.ok(statSync(socketPath).isSocket());
      await assert.rejects(controlRequest(socketPath, 'GET', '/v1/status'), (err: unknown) => err instanceof ControlClientError && err.code === 'EDGESIP_ERR_NOT_RUNNING');
      const logs: LogEntry[] = [];
      const server = await startFxsStatusServer({ socketPath, status: sampleStatus, logger: memoryLogger(logs) });
      assert.equal(statSync(socketPath).mode & 0o777, 0o660);
      assert.equal((await controlRequest(socketPath, 'GET', '/v1/status')).status, 200);
      await server.close();
      await server.close(); // twice is harmless
      assert.equal(existsSync(socketPath), false);
      assert.deepEqual(logs.map((l) => l.msg), ['fxs status socket listening', 'fxs status socket closed']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a path that is not a socket is never deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgesip-fxs-status-'));
    try {
      const socketPath = join(dir, 'fxs.sock');
      writeFileSync(socketPath, 'precious');
      await assert.rejects(
        startFxsStatusServer({ socketPath, status: sampleStatus, logger: memoryLogger([]) }),
        (err: unknown) => err instanceof UnixSocketError && err.code === 'EDGESIP_ERR_SOCKET_PATH',
      );
      assert.ok(statSync(socketPath).isFile());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
