import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ExtensionInput, ExtensionView } from '../control/backend';
import { startControlServer, type ControlServer } from '../control/server';
import { FakeBackend, memoryLogger } from '../control/testing/fake-backend';
import { realClock } from '../platform/real-clock';
import { EXIT_FAILURE, EXIT_OK } from './context';
import { runPbxProvisioning } from './pbx-provisioning';
import type { PbxPending } from './state';
import { tempParent, testRoots, type TestRoots } from './testing/fixtures';

const parent = tempParent('edgesip-pbx-');
after(() => parent.remove());

const ADMIN_PASSWORD = 'correct horse battery';

/** A board whose provisioning left `pending`; edgesipd's socket would be at `socketPath`. */
function board(pending?: PbxPending): TestRoots & { socketPath: string } {
  const t = testRoots(parent.dir, realClock());
  if (pending !== undefined) {
    mkdirSync(t.ctx.paths.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(t.ctx.paths.pbxPending, JSON.stringify(pending), { mode: 0o600 });
  }
  return { ...t, socketPath: join(t.root, 'control.sock') };
}

const servers: ControlServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function daemon(socketPath: string, backend: FakeBackend = new FakeBackend()): Promise<FakeBackend> {
  servers.push(await startControlServer({ socketPath, backend, logger: memoryLogger([]) }));
  return backend;
}

function existing(number: string, displayName: string): ExtensionView {
  return {
    number,
    displayName,
    maxContacts: 5,
    enabled: true,
    allowedNetworks: [],
    forward: { always: '', busy: '', noAnswer: '', unavailable: '', noAnswerSeconds: 20 },
    permission: 'national',
    hasSecret: true,
  } as ExtensionView;
}

const pendingOf = (t: TestRoots): unknown => JSON.parse(readFileSync(t.ctx.paths.pbxPending, 'utf8'));

describe('pbx provisioning through the control socket', () => {
  test('nothing pending: nothing to do, no daemon needed', async () => {
    const t = board();
    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath, waitMs: 0 }), EXIT_OK);
    assert.deepEqual([...t.out, ...t.err], []);
  });

  test('web admin password set, a new extension added, an existing one updated, a refused one dropped', async () => {
    const t = board({
      edgesipAdminPassword: ADMIN_PASSWORD,
      extensions: [
        { number: '301', password: 'Vq7-tgh2-Lm9x', name: 'Front desk' },
        { number: '302', password: 'Kd4-pp8w-Ze3n', name: 'Warehouse' },
        { number: '303', password: '12345678' },
        { number: '304', password: 'Zz9-qq1w-Ty6u' },
      ],
    });
    const backend = new FakeBackend();
    backend.extensions.set('302', existing('302', 'Old name'));
    backend.extensions.set('304', existing('304', 'Keeps its name'));
    await daemon(t.socketPath, backend);

    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath }), EXIT_OK);

    assert.deepEqual(backend.lastAdminPassword, { user: 'admin', password: ADMIN_PASSWORD });
    assert.equal(backend.extensions.get('301')?.displayName, 'Front desk');
    assert.equal(backend.extensions.get('301')?.hasSecret, true);
    assert.equal(backend.extensions.get('302')?.displayName, 'Warehouse');
    assert.equal(backend.extensions.get('303'), undefined);
    assert.equal(backend.extensions.get('304')?.displayName, 'Keeps its name');
    const inputs: ExtensionInput[] = backend.inputs;
    assert.deepEqual(inputs, [
      { number: '301', password: 'Vq7-tgh2-Lm9x', displayName: 'Front desk' },
      { number: '302', password: 'Kd4-pp8w-Ze3n', displayName: 'Warehouse' },
      { password: 'Kd4-pp8w-Ze3n', displayName: 'Warehouse' },
      { number: '304', password: 'Zz9-qq1w-Ty6u' },
      { password: 'Zz9-qq1w-Ty6u' },
    ]);
    assert.equal(existsSync(t.ctx.paths.pbxPending), false, 'the pending file is removed once empty');
    assert.deepEqual(t.out, [
      'web admin password of admin set',
      '已设置 Web 管理账户 admin 的密码',
      'extension 301 added',
      '已添加分机 301',
      'extension 302 existed: password and name updated',
      '分机 302 已存在：已更新密码和名称',
      'extension 304 existed: password updated',
      '分机 304 已存在：已更新密码',
    ]);
    assert.deepEqual(t.err, [
      'extension 303 refused by edgesipd (password: is too weak: a password of digits only must have at least 12 digits); dropped from the pending provisioning',
      '分机 303 被 edgesipd 拒绝（password：is too weak: a password of digits only must have at least 12 digits）；已从待处理配置中移除',
    ]);
    const said = [...t.out, ...t.err].join('\n');
    for (const secret of [ADMIN_PASSWORD, 'Vq7-tgh2-Lm9x', 'Kd4-pp8w-Ze3n', '12345678', 'Zz9-qq1w-Ty6u']) assert.ok(!said.includes(secret), secret);
  });

  test('no web admin account yet: it is added with the password', async () => {
    const t = board({ edgesipAdminPassword: ADMIN_PASSWORD, extensions: [] });
    const backend = new FakeBackend();
    backend.admins.clear();
    await daemon(t.socketPath, backend);
    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath }), EXIT_OK);
    assert.deepEqual([...backend.admins.keys()], ['admin']);
    assert.deepEqual(backend.lastAdminPassword, { user: 'admin', password: ADMIN_PASSWORD });
    assert.deepEqual(t.out, ['web admin account admin added with its password', '已添加 Web 管理账户 admin 并设置密码']);
  });

  test('a daemon late to answer: retried every interval until it does', async () => {
    const t = board({ extensions: [{ number: '301', password: 'Vq7-tgh2-Lm9x' }] });
    const started = Date.now();
    let backend: FakeBackend | undefined;
    const late = new Promise<void>((resolve) => {
      setTimeout(() => {
        void daemon(t.socketPath).then((b) => {
          backend = b;
          resolve();
        });
      }, 300);
    });
    const code = await runPbxProvisioning(t.ctx, { socketPath: t.socketPath, waitMs: 10_000, retryMs: 50 });
    await late;
    assert.equal(code, EXIT_OK);
    assert.ok(Date.now() - started >= 300);
    assert.equal(backend?.extensions.has('301'), true);
    assert.equal(existsSync(t.ctx.paths.pbxPending), false);
  });

  test('a daemon that never answers: exit 1, everything kept for the next boot', async () => {
    const pending: PbxPending = { edgesipAdminPassword: ADMIN_PASSWORD, extensions: [{ number: '301', password: 'Vq7-tgh2-Lm9x' }] };
    const t = board(pending);
    const started = Date.now();
    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath, waitMs: 400, retryMs: 100 }), EXIT_FAILURE);
    assert.ok(Date.now() - started >= 300, 'waited');
    assert.deepEqual(pendingOf(t), pending);
    assert.deepEqual(t.err, [
      `edgesip-image-setup pbx: EDGESIP_ERR_NOT_RUNNING: edgesipd did not answer on ${t.socketPath} within 400 ms; the pending provisioning is kept for the next boot`,
      `edgesip-image-setup pbx：edgesipd 在 400 ms 内未在 ${t.socketPath} 上响应；待处理的配置保留到下次启动`,
    ]);
  });

  test('a daemon failing on one item (HTTP 500): that item is kept, the others applied, exit 1', async () => {
    class FailingBackend extends FakeBackend {
      override async addExtension(input: ExtensionInput): Promise<ExtensionView> {
        if (input.number === '302') throw new Error('disk full');
        return super.addExtension(input);
      }
    }
    const t = board({
      extensions: [
        { number: '301', password: 'Vq7-tgh2-Lm9x' },
        { number: '302', password: 'Kd4-pp8w-Ze3n', name: 'Warehouse' },
        { number: '303', password: 'Zz9-qq1w-Ty6u' },
      ],
    });
    const backend = await daemon(t.socketPath, new FailingBackend());
    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath }), EXIT_FAILURE);
    assert.deepEqual([...backend.extensions.keys()], ['301', '303']);
    assert.deepEqual(pendingOf(t), { extensions: [{ number: '302', password: 'Kd4-pp8w-Ze3n', name: 'Warehouse' }] });
    assert.deepEqual(t.err, [
      'extension 302 not applied (EDGESIP_ERR_INTERNAL 500: internal error; see the edgesipd log); kept for the next boot',
      '分机 302 未能设置（EDGESIP_ERR_INTERNAL 500: internal error; see the edgesipd log）；保留到下次启动',
    ]);
  });

  test('a damaged pending file is reported, not guessed at', async () => {
    const t = board();
    mkdirSync(t.ctx.paths.stateDir, { recursive: true });
    writeFileSync(t.ctx.paths.pbxPending, '{"edgesipAdminPassword": "half a secr');
    assert.equal(await runPbxProvisioning(t.ctx, { socketPath: t.socketPath, waitMs: 0 }), EXIT_FAILURE);
    assert.deepEqual(t.err, [`edgesip-image-setup pbx: EDGESIP_ERR_IMAGE_STATE: ${t.ctx.paths.pbxPending}: is not valid JSON`]);
  });
});
