import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError } from '../message/errors';
import type { Header, SipRequest, SipResponse } from '../message/message';
import { clientKey, clientKeyOf, hasRfc3261Branch, isRfc3261Branch, legacyAckKeyOf, newBranch, serverKeyOf, tagOf } from './match';

function request(method: string, over: { via?: string; uri?: string; to?: string; from?: string; callId?: string; cseq?: string } = {}): SipRequest {
  const headers: Header[] = [
    { name: 'Via', value: over.via ?? 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc123' },
    { name: 'To', value: over.to ?? '<sip:bob@example.com>' },
    { name: 'From', value: over.from ?? '"Alice" <sip:alice@example.com>;tag=fa' },
    { name: 'Call-ID', value: over.callId ?? 'cid-1' },
    { name: 'CSeq', value: over.cseq ?? `1 ${method}` },
  ];
  return { kind: 'request', method, uri: over.uri ?? 'sip:bob@example.com', headers, body: Buffer.alloc(0) };
}

function response(via: string, cseq: string, status = 200): SipResponse {
  return {
    kind: 'response',
    status,
    reason: 'OK',
    headers: [
      { name: 'v', value: via },
      { name: 'CSeq', value: cseq },
    ],
    body: Buffer.alloc(0),
  };
}

describe('newBranch', () => {
  it('starts with the magic cookie and carries 128 random bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const b = newBranch();
      assert.match(b, /^z9hG4bK[0-9a-f]{32}$/);
      assert.ok(isRfc3261Branch(b));
      seen.add(b);
    }
    assert.equal(seen.size, 1000);
  });

  it('isRfc3261Branch needs the cookie (case-sensitive) and something after it', () => {
    assert.equal(isRfc3261Branch(undefined), false);
    assert.equal(isRfc3261Branch('z9hG4bK'), false);
    assert.equal(isRfc3261Branch('Z9HG4BKabc'), false);
    assert.equal(isRfc3261Branch('0a2f.1'), false);
    assert.equal(isRfc3261Branch('z9hG4bK.1'), true);
  });
});

describe('client keys (§17.1.3)', () => {
  it('a response matches the request by top Via branch and CSeq method', () => {
    const inv = request('INVITE', { cseq: '5 INVITE' });
    const res = response('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc123;received=198.51.100.1, SIP/2.0/TCP x', '5 INVITE');
    assert.equal(clientKeyOf(res), clientKeyOf(inv));
    assert.equal(clientKeyOf(inv), clientKey('z9hG4bKabc123', 'INVITE'));
  });

  it('a CANCEL shares the branch but is another transaction', () => {
    const cancelRes = response('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc123', '5 CANCEL');
    assert.notEqual(clientKeyOf(cancelRes), clientKeyOf(request('INVITE')));
    assert.equal(clientKeyOf(cancelRes), clientKeyOf(request('CANCEL')));
  });

  it('a different branch does not match; the branch compares case-insensitively', () => {
    const res = response('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother', '1 INVITE');
    assert.notEqual(clientKeyOf(res), clientKeyOf(request('INVITE')));
    const upper = response('SIP/2.0/UDP 192.0.2.1;branch=Z9HG4BKABC123', '1 INVITE');
    assert.equal(clientKeyOf(upper), clientKeyOf(request('INVITE')));
  });

  it('throws without a branch or a Via', () => {
    assert.throws(() => clientKeyOf(response('SIP/2.0/UDP 192.0.2.1', '1 INVITE')), SipParseError);
    assert.throws(() => clientKeyOf({ kind: 'response', status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) }), SipParseError);
  });
});

