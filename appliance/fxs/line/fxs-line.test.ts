/**
 * One FXS line against a scripted server (a fake GatewaySip) and a fake board, on a
 * virtual clock: what the phone hears and what goes out on SIP for each event.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createResponse } from '../../sip/message/build';
import { getHeader, type SipRequest, type SipResponse } from '../../sip/message/message';
import { silentLogger } from '../../sip/logger';
import { VirtualClock } from '../../sip/testing/virtual-clock';
import type { ClientTransaction, ClientTransactionUser, ServerTransaction } from '../../sip/transaction/layer';
import { buildOffer } from '../media/sdp';
import type { BoardCommand } from '../serial/messages';
import type { GatewaySip, LineRequestHandler } from '../sip/gateway-sip';
import { FxsLine, type LineSettings } from './fxs-line';

const SETTINGS: LineSettings = {
  line: 1,
  username: '301',
  authUsername: '',
  password: 'line-one-secret',
  displayName: 'Line 1',
  country: 'cn',
  callerIdMode: 'fsk',
  codecs: ['PCMU', 'PCMA'],
  registerExpires: 300,
  authFailureLimit: 3,
  dialing: { firstDigitSeconds: 10, interDigitSeconds: 4, sendKey: '#', immediate: ['3XX'] },
  ringCadenceMs: [1000, 4000],
};

function harness() {
  const clock = new VirtualClock(0);
  const sent: { request: SipRequest; user: ClientTransactionUser }[] = [];
  const acks: SipRequest[] = [];
  let handler: LineRequestHandler | undefined;
  const sip = {
    domain: 'pbx.example',
    via: () => 'SIP/2.0/UDP 192.0.2.10:5070;rport',
    contactUri: (user: string) => `sip:${user}@192.0.2.10:5070`,
    addLine: (_user: string, h: LineRequestHandler) => (handler = h),
    sendRequest(request: SipRequest, user: ClientTransactionUser) {
      // REGISTERs are not this test's business.
      if (request.method !== 'REGISTER') sent.push({ request, user });
      return {} as ClientTransaction;
    },
    sendAck: (ack: SipRequest) => void acks.push(ack),
  } as unknown as GatewaySip;
  const commands: BoardCommand[] = [];
  const board = { send: async (cmd: BoardCommand) => void commands.push(cmd), sendAudio: () => {} };
  const rtpOut: Buffer[] = [];
  const rtp = { address: '192.0.2.10', port: 16384, socket: { send: (d: Buffer) => void rtpOut.push(d), onMessage: () => {}, close: () => {} } };
  const line = new FxsLine(SETTINGS, board, sip, rtp, clock, silentLogger);
  line.boardUp(false);
  const tones = () => commands.filter((c) => c.kind === 'tone').map((c) => (c as { tone: string }).tone);
  const invites = () => sent.filter((s) => s.request.method === 'INVITE');
  const respond = (i: number, status: number, headers: { name: string; value: string }[] = [], body?: string) => {
    const { request, user } = sent[i]!;
    const res: SipResponse = createResponse(request, status, undefined, { toTag: 'far', headers });
    user.onResponse(body === undefined ? res : { ...res, body: Buffer.from(body) }, {} as ClientTransaction);
  };
  return { clock, line, sent, acks, commands, tones, invites, respond, handler: () => handler!, rtpOut };
}

/** A server transaction that keeps what was answered. */
function serverTx() {
  const responses: SipResponse[] = [];
  return { tx: { sendResponse: (r: SipResponse) => void responses.push(r), channel: { reliable: true, transport: 'UDP', send: () => {} } } as unknown as ServerTransaction, responses };
}

function invite(body = '', toTag?: string): SipRequest {
  const b = Buffer.from(body);
  return {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:301@192.0.2.10:5070',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKin1' },
      { name: 'From', value: '"Front desk" <sip:201@pbx.example>;tag=caller' },
      { name: 'To', value: toTag ? `<sip:301@pbx.example>;tag=${toTag}` : '<sip:301@pbx.example>' },
      { name: 'Call-ID', value: 'incoming-1' },
      { name: 'CSeq', value: '1 INVITE' },
      { name: 'Contact', value: '<sip:201@192.0.2.1:5060>' },
      ...(body ? [{ name: 'Content-Type', value: 'application/sdp' }] : []),
      { name: 'Content-Length', value: String(b.length) },
    ],
    body: b,
  };
}

const FAR_SDP = buildOffer({ sessionId: '9', address: '192.0.2.1', port: 30000, codecs: ['PCMU'], dtmfPayloadType: 101 });

