import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

/**
 * Sends a SIP OPTIONS over UDP to 127.0.0.1:`port` every second and notes when the
 * first 200 comes back: "SIP ready" as a phone would see it. Start it before the VM so
 * that the time counts from qemu's start.
 */
export class SipReadyProbe {
  /** performance.now() of the first 200, once one came. */
  firstOkAt: number | undefined;
  /** The first 200's start line and Server header, for the log. */
  firstOk: string | undefined;
  sent = 0;
  private readonly socket: Socket;
  private readonly callId = `${randomBytes(8).toString('hex')}@ready-probe`;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];

  private constructor(private readonly port: number) {
    this.socket = createSocket('udp4');
  }

  static async start(port: number, intervalMs = 1000): Promise<SipReadyProbe> {
    const probe = new SipReadyProbe(port);
    await new Promise<void>((resolve, reject) => {
      probe.socket.once('error', reject);
      probe.socket.bind(0, '127.0.0.1', () => resolve());
    });
    // Until the guest listens, nothing answers; errors (ICMP) are not news.
    probe.socket.on('error', () => undefined);
    probe.socket.on('message', (m) => probe.receive(m.toString('latin1')));
    probe.send();
    probe.timer = setInterval(() => probe.send(), intervalMs);
    return probe;
  }

  /** Resolves with performance.now() of the first 200; rejects after `timeoutMs` without one. */
  waitForOk(timeoutMs: number): Promise<number> {
    if (this.firstOkAt !== undefined) return Promise.resolve(this.firstOkAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 200 to any of ${this.sent} OPTIONS sent to udp 127.0.0.1:${this.port}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(this.firstOkAt!);
      });
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      this.socket.close();
    } catch {
      // closed already
    }
  }

  private send(): void {
    if (this.firstOkAt !== undefined) return this.stopSending();
    const n = ++this.sent;
    const local = this.socket.address().port;
    const text =
      `OPTIONS sip:127.0.0.1:${this.port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ready-${n}-${randomBytes(4).toString('hex')};rport\r\n` +
      `Max-Forwards: 70\r\n` +
      `From: <sip:ready-probe@127.0.0.1>;tag=probe${n}\r\n` +
      `To: <sip:127.0.0.1:${this.port}>\r\n` +
      `Call-ID: ${this.callId}\r\n` +
      `CSeq: ${n} OPTIONS\r\n` +
      `Accept: application/sdp\r\n` +
      `Content-Length: 0\r\n\r\n`;
    this.socket.send(Buffer.from(text, 'latin1'), this.port, '127.0.0.1', () => undefined);
  }

  private stopSending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private receive(text: string): void {
    if (this.firstOkAt !== undefined) return;
    if (!/^SIP\/2\.0 200 /.test(text)) return;
    if (!new RegExp(`^Call-ID\\s*:\\s*${this.callId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'im').test(text)) return;
    this.firstOkAt = performance.now();
    const server = /^Server\s*:\s*(.*?)\s*$/im.exec(text)?.[1];
    this.firstOk = `${text.split('\r\n', 1)[0]}${server ? ` (Server: ${server})` : ''}`;
    this.stopSending();
    for (const w of this.waiters.splice(0)) w();
  }
}
