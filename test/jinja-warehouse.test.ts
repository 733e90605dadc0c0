import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build, compile } from '../src/index.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

test('run_query, statement/load_result, get_relation and get_columns_in_relation read the warehouse while compiling', async () => {
  const dir = writeProject(
    minimalProject({
      'seeds/colors.csv': 'id,name\n1,red\n2,green\n3,blue\n',
      'models/pivot.sql': [
        "{% set names = run_query('select name from ' ~ ref('colors') ~ ' order by id').columns[0].values() if execute else [] %}",
        "{% call statement('n', fetch_result=True) %}select count(*) as n from {{ ref('colors') }}{% endcall %}",
        "{% set n = load_result('n')['data'][0][0] if execute else 0 %}",
        "{% set rel = adapter.get_relation(database=this.database, schema='main', identifier='colors') if execute else none %}",
        "{% set cols = adapter.get_columns_in_relation(ref('colors')) | map(attribute='name') | list %}",
        'select',
        "{% for c in names %}  sum(case when name = '{{ c }}' then 1 else 0 end) as {{ c }}_count,\n{% endfor %}",
        "  {{ n }} as total, '{{ rel.identifier if rel else 'missing' }}' as found, '{{ cols | join(',') }}' as cols",
        "from {{ ref('colors') }}",
      ].join('\n'),
      'models/plain.sql': 'select 1 as id',
    }),
  );
  try {
    // A model that never queries compiles with no connection opened.
    const c = await compile({ projectDir: dir, select: ['plain'] });
    assert.equal(c.compiled.get('model.tiny.plain'), 'select 1 as id');
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const [row] = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select * from main.pivot');
    assert.deepEqual(row, { red_count: 1, green_count: 1, blue_count: 1, total: 3, found: 'colors', cols: 'id,name' });
    // `kiln compile` connects when a template asks, and the compiled SQL carries the answers.
    const again = await compile({ projectDir: dir, select: ['pivot'] });
    assert.match(
      again.compiled.get('model.tiny.pivot')!,
      /as blue_count,[\s\S]*3 as total, 'colors' as found, 'id,name' as cols/,
    );
  } finally {
    removeDir(dir);
  }
});

test('a render that queries the warehouse three times logs once: side effects happen once, not once per replay', async () => {
  const dir = writeProject(
    minimalProject({
      'seeds/colors.csv': 'id,name\n1,red\n2,green\n3,blue\n',
      'models/counted.sql': [
        "-- depends_on: {{ ref('colors') }}",
        // Guarded by execute as dbt users do, so the parse-time render (execute=false) logs nothing.
        "{% if execute %}{% do log('before the queries', info=true) %}{% endif %}",
        "{% set a = run_query('select count(*) from ' ~ ref('colors')) if execute else none %}",
        "{% if execute %}{% do log('between the queries', info=true) %}{% endif %}",
        "{% set b = run_query('select max(id) from ' ~ ref('colors')) if execute else none %}",
        "{% set c = run_query('select min(id) from ' ~ ref('colors')) if execute else none %}",
        "{% if execute %}{% do log('after the queries', info=true) %}{% endif %}",
        'select 1 as id',
      ].join('\n'),
    }),
  );
  try {
    const messages: string[] = [];
    await build({ projectDir: dir, select: ['colors'] });
    const r = await compile({ projectDir: dir, select: ['counted'], onLog: (_level, m) => messages.push(m) });
    assert.ok(r.compiled.get('model.tiny.counted'));
    for (const m of ['before the queries', 'between the queries', 'after the queries']) {
      assert.equal(messages.filter((x) => x.includes(m)).length, 1, `"${m}" logged once: ${JSON.stringify(messages)}`);
    }
  } finally {
    removeDir(dir);
  }
});
