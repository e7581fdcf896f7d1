/**
 * Transaction identification: which transaction a message belongs to.
 *
 * - Client side (§17.1.3): the branch of the top Via plus the CSeq method (a CANCEL
 *   shares the INVITE's branch but is a transaction of its own).
 * - Server side (§17.2.3), RFC 3261 peers (branch starts with the "z9hG4bK" cookie):
 *   branch + sent-by of the top Via + method, where an ACK belongs to the INVITE
 *   transaction and a CANCEL has its own key.
 * - Server side, RFC 2543 peers (no cookie): Request-URI, To tag, From tag, Call-ID,
 *   CSeq and the top Via; an ACK matches on everything but the To tag of the request,
 *   whose To tag is compared with the tag of the response the transaction sent.
 *
 * Keys are plain strings for Map lookups. Every function throws SipParseError when a
 * header it needs is missing or malformed.
 */
import { randomBytes } from 'node:crypto';
import { SipParseError } from '../message/errors';
import { cseqOf } from '../message/headers/cseq';
import { BRANCH_COOKIE, branchOf, sentBy, topVia, type Via } from '../message/headers/via';
import { getHeader, type SipMessage, type SipRequest } from '../message/message';

/** A fresh RFC 3261 branch: the magic cookie and 128 random bits (§8.1.1.7). */
export function newBranch(): string {
  return BRANCH_COOKIE + randomBytes(16).toString('hex');
}

/** True when the branch was made by an RFC 3261 element: the cookie and something after it. */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > BRANCH_COOKIE.length && branch.startsWith(BRANCH_COOKIE);
}

/** Parameter values compare case-insensitively unless stated otherwise (§7.3.1). */
function normBranch(branch: string): string {
  return branch.toLowerCase();
}

/** Client key from a branch and a method (§17.1.3). */
export function clientKey(branch: string, method: string): string {
  return `${normBranch(branch)} ${method}`;
}

/**
 * Client key of a message: for a request being sent, its branch and method; for a
 * response, the top Via branch and the CSeq method. Throws when there is no branch.
 */
export function clientKeyOf(msg: SipMessage): string {
  const branch = branchOf(topVia(msg));
  if (!branch) throw new SipParseError('SIP_ERR_HEADER_SYNTAX', 'top Via has no branch', 'drop', 'Via');
  const method = msg.kind === 'request' ? msg.method : cseqOf(msg).method;
  return clientKey(branch, method);
}

/** True when the request comes from an RFC 3261 client and §17.2.3's branch rule applies. */
export function hasRfc3261Branch(req: SipRequest): boolean {
  return isRfc3261Branch(branchOf(topVia(req)));
}

/**
 * Server key of a request (§17.2.3). `asMethod` overrides the method the key is made
 * for; by default an ACK is keyed as INVITE (it matches the INVITE transaction). Use
 * `serverKeyOf(cancel, 'INVITE')` for the INVITE a CANCEL targets (§9.2).
 *
 * For an RFC 2543 ACK this key contains the ACK's To tag and will not find the INVITE
 * transaction: use `legacyAckKeyOf` for those.
 */
export function serverKeyOf(req: SipRequest, asMethod?: string): string {
  const via = topVia(req);
  const branch = branchOf(via);
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  if (isRfc3261Branch(branch)) {
    // "the branch parameter in the request is equal to the one in the top Via header
    // field of the request that created the transaction, the sent-by value in the top
    // Via of the request is equal to the one in the request that created the
    // transaction, and the method of the request matches the one that created the
    // transaction, except for ACK, where the method of the request that created the
    // transaction is INVITE."
    return `3261 ${normBranch(branch)} ${sentBy(via)} ${method}`;
  }
  // RFC 2543: "For all other request methods, a request is matched to a transaction if
  // the Request-URI, To tag, From tag, Call-ID, CSeq (including the method), and top Via
  // header field match those of the request that created the transaction." (INVITE: the
  // same list.) The CSeq method follows `asMethod` so that a CANCEL finds its INVITE.
  const cseq = cseqOf(req);
  return [
    '2543',
    req.uri,
    tagOf(required(req, 'to')),
    tagOf(required(req, 'from')),
    required(req, 'call-id'),
    `${cseq.seq} ${asMethod ?? (req.method === 'ACK' ? 'INVITE' : cseq.method)}`,
    normalizedVia(via),
  ].join('\n');
}

/**
 * RFC 2543 ACK matching (§17.2.3): "The ACK request matches a transaction if the
 * Request-URI, From tag, Call-ID, CSeq number (not the method), and top Via header field
 * match those of the INVITE request which created the transaction, and the To tag of
 * the ACK matches the To tag of the response sent by the server transaction." This is
 * the first part, computed alike from the INVITE and from the ACK; the caller compares
 * the To tags. Undefined for requests with an RFC 3261 branch.
 */
export function legacyAckKeyOf(req: SipRequest): string | undefined {
  const via = topVia(req);
  if (isRfc3261Branch(branchOf(via))) return undefined;
  return [
    '2543-ack',
    req.uri,
    tagOf(required(req, 'from')),
    required(req, 'call-id'),
    String(cseqOf(req).seq),
    normalizedVia(via),
  ].join('\n');
}

/** The `tag` parameter of a From/To value ('' when there is none). */
export function tagOf(value: string | undefined): string {
  if (value === undefined) return '';
  // Header parameters follow the name-addr's closing '>' (outside quotes); with a bare
  // addr-spec there are no URI parameters, so they start at the first ';'.
  let rest = '';
  let quoted = false;
  let lt = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') {
      lt = i;
      break;
    }
  }
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    rest = gt < 0 ? '' : value.slice(gt + 1);
  } else {
    const semi = value.indexOf(';');
    rest = semi < 0 ? '' : value.slice(semi);
  }
  for (const param of rest.split(';')) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() === 'tag') return param.slice(eq + 1).trim();
  }
  return '';
}

/** The top Via in a form where equal Vias (§20.42 rules, roughly) give equal strings. */
function normalizedVia(via: Via): string {
  const params = [...via.params.entries()]
    .map(([name, value]) => (value === null ? name : `${name}=${value.toLowerCase()}`))
    .sort();
  return `${via.transport} ${sentBy(via)};${params.join(';')}`;
}

function required(req: SipRequest, name: string): string {
  const value = getHeader(req, name);
  if (value === undefined) throw new SipParseError('SIP_ERR_HEADER_MISSING', `no ${name} header`, 400, name);
  return value;
}
