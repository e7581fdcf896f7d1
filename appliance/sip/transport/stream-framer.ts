import { SipParseError } from '../message/errors';
import { isWsp, TOKEN_CHAR, trimWsp } from '../message/lexical';

/**
 * Message framing on TCP/TLS (RFC 3261 §18.3): find the end of the header section, read
 * Content-Length, wait for that many body octets, hand over exactly one message's bytes.
 * It does not parse messages (parseMessage does, with datagram: false); it only reads
 * what framing needs, by octets, so binary bodies pass untouched.
 *
 * Between messages, CRLFs are keep-alives (RFC 5626 §3.5.1): CRLFCRLF is a ping (the
 * transport answers with a CRLF pong); a single CRLF is a pong or stray line end (§7.5
 * says to ignore it) and is reported as 'pong' for the transport to ignore.
 *
 * Memory is bounded: at most maxHeaderBytes while a header section is incomplete, at
 * most maxMessageBytes once its size is known. A framing error is unrecoverable (the
 * next message's start cannot be found), so every error event asks to close.
 */
export type FrameEvent =
  | { type: 'message'; bytes: Buffer }
  | { type: 'ping' }
  | { type: 'pong' }
  | {
      type: 'error';
      error: SipParseError;
      close: boolean;
      /**
       * The complete header section when the error was found after it (bad or missing
       * Content-Length, message too large): enough for parseMessage to recover the
       * request so that a 400/413 can be sent before closing.
       */
      head?: Buffer;
    };

export interface StreamFramerOptions {
  /** Largest header section (start line through the empty line). */
  maxHeaderBytes: number;
  /** Largest message, header section plus body. */
  maxMessageBytes: number;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** A header buffer that grew beyond this is released after use rather than kept. */
const KEEP_HEAD_CAPACITY = 4096;

export class StreamFramer {
  private readonly maxHeaderBytes: number;
  private readonly maxMessageBytes: number;
  /** Keep-alive octets seen at a message boundary: 0 none, 1 CR, 2 CRLF, 3 CRLF CR. */
  private keepAlive = 0;
  /** Start of a message whose header section has not ended yet. */
  private head: Buffer | undefined;
  private headUsed = 0;
  /** A message whose size is known, being filled with its body. */
  private message: Buffer | undefined;
  private messageUsed = 0;
  private closed = false;

  constructor(opts: StreamFramerOptions) {
    const { maxHeaderBytes, maxMessageBytes } = opts;
    if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 16) throw new RangeError(`maxHeaderBytes ${maxHeaderBytes} too small`);
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < maxHeaderBytes) {
      throw new RangeError(`maxMessageBytes ${maxMessageBytes} must be at least maxHeaderBytes ${maxHeaderBytes}`);
    }
    this.maxHeaderBytes = maxHeaderBytes;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Octets held for an incomplete message (never above maxMessageBytes). */
  get bufferedBytes(): number {
    return this.headUsed + this.messageUsed;
  }

