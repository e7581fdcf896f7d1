import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeader, getHeaderValues, headersNamed, type SipRequest, type SipResponse } from '../message/message';
import { parseMessage } from '../message/parse';
import { acceptRemoteRequest, acceptTargetRefresh, DialogError, dialogKey, inDialogRequest, uacDialog, uasDialog, type Dialog } from './dialog';

function parse<T extends SipRequest | SipResponse>(lines: string[], body = ''): T {
  const text = [...lines, `Content-Length: ${Buffer.byteLength(body, 'latin1')}`, '', body].join('\r\n');
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw r.error;
  return r.message as T;
}

/** An INVITE from Alice as we (the UAS) receive it, through two record-routing proxies. */
function incomingInvite(extra: string[] = [], opts: { contact?: string[] | null; to?: string; cseq?: number } = {}): SipRequest {
  const contact = opts.contact === null ? [] : (opts.contact ?? ['Contact: "Alice" <sip:alice@192.0.2.10:5062;transport=udp>;expires=60']);
  return parse<SipRequest>([
    'INVITE sip:bob@pbx.example SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-in-1',
    'Max-Forwards: 70',
    'Record-Route: <sip:p1.example;lr>',
    'Record-Route: <sip:p2.example;lr>, <sip:p3.example;lr>',
    'From: "Alice" <sip:alice@pbx.example>;tag=a-tag',
    `To: ${opts.to ?? '"Bob" <sip:bob@pbx.example>'}`,
    'Call-ID: call-1@alice',
    `CSeq: ${opts.cseq ?? 7} INVITE`,
    ...contact,
    ...extra,
  ]);
}

/** The INVITE we sent as a UAC and the 200 that answers it. */
function outgoingInvite(): SipRequest {
  return parse<SipRequest>([
    'INVITE sip:bob@192.0.2.20:5070 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-out-1;rport',
    'Max-Forwards: 69',
    'From: "Alice" <sip:alice@pbx.example>;tag=ours',
    'To: <sip:bob@pbx.example>',
    'Call-ID: out-1@pbx',
    'CSeq: 41 INVITE',
    'Contact: <sip:edgesip@192.0.2.1:5060>',
  ]);
}

function okFor(extra: string[] = ['Contact: <sip:bob@192.0.2.20:5070;ob>']): SipResponse {
  return parse<SipResponse>([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-out-1;rport',
    'Record-Route: <sip:p1.example;lr>',
    'Record-Route: <sip:p2.example;lr>, <sip:p3.example;lr>',
    'From: "Alice" <sip:alice@pbx.example>;tag=ours',
    'To: <sip:bob@pbx.example>;tag=theirs',
    'Call-ID: out-1@pbx',
    'CSeq: 41 INVITE',
    ...extra,
  ]);
}

