import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from '../src/index.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

// Idioms that dbt packages use, written for kiln: each model records what the template saw.
test('package idioms: relations as mappings, query results as agate tables, datetimes, sets, DDL from hooks', async () => {
  const dir = writeProject(
    minimalProject({
      'macros/idioms.sql': [
        '{% macro is_relation(obj) %}{{ return(obj is mapping and obj.get("metadata", {}).get("type", "").endswith("Relation")) }}{% endmacro %}',
        '{% macro columns_as_dict(sql) %}',
        '{%- set out = {} -%}',
        '{%- if execute -%}',
        '{%- for name, column in run_query(sql).columns.items() -%}{%- do out.update({name: column.values()}) -%}{%- endfor -%}',
        '{%- endif -%}',
        '{{ return(out) }}',
        '{% endmacro %}',
      ].join('\n'),
      'models/base.sql':
        "select 1 as id, 'a' as name, timestamp '2017-01-01 08:30:00' as seen_at union all select 2, 'b', timestamp '2017-01-02 00:00:00'",
      'models/checks.sql': [
        "{%- set cols = columns_as_dict('select id, name from ' ~ ref('base') ~ ' order by id') -%}",
        "{%- set first_seen = run_query('select min(seen_at) from ' ~ ref('base')).columns[0].values()[0] if execute else none -%}",
        'select',
        '  \'{{ is_relation(ref("base")) }}/{{ is_relation("base") }}\' as relation_check,',
        "  '{{ cols | string | replace(\"'\", \"''\") }}' as columns_dict,",
        "  {% if execute %}'{{ first_seen }}' as first_seen, '{{ first_seen.strftime(\"%Y/%m/%d %H:%M\") }}' as formatted,{% endif %}",
        "  '{{ modules.datetime.datetime.now().year > 2000 }}' as now_works,",
        '  \'{{ set(["b", "a", "b"]) == set(["a", "b"]) }}/{{ set([1, 2]) != set([1]) }}\' as sets_compare',
      ].join('\n'),
      'models/doomed.sql': '{{ config(post_hook="{% do adapter.drop_relation(this) %}") }}select 1 as id',
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, 'select * from main.checks'), [
      {
        relation_check: 'True/False',
        columns_dict: "{'id': [1, 2], 'name': ['a', 'b']}",
        first_seen: '2017-01-01 08:30:00',
        formatted: '2017/01/01 08:30',
        now_works: 'True',
        sets_compare: 'True/True',
      },
    ]);
    // The post-hook dropped the model it belongs to, through adapter.drop_relation while rendering.
    assert.deepEqual(
      await queryDuckDB(db, "select count(*) as n from information_schema.tables where table_name = 'doomed'"),
      [{ n: 0 }],
    );
  } finally {
    removeDir(dir);
  }
});
