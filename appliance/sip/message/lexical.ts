/**
 * Character-level helpers of the RFC 3261 §25.1 grammar that the parser and the stream
 * framer both scan header sections with.
 */

/**
 * token characters (§25.1): alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
 * Indexed by char code (latin1 text): 1 for a token character, 0 otherwise.
 */
export const TOKEN_CHAR: Readonly<Uint8Array> = (() => {
  const table = new Uint8Array(256);
  for (const c of "-.!%*_+`'~") table[c.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  return table;
})();

/** WSP = SP / HTAB. */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Trim SP/HTAB at both ends. By hand: a regex like /[ \t]+$/ is quadratic on long runs
 * of blanks, and String.prototype.trim() also strips U+00A0, which in latin1 text is the
 * octet 0xA0 and may end a UTF-8 sequence.
 */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
