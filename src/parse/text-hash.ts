/**
 * SHA-256 of a text, in hex: the checksums manifest.json gives files, the partial parse cache's text hashes and the
 * compiled SQL cache's keys. Node's one-shot `crypto.hash` costs a fraction of a `createHash` object per call (tens of
 * thousands of calls in a cold compile of 10,000 models), and a SQL file's text is hashed twice in a row (its parse's
 * cache entry, then its node's checksum), so the last text's digest is kept: the same text, the same digest.
 */
import { hash } from 'node:crypto';

let lastText: string | undefined;
let lastDigest = '';

export function sha256Hex(text: string): string {
  if (text !== lastText) {
    lastDigest = hash('sha256', text, 'hex');
    lastText = text;
  }
  return lastDigest;
}
