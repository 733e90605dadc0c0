/**
 * What a DuckDB run asks per node: a view is one `create or replace view` (atomic by itself,
 * no transaction, no temporary relation, no rename); a view that replaces a table, or has
 * hooks, is built in one transaction. Schemas are listed once per run, not per node, and created
 * (once) only when their listing showed no relation in them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import type { Adapter } from '../src/adapters/types.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { recordingStatements } from './helpers/statement-log.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

/** Every statement sent, in order; BEGIN and COMMIT stand for a transaction's round trips. */
const sent: string[] = [];

const counting = (adapter: Adapter) => recordingStatements(adapter, sent, { listings: true });
registerAdapter('duckdb', async (target, projectDir) =>
  counting(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
  ),
);

const dir = writeProject(
  minimalProject({
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id + 1 as id from {{ ref('a') }}",
    'models/c.sql': "{{ config(pre_hook='select 42') }}\nselect id from {{ ref('b') }}",
    'models/d.sql': "{{ config(materialized='table') }}\nselect 7 as id",
  }),
);
after(() => removeDir(dir));

const mentions = (name: string) => sent.filter((s) => s.includes(`"${name}`) || s === 'BEGIN' || s === 'COMMIT');

test('a view is one create or replace statement, the first time and the next', async () => {
  for (const attempt of [1, 2]) {
    sent.length = 0;
    const result = await run({ projectDir: dir, threads: 1, select: ['a', 'b'] });
    assert.ok(result.success);
    // A schema whose listing showed relations exists: it is created only when it was empty (or missing).
    assert.deepEqual(
      sent.filter((s) => /^create schema/i.test(s)),
      attempt === 1 ? ['CREATE SCHEMA main'] : [],
      `run ${attempt}`,
    );
    const forNodes = sent.filter((s) => !/^LIST |create schema/i.test(s));
    assert.deepEqual(
      forNodes.map((s) => s.split('\n')[0]),
      ['create or replace view "kiln"."main"."a" as (', 'create or replace view "kiln"."main"."b" as ('],
      `run ${attempt}`,
    );
    assert.deepEqual(
      sent.filter((s) => s.startsWith('LIST ')),
      ['LIST main'],
      'the schema is listed once',
    );
  }
  assert.deepEqual(await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select id from main.b'), [{ id: 2 }]);
});

test('a view with hooks, or replacing a table, is built in one transaction; nothing temporary is left', async () => {
  sent.length = 0;
  assert.ok((await run({ projectDir: dir, threads: 1 })).success);
  const c = mentions('c');
  assert.deepEqual([c[0], c.at(-1)], ['BEGIN', 'COMMIT']);
  assert.ok(sent.includes('select 42'), 'the hook ran');
  // d becomes a view where a table stood: the table is dropped in the view's transaction.
  writeFileSync(join(dir, 'models/d.sql'), 'select 8 as id');
  sent.length = 0;
  assert.ok((await run({ projectDir: dir, threads: 1, select: ['d'] })).success);
  const d = sent.filter((s) => !/^LIST |create schema/i.test(s));
  assert.deepEqual(
    d.map((s) => s.split('\n')[0]),
    ['BEGIN', 'drop table if exists "kiln"."main"."d"', 'create or replace view "kiln"."main"."d" as (', 'COMMIT'],
  );
  const rows = await queryDuckDB(
    join(dir, 'target', 'kiln.duckdb'),
    'select table_name, table_type from information_schema.tables order by table_name',
  );
  assert.deepEqual(rows, [
    { table_name: 'a', table_type: 'VIEW' },
    { table_name: 'b', table_type: 'VIEW' },
    { table_name: 'c', table_type: 'VIEW' },
    { table_name: 'd', table_type: 'VIEW' },
  ]);
});
