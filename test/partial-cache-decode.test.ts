/**
 * The loaded partial parse cache finds an entry by its id exactly as reading every line would: the compiled SQL lines,
 * whose ids are read only when many are asked for (a compile replay asks for a few by comparing bytes), give the same
 * entry for every id, the last line of an id winning, whatever the number of lookups or how an id is written.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProject } from '../src/index.js';
import { decodeCache } from '../src/parse/partial-cache.js';
import { removeDir, writeProject } from './helpers/cli.js';

const dir = writeProject({
  'dbt_project.yml': 'name: shop\nprofile: shop\nconfig-version: 2\n',
  'profiles.yml': 'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb, schema: main}\n',
  'models/a.sql': 'select 1 as one\n',
});
after(() => removeDir(dir));

/** The header line of a cache kiln wrote (what decodeCache requires first), then the given lines and an end line. */
async function cacheWith(lines: string[]): Promise<Buffer> {
  await compileProject({ projectDir: dir, profilesDir: dir });
  const written = readFileSync(join(dir, 'target', 'partial_parse.bin'), 'utf8');
  return Buffer.from(`${written.slice(0, written.indexOf('\n') + 1)}${lines.join('\n')}\nend\n`);
}

/** What a plain reading of every line gives: each id's last compiled SQL line. */
function expected(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const [kind, id, entry] = line.split('\t');
    if (kind === 'b') out.set(JSON.parse(id!) as string, entry!);
  }
  return out;
}

test('compiled SQL entries are found by id as a full reading finds them: the last line wins, however ids are written', async () => {
  const lines: string[] = [];
  // More lines than the loader first makes room for (one per 512 bytes of the file, at least 1,024).
  for (let i = 0; i < 3000; i++) lines.push(`b\t"model.shop.m_${i}"\t{"key":"first ${i}"}`);
  lines.push(`w\t"/x/m_1.sql"\t1 2 abc`);
  // Later lines replace earlier ones: plain, escaped (\u0070 is p) and non-ASCII ids, in every order.
  lines.push(`b\t"model.shop.m_3"\t{"key":"second 3"}`);
  lines.push(`b\t"model.shop.m_\\u0035"\t{"key":"escaped 5"}`);
  lines.push(`b\t"model.shop.m_7"\t{"key":"second 7"}`);
  lines.push(`b\t"model.shop.m_7\\u0070"\t{"key":"escaped 7p"}`);
  lines.push(`b\t"model.shop.caf\u00e9"\t{"key":"non-ASCII"}`);
  lines.push(`b\t"model.shop.m_5"\t{"key":"plain after escaped 5"}`);
  lines.push(`b\t"model.shop.m_9"\t{"key":"second 9"}`);
  lines.push(`b\t"model.shop.m_9"\t{"key":"third 9"}`);
  const want = expected(lines);
  const bytes = await cacheWith(lines);
  const text = (id: string, data = decodeCache(bytes)!) => {
    const entry = data.bodies.get(id);
    return entry === undefined ? undefined : Buffer.from(entry).toString();
  };
  // A few lookups, each in a freshly loaded cache (found by their bytes), and an id that is not there.
  for (const id of ['model.shop.m_3', 'model.shop.m_5', 'model.shop.m_7p', 'model.shop.caf\u00e9', 'model.shop.m_9'])
    assert.equal(text(id), want.get(id), id);
  assert.equal(text('model.shop.m_3000'), undefined);
  assert.equal(text('/x/m_1.sql'), undefined, 'another kind of line is not a compiled SQL entry');
  // Every id in one loaded cache: past a few dozen lookups the ids are read; each answer is the same.
  const data = decodeCache(bytes)!;
  for (const [id, entry] of want) assert.equal(text(id, data), entry, id);
  assert.equal(text('model.shop.m_3000', data), undefined);
  assert.equal(data.bodies.size, want.size);
  assert.deepEqual(
    [...data.bodies].map(([id, entry]) => [id, Buffer.from(entry).toString()]),
    [...want],
    'in the order of their first lines',
  );
});
