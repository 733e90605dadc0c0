/**
 * The live smoke test, shared by Snowflake and BigQuery: a tiny project (a seed, a view, a
 * table, two generic tests) built on a real account through the CLI's own code path, checked,
 * and its schema dropped afterwards. Run only by hand or by a pipeline that has an account:
 * see docs/adapters/snowflake.md and docs/adapters/bigquery.md.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build, debug } from '../../src/index.js';
import { minimalProject, removeDir, writeProject } from '../helpers/cli.js';
import { createAdapter } from '../../src/adapters/factory.js';
import { resolveTarget } from '../../src/config/profiles.js';
import { loadProject } from '../../src/config/project.js';

export function liveSmokeTest(kind: 'snowflake' | 'bigquery', envVar: string): void {
  const value = process.env[envVar];
  if (!value) {
    // Never a silent pass: running this file without an account is a mistake worth saying so.
    throw new Error(
      `${envVar} is not set: point it at a profiles.yml (or its folder) with a '${kind}' output in a profile named kiln_live; see docs/adapters/${kind}.md`,
    );
  }
  const profilesDir = existsSync(value) && statSync(value).isDirectory() ? value : dirname(value);
  const suffix = `kiln_live_${randomBytes(3).toString('hex')}`;
  const dir = writeProject(
    minimalProject({
      'dbt_project.yml': `name: kiln_live\nprofile: kiln_live\nconfig-version: 2\nmodels:\n  kiln_live:\n    +schema: ${suffix}\nseeds:\n  kiln_live:\n    +schema: ${suffix}\n`,
      'seeds/live_seed.csv': 'id,name,amount,day\n1,ann,10.5,2024-01-02\n2,bob,20,2024-01-03\n',
      'models/live_view.sql': 'select id, name, amount, day from {{ ref("live_seed") }}',
      'models/live_table.sql':
        "{{ config(materialized='table') }}\nselect name, sum(amount) as total from {{ ref('live_view') }} group by name",
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: live_table\n    columns:\n      - name: name\n        tests: [unique, not_null]\n',
    }),
  );

  after(async () => {
    try {
      const project = loadProject(dir, {});
      const target = resolveTarget(project, { profilesDir }, () => undefined);
      if (target.type !== kind) return;
      const adapter = await createAdapter(target, dir);
      // An account that could not be reached has nothing to clean up; the tests said why.
      if (
        !(await adapter.open().then(
          () => true,
          () => false,
        ))
      )
        return;
      const schema = `${adapter.defaultSchema}_${suffix}`;
      const name = kind === 'snowflake' ? adapter.relation(adapter.defaultDatabase, schema, 'x').schema! : schema;
      await adapter
        .execute(
          `drop schema if exists ${adapter.quoteIdentifier(adapter.defaultDatabase!)}.${adapter.quoteIdentifier(name)} cascade`,
        )
        .catch(() => undefined);
      await adapter.close();
    } finally {
      removeDir(dir);
    }
  });

  test(`${kind}: kiln debug reaches the account`, async () => {
    const r = await debug({ projectDir: dir, profilesDir });
    assert.equal(r.ok, true, r.lines.join('\n'));
    assert.match(r.lines.join('\n'), new RegExp(`adapter: ${kind}`));
  });

  test(`${kind}: a seed, a view, a table and their tests build`, async () => {
    const r = await build({ projectDir: dir, profilesDir });
    assert.equal(r.success, true, JSON.stringify(r.results, null, 2));
    assert.equal(r.results.filter((x) => x.status === 'pass').length, 2);
    assert.equal(r.results.filter((x) => x.status === 'success').length, 3);
  });
}
