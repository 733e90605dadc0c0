/**
 * The partial parse cache's replay table reads as the cache it was made with: every kind of entry, by id and in order,
 * the large ones read from the cache file by offset, after a full compile and after replays that append to both. A
 * table that is not of the cache as it is (the cache written since, the table cut short or of another format) is not
 * read at all, and an entry whose reference no longer points at its line in the cache reads as none.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProject } from '../src/index.js';
import { decodeCache, type CacheData, type Entries, type TableEntries } from '../src/parse/partial-cache.js';
import { statText, tableBody } from '../src/parse/cache-table.js';
import { removeDir, writeProject } from './helpers/cli.js';

const files: Record<string, string> = {
  'dbt_project.yml': 'name: shop\nprofile: shop\nconfig-version: 2\n',
  'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb, schema: main}\n',
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: one\n        data_tests: [not_null]\n',
  'analyses/report.sql': "select count(*) from {{ ref('b') }}\n",
};
// Enough models that lookups miss the next line often enough to read every id; one named in non-ASCII.
for (let i = 0; i < 60; i++) files[`models/m${i}.sql`] = `select ${i} as id from {{ ref('a') }}\n`;
files['models/a.sql'] = 'select 1 as one\n';
files['models/b.sql'] = "select * from {{ ref('a') }}\n";
files['models/caf\u00e9.sql'] = "select * from {{ ref('b') }}\n";
const dir = writeProject(files);
after(() => removeDir(dir));

const cacheFile = join(dir, 'target', 'partial_parse.bin');
const tableFile = join(dir, 'target', 'partial_parse.table');

async function compiled(): Promise<string[]> {
  const log: string[] = [];
  await compileProject({ projectDir: dir, profilesDir: dir, onDebug: (m) => log.push(m) });
  return log;
}

const fromCache = () => decodeCache(readFileSync(cacheFile))!;

function fromTable(): CacheData | undefined {
  const bytes = readFileSync(tableFile);
  const body = tableBody(bytes, statText(cacheFile)!);
  return body && decodeCache(bytes.subarray(body.start), { cache: cacheFile, cacheSize: body.cacheSize });
}

const text = (value: unknown) =>
  value === undefined ? undefined : typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString();

/** Every entry of a kind as text, in order, then each looked up by id, as `sql`'s stamps too. */
function readOut<T>(entries: Entries<T>, value: (v: T) => unknown, leading = false): unknown {
  const all: Array<[string, unknown]> = [];
  entries.every((id, v) => (all.push([id, text(value(v))]), true));
  // What each manifest.json entry's place starts with: its length (a large entry's line in the table holds an offset).
  const lengths: Array<[string, number | undefined]> = [];
  if (leading) entries.everyLeadingNumber((id, n) => (lengths.push([id, n]), true));
  return {
    all,
    iterated: [...entries].map(([id, v]) => [id, text(value(v))]),
    looked: all.map(([id]) => [id, text(entries.get(id) === undefined ? undefined : value(entries.get(id)!))]),
    // Out of order: past a few dozen lookups that miss the next line, the table reads its ids into a map.
    reversed: [...all]
      .reverse()
      .map(([id]) => text(entries.get(id) === undefined ? undefined : value(entries.get(id)!))),
    stamps: all.map(([id]) => entries.stamp(id)),
    lengths,
    size: entries.size,
    missing: entries.get('model.shop.none'),
  };
}

function assertSame(what: string): void {
  const cache = fromCache();
  const table = fromTable();
  assert.ok(table, `${what}: the table is of the cache`);
  for (const field of ['key', 'kilnVersion', 'macros', 'format', 'size'] as const)
    assert.deepEqual(table[field], cache[field], `${what}: ${field}`);
  assert.deepEqual(table.env, cache.env, `${what}: env`);
  assert.deepEqual(
    readOut(table.sql, (v) => v.entry),
    readOut(cache.sql, (v) => v.entry),
    `${what}: SQL parses`,
  );
  for (const kind of ['bodies', 'written', 'manifestEntries', 'records'] as const)
    assert.deepEqual(
      readOut<unknown>(table[kind], (v) => v, kind === 'manifestEntries'),
      readOut<unknown>(cache[kind], (v) => v, kind === 'manifestEntries'),
      `${what}: ${kind}`,
    );
}

