import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerOffer, buildOffer, parseAnswer, type AnswerOptions, type MediaParams, type SdpError } from './sdp';

const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';

const local: AnswerOptions = { sessionId: '42', address: '192.168.1.20', port: 10000, codecs: ['PCMU', 'PCMA'], dtmfPayloadType: 101 };

function answered(offer: string, opts: Partial<AnswerOptions> = {}): { sdp: string; media: MediaParams } {
  const r = answerOffer(offer, { ...local, ...opts });
  if ('error' in r) assert.fail(`${r.error}: ${r.message}`);
  return r;
}

function failed(r: unknown): SdpError['error'] {
  assert.ok(typeof r === 'object' && r !== null && 'error' in r, `expected an error, got ${JSON.stringify(r)}`);
  return (r as SdpError).error;
}

/** An offer as a typical PBX writes it. */
const pbxOffer = sdp(
  'v=0',
  'o=- 1234 1234 IN IP4 192.168.1.1',
  's=Asterisk',
  'c=IN IP4 192.168.1.1',
  't=0 0',
  'm=audio 20000 RTP/AVP 8 0 3 96',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:3 GSM/8000',
  'a=rtpmap:96 telephone-event/8000',
  'a=fmtp:96 0-16',
  'a=ptime:20',
  'a=sendrecv',
);

describe('buildOffer', () => {
  it('offers one audio stream with the codecs in order and telephone-event', () => {
    const offer = buildOffer({ sessionId: 7, sessionVersion: 3, address: '10.0.0.5', port: 4000, codecs: ['PCMA', 'PCMU'], dtmfPayloadType: 101 });
    assert.equal(
      offer,
      sdp(
        'v=0',
        'o=edgesip-fxs 7 3 IN IP4 10.0.0.5',
        's=-',
        'c=IN IP4 10.0.0.5',
        't=0 0',
        'm=audio 4000 RTP/AVP 8 0 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:20',
        'a=sendrecv',
      ),
    );
  });

  it('writes IP6 for an IPv6 address, and the asked direction (hold)', () => {
    const offer = buildOffer({ sessionId: 1, address: '2001:db8::5', port: 4000, codecs: ['PCMU'], dtmfPayloadType: 101, direction: 'sendonly' });
    assert.match(offer, /^o=edgesip-fxs 1 1 IN IP6 2001:db8::5\r$/m);
    assert.match(offer, /^c=IN IP6 2001:db8::5\r$/m);
    assert.match(offer, /^a=sendonly\r$/m);
  });

  it('can be read back as an answer', () => {
    const offer = buildOffer({ sessionId: 1, address: '10.0.0.5', port: 4000, codecs: ['PCMU'], dtmfPayloadType: 101 });
    assert.deepEqual(parseAnswer(offer, ['PCMU']), { address: '10.0.0.5', port: 4000, codec: { name: 'PCMU', payloadType: 0 }, dtmfPayloadType: 101, direction: 'sendrecv', ptime: 20 });
  });

  it('refuses a bad port or a static telephone-event type', () => {
    assert.throws(() => buildOffer({ ...local, port: 0 }), RangeError);
    assert.throws(() => buildOffer({ ...local, dtmfPayloadType: 8 }), RangeError);
  });
});

