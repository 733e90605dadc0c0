/**
 * `--empty` is part of compiling: with `empty` set, the compiler wraps each model's query to
 * select no rows, the SQL `build --empty` runs (test/unit-tests.test.ts builds with it),
 * while tests and a plain compile keep their SQL as written. Through the library API, since
 * the `compile` command itself takes no --empty.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/index.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

const dir = writeProject(minimalProject({
  'models/orders.sql': "select 1 as id, 'a' as status",
  'models/paid.sql': "select o.id from {{ ref('orders') }} as o where o.status = 'a';",
  'tests/no_negative_ids.sql': "select * from {{ ref('orders') }} where id < 0",
}));
after(() => removeDir(dir));

test('empty compiles models wrapped in a zero-row select; tests and a plain compile are untouched', async () => {
  const plain = await compile({ projectDir: dir, select: ['paid'] });
  assert.doesNotMatch(plain.compiled.get('model.tiny.paid')!, /kiln_empty/);
  const empty = await compile({ projectDir: dir, empty: true });
  assert.match(empty.compiled.get('model.tiny.paid')!, /^select \* from \(\nselect o\.id from "[^"]+"\."[^"]+"\."orders" as o where o\.status = 'a'\n\) as kiln_empty where false$/);
  assert.doesNotMatch(empty.compiled.get('test.tiny.no_negative_ids')!, /kiln_empty/, 'a test reads the empty relations as they are');
  const written = readFileSync(join(dir, 'target', 'compiled', 'tiny', 'models', 'orders.sql'), 'utf8');
  assert.match(written, /\) as kiln_empty where false\s*$/, 'the file in target/compiled is the wrapped query');
});
