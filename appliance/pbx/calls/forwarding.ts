/**
 * What a forwarded call tells the caller and the next hop: the 181 Call-Info notice
 * (miniSIPServer's form, which phones and scripts already read), History-Info (RFC 7044)
 * and Diversion (RFC 5806), built from one ordered chain so the three always agree.
 */
import type { Header } from '../../sip/message/message';
import type { ForwardHop, ForwardReason } from '../cdr/record';

export type { ForwardHop, ForwardReason } from '../cdr/record';

/**
 * The 181's Call-Info, in exactly the form miniSIPServer sends:
 * `purpose=forwarding, username="<who forwarded>", contact="<target>"`.
 * Numbers are validated ([0-9A-Za-z._-], +, *, #), so they never need escaping.
 */
export function forwardingCallInfo(hop: ForwardHop): Header {
  return { name: 'Call-Info', value: `purpose=forwarding, username="${hop.from}", contact="${hop.to}"` };
}

/** RFC 5806 §4 reason tokens. */
const DIVERSION_REASON: Readonly<Record<ForwardReason, string>> = {
  unconditional: 'unconditional',
  busy: 'user-busy',
  'no-answer': 'no-answer',
  unavailable: 'unavailable',
  deflection: 'deflection',
};

/**
 * RFC 4458 §3.5 "cause" values (ITU-T Q.732 redirecting reasons): 302 unconditional,
 * 486 busy, 408 no reply, 404 not available, 480 deflection (immediate response).
 */
const CAUSE: Readonly<Record<ForwardReason, number>> = {
  unconditional: 302,
  busy: 486,
  'no-answer': 408,
  unavailable: 404,
  deflection: 480,
};

/**
 * Diversion (RFC 5806): one entry per hop, the most recent first, each naming the
 * diverting user, the reason and `counter=1` (one diversion per entry, so carriers that
 * sum the counters see the true hop count).
 */
export function diversionHeaders(chain: readonly ForwardHop[], domain: string): Header[] {
  return [...chain]
    .reverse()
    .map((hop) => ({ name: 'Diversion', value: `<sip:${hop.from}@${domain}>;reason=${DIVERSION_REASON[hop.reason]};counter=1;privacy=off` }));
}

/**
 * History-Info (RFC 7044): the first entry is the number dialled (index 1); each
 * forward adds a child entry (index 1.1, 1.1.1, …) whose URI carries the RFC 4458
 * cause and the `mp` tag (the target was mapped to a different user, §9.2 naming the
 * parent index), and the entry it came from gains the Reason (RFC 3326) of the response
 * that triggered it, escaped into the URI as §9.4 asks.
 */
export function historyInfoHeader(dialled: string, chain: readonly ForwardHop[], domain: string): Header | undefined {
  if (chain.length === 0) return undefined;
  const entries: string[] = [];
  let index = '1';
  let uri = `sip:${dialled}@${domain}`;
  let tag = '';
  for (const hop of chain) {
    const reason = escapeHeaderValue(`SIP;cause=${CAUSE[hop.reason]}`);
    entries.push(`<${uri}?Reason=${reason}>;index=${index}${tag}`);
    tag = `;mp=${index}`;
    index = `${index}.1`;
    uri = `sip:${hop.to}@${domain};cause=${CAUSE[hop.reason]}`;
  }
  entries.push(`<${uri}>;index=${index}${tag}`);
  return { name: 'History-Info', value: entries.join(', ') };
}

/** RFC 3261 §19.1.1: a header value inside a URI is %-escaped (hnv-unreserved kept). */
function escapeHeaderValue(value: string): string {
  return value.replace(/[^A-Za-z0-9\-_.!~*'()[\]/?:+$]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
