/**
 * A project built on Snowflake through the public API, the real snowflake-sdk and the protocol
 * stand-in, inside a loopback-only network namespace: seeds, views, tables with Snowflake's
 * configs, per-model warehouse and query tag, generic tests, an incremental merge, and the
 * old table surviving a failed rebuild.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { SnowflakeStandIn, snowflakeProfileYaml } from './helpers/snowflake-standin.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, debug, type RunResult } from '../src/index.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Build-456';
  const standin = new SnowflakeStandIn({ user: 'builder', password });
  let dir: string;

  const statuses = (r: RunResult) =>
    Object.fromEntries(
      r.results.map((x) => [
        x.uniqueId
          .split('.')
          .slice(-1)[0]!
          .replace(/^(\w+?)_(customers|orders|order_totals)_.*$/, '$1_$2'),
        x.status,
      ]),
    );

  before(async () => {
    await standin.start();
    process.env.KILN_TEST_SF_PASSWORD = password;
    dir = writeProject(
      minimalProject({
        'profiles.yml': snowflakeProfileYaml({
          port: standin.port,
          user: 'builder',
          password: `"{{ env_var('KILN_TEST_SF_PASSWORD') }}"`,
          threads: 2,
          extra: ['role: transformer', 'query_tag: kiln-ci'],
        }),
        'seeds/raw_orders.csv':
          'order_id,customer,amount,ordered_on,note\n1,ann,10.5,2024-01-02,"first, with comma"\n2,bob,20,2024-01-03,\n3,ann,7.25,2024-01-04,"she said ""hi"""\n',
        'models/stg_orders.sql': 'select order_id, customer, amount, ordered_on from {{ ref("raw_orders") }}',
        'models/order_totals.sql': `{{ config(materialized='table', transient=false, cluster_by=['customer'], copy_grants=true, snowflake_warehouse='big_wh', query_tag='totals') }}
select customer, sum(amount) as total, count(*) as orders from {{ ref('stg_orders') }} group by customer`,
        'models/orders_inc.sql': `{{ config(materialized='incremental', unique_key='order_id', incremental_strategy='merge') }}
select order_id, customer, amount from {{ ref('stg_orders') }}
{% if is_incremental() %} where order_id >= 2 {% endif %}`,
        'models/schema.yml': `version: 2
models:
  - name: order_totals
    columns:
      - name: customer
        tests: [unique, not_null]
      - name: total
        tests:
          - accepted_values:
              values: [17.75]
              config: {severity: warn}
`,
      }),
    );
  });

  after(async () => {
    await standin.stop();
    if (dir) removeDir(dir);
  });

  test('kiln debug logs in to the stand-in and never prints the password', async () => {
    const r = await debug({ projectDir: dir });
    const text = r.lines.join('\n');
    assert.equal(r.ok, true, text);
    assert.match(text, /adapter: snowflake/);
    assert.ok(!text.includes(password));
  });

  let first: RunResult;
  test('the project builds: seeds, views, tables, tests, incremental', async () => {
    first = await build({ projectDir: dir });
    assert.equal(
      first.success,
      true,
      JSON.stringify(
        first.results.filter((r) => r.status !== 'success' && r.status !== 'pass'),
        null,
        2,
      ),
    );
    const s = statuses(first);
    assert.equal(s.raw_orders, 'success');
    assert.equal(s.order_totals, 'success');
    assert.ok(
      first.results.some((r) => r.status === 'warn'),
      'the accepted_values test warns',
    );
    const rows = await standin.query(
      'select customer, total, orders from ANALYTICS.DBT_CI.ORDER_TOTALS order by customer',
    );
    assert.deepEqual(
      rows.map((r) => [r.customer, Number(r.total), Number(r.orders)]),
      [
        ['ann', 17.75, 2],
        ['bob', 20, 1],
      ],
    );
    const seeded = await standin.query('select note from ANALYTICS.DBT_CI.RAW_ORDERS order by order_id');
    assert.deepEqual(
      seeded.map((r) => r.note),
      ['first, with comma', null, 'she said "hi"'],
    );
  });

  test('kiln sends Snowflake DDL: create or replace, transient by default, configs, in place without renames', () => {
    const sql = standin.sql();
    const ddl = (name: string) =>
      sql.filter((s) => new RegExp(`^create or replace .*\\bANALYTICS\\.DBT_CI\\.${name}\\b`).test(s));
    assert.match(ddl('STG_ORDERS')[0]!, /^create or replace view ANALYTICS\.DBT_CI\.STG_ORDERS as \(/);
    assert.match(
      ddl('ORDER_TOTALS')[0]!,
      /^create or replace table ANALYTICS\.DBT_CI\.ORDER_TOTALS cluster by \(customer\) copy grants as \(/,
    );
    assert.match(ddl('ORDERS_INC')[0]!, /^create or replace transient table ANALYTICS\.DBT_CI\.ORDERS_INC as \(/);
    assert.match(
      ddl('RAW_ORDERS')[0]!,
      /^create or replace transient table ANALYTICS\.DBT_CI\.RAW_ORDERS as \(\nselect \* from ANALYTICS\.DBT_CI\.RAW_ORDERS__KILN_TMP/,
    );
    assert.ok(!sql.some((s) => /\brename to\b/i.test(s)), 'nothing is renamed into place');
    assert.ok(sql.some((s) => s.startsWith('create schema if not exists ANALYTICS.DBT_CI')));
  });

  test('snowflake_warehouse and query_tag apply to that model only', () => {
    const totals = standin.statements.filter((s) => /ANALYTICS\.DBT_CI\.ORDER_TOTALS cluster by/.test(s.sql));
    assert.equal(totals.length, 1);
    assert.equal(totals[0]!.warehouse, 'big_wh');
    assert.equal(totals[0]!.queryTag, 'totals');
    const stg = standin.statements.find((s) => /create or replace view ANALYTICS\.DBT_CI\.STG_ORDERS/.test(s.sql))!;
    assert.equal(stg.warehouse, 'transforming');
    assert.equal(stg.queryTag, 'kiln-ci');
    assert.ok(standin.sql().includes("alter session set query_tag = 'totals'"));
    assert.ok(standin.sql().includes('use warehouse big_wh'));
  });

  // The build above ran two threads (the node being built in the async context); one thread keeps it in the
  // adapter (src/adapters/node-context.ts).
  test('snowflake_warehouse and query_tag apply to that model only with one thread too', async () => {
    const before = standin.statements.length;
    const again = await build({ projectDir: dir, select: ['stg_orders', 'order_totals'], threads: 1 });
    assert.equal(again.success, true, JSON.stringify(again.results, null, 2));
    const ran = standin.statements.slice(before);
    const totals = ran.find((s) => /ANALYTICS\.DBT_CI\.ORDER_TOTALS cluster by/.test(s.sql))!;
    assert.equal(totals.warehouse, 'big_wh');
    assert.equal(totals.queryTag, 'totals');
    const stg = ran.find((s) => /create or replace view ANALYTICS\.DBT_CI\.STG_ORDERS/.test(s.sql))!;
    assert.equal(stg.warehouse, 'transforming');
    assert.equal(stg.queryTag, 'kiln-ci');
  });

  test('a second build merges new rows into the incremental table', async () => {
    const before = standin.statements.length;
    const again = await build({ projectDir: dir, select: ['orders_inc'] });
    assert.equal(again.success, true, JSON.stringify(again.results, null, 2));
    const merge = standin
      .sql()
      .slice(before)
      .find((s) => s.startsWith('merge into'));
    assert.ok(merge, 'a merge statement was sent');
    assert.match(
      merge,
      /^merge into ANALYTICS\.DBT_CI\.ORDERS_INC as DBT_INTERNAL_DEST\nusing ANALYTICS\.DBT_CI\.ORDERS_INC__KILN_TMP as DBT_INTERNAL_SOURCE/,
    );
    assert.match(merge, /DBT_INTERNAL_SOURCE\.order_id = DBT_INTERNAL_DEST\.order_id/);
    const rows = await standin.query('select count(*) as n from ANALYTICS.DBT_CI.ORDERS_INC');
    assert.equal(Number(rows[0]!.n), 3);
  });

  test('a failed rebuild leaves the old table as it was', async () => {
    writeFileSync(
      join(dir, 'models', 'order_totals.sql'),
      "{{ config(materialized='table') }}\nselect customer, no_such_column from {{ ref('stg_orders') }}",
    );
    const r = await build({ projectDir: dir, select: ['order_totals'] });
    assert.equal(r.success, false);
    const failed = r.results.find((x) => x.uniqueId === 'model.tiny.order_totals')!;
    assert.equal(failed.status, 'error');
    assert.match(failed.message ?? '', /no_such_column/i);
    const rows = await standin.query('select count(*) as n from ANALYTICS.DBT_CI.ORDER_TOTALS');
    assert.equal(Number(rows[0]!.n), 2);
  });
});
