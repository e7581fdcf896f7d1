/**
 * Which parts of a message cross the B2BUA from one leg to the other. Everything that
 * describes the session (body, its type, session timer negotiation, capabilities) is
 * carried over; everything that describes a hop or a dialog (Via, Contact, Route,
 * tags, CSeq, credentials) is the leg's own and never copied.
 *
 * 100rel is removed in both directions: each leg is its own UA pair, reliable
 * provisionals (RFC 3262) would need a PRACK relay with RSeq renumbering across forks,
 * and both phones then simply use unreliable provisionals (RFC 3262 §4 leaves the
 * choice to the UAC). A caller that requires 100rel gets 420 (request-policy.ts).
 */
import { canonicalName, splitList, type Header, type SipMessage } from '../../sip/message/message';

/** Headers a new or in-dialog request takes from the request it relays. */
const REQUEST_HEADERS = new Set([
  'content-type',
  'content-disposition',
  'content-encoding',
  'content-language',
  'accept',
  'allow',
  'supported',
  'require',
  'session-expires',
  'min-se',
  'subject',
  'priority',
  'privacy',
  'reason',
  'event',
  'info-package',
  'recv-info',
  'alert-info',
]);

/** Headers a relayed response takes from the response it relays. */
const RESPONSE_HEADERS = new Set([
  'content-type',
  'content-disposition',
  'content-encoding',
  'content-language',
  'accept',
  'allow',
  'supported',
  'require',
  'unsupported',
  'session-expires',
  'min-se',
  'retry-after',
  'warning',
  'recv-info',
  'alert-info',
]);

/** Option tags removed from Supported/Require (see the file comment). */
const STRIPPED_OPTIONS = new Set(['100rel']);

export function relayedRequestHeaders(from: SipMessage): Header[] {
  return pick(from, REQUEST_HEADERS);
}

export function relayedResponseHeaders(from: SipMessage): Header[] {
  return pick(from, RESPONSE_HEADERS);
}

function pick(from: SipMessage, names: ReadonlySet<string>): Header[] {
  const out: Header[] = [];
  for (const h of from.headers) {
    const name = canonicalName(h.name);
    if (!names.has(name)) continue;
    if (name === 'supported' || name === 'require') {
      const tags = splitList(h.value).filter((t) => !STRIPPED_OPTIONS.has(t.toLowerCase()));
      if (tags.length > 0) out.push({ name: h.name, value: tags.join(', ') });
      continue;
    }
    out.push({ name: h.name, value: h.value });
  }
  return out;
}
