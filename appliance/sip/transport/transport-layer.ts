import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import { isIP, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../clock';
import { silentLogger, type SipLogger } from '../logger';
import { createResponse } from '../message/build';
import type { SipParseError } from '../message/errors';
import { formatVia, parseVia, type Via } from '../message/headers/via';
import { getHeader, splitList, type SipMessage, type SipRequest, type SipResponse } from '../message/message';
import { parseMessage } from '../message/parse';
import { serializeMessage } from '../message/serialize';
import { defaultPort, formatEndpoint, stripBrackets, type Endpoint, type Flow, type TransportName } from './flow';
import { normalizeAddress, StreamConnection } from './stream-connection';
import type { FrameEvent } from './stream-framer';

export interface TransportLayerOptions {
  clock: Clock;
  logger?: SipLogger;
  /** Largest message accepted or sent, in bytes (datagram or framed). */
  maxMessageBytes?: number;
  /** Largest header section on a stream before the connection is closed with 413. */
  maxHeaderBytes?: number;
  /** Stream connections without traffic for this long are closed. */
  idleTimeoutMs?: number;
  /** Opens an outbound TCP/TLS connection; only entry points create sockets. */
  connect?: (transport: 'TCP' | 'TLS', remote: Endpoint) => Socket | TLSSocket;
  onRequest: (request: SipRequest, flow: Flow) => void;
  onResponse: (response: SipResponse, flow: Flow) => void;
  /** A stream connection closed (by either side, or reaped). */
  onConnectionClosed?: (flow: Flow) => void;
}

export interface TransportStats {
  received: number;
  sent: number;
  malformed: number;
  connections: number;
}

/** Stable codes for what can go wrong when sending. */
export class SipTransportError extends Error {
  override readonly name = 'SipTransportError';
  constructor(
    readonly code: 'SIP_ERR_TRANSPORT' | 'SIP_ERR_NO_ROUTE' | 'SIP_ERR_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

interface UdpBinding {
  socket: UdpSocket;
  local: Endpoint;
}

/**
 * The transport layer of RFC 3261 §18: turns datagrams and framed streams into parsed
 * messages, stamps `received`/`rport` on requests (§18.2.1, RFC 3581), answers
 * malformed requests statelessly (400/413/505), drops broken responses, and routes
 * outgoing responses (§18.2.2) and requests, reusing stream connections.
 */
export class SipTransportLayer {
  readonly stats: TransportStats = { received: 0, sent: 0, malformed: 0, connections: 0 };
  private readonly clock: Clock;
  private readonly logger: SipLogger;
  private readonly maxMessageBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly udp: UdpBinding[] = [];
  private readonly streamServers = new Map<'TCP' | 'TLS', Endpoint[]>();
  private readonly connections = new Map<number, StreamConnection>();
  private readonly byRemote = new Map<string, StreamConnection>();
  private nextConnectionId = 1;
  private reaper: TimerHandle | undefined;
  private closing = false;

  constructor(private readonly options: TransportLayerOptions) {
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.maxMessageBytes = options.maxMessageBytes ?? 65535;
    this.maxHeaderBytes = options.maxHeaderBytes ?? Math.min(16384, this.maxMessageBytes);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
    this.scheduleReaper();
  }

  /** A bound UDP socket; datagrams on it become messages. */
  addUdpSocket(socket: UdpSocket): void {
    const addr = socket.address();
    const binding = { socket, local: { address: normalizeAddress(addr.address), port: addr.port } };
    this.udp.push(binding);
    socket.on('message', (data: Buffer, rinfo: RemoteInfo) => this.receiveDatagram(binding, data, rinfo));
    socket.on('error', (err) => this.logger.warn({ err: err.message }, 'sip udp socket error'));
  }

  /** A listening TCP server, or a TLS server (its secure connections). */
  addStreamServer(server: NetServer, transport: 'TCP' | 'TLS'): void {
    const addr = server.address();
    if (addr && typeof addr === 'object') {
      const list = this.streamServers.get(transport) ?? [];
      list.push({ address: normalizeAddress(addr.address), port: addr.port });
      this.streamServers.set(transport, list);
    }
    const event = transport === 'TLS' ? 'secureConnection' : 'connection';
    server.on(event, (socket: Socket | TLSSocket) => {
      if (transport === 'TLS') {
        const tlsSocket = socket as TLSSocket;
        this.logger.info(
          {
            remote: formatEndpoint({ address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 }),
            protocol: tlsSocket.getProtocol(),
            cipher: tlsSocket.getCipher()?.name,
          },
          'sip tls connection',
        );
      }
      this.adopt(socket, transport);
    });
  }

  /** Where this server listens for a transport (for Via and Contact). */
  localEndpoint(transport: TransportName, family: 4 | 6 = 4): Endpoint | undefined {
    const candidates = transport === 'UDP' ? this.udp.map((b) => b.local) : (this.streamServers.get(transport) ?? []);
    return candidates.find((e) => (isIP(e.address) || 4) === family) ?? candidates[0];
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Send a response (RFC 3261 §18.2.2): over a stream, on the connection the request
   * arrived on while it is open, else a new one to received/sent-by; over UDP to the
   * `received` address and the `rport` port (RFC 3581) or the sent-by port.
   */
  sendResponse(response: SipResponse, flow: Flow): void {
    const bytes = serializeMessage(response);
    if (flow.transport !== 'UDP') {
      const conn = flow.connectionId === undefined ? undefined : this.connections.get(flow.connectionId);
      if (conn?.isOpen) {
        this.writeStream(conn, bytes);
        return;
      }
      const target = responseTarget(response, flow);
      this.sendStream(flow.transport, target, bytes);
      return;
    }
    this.sendDatagram(responseTarget(response, flow), bytes, flow.local);
  }

  /** Send a request to a resolved next hop, reusing an open stream connection to it. */
  sendRequest(request: SipRequest, transport: TransportName, target: Endpoint): void {
    const bytes = serializeMessage(request);
    if (transport === 'UDP') this.sendDatagram(target, bytes);
    else this.sendStream(transport, target, bytes);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.clock.clearTimer(this.reaper);
    for (const conn of [...this.connections.values()]) conn.destroy();
    await Promise.all(this.udp.map((b) => new Promise<void>((resolve) => b.socket.close(() => resolve()))));
  }

  // --- inbound -------------------------------------------------------------------

  private receiveDatagram(binding: UdpBinding, data: Buffer, rinfo: RemoteInfo): void {
    const flow: Flow = {
      transport: 'UDP',
      local: binding.local,
      remote: { address: normalizeAddress(rinfo.address), port: rinfo.port },
    };
    // Keep-alives (RFC 5626 §4.4.1 STUN aside, phones send bare CRLFs): nothing to parse.
    if (isOnlyWhitespace(data)) return;
    this.receiveBytes(data, flow, true);
  }

  private receiveBytes(bytes: Buffer, flow: Flow, datagram: boolean): void {
    this.stats.received++;
    const result = parseMessage(bytes, { datagram, maxSize: this.maxMessageBytes });
    if (!result.ok) {
      this.rejectMalformed(result.error, result.request, flow);
      return;
    }
    const message = result.message;
    if (message.kind === 'response') {
      this.options.onResponse(message, flow);
      return;
    }
    try {
      stampReceived(message, flow);
    } catch (err) {
      // The top Via parsed during validation; this cannot fail, but never let it escape.
      this.logger.warn({ err: (err as Error).message }, 'sip via stamping failed');
      return;
    }
    this.options.onRequest(message, flow);
  }

  private rejectMalformed(error: SipParseError, request: SipRequest | undefined, flow: Flow): void {
    this.stats.malformed++;
    this.logger.warn(
      { code: error.code, reason: error.message, from: formatEndpoint(flow.remote), transport: flow.transport },
      'sip malformed message',
    );
    if (error.status === 'drop' || request === undefined || request.method === 'ACK') return;
    // Without a Via the answer could be matched to nothing (§8.2.6): line noise, not a request.
    if (getHeader(request, 'via') === undefined) return;
    // The request's own Via may be the broken part: answer straight back to the
    // source over the flow it came on instead of trusting it (§18.2.2 cannot apply).
    const response = createResponse(request, error.status, undefined, {
      headers: [{ name: 'Warning', value: `399 edgesip "${error.message.replace(/["\\]/g, "'").slice(0, 120)}"` }],
    });
    const bytes = serializeMessage(response);
    if (flow.transport === 'UDP') this.sendDatagram(flow.remote, bytes, flow.local);
    else {
      const conn = flow.connectionId === undefined ? undefined : this.connections.get(flow.connectionId);
      if (conn) this.writeStream(conn, bytes);
    }
  }

  private onFrame(conn: StreamConnection, event: FrameEvent): void {
    conn.touch(this.clock.now());
    switch (event.type) {
      case 'message':
        this.receiveBytes(event.bytes, conn.flow, false);
        return;
      case 'ping':
      case 'pong':
        return;
      case 'error': {
        // With the header section in hand the request can still get its 400/413.
        let request: SipRequest | undefined;
        if (event.head) {
          const partial = parseMessage(event.head, { datagram: true });
          request = partial.ok ? (partial.message.kind === 'request' ? partial.message : undefined) : partial.request;
        }
        this.rejectMalformed(event.error, request, conn.flow);
        // Framing is lost: nothing after this point can be trusted (RFC 4475 §3.1.2.3).
        if (event.close) conn.end();
        return;
      }
    }
  }

  // --- connections ---------------------------------------------------------------

  private adopt(socket: Socket | TLSSocket, transport: 'TCP' | 'TLS'): StreamConnection {
    const conn = new StreamConnection(
      this.nextConnectionId++,
      socket,
      transport,
      { maxHeaderBytes: this.maxHeaderBytes, maxMessageBytes: this.maxMessageBytes },
      this.clock.now(),
      this.logger,
      (c, event) => this.onFrame(c, event),
      (c) => this.forget(c),
    );
    socket.setNoDelay?.(true);
    this.connections.set(conn.id, conn);
    this.byRemote.set(remoteKey(transport, conn.flow.remote), conn);
    this.stats.connections++;
    if (this.closing) conn.destroy();
    return conn;
  }

  private forget(conn: StreamConnection): void {
    this.connections.delete(conn.id);
    const key = remoteKey(conn.flow.transport, conn.flow.remote);
    if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
    this.options.onConnectionClosed?.(conn.flow);
  }

  private sendStream(transport: 'TCP' | 'TLS', target: Endpoint, bytes: Buffer): void {
    this.checkSize(bytes);
    const existing = this.byRemote.get(remoteKey(transport, target));
    if (existing?.isOpen) {
      this.writeStream(existing, bytes);
      return;
    }
    if (!this.options.connect) throw new SipTransportError('SIP_ERR_NO_ROUTE', `no ${transport} connection to ${formatEndpoint(target)}`);
    const socket = this.options.connect(transport, target);
    // Register at once so that concurrent sends reuse the connection being opened;
    // the socket queues writes until it is connected.
    const conn = this.adopt(socket, transport);
    this.byRemote.set(remoteKey(transport, target), conn);
    this.writeStream(conn, bytes);
  }

  private writeStream(conn: StreamConnection, bytes: Buffer): void {
    if (!conn.write(bytes)) {
      if (!conn.isOpen) throw new SipTransportError('SIP_ERR_TRANSPORT', `connection ${conn.id} is closed`);
    }
    conn.touch(this.clock.now());
    this.stats.sent++;
  }

  private sendDatagram(target: Endpoint, bytes: Buffer, via?: Endpoint): void {
    this.checkSize(bytes);
    if (!isUnicast(target.address)) {
      // RFC 4475 §3.3.10: never answer towards a broadcast or multicast address.
      throw new SipTransportError('SIP_ERR_NO_ROUTE', `refusing to send to non-unicast ${target.address}`);
    }
    const family = isIP(target.address);
    if (family === 0) throw new SipTransportError('SIP_ERR_NO_ROUTE', `not an IP address: ${target.address}`);
    const binding =
      (via && this.udp.find((b) => b.local.address === via.address && b.local.port === via.port)) ??
      this.udp.find((b) => (isIP(b.local.address) === family) || (family === 4 && b.local.address === '::'));
    if (!binding) throw new SipTransportError('SIP_ERR_NO_ROUTE', `no UDP socket for IPv${family}`);
    binding.socket.send(bytes, target.port, target.address, (err) => {
      if (err) this.logger.debug({ err: err.message, to: formatEndpoint(target) }, 'sip udp send failed');
    });
    this.stats.sent++;
  }

  private checkSize(bytes: Buffer): void {
    if (bytes.length > this.maxMessageBytes) {
      throw new SipTransportError('SIP_ERR_TOO_LARGE', `message of ${bytes.length} bytes exceeds ${this.maxMessageBytes}`);
    }
  }

  private scheduleReaper(): void {
    // Sweep at a quarter of the idle timeout: a connection lives at most 1.25x it.
    const period = Math.max(1000, Math.floor(this.idleTimeoutMs / 4));
    this.reaper = this.clock.setTimer(period, () => {
      const now = this.clock.now();
      for (const conn of [...this.connections.values()]) {
        if (now - conn.lastActivity >= this.idleTimeoutMs) {
          this.logger.debug({ conn: conn.id, remote: formatEndpoint(conn.flow.remote) }, 'sip idle connection reaped');
          conn.destroy();
        }
      }
      if (!this.closing) this.scheduleReaper();
    });
  }
}

function remoteKey(transport: TransportName, e: Endpoint): string {
  return `${transport}|${e.address}|${e.port}`;
}

function isOnlyWhitespace(data: Buffer): boolean {
  for (const b of data) if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09 && b !== 0x00) return false;
  return true;
}

function isUnicast(address: string): boolean {
  if (address === '255.255.255.255' || address === '0.0.0.0' || address === '::') return false;
  const first = Number(address.split('.')[0]);
  if (isIP(address) === 4 && first >= 224) return false; // multicast and reserved
  if (isIP(address) === 6 && address.toLowerCase().startsWith('ff')) return false;
  return true;
}

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: record where the request really came from in the
 * top Via, so responses find their way back through NAT.
 */
export function stampReceived(request: SipRequest, flow: Flow): void {
  const index = request.headers.findIndex((h) => h.name.toLowerCase() === 'via' || h.name.toLowerCase() === 'v');
  if (index < 0) return;
  const header = request.headers[index]!;
  const values = splitList(header.value);
  const via = parseVia(values[0]!);
  const source = flow.remote.address;
  const rport = via.params.has('rport');
  if (rport) via.params.set('rport', String(flow.remote.port));
  if (rport || stripBrackets(via.host).toLowerCase() !== source.toLowerCase()) via.params.set('received', source);
  else return; // nothing to add: header stays byte-exact
  values[0] = formatVia(via);
  request.headers[index] = { name: header.name, value: values.join(', ') };
}

/** §18.2.2 / RFC 3581 §4 destination of a response, from its top Via and the flow. */
export function responseTarget(response: SipMessage, flow: Flow): Endpoint {
  const index = response.headers.findIndex((h) => h.name.toLowerCase() === 'via' || h.name.toLowerCase() === 'v');
  if (index < 0) return flow.remote;
  let via: Via;
  try {
    via = parseVia(splitList(response.headers[index]!.value)[0]!);
  } catch {
    return flow.remote;
  }
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const address = received ?? stripBrackets(via.host);
  const port = rport ? Number(rport) : (via.port ?? defaultPort(flow.transport));
  // A sent-by that is a host name always gets `received` on the way in; if it somehow
  // did not, the source address is the only address we know.
  return isIP(address) ? { address, port } : { address: flow.remote.address, port };
}