  /** True after an error: the stream cannot be framed any more and push() ignores input. */
  get failed(): boolean {
    return this.closed;
  }

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    const n = chunk.length;
    let off = 0;
    while (!this.closed) {
      if (this.message !== undefined) {
        // Body phase: copy what is needed, no more.
        const take = Math.min(this.message.length - this.messageUsed, n - off);
        chunk.copy(this.message, this.messageUsed, off, off + take);
        this.messageUsed += take;
        off += take;
        if (this.messageUsed < this.message.length) break;
        events.push({ type: 'message', bytes: this.message });
        this.message = undefined;
        this.messageUsed = 0;
        continue;
      }
      if (off >= n) break;

      if (this.headUsed === 0) {
        // At a message boundary.
        const c = chunk[off]!;
        if (this.keepAlive === 0) {
          if (c === CR) {
            this.keepAlive = 1;
            off++;
            continue;
          }
        } else if (this.keepAlive === 1) {
          if (c === LF) {
            this.keepAlive = 2;
            off++;
            continue;
          }
          // CR without LF: not a keep-alive; it starts a (malformed) message.
          this.keepAlive = 0;
          this.appendHead(Buffer.of(CR), 0, 1);
          continue;
        } else if (this.keepAlive === 2) {
          if (c === CR) {
            this.keepAlive = 3;
            off++;
            continue;
          }
          // A lone CRLF before a start line (§7.5): skipped, reported as a pong.
          this.keepAlive = 0;
          events.push({ type: 'pong' });
        } else {
          this.keepAlive = 0;
          if (c === LF) {
            events.push({ type: 'ping' });
            off++;
            continue;
          }
          events.push({ type: 'pong' });
          this.appendHead(Buffer.of(CR), 0, 1);
          continue;
        }

        // Fast path: the whole header section is in this chunk.
        const idx = chunk.indexOf(CRLFCRLF, off);
        const headerLen = idx + 4 - off;
        if (idx >= 0 && headerLen <= this.maxHeaderBytes) {
          const size = this.messageSize(chunk.subarray(off, off + headerLen), events);
          if (size === undefined) break;
          if (n - off >= size) {
            // Complete in this chunk: hand out a view, no copy.
            events.push({ type: 'message', bytes: chunk.subarray(off, off + size) });
            off += size;
          } else {
            this.message = Buffer.allocUnsafe(size);
            this.messageUsed = chunk.copy(this.message, 0, off, n);
            off = n;
          }
          continue;
        }
        if (idx >= 0 || n - off >= this.maxHeaderBytes) {
          this.fail(events, this.headerTooLarge(chunk, off));
          break;
        }
        this.appendHead(chunk, off, n);
        off = n;
        break;
      }

      // A header section spread over several chunks.
      const previous = this.headUsed;
      const take = Math.min(this.maxHeaderBytes - previous, n - off);
      this.appendHead(chunk, off, off + take);
      const head = this.head!.subarray(0, this.headUsed);
      const idx = head.indexOf(CRLFCRLF, Math.max(0, previous - 3));
      if (idx >= 0) {
        const headerLen = idx + 4;
        off += headerLen - previous;
        const section = head.subarray(0, headerLen);
        const size = this.messageSize(section, events);
        if (size === undefined) break;
        this.message = Buffer.allocUnsafe(size);
        this.messageUsed = section.copy(this.message, 0);
        this.releaseHead();
        continue;
      }
      off += take;
      if (this.headUsed >= this.maxHeaderBytes) {
        this.fail(events, this.headerTooLarge(head, 0));
        break;
      }
    }
    return events;
  }

  private appendHead(src: Buffer, from: number, to: number): void {
    const need = this.headUsed + (to - from);
    if (this.head === undefined || this.head.length < need) {
      let capacity = Math.max(this.head?.length ?? 0, 256);
      while (capacity < need) capacity *= 2;
      const grown = Buffer.allocUnsafe(Math.min(capacity, Math.max(need, this.maxHeaderBytes)));
      if (this.head !== undefined) this.head.copy(grown, 0, 0, this.headUsed);
      this.head = grown;
    }
    this.headUsed += src.copy(this.head, this.headUsed, from, to);
  }

  private releaseHead(): void {
    this.headUsed = 0;
    if (this.head !== undefined && this.head.length > KEEP_HEAD_CAPACITY) this.head = undefined;
  }

  private fail(events: FrameEvent[], event: FrameEvent): void {
    events.push(event);
    this.closed = true;
    this.head = undefined;
    this.headUsed = 0;
    this.message = undefined;
    this.messageUsed = 0;
  }

  private headerTooLarge(bytes: Buffer, from: number): FrameEvent {
    const status = isResponse(bytes, from) ? 'drop' : 413;
    const error = new SipParseError('SIP_ERR_TOO_LARGE', `header section exceeds ${this.maxHeaderBytes} octets`, status);
    return { type: 'error', error, close: true };
  }

  /**
   * Size of the whole message whose header section (empty line included) is `section`,
   * or undefined after pushing an error: Content-Length missing, repeated or malformed
   * (400, RFC 4475 ncl, mcl01; §18.3 makes it mandatory on streams), or too large (413).
   */
  private messageSize(section: Buffer, events: FrameEvent[]): number | undefined {
    const response = isResponse(section, 0);
    const reject = (code: 'SIP_ERR_CONTENT_LENGTH' | 'SIP_ERR_HEADER_MULTIPLE' | 'SIP_ERR_TOO_LARGE', what: string, status: number): undefined => {
      const error = new SipParseError(code, what, response ? 'drop' : status, 'Content-Length');
      this.fail(events, { type: 'error', error, close: true, head: Buffer.from(section) });
      return undefined;
    };
    const found = contentLengthValues(section.toString('latin1'));
    if (found.length === 0) return reject('SIP_ERR_CONTENT_LENGTH', 'no Content-Length on a stream transport (§18.3)', 400);
    if (found.length > 1) return reject('SIP_ERR_HEADER_MULTIPLE', 'more than one Content-Length header', 400);
    const value = found[0]!;
    if (!/^[0-9]+$/.test(value)) return reject('SIP_ERR_CONTENT_LENGTH', `Content-Length is not a non-negative number: "${value.slice(0, 20)}"`, 400);
    // Digits beyond what a message could ever hold need no exact value.
    const length = value.length > 15 ? Number.POSITIVE_INFINITY : Number(value);
    const size = section.length + length;
    if (size > this.maxMessageBytes) return reject('SIP_ERR_TOO_LARGE', `message of ${size} octets exceeds ${this.maxMessageBytes}`, 413);
    return size;
  }
}

function isResponse(bytes: Buffer, from: number): boolean {
  // "SIP/" in any case: no method can contain '/', so only a status line starts so.
  return (
    bytes.length - from >= 4 &&
    (bytes[from]! | 0x20) === 0x73 &&
    (bytes[from + 1]! | 0x20) === 0x69 &&
    (bytes[from + 2]! | 0x20) === 0x70 &&
    bytes[from + 3] === 0x2f
  );
}

/**
 * Values of every Content-Length header (long or compact `l`, any case, LWS allowed
 * before ':', folding unfolded) in a header section ending with CRLFCRLF. Names are read
 * by scanning token characters, so a line without ':' costs only its own length.
 */
function contentLengthValues(text: string): string[] {
  const values: string[] = [];
  let current: string | undefined; // value of a Content-Length still open to continuation lines
  const close = (): void => {
    if (current !== undefined) values.push(trimWsp(current));
    current = undefined;
  };
  let pos = text.indexOf('\r\n') + 2; // past the start line
  const end = text.length - 2; // the empty line's CRLF
  while (pos < end) {
    const eol = text.indexOf('\r\n', pos);
    const c = text.charCodeAt(pos);
    if (isWsp(c)) {
      if (current !== undefined) current += ` ${text.slice(pos, eol)}`;
    } else {
      close();
      let i = pos;
      while (i < eol && TOKEN_CHAR[text.charCodeAt(i)] === 1) i++;
      const nameLength = i - pos;
      while (i < eol && isWsp(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 0x3a /* : */ && (nameLength === 1 || nameLength === 14)) {
        const name = text.slice(pos, pos + nameLength).toLowerCase();
        if (name === 'l' || name === 'content-length') current = text.slice(i + 1, eol);
      }
    }
    pos = eol + 2;
  }
  close();
  return values;
}
