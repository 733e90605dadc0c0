/**
 * Identifiers that need quoting reach the SQL quoted as each warehouse quotes them, on real
 * engines (DuckDB in-process, PostgreSQL started for the test): a column with `quote: true`
 * in its tests, and a snapshot whose unique_key and check_cols name columns containing a
 * space and a double quote, run twice so the change-detection SQL runs too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { kiln, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { postgresForTests, postgresProfileYaml } from './helpers/postgres-server.js';

const properties = `version: 2
models:
  - name: orders
    columns:
      - name: Order ID
        quote: true
        data_tests: [unique, not_null]
      - name: we"ird
        quote: true
        data_tests:
          - accepted_values: {values: [a, b]}
`;

const snapshot = (value: string) => `{% snapshot order_history %}
{{ config(unique_key='"Order ID"', strategy='check', check_cols=['we"ird'], target_schema=target.schema) }}
select 1 as "Order ID", '${value}' as "we""ird"
{% endsnapshot %}
`;

const files = (extra: Record<string, string> = {}) =>
  minimalProject({
    'models/orders.sql': `select 1 as "Order ID", 'a' as "we""ird" union all select 2, 'b'`,
    'models/schema.yml': properties,
    'snapshots/order_history.sql': snapshot('a'),
    ...extra,
  });

function buildTwice(dir: string): void {
  const first = kiln(['build', '--project-dir', dir]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
    results: Array<{ unique_id: string; status: string }>;
  };
  const tests = results.results.filter((r) => r.unique_id.startsWith('test.'));
  assert.equal(tests.length, 3, 'the three column tests ran');
  assert.ok(
    tests.every((r) => r.status === 'pass'),
    JSON.stringify(tests),
  );
  // The second run compares the changed check column and closes the old row.
  writeFileSync(join(dir, 'snapshots', 'order_history.sql'), snapshot('b'));
  const second = kiln(['snapshot', '--project-dir', dir]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /1 inserted, 1 closed/);
}

test('DuckDB: quoted test columns and a snapshot key with a space and a double quote', () => {
  const dir = writeProject(files());
  try {
    buildTwice(dir);
    const compiled = readFileSync(
      join(dir, 'target', 'compiled', 'tiny', 'models', 'not_null_orders__Order_ID_.sql'),
      'utf8',
    );
    assert.match(compiled, /select "Order ID"/);
  } finally {
    removeDir(dir);
  }
});

const schema = `kiln_quoting_${randomBytes(4).toString('hex')}`;
const db = postgresForTests(schema);

test('PostgreSQL: quoted test columns and a snapshot key with a space and a double quote', async () => {
  await db.ready;
  const dir = writeProject(files({ 'profiles.yml': postgresProfileYaml('tiny', db.server, schema, 2) }));
  try {
    buildTwice(dir);
    const rows = await db.pg.execute(
      `select "Order ID", "we""ird", dbt_valid_to is null as current from ${db.pg.quoteIdentifier(schema)}.order_history order by dbt_valid_from`,
    );
    assert.deepEqual(
      rows.rows.map((r) => [r['Order ID'], r['we"ird'], r.current]),
      [
        [1, 'a', false],
        [1, 'b', true],
      ],
    );
  } finally {
    removeDir(dir);
  }
});
