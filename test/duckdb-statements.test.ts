/**
 * What the DuckDB adapter asks of DuckDB per statement. A statement without rows (the DDL of
 * a run: create view, create table, begin, commit) is one call: its empty result is not
 * fetched, a round trip to DuckDB's thread that every view of a run would otherwise pay.
 * Statements with rows still return all of them, as the same JS values.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBResult } from '@duckdb/node-api';
import { DuckDBAdapter } from '../src/adapters/duckdb/index.js';
import { KilnError } from '../src/errors.js';
import { removeDir, tempDir } from './helpers/cli.js';

/** Chunks fetched from DuckDB results, by anyone in this process. */
let fetches = 0;
type FetchChunk = (this: DuckDBResult) => ReturnType<DuckDBResult['fetchChunk']>;
const fetchChunk = Object.getOwnPropertyDescriptor(DuckDBResult.prototype, 'fetchChunk')!.value as FetchChunk;
DuckDBResult.prototype.fetchChunk = function (this: DuckDBResult) {
  fetches++;
  return fetchChunk.call(this);
};

const dir = tempDir();
const adapter = new DuckDBAdapter({ type: 'duckdb', path: 'statements.duckdb' }, dir);
after(async () => {
  await adapter.close();
  removeDir(dir);
});

/** The result of `sql` and how many chunks it fetched. */
async function executed(sql: string) {
  const before = fetches;
  const result = await adapter.execute(sql);
  return { result, fetched: fetches - before };
}

test('a statement without rows is one call into DuckDB: nothing is fetched, the columns are kept', async () => {
  await adapter.open();
  // The columns DuckDB names for each (as runAndReadAll gave them).
  const statements: Array<[string, string]> = [
    ['create table t (id integer, name varchar)', 'Count'],
    ['create or replace view v as (select id from t)', 'Count'],
    ['create schema if not exists s', 'Count'],
    ['drop view v', 'Success'],
  ];
  for (const [sql, column] of statements) {
    const { result, fetched } = await executed(sql);
    assert.equal(fetched, 0, sql);
    assert.deepEqual(result, { columns: [column], rows: [] }, sql);
  }
  const before = fetches;
  await adapter.transaction(async (s) => {
    assert.deepEqual(await s.execute('create table u (id integer)'), { columns: ['Count'], rows: [] });
  });
  assert.equal(fetches - before, 0, 'begin, create and commit fetch nothing');
});

test('statements with rows return all of them, across chunks, with their values normalised', async () => {
  await adapter.open();
  const inserted = await executed("insert into t values (1, 'a'), (2, 'b')");
  assert.deepEqual(inserted.result, { columns: ['Count'], rows: [{ Count: 2 }] });

  const many = await executed('select range as n, range::varchar as s from range(5000)');
  assert.deepEqual(many.result.columns, ['n', 's']);
  assert.equal(many.result.rows.length, 5000);
  assert.deepEqual(many.result.rows[4999], { n: 4999, s: '4999' });
  assert.ok(many.fetched >= 3, `5,000 rows come in chunks of 2,048 (fetched ${many.fetched})`);

  const none = await executed('select id, name from t where id > 10');
  assert.deepEqual(none.result, { columns: ['id', 'name'], rows: [] });
  assert.equal(none.fetched, 0);
});

test('a failing statement is a database error naming the statement', async () => {
  await adapter.open();
  await assert.rejects(
    adapter.execute('select * from missing_table'),
    (e: unknown) =>
      e instanceof KilnError &&
      e.kind === 'database' &&
      /missing_table/.test(e.message) &&
      e.statement === 'select * from missing_table',
  );
});
