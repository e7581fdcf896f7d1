/**
 * Parser + serializer throughput on realistic messages: a REGISTER with Digest
 * credentials, an INVITE with an SDP offer, and the 200 OK answering it. Each is parsed
 * (datagram rules, as from UDP) and serialised again, for a fixed number of iterations
 * after a warm-up. Prints figures; asserts nothing about time.
 *
 *   npx esbuild test/bench/parser.bench.ts --bundle --platform=node --target=node18 \
 *     --format=cjs --outfile=dist-test/test/bench/parser.bench.js
 *   node dist-test/test/bench/parser.bench.js      (BENCH_ITERATIONS=… to change the count)
 */
import { parseMessage } from '../../appliance/sip/message/parse';
import { serializeMessage } from '../../appliance/sip/message/serialize';

const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 200_000);
const WARMUP = Math.min(50_000, Math.ceil(ITERATIONS / 4));

function message(head: string[], body = ''): Buffer {
  const withLength = [...head, `Content-Length: ${Buffer.byteLength(body)}`];
  return Buffer.from(`${withLength.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

const REGISTER = message([
  'REGISTER sip:edge.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.101:5060;rport;branch=z9hG4bK-524287-1---7c3f1f9d2a1b4c8e',
  'Max-Forwards: 70',
  'Contact: <sip:2001@192.0.2.101:5060;rinstance=8f0e7b2a1c9d3e4f;transport=UDP>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-00a0de5e1f2b>"',
  'To: "Desk 2001" <sip:2001@edge.example.com>',
  'From: "Desk 2001" <sip:2001@edge.example.com>;tag=6a1c4e9b',
  'Call-ID: NzJmYzE0ZDEwYjM3ZDc5NzM1ZmRkY2JhNDg2NDNiN2Q.',
  'CSeq: 2 REGISTER',
  'Expires: 3600',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
  'Supported: replaces, outbound, path, gruu',
  'User-Agent: Yealink SIP-T46U 108.86.0.45',
  'Authorization: Digest username="2001",realm="edge.example.com",nonce="AAAAAGV4cmEAAAAAAAAAAGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6",uri="sip:edge.example.com",response="6629fae49393a05397450978507c4ef1",algorithm=MD5,cnonce="0a4f113b",qop=auth,nc=00000001',
  'Allow-Events: presence, kpml, talk',
]);

const SDP = [
  'v=0',
  'o=- 3909123456 3909123456 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 16384 RTP/AVP 9 0 8 18 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = message(
  [
    'INVITE sip:2002@edge.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.101:5060;rport;branch=z9hG4bK-524287-1---5b1e8d7c6a4f2e90',
    'Max-Forwards: 70',
    'Contact: <sip:2001@192.0.2.101:5060;transport=UDP>',
    'To: <sip:2002@edge.example.com>',
    'From: "Desk 2001" <sip:2001@edge.example.com>;tag=3f9a2c71',
    'Call-ID: ZjEzNGE0YjU1ODk0NjEyNTk3NWE4ZGU2YjA2ZWM2NTM.',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'Content-Type: application/sdp',
    'Supported: replaces, timer, 100rel',
    'Session-Expires: 1800;refresher=uac',
    'Min-SE: 90',
    'User-Agent: Yealink SIP-T46U 108.86.0.45',
    'Allow-Events: presence, kpml, talk',
  ],
  SDP,
);

const OK_200 = message(
  [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK7f3a9c1e5d2b4a68;received=192.0.2.1;rport=5060',
    'Record-Route: <sip:192.0.2.1;lr;ftag=3f9a2c71>',
    'Contact: <sip:2002@192.0.2.102:5060;transport=UDP>',
    'To: <sip:2002@edge.example.com>;tag=9b2e7d41',
    'From: "Desk 2001" <sip:2001@edge.example.com>;tag=3f9a2c71',
    'Call-ID: ZjEzNGE0YjU1ODk0NjEyNTk3NWE4ZGU2YjA2ZWM2NTM.',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'Content-Type: application/sdp',
    'Supported: replaces, timer',
    'Session-Expires: 1800;refresher=uac',
    'Require: timer',
    'Server: EdgeSIP-bench',
  ],
  SDP.replace(/192\.0\.2\.101/g, '192.0.2.102').replace('16384', '20480'),
);

/** Parse + serialise `iterations` times; returns the octets produced, so nothing is optimised away. */
function run(input: Buffer, iterations: number): number {
  let octets = 0;
  for (let i = 0; i < iterations; i++) {
    const r = parseMessage(input, { datagram: true });
    if (!r.ok) throw new Error(`benchmark message does not parse: ${r.error.message}`);
    octets += serializeMessage(r.message).length;
  }
  return octets;
}

function bench(name: string, input: Buffer): void {
  run(input, WARMUP);
  const t0 = process.hrtime.bigint();
  const octets = run(input, ITERATIONS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (octets !== input.length * ITERATIONS) throw new Error(`${name}: serialised ${octets} octets, expected ${input.length * ITERATIONS}`);
  const perSecond = ITERATIONS / seconds;
  console.log(
    `${name.padEnd(8)} ${String(input.length).padStart(5)} B  ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} msg/s  ${((seconds / ITERATIONS) * 1e6).toFixed(2).padStart(6)} µs/msg`,
  );
}

console.log(`parse + serialize, ${ITERATIONS} iterations after ${WARMUP} warm-up, Node ${process.version} ${process.arch}`);
bench('REGISTER', REGISTER);
bench('INVITE', INVITE);
bench('200 OK', OK_200);
