/**
 * Test doubles for driving the B2BUA without sockets: a CallNetwork that records what
 * a call sends (and lets the test answer through the ClientTransactionUser callbacks),
 * an INVITE server transaction for the caller's leg, and the wire check every message
 * passes (serialised and parsed back).
 */
import assert from 'node:assert/strict';
import { canonicalName, type SipMessage, type SipRequest, type SipResponse } from '../../../sip/message/message';
import { parseMessage } from '../../../sip/message/parse';
import { serializeMessage } from '../../../sip/message/serialize';
import type { VirtualClock } from '../../../sip/testing/virtual-clock';
import { TransportError } from '../../../sip/transaction/channel';
import type { ClientTransaction, ClientTransactionUser } from '../../../sip/transaction/layer';
import type { Flow } from '../../../sip/transport/flow';
import type { Extension } from '../../../config/schema';
import type { Binding } from '../../registrar/location-store';
import type { CallDirectory, CallerParty, CallNetwork, OutboundRoute } from '../call';

/** When every test call starts (virtual clock). */
export const START = Date.UTC(2024, 5, 1, 10, 0, 0);
export const LOCAL = { address: '192.0.2.1', port: 5060 };
export const OUR_CONTACT = `<sip:edgesip@${LOCAL.address}:${LOCAL.port}>`;

export function udp(address: string, port: number): Flow {
  return { transport: 'UDP', local: { ...LOCAL }, remote: { address, port } };
}

/** What the B2BUA sends must serialise and parse back to the same start line and body. */
export function checkWire(msg: SipMessage): void {
  const r = parseMessage(serializeMessage(msg));
  if (!r.ok) assert.fail(`not parseable (${r.error.code}: ${r.error.message}):\n${serializeMessage(msg).toString('latin1')}`);
  assert.equal(r.message.kind, msg.kind);
  assert.equal(r.message.body.toString('latin1'), msg.body.toString('latin1'));
}

export interface OutRequest {
  request: SipRequest;
  flow: Flow;
  user: ClientTransactionUser;
  tx: ClientTransaction;
  at: number;
}

export class FakeNet implements CallNetwork {
  readonly t1 = 500;
  readonly t2 = 4000;
  readonly requests: OutRequest[] = [];
  readonly sent: Array<{ message: SipMessage; flow: Flow; at: number }> = [];
  /** Addresses sendRequest cannot reach (it throws, like a socket without a route). */
  readonly unreachable = new Set<string>();
  private branches = 0;

  constructor(private readonly clock: VirtualClock) {}

  sendRequest(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction {
    if (this.unreachable.has(flow.remote.address)) throw new TransportError(`no route to ${flow.remote.address}`);
    // Like the transaction layer: the top Via gets a branch when the TU gave none.
    const at = request.headers.findIndex((h) => canonicalName(h.name) === 'via');
    assert.ok(at >= 0, 'a request needs a Via');
    const via = request.headers[at]!;
    if (!/;branch=/i.test(via.value)) request.headers[at] = { name: via.name, value: `${via.value};branch=z9hG4bK-fake-${++this.branches}` };
    checkWire(request);
    const tx = { kind: request.method === 'INVITE' ? 'invite-client' : 'non-invite-client', request } as unknown as ClientTransaction;
    this.requests.push({ request, flow, user, tx, at: this.clock.now() });
    return tx;
  }

  send(message: SipMessage, flow: Flow): void {
    checkWire(message);
    this.sent.push({ message, flow, at: this.clock.now() });
  }

  via(flow: Flow): string {
    return `SIP/2.0/${flow.transport} ${LOCAL.address}:${LOCAL.port};rport`;
  }

  contact(): string {
    return OUR_CONTACT;
  }

  /** Requests sent in a transaction, by method (and remote address). */
  out(method: string, address?: string): OutRequest[] {
    return this.requests.filter((r) => r.request.method === method && (address === undefined || r.flow.remote.address === address));
  }

  /** ACKs (sent without a transaction), optionally to one address. */
  acks(address?: string): Array<{ message: SipRequest; flow: Flow; at: number }> {
    return this.sent.filter(
      (s): s is { message: SipRequest; flow: Flow; at: number } =>
        s.message.kind === 'request' && s.message.method === 'ACK' && (address === undefined || s.flow.remote.address === address),
    );
  }

  /** Responses sent without a transaction (2xx retransmissions). */
  resent(): Array<{ message: SipResponse; at: number }> {
    return this.sent.filter((s): s is { message: SipResponse; flow: Flow; at: number } => s.message.kind === 'response');
  }
}

export class FakeServerTx {
  readonly responses: SipResponse[] = [];
  state = 'Proceeding';
  constructor(
    readonly kind: 'invite-server' | 'non-invite-server',
    readonly request: SipRequest,
  ) {}

  sendResponse(res: SipResponse): boolean {
    checkWire(res);
    this.responses.push(res);
    if (res.status >= 200) this.state = res.status < 300 ? 'Accepted' : 'Completed';
    return true;
  }

  statuses(): number[] {
    return this.responses.map((r) => r.status);
  }

  last(): SipResponse {
    const res = this.responses.at(-1);
    assert.ok(res, 'no response sent');
    return res;
  }
}

/** A registration of `aor` from a phone at address:port, valid for an hour from START. */
export function binding(aor: string, address: string, port = 5070): Binding {
  return {
    aor,
    contact: `sip:${aor}@${address}:${port};ob`,
    params: [],
    expiresAt: START + 3_600_000,
    callId: `reg-${aor}-${address}`,
    cseq: 1,
    flow: udp(address, port),
    registeredAt: START,
    updatedAt: START,
  };
}

/** Extensions and their phones as maps; the dial plan a function the test sets (none: 404). */
export class FakeDirectory implements CallDirectory {
  readonly exts = new Map<string, Extension>();
  readonly binds = new Map<string, Binding[]>();
  lim = { maxForwardHops: 5, maxRingSeconds: 60 };
  /** Every question to the dial plan, in order. */
  readonly asked: Array<{ number: string; caller: CallerParty }> = [];
  plan: (number: string, caller: CallerParty) => OutboundRoute | 'forbidden' | undefined = () => undefined;

  extension(number: string): Extension | undefined {
    return this.exts.get(number);
  }

  bindings(aor: string): Binding[] {
    return this.binds.get(aor) ?? [];
  }

  limits(): { maxForwardHops: number; maxRingSeconds: number } {
    return this.lim;
  }

  outbound(number: string, caller: CallerParty): OutboundRoute | 'forbidden' | undefined {
    this.asked.push({ number, caller });
    return this.plan(number, caller);
  }
}
