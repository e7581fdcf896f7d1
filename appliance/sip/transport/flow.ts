/**
 * Where a message came from or goes to (RFC 3261 §18). A flow is the 5-tuple a
 * request arrived on; responses and in-dialog requests reuse it so that phones behind
 * NAT are reached over the path they opened (RFC 5626 calls this a flow).
 */
export type TransportName = 'UDP' | 'TCP' | 'TLS';

export interface Endpoint {
  address: string; // literal IPv4 or IPv6 (no brackets)
  port: number;
}

export interface Flow {
  transport: TransportName;
  local: Endpoint;
  remote: Endpoint;
  /** Stream connection id (TCP/TLS); undefined for UDP. */
  connectionId?: number;
}

export function isReliable(transport: TransportName): boolean {
  return transport !== 'UDP';
}

export function formatEndpoint(e: Endpoint): string {
  return `${hostLiteral(e.address)}:${e.port}`;
}

/** Host part as it goes into a Via or URI: IPv6 literals get brackets. */
export function hostLiteral(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function defaultPort(transport: TransportName): number {
  return transport === 'TLS' ? 5061 : 5060;
}
