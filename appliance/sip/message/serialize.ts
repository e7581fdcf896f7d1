import { removeHeader, setHeader, type SipMessage } from './message';

/**
 * SipMessage → wire bytes (RFC 3261 §7): start line, headers, empty line, body.
 *
 * A header that still has its `raw` text (as parsed, unchanged) is written from it, so
 * folding, spacing and unknown headers survive byte for byte; others as `Name: value`.
 * Header text is latin1 (one char per octet, see message.ts): text that came from
 * elsewhere as UTF-8 must be converted first, e.g. Buffer.from(s).toString('latin1').
 *
 * Normalisations: the version is always written `SIP/2.0`, and what the parser skipped
 * (CRLFs before the start line, datagram octets beyond Content-Length) is not written.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  let head = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const h of msg.headers) head += `${h.raw ?? `${h.name}: ${h.value}`}\r\n`;
  head += '\r\n';
  // latin1: the string length is the octet count.
  const out = Buffer.allocUnsafe(head.length + msg.body.length);
  out.write(head, 0, head.length, 'latin1');
  msg.body.copy(out, head.length);
  return out;
}

/**
 * Replace the body and keep the framing headers true to it: Content-Length always
 * (mandatory on streams, §18.3/§20.14), Content-Type when given (§20.15: required with a
 * non-empty body). Without a type and with an empty body, a stale Content-Type goes.
 */
export function setBody(msg: SipMessage, body: Buffer, contentType?: string): void {
  msg.body = body;
  setHeader(msg, 'Content-Length', String(body.length));
  if (contentType !== undefined) setHeader(msg, 'Content-Type', contentType);
  else if (body.length === 0) removeHeader(msg, 'content-type');
}
