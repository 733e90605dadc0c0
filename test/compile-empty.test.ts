/**
 * `--empty` is part of compiling: with `empty` set, the compiler wraps each model's query to
 * select no rows, the SQL `build --empty` runs (test/unit-tests.test.ts builds with it),
 * while tests and a plain compile keep their SQL as written. Through the library API and
 * `kiln compile --empty`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/index.js';
import { kiln, minimalProject, removeDir, writeProject } from './helpers/cli.js';

const dir = writeProject(
  minimalProject({
    'models/orders.sql': "select 1 as id, 'a' as status",
    'models/paid.sql': "select o.id from {{ ref('orders') }} as o where o.status = 'a';",
    'tests/no_negative_ids.sql': "select * from {{ ref('orders') }} where id < 0",
  }),
);
after(() => removeDir(dir));

test('empty compiles models wrapped in a zero-row select; tests and a plain compile are untouched', async () => {
  const plain = await compile({ projectDir: dir, select: ['paid'] });
  assert.doesNotMatch(plain.compiled.get('model.tiny.paid')!, /kiln_empty/);
  const empty = await compile({ projectDir: dir, empty: true });
  assert.match(
    empty.compiled.get('model.tiny.paid')!,
    /^select \* from \(\nselect o\.id from "[^"]+"\."[^"]+"\."orders" as o where o\.status = 'a'\n\) as kiln_empty where false$/,
  );
  assert.doesNotMatch(
    empty.compiled.get('test.tiny.no_negative_ids')!,
    /kiln_empty/,
    'a test reads the empty relations as they are',
  );
  const written = readFileSync(join(dir, 'target', 'compiled', 'tiny', 'models', 'orders.sql'), 'utf8');
  assert.match(written, /\) as kiln_empty where false\s*$/, 'the file in target/compiled is the wrapped query');
});

test('kiln compile --empty prints the wrapped query; the next plain compile is unwrapped again', () => {
  const empty = kiln(['compile', '--project-dir', dir, '--empty', '-s', 'paid']);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(
    empty.stdout.trim(),
    /^select \* from \(\nselect o\.id from "[^"]+"\."[^"]+"\."orders" as o where o\.status = 'a'\n\) as kiln_empty where false$/,
  );
  const plain = kiln(['compile', '--project-dir', dir, '-s', 'paid']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /kiln_empty/, 'a partial parse does not reuse the --empty SQL');
  assert.doesNotMatch(
    readFileSync(join(dir, 'target', 'compiled', 'tiny', 'models', 'paid.sql'), 'utf8'),
    /kiln_empty/,
  );
});
