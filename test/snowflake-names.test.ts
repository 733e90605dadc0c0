/**
 * Relation names on Snowflake, through the real snowflake-sdk and the protocol stand-in inside
 * a loopback-only network namespace: unquoted names fold to upper case and quoted ones are
 * case-sensitive, so `"Order Items"`, `"ORDER ITEMS"` and ORDER_ITEMS are three tables that
 * kiln builds, finds and reads apart; staging tables are named in upper case as every other
 * kiln relation, and a killed run's staging table is dropped by the next run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { SnowflakeStandIn, snowflakeProfileYaml } from './helpers/snowflake-standin.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, seed } from '../src/index.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Names-789';
  const standin = new SnowflakeStandIn({ user: 'namer', password });
  let dir: string;

  before(async () => {
    await standin.start();
    process.env.KILN_TEST_SF_PASSWORD = password;
    dir = writeProject(
      minimalProject({
        'profiles.yml': snowflakeProfileYaml({
          port: standin.port,
          user: 'namer',
          password: `"{{ env_var('KILN_TEST_SF_PASSWORD') }}"`,
        }),
        'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
        'models/items_title.sql': "{{ config(alias='Order Items', materialized='table') }}\nselect 1 as n",
        'models/items_upper.sql': "{{ config(alias='ORDER ITEMS', materialized='table') }}\nselect 2 as n",
        'models/order_items.sql': "{{ config(materialized='table') }}\nselect 3 as n",
        'models/found.sql': `{{ config(materialized='table') }}
-- depends_on: {{ ref('items_title') }} {{ ref('items_upper') }} {{ ref('order_items') }}
{%- set title = adapter.get_relation(this.database, this.schema, 'Order Items') %}
{%- set plain = adapter.get_relation(this.database, this.schema, 'order_items') %}
select '{{ title.identifier }}' as title_name, (select n from {{ title }}) as title_n,
       '{{ plain.identifier }}' as plain_name, (select n from {{ plain }}) as plain_n`,
      }),
    );
  });

  after(async () => {
    await standin.stop();
    if (dir) removeDir(dir);
  });

  test('"Order Items", "ORDER ITEMS" and ORDER_ITEMS build as three tables, and get_relation finds each by its exact name', async () => {
    const r = await build({ projectDir: dir });
    assert.equal(
      r.success,
      true,
      JSON.stringify(
        r.results.filter((x) => x.status !== 'success'),
        null,
        2,
      ),
    );
    assert.deepEqual(
      (await standin.query('select n from ANALYTICS.DBT_CI."Order Items"')).map((x) => x.n),
      [1],
    );
    assert.deepEqual(
      (await standin.query('select n from ANALYTICS.DBT_CI."ORDER ITEMS"')).map((x) => x.n),
      [2],
    );
    assert.deepEqual(
      (await standin.query('select n from ANALYTICS.DBT_CI.order_items')).map((x) => x.n),
      [3],
    );
    const [found] = await standin.query('select title_name, title_n, plain_name, plain_n from ANALYTICS.DBT_CI.FOUND');
    assert.deepEqual(
      { ...found, title_n: Number(found!.title_n), plain_n: Number(found!.plain_n) },
      { title_name: 'Order Items', title_n: 1, plain_name: 'ORDER_ITEMS', plain_n: 3 },
    );
  });

  test('the stand-in keeps quoted names apart and folds unquoted ones, as Snowflake does', async () => {
    await standin.query('create schema if not exists ANALYTICS.CASES');
    await standin.query('create table ANALYTICS.CASES."Mixed" as select 1 as n');
    await standin.query('create table ANALYTICS.CASES."MIXED" as select 2 as n');
    assert.deepEqual(
      (await standin.query('select n from ANALYTICS.CASES.mixed')).map((r) => r.n),
      [2],
      'unquoted is upper case',
    );
    assert.deepEqual(
      (await standin.query('select n from analytics.cases."Mixed"')).map((r) => r.n),
      [1],
    );
    await assert.rejects(standin.query('select n from ANALYTICS.CASES."mixed"'), /does not exist/);
    const names = await standin.query(
      "select table_name from information_schema.tables where table_schema = 'CASES' order by table_name",
    );
    assert.deepEqual(
      names.map((r) => r.table_name),
      ['MIXED', 'Mixed'],
    );
  });

  test("a seed's scratch table is named in upper case, as every other relation kiln makes on Snowflake", () => {
    const scratch = standin.sql().filter((s) => /PEOPLE__kiln_tmp/i.test(s));
    assert.ok(scratch.length > 0, 'the seed loads through a scratch table');
    for (const s of scratch) assert.match(s, /ANALYTICS\.DBT_CI\.PEOPLE__KILN_TMP\b/, s);
    assert.ok(!scratch.some((s) => s.includes('"PEOPLE__')), 'the scratch name needs no quotes');
  });

  test("the next run drops a killed run's scratch table", async () => {
    await standin.query('create table ANALYTICS.DBT_CI.PEOPLE__KILN_TMP as select 1 as id');
    const notes: string[] = [];
    const r = await seed({ projectDir: dir, onLog: (_level, message) => notes.push(message) });
    assert.equal(r.success, true);
    assert.ok(
      notes.some((n) => /dropped ANALYTICS\.DBT_CI\.PEOPLE__KILN_TMP, left behind by an interrupted run/.test(n)),
      notes.join('\n'),
    );
    assert.deepEqual(
      await standin.query("select table_name from information_schema.tables where table_name ilike '%kiln_tmp%'"),
      [],
    );
  });
});
