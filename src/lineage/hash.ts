/** A fast string hash for change detection (fingerprints, cache keys); not for security. */

/**
 * A 64-bit-wide string hash (two 32-bit FNV-1a lanes with different seeds), as 16 hex digits: a change detector, not a
 * security measure.
 */
export function hash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
