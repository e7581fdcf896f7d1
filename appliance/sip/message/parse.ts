import { SipParseError, type SipErrorCode } from './errors';
import { canonicalName, splitList, type Header, type SipMessage, type SipRequest } from './message';
import { parseCSeq } from './headers/cseq';
import { parseCallId, parseContacts, parseContentLength, parseMaxForwards, parseNameAddr } from './headers/name-addr';
import { isToken, syntax } from './headers/params';
import { parseVia } from './headers/via';
import { isWsp, TOKEN_CHAR, trimWsp } from './lexical';
import { parseUri } from './uri';

/**
 * Bytes → SipMessage (RFC 3261 §7, grammar §25.1), with the checks of §8.1.1/§8.2 that
 * decide whether a request is answerable at all. Never throws: every defect comes back
 * as a SipParseError saying what to answer (a status for requests, 'drop' for responses).
 *
 * Choices where RFC 4475 leaves room (each documented at its rule below):
 * - the request line must use exactly one SP between its elements: lwsstart and trws
 *   are rejected with 400 (§3.1.2.9, §3.1.2.10 allow either);
 * - a datagram whose header section has no closing empty line is rejected (400), it is
 *   not guessed complete (baddn);
 * - Max-Forwards may be absent (RFC 2543 peers, inv2543) and above 255 counts as absent.
 */

export interface ParseOptions {
  /**
   * Datagram (UDP) rules, the default: Content-Length may be absent (the body is the
   * rest) and octets beyond it are ignored (RFC 4475 dblreq). With `false` (a message cut
   * by the StreamFramer) Content-Length is mandatory (§18.3) and must match exactly.
   */
  datagram?: boolean;
  /** Larger input is refused with SIP_ERR_TOO_LARGE (413 for requests). */
  maxSize?: number;
}

export type ParseResult =
  | { ok: true; message: SipMessage }
  | {
      ok: false;
      error: SipParseError;
      /**
       * The request as far as its start line and header lines could be split (raw header
       * values, possibly malformed), so that a 400 can copy Via/From/To/Call-ID/CSeq.
       * Absent for responses and when the start line cannot be split.
       */
      request?: SipRequest;
    };

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

export function parseMessage(bytes: Buffer, opts: ParseOptions = {}): ParseResult {
  try {
    return parse(bytes, opts.datagram ?? true, opts.maxSize);
  } catch (e) {
    // The steps below throw nothing but SipParseError, and parse() turns those into
    // results. Anything else is a fault of ours: report it rather than let one datagram
    // take the transport down (the fuzz test fails on this code).
    return { ok: false, error: new SipParseError('SIP_ERR_INTERNAL', `parser fault: ${String(e)}`, 'drop') };
  }
}

function parse(bytes: Buffer, datagram: boolean, maxSize: number | undefined): ParseResult {
  const len = bytes.length;
  // §7.5: CRLFs before the start line are ignored (stream keep-alives, sloppy senders).
  let start = 0;
  while (start + 1 < len && bytes[start] === CR && bytes[start + 1] === LF) start += 2;
  if (start >= len) return { ok: false, error: new SipParseError('SIP_ERR_START_LINE', 'empty message', 'drop') };

  // The header section ends at the first empty line (§7); framing is by octets, never
  // by converting the whole message to a string, so binary bodies stay untouched.
  const headEnd = bytes.indexOf(CRLFCRLF, start);
  const terminated = headEnd >= 0;
  let head = bytes.toString('latin1', start, terminated ? headEnd : len);
  if (!terminated && head.endsWith('\r\n')) head = head.slice(0, -2);

  const lineEnd = head.indexOf('\r\n');
  const startLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const isResponse = startLine.length >= 4 && startLine.slice(0, 4).toUpperCase() === 'SIP/';
  const split = splitHeaders(head, lineEnd < 0 ? head.length : lineEnd + 2);
  const bodyStart = terminated ? headEnd + 4 : len;

  // Everything from here on reports through fail(), which turns a response's defects
  // into 'drop' and attaches to a request what could be split of it (built only then).
  const fail = (error: SipParseError): ParseResult => {
    if (isResponse) {
      return { ok: false, error: error.status === 'drop' ? error : new SipParseError(error.code, error.message, 'drop', error.header) };
    }
    const sp1 = startLine.indexOf(' ');
    if (sp1 <= 0) return { ok: false, error };
    const sp2 = startLine.lastIndexOf(' ');
    const request: SipRequest = {
      kind: 'request',
      method: startLine.slice(0, sp1),
      uri: sp2 > sp1 ? startLine.slice(sp1 + 1, sp2) : startLine.slice(sp1 + 1),
      headers: split.headers,
      body: bytes.subarray(bodyStart),
    };
    return { ok: false, error, request };
  };

  if (maxSize !== undefined && len > maxSize) {
    return fail(new SipParseError('SIP_ERR_TOO_LARGE', `message of ${len} octets exceeds ${maxSize}`, 413));
  }
  if (!terminated) {
    return fail(new SipParseError('SIP_ERR_INCOMPLETE', 'header section not terminated by an empty line', 400));
  }

  try {
    const first = isResponse ? parseStatusLine(startLine) : parseRequestLine(startLine);
    if (split.error !== undefined) throw split.error;
    const fields = collect(split.headers, split.canon);
    const body = frameBody(bytes, bodyStart, fields.contentLength, datagram);
    validate(fields, first.kind === 'request' ? first.method : undefined);
    const message: SipMessage =
      first.kind === 'request'
        ? { kind: 'request', method: first.method, uri: first.uri, headers: split.headers, body }
        : { kind: 'response', status: first.status, reason: first.reason, headers: split.headers, body };
    return { ok: true, message };
  } catch (e) {
    if (e instanceof SipParseError) return fail(e);
    throw e;
  }
}

