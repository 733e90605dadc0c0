import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compile, build } from '../src/index.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

test('selected_resources holds the unique ids the command selected', async () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': 'select \'{{ selected_resources | sort | join(",") }}\' as picked',
      'models/b.sql':
        "select {{ 'model.tiny.b' in selected_resources }} as b_selected, {{ 'model.tiny.a' in selected_resources }} as a_selected",
    }),
  );
  try {
    const only = await compile({ projectDir: dir, select: ['a'] });
    assert.equal(only.compiled.get('model.tiny.a'), "select 'model.tiny.a' as picked");
    const r = await build({ projectDir: dir, select: ['b'] });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    assert.deepEqual(await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select * from main.b'), [
      { b_selected: true, a_selected: false },
    ]);
  } finally {
    removeDir(dir);
  }
});

test("should_store_failures() and should_full_refresh() read the node's config, then the run's flags", async () => {
  const dir = writeProject(
    minimalProject({
      'macros/checks.sql': [
        '{% test has_rows_over(model, column_name, floor) %}',
        "{%- set cols = '*' if should_store_failures() else '1' -%}",
        'select {{ cols }} from {{ model }} where {{ column_name }} > {{ floor }}',
        '{% endtest %}',
      ].join('\n'),
      'models/m.sql': '{{ config(full_refresh=true) }}select 1 as n, {{ should_full_refresh() }} as refreshing',
      'models/other.sql': 'select {{ should_full_refresh() }} as refreshing',
      'models/schema.yml': [
        'models:',
        '  - name: m',
        '    columns:',
        '      - name: n',
        '        data_tests:',
        '          - has_rows_over:',
        '              floor: 5',
        '          - has_rows_over:',
        '              floor: 6',
        '              config:',
        '                store_failures: true',
      ].join('\n'),
    }),
  );
  try {
    const r = await compile({ projectDir: dir });
    const tests = [...r.compiled.entries()]
      .filter(([id]) => id.startsWith('test.'))
      .map(([, sql]) => sql.replace(/\s+/g, ' ').trim());
    assert.deepEqual(
      tests.sort(),
      ['select * from "kiln"."main"."m" where n > 6', 'select 1 from "kiln"."main"."m" where n > 5'].sort(),
    );
    assert.match(r.compiled.get('model.tiny.m')!, /True as refreshing/);
    assert.match(r.compiled.get('model.tiny.other')!, /False as refreshing/);
    const full = await compile({ projectDir: dir, fullRefresh: true, select: ['other'] });
    assert.match(full.compiled.get('model.tiny.other')!, /True as refreshing/);
  } finally {
    removeDir(dir);
  }
});

test('config() inside a generic test macro sets its fail_calc unless the YAML sets one', async () => {
  const dir = writeProject(
    minimalProject({
      'macros/tests.sql': [
        '{% test sum_over(model, column_name, limit_value) %}',
        "{{ config(fail_calc='sum(excess)') }}",
        'select greatest({{ column_name }} - {{ limit_value }}, 0) as excess from {{ model }}',
        '{% endtest %}',
      ].join('\n'),
      'models/m.sql': 'select 1 as n union all select 3',
      'models/schema.yml': [
        'models:',
        '  - name: m',
        '    columns:',
        '      - name: n',
        '        data_tests:',
        '          - sum_over:',
        '              limit_value: 5',
        '          - sum_over:',
        '              limit_value: 1',
        '          - sum_over:',
        '              limit_value: 6',
        '              config:',
        "                fail_calc: 'count(excess)'",
      ].join('\n'),
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    const tests = r.results
      .filter((x) => x.uniqueId.startsWith('test.'))
      .map((x) => `${x.status}:${x.failures}`)
      .sort();
    // limit 5: no excess (sum 0); limit 1: excess 0 + 2 = 2; limit 6 with count(excess) from the YAML counts both rows.
    assert.deepEqual(tests, ['fail:2', 'fail:2', 'pass:0']);
  } finally {
    removeDir(dir);
  }
});
