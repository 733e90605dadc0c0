/**
 * What real dbt packages (dbt_project_evaluator, elementary, dbt_utils' integration tests,
 * jaffle-shop's unit tests) rely on beyond Jinja itself, each seen failing on one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, compile } from '../src/index.js';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

test("dbt_project.yml may read target (the evaluator's +materialized), and a var holding Jinja renders when var() reads it", async () => {
  const dir = writeProject({
    'dbt_project.yml': [
      'name: tiny',
      'profile: tiny',
      'config-version: 2',
      'vars:',
      "  batch_size: \"{{ 500 if target.type in ['athena', 'bigquery'] else 10000 }}\"",
      'models:',
      '  tiny:',
      "    +materialized: \"{{ 'table' if target.type in ['duckdb'] else 'view' }}\"",
    ].join('\n'),
    'models/m.sql': "select {{ var('batch_size') | int + 1 }} as n",
  });
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, 'select n from main.m'), [{ n: 10001 }]);
    assert.deepEqual(await queryDuckDB(db, "select table_type from information_schema.tables where table_name = 'm'"), [
      { table_type: 'BASE TABLE' },
    ]);
  } finally {
    removeDir(dir);
  }
});

test('elementary idioms: builtins.ref.config.dependencies, dbt.run_query, agate rename and row attributes, adapter.commit, make_temp_relation', async () => {
  const dir = writeProject(
    minimalProject({
      'dbt_packages/helper/dbt_project.yml': "name: helper\nversion: '0.25.1'\nconfig-version: 2\n",
      'dbt_packages/helper/macros/h.sql':
        '{% macro helper_version() %}{{ return(builtins.ref.config.dependencies["helper"].version) }}{% endmacro %}',
      'models/m.sql': [
        '{% set t = dbt.run_query(\'select 1 as "ID", 2 as "Name"\') if execute else none %}',
        "{% set renamed = t.rename({'ID': 'id', 'Name': 'name'}) if execute else none %}",
        '{% set row = renamed.rows[0] if execute else none %}',
        '{% do adapter.commit() %}',
        '{% set tmp = dbt.make_temp_relation(this) %}',
        "select '{{ helper.helper_version() }}' as version,",
        '  \'{{ renamed.column_names | join(",") if execute }}\' as cols,',
        '  {{ row.name if execute else 0 }} as name_value,',
        "  '{{ tmp.identifier }}|{{ tmp.schema }}|{{ tmp.database }}' as tmp",
      ].join('\n'),
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const rows = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select * from main.m');
    // DuckDB's temporary tables have no schema or database (dbt-duckdb's make_temp_relation).
    assert.deepEqual(rows, [{ version: '0.25.1', cols: 'id,name', name_value: 2, tmp: 'm__dbt_tmp|None|None' }]);
  } finally {
    removeDir(dir);
  }
});

test('a render replayed for warehouse answers reads the same datetime.now() each time: a table named after the time is one table', async () => {
  const dir = writeProject(
    minimalProject({
      'models/m.sql': [
        "{% set suffix = modules.datetime.datetime.utcnow().strftime('%Y%m%d%H%M%S%f') %}",
        "{% if execute %}{% do run_query('create table main.t_' ~ suffix ~ ' as select 1 as x') %}",
        "{% set n = run_query('select count(*) from main.t_' ~ suffix).rows[0][0] %}",
        "{% do run_query('drop table main.t_' ~ suffix) %}{% endif %}",
        'select {{ n if execute else 0 }} as n',
      ].join('\n'),
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    assert.deepEqual(await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select n from main.m'), [{ n: 1 }]);
  } finally {
    removeDir(dir);
  }
});

test("a relation's unset parts read as None, and incorporate(path={'schema': none}) drops the part", async () => {
  const dir = writeProject(
    minimalProject({
      'models/m.sql':
        "{% set r = api.Relation.create(identifier='x') %}select '{{ r.database }}|{{ r.schema }}|{{ this.incorporate(path={'schema': none}) }}' as v",
    }),
  );
  try {
    const c = await compile({ projectDir: dir });
    const sql = c.compiled.get('model.tiny.m')!;
    assert.match(sql, /'None\|None\|"[^"]+"\."m"'/);
  } finally {
    removeDir(dir);
  }
});

test("unit tests read a source's columns from a disabled seed of the same name (jaffle-shop's raw tables)", () => {
  const dir = writeProject({
    'dbt_project.yml':
      'name: tiny\nprofile: tiny\nconfig-version: 2\nseeds:\n  tiny:\n    +enabled: "{{ var(\'load_source_data\', false) }}"\n',
    'seeds/raw_stores.csv': 'id,name,opened_at,tax_rate\n1,Philly,2016-09-01T00:00:00,0.06\n',
    'models/sources.yml': 'version: 2\nsources:\n  - name: ecom\n    schema: raw\n    tables: [{name: raw_stores}]\n',
    'models/stg_locations.sql':
      "select id as location_id, cast(date_trunc('day', opened_at) as date) as opened_date from {{ source('ecom', 'raw_stores') }}",
    'models/props.yml': [
      'version: 2',
      'unit_tests:',
      '  - name: truncates_to_date',
      '    model: stg_locations',
      '    given:',
      "      - input: source('ecom', 'raw_stores')",
      '        rows: [{id: 1, opened_at: "2016-09-01T10:30:00"}]',
      '    expect:',
      '      rows: [{location_id: 1, opened_date: "2016-09-01"}]',
    ].join('\n'),
  });
  try {
    const r = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
      results: Array<{ status: string }>;
    };
    assert.deepEqual(
      rr.results.map((x) => x.status),
      ['pass'],
    );
  } finally {
    removeDir(dir);
  }
});

test("model while parsing has dbt's fields, so model.config.get() and model.tags outside {% if execute %} read, not fail", async () => {
  const dir = writeProject(
    minimalProject({
      'models/staging/m.sql': [
        "{{ config(materialized='table', tags=['nightly']) }}",
        "{% set kind = model.config.get('materialized', 'view') %}",
        "select '{{ kind }}' as kind, '{{ model.tags | join(\",\") }}' as tags, '{{ model.fqn | join(\".\") }}' as fqn",
      ].join('\n'),
    }),
  );
  try {
    const c = await compile({ projectDir: dir });
    // While compiling, model is the full node: its config and tags are known.
    assert.equal(
      c.compiled.get('model.tiny.m')!.trim(),
      "select 'table' as kind, 'nightly' as tags, 'tiny.staging.m' as fqn",
    );
  } finally {
    removeDir(dir);
  }
});
