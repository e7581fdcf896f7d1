/** An extension the image creates at first boot (`extension = <number> <password> [name]`). */
export interface ProvisionedExtension {
  number: string;
  password: string;
  name?: string;
}

/** A static address (`address`, `gateway`, `dns` lines), or `dhcp` to go back to DHCP. */
export type ProvisionedNetwork = { address: string; gateway?: string; dns?: string[] } | 'dhcp';

/** What a test provisions through edgesip.conf on the ESP. */
export interface Provisioning {
  hostname: string;
  network?: ProvisionedNetwork;
  sshAuthorizedKeys: string[];
  /** The admin's login password as a crypt(3) hash (`openssl passwd -6`). */
  adminPasswordHash?: string;
  /** The web admin's password (at least 12 characters). */
  webAdminPassword?: string;
  extensions: ProvisionedExtension[];
}

/** The edgesip.conf text (`key = value` lines) the image applies at first boot. */
export function provisioningFile(p: Provisioning): string {
  const lines = ['# EdgeSIP provisioning, written by the qemu image tests (test/qemu)', `hostname = ${p.hostname}`];
  for (const key of p.sshAuthorizedKeys) lines.push(`ssh_authorized_key = ${key.trim()}`);
  if (p.adminPasswordHash !== undefined) lines.push(`admin_password_hash = ${p.adminPasswordHash}`);
  if (p.network === 'dhcp') lines.push('address = dhcp');
  else if (p.network !== undefined) {
    lines.push(`address = ${p.network.address}`);
    if (p.network.gateway !== undefined) lines.push(`gateway = ${p.network.gateway}`);
    if (p.network.dns?.length) lines.push(`dns = ${p.network.dns.join(', ')}`);
  }
  if (p.webAdminPassword !== undefined) lines.push(`edgesip_admin_password = ${p.webAdminPassword}`);
  for (const e of p.extensions) lines.push(`extension = ${e.number} ${e.password}${e.name ? ` ${e.name}` : ''}`);
  return lines.join('\n') + '\n';
}

/** The secrets of a provisioning, which must not stay in the file after first boot. */
export function provisionedSecrets(p: Provisioning): string[] {
  return [
    ...(p.webAdminPassword !== undefined ? [p.webAdminPassword] : []),
    ...(p.adminPasswordHash !== undefined ? [p.adminPasswordHash] : []),
    ...p.extensions.map((e) => e.password),
  ];
}
