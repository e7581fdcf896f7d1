import { SipParseError } from '../errors';
import { getHeaderValues, type SipMessage } from '../message';

export interface CSeq {
  seq: number;
  method: string;
}

const CSEQ = /^([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/;

/**
 * CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). The number must fit 32 bits: §8.1.1.5 asks
 * senders to stay below 2**31, receivers reject only above 2**32-1 (RFC 4475 §3.1.2.4).
 */
export function parseCSeq(value: string): CSeq {
  const m = CSEQ.exec(value.trim());
  if (!m) throw new SipParseError('SIP_ERR_CSEQ', `CSeq: malformed "${value.slice(0, 40)}"`, 400, 'CSeq');
  const seq = Number(m[1]);
  if (seq > 0xffffffff) throw new SipParseError('SIP_ERR_CSEQ', `CSeq: ${m[1]} exceeds 2**32-1`, 400, 'CSeq');
  return { seq, method: m[2]! };
}

export function cseqOf(msg: SipMessage): CSeq {
  const values = getHeaderValues(msg, 'cseq');
  if (values.length === 0) throw new SipParseError('SIP_ERR_HEADER_MISSING', 'no CSeq header', 400, 'CSeq');
  if (values.length > 1) throw new SipParseError('SIP_ERR_HEADER_MULTIPLE', 'more than one CSeq header', 400, 'CSeq');
  return parseCSeq(values[0]!);
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
