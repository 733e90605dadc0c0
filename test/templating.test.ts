import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../src/index.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';

async function compiled(sql: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = writeProject(minimalProject({ 'models/m.sql': sql, 'models/base.sql': 'select 1 as id', ...extra }));
  try {
    const r = await compile({ projectDir: dir, select: ['m'] });
    return r.compiled.get('model.tiny.m')!;
  } finally {
    removeDir(dir);
  }
}

test('values print as Jinja2 prints them', async () => {
  assert.equal(
    await compiled('{{ none }}|{{ true }}|{{ false }}|{{ [1, "a", none] }}|{{ {"k": true} }}'),
    "None|True|False|[1, 'a', None]|{'k': True}",
  );
});

test('~ concatenates with Python str() and loop.last works', async () => {
  assert.equal(await compiled("{{ 'a' ~ none ~ 1 ~ true }}"), 'aNone1True');
  assert.equal(
    await compiled('{% for c in ["x", "y", "z"] %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}'),
    'x, y, z',
  );
});

test('Python string, list and dict methods', async () => {
  assert.equal(
    await compiled(
      "{{ 'a-b-c'.replace('-', '_') }} {{ ' x '.strip() }} {{ 'a,b'.split(',') }} {{ 'ab'.upper() }} {{ 'abc'.startswith('ab') }}",
    ),
    "a_b_c x ['a', 'b'] AB True",
  );
  assert.equal(
    await compiled(
      "{% set xs = [] %}{% do xs.append(1) %}{% do xs.append(2) %}{{ xs }} {{ ', '.join(['p', 'q']) }} {{ {'a': 1}.get('b', 'dflt') }}",
    ),
    '[1, 2] p, q dflt',
  );
  assert.equal(await compiled("{{ '{} and {}'.format('x', 'y') }}"), 'x and y');
});

test('macros: project macros by name, return() gives a value, config() and var()', async () => {
  const sql = await compiled(
    "{{ config(materialized='table') }}{% set n = add_one(41) %}select {{ n }} as answer, {{ money('x') }} as m, '{{ var('region', 'eu') }}' as r from {{ ref('base') }}",
    {
      'macros/util.sql':
        '{% macro add_one(x) %}{{ return(x + 1) }}{% endmacro %}\n{% macro money(e) -%}round({{ e }}, 2){%- endmacro %}',
    },
  );
  assert.equal(sql, `select 42 as answer, round(x, 2) as m, 'eu' as r from "kiln"."main"."base"`);
});

test('render errors name the file and the line of the user file', async () => {
  const dir = writeProject(
    minimalProject({ 'models/m.sql': 'select 1\n\n{{ exceptions.raise_compiler_error("bad thing") }}' }),
  );
  try {
    await assert.rejects(compile({ projectDir: dir }), (e: Error & { file?: string; line?: number }) => {
      assert.equal(e.file, 'models/m.sql');
      assert.equal(e.line, 3);
      assert.match(e.message, /bad thing/);
      return true;
    });
  } finally {
    removeDir(dir);
  }
});

test('nested ephemeral models become CTEs in dependency order', async () => {
  const sql = await compiled("select * from {{ ref('e2') }}", {
    'models/e1.sql': "{{ config(materialized='ephemeral') }}select id from {{ ref('base') }}",
    'models/e2.sql':
      "{{ config(materialized='ephemeral') }}with inner_cte as (select id from {{ ref('e1') }}) select * from inner_cte",
  });
  assert.match(
    sql,
    /^with __dbt__cte__e1 as \(\nselect id from "kiln"\."main"\."base"\n\), __dbt__cte__e2 as \(\nwith inner_cte as \(select id from __dbt__cte__e1\) select \* from inner_cte\n\)\nselect \* from __dbt__cte__e2$/,
  );
});

test('schema and alias configs follow generate_schema_name; a project macro overrides it', async () => {
  const dir = writeProject(
    minimalProject({
      'models/m.sql': "{{ config(schema='finance', alias='money') }}select 1 as id",
      'models/n.sql': "select * from {{ ref('m') }}",
    }),
  );
  try {
    const r = await compile({ projectDir: dir, select: ['n'] });
    assert.equal(r.compiled.get('model.tiny.n'), 'select * from "kiln"."main_finance"."money"');
  } finally {
    removeDir(dir);
  }
  const custom = writeProject(
    minimalProject({
      'models/m.sql': "{{ config(schema='finance') }}select 1 as id",
      'models/n.sql': "select * from {{ ref('m') }}",
      'macros/schema.sql':
        '{% macro generate_schema_name(custom_schema_name, node) %}  {{ custom_schema_name or target.schema }}  {% endmacro %}',
    }),
  );
  try {
    const r = await compile({ projectDir: custom, select: ['n'] });
    assert.equal(r.compiled.get('model.tiny.n'), 'select * from "kiln"."finance"."m"');
  } finally {
    removeDir(custom);
  }
});

test('project config tree: + prefix or not, folder by folder, tags append and file config wins', async () => {
  const dir = writeProject({
    'dbt_project.yml':
      'name: tiny\nvars:\n  flag: true\nmodels:\n  tiny:\n    +tags: [all]\n    materialized: table\n    staging:\n      +materialized: view\n      +tags: staging\n      +enabled: "{{ var(\'flag\') }}"\n',
    'models/staging/s.sql': "{{ config(tags=['mine']) }}select 1 as id",
    'models/staging/t.sql': "{{ config(materialized='table') }}select 1 as id",
    'models/m.sql': 'select 1 as id',
  });
  try {
    const r = await compile({ projectDir: dir });
    const nodes = r.project.parsed.manifest.nodes;
    assert.deepEqual(nodes.get('model.tiny.s')!.config.tags, ['all', 'staging', 'mine']);
    assert.equal(nodes.get('model.tiny.s')!.config.materialized, 'view');
    assert.equal(nodes.get('model.tiny.t')!.config.materialized, 'table');
    assert.equal(nodes.get('model.tiny.m')!.config.materialized, 'table');
  } finally {
    removeDir(dir);
  }
});

test('braces of the SQL itself survive in a simple model', async () => {
  const sql = "select {'x': 1} as s, regexp_matches('123', '[0-9]{3}') as r, '{\"a\":1}' as j from {{ ref('base') }}";
  assert.equal(
    await compiled(sql),
    `select {'x': 1} as s, regexp_matches('123', '[0-9]{3}') as r, '{"a":1}' as j from "kiln"."main"."base"`,
  );
});
