/**
 * Two macros of one name in one package are an error naming both places (file:line), as in
 * dbt, whether they stand in one file or in two. The same name in another package is an
 * override: the root project's macro over kiln's built-in one or over an installed package's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { parse } from '../src/index.js';

function parseFails(files: Record<string, string>, expect: RegExp): void {
  const dir = writeProject(minimalProject({ 'models/a.sql': 'select 1 as id', ...files }));
  try {
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, expect);
  } finally {
    removeDir(dir);
  }
}

test('the same macro twice in one file', () => {
  parseFails(
    {
      'macros/m.sql':
        '{% macro cents(x) %}{{ x }} * 100{% endmacro %}\n\n\n{% macro cents(x) %}{{ x }} * 1000{% endmacro %}\n',
    },
    /error: macros\/m\.sql:4: two macros are named 'cents' in package 'tiny': macros\/m\.sql:1 and macros\/m\.sql:4/,
  );
});

test('the same macro in two files', () => {
  parseFails(
    {
      'macros/a.sql': '{% macro cents(x) %}{{ x }} * 100{% endmacro %}\n',
      'macros/b.sql': '-- again\n{% macro cents(x) %}{{ x }} * 1000{% endmacro %}\n',
    },
    /two macros are named 'cents' in package 'tiny': macros\/a\.sql:1 and macros\/b\.sql:2/,
  );
});

test('a generic test block and a macro of its name in one package', () => {
  parseFails(
    {
      'tests/generic/positive.sql': '{% test positive(model, column_name) %}select 1{% endtest %}\n',
      'macros/t.sql': '\n{% macro test_positive(model, column_name) %}select 2{% endmacro %}\n',
    },
    /two macros are named 'test_positive' in package 'tiny': macros\/t\.sql:2 and tests\/generic\/positive\.sql:1/,
  );
});

test('the same materialization twice in one package', () => {
  parseFails(
    {
      'macros/mat.sql':
        "{% materialization tbl, adapter='duckdb' %}{% endmaterialization %}\n{% materialization tbl, adapter='duckdb' %}{% endmaterialization %}\n",
    },
    /two macros are named 'materialization_tbl_duckdb' in package 'tiny': macros\/mat\.sql:1 and macros\/mat\.sql:2/,
  );
});

test("a package's own duplicate names the package", () => {
  parseFails(
    {
      'dbt_packages/util/dbt_project.yml': 'name: util\nconfig-version: 2\n',
      'dbt_packages/util/macros/a.sql': '{% macro pct(x) %}{{ x }} / 100{% endmacro %}\n',
      'dbt_packages/util/macros/b.sql': '{% macro pct(x) %}{{ x }} / 100.0{% endmacro %}\n',
    },
    /two macros are named 'pct' in package 'util': dbt_packages\/util\/macros\/a\.sql:1 and dbt_packages\/util\/macros\/b\.sql:1/,
  );
});

test("overriding kiln's built-in or a package's macro is not a duplicate", async () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': "select {{ pct(1) }} as p, {{ util.pct(1) }} as q from {{ ref('b') }}",
      'models/b.sql': 'select 1 as id',
      'macros/schema.sql': '{% macro generate_schema_name(custom, node) %}{{ target.schema }}{% endmacro %}\n',
      'macros/tests.sql': '{% test not_null(model, column_name) %}select 1 where false{% endtest %}\n',
      'macros/pct.sql': '{% macro pct(x) %}{{ x }} / 100.0 /* root */{% endmacro %}\n',
      'dbt_packages/util/dbt_project.yml': 'name: util\nconfig-version: 2\n',
      'dbt_packages/util/macros/pct.sql': '{% macro pct(x) %}{{ x }} / 100{% endmacro %}\n',
      // A macro tag inside a comment defines nothing.
      'macros/commented.sql': '{# {% macro pct(x) %}old{% endmacro %} #}\n{% macro other() %}1{% endmacro %}\n',
    }),
  );
  try {
    const project = await parse({ projectDir: dir });
    const macros = project.parsed.manifest.macros;
    assert.equal(macros.get('macro.tiny.pct')?.originalFilePath, 'macros/pct.sql');
    assert.equal(macros.get('macro.util.pct')?.originalFilePath, 'dbt_packages/util/macros/pct.sql');
    assert.ok(macros.has('macro.kiln.test_not_null') && macros.has('macro.tiny.test_not_null'));
    assert.ok(macros.has('macro.tiny.generate_schema_name'));
  } finally {
    removeDir(dir);
  }
});
