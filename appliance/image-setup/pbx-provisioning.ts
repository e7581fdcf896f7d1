/**
 * `edgesip-image-setup pbx`: after edgesipd has started, hands it what provisioning
 * left in pbx-pending.json (the web admin password, extensions) through its control
 * socket, with the same API routes as `edgesip admin passwd` and `edgesip ext add|set`.
 *
 * Each item leaves the pending file as soon as the daemon took it or refused it (a
 * refusal such as a weak password would be refused again at every boot); the file is
 * removed when empty. Only when the daemon does not answer at all does the item stay
 * for the next boot.
 */
import { ControlClientError, controlRequest, type ControlResponse } from '../control/client';
import type { Clock } from '../sip/clock';
import { describeError, EXIT_FAILURE, EXIT_OK, ImageSetupError, type ImageSetupContext } from './context';
import { readPending, writePending, type PbxPending } from './state';
import { HIDDEN, type ExtensionRequest } from './value-rules';

export const DEFAULT_CONTROL_SOCKET = '/var/lib/edgesip/control.sock';
/** The web admin account provisioning sets the password of. */
export const WEB_ADMIN_USER = 'admin';

export interface PbxProvisioningOptions {
  socketPath?: string;
  /** How long to wait for edgesipd's socket to answer (default 120 s). */
  waitMs?: number;
  /** Between two tries (default 1 s). */
  retryMs?: number;
  /** Of each request (default 15 s, the CLI's). */
  requestTimeoutMs?: number;
}

type Outcome =
  | { kind: 'applied'; en: string; zh: string }
  | { kind: 'refused'; field: string; reason: string }
  /** Not taken, not refused (the daemon went away, a 500): kept for the next boot. */
  | { kind: 'kept'; why: string };

interface ApiError {
  code?: string;
  message?: string;
  field?: string;
}

