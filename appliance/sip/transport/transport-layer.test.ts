import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SipRequest, SipResponse } from '../message/message';
import type { Flow } from './flow';
import { transportContract, type TlsMaterial } from './transport.contract';
import { responseTarget, stampReceived } from './transport-layer';

/** A throwaway certificate from the openssl CLI (the stack itself generates none). */
function tlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

transportContract('UDP', () => undefined);
transportContract('TCP', () => undefined);
transportContract('TLS', tlsMaterial);

const flow = (address: string, port: number, transport: Flow['transport'] = 'UDP'): Flow => ({
  transport,
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address, port },
});

function withVia(via: string): SipRequest {
  return { kind: 'request', method: 'OPTIONS', uri: 'sip:x@y', headers: [{ name: 'Via', value: via }, { name: 'Via', value: 'SIP/2.0/UDP second.example.com' }], body: Buffer.alloc(0) };
}

test('received is added when sent-by is a name or another address; rport gets the source port', () => {
  const a = withVia('SIP/2.0/UDP phone.example.com;branch=z9hG4bK1');
  stampReceived(a, flow('192.0.2.7', 40000));
  assert.equal(a.headers[0]!.value, 'SIP/2.0/UDP phone.example.com;branch=z9hG4bK1;received=192.0.2.7');
  const b = withVia('SIP/2.0/UDP 192.0.2.7:5062;rport;branch=z9hG4bK2');
  stampReceived(b, flow('192.0.2.7', 40001));
  assert.equal(b.headers[0]!.value, 'SIP/2.0/UDP 192.0.2.7:5062;rport=40001;branch=z9hG4bK2;received=192.0.2.7');
  assert.equal(b.headers[1]!.value, 'SIP/2.0/UDP second.example.com', 'only the top Via changes');
});

test('a Via whose sent-by is the source address stays byte-exact', () => {
  const a = withVia('SIP/2.0/UDP 192.0.2.7:5062 ;branch=z9hG4bK1');
  stampReceived(a, flow('192.0.2.7', 5062));
  assert.equal(a.headers[0]!.value, 'SIP/2.0/UDP 192.0.2.7:5062 ;branch=z9hG4bK1');
});

test('the top Via of a folded multi-value header is stamped, the others kept', () => {
  const req: SipRequest = { kind: 'request', method: 'OPTIONS', uri: 'sip:x@y', headers: [{ name: 'v', value: 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com' }], body: Buffer.alloc(0) };
  stampReceived(req, flow('198.51.100.1', 5060));
  assert.equal(req.headers[0]!.value, 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1;received=198.51.100.1, SIP/2.0/UDP b.example.com');
});

test('response target: rport port at the received address; else sent-by port or 5060 (§18.2.2, RFC 3581)', () => {
  const res = (via: string): SipResponse => ({ kind: 'response', status: 200, reason: 'OK', headers: [{ name: 'Via', value: via }], body: Buffer.alloc(0) });
  assert.deepEqual(responseTarget(res('SIP/2.0/UDP h.example.com:5070;rport=40000;received=192.0.2.9'), flow('192.0.2.9', 40000)), { address: '192.0.2.9', port: 40000 });
  assert.deepEqual(responseTarget(res('SIP/2.0/UDP h.example.com:5070;received=192.0.2.9'), flow('192.0.2.9', 40000)), { address: '192.0.2.9', port: 5070 });
  assert.deepEqual(responseTarget(res('SIP/2.0/UDP 192.0.2.9'), flow('192.0.2.9', 40000)), { address: '192.0.2.9', port: 5060 });
  assert.deepEqual(responseTarget(res('SIP/2.0/TLS [2001:db8::1]'), flow('2001:db8::1', 40000, 'TLS')), { address: '2001:db8::1', port: 5061 });
});
