import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArtifact } from '../src/artifacts/write.js';

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
