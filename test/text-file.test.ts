/**
 * Reading a project's text files: the text Node decodes natively is the one the bytes decode to, a byte order mark
 * dropped, a U+FFFD written in the file kept, and a bad byte an error naming its line, by either reader.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextFile, readTextFileStat } from '../src/config/text-file.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-text-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

const readers = {
  readTextFile: (path: string) => readTextFile(path, 'models/a.sql'),
  readTextFileStat: (path: string) => readTextFileStat(path, 'models/a.sql').text,
};

for (const [name, read] of Object.entries(readers)) {
  test(`${name}: plain, accented, BOM and U+FFFD texts read as their bytes decode`, () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('select 1\n'), 'select 1\n'],
      [Buffer.from("select 'é' as e -- ✓\n"), "select 'é' as e -- ✓\n"],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('select 1')]), 'select 1'],
      [Buffer.from("select '\ufffd' as replacement\n"), "select '\ufffd' as replacement\n"],
      [Buffer.alloc(0), ''],
    ];
    cases.forEach(([bytes, text], i) => assert.equal(read(file(`${name}-${i}.sql`, bytes)), text));
  });

  test(`${name}: a bad byte is an error naming its line, also in a text holding U+FFFD`, () => {
    const bad = file(`${name}-bad.sql`, Buffer.concat([Buffer.from("select '\ufffd'\nselect "), Buffer.from([0xff])]));
    assert.throws(() => read(bad), /not valid UTF-8 \(byte 0xff\)/);
    assert.throws(
      () => read(bad),
      (e: Error & { line?: number }) => e.line === 2,
    );
  });
}

test('readTextFileStat gives the stat of the file it read', () => {
  const path = file('stat.sql', Buffer.from('select 42\n'));
  const { stat } = readTextFileStat(path);
  const byPath = statSync(path);
  assert.deepEqual(
    [stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs],
    [byPath.ino, byPath.size, byPath.mtimeMs, byPath.ctimeMs],
  );
});

test('readTextFileStat: files past the reused buffer, shorter ones after longer ones, and one longer than its stat says', () => {
  const long = `select 1 as a -- ${'é'.repeat(70_000)}\n`;
  assert.equal(readTextFileStat(file('long.sql', Buffer.from(long))).text, long);
  const medium = `select ${'x'.repeat(60_000)}\n`;
  assert.equal(readTextFileStat(file('medium.sql', Buffer.from(medium))).text, medium);
  assert.equal(readTextFileStat(file('short.sql', Buffer.from('select 2\n'))).text, 'select 2\n');
  // A file whose stat says 0 bytes and that holds more (as one growing between the stat and the read would).
  const proc = readTextFileStat('/proc/self/maps');
  assert.equal(proc.stat.size, 0);
  assert.match(proc.text, /\n/);
});
