import { SipParseError } from '../errors';
import { getHeaderValues, type SipMessage } from '../message';
import { formatParams, parseParams, syntax, type Params } from './params';

/** One Via value (RFC 3261 §20.42, §25.1; rport per RFC 3581). */
export interface Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS… */
  transport: string;
  /** Host as written; IPv6 references keep their brackets. */
  host: string;
  port?: number;
  params: Params;
}

const SENT_PROTOCOL = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:[ \t]*:[ \t]*([0-9]{1,5}))?/;

export function parseVia(value: string): Via {
  const proto = SENT_PROTOCOL.exec(value);
  if (!proto) throw syntax('Via', `bad sent-protocol in "${value.slice(0, 40)}"`);
  const [, name, version, transport] = proto as unknown as [string, string, string, string];
  const rest = value.slice(proto[0].length);
  const host = HOST.exec(rest);
  if (!host) throw syntax('Via', 'bad sent-by host');
  const port = host[2] === undefined ? undefined : Number(host[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw syntax('Via', `port ${port} out of range`);
  const params = parseParams(rest.slice(host[0].length), 'Via');
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport: transport.toUpperCase(), host: host[1]!, params };
  if (port !== undefined) via.port = port;
  if (via.protocol !== 'SIP/2.0') {
    throw new SipParseError('SIP_ERR_VERSION', `Via: unsupported protocol ${via.protocol}`, 505, 'Via');
  }
  return via;
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

/** All Via values of a message, top first. Throws SipParseError on any malformed one. */
export function vias(msg: SipMessage): Via[] {
  return getHeaderValues(msg, 'via').map((v) => {
    if (v === '') throw syntax('Via', 'empty value');
    return parseVia(v);
  });
}

export function topVia(msg: SipMessage): Via {
  const first = getHeaderValues(msg, 'via')[0];
  if (first === undefined) throw new SipParseError('SIP_ERR_HEADER_MISSING', 'no Via header', 400, 'Via');
  return parseVia(first);
}

/** The §17 magic cookie: branches that start with it are RFC 3261 transaction ids. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function branchOf(via: Via): string | undefined {
  const b = via.params.get('branch');
  return b === null ? undefined : b;
}

/** `host:port` with the default port filled in, for transaction matching (§17.2.3). */
export function sentBy(via: Via): string {
  const defaultPort = via.transport === 'TLS' ? 5061 : 5060;
  return `${via.host.toLowerCase()}:${via.port ?? defaultPort}`;
}
