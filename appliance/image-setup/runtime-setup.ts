/**
 * `edgesip-image-setup setup`: every boot, before ssh, networkd and the console login,
 * renders this boot's runtime files under /run from the persisted state. The root file
 * system is read-only, so everything that differs per appliance lives in /run (tmpfs)
 * and the image's configuration includes it (sshd_config.d, sudoers.d, networkd,
 * issue.d) or has it bind-mounted (/etc/shadow).
 *
 * A failing step is reported and the others still run: a board that cannot set its
 * host name must still get its network and its console hint.
 */
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../platform/atomic-write';
import { VERSION } from '../version';
import { countAuthorizedKeys } from './authorized-keys';
import { ADMIN_USER, describeError, EXIT_FAILURE, EXIT_OK, ImageSetupError, type ImageSetupContext } from './context';
import { issueText } from './provisioning-file';
import { readAdminPasswordHash, readSettings, removeDurably, type ImageSettings, type StaticNetwork } from './state';
import { cryptHashProblem, gatewayProblem, hostnameProblem, ipFamily, isReason, parseStaticAddress } from './value-rules';

export const DEFAULT_HOSTNAME = 'edgesip';
export const WEB_ADMIN_PORT = 8443;

export interface SetupReport {
  /** One message per step that failed (with its stable code where it has one). */
  errors: string[];
  provisioned: boolean;
}

export async function runtimeSetup(ctx: ImageSetupContext): Promise<SetupReport> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${describeError(err)}`);
    }
  };

  let settings: ImageSettings = {};
  await attempt('settings', async () => {
    settings = await readSettings(ctx);
  });
  let hash: string | undefined;
  await attempt('admin password', async () => {
    const stored = await readAdminPasswordHash(ctx);
    // A hash that would break /etc/shadow (a ':' or a newline) is never bound there.
    if (stored !== undefined && cryptHashProblem(stored) !== undefined) {
      throw new ImageSetupError('EDGESIP_ERR_IMAGE_STATE', `${ctx.paths.adminPasswordHash} does not hold an accepted crypt(3) hash; ignored`);
    }
    hash = stored;
  });

  await attempt('hostname', () => applyHostname(ctx, settings.hostname));
  await attempt('network', () => writeNetwork(ctx, settings.network));
  await attempt('ssh password login', () => writeSshPasswordConf(ctx, hash !== undefined));
  if (hash !== undefined) {
    const h = hash;
    await attempt('admin password', () => bindShadow(ctx, h));
  }
  await attempt('sudo', () => writeSudoers(ctx, hash !== undefined));

  let provisioned = true;
  await attempt('console hint', async () => {
    provisioned = hash !== undefined || (await countAuthorizedKeys(ctx)) > 0;
    const lines = provisioned ? undefined : notProvisionedText();
    await fsp.mkdir(dirname(ctx.paths.consoleIssue), { recursive: true });
    // agetty expands \4 to the board's IPv4 address: the backslash stays literal here.
    const text = lines === undefined ? `EdgeSIP ${VERSION} — ssh ${ADMIN_USER}@\\4 — web admin https://\\4:${WEB_ADMIN_PORT}/\n\n` : issueText(lines);
    await writeFileAtomic(ctx.paths.consoleIssue, text, { mode: 0o644 });
    if (lines !== undefined) for (const line of lines) ctx.out(line);
  });
  return { errors, provisioned };
}

