/**
 * Hooks end to end through the CLI, on every engine: pre/post hooks from the project, YAML
 * and the file accumulate in that order and run in the model's transaction; on-run-start and
 * on-run-end render Jinja and run around the nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

describeEngines((engine, engineName) => {
  const project = (model: string) => ({
    'dbt_project.yml': `name: tiny
profile: tiny
config-version: 2
on-run-start:
  - "create table if not exists {{ target.schema }}.audit (seq integer, what varchar)"
  - "insert into {{ target.schema }}.audit select coalesce(max(seq), 0) + 1, 'start {{ target.name }}' from {{ target.schema }}.audit"
on-run-end: "insert into {{ target.schema }}.audit select coalesce(max(seq), 0) + 1, 'end {{ schemas | join(\\",\\") }}' from {{ target.schema }}.audit"
models:
  tiny:
    +pre-hook: "insert into {{ target.schema }}.audit select coalesce(max(seq), 0) + 1, 'project pre {{ this.identifier }}' from {{ target.schema }}.audit"
`,
    'models/props.yml': `version: 2
models:
  - name: m
    config:
      post_hook:
        - "insert into {{ target.schema }}.audit select coalesce(max(seq), 0) + 1, 'yaml post ' || (select count(*) from {{ this }}) from {{ target.schema }}.audit"
`,
    'models/m.sql': model,
    ...engine.profileFiles(),
  });
  const audit = async (dir: string) =>
    (await engine.query(dir, 'select what from audit order by seq')).map((r) => String(r.what));

  test(`${engineName}: model hooks accumulate and see {{ this }}; run hooks render Jinja`, async () => {
    const dir = writeProject(
      project(`{{ config(materialized='table', pre_hook="insert into {{ target.schema }}.audit select coalesce(max(seq), 0) + 1, 'file pre' from {{ target.schema }}.audit") }}
select 1 as id union all select 2`),
    );
    try {
      const r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // Project hooks first, then YAML, then the file's; the post-hook sees the new table.
      assert.deepEqual(await audit(dir), [
        'start dev',
        'project pre m',
        'file pre',
        'yaml post 2',
        `end ${engine.schema}`,
      ]);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: a failing model rolls back its pre-hook; a failing on-run-start stops the run`, async () => {
    const dir = writeProject(project(`{{ config(materialized='table') }}\nselect 1 as id`));
    try {
      assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
      writeFileSync(join(dir, 'models/m.sql'), `{{ config(materialized='table') }}\nselect * from no_such_table`);
      let r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 1);
      // The project pre-hook ran inside the model's transaction, so the failure undid it.
      assert.deepEqual(await audit(dir), [
        'start dev',
        'project pre m',
        'yaml post 1',
        `end ${engine.schema}`,
        'start dev',
        `end ${engine.schema}`,
      ]);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(id as integer) as id from m')).map((x) => x.id),
        [1],
      );

      writeFileSync(join(dir, 'models/m.sql'), 'select 2 as id');
      writeFileSync(
        join(dir, 'dbt_project.yml'),
        'name: tiny\nprofile: tiny\nconfig-version: 2\non-run-start:\n  - "select 1"\n  - "select * from no_such_table"\n',
      );
      r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /on-run-start hook 2 failed/);
      assert.match(r.stderr, /dbt_project\.yml:6/);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(id as integer) as id from m')).map((x) => x.id),
        [1],
        'no model ran',
      );
    } finally {
      removeDir(dir);
    }
  });
});