// ---------------------------------------------------------------------------------
// Start line

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

function startLineError(code: SipErrorCode, what: string, status: number): SipParseError {
  return new SipParseError(code, what, status);
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; the "SIP" compares case-insensitively (§7.1). */
const VERSION = /^SIP\/[0-9]+\.[0-9]+$/i;

function checkVersion(version: string, status: number): void {
  if (!VERSION.test(version)) throw startLineError('SIP_ERR_START_LINE', `malformed SIP-Version "${version.slice(0, 20)}"`, 400);
  if (version.slice(4) !== '2.0') throw startLineError('SIP_ERR_VERSION', `unsupported ${version}`, status);
}

/**
 * Request-Line = Method SP Request-URI SP SIP-Version (§7.1, §25.1): exactly one SP
 * between the elements. RFC 4475 §3.1.2.9/§3.1.2.10 (lwsstart, trws) allow rejecting
 * extra SP with 400; that is what we do, so nothing ambiguous ever reaches a forwarder.
 */
function parseRequestLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) throw startLineError('SIP_ERR_START_LINE', 'request line needs Method SP Request-URI SP SIP-Version', 400);
  const method = line.slice(0, sp1);
  if (!isToken(method)) throw startLineError('SIP_ERR_START_LINE', 'method is not a token', 400);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (uri === '' || version === '' || uri.charCodeAt(0) === 0x20 || uri.charCodeAt(uri.length - 1) === 0x20) {
    throw startLineError('SIP_ERR_START_LINE', 'request line elements must be separated by exactly one SP', 400);
  }
  // §21.5.6: a version other than SIP/2.0 is answered with 505 (RFC 4475 §3.1.2.16 badvers).
  checkVersion(version, 505);
  // Embedded LWS (RFC 4475 §3.1.2.8 lwsruri), '<>' around it (§3.1.2.7 ltgtruri): 400.
  // An unknown scheme parses: 416 is the element's decision (§3.3.2).
  parseUri(uri, 'Request-URI');
  return { kind: 'request', method, uri };
}

/**
 * Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2). The reason may be
 * empty (RFC 4475 noreason) or UTF-8 (unreason); a missing final SP after the code is
 * tolerated since a response is never answered anyway. Defects here are all 'drop'.
 */
function parseStatusLine(line: string): StartLine {
  const sp = line.indexOf(' ');
  if (sp < 0) throw startLineError('SIP_ERR_START_LINE', 'status line without status code', 400);
  checkVersion(line.slice(0, sp), 400);
  const code = line.slice(sp + 1, sp + 4);
  const after = line.charCodeAt(sp + 4);
  if (!/^[0-9]{3}$/.test(code) || (sp + 4 < line.length && after !== 0x20)) {
    throw startLineError('SIP_ERR_STATUS_CODE', `status code is not 3 digits: "${line.slice(sp + 1, sp + 12)}"`, 400);
  }
  const status = Number(code);
  if (status < 100 || status > 699) throw startLineError('SIP_ERR_STATUS_CODE', `status code ${status} outside 100..699`, 400);
  const reason = line.slice(sp + 5);
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) throw startLineError('SIP_ERR_START_LINE', 'control character in reason phrase', 400);
  }
  return { kind: 'response', status, reason };
}

