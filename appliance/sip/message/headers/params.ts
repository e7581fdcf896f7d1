import { SipParseError } from '../errors';

/**
 * Generic parameters: `*( SEMI generic-param )`, generic-param = token [ EQUAL gen-value ],
 * gen-value = token / host / quoted-string (RFC 3261 §25.1). LWS around ';' and '='
 * is allowed. Names are kept lower-cased (they compare case-insensitively); values
 * keep their case and quoted values keep their quotes, so serialising is lossless.
 */
export type Params = Map<string, string | null>;

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** Characters a gen-value may hold unquoted: token chars plus IPv6 reference syntax. */
const GEN_VALUE = /^[A-Za-z0-9\-.!%*_+`'~:[\]]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * Parse `;a=b;c` (the leading ';' included) from `text`. `header` names the header for
 * error messages. Empty parameters (`;;`) are a syntax error.
 */
export function parseParams(text: string, header: string): Params {
  const params: Params = new Map();
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skipWs();
  while (i < n) {
    if (text[i] !== ';') throw syntax(header, `expected ';' before parameter at "${text.slice(i, i + 20)}"`);
    i++;
    skipWs();
    const nameStart = i;
    while (i < n && !isStop(text.charCodeAt(i), true)) i++;
    const name = text.slice(nameStart, i);
    if (!isToken(name)) throw syntax(header, `bad parameter name "${name}"`);
    skipWs();
    let value: string | null = null;
    if (text[i] === '=') {
      i++;
      skipWs();
      if (text[i] === '"') {
        const end = quotedEnd(text, i, header);
        value = text.slice(i, end);
        i = end;
      } else {
        const valueStart = i;
        while (i < n && !isStop(text.charCodeAt(i), false)) i++;
        value = text.slice(valueStart, i);
        if (!GEN_VALUE.test(value)) throw syntax(header, `bad value for parameter "${name}"`);
      }
      skipWs();
    }
    params.set(name.toLowerCase(), value);
  }
  return params;
}

/** SP, HTAB, ';', ',' (and '=' inside a name) end a parameter name or value. */
function isStop(c: number, inName: boolean): boolean {
  return c === 0x20 || c === 0x09 || c === 0x3b || c === 0x2c || (inName && c === 0x3d);
}

/** Index just past the closing quote of the quoted string starting at `start`. */
export function quotedEnd(text: string, start: number, header: string): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
  }
  throw syntax(header, 'unterminated quoted string');
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Remove surrounding quotes and backslash escapes of a quoted-string. */
export function unquote(value: string): string {
  if (value.length < 2 || value[0] !== '"' || value[value.length - 1] !== '"') return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

export function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

export function syntax(header: string, what: string): SipParseError {
  return new SipParseError('SIP_ERR_HEADER_SYNTAX', `${header}: ${what}`, 400, header);
}
