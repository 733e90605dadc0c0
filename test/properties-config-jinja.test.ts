import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from '../src/index.js';
import { writeProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

// dbt renders Jinja in every `config:` value of properties YAML (hooks aside, which render when
// they run); a value that is a single `{{ ... }}` keeps the type of its result.
test('Jinja in properties-YAML config: values is rendered: seed column_types from var(), materialized and enabled from expressions', async () => {
  const dir = writeProject({
    'dbt_project.yml':
      'name: tiny\nprofile: tiny\nconfig-version: 2\nvars:\n  id_type: varchar\n  as_table: true\n  build_extra: false\n',
    'seeds/codes.csv': 'id,label\n007,bond\n',
    'seeds/props.yml':
      'version: 2\nseeds:\n  - name: codes\n    config:\n      column_types:\n        id: "{{ var(\'id_type\') }}"\n',
    'models/shaped.sql': "select id, label from {{ ref('codes') }}",
    'models/extra.sql': 'select 1 as id',
    'models/props.yml': [
      'version: 2',
      'models:',
      '  - name: shaped',
      '    config:',
      "      materialized: \"{{ 'table' if var('as_table') else 'view' }}\"",
      '      tags: ["{{ target.name }}"]',
      '      post_hook: "create table {{ this.schema }}.hooked as select count(*) as n from {{ this }}"',
      '  - name: extra',
      '    config:',
      '      enabled: "{{ var(\'build_extra\') }}"',
    ].join('\n'),
  });
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    assert.deepEqual(r.results.map((x) => x.uniqueId).sort(), ['model.tiny.shaped', 'seed.tiny.codes']);
    const db = join(dir, 'target', 'kiln.duckdb');
    // The leading zero survives only because column_types rendered to varchar.
    assert.deepEqual(await queryDuckDB(db, 'select id from main.shaped'), [{ id: '007' }]);
    assert.deepEqual(
      await queryDuckDB(db, "select table_type from information_schema.tables where table_name = 'shaped'"),
      [{ table_type: 'BASE TABLE' }],
    );
    assert.deepEqual(await queryDuckDB(db, 'select n from main.hooked'), [{ n: 1 }]);
    const manifest = (await import(join(dir, 'target', 'manifest.json'), { with: { type: 'json' } })).default as {
      nodes: Record<string, { tags: string[] }>;
    };
    assert.deepEqual(manifest.nodes['model.tiny.shaped']!.tags, ['dev']);
  } finally {
    removeDir(dir);
  }
});
