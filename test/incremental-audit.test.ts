/**
 * Write-audit-publish for incremental models, end to end through the CLI on every engine:
 * each strategy's step is applied to a staging copy, tested there, and published only when
 * the tests pass; bad rounds leave production as it was and the copy in quarantine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

const model = (config: string) =>
  `{{ config(materialized='incremental', audit=true${config ? ', ' + config : ''}) }}
select id, amount, updated_at from {{ ref('raw') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`;

const rounds: Record<number, string> = {
  1: 'id,amount,updated_at\n1,10,2024-01-01 00:00:00\n2,20,2024-01-01 00:00:00\n',
  // 1 updated, 3 new
  2: 'id,amount,updated_at\n1,11,2024-01-02 00:00:00\n2,20,2024-01-01 00:00:00\n3,30,2024-01-02 00:00:00\n',
  // 4 arrives without an amount: every model's not_null test fails on the staging copy
  3: 'id,amount,updated_at\n1,11,2024-01-02 00:00:00\n2,20,2024-01-01 00:00:00\n3,30,2024-01-02 00:00:00\n4,,2024-01-03 00:00:00\n',
  // fixed upstream
  4: 'id,amount,updated_at\n1,11,2024-01-02 00:00:00\n2,20,2024-01-01 00:00:00\n3,30,2024-01-02 00:00:00\n4,40,2024-01-03 00:00:00\n',
};

const props = `version: 2
models:
${['inc_merge', 'inc_delins', 'inc_append']
  .map(
    (m) =>
      `  - name: ${m}\n    columns:\n      - name: id\n        data_tests: [not_null${m === 'inc_append' ? '' : ', unique'}]\n      - name: amount\n        data_tests: [not_null]\n`,
  )
  .join('')}`;

describeEngines((engine, engineName) => {
  const rows = async (dir: string, table: string): Promise<string[]> =>
    (await engine.query(dir, `select cast(id as integer) as id, cast(amount as integer) as amount from ${table}`))
      .map((r) => `${r.id}:${r.amount ?? 'null'}`)
      .sort();
  const tables = async (dir: string): Promise<string[]> =>
    (
      await engine.query(
        dir,
        `select table_name from information_schema.tables where table_schema = '${engine.schema}' order by 1`,
      )
    ).map((r) => String(r.table_name));

  test(`${engineName}: audited merge, delete+insert and append publish good rounds and quarantine a bad one`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'dbt_project.yml': `name: tiny\nprofile: tiny\nconfig-version: 2\non-run-start: ["create table if not exists {{ target.schema }}.hook_log (m varchar(20), n integer)"]\n`,
        'seeds/raw.csv': rounds[1]!,
        'models/inc_merge.sql': model(
          "unique_key='id', incremental_strategy='merge', post_hook=\"insert into {{ target.schema }}.hook_log select 'merge', count(*) from {{ this }}\"",
        ),
        'models/inc_delins.sql': model("unique_key='id', incremental_strategy='delete+insert'"),
        'models/inc_append.sql': model(''),
        'models/total.sql': "{{ config(materialized='table') }}select sum(amount) as total from {{ ref('inc_merge') }}",
        'models/schema.yml': props,
      }),
      ...engine.profileFiles(),
    });
    const build = () => kiln(['build', '--project-dir', dir]);
    const hookLog = async () =>
      (await engine.query(dir, 'select m, cast(n as integer) as n from hook_log')).map((r) => `${r.m}:${r.n}`).sort();
    try {
      // Round 1: the first build creates each table, audited all the same.
      let r = build();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /CREATE TABLE \(audited: 3 tests passed\)/);
      for (const t of ['inc_merge', 'inc_delins', 'inc_append'])
        assert.deepEqual(await rows(dir, t), ['1:10', '2:20'], t);
      assert.deepEqual(await hookLog(), ['merge:2'], 'the post-hook ran when the table was published');

      // Round 2: the incremental step goes to the staging copy, passes, and is published.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[2]!);
      r = build();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MERGE 2 \(audited: 3 tests passed\)/);
      assert.match(r.stdout, /DELETE\+INSERT 2 \(audited: 3 tests passed\)/);
      assert.match(r.stdout, /INSERT 2 \(audited: 2 tests passed\)/);
      const good = ['1:11', '2:20', '3:30'];
      assert.deepEqual(await rows(dir, 'inc_merge'), good);
      assert.deepEqual(await rows(dir, 'inc_delins'), good);
      assert.deepEqual(await rows(dir, 'inc_append'), ['1:10', '1:11', '2:20', '3:30']);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(total as integer) as t from total')).map((x) => x.t),
        [61],
      );
      assert.deepEqual(await hookLog(), ['merge:2', 'merge:3']);

      // Round 3: a row without an amount. Production keeps its rows, the copy is quarantined,
      // the downstream model is skipped, and the post-hook does not run.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[3]!);
      r = build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /audit failed: not_null_inc_merge_amount \(1 failing row\)/);
      assert.match(r.stdout, /inc_merge__kiln_quarantine/);
      assert.deepEqual(await rows(dir, 'inc_merge'), good, 'consumers still see the last good table');
      assert.deepEqual(await rows(dir, 'inc_delins'), good);
      assert.deepEqual(await rows(dir, 'inc_append'), ['1:10', '1:11', '2:20', '3:30']);
      assert.deepEqual(await rows(dir, 'inc_merge__kiln_quarantine'), [...good, '4:null']);
      assert.deepEqual(await rows(dir, 'inc_append__kiln_quarantine'), ['1:10', '1:11', '2:20', '3:30', '4:null']);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(total as integer) as t from total')).map((x) => x.t),
        [61],
      );
      assert.deepEqual(await hookLog(), ['merge:2', 'merge:3']);
      const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
        results: Array<{ unique_id: string; status: string }>;
      };
      assert.equal(results.results.find((x) => x.unique_id === 'model.tiny.total')?.status, 'skipped');

      // Round 4: fixed upstream; the step is applied to production's rows (not the quarantined
      // ones) and published; the quarantine is dropped.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[4]!);
      r = build();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const fixed = [...good, '4:40'];
      assert.deepEqual(await rows(dir, 'inc_merge'), fixed);
      assert.deepEqual(await rows(dir, 'inc_delins'), fixed);
      assert.deepEqual(await rows(dir, 'inc_append'), ['1:10', '1:11', '2:20', '3:30', '4:40']);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(total as integer) as t from total')).map((x) => x.t),
        [101],
      );
      assert.deepEqual(
        await tables(dir),
        ['hook_log', 'inc_append', 'inc_delins', 'inc_merge', 'raw', 'total'],
        'no staging or quarantine left',
      );

      // Re-running with nothing new changes nothing.
      r = build();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await rows(dir, 'inc_merge'), fixed);
      assert.deepEqual(await rows(dir, 'inc_append'), ['1:10', '1:11', '2:20', '3:30', '4:40']);
    } finally {
      removeDir(dir);
    }
  });
});
