import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArtifact, writeChunksAtomicIfChanged } from '../src/artifacts/write.js';

test('an artifact that cannot be written whole leaves the previous one intact and no temporary file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-atomic-'));
  try {
    writeArtifact(dir, 'manifest.json', { version: 1 });
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), { version: 1 });
    // A value JSON cannot write fails while serialising, before any byte reaches the folder.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => writeArtifact(dir, 'manifest.json', cyclic));
    // A rename that cannot happen (the target is a folder) fails after writing: the old one stays too.
    mkdirSync(join(dir, 'run_results.json'));
    writeFileSync(join(dir, 'run_results.json', 'keep'), 'x');
    assert.throws(() => writeArtifact(dir, 'run_results.json', { ok: true }));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), { version: 1 });
    assert.deepEqual(readdirSync(dir).sort(), ['manifest.json', 'run_results.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chunks written only if they differ from the file: the same bytes leave it alone, any difference writes them all', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-atomic-'));
  const file = join(dir, 'cache.bin');
  const ino = () => statSync(file).ino;
  try {
    assert.equal(writeChunksAtomicIfChanged(file, ['ab', 'cd', Buffer.from('ef')]), true);
    assert.equal(readFileSync(file, 'utf8'), 'abcdef');
    const first = ino();
    // Cut differently, the same bytes.
    assert.equal(writeChunksAtomicIfChanged(file, ['a', Buffer.from('bcde'), 'f']), false);
    assert.equal(ino(), first);
    const cases: Array<[string, Array<string | Uint8Array>, string]> = [
      ['a chunk in the middle differs', ['ab', 'Xd', 'ef'], 'abXdef'],
      ['shorter', ['ab', 'Xd'], 'abXd'],
      ['a prefix of the file', ['ab'], 'ab'],
      ['longer', ['ab', 'cdef'], 'abcdef'],
      ['past the end in one chunk', ['abcdefgh'], 'abcdefgh'],
      ['text beyond ASCII', ['abc', 'd\u00e9f'], 'abcd\u00e9f'],
    ];
    for (const [what, chunks, text] of cases) {
      assert.equal(writeChunksAtomicIfChanged(file, chunks), true, what);
      assert.equal(readFileSync(file, 'utf8'), text, what);
    }
    assert.deepEqual(readdirSync(dir), ['cache.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
