/**
 * The one SHA-256 of texts that checksums, the partial parse cache and compiled SQL keys use: Node's hex digest of the
 * text as UTF-8, whatever came before it (it keeps the last text's digest).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../src/parse/text-hash.js';

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('sha256Hex is the SHA-256 of the text as UTF-8, called again with the same, an equal or another text', () => {
  const texts = ['', 'select 1', 'select 1', "select 'é' -- ✓\n", 'select 2', ['select', '1'].join(' '), 'select 1'];
  for (const text of [...texts, ...texts.reverse()]) assert.equal(sha256Hex(text), reference(text), text);
  assert.notEqual(sha256Hex('a'), sha256Hex('b'));
});
