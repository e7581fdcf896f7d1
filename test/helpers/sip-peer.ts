import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { StreamFramer } from '../../appliance/sip/transport/stream-framer';

/**
 * Scripted SIP peers for tests: raw bytes out, raw messages in. They parse nothing
 * beyond framing so that the server's answers are checked as they are on the wire.
 */
export interface Peer {
  readonly localPort: number;
  readonly transport: 'UDP' | 'TCP' | 'TLS';
  send(bytes: Buffer | string): void;
  /** Next message, or undefined after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Buffer | undefined>;
  /** Resolves true once the server has closed the connection (streams only). */
  closed(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

class Inbox {
  private readonly queue: Buffer[] = [];
  private waiter: ((b: Buffer | undefined) => void) | undefined;
  push(b: Buffer): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(b);
    } else this.queue.push(b);
  }
  next(timeoutMs: number): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
  }
}

export async function udpPeer(serverPort: number, options: { bindPort?: number; host?: string; bindHost?: string } = {}): Promise<Peer> {
  const host = options.host ?? '127.0.0.1';
  const socket: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const inbox = new Inbox();
  socket.on('message', (m) => inbox.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.bindPort ?? 0, options.bindHost ?? host, () => resolve());
  });
  return {
    localPort: socket.address().port,
    transport: 'UDP',
    send: (bytes) => socket.send(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, serverPort, host),
    next: (timeoutMs = 2000) => inbox.next(timeoutMs),
    closed: async () => false,
    close: () => socket.close(),
  };
}

export async function streamPeer(transport: 'TCP' | 'TLS', serverPort: number, host = '127.0.0.1'): Promise<Peer> {
  const socket: Socket =
    transport === 'TLS'
      ? tlsConnect({ host, port: serverPort, rejectUnauthorized: false, minVersion: 'TLSv1.2' })
      : netConnect({ host, port: serverPort });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once(transport === 'TLS' ? 'secureConnect' : 'connect', () => resolve());
  });
  const inbox = new Inbox();
  const framer = new StreamFramer({ maxHeaderBytes: 65536, maxMessageBytes: 1 << 20 });
  let isClosed = false;
  const closedWaiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const e of framer.push(chunk)) if (e.type === 'message') inbox.push(e.bytes);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    closedWaiters.splice(0).forEach((w) => w());
  });
  return {
    localPort: socket.localPort ?? 0,
    transport,
    send: (bytes) => void socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes),
    next: (timeoutMs = 2000) => inbox.next(timeoutMs),
    closed: (timeoutMs = 2000) =>
      isClosed
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const t = setTimeout(() => resolve(false), timeoutMs);
            closedWaiters.push(() => {
              clearTimeout(t);
              resolve(true);
            });
          }),
    close: () => socket.destroy(),
  };
}

export function statusOf(message: Buffer | undefined): number | undefined {
  if (!message) return undefined;
  const m = /^SIP\/2\.0 (\d{3})/.exec(message.subarray(0, 16).toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** Value of the first header with that name in a raw message (case-insensitive). */
export function headerOf(message: Buffer, name: string): string | undefined {
  const head = message.toString('latin1').split('\r\n\r\n')[0]!;
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

export function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** A well-formed OPTIONS from this peer, with rport so the answer comes back to it. */
export function optionsRequest(peer: Peer, target = 'sip:ping@127.0.0.1', extra = ''): string {
  const tag = randomBytes(4).toString('hex');
  return (
    `OPTIONS ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/${peer.transport} 127.0.0.1:${peer.localPort};branch=${branch()};rport\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:tester@127.0.0.1>;tag=${tag}\r\n` +
    `To: <${target}>\r\n` +
    `Call-ID: ${randomBytes(8).toString('hex')}@127.0.0.1\r\n` +
    `CSeq: 1 OPTIONS\r\n` +
    extra +
    `Content-Length: 0\r\n\r\n`
  );
}
