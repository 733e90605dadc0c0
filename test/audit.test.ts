import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../src/index.js';
import { kiln, writeProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

test('audit: bad data never replaces the production table; it is quarantined, and the next good build publishes', async () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: wap\nmodels:\n  wap:\n    +audit: true\n',
    'models/orders.sql': "{{ config(materialized='table') }}select 1 as id, 10 as amount union all select 2, 20",
    'models/revenue.sql': "{{ config(materialized='table') }}select sum(amount) as total from {{ ref('orders') }}",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n      - name: amount\n        data_tests:\n          - not_null:\n              config: {severity: warn}\n',
  });
  const db = join(dir, 'target', 'kiln.duckdb');
  const tables = async () =>
    (
      await queryDuckDB(db, `select table_name from information_schema.tables where table_schema = 'main' order by 1`)
    ).map((r) => r.table_name);
  try {
    const first = await build({ projectDir: dir });
    assert.equal(first.success, true);
    assert.match(first.results.find((r) => r.uniqueId === 'model.wap.orders')!.message, /audited: 2 tests passed/);

    // A duplicate id arrives: the unique test fails on the staging copy.
    writeFileSync(
      join(dir, 'models/orders.sql'),
      "{{ config(materialized='table') }}select 1 as id, 10 as amount union all select 1, 99",
    );
    const bad = await build({ projectDir: dir });
    const orders = bad.results.find((r) => r.uniqueId === 'model.wap.orders')!;
    assert.equal(orders.status, 'error');
    assert.match(orders.message, /audit failed: unique_orders_id \(1 failing row\)/);
    assert.match(orders.message, /orders__kiln_quarantine/);
    assert.equal(bad.results.find((r) => r.uniqueId === 'model.wap.revenue')!.status, 'skipped');
    assert.deepEqual(
      await queryDuckDB(db, 'select id, amount from orders order by id'),
      [
        { id: 1, amount: 10 },
        { id: 2, amount: 20 },
      ],
      'consumers still see the good table',
    );
    assert.deepEqual(await queryDuckDB(db, 'select total from revenue'), [{ total: 30 }]);
    assert.deepEqual(await queryDuckDB(db, 'select id, amount from orders__kiln_quarantine order by amount'), [
      { id: 1, amount: 10 },
      { id: 1, amount: 99 },
    ]);

    writeFileSync(
      join(dir, 'models/orders.sql'),
      "{{ config(materialized='table') }}select 1 as id, 10 as amount union all select 3, 30",
    );
    const fixed = kiln(['build', '--project-dir', dir]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.deepEqual(await queryDuckDB(db, 'select total from revenue'), [{ total: 40 }]);
    assert.deepEqual(await tables(), ['orders', 'revenue'], 'quarantine dropped on success, no staging left');
  } finally {
    removeDir(dir);
  }
});

test('build --audit applies write-audit-publish to every table', async () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: wap\n',
    'models/t.sql': "{{ config(materialized='table') }}select null as id",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: t\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
  });
  try {
    const plain = await build({ projectDir: dir });
    assert.equal(
      plain.results.find((r) => r.uniqueId === 'model.wap.t')!.status,
      'success',
      'without audit, dbt behaviour: built, then the test fails',
    );
    const audited = kiln(['build', '--project-dir', dir, '--audit']);
    assert.equal(audited.code, 1);
    assert.match(audited.stdout, /audit failed: not_null_t_id/);
  } finally {
    removeDir(dir);
  }
});
