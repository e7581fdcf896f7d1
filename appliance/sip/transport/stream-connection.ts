import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SipLogger } from '../logger';
import type { Endpoint, Flow, TransportName } from './flow';
import { StreamFramer, type FrameEvent } from './stream-framer';

/** RFC 5626 §3.5.1: the answer to a CRLFCRLF ping is a single CRLF. */
const PONG = Buffer.from('\r\n');

export interface StreamLimits {
  maxHeaderBytes: number;
  maxMessageBytes: number;
}

/**
 * One TCP or TLS connection carrying SIP (RFC 3261 §18.3): frames the byte stream into
 * messages, answers keep-alive pings, and remembers when it last carried traffic so
 * that idle connections can be reaped.
 */
export class StreamConnection {
  readonly flow: Flow;
  lastActivity: number;
  private readonly framer: StreamFramer;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket | TLSSocket,
    transport: Exclude<TransportName, 'UDP'>,
    limits: StreamLimits,
    now: number,
    private readonly logger: SipLogger,
    private readonly onFrame: (conn: StreamConnection, event: FrameEvent) => void,
    private readonly onClose: (conn: StreamConnection) => void,
  ) {
    this.flow = {
      transport,
      local: endpointOf(socket.localAddress, socket.localPort),
      remote: endpointOf(socket.remoteAddress, socket.remotePort),
      connectionId: id,
    };
    this.lastActivity = now;
    this.framer = new StreamFramer(limits);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.logger.debug({ conn: id, code: err.code }, 'sip connection error');
    });
    socket.on('close', () => this.closeNow());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  touch(now: number): void {
    this.lastActivity = now;
  }

  write(bytes: Buffer): boolean {
    if (this.closed) return false;
    return this.socket.write(bytes);
  }

  /** Close after pending writes (an error response) are flushed. */
  end(): void {
    if (this.closed) return;
    this.socket.end();
    // A peer that never reads would keep the socket half-open forever.
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
    this.closeNow();
  }

  private receive(chunk: Buffer): void {
    for (const event of this.framer.push(chunk)) {
      if (this.closed) return;
      if (event.type === 'ping') this.write(PONG);
      this.onFrame(this, event);
    }
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

function endpointOf(address: string | undefined, port: number | undefined): Endpoint {
  return { address: normalizeAddress(address ?? ''), port: port ?? 0 };
}

/** IPv4-mapped IPv6 addresses (dual-stack sockets) are reported as plain IPv4. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
