import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';

/**
 * The address a peer reaches us at, for the Via and Contact of what we send it, when
 * the socket is bound to a wildcard (0.0.0.0 or ::) and so cannot say. A UDP socket
 * does not report the destination address of a datagram, so this picks the interface
 * on the peer's subnet (a LAN phone), else the first non-internal one of the family
 * (the default route, in practice, on a one-port board), else loopback.
 */
export function localAddressFor(remote: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  const family = isIP(remote) === 6 ? 'IPv6' : 'IPv4';
  const all = Object.values(interfaces).flatMap((list) => list ?? []).filter((i) => i.family === family);
  if (isLoopback(remote)) return family === 'IPv6' ? '::1' : '127.0.0.1';
  const onLink = all.find((i) => !i.internal && sameSubnet(remote, i));
  if (onLink) return onLink.address;
  const external = all.find((i) => !i.internal && !(family === 'IPv6' && i.address.toLowerCase().startsWith('fe80')));
  if (external) return external.address;
  return family === 'IPv6' ? '::1' : '127.0.0.1';
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function sameSubnet(remote: string, itf: NetworkInterfaceInfo): boolean {
  const a = toBits(remote);
  const b = toBits(itf.address);
  const prefix = Number(itf.cidr?.split('/')[1] ?? NaN);
  if (!a || !b || a.length !== b.length || !Number.isInteger(prefix)) return false;
  for (let i = 0; i < prefix; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The address as a bit string (32 or 128 characters of 0/1), or undefined. */
function toBits(address: string): string | undefined {
  if (isIP(address) === 4) return address.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  if (isIP(address) !== 6) return undefined;
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8 || groups.some((g) => g.includes('.'))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}
