/**
 * `edgesip-image-setup provision`: applies /boot/firmware/edgesip.conf once, then
 * scrubs its secrets from the boot partition.
 *
 * Power may fail between any two steps, so the order is: every piece of state first
 * (each write atomic, each one harmless to repeat: settings replaced, keys
 * deduplicated, pending items merged), the scrub of the boot file after that, and the
 * sha256 of the scrubbed file last. Until that sha256 is recorded, the next boot
 * applies the file again and finishes the job.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../platform/atomic-write';
import { installAuthorizedKeys } from './authorized-keys';
import { describeError, EXIT_FAILURE, EXIT_OK, EXIT_PROVISIONING_REFUSED, type ImageSetupContext, type ImageSetupErrorCode } from './context';
import { DHCP, issueText, parseProvisioningFile, refusalText, scrubProvisioningFile, type ProvisioningProblem, type ProvisioningRequest } from './provisioning-file';
import {
  ensureStateDir,
  mergePending,
  readAppliedSha256,
  readPending,
  readSettings,
  removeDurably,
  writeAdminPasswordHash,
  writeAppliedSha256,
  writePending,
  writeSettings,
} from './state';

const REFUSED_CODE: ImageSetupErrorCode = 'EDGESIP_ERR_PROVISIONING_FILE';

/** The durable steps, in order; a test may stop ("crash") after any of them. */
export const PROVISION_STEPS = ['state-dir', 'settings', 'admin-password-hash', 'ssh-keys', 'pbx-pending', 'scrub', 'applied-sha256'] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

export interface ProvisionSeams {
  /** Called after each step that ran; throwing simulates a power cut at that point. */
  afterStep?: (step: ProvisionStep) => void;
}

export type ProvisionResult =
  | { status: 'absent' }
  | { status: 'already-applied' }
  | { status: 'refused'; problems: ProvisioningProblem[] }
  | { status: 'applied'; summary: [string, string] };

export async function provision(ctx: ImageSetupContext, seams: ProvisionSeams = {}): Promise<ProvisionResult> {
  const { paths } = ctx;
  let raw: Buffer;
  try {
    raw = await fsp.readFile(paths.provisioningFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await removeDurably(paths.provisioningIssue);
      return { status: 'absent' };
    }
    throw err;
  }
  if (sha256(raw) === (await readAppliedSha256(ctx))) {
    await removeDurably(paths.provisioningIssue);
    return { status: 'already-applied' };
  }
  const parsed = parseProvisioningFile(raw);
  if (!parsed.ok) {
    // Nothing is applied and the file stays as it is, so the user can fix it.
    await fsp.mkdir(dirname(paths.provisioningIssue), { recursive: true });
    await writeFileAtomic(paths.provisioningIssue, issueText(refusalText(parsed.problems)), { mode: 0o644 });
    return { status: 'refused', problems: parsed.problems };
  }
  const { request } = parsed.file;
  const step = (name: ProvisionStep): void => seams.afterStep?.(name);

  await ensureStateDir(ctx);
  step('state-dir');

  if (request.hostname !== undefined || request.network !== undefined) {
    const settings = await readSettings(ctx);
    if (request.hostname !== undefined) settings.hostname = request.hostname;
    if (request.network === DHCP) delete settings.network;
    else if (request.network !== undefined) settings.network = request.network;
    await writeSettings(ctx, settings);
    step('settings');
  }

  if (request.adminPasswordHash !== undefined) {
    await writeAdminPasswordHash(ctx, request.adminPasswordHash);
    step('admin-password-hash');
  }

  let keys = { added: 0, alreadyPresent: 0 };
  if (request.sshKeys.length > 0) {
    keys = await installAuthorizedKeys(ctx, request.sshKeys);
    step('ssh-keys');
  }

  if (request.edgesipAdminPassword !== undefined || request.extensions.length > 0) {
    const add = { extensions: request.extensions, ...(request.edgesipAdminPassword !== undefined ? { edgesipAdminPassword: request.edgesipAdminPassword } : {}) };
    await writePending(ctx, mergePending(await readPending(ctx), add));
    step('pbx-pending');
  }

  // FAT has no modes to keep: the atomic write reuses what the mount shows.
  const scrubbed = scrubProvisioningFile(parsed.file, ctx.clock.now());
  if (scrubbed !== undefined) {
    await writeFileAtomic(paths.provisioningFile, scrubbed);
    step('scrub');
  }
  await writeAppliedSha256(ctx, sha256(scrubbed === undefined ? raw : Buffer.from(scrubbed, 'utf8')));
  step('applied-sha256');

  await removeDurably(paths.provisioningIssue);
  return { status: 'applied', summary: summaryOf(request, keys.alreadyPresent) };
}

/** The exit code; everything said on out/err (never a secret). */
export async function runProvision(ctx: ImageSetupContext): Promise<number> {
  let result: ProvisionResult;
  try {
    result = await provision(ctx);
  } catch (err) {
    ctx.err(`edgesip-image-setup provision: ${describeError(err)}`);
    return EXIT_FAILURE;
  }
  switch (result.status) {
    case 'absent':
      ctx.out('no edgesip.conf on the boot partition: nothing to provision');
      return EXIT_OK;
    case 'already-applied':
      ctx.out('edgesip.conf was applied before and has not changed since: nothing to provision');
      return EXIT_OK;
    case 'refused':
      for (const line of refusalText(result.problems)) ctx.err(line);
      ctx.err(`(${REFUSED_CODE}; the same text is shown above the console login prompt)`);
      return EXIT_PROVISIONING_REFUSED;
    case 'applied':
      for (const line of result.summary) ctx.out(line);
      return EXIT_OK;
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One line in English and one in Chinese, naming what was applied, never a secret. */
export function summaryOf(request: ProvisioningRequest, keysAlreadyPresent: number): [string, string] {
  const en: string[] = [];
  const zh: string[] = [];
  const keyCount = request.sshKeys.length;
  if (keyCount > 0) {
    const already = keysAlreadyPresent > 0 ? ` (${keysAlreadyPresent} already there)` : '';
    en.push(`${keyCount} SSH ${keyCount === 1 ? 'key' : 'keys'} for admin${already}`);
    zh.push(`admin 的 ${keyCount} 个 SSH 密钥${keysAlreadyPresent > 0 ? `（其中 ${keysAlreadyPresent} 个已存在）` : ''}`);
  }
  if (request.adminPasswordHash !== undefined) {
    en.push('login password for admin');
    zh.push('admin 的登录密码');
  }
  if (request.hostname !== undefined) {
    en.push(`hostname ${request.hostname}`);
    zh.push(`主机名 ${request.hostname}`);
  }
  if (request.network === DHCP) {
    en.push('address by DHCP');
    zh.push('通过 DHCP 获取地址');
  } else if (request.network !== undefined) {
    en.push(`static address ${request.network.address}`);
    zh.push(`静态地址 ${request.network.address}`);
  }
  if (request.edgesipAdminPassword !== undefined) {
    en.push('web admin password pending for edgesipd');
    zh.push('Web 管理密码待 edgesipd 设置');
  }
  const extCount = request.extensions.length;
  if (extCount > 0) {
    en.push(`${extCount} ${extCount === 1 ? 'extension' : 'extensions'} pending for edgesipd`);
    zh.push(`${extCount} 个分机待 edgesipd 设置`);
  }
  if (en.length === 0) return ['provisioned: nothing (edgesip.conf has no settings)', '已配置：无（edgesip.conf 中没有设置）'];
  return [`provisioned: ${en.join(', ')}`, `已配置：${zh.join('，')}`];
}
