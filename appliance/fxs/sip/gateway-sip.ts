/**
 * The FXS gateway's SIP side (the transaction user of RFC 3261 §17): one transport
 * (one UDP socket, or one TCP/TLS connection) and one transaction layer shared by
 * every line, so all lines register and call from the same address and port, as the
 * gateways of the field do. Every request goes to the configured server, which acts
 * as outbound proxy (§8.1.2); requests from it are handed to the line their
 * Request-URI user names.
 */
import { createResponse, newCallId, newTag } from '../../sip/message/build';
import { toOf, tagOf } from '../../sip/message/headers/name-addr';
import type { SipRequest, SipResponse } from '../../sip/message/message';
import { parseUri } from '../../sip/message/uri';
import type { Clock, TimerHandle } from '../../sip/clock';
import type { SipLogger } from '../../sip/logger';
import { TransportError, type Channel } from '../../sip/transaction/channel';
import type { InviteServerTransaction } from '../../sip/transaction/invite-server';
import { TransactionLayer, type ClientTransaction, type ClientTransactionUser, type ServerTransaction, type TransactionCore } from '../../sip/transaction/layer';
import type { NonInviteServerTransaction } from '../../sip/transaction/non-invite-server';
import { hostLiteral, isReliable, type Endpoint, type Flow, type TransportName } from '../../sip/transport/flow';
import { VERSION } from '../../version';

export const USER_AGENT = `EdgeSIP-FXS/${VERSION}`;

/** What the gateway needs of the transport layer (SipTransportLayer fits). */
export interface GatewayTransport {
  sendRequest(request: SipRequest, transport: TransportName, target: Endpoint): void;
  sendResponse(response: SipResponse, flow: Flow): void;
}

/** A line's handler of requests from the server (the FxsLine's calls). */
export interface LineRequestHandler {
  /** A new INVITE for this line (no To tag). */
  onInvite(invite: SipRequest, tx: ServerTransaction): void;
  /** A request with a To tag: true when a call of this line took it. */
  onInDialog(request: SipRequest, tx: ServerTransaction): boolean;
  /** An ACK for a 2xx: true when a call of this line took it. */
  onAck(ack: SipRequest): boolean;
  /** CANCEL of an INVITE this line is ringing for: true when taken. */
  onCancel(invite: InviteServerTransaction): boolean;
}

export interface GatewaySipOptions {
  clock: Clock;
  logger: SipLogger;
  transport: GatewayTransport;
  server: { transport: TransportName; endpoint: Endpoint; domain: string };
  /** Our address as the server sees it (Via sent-by, Contact host). */
  local: () => Endpoint;
}

export class GatewaySip implements TransactionCore {
  private readonly transactions: TransactionLayer;
  private readonly lines = new Map<string, LineRequestHandler>();
  private readonly streamChannels = new Map<number, Channel>();
  private readonly serverChannel: Channel;
  private keepalive: TimerHandle | undefined;

  constructor(private readonly o: GatewaySipOptions) {
    this.transactions = new TransactionLayer({ clock: o.clock, core: this, logger: o.logger });
    const { transport, endpoint } = o.server;
    this.serverChannel = {
      reliable: isReliable(transport),
      transport,
      send: (message) => {
        if (message.kind === 'response') throw new TypeError('responses go back on their request flow');
        o.transport.sendRequest(message, transport, endpoint);
      },
    };
  }

  /** The SIP domain of AORs and Request-URIs (the server's). */
  get domain(): string {
    return this.o.server.domain;
  }

  addLine(username: string, handler: LineRequestHandler): void {
    this.lines.set(username, handler);
  }

  /** An out-of-dialog or in-dialog request to the server; the layer adds the Via branch. */
  sendRequest(request: SipRequest, user: ClientTransactionUser): ClientTransaction {
    return this.transactions.sendRequest(request, this.serverChannel, user);
  }

  /** The ACK for a 2xx is a transaction of its own (§13.2.2.4, §17.1.1.3): sent directly. */
  sendAck(ack: SipRequest): void {
    this.serverChannel.send(ack);
  }

  /** Our top Via without branch (§8.1.1.7, §18.1.1): rport asks the server to answer where we sent from (RFC 3581). */
  via(): string {
    const local = this.o.local();
    return `SIP/2.0/${this.o.server.transport} ${hostLiteral(local.address)}:${local.port};rport`;
  }

  /** The Contact URI of a line: its user at our address. */
  contactUri(username: string): string {
    const local = this.o.local();
    const transport = this.o.server.transport === 'UDP' ? '' : `;transport=${this.o.server.transport.toLowerCase()}`;
    return `sip:${username}@${hostLiteral(local.address)}:${local.port}${transport}`;
  }

  /** The transport delivers a request from the server here. */
  receiveRequest(request: SipRequest, flow: Flow): void {
    this.transactions.receiveRequest(request, this.channelFor(flow));
  }

  receiveResponse(response: SipResponse, flow: Flow): void {
    this.transactions.receiveResponse(response, this.channelFor(flow));
  }

