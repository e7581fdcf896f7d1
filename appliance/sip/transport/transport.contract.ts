/**
 * One contract for every SIP transport (RFC 3261 §18): the same cases run against UDP,
 * TCP and TLS from transport-layer.test.ts. Real sockets on 127.0.0.1; the peer on the
 * other side is scripted with raw bytes.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { VirtualClock } from '../testing/virtual-clock';
import { createResponse } from '../message/build';
import { getHeader, type SipRequest, type SipResponse } from '../message/message';
import type { Flow, TransportName } from './flow';
import { StreamFramer } from './stream-framer';
import { SipTransportLayer } from './transport-layer';

export interface TlsMaterial {
  cert: string;
  key: string;
}

/** The far side of the wire: raw bytes out, raw frames in. */
interface RawPeer {
  port: number;
  send(bytes: string | Buffer): void;
  next(timeoutMs?: number): Promise<Buffer | undefined>;
  closed(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

function inbox() {
  const queue: Buffer[] = [];
  let waiter: ((b: Buffer) => void) | undefined;
  return {
    push(b: Buffer) {
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w(b);
      } else queue.push(b);
    },
    next(timeoutMs = 2000): Promise<Buffer | undefined> {
      const q = queue.shift();
      if (q) return Promise.resolve(q);
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiter = undefined;
          resolve(undefined);
        }, timeoutMs);
        waiter = (b) => {
          clearTimeout(t);
          resolve(b);
        };
      });
    },
  };
}

async function rawPeer(transport: TransportName, serverPort: number, tls?: TlsMaterial): Promise<RawPeer> {
  const box = inbox();
  if (transport === 'UDP') {
    const s: UdpSocket = createSocket('udp4');
    s.on('message', (m) => box.push(m));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return {
      port: s.address().port,
      send: (b) => s.send(typeof b === 'string' ? Buffer.from(b, 'latin1') : b, serverPort, '127.0.0.1'),
      next: box.next,
      closed: async () => false,
      close: () => s.close(),
    };
  }
  const socket: Socket =
    transport === 'TLS'
      ? tlsConnect({ host: '127.0.0.1', port: serverPort, ca: tls!.cert, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port: serverPort });
  await new Promise<void>((r, j) => {
    socket.once('error', j);
    socket.once(transport === 'TLS' ? 'secureConnect' : 'connect', () => r());
  });
  const framer = new StreamFramer({ maxHeaderBytes: 65536, maxMessageBytes: 1 << 20 });
  let isClosed = false;
  const closeWaiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    // A bare CRLF from the server is a pong; surface it as its own frame.
    if (chunk.equals(Buffer.from('\r\n'))) {
      box.push(chunk);
      return;
    }
    for (const e of framer.push(chunk)) if (e.type === 'message') box.push(e.bytes);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    closeWaiters.splice(0).forEach((w) => w());
  });
  return {
    port: socket.localPort!,
    send: (b) => void socket.write(typeof b === 'string' ? Buffer.from(b, 'latin1') : b),
    next: box.next,
    closed: (timeoutMs = 2000) =>
      isClosed
        ? Promise.resolve(true)
        : new Promise((r) => {
            const t = setTimeout(() => r(false), timeoutMs);
            closeWaiters.push(() => {
              clearTimeout(t);
              r(true);
            });
          }),
    close: () => socket.destroy(),
  };
}

function request(method: string, transport: TransportName, port: number, opts: { rport?: boolean; callId?: string; extra?: string } = {}): string {
  const callId = opts.callId ?? `c${Math.random().toString(16).slice(2)}`;
  return (
    `${method} sip:service@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${Math.random().toString(16).slice(2)}${opts.rport ? ';rport' : ''}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:service@127.0.0.1>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 ${method}\r\n${opts.extra ?? ''}Content-Length: 0\r\n\r\n`
  );
}

interface Harness {
  layer: SipTransportLayer;
  clock: VirtualClock;
  port: number;
  requests: { req: SipRequest; flow: Flow }[];
  responses: { res: SipResponse; flow: Flow }[];
  closedFlows: Flow[];
  waitRequest(timeoutMs?: number): Promise<{ req: SipRequest; flow: Flow }>;
  close(): Promise<void>;
}