// ---------------------------------------------------------------------------------
// Header lines

interface SplitHeaders {
  headers: Header[];
  /** canonicalName() of each header, computed once. */
  canon: string[];
  /** The first malformed line; the lines that did split are still in `headers`. */
  error?: SipParseError;
}

const BARE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * message-header = field-name HCOLON field-value CRLF, HCOLON = *( SP / HTAB ) ":" SWS;
 * a line starting with SP/HTAB continues the previous one (folding, §7.3.1). Lines that
 * do not split are skipped and the first such error kept.
 */
function splitHeaders(head: string, from: number): SplitHeaders {
  const headers: Header[] = [];
  const canon: string[] = [];
  let error: SipParseError | undefined;
  // Errors are built lazily: only the first is kept, and building one captures a stack.
  const note = (make: () => SipParseError): void => {
    if (error === undefined) error = make();
  };

  // Bare CR or LF inside the header section: CRLF is the only line end (§7). One native
  // scan; the lookarounds are fixed-width, so no backtracking.
  const bare = BARE_CR_OR_LF.exec(head);
  if (bare !== null) {
    const at = bare.index;
    note(() => (at < from ? new SipParseError('SIP_ERR_START_LINE', 'bare CR or LF in the start line', 400) : syntax('header', 'bare CR or LF inside the header section')));
  }

  let lineStart = -1; // start of the current header's first line, -1 while skipping
  let colon = 0;
  let name = '';
  let folded = false;
  let lastEnd = 0;
  const flush = (): void => {
    if (lineStart < 0) return;
    const raw = head.slice(lineStart, lastEnd);
    const value = folded ? unfold(head.slice(colon + 1, lastEnd)) : trimWsp(head.slice(colon + 1, lastEnd));
    headers.push({ name, value, raw });
    canon.push(canonicalName(name));
    lineStart = -1;
  };

  let pos = from;
  let skipping = false;
  while (pos < head.length) {
    let eol = head.indexOf('\r\n', pos);
    if (eol < 0) eol = head.length;
    if (isWsp(head.charCodeAt(pos))) {
      if (lineStart >= 0) {
        folded = true;
        lastEnd = eol;
      } else if (!skipping) {
        note(() => syntax('header', 'continuation line without a header before it'));
      }
    } else {
      flush();
      skipping = false;
      // field-name = token, then *WSP ':'. Scanning (not indexOf(':')) keeps a line
      // without ':' from costing a search through the rest of the section.
      let i = pos;
      while (i < eol && TOKEN_CHAR[head.charCodeAt(i)] === 1) i++;
      const nameEnd = i;
      while (i < eol && isWsp(head.charCodeAt(i))) i++;
      if (nameEnd === pos || i === eol || head.charCodeAt(i) !== 0x3a) {
        note(() => syntax('header', `malformed header line "${head.slice(pos, Math.min(eol, pos + 30))}"`));
        skipping = true;
      } else {
        lineStart = pos;
        colon = i;
        name = head.slice(pos, nameEnd);
        folded = false;
        lastEnd = eol;
      }
    }
    pos = eol + 2;
  }
  flush();
  return error === undefined ? { headers, canon } : { headers, canon, error };
}