function inDialog(method: string, cseq: number, extra: string[] = []): SipRequest {
  return parse<SipRequest>([
    `${method} sip:edgesip@192.0.2.1:5060 SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-dlg-' + cseq,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@pbx.example>;tag=a-tag',
    'To: "Bob" <sip:bob@pbx.example>;tag=local-1',
    'Call-ID: call-1@alice',
    `CSeq: ${cseq} ${method}`,
    ...extra,
  ]);
}

const VIA = 'SIP/2.0/UDP 192.0.2.1:5060;rport';

function routes(req: SipRequest): string[] {
  return headersNamed(req, 'route').map((h) => h.value);
}

function assertDialogError(fn: () => unknown, code: DialogError['code'], status: number): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DialogError, `expected a DialogError, got ${String(err)}`);
    assert.equal(err.name, 'DialogError');
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
}

describe('uasDialog (RFC 3261 §12.1.1)', () => {
  it('takes the route set from Record-Route in order, the target from Contact and the remote CSeq', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    assert.equal(d.callId, 'call-1@alice');
    assert.equal(d.localTag, 'local-1');
    assert.equal(d.remoteTag, 'a-tag');
    assert.deepEqual(d.routeSet, ['<sip:p1.example;lr>', '<sip:p2.example;lr>', '<sip:p3.example;lr>']);
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.10:5062;transport=udp');
    assert.equal(d.remoteSeq, 7);
    assert.equal(d.localSeq, 0);
  });

  it('gives the local party our tag and keeps both parties as written', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    assert.equal(d.localParty, '"Bob" <sip:bob@pbx.example>;tag=local-1');
    assert.equal(d.remoteParty, '"Alice" <sip:alice@pbx.example>;tag=a-tag');
  });

  it('has an empty route set without Record-Route', () => {
    const req = incomingInvite();
    req.headers = req.headers.filter((h) => h.name !== 'Record-Route');
    assert.deepEqual(uasDialog(req, 'x').routeSet, []);
  });

  it('refuses an INVITE without Contact with 400', () => {
    assertDialogError(() => uasDialog(incomingInvite([], { contact: null }), 't'), 'SIP_ERR_DIALOG_CONTACT', 400);
  });

  it('refuses several Contacts (one header or two) with 400', () => {
    assertDialogError(() => uasDialog(incomingInvite([], { contact: ['Contact: <sip:a@192.0.2.10>, <sip:b@192.0.2.10>'] }), 't'), 'SIP_ERR_DIALOG_CONTACT', 400);
    assertDialogError(() => uasDialog(incomingInvite([], { contact: ['Contact: <sip:a@192.0.2.10>', 'Contact: <sip:b@192.0.2.10>'] }), 't'), 'SIP_ERR_DIALOG_CONTACT', 400);
  });

  it("refuses Contact '*' and a Contact that does not parse with 400", () => {
    assertDialogError(() => uasDialog(incomingInvite([], { contact: ['Contact: *'] }), 't'), 'SIP_ERR_DIALOG_CONTACT', 400);
    const req = incomingInvite();
    // Built past the parser: a value parseMessage would already refuse.
    req.headers = req.headers.map((h) => (h.name === 'Contact' ? { name: 'Contact', value: '<sip:alice@192.0.2.10' } : h));
    assertDialogError(() => uasDialog(req, 't'), 'SIP_ERR_DIALOG_CONTACT', 400);
  });
});

describe('uacDialog (RFC 3261 §12.1.2)', () => {
  it('reverses the Record-Route list and takes the target from the response Contact', () => {
    const d = uacDialog(outgoingInvite(), okFor());
    assert.deepEqual(d.routeSet, ['<sip:p3.example;lr>', '<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    assert.equal(d.remoteTarget, 'sip:bob@192.0.2.20:5070;ob');
    assert.equal(d.callId, 'out-1@pbx');
    assert.equal(d.localTag, 'ours');
    assert.equal(d.remoteTag, 'theirs');
    assert.equal(d.localParty, '"Alice" <sip:alice@pbx.example>;tag=ours');
    assert.equal(d.remoteParty, '<sip:bob@pbx.example>;tag=theirs');
    assert.equal(d.localSeq, 41);
    assert.equal(d.remoteSeq, undefined);
  });

  it('does not change the response it read the Record-Route from', () => {
    const res = okFor();
    uacDialog(outgoingInvite(), res);
    assert.deepEqual(getHeaderValues(res, 'record-route'), ['<sip:p1.example;lr>', '<sip:p2.example;lr>', '<sip:p3.example;lr>']);
  });

  it('refuses a 2xx without Contact or with two with 400', () => {
    assertDialogError(() => uacDialog(outgoingInvite(), okFor([])), 'SIP_ERR_DIALOG_CONTACT', 400);
    assertDialogError(() => uacDialog(outgoingInvite(), okFor(['Contact: <sip:a@192.0.2.20>', 'Contact: <sip:b@192.0.2.20>'])), 'SIP_ERR_DIALOG_CONTACT', 400);
  });
});

describe('inDialogRequest (RFC 3261 §12.2.1.1)', () => {
  function looseDialog(): Dialog {
    return uacDialog(outgoingInvite(), okFor());
  }

  it('sends to the remote target with the route set as Route headers (loose routing)', () => {
    const d = looseDialog();
    const bye = inDialogRequest(d, 'BYE', { via: VIA });
    assert.equal(bye.kind, 'request');
    assert.equal(bye.method, 'BYE');
    assert.equal(bye.uri, 'sip:bob@192.0.2.20:5070;ob');
    assert.deepEqual(routes(bye), ['<sip:p3.example;lr>', '<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    assert.equal(getHeader(bye, 'via'), VIA);
    assert.equal(getHeader(bye, 'from'), '"Alice" <sip:alice@pbx.example>;tag=ours');
    assert.equal(getHeader(bye, 'to'), '<sip:bob@pbx.example>;tag=theirs');
    assert.equal(getHeader(bye, 'call-id'), 'out-1@pbx');
    assert.equal(getHeader(bye, 'max-forwards'), '70');
    assert.equal(getHeader(bye, 'content-length'), '0');
    // Via first, Route before the rest, Content-Length last.
    assert.deepEqual(
      bye.headers.map((h) => h.name),
      ['Via', 'Route', 'Route', 'Route', 'Max-Forwards', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length'],
    );
  });

  it('increments the local CSeq per request; ACK and CANCEL reuse the given number', () => {
    const d = looseDialog();
    assert.equal(getHeader(inDialogRequest(d, 'INVITE', { via: VIA }), 'cseq'), '42 INVITE');
    assert.equal(getHeader(inDialogRequest(d, 'ACK', { via: VIA, cseq: 42 }), 'cseq'), '42 ACK');
    assert.equal(getHeader(inDialogRequest(d, 'CANCEL', { via: VIA, cseq: 42 }), 'cseq'), '42 CANCEL');
    assert.equal(d.localSeq, 42, 'ACK and CANCEL use no new number');
    assert.equal(getHeader(inDialogRequest(d, 'BYE', { via: VIA }), 'cseq'), '43 BYE');
    assert.equal(d.localSeq, 43);
  });

  it('a UAS dialog starts its own numbering at 1', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    assert.equal(getHeader(inDialogRequest(d, 'BYE', { via: VIA }), 'cseq'), '1 BYE');
    assert.equal(getHeader(inDialogRequest(d, 'INFO', { via: VIA }), 'cseq'), '2 INFO');
  });

  it('carries Max-Forwards, extra headers after its own, and the body with its length', () => {
    const d = looseDialog();
    const body = Buffer.from('v=0\r\n', 'latin1');
    const req = inDialogRequest(d, 'INVITE', {
      via: VIA,
      maxForwards: 12,
      headers: [
        { name: 'Contact', value: '<sip:edgesip@192.0.2.1:5060>' },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body,
    });
    assert.equal(getHeader(req, 'max-forwards'), '12');
    assert.equal(getHeader(req, 'content-length'), String(body.length));
    assert.equal(req.body, body);
    const names = req.headers.map((h) => h.name);
    assert.ok(names.indexOf('Contact') > names.indexOf('CSeq'));
    assert.equal(names.at(-1), 'Content-Length');
  });

  it('with a strict router first: Request-URI is that route and the remote target goes last', () => {
    const invite = incomingInvite();
    invite.headers = invite.headers
      .filter((h) => h.name !== 'Record-Route')
      .concat([{ name: 'Record-Route', value: '<sip:strict.example;transport=udp>, <sip:p2.example;lr>' }]);
    const d = uasDialog(invite, 'local-1');
    const bye = inDialogRequest(d, 'BYE', { via: VIA });
    assert.equal(bye.uri, 'sip:strict.example;transport=udp');
    assert.deepEqual(routes(bye), ['<sip:p2.example;lr>', '<sip:alice@192.0.2.10:5062;transport=udp>']);
  });

  it('a strict router as the only route leaves just the remote target as Route', () => {
    const d: Dialog = { ...uacDialog(outgoingInvite(), okFor()), routeSet: ['<sip:strict.example>'] };
    const bye = inDialogRequest(d, 'BYE', { via: VIA });
    assert.equal(bye.uri, 'sip:strict.example');
    assert.deepEqual(routes(bye), ['<sip:bob@192.0.2.20:5070;ob>']);
  });

  it('a loose first route keeps a later strict one in place', () => {
    const d: Dialog = { ...uacDialog(outgoingInvite(), okFor()), routeSet: ['<sip:p1.example;lr>', '<sip:strict.example>'] };
    const bye = inDialogRequest(d, 'BYE', { via: VIA });
    assert.equal(bye.uri, 'sip:bob@192.0.2.20:5070;ob');
    assert.deepEqual(routes(bye), ['<sip:p1.example;lr>', '<sip:strict.example>']);
  });

  it('without a route set has no Route header', () => {
    const d: Dialog = { ...uacDialog(outgoingInvite(), okFor()), routeSet: [] };
    assert.deepEqual(routes(inDialogRequest(d, 'BYE', { via: VIA })), []);
  });
});

describe('acceptRemoteRequest (RFC 3261 §12.2.2)', () => {
  it('accepts a higher CSeq and remembers it', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    acceptRemoteRequest(d, inDialog('BYE', 8));
    assert.equal(d.remoteSeq, 8);
    acceptRemoteRequest(d, inDialog('INFO', 100));
    assert.equal(d.remoteSeq, 100);
  });

  it('refuses a lower or equal CSeq with DialogError 500 and keeps the last number', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    assertDialogError(() => acceptRemoteRequest(d, inDialog('BYE', 6)), 'SIP_ERR_DIALOG_CSEQ', 500);
    assertDialogError(() => acceptRemoteRequest(d, inDialog('BYE', 7)), 'SIP_ERR_DIALOG_CSEQ', 500);
    assert.equal(d.remoteSeq, 7);
  });

  it('ACK and CANCEL reuse the INVITE number: accepted, nothing remembered', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    acceptRemoteRequest(d, inDialog('ACK', 7));
    acceptRemoteRequest(d, inDialog('CANCEL', 7));
    assert.equal(d.remoteSeq, 7);
  });

  it('in a UAC dialog the first request from the peer sets the remote number', () => {
    const d = uacDialog(outgoingInvite(), okFor());
    acceptRemoteRequest(d, inDialog('BYE', 1));
    assert.equal(d.remoteSeq, 1);
    assertDialogError(() => acceptRemoteRequest(d, inDialog('BYE', 1)), 'SIP_ERR_DIALOG_CSEQ', 500);
  });

  it('a re-INVITE or UPDATE with Contact refreshes the remote target', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    acceptRemoteRequest(d, inDialog('INVITE', 8, ['Contact: <sip:alice@192.0.2.99:6000>']));
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.99:6000');
    acceptRemoteRequest(d, inDialog('UPDATE', 9, ['Contact: <sip:alice@192.0.2.98:6001;transport=tcp>']));
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.98:6001;transport=tcp');
  });

  it('other methods, or a re-INVITE without Contact, leave the target alone', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    acceptRemoteRequest(d, inDialog('INFO', 8, ['Contact: <sip:alice@192.0.2.99:6000>']));
    acceptRemoteRequest(d, inDialog('INVITE', 9));
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.10:5062;transport=udp');
  });

  it('a target refresh with two Contacts is a DialogError 400', () => {
    const d = uasDialog(incomingInvite(), 'local-1');
    assertDialogError(
      () => acceptRemoteRequest(d, inDialog('INVITE', 8, ['Contact: <sip:a@192.0.2.99>, <sip:b@192.0.2.99>'])),
      'SIP_ERR_DIALOG_CONTACT',
      400,
    );
    assert.equal(d.remoteTarget, 'sip:alice@192.0.2.10:5062;transport=udp');
  });
});

describe('acceptTargetRefresh (RFC 3261 §12.2.1.2)', () => {
  it('a 2xx with Contact replaces the remote target; without one it stays', () => {
    const d = uacDialog(outgoingInvite(), okFor());
    acceptTargetRefresh(d, okFor([]));
    assert.equal(d.remoteTarget, 'sip:bob@192.0.2.20:5070;ob');
    acceptTargetRefresh(d, okFor(['Contact: <sip:bob@192.0.2.21:5080>']));
    assert.equal(d.remoteTarget, 'sip:bob@192.0.2.21:5080');
  });
});

describe('dialogKey', () => {
  it('is Call-ID and local tag, distinct per part', () => {
    assert.equal(dialogKey('c@h', 't'), 'c@h\nt');
    assert.notEqual(dialogKey('a', 'bc'), dialogKey('ab', 'c'));
    const d = uasDialog(incomingInvite(), 'local-1');
    assert.equal(dialogKey(d.callId, d.localTag), dialogKey('call-1@alice', 'local-1'));
  });
});
