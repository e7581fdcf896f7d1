/**
 * Call detail records as CSV (RFC 4180): a header row, one row per record, CRLF line
 * ends, fields quoted when they hold a comma, a double quote, CR or LF (quotes doubled).
 *
 * Names and Call-IDs come from the network, and the file is meant for spreadsheets:
 * a text field that a spreadsheet would run as a formula gets a leading apostrophe
 * (CSV injection). That is a field starting with `=`, `@`, TAB or CR, or with `+` / `-`
 * unless it reads as a number (`+4930123456`, `-1`, `+49 (30) 123-45`): a letter or any
 * other sign after the `+` / `-` makes it text.
 */
import type { CallRecord, ForwardHop } from './record';

export const CSV_COLUMNS = [
  'id',
  'call_id',
  'caller',
  'caller_name',
  'callee',
  'answered_by',
  'forwarded',
  'route',
  'start',
  'answer',
  'end',
  'duration_s',
  'disposition',
  'sip_code',
  'ended_by',
] as const;

/** The forwarding chain in one field: "101>102:busy;102>103:no-answer". */
export function forwardedField(hops: readonly ForwardHop[]): string {
  return hops.map((h) => `${h.from}>${h.to}:${h.reason}`).join(';');
}

/** Neutralises a text field a spreadsheet would evaluate as a formula. */
export function defuseFormula(field: string): string {
  const c = field.charAt(0);
  if (c === '=' || c === '@' || c === '\t' || c === '\r') return `'${field}`;
  if ((c === '+' || c === '-') && !/^[+-]\d[\d .()-]*$/.test(field)) return `'${field}`;
  return field;
}

/** One field, RFC 4180 quoted when needed (records read back from disk are not trusted to be well typed). */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const text = typeof v === 'number' ? String(v) : defuseFormula(typeof v === 'string' ? v : JSON.stringify(v));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(fields: unknown[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function cdrToCsv(records: readonly CallRecord[]): string {
  let out = row([...CSV_COLUMNS]);
  for (const r of records) {
    out += row([
      r.id,
      r.callId,
      r.caller,
      r.callerName,
      r.callee,
      r.answeredBy,
      Array.isArray(r.forwarded) ? forwardedField(r.forwarded) : '',
      r.route,
      r.start,
      r.answer,
      r.end,
      r.durationSeconds,
      r.disposition,
      r.sipCode,
      r.endedBy,
    ]);
  }
  return out;
}
