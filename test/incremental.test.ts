/**
 * Incremental models end to end through the CLI, on every engine: rounds of changing source
 * data (new, updated and deleted rows, a new column, a dropped column), checking each table's
 * contents after every round and after re-running a round unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

const model = (config: string) =>
  `{{ config(materialized='incremental'${config ? ', ' + config : ''}) }}
select *, {{ var('round') }} as loaded_round from {{ ref('raw') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`;

const rounds: Record<number, string> = {
  1: 'id,region,status,updated_at\n1,eu,new,2024-01-01 00:00:00\n2,eu,new,2024-01-01 00:00:00\n',
  // 1 updated, 2 deleted, 3 new
  2: 'id,region,status,updated_at\n1,eu,shipped,2024-01-02 00:00:00\n3,us,new,2024-01-02 00:00:00\n',
  // a new column; 3 updated, 4 new
  3: 'id,region,status,updated_at,priority\n1,eu,shipped,2024-01-02 00:00:00,\n3,us,done,2024-01-03 00:00:00,high\n4,us,new,2024-01-03 00:00:00,low\n',
  // status dropped; 4 updated
  4: 'id,region,updated_at,priority\n1,eu,2024-01-02 00:00:00,\n3,us,2024-01-03 00:00:00,high\n4,us,2024-01-04 00:00:00,urgent\n',
};

describeEngines((engine, engineName) => {
  /** Rows as 'id|status|MM-DD|round[|priority]', sorted. */
  const contents = async (dir: string, table: string, extra = ''): Promise<string[]> => {
    const status = extra.includes('nostatus') ? `'-'` : 'status';
    const prio = extra.includes('priority') ? `, priority` : '';
    const rows = await engine.query(
      dir,
      `select cast(id as integer) as id, ${status} as status, cast(updated_at as varchar) as upd, cast(loaded_round as integer) as r${prio} from ${table}`,
    );
    return rows
      .map((x) =>
        [x.id, x.status ?? 'null', String(x.upd).slice(5, 10), x.r, ...(prio ? [x.priority ?? 'null'] : [])].join('|'),
      )
      .sort();
  };
  const columns = async (dir: string, table: string): Promise<string[]> =>
    (
      await engine.query(
        dir,
        `select column_name from information_schema.columns where table_schema = '${engine.schema}' and table_name = '${table}' order by ordinal_position`,
      )
    ).map((r) => String(r.column_name));

  test(`${engineName}: strategies, unique keys, predicates and schema changes over rounds of source data`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/raw.csv': rounds[1]!,
        'models/inc_append.sql': model(''),
        'models/inc_delins.sql': model("unique_key='id', on_schema_change='append_new_columns'"),
        'models/inc_merge.sql': model(
          "unique_key='id', incremental_strategy='merge', merge_exclude_columns=['loaded_round'], on_schema_change='sync_all_columns'",
        ),
        'models/inc_merge_cols.sql': model(
          "unique_key=['id', 'region'], incremental_strategy='merge', merge_update_columns=['status'], full_refresh=false",
        ),
        'models/inc_pred.sql': model(
          "unique_key='id', incremental_strategy='merge', incremental_predicates=['DBT_INTERNAL_DEST.id > 1']",
        ),
        'models/inc_delins_pred.sql': model(
          "unique_key='id', incremental_strategy='delete+insert', incremental_predicates=['DBT_INTERNAL_DEST.id > 1']",
        ),
        'models/inc_fail.sql': model("unique_key='id', on_schema_change='fail'"),
      }),
      ...engine.profileFiles(),
    });
    const build = (round: number, ...args: string[]) =>
      kiln(['build', '--project-dir', dir, '--vars', `{round: ${round}}`, ...args]);
    const all = ['inc_append', 'inc_delins', 'inc_merge', 'inc_merge_cols', 'inc_pred', 'inc_delins_pred', 'inc_fail'];
    const snapshotAll = async () =>
      Object.fromEntries(await Promise.all(all.map(async (t) => [t, await contents(dir, t)] as const)));
    try {
      // Round 1: the first run builds every table from scratch.
      let r = build(1);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const round1 = ['1|new|01-01|1', '2|new|01-01|1'];
      for (const t of all) assert.deepEqual(await contents(dir, t), round1, t);
      // Re-running with no new data changes nothing.
      r = build(1);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const t of all) assert.deepEqual(await contents(dir, t), round1, t);

      // Round 2: 1 updated, 2 deleted at the source, 3 new.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[2]!);
      r = build(2);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const round2 = {
        inc_append: ['1|new|01-01|1', '1|shipped|01-02|2', '2|new|01-01|1', '3|new|01-02|2'],
        inc_delins: ['1|shipped|01-02|2', '2|new|01-01|1', '3|new|01-02|2'],
        // merge_exclude_columns keeps the round a row was first loaded in.
        inc_merge: ['1|shipped|01-02|1', '2|new|01-01|1', '3|new|01-02|2'],
        // merge_update_columns: only status changes on a match.
        inc_merge_cols: ['1|shipped|01-01|1', '2|new|01-01|1', '3|new|01-02|2'],
        // The predicate keeps row 1 from matching, so its new version is added beside it.
        inc_pred: ['1|new|01-01|1', '1|shipped|01-02|2', '2|new|01-01|1', '3|new|01-02|2'],
        inc_delins_pred: ['1|new|01-01|1', '1|shipped|01-02|2', '2|new|01-01|1', '3|new|01-02|2'],
        inc_fail: ['1|shipped|01-02|2', '2|new|01-01|1', '3|new|01-02|2'],
      };
      assert.deepEqual(await snapshotAll(), round2);
      r = build(2);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await snapshotAll(), round2, 'idempotent re-run');

      // Round 3: a new column `priority`; 3 updated, 4 new.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[3]!);
      r = build(3);
      assert.equal(r.code, 1, 'on_schema_change=fail fails the run');
      assert.match(r.stdout, /inc_fail/);
      assert.match(r.stdout, /on_schema_change='fail'/);
      assert.match(r.stdout, /new columns: priority/);
      assert.deepEqual(await contents(dir, 'inc_fail'), round2.inc_fail, 'a failed model keeps its table');
      // ignore: the new column is not added, new rows still land.
      assert.deepEqual(
        await contents(dir, 'inc_append'),
        [...round2.inc_append, '3|done|01-03|3', '4|new|01-03|3'].sort(),
      );
      assert.ok(!(await columns(dir, 'inc_append')).includes('priority'));
      // append_new_columns / sync_all_columns: the column is added, older rows have null.
      assert.deepEqual(await contents(dir, 'inc_delins', 'priority'), [
        '1|shipped|01-02|2|null',
        '2|new|01-01|1|null',
        '3|done|01-03|3|high',
        '4|new|01-03|3|low',
      ]);
      assert.deepEqual(await contents(dir, 'inc_merge', 'priority'), [
        '1|shipped|01-02|1|null',
        '2|new|01-01|1|null',
        '3|done|01-03|2|high',
        '4|new|01-03|3|low',
      ]);
      assert.deepEqual(await contents(dir, 'inc_merge_cols'), [
        '1|shipped|01-01|1',
        '2|new|01-01|1',
        '3|done|01-02|2',
        '4|new|01-03|3',
      ]);
      assert.deepEqual(await contents(dir, 'inc_pred'), [
        '1|new|01-01|1',
        '1|shipped|01-02|2',
        '2|new|01-01|1',
        '3|done|01-03|3',
        '4|new|01-03|3',
      ]);

      // --full-refresh rebuilds from the source, except where the model says full_refresh=false.
      r = kiln([
        'run',
        '--project-dir',
        dir,
        '--vars',
        '{round: 3}',
        '--full-refresh',
        '-s',
        'inc_append',
        'inc_merge_cols',
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await contents(dir, 'inc_append', 'priority'), [
        '1|shipped|01-02|3|null',
        '3|done|01-03|3|high',
        '4|new|01-03|3|low',
      ]);
      assert.deepEqual(await contents(dir, 'inc_merge_cols'), [
        '1|shipped|01-01|1',
        '2|new|01-01|1',
        '3|done|01-02|2',
        '4|new|01-03|3',
      ]);

      // Round 4: status dropped at the source; 4 updated.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[4]!);
      r = build(4, '-s', 'raw', 'inc_append', 'inc_delins', 'inc_merge');
      assert.equal(r.code, 1);
      // ignore cannot fill a column the model no longer returns: a clear error, the table kept.
      assert.match(r.stdout, /inc_append[\s\S]*no longer returns: status/);
      assert.deepEqual(await contents(dir, 'inc_append', 'priority'), [
        '1|shipped|01-02|3|null',
        '3|done|01-03|3|high',
        '4|new|01-03|3|low',
      ]);
      // append_new_columns keeps the column (null in the new row); sync_all_columns drops it.
      assert.deepEqual(await contents(dir, 'inc_delins', 'priority'), [
        '1|shipped|01-02|2|null',
        '2|new|01-01|1|null',
        '3|done|01-03|3|high',
        '4|null|01-04|4|urgent',
      ]);
      assert.ok(!(await columns(dir, 'inc_merge')).includes('status'));
      assert.deepEqual(await contents(dir, 'inc_merge', 'priority nostatus'), [
        '1|-|01-02|1|null',
        '2|-|01-01|1|null',
        '3|-|01-03|2|high',
        '4|-|01-04|3|urgent',
      ]);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: a failure mid-way leaves the table as it was, hooks included`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/raw.csv': rounds[1]!,
        'seeds/audit.csv': 'what\nseeded\n',
        'models/inc.sql': `{{ config(materialized='incremental', unique_key='id',
            pre_hook="insert into {{ ref('audit') }} values ('pre {{ var('round') }}')",
            post_hook="{% if var('round') == 2 %}select * from no_such_table{% else %}insert into {{ ref('audit') }} values ('post {{ var('round') }}'){% endif %}") }}
-- depends_on: {{ ref('audit') }}
select *, {{ var('round') }} as loaded_round from {{ ref('raw') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`,
      }),
      ...engine.profileFiles(),
    });
    try {
      let r = kiln(['build', '--project-dir', dir, '--vars', '{round: 1}']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const audit = async () => (await engine.query(dir, 'select what from audit')).map((x) => String(x.what)).sort();
      assert.deepEqual(await audit(), ['post 1', 'pre 1', 'seeded']);
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[2]!);
      assert.equal(kiln(['seed', '--project-dir', dir, '-s', 'raw', '--vars', '{round: 2}']).code, 0);
      r = kiln(['run', '--project-dir', dir, '--vars', '{round: 2}']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /no_such_table/);
      // The merge ran, then the post-hook failed: the rows and the pre-hook's insert are rolled back.
      assert.deepEqual(await contents(dir, 'inc'), ['1|new|01-01|1', '2|new|01-01|1']);
      assert.deepEqual(await audit(), ['post 1', 'pre 1', 'seeded']);
      const leftovers = await engine.query(
        dir,
        `select table_name from information_schema.tables where table_name like '%kiln_tmp%'`,
      );
      assert.deepEqual(leftovers, []);
      // A model whose SQL fails at run time leaves the table as it was too.
      r = kiln(['run', '--project-dir', dir, '--vars', '{round: "cast(\'x\' as integer)"}']);
      assert.equal(r.code, 1);
      assert.deepEqual(await contents(dir, 'inc'), ['1|new|01-01|1', '2|new|01-01|1']);
      r = kiln(['run', '--project-dir', dir, '--vars', '{round: 3}']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await contents(dir, 'inc'), ['1|shipped|01-02|3', '2|new|01-01|1', '3|new|01-02|3']);
      assert.deepEqual(await audit(), ['post 1', 'post 3', 'pre 1', 'pre 3', 'seeded']);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: is_incremental() is false for a view; an unknown strategy is refused at parse time with the choices`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/raw.csv': rounds[1]!,
        'models/m.sql': "select *, 1 as loaded_round from {{ ref('raw') }}",
      }),
      ...engine.profileFiles(),
    });
    try {
      assert.equal(kiln(['build', '--project-dir', dir]).code, 0);
      // The view becomes an incremental table: the first build is a full one.
      writeFileSync(join(dir, 'models/m.sql'), model("unique_key='id'").replace("{{ var('round') }}", '2'));
      let r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /CREATE TABLE/);
      assert.deepEqual(await contents(dir, 'm'), ['1|new|01-01|2', '2|new|01-01|2']);
      const type = await engine.query(
        dir,
        `select table_type from information_schema.tables where table_schema = '${engine.schema}' and table_name = 'm'`,
      );
      assert.deepEqual(
        type.map((t) => t.table_type),
        ['BASE TABLE'],
      );
      writeFileSync(join(dir, 'models/m.sql'), model("unique_key='id', incremental_strategy='insert_overwrite'"));
      r = kiln(['run', '--project-dir', dir, '--vars', '{round: 1}']);
      // The adapter has no insert_overwrite (BigQuery has): a config error at the line that sets it, before any SQL runs.
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /models\/m\.sql:1.*unknown incremental_strategy 'insert_overwrite'/);
      assert.match(r.stderr, /append, delete\+insert, merge/);
      assert.deepEqual(await contents(dir, 'm'), ['1|new|01-01|2', '2|new|01-01|2'], 'the table is untouched');
    } finally {
      removeDir(dir);
    }
  });
});