async function harness(transport: TransportName, tls: TlsMaterial | undefined, maxMessageBytes = 4096): Promise<Harness> {
  const clock = new VirtualClock();
  const requests: Harness['requests'] = [];
  const responses: Harness['responses'] = [];
  const closedFlows: Flow[] = [];
  let wake: (() => void) | undefined;
  const layer = new SipTransportLayer({
    clock,
    maxMessageBytes,
    idleTimeoutMs: 60_000,
    connect: (kind, remote) =>
      kind === 'TLS'
        ? tlsConnect({ host: remote.address, port: remote.port, rejectUnauthorized: false })
        : netConnect({ host: remote.address, port: remote.port }),
    onRequest: (req, flow) => {
      requests.push({ req, flow });
      wake?.();
    },
    onResponse: (res, flow) => responses.push({ res, flow }),
    onConnectionClosed: (flow) => closedFlows.push(flow),
  });
  let server: Server | undefined;
  let udp: UdpSocket | undefined;
  let port: number;
  if (transport === 'UDP') {
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp!.bind(0, '127.0.0.1', () => r()));
    layer.addUdpSocket(udp);
    port = udp.address().port;
  } else {
    server = transport === 'TLS' ? createTlsServer({ cert: tls!.cert, key: tls!.key, minVersion: 'TLSv1.2' }) : createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    layer.addStreamServer(server, transport);
    port = (server.address() as { port: number }).port;
  }
  return {
    layer,
    clock,
    port,
    requests,
    responses,
    closedFlows,
    async waitRequest(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length === 0) {
        assert.ok(Date.now() < deadline, 'no request delivered');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return requests.shift()!;
    },
    async close() {
      server?.close();
      await layer.close();
    },
  };
}