describe('answerOffer', () => {
  it('takes the offerer\'s first codec that we allow, and its telephone-event type', () => {
    const { sdp: answer, media } = answered(pbxOffer);
    assert.deepEqual(media, { address: '192.168.1.1', port: 20000, codec: { name: 'PCMA', payloadType: 8 }, dtmfPayloadType: 96, direction: 'sendrecv', ptime: 20 });
    assert.equal(
      answer,
      sdp(
        'v=0',
        'o=edgesip-fxs 42 1 IN IP4 192.168.1.20',
        's=-',
        'c=IN IP4 192.168.1.20',
        't=0 0',
        'm=audio 10000 RTP/AVP 8 96',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:96 telephone-event/8000',
        'a=fmtp:96 0-15',
        'a=ptime:20',
        'a=sendrecv',
      ),
    );
  });

  it('honours our allowed codecs', () => {
    assert.equal(answered(pbxOffer, { codecs: ['PCMU'] }).media.codec.name, 'PCMU');
  });

  it('accepts static payload types without rtpmap, and \\n line ends', () => {
    const offer = ['v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 't=0 0', 'm=audio 3000 RTP/AVP 0', 'c=IN IP4 10.1.1.1', ''].join('\n');
    const { media } = answered(offer);
    assert.deepEqual(media, { address: '10.1.1.1', port: 3000, codec: { name: 'PCMU', payloadType: 0 }, direction: 'sendrecv' });
  });

  it('follows an rtpmap over the static table (a dynamic type for PCMU)', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 3000 RTP/AVP 110 8', 'a=rtpmap:110 pcmu/8000/1', 'a=rtpmap:8 PCMA/16000');
    assert.deepEqual(answered(offer).media.codec, { name: 'PCMU', payloadType: 110 });
  });

  it('prefers the media-level c= over the session-level one, IPv6 included', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::1', 't=0 0', 'm=audio 3000 RTP/AVP 0', 'c=IN IP6 2001:db8::99');
    assert.equal(answered(offer).media.address, '2001:db8::99');
  });

  it('refuses other streams with port 0, keeping their order', () => {
    const offer = sdp(
      'v=0',
      'o=- 1 1 IN IP4 10.1.1.1',
      's=-',
      'c=IN IP4 10.1.1.1',
      't=0 0',
      'm=video 5000 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'm=audio 4000 RTP/SAVP 0',
      'm=audio 3000 RTP/AVP 18 0 101',
      'a=rtpmap:101 telephone-event/8000',
      'm=audio 3002 RTP/AVP 0',
    );
    const { sdp: answer, media } = answered(offer);
    assert.equal(media.port, 3000);
    assert.equal(media.dtmfPayloadType, 101);
    const mLines = answer.split('\r\n').filter((l) => l.startsWith('m='));
    assert.deepEqual(mLines, ['m=video 0 RTP/AVP 96', 'm=audio 0 RTP/SAVP 0', 'm=audio 10000 RTP/AVP 0 101', 'm=audio 0 RTP/AVP 0']);
  });

  it('answers hold (sendonly, recvonly, inactive, c=0.0.0.0) with the mirrored direction', () => {
    const withDir = (attr: string, addr = '10.1.1.1') => sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', `c=IN IP4 ${addr}`, 't=0 0', 'm=audio 3000 RTP/AVP 0', attr);
    const dir = (offer: string) => answered(offer).media.direction;
    assert.equal(dir(withDir('a=sendonly')), 'recvonly');
    assert.equal(dir(withDir('a=recvonly')), 'sendonly');
    assert.equal(dir(withDir('a=inactive')), 'inactive');
    assert.equal(dir(withDir('a=sendrecv', '0.0.0.0')), 'recvonly');
    assert.equal(dir(withDir('a=recvonly', '0.0.0.0')), 'inactive');
    assert.match(answered(withDir('a=sendonly')).sdp, /^a=recvonly\r$/m);
    // Session-level direction applies to the stream.
    const sessionLevel = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'a=sendonly', 'm=audio 3000 RTP/AVP 0');
    assert.equal(dir(sessionLevel), 'recvonly');
    // Our own direction narrows it (we put the call on hold while answering).
    assert.equal(answered(withDir('a=sendrecv'), { direction: 'sendonly' }).media.direction, 'sendonly');
  });

  it('leaves telephone-event out when the offer has none, or we support none', () => {
    const noDtmf = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 3000 RTP/AVP 0');
    const a = answered(noDtmf);
    assert.equal(a.media.dtmfPayloadType, undefined);
    assert.doesNotMatch(a.sdp, /telephone-event/);
    const { dtmfPayloadType: _omit, ...withoutDtmf } = local;
    const b = answerOffer(pbxOffer, withoutDtmf);
    assert.ok(!('error' in b));
    assert.equal(b.media.dtmfPayloadType, undefined);
    assert.match(b.sdp, /^m=audio 10000 RTP\/AVP 8\r$/m);
  });

  it('ignores telephone-event at another clock rate', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 3000 RTP/AVP 0 100 101', 'a=rtpmap:100 telephone-event/48000', 'a=rtpmap:101 telephone-event/8000');
    assert.equal(answered(offer).media.dtmfPayloadType, 101);
  });

  it('reports no common codec', () => {
    const g729 = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 3000 RTP/AVP 18 101', 'a=rtpmap:101 telephone-event/8000');
    assert.equal(failed(answerOffer(g729, local)), 'EDGESIP_ERR_NO_COMMON_CODEC');
    assert.equal(failed(answerOffer(pbxOffer.replace(' 8 0 3 96', ' 3 96'), local)), 'EDGESIP_ERR_NO_COMMON_CODEC');
    const videoOnly = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=video 3000 RTP/AVP 96');
    assert.equal(failed(answerOffer(videoOnly, local)), 'EDGESIP_ERR_NO_COMMON_CODEC');
  });

  it('reports an offer whose audio stream is disabled (port 0)', () => {
    const off = sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 'c=IN IP4 10.1.1.1', 't=0 0', 'm=audio 0 RTP/AVP 0');
    assert.equal(failed(answerOffer(off, local)), 'EDGESIP_ERR_STREAM_REJECTED');
  });

  it('reports malformed SDP', () => {
    const cases = [
      '',
      'hello',
      sdp('v=1', 'm=audio 3000 RTP/AVP 0'),
      sdp('v=0', 'o=- 1 1 IN IP4 10.1.1.1', 's=-', 't=0 0'), // no m=
      sdp('v=0', 'c=IN IP4 10.1.1.1', 'm=audio 70000 RTP/AVP 0'),
      sdp('v=0', 'c=IN IP4 10.1.1.1', 'm=audio x RTP/AVP 0'),
      sdp('v=0', 'c=IN IP4 10.1.1.1', 'm=audio 3000 RTP/AVP'),
      sdp('v=0', 'c=IN IPX 10.1.1.1', 'm=audio 3000 RTP/AVP 0'),
      sdp('v=0', 'm=audio 3000 RTP/AVP 0'), // no c= anywhere
      sdp('v=0', 'c=IN IP4 10.1.1.1', 'this is not sdp', 'm=audio 3000 RTP/AVP 0'),
    ];
    for (const c of cases) assert.equal(failed(answerOffer(c, local)), 'EDGESIP_ERR_BAD_SDP', JSON.stringify(c));
  });
});