  connectionClosed(flow: Flow): void {
    if (flow.connectionId === undefined) return;
    const channel = this.streamChannels.get(flow.connectionId);
    this.streamChannels.delete(flow.connectionId);
    if (channel) this.transactions.channelFailed(channel, new TransportError('connection to the server closed'));
  }

  /**
   * Keepalive of the one flow every line shares: an OPTIONS to the server every
   * `everyMs` keeps a NAT binding open between registrations (RFC 3261 §11 OPTIONS;
   * one for the gateway, not one per line) and tells in the log when the server stops
   * answering and when it is back.
   */
  startKeepalive(everyMs: number): void {
    let answering = true;
    let seq = 0;
    const callId = newCallId();
    const fromTag = newTag();
    const ping = (): void => {
      const domain = this.o.server.domain;
      const request: SipRequest = {
        kind: 'request',
        method: 'OPTIONS',
        uri: `sip:${domain}`,
        headers: [
          { name: 'Via', value: this.via() },
          { name: 'Max-Forwards', value: '70' },
          { name: 'From', value: `<sip:keepalive@${domain}>;tag=${fromTag}` },
          { name: 'To', value: `<sip:${domain}>` },
          { name: 'Call-ID', value: callId },
          { name: 'CSeq', value: `${++seq} OPTIONS` },
          { name: 'User-Agent', value: USER_AGENT },
          { name: 'Content-Length', value: '0' },
        ],
        body: Buffer.alloc(0),
      };
      const lost = (why: string) => {
        if (answering) this.o.logger.warn({ server: this.o.server.endpoint, why }, 'fxs keepalive: the server does not answer');
        answering = false;
      };
      try {
        this.sendRequest(request, {
          onResponse: (res) => {
            if (res.status < 200) return;
            if (!answering) this.o.logger.info({ server: this.o.server.endpoint }, 'fxs keepalive: the server answers again');
            answering = true;
          },
          onTimeout: () => lost('timeout'),
          onTransportError: (_tx, err) => lost(err.message),
        });
      } catch (err) {
        lost((err as Error).message);
      }
      this.keepalive = this.o.clock.setTimer(everyMs, ping);
    };
    this.keepalive = this.o.clock.setTimer(everyMs, ping);
  }

  close(): void {
    this.o.clock.clearTimer(this.keepalive);
    this.transactions.close();
  }

  // --- TransactionCore --------------------------------------------------------------

  onRequest(request: SipRequest, tx: ServerTransaction): void {
    const line = this.lineFor(request);
    if (request.method === 'OPTIONS') {
      // A server checking we are alive (keepalive, `edgesip reg ping`).
      tx.sendResponse(this.response(request, 200, [{ name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS' }]));
      return;
    }
    if (hasToTag(request)) {
      if (line?.onInDialog(request, tx)) return;
      // §12.2.2: a request in a dialog we do not know.
      tx.sendResponse(this.response(request, 481));
      return;
    }
    if (line === undefined) {
      tx.sendResponse(this.response(request, 404));
      return;
    }
    switch (request.method) {
      case 'INVITE':
        line.onInvite(request, tx);
        return;
      case 'BYE':
        tx.sendResponse(this.response(request, 481));
        return;
      default:
        // §8.2.1: a method we do not implement.
        tx.sendResponse(this.response(request, 405, [{ name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS' }]));
    }
  }

  onAck(ack: SipRequest): void {
    // §17.2.3: an ACK for a 2xx goes to the dialog; one for nothing is dropped.
    for (const line of this.lines.values()) if (line.onAck(ack)) return;
  }

  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, invite: InviteServerTransaction | undefined): void {
    // §9.2: 200 to the CANCEL when it matched a transaction, 481 otherwise; the line
    // answers the INVITE with 487.
    const taken = invite !== undefined && [...this.lines.values()].some((l) => l.onCancel(invite));
    tx.sendResponse(this.response(cancel, taken ? 200 : 481));
  }

  private lineFor(request: SipRequest): LineRequestHandler | undefined {
    try {
      const uri = parseUri(request.uri);
      return uri.kind === 'sip' && uri.user !== undefined ? this.lines.get(uri.user) : undefined;
    } catch {
      return undefined;
    }
  }

  private response(request: SipRequest, status: number, headers: { name: string; value: string }[] = []): SipResponse {
    return createResponse(request, status, undefined, { headers: [...headers, { name: 'Server', value: USER_AGENT }] });
  }

  private channelFor(flow: Flow): Channel {
    const make = (): Channel => ({
      reliable: isReliable(flow.transport),
      transport: flow.transport,
      send: (message) => (message.kind === 'response' ? this.o.transport.sendResponse(message, flow) : this.o.transport.sendRequest(message, flow.transport, flow.remote)),
    });
    if (flow.connectionId === undefined) return make();
    let channel = this.streamChannels.get(flow.connectionId);
    if (!channel) {
      channel = make();
      this.streamChannels.set(flow.connectionId, channel);
    }
    return channel;
  }
}

function hasToTag(request: SipRequest): boolean {
  try {
    return tagOf(toOf(request)) !== undefined;
  } catch {
    return false;
  }
}
