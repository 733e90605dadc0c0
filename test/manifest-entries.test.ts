/**
 * The records of manifest.json's node entries (src/artifacts/manifest-entries.ts): each entry's place as the writer
 * put it, and a hash only where an entry could be copied from the file later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ManifestEntries,
  entryHash,
  entryStarts,
  parsedPlace,
  placeText,
  type ManifestFile,
} from '../src/artifacts/manifest-entries.js';
import { StreamedObject, writeStreamedArtifact } from '../src/artifacts/write.js';
import type { PartialParse } from '../src/parse/partial-cache.js';

/** A cache that remembers no last manifest.json and keeps what is recorded. */
function recordingCache() {
  const recorded: { places?: Map<string, string>; file?: ManifestFile } = {};
  const cache = {
    hasManifestEntries: () => false,
    previousManifestEntry: () => undefined,
    previousRecord: () => undefined,
    previousManifestEntryLengths: () => true,
    stampOf: () => ({ same: 'stamp', text: 'stamp trusted' }),
    recordManifest: (places: Map<string, string>, file: ManifestFile) => Object.assign(recorded, { places, file }),
  } as unknown as PartialParse;
  return { cache, recorded };
}

test('a place without a key is recorded without a hash, and reads back so', () => {
  assert.equal(placeText({ length: 12, hash: null, key: null }), '12 - -');
  assert.deepEqual(parsedPlace('12 - -'), { length: 12, hash: null, key: null });
  assert.deepEqual(parsedPlace('12 abc= k1'), { length: 12, hash: 'abc=', key: 'k1' });
});

test("node entries' places are their bytes as written (non-ASCII included); only a keyed entry is hashed", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-entries-'));
  try {
    const file = join(dir, 'manifest.json');
    const { cache, recorded } = recordingCache();
    const entries = new ManifestEntries(cache, file, (id) => (id === 'model.p.keyed' ? 'k1' : undefined));
    const compiled = { code: 'select 1', ctes: [], path: 'target/compiled/x.sql' };
    const dicts: Record<string, Record<string, unknown>> = {
      'model.p.plain': { name: 'plain', description: 'ascii' },
      'model.p.café': { name: 'café', description: 'naïve — “quoted” 🎉' },
      'model.p.keyed': { name: 'keyed', raw_code: 'select 1\n' },
    };
    writeStreamedArtifact(
      dir,
      'manifest.json',
      new StreamedObject(() => [
        ['metadata', entries.metadataJson({ generated_at: 'now', project_name: 'prøject' })],
        [
          'nodes',
          new StreamedObject(function* () {
            for (const [id, dict] of Object.entries(dicts)) yield [id, entries.entry(id, compiled, () => dict)];
          }),
        ],
      ]),
    );
    entries.finish();
    const bytes = readFileSync(file);
    assert.deepEqual(JSON.parse(bytes.toString()).nodes, dicts);
    const { places, file: placed } = recorded;
    assert.ok(places && placed);
    const metadata = bytes.subarray(placed.metadata.start, placed.metadata.start + placed.metadata.length);
    assert.deepEqual(JSON.parse(metadata.toString()), { generated_at: 'now', project_name: 'prøject' });
    const parsed = new Map([...places].map(([id, text]) => [id, parsedPlace(text)!]));
    const starts = entryStarts(placed.firstEntry, (visit) => [...parsed].every(([id, p]) => visit(id, p.length)));
    for (const [id, dict] of Object.entries(dicts)) {
      const place = parsed.get(id)!;
      const entry = bytes.subarray(starts!.get(id), starts!.get(id)! + place.length);
      assert.deepEqual(JSON.parse(entry.toString()), dict, id);
      if (id === 'model.p.keyed') assert.deepEqual([place.key, place.hash], ['k1', entryHash(entry)]);
      else assert.deepEqual([place.key, place.hash], [null, null], id);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the starts of wanted entries are read from the records up to the last of them: a damaged length past it is not read', () => {
  const records: Array<[string, number | undefined]> = [
    ['model.p.a', 10],
    ['model.p.bé', 20],
    ['model.p.c', 30],
    ['model.p.d', undefined],
    ['model.p.e', 5],
  ];
  let read = 0;
  const lengths = (visit: (id: string, length: number | undefined) => boolean) =>
    records.every(([id, length]) => (read++, visit(id, length)));
  // Each entry after the first starts past a comma, its key as JSON (UTF-8) and a colon.
  const bStart = 100 + 10 + 1 + Buffer.byteLength('"model.p.bé"') + 1;
  const cStart = bStart + 20 + 1 + '"model.p.c"'.length + 1;
  assert.deepEqual(
    entryStarts(100, lengths, new Set(['model.p.bé', 'model.p.c'])),
    new Map([
      ['model.p.bé', bStart],
      ['model.p.c', cStart],
    ]),
  );
  assert.equal(read, 3, 'no record read past the last entry wanted');
  assert.equal(entryStarts(100, lengths, new Set(['model.p.e'])), undefined, 'a damaged length before one wanted');
  assert.equal(entryStarts(100, lengths), undefined, 'all of them wanted');
});
