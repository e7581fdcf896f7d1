import { randomBytes } from 'node:crypto';

/** No 0/O/o, 1/l/I: a generated password is read off a console and typed by a person. */
export const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const GROUPS = 4;
const GROUP_LENGTH = 5;

/**
 * A random password of 20 characters from PASSWORD_ALPHABET (about 115 bits), in groups
 * of five joined by dashes so that it can be read out and typed: `Xk7pM-…`. Used for
 * the first web admin password (edgesipd) and `edgesip admin passwd --generate`.
 */
export function generatePassword(): string {
  const n = PASSWORD_ALPHABET.length;
  // Bytes at or above the largest multiple of n would favour the first letters: skipped.
  const limit = 256 - (256 % n);
  const chars: string[] = [];
  while (chars.length < GROUPS * GROUP_LENGTH) {
    for (const b of randomBytes(32)) {
      if (b < limit && chars.length < GROUPS * GROUP_LENGTH) chars.push(PASSWORD_ALPHABET[b % n] as string);
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < GROUPS; i++) groups.push(chars.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}