describe('FXS line', () => {
  test('dialling: dial tone, INVITE to the number, digest retry, ringback, busy, on-hook', () => {
    const h = harness();
    h.line.event({ kind: 'off-hook', line: 1 });
    assert.deepEqual(h.tones(), ['dial']);
    for (const d of ['3', '0', '2'] as const) h.line.event({ kind: 'digit', line: 1, digit: d });
    assert.deepEqual(h.tones(), ['dial', 'off'], 'the first digit silences the dial tone');
    assert.equal(h.invites().length, 1, '3XX completes at once');
    const first = h.invites()[0]!.request;
    assert.equal(first.uri, 'sip:302@pbx.example');
    assert.match(first.body.toString(), /m=audio 16384 RTP\/AVP 0 8 101/);
    h.respond(0, 407, [{ name: 'Proxy-Authenticate', value: 'Digest realm="pbx.example", nonce="abc", algorithm=MD5, qop="auth"' }]);
    assert.equal(h.invites().length, 2);
    const second = h.invites()[1]!.request;
    assert.match(getHeader(second, 'proxy-authorization') ?? '', /username="301"/);
    assert.equal(getHeader(second, 'cseq'), '2 INVITE');
    assert.equal(getHeader(second, 'call-id'), getHeader(first, 'call-id'));
    h.respond(1, 180);
    assert.equal(h.tones().at(-1), 'ringback');
    assert.equal(h.line.status().call, 'ringback');
    h.respond(1, 486);
    assert.equal(h.tones().at(-1), 'busy');
    assert.match(h.line.status().lastError ?? '', /486/);
    h.line.event({ kind: 'on-hook', line: 1 });
    assert.equal(h.tones().at(-1), 'off');
    assert.equal(h.line.status().call, 'idle');
  });

  test('hanging up before any answer: the CANCEL waits for a provisional response (§9.1)', () => {
    const h = harness();
    h.line.event({ kind: 'off-hook', line: 1 });
    for (const d of ['3', '0', '2'] as const) h.line.event({ kind: 'digit', line: 1, digit: d });
    h.line.event({ kind: 'on-hook', line: 1 });
    assert.equal(h.sent.filter((s) => s.request.method === 'CANCEL').length, 0);
    h.respond(0, 180);
    const cancel = h.sent.find((s) => s.request.method === 'CANCEL');
    assert.ok(cancel, 'CANCEL after the 180');
    assert.equal(getHeader(cancel.request, 'cseq'), '1 CANCEL');
    assert.equal(h.line.status().call, 'idle');
  });

  test('an answered call: ACK, audio on, polarity reversal, RTP out; the far BYE gives a busy tone', () => {
    const h = harness();
    h.line.event({ kind: 'off-hook', line: 1 });
    for (const d of ['3', '0', '2'] as const) h.line.event({ kind: 'digit', line: 1, digit: d });
    h.respond(0, 200, [{ name: 'Contact', value: '<sip:302@192.0.2.1:5060>' }, { name: 'Content-Type', value: 'application/sdp' }], FAR_SDP);
    assert.equal(h.acks.length, 1);
    assert.equal(h.line.status().call, 'connected');
    assert.ok(h.commands.some((c) => c.kind === 'audio' && c.on && c.codec === 'pcmu'));
    assert.ok(h.commands.some((c) => c.kind === 'polarity' && c.reversed));
    h.line.audio('pcmu', Buffer.alloc(160, 0xff));
    assert.equal(h.rtpOut.length, 1, 'microphone audio goes out as RTP');
    const bye: SipRequest = {
      kind: 'request',
      method: 'BYE',
      uri: 'sip:301@192.0.2.10:5070',
      headers: [
        { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbye' },
        { name: 'From', value: '<sip:302@pbx.example>;tag=far' },
        { name: 'To', value: `${getHeader(h.invites()[0]!.request, 'from')}` },
        { name: 'Call-ID', value: getHeader(h.invites()[0]!.request, 'call-id')! },
        { name: 'CSeq', value: '1 BYE' },
        { name: 'Content-Length', value: '0' },
      ],
      body: Buffer.alloc(0),
    };
    const { tx, responses } = serverTx();
    assert.equal(h.handler().onInDialog(bye, tx), true);
    assert.equal(responses[0]?.status, 200);
    assert.equal(h.tones().at(-1), 'busy');
    assert.ok(h.commands.some((c) => c.kind === 'audio' && !c.on));
  });

  test('an incoming call: caller ID and ring; 486 while off-hook; CANCEL stops the ringing with 487', () => {
    const h = harness();
    const ring = serverTx();
    h.handler().onInvite(invite(FAR_SDP), ring.tx);
    assert.equal(ring.responses[0]?.status, 180);
    const cid = h.commands.find((c) => c.kind === 'caller-id');
    assert.deepEqual(cid, { kind: 'caller-id', line: 1, mode: 'fsk', number: '201', name: 'Front desk' });
    assert.ok(h.commands.some((c) => c.kind === 'ring' && c.cadenceMs.join('/') === '1000/4000'));
    const second = serverTx();
    h.handler().onInvite(invite(FAR_SDP), second.tx);
    assert.equal(second.responses[0]?.status, 486, 'a ringing line is busy for another call');
    assert.equal(h.handler().onCancel(ring.tx as never), true);
    assert.equal(ring.responses.at(-1)?.status, 487);
    assert.ok(h.commands.some((c) => c.kind === 'ring-stop'));
    h.line.event({ kind: 'off-hook', line: 1 });
    const third = serverTx();
    h.handler().onInvite(invite(FAR_SDP), third.tx);
    assert.equal(third.responses[0]?.status, 486, 'off-hook: busy');
  });

  test('a delayed offer: our offer in the 200, the media from the ACK', () => {
    const h = harness();
    const ring = serverTx();
    h.handler().onInvite(invite(''), ring.tx);
    h.line.event({ kind: 'ring-trip', line: 1 });
    const ok = ring.responses.at(-1)!;
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), /m=audio 16384 RTP\/AVP 0 8 101/);
    assert.equal(getHeader(ok, 'content-length'), String(ok.body.length));
    const toTag = /tag=([^;]+)/.exec(getHeader(ok, 'to') ?? '')![1]!;
    const answer = buildOffer({ sessionId: '9', address: '192.0.2.1', port: 30000, codecs: ['PCMA'], dtmfPayloadType: 101 });
    const ack: SipRequest = { ...invite(answer, toTag), method: 'ACK', headers: invite(answer, toTag).headers.map((x) => (x.name === 'CSeq' ? { name: 'CSeq', value: '1 ACK' } : x)) };
    assert.equal(h.handler().onAck(ack), true);
    assert.equal(h.line.status().call, 'connected');
    h.line.audio('pcma', Buffer.alloc(160, 0xd5));
    assert.equal(h.rtpOut.length, 1, 'the answer chose PCMA and media flow');
  });
});