export async function runSetup(ctx: ImageSetupContext): Promise<number> {
  const report = await runtimeSetup(ctx);
  for (const e of report.errors) ctx.err(`edgesip-image-setup setup: ${e}`);
  return report.errors.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

/** The console hint of an appliance nobody can log in to yet. */
export function notProvisionedText(): string[] {
  return [
    `EdgeSIP ${VERSION}: this appliance is not provisioned.`,
    '  SSH password login is off and no SSH key is installed: nobody can log in over the network.',
    '  Put edgesip.conf on the boot partition (an example is in /boot/firmware/edgesip.conf.example,',
    '  see docs/flashing.md) and reboot.',
    `EdgeSIP ${VERSION}：此设备尚未完成初始配置。`,
    '  SSH 密码登录已关闭，且未安装任何 SSH 密钥：无法通过网络登录。',
    '  请将 edgesip.conf 放到引导分区（示例见 /boot/firmware/edgesip.conf.example，',
    '  参见 docs/flashing.md），然后重启。',
  ];
}

async function applyHostname(ctx: ImageSetupContext, stored: string | undefined): Promise<void> {
  if (stored !== undefined && hostnameProblem(stored) !== undefined) {
    await ctx.commands.setHostname(DEFAULT_HOSTNAME);
    throw new ImageSetupError('EDGESIP_ERR_IMAGE_STATE', `${ctx.paths.settings}: hostname is not a valid host name; ${DEFAULT_HOSTNAME} used`);
  }
  await ctx.commands.setHostname(stored ?? DEFAULT_HOSTNAME);
}

/** The networkd unit of a static address; it sorts before the image's own DHCP one. */
export function staticNetworkUnit(n: StaticNetwork): string {
  const lines = ['[Match]', 'Type=ether', '', '[Network]', `Address=${n.address}`];
  if (n.gateway !== undefined) lines.push(`Gateway=${n.gateway}`);
  for (const server of n.dns) lines.push(`DNS=${server}`);
  return `${lines.join('\n')}\n`;
}

async function writeNetwork(ctx: ImageSetupContext, network: StaticNetwork | undefined): Promise<void> {
  const file = ctx.paths.staticNetwork;
  if (network === undefined) {
    await removeDurably(file);
    return;
  }
  // The values go into a networkd file: only what provisioning would have accepted.
  const address = parseStaticAddress(network.address);
  const bad =
    isReason(address) ||
    (network.gateway !== undefined && gatewayProblem(network.gateway, address) !== undefined) ||
    network.dns.some((s) => ipFamily(s) === undefined);
  if (bad) {
    await removeDurably(file);
    throw new ImageSetupError('EDGESIP_ERR_IMAGE_STATE', `${ctx.paths.settings}: network is not a valid static address; DHCP used`);
  }
  await fsp.mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, staticNetworkUnit(network), { mode: 0o644 });
}

export const SSH_PASSWORD_CONF = 'PasswordAuthentication yes\n';

/** Password login over SSH only once the admin has a password of their own. */
async function writeSshPasswordConf(ctx: ImageSetupContext, hasPassword: boolean): Promise<void> {
  const file = ctx.paths.sshPasswordConf;
  if (!hasPassword) {
    await removeDurably(file);
    return;
  }
  await fsp.mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, SSH_PASSWORD_CONF, { mode: 0o644 });
}

/**
 * /etc/shadow with the admin's password hash. A `0` in "last changed" would force a
 * password change at the first login, which cannot work on the bind-mounted file:
 * it becomes today.
 */
export function composeShadow(shadow: string, hash: string, nowMs: number): string {
  const lines = shadow.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${ADMIN_USER}:`));
  if (i === -1) throw new ImageSetupError('EDGESIP_ERR_NO_ADMIN_ACCOUNT', `the image's shadow file has no ${ADMIN_USER} line`);
  const fields = (lines[i] as string).split(':');
  fields[1] = hash;
  if (fields[2] === '0') fields[2] = String(Math.floor(nowMs / 86_400_000));
  lines[i] = fields.join(':');
  return lines.join('\n');
}

export const SHADOW_MODE = 0o640;

/**
 * Binds /run/edgesip/shadow over /etc/shadow, once per boot: the file existing means it
 * is bound already (a second bind would stack on the first and read the composed copy).
 */
async function bindShadow(ctx: ImageSetupContext, hash: string): Promise<void> {
  const target = ctx.paths.shadow;
  try {
    await fsp.lstat(target);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const composed = composeShadow(await fsp.readFile(ctx.paths.etcShadow, 'utf8'), hash, ctx.clock.now());
  await fsp.mkdir(dirname(target), { recursive: true });
  await writeFileAtomic(target, composed, { mode: SHADOW_MODE });
  try {
    await ctx.commands.bindMount(target, ctx.paths.etcShadow);
  } catch (err) {
    // Not bound: without the file, running setup again tries again.
    await removeDurably(target);
    throw err;
  }
}

export const SUDOERS_DIR_MODE = 0o750;
export const SUDOERS_FILE_MODE = 0o440;

/** Key-only admins (no password to type) get sudo without one, like cloud images. */
export function sudoersLine(hasPassword: boolean): string {
  return hasPassword ? `${ADMIN_USER} ALL=(ALL:ALL) ALL\n` : `${ADMIN_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
}

async function writeSudoers(ctx: ImageSetupContext, hasPassword: boolean): Promise<void> {
  await fsp.mkdir(ctx.paths.sudoersDir, { recursive: true, mode: SUDOERS_DIR_MODE });
  await fsp.chmod(ctx.paths.sudoersDir, SUDOERS_DIR_MODE);
  await writeFileAtomic(ctx.paths.sudoersAdmin, sudoersLine(hasPassword), { mode: SUDOERS_FILE_MODE });
}
