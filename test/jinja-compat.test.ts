import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, build, KilnError } from '../src/index.js';
import { writeProject, minimalProject, removeDir, repoRoot } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'jinja', name), 'utf8');

test('Jinja2 syntax and values render as Jinja2 does, and the SQL runs on DuckDB', async () => {
  const dir = writeProject(minimalProject({ 'models/m.sql': fixture('compat_model.sql') }));
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const [row] = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select * from main.m');
    assert.deepEqual(row, {
      unpacked: 'xy',
      counted: 2,
      picked: '[3, 6]',
      expr_key: "{'k': 1}",
      continued: 'one two',
      captured: 'trimmed',
      private_macro: '<p>',
      spread: "1|(2, 3)|{'z': 9}",
      percent: 'n-007',
      str_ops: 'ababbcc',
      falsy_list: 'empty',
      printed: "None True [1, 'a']",
      replaced: 'ABC',
      mapped: 'ID,NAME,AMOUNT',
      selected: '[2]',
      uniq: '[3, 1] 1',
      json: '{"b": [1, "x"]}',
      yaml_zip: '[1, 2] 2',
      dt: '2024/01/31',
      dt_add: '2024-02-01',
      re_sub: 'a#b#',
      product: '2',
      md5: row!.md5,
      tests: 'TrueTrueTrueTrue',
    });
    assert.match(String(row.md5), /^[0-9a-f]{32}$/);
  } finally {
    removeDir(dir);
  }
});

test('dbt block tags parse: {% docs %}, {% materialization %}, {% snapshot %} and {% test %} in macro files', async () => {
  const dir = writeProject(
    minimalProject({
      'macros/blocks.sql': [
        '{% docs orders %}Some *markdown* {{ not rendered }}{% enddocs %}',
        "{% materialization custom, adapter='duckdb' %}{{ return({'relations': []}) }}{% endmaterialization %}",
        '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}',
        '{% macro plus(a, b) %}{{ return(a + b) }}{% endmacro %}',
      ].join('\n'),
      'models/m.sql': 'select {{ plus(1, 2) }} as three',
    }),
  );
  try {
    const r = await compile({ projectDir: dir });
    assert.equal(r.compiled.get('model.tiny.m'), 'select 3 as three');
  } finally {
    removeDir(dir);
  }
});

test('a Jinja syntax error names the file and line', async () => {
  const dir = writeProject(minimalProject({ 'models/m.sql': 'select 1\n{% if %}\n{% endif %}' }));
  try {
    await assert.rejects(compile({ projectDir: dir }), (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.equal(e.file, 'models/m.sql');
      assert.equal(e.line, 2);
      return true;
    });
  } finally {
    removeDir(dir);
  }
});