export async function runPbxProvisioning(ctx: ImageSetupContext, options: PbxProvisioningOptions = {}): Promise<number> {
  const socketPath = options.socketPath ?? DEFAULT_CONTROL_SOCKET;
  const waitMs = options.waitMs ?? 120_000;
  const retryMs = options.retryMs ?? 1000;
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  let pending: PbxPending | undefined;
  try {
    pending = await readPending(ctx);
  } catch (err) {
    ctx.err(`edgesip-image-setup pbx: ${describeError(err)}`);
    return EXIT_FAILURE;
  }
  if (pending === undefined) return EXIT_OK;

  if (!(await waitForDaemon(ctx.clock, socketPath, waitMs, retryMs, timeoutMs))) {
    const waited = waitMs % 1000 === 0 ? `${waitMs / 1000} s` : `${waitMs} ms`;
    const err = new ImageSetupError('EDGESIP_ERR_NOT_RUNNING', `edgesipd did not answer on ${socketPath} within ${waited}; the pending provisioning is kept for the next boot`);
    ctx.err(`edgesip-image-setup pbx: ${describeError(err)}`);
    ctx.err(`edgesip-image-setup pbx：edgesipd 在 ${waited} 内未在 ${socketPath} 上响应；待处理的配置保留到下次启动`);
    return EXIT_FAILURE;
  }

  const call = (method: string, path: string, body: unknown): Promise<ControlResponse> => controlRequest(socketPath, method, path, body, { timeoutMs });
  let kept = 0;
  const settle = async (outcome: Outcome, what: string, whatZh: string, secret: string, remove: () => void): Promise<void> => {
    switch (outcome.kind) {
      case 'applied':
        ctx.out(outcome.en);
        ctx.out(outcome.zh);
        break;
      case 'refused': {
        // The daemon's reasons do not quote passwords; this makes sure of it.
        const reason = outcome.reason.split(secret).join(HIDDEN);
        ctx.err(`${what} refused by edgesipd (${outcome.field}: ${reason}); dropped from the pending provisioning`);
        ctx.err(`${whatZh}被 edgesipd 拒绝（${outcome.field}：${reason}）；已从待处理配置中移除`);
        break;
      }
      case 'kept':
        kept++;
        ctx.err(`${what} not applied (${outcome.why}); kept for the next boot`);
        ctx.err(`${whatZh}未能设置（${outcome.why}）；保留到下次启动`);
        return;
    }
    remove();
    await writePending(ctx, state);
  };
  const state: PbxPending = { ...pending, extensions: [...pending.extensions] };

  try {
    const adminPassword = state.edgesipAdminPassword;
    if (adminPassword !== undefined) {
      const outcome = await setWebAdminPassword(call, adminPassword);
      await settle(outcome, `web admin password of ${WEB_ADMIN_USER}`, `Web 管理账户 ${WEB_ADMIN_USER} 的密码`, adminPassword, () => delete state.edgesipAdminPassword);
    }
    for (const ext of pending.extensions) {
      const outcome = await addOrUpdateExtension(call, ext);
      await settle(outcome, `extension ${ext.number}`, `分机 ${ext.number} `, ext.password, () => {
        state.extensions = state.extensions.filter((e) => e.number !== ext.number);
      });
    }
  } catch (err) {
    ctx.err(`edgesip-image-setup pbx: ${describeError(err)}`);
    return EXIT_FAILURE;
  }
  return kept === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** True once the control socket answers anything; false when the time is up. */
async function waitForDaemon(clock: Clock, socketPath: string, waitMs: number, retryMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = clock.now() + waitMs;
  for (;;) {
    try {
      await controlRequest(socketPath, 'GET', '/v1/admins', undefined, { timeoutMs: Math.min(timeoutMs, 5000) });
      return true;
    } catch (err) {
      if (!(err instanceof ControlClientError)) throw err;
    }
    if (clock.now() + retryMs > deadline) return false;
    await new Promise<void>((resolve) => clock.setTimer(retryMs, resolve));
  }
}

type Call = (method: string, path: string, body: unknown) => Promise<ControlResponse>;

/** PUT /v1/admins/admin/password (`edgesip admin passwd`); the account is added if missing. */
async function setWebAdminPassword(call: Call, password: string): Promise<Outcome> {
  const user = WEB_ADMIN_USER;
  return guarded(async () => {
    const res = await call('PUT', `/v1/admins/${encodeURIComponent(user)}/password`, { password });
    if (res.status === 200) return { kind: 'applied', en: `web admin password of ${user} set`, zh: `已设置 Web 管理账户 ${user} 的密码` };
    if (res.status !== 404) return failure(res);
    const added = await call('POST', '/v1/admins', { user, password });
    if (added.status === 201) return { kind: 'applied', en: `web admin account ${user} added with its password`, zh: `已添加 Web 管理账户 ${user} 并设置密码` };
    return failure(added);
  });
}

/** POST /v1/extensions (`edgesip ext add`); an existing one: PATCH (`edgesip ext set`). */
async function addOrUpdateExtension(call: Call, ext: ExtensionRequest): Promise<Outcome> {
  return guarded(async () => {
    const fields = { password: ext.password, ...(ext.name !== undefined ? { displayName: ext.name } : {}) };
    const res = await call('POST', '/v1/extensions', { number: ext.number, ...fields });
    if (res.status === 201) return { kind: 'applied', en: `extension ${ext.number} added`, zh: `已添加分机 ${ext.number}` };
    if (res.status !== 409 || errorOf(res).code !== 'EDGESIP_ERR_EXISTS') return failure(res);
    const changed = await call('PATCH', `/v1/extensions/${encodeURIComponent(ext.number)}`, fields);
    const what = ext.name === undefined ? 'password' : 'password and name';
    const whatZh = ext.name === undefined ? '密码' : '密码和名称';
    if (changed.status === 200) return { kind: 'applied', en: `extension ${ext.number} existed: ${what} updated`, zh: `分机 ${ext.number} 已存在：已更新${whatZh}` };
    return failure(changed);
  });
}

/** A connection that breaks now is like a daemon that never answered: keep the item. */
async function guarded(fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ControlClientError) return { kind: 'kept', why: `${err.code}: ${err.message}` };
    throw err;
  }
}

function errorOf(res: ControlResponse): ApiError {
  return typeof res.body === 'object' && res.body !== null ? (res.body as ApiError) : {};
}

/** 4xx: the daemon will say the same next time (refused); 5xx: it may not (kept). */
function failure(res: ControlResponse): Outcome {
  const e = errorOf(res);
  if (res.status >= 400 && res.status < 500) return { kind: 'refused', field: e.field ?? '(request)', reason: e.message ?? `HTTP ${res.status}` };
  return { kind: 'kept', why: `${e.code ?? 'HTTP'} ${res.status}: ${e.message ?? 'no reason given'}` };
}