describe('server keys, RFC 3261 peers (§17.2.3)', () => {
  it('an ACK has the INVITE key; a CANCEL has its own; other methods differ', () => {
    const inv = serverKeyOf(request('INVITE'));
    assert.equal(serverKeyOf(request('ACK', { to: '<sip:bob@example.com>;tag=xx' })), inv);
    assert.notEqual(serverKeyOf(request('CANCEL')), inv);
    assert.notEqual(serverKeyOf(request('BYE')), inv);
    assert.equal(hasRfc3261Branch(request('INVITE')), true);
  });

  it('a CANCEL finds its INVITE with asMethod = INVITE (§9.2)', () => {
    assert.equal(serverKeyOf(request('CANCEL'), 'INVITE'), serverKeyOf(request('INVITE')));
  });

  it('sent-by is part of the key: another host or port is another transaction; default port and host case are normalised', () => {
    const base = serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP host.example.com;branch=z9hG4bKx1' }));
    assert.equal(serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP HOST.example.com:5060;branch=z9hG4bKx1' })), base);
    assert.notEqual(serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP host.example.com:5070;branch=z9hG4bKx1' })), base);
    assert.notEqual(serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP other.example.com;branch=z9hG4bKx1' })), base);
    assert.notEqual(serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP host.example.com;branch=z9hG4bKx2' })), base);
    // Fields that only matter to RFC 2543 matching do not.
    assert.equal(serverKeyOf(request('OPTIONS', { via: 'SIP/2.0/UDP host.example.com;branch=z9hG4bKx1', callId: 'zzz', uri: 'sip:x' })), base);
  });

  it('legacyAckKeyOf is undefined for RFC 3261 requests', () => {
    assert.equal(legacyAckKeyOf(request('ACK')), undefined);
  });
});

describe('server keys, RFC 2543 peers (§17.2.3 fallback)', () => {
  const via = 'SIP/2.0/UDP 192.0.2.50:5060';
  const viaBranch = 'SIP/2.0/UDP 192.0.2.50:5060;branch=0a1b2c';

  it('a retransmitted INVITE has the same key; each listed field changes it', () => {
    const inv = serverKeyOf(request('INVITE', { via }));
    assert.equal(hasRfc3261Branch(request('INVITE', { via })), false);
    assert.equal(serverKeyOf(request('INVITE', { via })), inv);
    assert.equal(serverKeyOf(request('INVITE', { via: 'SIP/2.0/UDP 192.0.2.50' })), inv); // default port
    assert.notEqual(serverKeyOf(request('INVITE', { via, uri: 'sip:carol@example.com' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via, to: '<sip:bob@example.com>;tag=t9' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via, from: '<sip:alice@example.com>;tag=other' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via, callId: 'cid-2' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via, cseq: '2 INVITE' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via: 'SIP/2.0/UDP 192.0.2.51:5060' })), inv);
    assert.notEqual(serverKeyOf(request('INVITE', { via: viaBranch })), inv);
    // The From display name is not part of the match, only its tag.
    assert.equal(serverKeyOf(request('INVITE', { via, from: '<sip:alice@example.com>;tag=fa' })), inv);
  });

  it('non-cookie branches fall back to the RFC 2543 rules too', () => {
    const a = serverKeyOf(request('INVITE', { via: viaBranch }));
    assert.notEqual(serverKeyOf(request('INVITE', { via: viaBranch, callId: 'cid-9' })), a);
  });

  it('an ACK matches the INVITE on everything but the To tag (compared with the response’s)', () => {
    const inv = request('INVITE', { via });
    const ackWithTag = request('ACK', { via, to: '<sip:bob@example.com>;tag=resp1', cseq: '1 ACK' });
    assert.equal(legacyAckKeyOf(ackWithTag), legacyAckKeyOf(inv));
    assert.notEqual(legacyAckKeyOf(request('ACK', { via, cseq: '2 ACK' })), legacyAckKeyOf(inv));
    assert.notEqual(legacyAckKeyOf(request('ACK', { via, callId: 'other', cseq: '1 ACK' })), legacyAckKeyOf(inv));
    // The full key of such an ACK cannot find the INVITE (its To tag differs).
    assert.notEqual(serverKeyOf(ackWithTag), serverKeyOf(inv));
  });

  it('a CANCEL is its own transaction but finds its INVITE with asMethod = INVITE', () => {
    const inv = request('INVITE', { via });
    const cancel = request('CANCEL', { via, cseq: '1 CANCEL' });
    assert.notEqual(serverKeyOf(cancel), serverKeyOf(inv));
    assert.equal(serverKeyOf(cancel, 'INVITE'), serverKeyOf(inv));
  });

  it('throws without the headers it needs', () => {
    const noCallId = request('INVITE', { via });
    noCallId.headers = noCallId.headers.filter((h) => h.name !== 'Call-ID');
    assert.throws(() => serverKeyOf(noCallId), SipParseError);
  });
});

describe('tagOf', () => {
  it('reads the tag header parameter, not URI parameters nor quoted text', () => {
    assert.equal(tagOf('<sip:a@example.com>;tag=abc'), 'abc');
    assert.equal(tagOf('"Bob" <sip:b@example.com> ; TAG = x9 ;foo'), 'x9');
    assert.equal(tagOf('<sip:a@example.com;tag=uri-param>'), '');
    assert.equal(tagOf('"weird;tag=no <x>" <sip:a@example.com>;tag=yes'), 'yes');
    assert.equal(tagOf('sip:a@example.com;tag=bare'), 'bare');
    assert.equal(tagOf('sip:a@example.com'), '');
    assert.equal(tagOf(undefined), '');
  });
});
