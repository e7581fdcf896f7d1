/**
 * The client side of digest authentication (RFC 3261 §22.2–22.3, RFC 8760): pick a
 * challenge from a 401/407 and build the Authorization / Proxy-Authorization header
 * that answers it. Used where this server is itself a UA towards a provider.
 */
import { randomBytes } from 'node:crypto';
import { getHeaderValues, type Header, type SipRequest, type SipResponse } from '../message/message';
import { digestResponse, formatCredentials, formatNonceCount, normalizeAlgorithm, parseChallenge, type DigestChallenge } from './digest';

export interface ClientCredentials {
  username: string;
  password: string;
  /** Only challenges for this realm are answered; '' answers any realm. */
  realm: string;
}

/** Algorithms we answer, most preferred first (RFC 8760 §2.4: the UAC picks the strongest it supports). */
const PREFERENCE = ['SHA-256', 'MD5'] as const;

/**
 * The credentials header answering the 401/407 `response` to `request`, or undefined
 * when no challenge can be answered (no Digest challenge with an algorithm we know,
 * or only foreign realms). `nc` counts uses of the same nonce (start at 1).
 */
export function answerChallenge(request: SipRequest, response: SipResponse, creds: ClientCredentials, nc = 1): { header: Header; challenge: DigestChallenge } | undefined {
  const proxy = response.status === 407;
  const challenges: DigestChallenge[] = [];
  for (const value of getHeaderValues(response, proxy ? 'proxy-authenticate' : 'www-authenticate')) {
    try {
      challenges.push(parseChallenge(value));
    } catch {
      // Another scheme or a broken challenge: the next one may do.
    }
  }
  const usable = challenges.filter((c) => creds.realm === '' || c.realm === creds.realm);
  let chosen: DigestChallenge | undefined;
  for (const want of PREFERENCE) {
    chosen = usable.find((c) => normalizeAlgorithm(c.algorithm ?? 'MD5') === want);
    if (chosen) break;
  }
  if (!chosen) return undefined;
  const algorithm = normalizeAlgorithm(chosen.algorithm ?? 'MD5')!;
  // qop=auth when offered (cnonce and nc protect against replay); the RFC 2069 form otherwise.
  const qop = chosen.qop?.includes('auth') ? ('auth' as const) : undefined;
  const cnonce = qop ? randomBytes(8).toString('hex') : undefined;
  const ncText = qop ? formatNonceCount(nc) : undefined;
  const value = formatCredentials({
    username: creds.username,
    realm: chosen.realm,
    nonce: chosen.nonce,
    uri: request.uri,
    response: digestResponse({
      algorithm,
      username: creds.username,
      realm: chosen.realm,
      password: creds.password,
      method: request.method,
      uri: request.uri,
      nonce: chosen.nonce,
      ...(qop ? { qop, cnonce, nc: ncText } : {}),
    }),
    ...(chosen.algorithm !== undefined ? { algorithm } : {}),
    ...(cnonce !== undefined ? { cnonce } : {}),
    ...(chosen.opaque !== undefined ? { opaque: chosen.opaque } : {}),
    ...(qop ? { qop } : {}),
    ...(ncText !== undefined ? { nc: ncText } : {}),
    other: [],
  });
  return { header: { name: proxy ? 'Proxy-Authorization' : 'Authorization', value }, challenge: chosen };
}
