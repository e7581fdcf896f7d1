import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createResponse } from '../../sip/message/build';
import { getHeader, type SipRequest, type SipResponse } from '../../sip/message/message';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { Flow } from '../../sip/transport/flow';
import { GatewaySip } from './gateway-sip';

const SERVER_FLOW: Flow = { transport: 'UDP', local: { address: '192.0.2.10', port: 5070 }, remote: { address: '192.0.2.1', port: 5060 } };

function gateway() {
  const clock = new VirtualClock(0);
  const requests: SipRequest[] = [];
  const responses: SipResponse[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger = { debug() {}, info: (_o: object, m?: string) => void infos.push(m ?? ''), warn: (_o: object, m?: string) => void warnings.push(m ?? ''), error() {} };
  const sip = new GatewaySip({
    clock,
    logger,
    transport: { sendRequest: (r) => void requests.push(r), sendResponse: (r) => void responses.push(r) },
    server: { transport: 'UDP', endpoint: { address: '192.0.2.1', port: 5060 }, domain: 'pbx.example' },
    local: () => ({ address: '192.0.2.10', port: 5070 }),
  });
  return { clock, sip, requests, responses, warnings, infos };
}

function request(method: string, user: string, toTag = ''): SipRequest {
  return {
    kind: 'request',
    method,
    uri: `sip:${user}@192.0.2.10:5070`,
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${method}${user}${toTag}` },
      { name: 'From', value: '<sip:201@pbx.example>;tag=a' },
      { name: 'To', value: `<sip:${user}@pbx.example>${toTag ? `;tag=${toTag}` : ''}` },
      { name: 'Call-ID', value: `c-${method}-${user}` },
      { name: 'CSeq', value: `1 ${method}` },
      { name: 'Content-Length', value: '0' },
    ],
    body: Buffer.alloc(0),
  };
}

describe('FXS gateway SIP core', () => {
  test('requests reach the line their Request-URI names; others get 404, 481, 405; OPTIONS 200', () => {
    const g = gateway();
    const invites: string[] = [];
    g.sip.addLine('301', { onInvite: (r) => void invites.push(r.uri), onInDialog: () => false, onAck: () => false, onCancel: () => false });
    g.sip.receiveRequest(request('INVITE', '301'), SERVER_FLOW);
    assert.deepEqual(invites, ['sip:301@192.0.2.10:5070']);
    g.sip.receiveRequest(request('INVITE', '399'), SERVER_FLOW);
    g.sip.receiveRequest(request('BYE', '301', 'gone'), SERVER_FLOW);
    g.sip.receiveRequest(request('MESSAGE', '301'), SERVER_FLOW);
    g.sip.receiveRequest(request('OPTIONS', '301'), SERVER_FLOW);
    const finals = g.responses.filter((r) => r.status >= 200).map((r) => r.status);
    assert.deepEqual(finals, [404, 481, 405, 200]);
  });

  test('one OPTIONS keepalive for the whole gateway; silence and recovery are logged once each', () => {
    const g = gateway();
    g.sip.startKeepalive(25_000);
    g.clock.advance(24_999);
    assert.equal(g.requests.length, 0);
    g.clock.advance(1);
    assert.equal(g.requests.length, 1);
    const first = g.requests[0]!;
    assert.equal(first.method, 'OPTIONS');
    assert.equal(first.uri, 'sip:pbx.example');
    assert.match(getHeader(first, 'via') ?? '', /^SIP\/2\.0\/UDP 192\.0\.2\.10:5070;rport;branch=z9hG4bK/);
    // Nobody answers: Timer F (32 s) ends each transaction; one warning, not one per ping.
    g.clock.advance(100_000);
    assert.deepEqual(g.warnings, ['fxs keepalive: the server does not answer']);
    const last = g.requests.at(-1)!;
    g.sip.receiveResponse(createResponse(last, 200), SERVER_FLOW);
    assert.deepEqual(g.infos, ['fxs keepalive: the server answers again']);
    g.sip.close();
    const sent = g.requests.length;
    g.clock.advance(100_000);
    assert.equal(g.requests.length, sent, 'no keepalive after close');
  });
});