export function transportContract(transport: TransportName, tlsMaterial: () => TlsMaterial | undefined): void {
  describe(`SIP transport contract over ${transport}`, () => {
    let h: Harness;
    let tls: TlsMaterial | undefined;
    before(async () => {
      tls = tlsMaterial();
      h = await harness(transport, tls);
    });
    after(async () => {
      await h.close();
    });

    test('a request arrives with its flow, and received/rport are stamped (RFC 3581)', async () => {
      const peer = await rawPeer(transport, h.port, tls);
      try {
        peer.send(request('OPTIONS', transport, peer.port, { rport: true }));
        const { req, flow } = await h.waitRequest();
        assert.equal(flow.transport, transport);
        assert.equal(flow.remote.address, '127.0.0.1');
        assert.equal(flow.remote.port, peer.port);
        assert.equal(req.method, 'OPTIONS');
        const via = getHeader(req, 'via')!;
        assert.match(via, new RegExp(`rport=${peer.port}`));
        assert.match(via, /received=127\.0\.0\.1/);
      } finally {
        peer.close();
      }
    });

    test('a response is routed back to the requester (§18.2.2)', async () => {
      const peer = await rawPeer(transport, h.port, tls);
      try {
        peer.send(request('OPTIONS', transport, peer.port, { rport: true, callId: 'route-back' }));
        const { req, flow } = await h.waitRequest();
        h.layer.sendResponse(createResponse(req, 200), flow);
        const answer = await peer.next();
        assert.ok(answer, 'no response came back');
        assert.match(answer.toString('latin1'), /^SIP\/2\.0 200 /);
        assert.match(answer.toString('latin1'), /Call-ID: route-back/);
      } finally {
        peer.close();
      }
    });

    test('a malformed request gets 400 and the transport keeps serving', async () => {
      const peer = await rawPeer(transport, h.port, tls);
      try {
        peer.send(request('OPTIONS', transport, peer.port, { rport: true }).replace('CSeq: 1 OPTIONS', 'CSeq: 99999999999 OPTIONS'));
        const answer = await peer.next();
        assert.match(answer?.toString('latin1') ?? '', /^SIP\/2\.0 400 /);
        peer.send(request('OPTIONS', transport, peer.port, { rport: true }));
        const { req } = await h.waitRequest();
        assert.equal(req.method, 'OPTIONS');
      } finally {
        peer.close();
      }
    });

    test('a message over the size limit gets 413 (streams: then the connection closes)', async () => {
      const peer = await rawPeer(transport, h.port, tls);
      try {
        const big =
          transport === 'UDP'
            ? request('OPTIONS', transport, peer.port, { rport: true, extra: `X-Padding: ${'x'.repeat(5000)}\r\n` })
            : request('OPTIONS', transport, peer.port, { rport: true }).replace('Content-Length: 0\r\n\r\n', `Content-Length: 5000\r\n\r\n${'x'.repeat(5000)}`);
        peer.send(big);
        const answer = await peer.next();
        assert.match(answer?.toString('latin1') ?? '', /^SIP\/2\.0 413 /);
        if (transport !== 'UDP') assert.equal(await peer.closed(), true, 'framing is lost: the connection must close');
      } finally {
        peer.close();
      }
    });

    if (transport !== 'UDP') {
      test('a header section over the limit closes the connection without buffering it', async () => {
        const peer = await rawPeer(transport, h.port, tls);
        try {
          peer.send(request('OPTIONS', transport, peer.port, { extra: `X-Padding: ${'x'.repeat(5000)}\r\n` }));
          assert.equal(await peer.closed(), true);
        } finally {
          peer.close();
        }
      });
    }

    test('responses from the far side reach the response handler', async () => {
      const peer = await rawPeer(transport, h.port, tls);
      try {
        const before = h.responses.length;
        peer.send(
          `SIP/2.0 200 OK\r\nVia: SIP/2.0/${transport} 127.0.0.1:${h.port};branch=z9hG4bKresp\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
        );
        for (let i = 0; i < 40 && h.responses.length === before; i++) await new Promise((r) => setTimeout(r, 25));
        assert.equal(h.responses.length, before + 1);
        assert.equal(h.responses.at(-1)!.res.status, 200);
      } finally {
        peer.close();
      }
    });

    test('requests go out to a next hop, reusing one connection for several', async () => {
      const box = inbox();
      let connections = 0;
      let close: () => void;
      let port: number;
      if (transport === 'UDP') {
        const s = createSocket('udp4');
        s.on('message', (m) => box.push(m));
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        port = s.address().port;
        close = () => s.close();
      } else {
        const onSocket = (sock: Socket | TLSSocket) => {
          connections++;
          const framer = new StreamFramer({ maxHeaderBytes: 65536, maxMessageBytes: 1 << 20 });
          sock.on('data', (c: Buffer) => {
            for (const e of framer.push(c)) if (e.type === 'message') box.push(e.bytes);
          });
        };
        const srv = transport === 'TLS' ? createTlsServer({ cert: tls!.cert, key: tls!.key }, onSocket) : createServer(onSocket);
        await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
        port = (srv.address() as { port: number }).port;
        close = () => srv.close();
      }
      try {
        const target = { address: '127.0.0.1', port };
        const mk = (n: number): SipRequest => ({
          kind: 'request',
          method: 'OPTIONS',
          uri: 'sip:far@127.0.0.1',
          headers: [
            { name: 'Via', value: `SIP/2.0/${transport} 127.0.0.1:${h.port};branch=z9hG4bKout${n}` },
            { name: 'Max-Forwards', value: '70' },
            { name: 'From', value: '<sip:edge@127.0.0.1>;tag=x' },
            { name: 'To', value: '<sip:far@127.0.0.1>' },
            { name: 'Call-ID', value: `out-${n}` },
            { name: 'CSeq', value: `${n} OPTIONS` },
            { name: 'Content-Length', value: '0' },
          ],
          body: Buffer.alloc(0),
        });
        h.layer.sendRequest(mk(1), transport, target);
        h.layer.sendRequest(mk(2), transport, target);
        const first = await box.next();
        const second = await box.next();
        assert.match(first?.toString('latin1') ?? '', /Call-ID: out-1/);
        assert.match(second?.toString('latin1') ?? '', /Call-ID: out-2/);
        if (transport !== 'UDP') assert.equal(connections, 1);
      } finally {
        close();
      }
    });

    if (transport !== 'UDP') {
      test('a CRLFCRLF ping gets a CRLF pong (RFC 5626 §3.5.1)', async () => {
        const peer = await rawPeer(transport, h.port, tls);
        try {
          peer.send('\r\n\r\n');
          const pong = await peer.next();
          assert.deepEqual(pong, Buffer.from('\r\n'));
        } finally {
          peer.close();
        }
      });

      test('an idle connection is reaped on the injected clock and reported closed', async () => {
        const peer = await rawPeer(transport, h.port, tls);
        try {
          peer.send(request('OPTIONS', transport, peer.port));
          await h.waitRequest();
          h.clock.advance(59_000);
          assert.equal(await peer.closed(200), false, 'reaped too early');
          h.clock.advance(20_000);
          assert.equal(await peer.closed(), true, 'idle connection not reaped');
          const mine = () => h.closedFlows.some((f) => f.remote.port === peer.port);
          for (let i = 0; i < 40 && !mine(); i++) await new Promise((r) => setTimeout(r, 25));
          assert.ok(mine(), 'the reaped connection was not reported closed');
        } finally {
          peer.close();
        }
      });
    }
  });
}