describe('parseAnswer', () => {
  const answerWith = (...lines: string[]) => sdp('v=0', 'o=- 5 5 IN IP4 192.168.1.1', 's=-', 'c=IN IP4 192.168.1.1', 't=0 0', ...lines);

  it('takes the answer\'s first codec that we offered and its telephone-event type', () => {
    const r = parseAnswer(answerWith('m=audio 20000 RTP/AVP 0 8 97', 'a=rtpmap:97 telephone-event/8000', 'a=ptime:30'), ['PCMA', 'PCMU']);
    assert.deepEqual(r, { address: '192.168.1.1', port: 20000, codec: { name: 'PCMU', payloadType: 0 }, dtmfPayloadType: 97, direction: 'sendrecv', ptime: 30 });
  });

  it('reads the direction from our side', () => {
    const dir = (attr: string) => {
      const r = parseAnswer(answerWith('m=audio 20000 RTP/AVP 0', attr), ['PCMU']);
      return 'error' in r ? r.error : r.direction;
    };
    assert.equal(dir('a=recvonly'), 'sendonly');
    assert.equal(dir('a=sendonly'), 'recvonly');
    assert.equal(dir('a=inactive'), 'inactive');
  });

  it('reports a refused stream, no common codec, and bad SDP', () => {
    assert.equal(failed(parseAnswer(answerWith('m=audio 0 RTP/AVP 0'), ['PCMU'])), 'EDGESIP_ERR_STREAM_REJECTED');
    assert.equal(failed(parseAnswer(answerWith('m=audio 20000 RTP/AVP 8'), ['PCMU'])), 'EDGESIP_ERR_NO_COMMON_CODEC');
    assert.equal(failed(parseAnswer('not sdp', ['PCMU'])), 'EDGESIP_ERR_BAD_SDP');
    assert.equal(failed(parseAnswer(answerWith('m=video 20000 RTP/AVP 96'), ['PCMU'])), 'EDGESIP_ERR_BAD_SDP');
  });
});
