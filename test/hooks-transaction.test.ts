/**
 * Hooks with `transaction: false`, end to end through the CLI on every engine: they run
 * outside the model's transaction (pre-hooks before it begins, post-hooks after it commits),
 * so they survive a rollback and may run statements a transaction refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kiln, writeProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

const log = (step: string) =>
  `insert into {{ target.schema }}.hook_log select '${step}', count(*) from {{ target.schema }}.hook_log`;

describeEngines((engine, engineName) => {
  test(`${engineName}: transaction: false hooks run before the transaction begins and after it commits`, async () => {
    const dir = writeProject({
      'dbt_project.yml': [
        'name: tiny',
        'profile: tiny',
        'config-version: 2',
        'on-run-start: ["create table if not exists {{ target.schema }}.hook_log (step varchar(20), n integer)"]',
        'models:',
        '  tiny:',
        '    +post-hook:',
        `      - sql: "${log('post_outside')}"`,
        '        transaction: false',
        '',
      ].join('\n'),
      'models/m.sql': `{{ config(materialized='incremental', unique_key='id',
  pre_hook=[{'sql': "${log('pre_outside')}", 'transaction': False}, "${log('pre_inside')}"],
  post_hook=["${log('post_inside')}"]) }}
select 1 as id, {{ var('v') }} as v
`,
      // VACUUM cannot run inside a transaction block on PostgreSQL.
      ...(engineName === 'postgres'
        ? {
            'models/vacuumed.sql': `{{ config(materialized='table', post_hook={'sql': 'vacuum analyze {{ this }}', 'transaction': false}) }}select 1 as id\n`,
          }
        : {}),
      ...engine.profileFiles(),
    });
    const steps = async () =>
      (await engine.query(dir, 'select step, cast(n as integer) as n from hook_log order by n')).map(
        (r) => `${r.n}:${r.step}`,
      );
    try {
      let r = kiln(['run', '--project-dir', dir, '-s', 'm', '--vars', '{v: 1}']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await steps(), ['0:pre_outside', '1:pre_inside', '2:post_inside', '3:post_outside']);
      if (engineName === 'postgres') {
        r = kiln(['run', '--project-dir', dir, '-s', 'vacuumed', '--vars', '{v: 1}']);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual((await steps()).slice(4), ['4:post_outside']);
      }

      // The model fails: its transaction (and the hooks inside it) is rolled back; the
      // outside pre-hook has run and stays, the outside post-hook never runs.
      const before = (await steps()).length;
      r = kiln(['run', '--project-dir', dir, '-s', 'm', '--vars', `{v: "cast('x' as integer)"}`]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const after = await steps();
      assert.deepEqual(after.slice(before), [`${before}:pre_outside`]);

      // An incremental run: the same order around the merge.
      r = kiln(['run', '--project-dir', dir, '-s', 'm', '--vars', '{v: 2}']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const n = before + 1;
      assert.deepEqual((await steps()).slice(n), [
        `${n}:pre_outside`,
        `${n + 1}:pre_inside`,
        `${n + 2}:post_inside`,
        `${n + 3}:post_outside`,
      ]);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(v as integer) as v from m')).map((x) => x.v),
        [2],
      );
    } finally {
      removeDir(dir);
    }
  });
});
