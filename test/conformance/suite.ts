/**
 * The conformance suite: one set of behaviour tests, written once against kiln's public API
 * and the Adapter interface, run against every adapter that can run here. An engine file
 * supplies the profile settings (and a server, if it needs one); the cases are the same.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { build, run, seed, generateDocs } from '../../src/index.js';
import { createAdapter } from '../../src/adapters/factory.js';
import type { Adapter } from '../../src/adapters/types.js';
import { writeProject, removeDir } from '../helpers/cli.js';

export interface Engine {
  name: string;
  /** Profile output settings (type, connection, schema) for a fresh, empty schema. */
  settings(): Promise<Record<string, unknown>>;
  stop?(): Promise<void>;
  /** Incremental strategies only this warehouse has, whose cases run too. */
  extraStrategies?: Array<'insert_overwrite'>;
}

export function conformanceSuite(engine: Engine): void {
  let settings: Record<string, unknown>;
  let schema: string;
  const dirs: string[] = [];
  const adapters: Adapter[] = [];

  before(async () => {
    settings = await engine.settings();
    schema = String(settings.schema);
  });
  after(async () => {
    for (const a of adapters) await a.close().catch(() => undefined);
    for (const d of dirs) removeDir(d);
    await engine.stop?.();
  });

  /** A project on this engine; returns its folder and an adapter to look at the warehouse. */
  async function project(
    files: Record<string, string>,
  ): Promise<{ dir: string; adapter: Adapter; q: (sql: string) => Promise<Array<Record<string, unknown>>> }> {
    const dir = writeProject({
      'dbt_project.yml': 'name: conf\nprofile: conf\nconfig-version: 2\n',
      'profiles.yml': dump({ conf: { target: 'test', outputs: { test: { ...settings, threads: 2 } } } }),
      ...files,
    });
    dirs.push(dir);
    const adapter = await createAdapter(
      { profileName: 'conf', targetName: 'test', type: String(settings.type), threads: 1, settings },
      dir,
    );
    adapters.push(adapter);
    return {
      dir,
      adapter,
      q: async (sql) => {
        await adapter.open();
        try {
          return (await adapter.execute(sql)).rows;
        } finally {
          await adapter.close();
        }
      },
    };
  }
  const rel = (adapter: Adapter, name: string, sch = schema) =>
    adapter.relation(adapter.defaultDatabase, sch, name).render();
  /**
   * The schema's relations as [name, type], through the adapter (warehouses spell
   * information_schema differently and store names in their own case), names lower-cased.
   */
  const relations = async (adapter: Adapter, sch = schema) => {
    await adapter.open();
    try {
      const target = adapter.relation(adapter.defaultDatabase, sch, 'x');
      return (await adapter.listRelations(target.database, target.schema!))
        .map((r) => [r.name.toLowerCase(), r.type])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
    } finally {
      await adapter.close();
    }
  };

  test(`${engine.name}: view, table and nested ephemeral models`, async () => {
    const { dir, adapter, q } = await project({
      'models/base.sql': "{{ config(materialized='table') }}select 1 as id, 'a' as v union all select 2, 'b'",
      'models/eph_1.sql': "{{ config(materialized='ephemeral') }}select id, v from {{ ref('base') }}",
      'models/eph_2.sql': "{{ config(materialized='ephemeral') }}select id * 10 as id, v from {{ ref('eph_1') }}",
      'models/final_view.sql': "select * from {{ ref('eph_2') }}",
    });
    const r = await run({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.deepEqual(await relations(adapter), [
      ['base', 'table'],
      ['final_view', 'view'],
    ]);
    assert.deepEqual(await q(`select id, v from ${rel(adapter, 'final_view')} order by id`), [
      { id: 10, v: 'a' },
      { id: 20, v: 'b' },
    ]);
  });

  test(`${engine.name}: a failed rebuild leaves the old table and view in place`, async () => {
    const { dir, adapter, q } = await project({
      'models/t.sql': "{{ config(materialized='table') }}select 1 as id",
      'models/v.sql': 'select 2 as id',
    });
    assert.equal((await run({ projectDir: dir })).success, true);
    writeFileSync(join(dir, 'models/t.sql'), "{{ config(materialized='table') }}select cast('oops' as integer) as id");
    writeFileSync(join(dir, 'models/v.sql'), 'select * from no_such_relation_anywhere');
    const r = await run({ projectDir: dir });
    assert.deepEqual(
      r.results.map((x) => x.status),
      ['error', 'error'],
    );
    assert.deepEqual(await q(`select id from ${rel(adapter, 't')}`), [{ id: 1 }]);
    assert.deepEqual(await q(`select id from ${rel(adapter, 'v')}`), [{ id: 2 }]);
    assert.deepEqual(
      (await relations(adapter)).filter(([name]) => name!.includes('kiln_tmp')),
      [],
    );
  });

  test(`${engine.name}: seeds with nulls, quotes, commas, dates, timestamps and odd column names`, async () => {
    const { dir, adapter, q } = await project({
      'seeds/people.csv':
        'id,name,joined,seen_at,score,active,"Mixed Case","select",with space\n1,"Smith, Jane",2024-01-31,2024-01-31 08:30:00,1.5,true,A,x,y\n2,"say ""hi""",,2024-02-01 23:59:59,,false,B,,z\n3,,2024-03-01,,-2,,C,q,\n',
    });
    const r = await seed({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    const q1 = (n: string) => adapter.quoteIdentifier(n);
    const rows = await q(
      `select id, name, cast(joined as varchar(10)) as joined, cast(seen_at as varchar(19)) as seen_at, score, active, ${q1('Mixed Case')} as mc, ${q1('select')} as sel, ${q1('with space')} as ws from ${rel(adapter, 'people')} order by id`,
    );
    assert.deepEqual(rows, [
      {
        id: 1,
        name: 'Smith, Jane',
        joined: '2024-01-31',
        seen_at: '2024-01-31 08:30:00',
        score: 1.5,
        active: true,
        mc: 'A',
        sel: 'x',
        ws: 'y',
      },
      {
        id: 2,
        name: 'say "hi"',
        joined: null,
        seen_at: '2024-02-01 23:59:59',
        score: null,
        active: false,
        mc: 'B',
        sel: null,
        ws: 'z',
      },
      { id: 3, name: null, joined: '2024-03-01', seen_at: null, score: -2, active: null, mc: 'C', sel: 'q', ws: null },
    ]);
  });

  test(`${engine.name}: every generic test passes and fails as it should, and gates build`, async () => {
    const { dir } = await project({
      'models/parents.sql': "{{ config(materialized='table') }}select 1 as id union all select 2",
      'models/kids.sql':
        "{{ config(materialized='table') }}select 1 as id, 1 as parent_id, 'red' as colour union all select 2, 2, 'blue' union all select 3, 3, 'green' union all select 3, null, 'red'",
      'models/downstream.sql': "select * from {{ ref('kids') }}",
      'models/schema.yml': [
        'version: 2',
        'models:',
        '  - name: parents',
        '    columns:',
        '      - name: id',
        '        data_tests: [unique, not_null]',
        '  - name: kids',
        '    columns:',
        '      - name: id',
        '        data_tests:',
        '          - unique',
        '      - name: parent_id',
        '        data_tests:',
        '          - not_null',
        "          - relationships: {to: ref('parents'), field: id}",
        '      - name: colour',
        '        data_tests:',
        '          - accepted_values: {values: [red, blue, green]}',
        '          - accepted_values: {name: colours_strict, values: [red, blue]}',
      ].join('\n'),
    });
    const r = await build({ projectDir: dir });
    const status = (prefix: string) => r.results.find((x) => x.uniqueId.startsWith(`test.conf.${prefix}`))?.status;
    assert.equal(status('unique_parents_id'), 'pass');
    assert.equal(status('not_null_parents_id'), 'pass');
    assert.equal(status('unique_kids_id'), 'fail');
    assert.equal(status('not_null_kids_parent_id'), 'fail');
    assert.equal(status('relationships_kids_parent_id__id__ref_parents_'), 'fail');
    assert.equal(status('accepted_values_kids_colour__red__blue__green'), 'pass');
    assert.equal(status('colours_strict'), 'fail');
    assert.equal(r.results.find((x) => x.uniqueId === 'model.conf.downstream')?.status, 'skipped');
    assert.equal(r.success, false);
  });

  test(`${engine.name}: schema and alias configs, and relation and column introspection`, async () => {
    const { dir, adapter, q } = await project({
      'models/m.sql':
        "{{ config(materialized='table', schema='extra', alias='Renamed Thing') }}select 1 as id, 'x' as label",
      'models/n.sql': "select * from {{ ref('m') }}",
    });
    const r = await run({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.deepEqual(await q(`select label from ${rel(adapter, 'Renamed Thing', `${schema}_extra`)}`), [
      { label: 'x' },
    ]);
    const docs = await generateDocs({ projectDir: dir, emptyCatalog: false });
    const catalog = docs.catalog as {
      nodes: Record<
        string,
        {
          metadata: { type: string; schema: string; name: string };
          columns: Record<string, { type: string; index: number }>;
        }
      >;
    };
    const m = catalog.nodes['model.conf.m']!;
    assert.equal(m.metadata.schema.toLowerCase(), `${schema}_extra`);
    assert.equal(m.metadata.name, 'Renamed Thing');
    assert.match(m.metadata.type, /table/i);
    assert.deepEqual(
      Object.keys(m.columns).map((c) => c.toLowerCase()),
      ['id', 'label'],
    );
    assert.equal(Object.entries(m.columns).find(([c]) => c.toLowerCase() === 'id')?.[1].index, 1);
    assert.match(catalog.nodes['model.conf.n']!.metadata.type, /view/i);
  });

  /** Rows as 'a:b:c' strings, sorted: values compared across warehouses by their text. */
  const texts = (rows: Array<Record<string, unknown>>) =>
    rows
      .map((r) =>
        Object.values(r)
          .map((v) =>
            v instanceof Date ? v.toISOString().slice(0, 19) : typeof v === 'number' ? String(Number(v)) : String(v),
          )
          .join(':'),
      )
      .sort();
  const loadRows = `{% if var('load', 1) == 1 %}
select 1 as id, 'a' as v union all select 2, 'b' union all select 3, 'c'
{% else %}
select 2 as id, 'B' as v union all select 3, 'C' union all select 4, 'd'
{% endif %}`;

  test(`${engine.name}: every incremental strategy (append, delete+insert, merge, the default) over two loads`, async () => {
    const { dir, adapter, q } = await project({
      'models/inc_append.sql': `{{ config(materialized='incremental', incremental_strategy='append') }}\n${loadRows}`,
      'models/inc_delete_insert.sql': `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id') }}\n${loadRows}`,
      'models/inc_merge.sql': `{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\n${loadRows}`,
      'models/inc_default.sql': `{{ config(materialized='incremental', unique_key='id') }}\n${loadRows}`,
      'models/inc_merge_cols.sql':
        `{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id', merge_update_columns=['v']) }}\nselect id, v, {{ var('load', 1) }} as loaded from ({{ loadRows }}) as x`.replace(
          '{{ loadRows }}',
          loadRows,
        ),
    });
    for (const load of [1, 2]) {
      const r = await run({ projectDir: dir, vars: { load } });
      assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    }
    const rows = async (name: string, cols = 'id, v') => texts(await q(`select ${cols} from ${rel(adapter, name)}`));
    assert.deepEqual(await rows('inc_append'), ['1:a', '2:B', '2:b', '3:C', '3:c', '4:d']);
    for (const name of ['inc_delete_insert', 'inc_merge', 'inc_default'])
      assert.deepEqual(await rows(name), ['1:a', '2:B', '3:C', '4:d'], name);
    // merge_update_columns: matched rows change only `v`; `loaded` keeps the first load's value.
    assert.deepEqual(await rows('inc_merge_cols', 'id, v, loaded'), ['1:a:1', '2:B:1', '3:C:1', '4:d:2']);
  });

  test(`${engine.name}: microbatch replaces each batch's window, leaving other windows alone`, async () => {
    const events = (load: number) =>
      load === 1
        ? "select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'a' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'b'"
        : "select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'A' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'B' union all select 3, cast('2024-01-02 11:00:00' as timestamp), 'c'";
    const { dir, adapter, q } = await project({
      'models/events.sql': `{{ config(materialized='table', event_time='ts') }}\n{% if var('load', 1) == 1 %}${events(1)}{% else %}${events(2)}{% endif %}`,
      'models/micro.sql':
        "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }}\nselect id, ts, v from {{ ref('events') }}",
    });
    const first = await run({ projectDir: dir, eventTimeStart: '2024-01-01', eventTimeEnd: '2024-01-03' });
    assert.equal(first.success, true, first.results.map((x) => x.message).join('\n'));
    // The second load redoes only 2024-01-02: the changed row of 2024-01-01 stays as it was.
    const second = await run({
      projectDir: dir,
      vars: { load: 2 },
      eventTimeStart: '2024-01-02',
      eventTimeEnd: '2024-01-03',
    });
    assert.equal(second.success, true, second.results.map((x) => x.message).join('\n'));
    assert.deepEqual(texts(await q(`select id, v from ${rel(adapter, 'micro')}`)), ['1:a', '2:B', '3:c']);
  });

  test(`${engine.name}: snapshots keep history (check strategy): a changed row is closed and its new version added`, async () => {
    const { dir, adapter, q } = await project({
      'models/customers.sql':
        "{{ config(materialized='table') }}\n{% if var('load', 1) == 1 %}select 1 as id, 'gold' as tier union all select 2, 'silver'{% else %}select 1 as id, 'platinum' as tier union all select 2, 'silver'{% endif %}",
      'snapshots/customers_snap.sql': `{% snapshot customers_snap %}\n{{ config(unique_key='id', strategy='check', check_cols=['tier'], target_schema='${schema}') }}\nselect * from {{ ref('customers') }}\n{% endsnapshot %}`,
    });
    for (const load of [1, 2, 2]) {
      const r = await build({ projectDir: dir, vars: { load } });
      assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    }
    const rows = await q(
      `select id, tier, case when dbt_valid_to is null then 'current' else 'closed' end as state from ${rel(adapter, 'customers_snap')}`,
    );
    assert.deepEqual(texts(rows), ['1:gold:closed', '1:platinum:current', '2:silver:current']);
  });

  test(`${engine.name}: pre- and post-hooks and on-run-start/on-run-end run in order`, async () => {
    const { dir, adapter, q } = await project({
      'dbt_project.yml': [
        'name: conf',
        'profile: conf',
        'config-version: 2',
        // No `create schema` here: the run's schemas exist before on-run-start, as in dbt.
        'on-run-start:',
        '  - "create table if not exists {{ target.schema }}.hook_log (step {{ dbt.type_string() }}, n {{ dbt.type_int() }})"',
        'on-run-end:',
        '  - "insert into {{ target.schema }}.hook_log (step, n) values (\'end\', 4)"',
      ].join('\n'),
      'models/hooked.sql': `{{ config(materialized='table', pre_hook="insert into {{ target.schema }}.hook_log (step, n) values ('pre', 1)", post_hook=["insert into {{ target.schema }}.hook_log (step, n) values ('post', 2)", "insert into {{ target.schema }}.hook_log (step, n) select 'rows', count(*) from {{ this }}"]) }}\nselect 1 as id union all select 2`,
    });
    const r = await run({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.deepEqual(texts(await q(`select step, n from ${rel(adapter, 'hook_log')}`)), [
      'end:4',
      'post:2',
      'pre:1',
      'rows:2',
    ]);
  });

  test(`${engine.name}: unit tests pass on the expected rows and fail with a diff on others`, async () => {
    const { dir } = await project({
      'models/src_orders.sql': "{{ config(materialized='table') }}select 1 as id, 10 as amount union all select 2, 20",
      'models/big_orders.sql': "select id, amount * 2 as doubled from {{ ref('src_orders') }} where amount > 5",
      'models/unit.yml': [
        'unit_tests:',
        '  - name: doubles_big_orders',
        '    model: big_orders',
        '    given:',
        "      - input: ref('src_orders')",
        '        rows: [{id: 1, amount: 3}, {id: 2, amount: 7}]',
        '    expect:',
        '      rows: [{id: 2, doubled: 14}]',
        '  - name: wrong_expectation',
        '    model: big_orders',
        '    given:',
        "      - input: ref('src_orders')",
        '        rows: [{id: 2, amount: 7}]',
        '    expect:',
        '      rows: [{id: 2, doubled: 15}]',
      ].join('\n'),
    });
    const r = await build({ projectDir: dir });
    const status = (name: string) => r.results.find((x) => x.uniqueId.endsWith(`.${name}`))?.status;
    assert.equal(status('doubles_big_orders'), 'pass', r.results.map((x) => `${x.uniqueId} ${x.message}`).join('\n'));
    assert.equal(status('wrong_expectation'), 'fail');
  });

  test(`${engine.name}: write-audit-publish keeps production when the audit fails, publishes when it passes`, async () => {
    const { dir, adapter, q } = await project({
      'models/audited.sql':
        "{{ config(materialized='table', audit=true) }}\n{% if var('load', 1) == 2 %}select cast(null as {{ dbt.type_int() }}) as id{% else %}select {{ var('load', 1) }} as id{% endif %}",
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: audited\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
    });
    assert.equal((await build({ projectDir: dir })).success, true);
    const bad = await build({ projectDir: dir, vars: { load: 2 } });
    assert.equal(bad.success, false);
    assert.deepEqual(
      texts(await q(`select id from ${rel(adapter, 'audited')}`)),
      ['1'],
      'production kept the audited data',
    );
    const good = await build({ projectDir: dir, vars: { load: 3 } });
    assert.equal(good.success, true, good.results.map((x) => x.message).join('\n'));
    assert.deepEqual(texts(await q(`select id from ${rel(adapter, 'audited')}`)), ['3']);
    assert.deepEqual(
      (await relations(adapter)).map(([n]) => n).filter((n) => /kiln_(audit|quarantine|tmp)/.test(n!)),
      [],
    );
  });

  test(`${engine.name}: an enforced contract builds when the SQL matches it, and fails before building when not`, async () => {
    // Type names each warehouse accepts; both sides use them, so they agree by construction.
    const [int, str] = String(settings.type) === 'bigquery' ? ['int64', 'string'] : ['integer', 'varchar'];
    const model = (extra: string) =>
      `{{ config(materialized='table') }}\nselect cast(1 as ${int}) as id, cast('x' as ${str}) as name${extra}`;
    const yml = (extraColumn: string) =>
      [
        'version: 2',
        'models:',
        '  - name: contracted',
        '    config:',
        '      contract: {enforced: true}',
        '    columns:',
        '      - name: id',
        `        data_type: ${int}`,
        '      - name: name',
        `        data_type: ${str}`,
        extraColumn,
      ].join('\n');
    const { dir, adapter, q } = await project({ 'models/contracted.sql': model(''), 'models/schema.yml': yml('') });
    const ok = await run({ projectDir: dir });
    assert.equal(ok.success, true, ok.results.map((x) => x.message).join('\n'));
    assert.deepEqual(texts(await q(`select id, name from ${rel(adapter, 'contracted')}`)), ['1:x']);
    writeFileSync(join(dir, 'models/schema.yml'), yml(`      - name: vip\n        data_type: ${int}`));
    writeFileSync(join(dir, 'models/contracted.sql'), model(`, 2 as extra`));
    const bad = await run({ projectDir: dir });
    assert.equal(bad.success, false);
    const message = bad.results[0]?.message ?? '';
    assert.match(message, /enforced contract/);
    assert.match(message, /vip/i);
    assert.match(message, /missing in definition/);
    assert.match(message, /missing in contract/);
    assert.deepEqual(
      texts(await q(`select id, name from ${rel(adapter, 'contracted')}`)),
      ['1:x'],
      'the old table is as it was',
    );
  });

  if (engine.extraStrategies?.includes('insert_overwrite')) {
    test(`${engine.name}: insert_overwrite replaces whole partitions the new rows fall in, and keeps the others`, async () => {
      const days = `{% if var('load', 1) == 1 %}
select 1 as id, date '2024-01-01' as day, 'a' as v union all select 2, date '2024-01-02', 'b' union all select 3, date '2024-01-02', 'c'
{% else %}
select 4 as id, date '2024-01-02' as day, 'd' as v union all select 5, date '2024-01-03', 'e'
{% endif %}`;
      const { dir, adapter, q } = await project({
        'models/by_day.sql': `{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by={'field': 'day', 'data_type': 'date'}) }}\n${days}`,
        'models/by_month.sql': `{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by={'field': 'day', 'data_type': 'date', 'granularity': 'month'}) }}\n${days}`,
      });
      for (const load of [1, 2]) {
        const r = await run({ projectDir: dir, vars: { load } });
        assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
      }
      // 2024-01-02 is replaced by the second load's rows (2 and 3 go, 4 comes); 01-01 stays; 01-03 is new.
      assert.deepEqual(texts(await q(`select id, v from ${rel(adapter, 'by_day')}`)), ['1:a', '4:d', '5:e']);
      // By month, January is one partition: the second load replaces it whole.
      assert.deepEqual(texts(await q(`select id, v from ${rel(adapter, 'by_month')}`)), ['4:d', '5:e']);
    });
  }
}
