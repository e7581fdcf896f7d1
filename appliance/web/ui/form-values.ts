/** Turning what was typed into the values the API expects (the API validates them). */

/** A list typed as text: one item per line, space or comma, blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * "20" → 20. Anything else is sent as typed, so the server's message for that field
 * ("must be an integer from 5 to 300") appears next to it instead of a guess here.
 */
export function numberOrText(text: string): number | string {
  const s = text.trim();
  return /^-?\d+$/.test(s) ? Number(s) : s;
}
