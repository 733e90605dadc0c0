import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, build } from '../src/index.js';
import { writeProject, minimalProject, removeDir, repoRoot } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'jinja2', name), 'utf8');

/** Renders a fixture as a model through the public API; returns its `label: value` lines. */
async function renderLines(file: string): Promise<Record<string, string>> {
  const dir = writeProject(minimalProject({ 'models/m.sql': fixture(file) }));
  try {
    const r = await compile({ projectDir: dir });
    const out = r.compiled.get('model.tiny.m') ?? '';
    return Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes(': '))
        .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2).trimEnd()]),
    );
  } finally {
    removeDir(dir);
  }
}

test('tuples print, compare and behave as Python tuples', async () => {
  assert.deepEqual(await renderLines('tuples.sql'), {
    print: "('id', 'name') (1,) ()",
    grouped: '9',
    member: 'True False False',
    iterate: 'id,name',
    unpack: 'id/name',
    loop_unpack: 'a=1 b=2',
    length: '2 id name id|name',
    pairs: "[('a', 1)] [('x', 9)]",
    format: 'id-name',
    compare: 'True False',
  });
});

test('== and != compare as Python does: no coercion, containers by value', async () => {
  assert.deepEqual(await renderLines('equality.sql'), {
    numbers: 'False True True True True',
    none: 'True False False False False',
    strings: 'True False True True',
    lists: 'True False True False',
    dicts: 'True False True',
    chain: 'False True False',
    membership: 'False True True True True',
    tests: 'True False True True',
    select: '[1, 1.0]',
  });
});

test('{% set %} in a for loop stays in the loop (each iteration starts from the outer value); namespace() carries values out', async () => {
  assert.deepEqual(await renderLines('loop_scope.sql'), {
    running: '1 2 3',
    after: '0 outer',
    inner: 'inner outer',
    nested: 'outer outer',
    ns: '6 [1, 2, 3]',
    new_name: 'x[]',
    if_leaks: 'from if',
    in_macro: '1',
    conditional: 'out two out',
    after_continue: '2 3',
  });
});

test('a macro that builds SQL from tuples and a loop-scoped set runs on DuckDB', async () => {
  const dir = writeProject(
    minimalProject({
      'macros/pairs.sql': [
        '{% macro select_pairs(pairs) %}',
        '{%- set sep = "" -%}',
        '{%- for name, value in pairs -%}',
        '{%- set sep = ", " if not loop.first else "" -%}',
        '{{ sep }}{{ value }} as {{ name }}',
        '{%- endfor -%}',
        '{%- if sep == "" and pairs != () %}, 0 as untouched{% endif -%}',
        '{% endmacro %}',
      ].join('\n'),
      'models/m.sql': "select {{ select_pairs((('a', 1), ('b', 2))) }}",
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
    const rows = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select * from main.m');
    assert.deepEqual(rows, [{ a: 1, b: 2, untouched: 0 }]);
  } finally {
    removeDir(dir);
  }
});

test('loop.cycle, loop.previtem / nextitem, loop.changed, sum(start=), and dictsort / groupby giving tuples, as in Jinja', async () => {
  assert.deepEqual(await renderLines('loops_filters.sql'), {
    cycle: 'odd even odd',
    neighbours: '-ab abc bc-',
    dictsort: "[('a', 2), ('b', 1)]",
    groupby: 'x=[1, 3] y=[2]',
    group_attrs: 'z:1',
    tuple_add: '(1, 2, 3) [1, 2]',
    changed: '121',
    sum: '16 3 0.75',
  });
});
