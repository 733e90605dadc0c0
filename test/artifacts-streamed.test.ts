/**
 * A streamed artifact (manifest.json) is written as JSON.stringify would write it, with each RawJson value's byte
 * offsets as it lands in the file, and its many small plain entries (parent_map, child_map) handed to the writer in
 * blocks, not one chunk each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonChunks, materialize, RawJson, StreamedObject, writeStreamedArtifact } from '../src/artifacts/write.js';

function project(places: Map<string, [number, number]>): StreamedObject {
  const ids = Array.from({ length: 20_000 }, (_, i) => `model.p.m_${i}${i % 97 === 0 ? '_é€' : ''}`);
  const nodes = new StreamedObject(function* () {
    for (const [i, id] of ids.entries()) {
      if (i % 1000 === 0)
        yield [id, new RawJson([`{"name":${JSON.stringify(`n ${i} ü`)}}`], (s, e) => places.set(id, [s, e]))];
      else yield [id, { name: `n ${i}` }];
    }
  });
  const parentMap = new StreamedObject(function* () {
    for (const [i, id] of ids.entries()) yield [id, i ? [ids[i - 1]] : []];
  });
  return new StreamedObject(() => [
    ['metadata', { note: 'ä' }],
    ['nodes', nodes],
    ['skipped', undefined],
    ['parent_map', parentMap],
    ['empty', new StreamedObject(() => [])],
  ]);
}

test('a streamed artifact is the JSON of its data, and each raw value lies at the offsets it heard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-streamed-'));
  try {
    const places = new Map<string, [number, number]>();
    const file = writeStreamedArtifact(dir, 'manifest.json', project(places));
    const bytes = readFileSync(file);
    assert.equal(bytes.toString(), JSON.stringify(materialize(project(new Map()))));
    assert.equal(places.size, 20);
    for (const [id, [start, end]] of places) {
      const entry = JSON.parse(bytes.subarray(start, end).toString()) as { name: string };
      assert.match(entry.name, /^n \d+ ü$/);
      assert.ok(
        bytes
          .subarray(0, start)
          .toString()
          .endsWith(`${JSON.stringify(id)}:`),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an artifact's small plain entries reach the writer in blocks, not one chunk each", () => {
  let chunks = 0;
  for (const _ of jsonChunks(project(new Map()), [], { bytes: 0 })) chunks++;
  // 40,000 entries: about one chunk per block of them, and two around each of the 20 raw values.
  assert.ok(chunks < 200, `${chunks} chunks`);
});