test('the replay table reads as the cache it was made with, after a full compile and after replays', async () => {
  await compiled();
  assertSame('a full compile');
  assert.ok(fromCache().sql.size > 60);
  const edit = (file: string) => appendFileSync(join(dir, file), '-- edited\n');
  for (const [i, file] of ['models/m3.sql', 'models/caf\u00e9.sql', 'models/m3.sql', 'analyses/report.sql'].entries()) {
    edit(file);
    const log = await compiled();
    assert.ok(
      log.some((l) => l.startsWith('compile replay: re-rendered')),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) => l.startsWith('partial parse: read partial_parse.table')),
      log.join('\n'),
    );
    assertSame(`replay ${i + 1} (${file})`);
  }
});

test("lookups in the table's order find each line next, past ids that replays' lines replaced: no scan of the table", async () => {
  await compiled();
  for (const file of ['models/m3.sql', 'models/m7.sql']) {
    appendFileSync(join(dir, file), '-- edited again\n');
    const log = await compiled();
    assert.ok(
      log.some((l) => l.startsWith('compile replay: re-rendered')),
      log.join('\n'),
    );
  }
  const table = fromTable()!;
  const cache = fromCache();
  for (const kind of ['sql', 'bodies', 'written', 'manifestEntries'] as const) {
    const entries = table[kind] as TableEntries<never>;
    const ids: string[] = [];
    entries.every((id) => (ids.push(id), true));
    // Compiled files' records are by path.
    const edited =
      kind === 'written' ? ids.filter((id) => /\/m[37]\.sql$/.test(id)) : ['model.shop.m3', 'model.shop.m7'];
    assert.ok(edited.length === 2 && edited.every((id) => ids.includes(id)), kind);
    for (const id of ids) assert.equal(entries.stamp(id), cache[kind].stamp(id), `${kind}: ${id}`);
    assert.equal(entries.missed, 0, `${kind}: lookups that scanned the table`);
  }
});

test('a table not of the cache as it is, cut short or of another format is not read; a moved entry reads as none', async () => {
  await compiled();
  assert.ok(fromTable());
  // The cache written since (here: appended to by another writer): the table names another file.
  appendFileSync(cacheFile, 'end\n');
  assert.equal(fromTable(), undefined, 'the cache appended to');
  writeFileSync(cacheFile, readFileSync(cacheFile).subarray(0, -4));
  assert.equal(fromTable(), undefined, 'the cache rewritten as it was: another inode or change time');
  // Made again for the cache as it is now.
  await compiled();
  const good = readFileSync(tableFile);
  assert.ok(fromTable());
  writeFileSync(tableFile, good.subarray(0, good.length - 10));
  assert.equal(fromTable(), undefined, 'cut short');
  writeFileSync(tableFile, Buffer.concat([Buffer.from('kiln replay table\t0'), good.subarray(good.indexOf('\t', 18))]));
  assert.equal(fromTable(), undefined, 'another format');
  // A line not of the table's shape, in its first batch or an appended one: the table is not read.
  const damaged: Array<[string, (text: string) => string]> = [
    ['a SQL line without its stamp', (t) => t.replace(/\ns\t("[^"]*")\t[^\t\n]*\t/, '\ns\t$1\t')],
    ['a line without its id', (t) => t.replace(/\nw\t"[^"]*"\t/, '\nw\t')],
    ['a line of no kind', (t) => t.replace('\nm\t', '\nx\t')],
    ['a line with no tab after its kind', (t) => t.replace('\nb\t', '\nb ')],
    ['an appended line without its id', (t) => `${t}m\t"model.shop.m3"\nend\n`],
  ];
  for (const [what, damage] of damaged) {
    const text = good.toString('latin1');
    assert.notEqual(damage(text), text, what);
    writeFileSync(tableFile, Buffer.from(damage(text), 'latin1'));
    assert.equal(fromTable(), undefined, what);
  }
  writeFileSync(tableFile, good);
  assert.ok(fromTable(), 'the table as written');
  // An entry's reference one byte off: its line in the cache is not where the table says, and reads as none.
  const id = 'model.shop.m3';
  const at = good.indexOf(`\nb\t"${id}"\t`) + `\nb\t"${id}"\t`.length;
  const ref = good.toString('latin1', at, good.indexOf('\n', at));
  const [start, end] = ref.split(' ').map(Number) as [number, number];
  const shifted = `${start + 1} ${end + 1}`;
  assert.equal(shifted.length, ref.length, 'the same length, so that no other line moves');
  writeFileSync(tableFile, Buffer.concat([good.subarray(0, at), Buffer.from(shifted), good.subarray(at + ref.length)]));
  const moved = fromTable()!;
  assert.equal(moved.bodies.get(id), undefined);
  assert.ok(moved.bodies.get('model.shop.m4') !== undefined);
});
