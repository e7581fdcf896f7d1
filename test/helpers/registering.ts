import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { digestResponse, parseChallenge } from '../../appliance/sip/auth/digest';
import { repoRoot } from './paths';
import { branch, headerOf, statusOf, type Peer } from './sip-peer';

/** Run the real CLI against a daemon's data dir; returns exit code and output. */
export function cli(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'edgesip.js'), '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI without blocking this process, so scripted peers can answer meanwhile. */
export function cliAsync(dataDir: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'edgesip.js'), '--data-dir', dataDir, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** A phone's 200 to an OPTIONS it received (headers copied as RFC 3261 §8.2.6 says). */
export function okTo(request: Buffer): string {
  const lines = request.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
  const keep = lines.filter((l) => /^(Via|From|To|Call-ID|CSeq)\s*:/i.test(l)).map((l) => (/^To\s*:/i.test(l) ? `${l};tag=phone` : l));
  return `SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

export interface RegisterOptions {
  expires?: number;
  callId?: string;
  cseq?: number;
  /** Algorithm to answer with; the first offered one when absent. */
  algorithm?: 'MD5' | 'SHA-256';
  host?: string;
  /** Contact URI to register instead of the peer's own address (e.g. a phone behind NAT). */
  contact?: string;
}

function registerText(peer: Peer, user: string, o: RegisterOptions, cseq: number, callId: string, authorization?: string): string {
  const host = o.host ?? '127.0.0.1';
  return (
    `REGISTER sip:${host} SIP/2.0\r\n` +
    `Via: SIP/2.0/${peer.transport} ${host}:${peer.localPort};branch=${branch()};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:${user}@${host}>;tag=${randomBytes(4).toString('hex')}\r\nTo: <sip:${user}@${host}>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\n` +
    `Contact: <${o.contact ?? `sip:${user}@${host}:${peer.localPort};transport=${peer.transport.toLowerCase()}`}>\r\nExpires: ${o.expires ?? 300}\r\n` +
    (authorization ? `Authorization: ${authorization}\r\n` : '') +
    `Content-Length: 0\r\n\r\n`
  );
}

/**
 * REGISTER with the 401 round trip (digest, qop=auth), over the peer's one socket or
 * connection. Returns the final status and the final response.
 */
export async function register(peer: Peer, user: string, password: string, o: RegisterOptions = {}): Promise<{ status: number | undefined; response: Buffer | undefined }> {
  const callId = o.callId ?? `${randomBytes(6).toString('hex')}@test`;
  const cseq = o.cseq ?? 1;
  peer.send(registerText(peer, user, o, cseq, callId));
  const first = await next(peer, callId);
  if (statusOf(first) !== 401) return { status: statusOf(first), response: first };
  const challenges = first!.toString('latin1').split('\r\n').filter((l) => /^WWW-Authenticate:/i.test(l)).map((l) => parseChallenge(l.replace(/^[^:]*:\s*/, '')));
  const challenge = challenges.find((c) => (c.algorithm ?? 'MD5') === (o.algorithm ?? challenges[0]!.algorithm ?? 'MD5'))!;
  const algorithm = challenge.algorithm ?? 'MD5';
  const uri = `sip:${o.host ?? '127.0.0.1'}`;
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({ algorithm, username: user, realm: challenge.realm, password, method: 'REGISTER', uri, nonce: challenge.nonce, qop: 'auth', nc: '00000001', cnonce });
  const auth = `Digest username="${user}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  peer.send(registerText(peer, user, o, cseq + 1, callId, auth));
  const final = await next(peer, callId);
  return { status: statusOf(final), response: final };
}

/** The next answer for this Call-ID (others, e.g. late retransmissions, are skipped). */
async function next(peer: Peer, callId: string): Promise<Buffer | undefined> {
  for (;;) {
    const m = await peer.next(3000);
    if (!m || headerOf(m, 'Call-ID') === callId) return m;
  }
}