/** Value of a folded header: each CRLF with the WSP around it becomes one SP (§7.3.1). */
function unfold(text: string): string {
  const parts = text.split('\r\n');
  let out = '';
  for (const p of parts) {
    const t = trimWsp(p);
    if (t === '') continue;
    out = out === '' ? t : `${out} ${t}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Validation (§8.1.1 mandatory headers, §8.2.2 what a UAS checks before anything else)

interface Fields {
  via: string[];
  from: string[];
  to: string[];
  callId: string[];
  cseq: string[];
  maxForwards: string[];
  contact: string[];
  contentLength: string[];
}

function collect(headers: Header[], canon: string[]): Fields {
  const f: Fields = { via: [], from: [], to: [], callId: [], cseq: [], maxForwards: [], contact: [], contentLength: [] };
  for (let i = 0; i < headers.length; i++) {
    const value = headers[i]!.value;
    switch (canon[i]) {
      case 'via':
        f.via.push(value);
        break;
      case 'from':
        f.from.push(value);
        break;
      case 'to':
        f.to.push(value);
        break;
      case 'call-id':
        f.callId.push(value);
        break;
      case 'cseq':
        f.cseq.push(value);
        break;
      case 'max-forwards':
        f.maxForwards.push(value);
        break;
      case 'contact':
        f.contact.push(value);
        break;
      case 'content-length':
        f.contentLength.push(value);
        break;
      default:
        break;
    }
  }
  return f;
}

/**
 * The body per Content-Length (§18.3, §20.14). Datagram: absent → the rest; larger
 * than what arrived → 400 (RFC 4475 clerr); smaller → the extra octets are ignored
 * (dblreq). Stream: mandatory and exact, the framer has cut the message by it.
 */
function frameBody(bytes: Buffer, bodyStart: number, values: string[], datagram: boolean): Buffer {
  if (values.length > 1) {
    // RFC 4475 §3.3.9 (mcl01): no way to know which one frames the body.
    throw new SipParseError('SIP_ERR_HEADER_MULTIPLE', 'more than one Content-Length header', 400, 'Content-Length');
  }
  const remaining = bytes.length - bodyStart;
  if (values.length === 0) {
    if (!datagram) throw new SipParseError('SIP_ERR_CONTENT_LENGTH', 'Content-Length is mandatory on stream transports (§18.3)', 400, 'Content-Length');
    return bytes.subarray(bodyStart);
  }
  const n = parseContentLength(values[0]!); // negative or garbage: 400 (RFC 4475 ncl)
  if (n > remaining) {
    throw new SipParseError('SIP_ERR_CONTENT_LENGTH', `Content-Length ${values[0]!.slice(0, 20)} exceeds the ${remaining} body octets received`, 400, 'Content-Length');
  }
  if (!datagram && n < remaining) {
    throw new SipParseError('SIP_ERR_CONTENT_LENGTH', `Content-Length ${n} but ${remaining} body octets framed`, 400, 'Content-Length');
  }
  return bytes.subarray(bodyStart, bodyStart + n);
}

function validate(f: Fields, method: string | undefined): void {
  // §8.1.1: To, From, CSeq, Call-ID, Via are mandatory; Max-Forwards too, but RFC 2543
  // requests lack it and RFC 4475 §3.4.1 (inv2543) must be accepted.
  const missing: string[] = [];
  if (f.via.length === 0) missing.push('Via');
  if (f.from.length === 0) missing.push('From');
  if (f.to.length === 0) missing.push('To');
  if (f.callId.length === 0) missing.push('Call-ID');
  if (f.cseq.length === 0) missing.push('CSeq');
  if (missing.length > 0) {
    throw new SipParseError('SIP_ERR_HEADER_MISSING', `missing mandatory header(s): ${missing.join(', ')}`, 400, missing[0]);
  }
  // RFC 4475 §3.3.8 (multi01): single-valued headers repeated.
  const single: Array<[string[], string]> = [
    [f.from, 'From'],
    [f.to, 'To'],
    [f.callId, 'Call-ID'],
    [f.cseq, 'CSeq'],
  ];
  if (method !== undefined) single.push([f.maxForwards, 'Max-Forwards']);
  for (const [values, label] of single) {
    if (values.length > 1) throw new SipParseError('SIP_ERR_HEADER_MULTIPLE', `more than one ${label} header`, 400, label);
  }

  for (const value of f.via) {
    for (const v of splitList(value)) {
      if (v === '') throw syntax('Via', 'empty value'); // RFC 4475 §3.1.2.1 badinv01
      parseVia(v);
    }
  }
  parseNameAddr(f.from[0]!, 'From');
  parseNameAddr(f.to[0]!, 'To');
  parseCallId(f.callId[0]!);
  const cseq = parseCSeq(f.cseq[0]!); // RFC 4475 §3.1.2.4 scalar02: > 2**32-1 → 400
  if (method !== undefined) {
    // §20.16 and RFC 4475 §3.1.2.17/18 (mismatch01/02): the CSeq method must be the request's.
    if (cseq.method !== method) {
      throw new SipParseError('SIP_ERR_CSEQ', `CSeq method ${cseq.method} does not match ${method}`, 400, 'CSeq');
    }
    if (f.maxForwards.length === 1) parseMaxForwards(f.maxForwards[0]!);
  }
  if (f.contact.length > 0) {
    const values: string[] = [];
    for (const value of f.contact) values.push(...splitList(value));
    parseContacts(values);
  }
}
