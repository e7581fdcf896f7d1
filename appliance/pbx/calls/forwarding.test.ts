import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNameAddr } from '../../sip/message/headers/name-addr';
import { splitList } from '../../sip/message/message';
import { parseUri, unescapeUri, type SipUri } from '../../sip/message/uri';
import { diversionHeaders, forwardingCallInfo, historyInfoHeader, type ForwardHop, type ForwardReason } from './forwarding';

const D = 'pbx.example';

describe('forwardingCallInfo (181 notice)', () => {
  it('has exactly the miniSIPServer form', () => {
    assert.deepEqual(forwardingCallInfo({ from: '201', to: '202', reason: 'busy' }), {
      name: 'Call-Info',
      value: 'purpose=forwarding, username="201", contact="202"',
    });
  });

  it('is the same whatever the reason', () => {
    for (const reason of ['unconditional', 'busy', 'no-answer', 'unavailable', 'deflection'] as const) {
      assert.equal(forwardingCallInfo({ from: '+4930*1', to: '#9', reason }).value, 'purpose=forwarding, username="+4930*1", contact="#9"');
    }
  });
});

describe('diversionHeaders (RFC 5806)', () => {
  it('gives nothing for an empty chain', () => {
    assert.deepEqual(diversionHeaders([], D), []);
  });

  it('maps every reason to its RFC 5806 token with counter=1', () => {
    const expected: Record<ForwardReason, string> = {
      busy: 'user-busy',
      'no-answer': 'no-answer',
      unavailable: 'unavailable',
      unconditional: 'unconditional',
      deflection: 'deflection',
    };
    for (const [reason, token] of Object.entries(expected) as Array<[ForwardReason, string]>) {
      assert.deepEqual(diversionHeaders([{ from: '201', to: '202', reason }], D), [
        { name: 'Diversion', value: `<sip:201@${D}>;reason=${token};counter=1;privacy=off` },
      ]);
    }
  });

  it('lists the most recent diversion first', () => {
    const chain: ForwardHop[] = [
      { from: '201', to: '202', reason: 'unconditional' },
      { from: '202', to: '203', reason: 'busy' },
      { from: '203', to: '204', reason: 'no-answer' },
    ];
    assert.deepEqual(
      diversionHeaders(chain, D).map((h) => h.value),
      [
        `<sip:203@${D}>;reason=no-answer;counter=1;privacy=off`,
        `<sip:202@${D}>;reason=user-busy;counter=1;privacy=off`,
        `<sip:201@${D}>;reason=unconditional;counter=1;privacy=off`,
      ],
    );
    assert.deepEqual(chain.map((h) => h.from), ['201', '202', '203'], 'the chain itself is not reordered');
  });

  it('each value parses as a name-addr with the reason and counter parameters', () => {
    for (const h of diversionHeaders([{ from: '201', to: '202', reason: 'busy' }, { from: '202', to: '203', reason: 'deflection' }], D)) {
      const na = parseNameAddr(h.value, 'Diversion');
      assert.match(na.uri, /^sip:20[12]@pbx\.example$/);
      assert.equal(na.params.get('counter'), '1');
      assert.ok(['user-busy', 'deflection'].includes(String(na.params.get('reason'))));
    }
  });
});

/** Every History-Info entry, parsed with the stack's own name-addr parser. */
function entries(value: string) {
  return splitList(value).map((text) => {
    const na = parseNameAddr(text, 'History-Info');
    const uri = parseUri(na.uri);
    assert.equal(uri.kind, 'sip');
    return { text, na, uri: uri as SipUri };
  });
}

describe('historyInfoHeader (RFC 7044)', () => {
  it('is undefined without a forward', () => {
    assert.equal(historyInfoHeader('201', [], D), undefined);
  });

  it('one hop: the dialled entry with the Reason, then the target with cause and mp', () => {
    const h = historyInfoHeader('201', [{ from: '201', to: '202', reason: 'busy' }], D);
    assert.deepEqual(h, {
      name: 'History-Info',
      value: `<sip:201@${D}?Reason=SIP%3Bcause%3D486>;index=1, <sip:202@${D};cause=486>;index=1.1;mp=1`,
    });
  });

  it('two hops: indexes 1, 1.1, 1.1.1, each mp naming its parent', () => {
    const h = historyInfoHeader(
      '201',
      [
        { from: '201', to: '202', reason: 'unconditional' },
        { from: '202', to: '203', reason: 'no-answer' },
      ],
      D,
    );
    assert.equal(
      h?.value,
      `<sip:201@${D}?Reason=SIP%3Bcause%3D302>;index=1, ` +
        `<sip:202@${D};cause=302?Reason=SIP%3Bcause%3D408>;index=1.1;mp=1, ` +
        `<sip:203@${D};cause=408>;index=1.1.1;mp=1.1`,
    );
  });

  it('uses the RFC 4458 cause for every reason', () => {
    const causes: Record<ForwardReason, number> = { unconditional: 302, busy: 486, 'no-answer': 408, unavailable: 404, deflection: 480 };
    for (const [reason, cause] of Object.entries(causes) as Array<[ForwardReason, number]>) {
      const value = historyInfoHeader('201', [{ from: '201', to: '202', reason }], D)!.value;
      assert.equal(value, `<sip:201@${D}?Reason=SIP%3Bcause%3D${cause}>;index=1, <sip:202@${D};cause=${cause}>;index=1.1;mp=1`);
    }
  });

  it('every entry parses with the name-addr parser: index, mp, cause and the escaped Reason', () => {
    const chain: ForwardHop[] = [
      { from: '201', to: '202', reason: 'busy' },
      { from: '202', to: '203', reason: 'unavailable' },
      { from: '203', to: '204', reason: 'deflection' },
    ];
    const parsed = entries(historyInfoHeader('200', chain, D)!.value);
    assert.equal(parsed.length, 4);
    assert.deepEqual(
      parsed.map((e) => e.na.params.get('index')),
      ['1', '1.1', '1.1.1', '1.1.1.1'],
    );
    assert.deepEqual(
      parsed.map((e) => e.na.params.get('mp')),
      [undefined, '1', '1.1', '1.1.1'],
    );
    assert.deepEqual(
      parsed.map((e) => e.uri.user),
      ['200', '202', '203', '204'],
    );
    assert.deepEqual(
      parsed.map((e) => e.uri.params.get('cause')),
      [undefined, '486', '404', '480'],
    );
    // The Reason is a URI header (after '?'), %-escaped, and unescapes to a Reason value.
    const reasons = parsed.map((e) => {
      if (e.uri.headers.length === 0) return undefined;
      assert.equal(e.uri.headers.length, 1);
      const [name, value] = e.uri.headers[0]!;
      assert.equal(name, 'Reason');
      assert.doesNotMatch(value, /[;=]/, 'escaped inside the URI');
      return unescapeUri(value);
    });
    assert.deepEqual(reasons, ['SIP;cause=486', 'SIP;cause=404', 'SIP;cause=480', undefined]);
    for (const e of parsed) assert.equal(e.uri.host, D);
  });

  it('a single-hop value also parses entry by entry', () => {
    const parsed = entries(historyInfoHeader('201', [{ from: '201', to: '202', reason: 'no-answer' }], D)!.value);
    assert.equal(parsed.length, 2);
    assert.equal(parsed[1]!.na.params.get('mp'), '1');
    assert.equal(parsed[1]!.uri.params.get('cause'), '408');
  });
});
