import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { kiln, copyExample, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { manifestSchema, runResultsSchema } from '../src/artifacts/schemas.js';

const dir = copyExample();
after(() => removeDir(dir));
const db = join(dir, 'target', 'kiln.duckdb');
const readJson = (name: string) => JSON.parse(readFileSync(join(dir, 'target', name), 'utf8'));

test('kiln build on project-example succeeds with one warning and writes valid artifacts', async () => {
  const r = kiln(['build', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /No profiles\.yml found: using the embedded DuckDB/);
  assert.match(r.stdout, /Done\. PASS=\d+ WARN=1 ERROR=0 SKIP=0/);
  const results = readJson('run_results.json');
  const ajv = new Ajv({ strict: false });
  assert.ok(ajv.validate(runResultsSchema, results), JSON.stringify(ajv.errors));
  const manifest = readJson('manifest.json');
  assert.ok(ajv.validate(manifestSchema, manifest), JSON.stringify(ajv.errors));
  const statuses = new Map<string, string>(
    results.results.map((x: { unique_id: string; status: string }) => [x.unique_id, x.status]),
  );
  assert.equal(statuses.get('model.pottery_shop.fct_orders'), 'success');
  assert.equal(statuses.get('seed.pottery_shop.raw_orders'), 'success');
  assert.equal([...statuses.values()].filter((s) => s === 'warn').length, 1);
  // Ephemeral models are inlined, never run.
  assert.equal(statuses.has('model.pottery_shop.int_order_totals'), false);
  const fct = manifest.nodes['model.pottery_shop.fct_orders'];
  assert.match(fct.compiled_code, /__dbt__cte__int_order_totals/);
  assert.deepEqual(fct.config.tags, ['marts']);
  assert.ok(existsSync(join(dir, 'target', 'compiled', 'pottery_shop', 'models', 'marts', 'fct_orders.sql')));
});

test('the warehouse holds what the models say, and nothing temporary', async () => {
  const tables = await queryDuckDB(
    db,
    `select table_name, table_type from information_schema.tables where table_schema = 'main' order by 1`,
  );
  const names = tables.map((t) => t.table_name);
  assert.ok(names.includes('product_sales_summary'), 'alias config names the table');
  assert.ok(!names.includes('product_sales'));
  assert.ok(!names.some((n) => String(n).includes('__kiln_tmp')));
  assert.ok(!names.some((n) => String(n).startsWith('int_')), 'ephemeral models are not created');
  assert.equal(tables.find((t) => t.table_name === 'stg_orders')?.table_type, 'VIEW');
  assert.equal(tables.find((t) => t.table_name === 'fct_orders')?.table_type, 'BASE TABLE');
  const [orders] = await queryDuckDB(db, 'select count(*) as n from fct_orders');
  const [raw] = await queryDuckDB(db, `select count(*) as n from raw_orders where order_date >= date '2024-01-01'`);
  assert.equal(orders!.n, raw!.n);
  const nulls = await queryDuckDB(db, 'select count(*) as n from raw_customers where email is null');
  assert.ok(Number(nulls[0]!.n) > 0, 'empty CSV cells load as NULL');
  const postal = await queryDuckDB(
    db,
    `select data_type from information_schema.columns where table_name = 'raw_customers' and column_name = 'postal_code'`,
  );
  assert.equal(postal[0]!.data_type, 'VARCHAR', 'column_types overrides inference');
});

test('a second build is idempotent', () => {
  const r = kiln(['build', '--project-dir', dir, '--threads', '1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /WARN=1 ERROR=0 SKIP=0/);
});

test('run, test, seed and compile work with selection', () => {
  const seed = kiln(['seed', '--project-dir', dir, '-s', 'raw_products']);
  assert.equal(seed.code, 0, seed.stderr);
  assert.match(seed.stdout, /TOTAL=1\b/);
  const run = kiln(['run', '--project-dir', dir, '-s', 'stg_orders+', '--exclude', 'tag:marts']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /view model main\.stg_orders/);
  assert.doesNotMatch(run.stdout, /fct_orders/);
  const t = kiln(['test', '--project-dir', dir, '-s', 'stg_orders']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /unique_stg_orders_order_id/);
  assert.doesNotMatch(t.stdout, /stg_products/);
  const compiled = kiln(['compile', '--project-dir', dir, '-s', 'fct_orders']);
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(compiled.stdout, /with __dbt__cte__int_order_items_priced as/);
  assert.match(compiled.stdout, /"kiln"\."main"\."stg_orders"/);
});

test('ls prints only the selected nodes on stdout', () => {
  const r = kiln(['ls', '--project-dir', dir, '-s', 'tag:marts', '--resource-type', 'model', '--output', 'name']);
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.trim().split('\n').sort();
  assert.deepEqual(names, [
    'customer_lifetime_value',
    'dim_customers',
    'fct_orders',
    'monthly_revenue',
    'product_sales',
  ]);
  const json = kiln(['ls', '--project-dir', dir, '-s', 'fct_orders', '--resource-type', 'model', '--output', 'json']);
  assert.equal(JSON.parse(json.stdout.trim()).unique_id, 'model.pottery_shop.fct_orders');
  const paths = kiln([
    'ls',
    '--project-dir',
    dir,
    '-s',
    '1+fct_orders',
    '--resource-type',
    'model',
    '--output',
    'path',
  ]);
  assert.deepEqual(paths.stdout.trim().split('\n').sort(), [
    'models/intermediate/int_order_totals.sql',
    'models/marts/fct_orders.sql',
    'models/staging/stg_orders.sql',
  ]);
});

test('kiln debug checks the connection; kiln clean removes the target path', () => {
  const d = kiln(['debug', '--project-dir', dir]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /connection: OK/);
  const c = kiln(['clean', '--project-dir', dir]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(existsSync(join(dir, 'target')), false);
});
