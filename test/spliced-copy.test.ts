import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteAt, splicedCopy, type Splice } from '../src/artifacts/spliced-copy.js';

/** The text with the splices applied, as a plain reading would make it. */
const spliced = (text: Buffer, splices: Splice[]) => {
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of splices) {
    parts.push(text.subarray(at, s.start), Buffer.from(s.text));
    at = s.start + s.length;
  }
  parts.push(text.subarray(at));
  return Buffer.concat(parts);
};

function withFile(bytes: Buffer, body: (file: string, fd: number, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-spliced-'));
  const file = join(dir, 'manifest.json');
  writeFileSync(file, bytes);
  const fd = openSync(file, 'r');
  try {
    body(file, fd, dir);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a spliced copy is the file with its ranges replaced, across buffer boundaries, and replaces it once committed', () => {
  // Larger than the copy's buffer of a megabyte, with multi-byte characters in and around the splices.
  const text = Buffer.from('{"é":' + 'abcdefghij'.repeat(300_000) + '}');
  const cases: Splice[][] = [
    [],
    [{ start: 0, length: 1, text: '[' }],
    [{ start: text.length - 1, length: 1, text: 'ü}' }],
    [
      { start: 1, length: 4, text: '"a"' },
      { start: (1 << 20) - 2, length: 5, text: 'ÄÖÜ'.repeat(1000) },
      { start: (1 << 20) + 3, length: 0, text: 'inserted' },
      { start: 2_500_000, length: 100_000, text: '' },
    ],
    // A text longer than the buffer itself.
    [{ start: 10, length: 10, text: 'x'.repeat((1 << 20) + 7) }],
  ];
  for (const splices of cases)
    withFile(text, (file, fd, dir) => {
      const copy = splicedCopy(file, fd, splices)!;
      assert.ok(copy);
      assert.deepEqual(readFileSync(file), text, 'the file as it was until committed');
      copy.commit();
      assert.deepEqual(readFileSync(file), spliced(text, splices));
      assert.deepEqual(readdirSync(dir), ['manifest.json']);
    });
});

test('a spliced copy discarded, or of splices the file cannot hold, leaves the file and nothing else', () => {
  const text = Buffer.from('{"a":1,"b":2}');
  withFile(text, (file, fd, dir) => {
    splicedCopy(file, fd, [{ start: 5, length: 1, text: '3' }])!.discard();
    const refused: Splice[][] = [
      [{ start: 10, length: 10, text: 'x' }],
      [{ start: 20, length: 1, text: 'x' }],
      [
        { start: 5, length: 3, text: 'x' },
        { start: 6, length: 1, text: 'y' },
      ],
    ];
    for (const splices of refused) assert.equal(splicedCopy(file, fd, splices), undefined);
    assert.deepEqual(readFileSync(file), text);
    assert.deepEqual(readdirSync(dir), ['manifest.json']);
    assert.equal(byteAt(fd, 0), 0x7b);
    assert.equal(byteAt(fd, text.length), undefined);
  });
});
