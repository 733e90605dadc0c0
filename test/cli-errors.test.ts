/**
 * Errors that point at the line: a warehouse SQL error names the model's file and line (traced
 * back through the Jinja render) and the compiled file's line, in a log and on a terminal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnBin, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { JinjaEnvironment } from '../src/template/jinja/index.js';
import { lineWithin, statementLineOf } from '../src/compile/source-location.js';
import { startPostgres, postgresProfileYaml, type PostgresServer } from './helpers/postgres-server.js';

let server: PostgresServer | undefined;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

const models = {
  // Plain SQL with ref/config only: compiled without the Jinja engine.
  'models/plain.sql':
    "{{ config(materialized='table') }}\n\nselect\n    id,\n    count(*) as n\nfrom {{ ref('base') }}\ngrup by 1\n",
  // Loops, sets and whitespace control: the rendered lines no longer line up with the file's.
  'models/looped.sql':
    "{{ config(materialized='table') }}\n{% set cols = ['a', 'b', 'c'] %}\n{#- a comment\n   over lines -#}\nselect\n{%- for c in cols %}\n  1 as {{ c }},\n{%- endfor %}\n  2 as z\nfrom nowhere_table\n",
  // An ephemeral parent is injected as a CTE above the model's own SQL.
  'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect 1 as id\n",
  'models/over_cte.sql': "{{ config(materialized='view') }}\nselect\n  id\nfrom {{ ref('eph') }}\nwhere idd > 0\n",
  'models/base.sql': 'select 1 as id\n',
};

function lineOf(file: string, text: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1
  );
}

function checkLocations(stdout: string, dir: string): void {
  const cases: Array<[string, string]> = [
    ['plain', 'grup by 1'],
    ['looped', 'from nowhere_table'],
    ['over_cte', 'where idd > 0'],
  ];
  for (const [model, text] of cases) {
    const source = lineOf(join(dir, 'models', `${model}.sql`), text);
    const compiledFile = join(dir, 'target', 'compiled', 'tiny', 'models', `${model}.sql`);
    const compiled = lineOf(compiledFile, text);
    assert.ok(source > 0 && compiled > 0);
    const expected = `at models/${model}.sql:${source} (compiled: target/compiled/tiny/models/${model}.sql:${compiled})`;
    assert.ok(stdout.includes(expected), `${expected}\n---\n${stdout}`);
  }
  // The source and compiled lines differ in each case: the mapping is not the identity.
  assert.match(stdout, /at models\/looped\.sql:10 \(compiled: target\/compiled\/tiny\/models\/looped\.sql:7\)/);
  assert.match(stdout, /at models\/plain\.sql:7 \(compiled: target\/compiled\/tiny\/models\/plain\.sql:7\)/);
}

test('a warehouse SQL error names the model file and line, and the compiled line', () => {
  const dir = writeProject(minimalProject(models));
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1);
    checkLocations(r.stdout, dir);
    const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
      unique_id: string;
      message: string;
    }>;
    assert.match(results.find((x) => x.unique_id === 'model.tiny.plain')!.message, /at models\/plain\.sql:7/);
  } finally {
    removeDir(dir);
  }
});

test('on PostgreSQL, whose errors give a character position, the same lines are named', () => {
  const dir = writeProject(
    minimalProject({ ...models, 'profiles.yml': postgresProfileYaml('tiny', server!, 'error_lines') }),
  );
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /of the statement\)/, 'the PostgreSQL wording');
    checkLocations(r.stdout, dir);
  } finally {
    removeDir(dir);
  }
});

test('on a terminal the same location is printed', () => {
  const dir = writeProject(minimalProject(models));
  try {
    const command = `TERM=xterm NO_COLOR=1 ${process.execPath} ${kilnBin} run --project-dir ${dir}`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
    });
    assert.equal(r.status, 1, r.stdout);
    checkLocations(r.stdout.replace(/\r/g, ''), dir);
  } finally {
    removeDir(dir);
  }
});

const unitTested = {
  'models/base.sql': 'select 1 as id\n',
  'models/agg.sql':
    "{{ config(materialized='table') }}\n\nselect\n    id,\n    count(*) as n\nfrom {{ ref('base') }}\ngrup by 1\n",
  'models/schema.yml':
    "version: 2\nunit_tests:\n  - name: counts_ids\n    model: agg\n    given:\n      - input: ref('base')\n        rows:\n          - {id: 1}\n    expect:\n      rows:\n        - {id: 1, n: 1}\n",
};

test("build: a syntax error in a unit-tested model names the model's file and line, in a log and on a terminal", () => {
  const dir = writeProject(minimalProject(unitTested));
  try {
    const check = (stdout: string) => {
      assert.match(
        stdout,
        /Error in unit_test counts_ids \(models\/schema\.yml\)\n.*syntax error.*\n {6}in model 'agg' at models\/agg\.sql:7, which this unit test runs/,
      );
      assert.match(stdout, /SKIP +table model main\.agg/, 'the model is not built');
    };
    const r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 1);
    check(r.stdout);
    const command = `TERM=xterm NO_COLOR=1 ${process.execPath} ${kilnBin} build --project-dir ${dir}`;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
    });
    assert.equal(tty.status, 1, tty.stdout);
    check(tty.stdout.replace(/\r/g, ''));
  } finally {
    removeDir(dir);
  }
});

test('the Jinja engine records the template line of each output line', () => {
  const env = new JinjaEnvironment();
  const source =
    "{% set xs = [1, 2] %}\nselect\n{%- for x in xs %}\n  {{ x }} as c{{ x }},\n{%- endfor %}\n{{ 'a\\nb' }}\n  3 as z\n";
  const { text, sourceLines } = env.renderWithSourceLines(env.compile(source, 'm.sql'));
  assert.equal(text, env.render(env.compile(source, 'm.sql')), 'tracking lines changes nothing in the text');
  const lines = text.split('\n');
  assert.deepEqual(lines, ['', 'select', '  1 as c1,', '  2 as c2,', 'a', 'b', '  3 as z']);
  assert.deepEqual(sourceLines().slice(1), [2, 4, 4, 6, 6, 7]);
});

test('statement lines are traced into the compiled code, by position or by unique text', () => {
  assert.equal(statementLineOf('Parser Error: syntax error at or near "grup"\n\nLINE 8: grup by 1'), 8);
  assert.equal(
    statementLineOf('syntax error at or near "grup" (SQLSTATE 42601, at line 3, column 1 of the statement)'),
    3,
  );
  assert.equal(statementLineOf('no line here'), undefined);
  const compiled = 'select 1\nfrom t\ngrup by 1';
  assert.equal(lineWithin(`create table x as (\n${compiled}\n)`, 4, compiled), 3);
  assert.equal(
    lineWithin(`create table x as (\n${compiled}\n)`, 1, compiled),
    undefined,
    'the wrapper is not the model',
  );
  assert.equal(
    lineWithin('insert into x\nselect 1 from t\ngrup by 2', 3, compiled),
    undefined,
    'no line of the compiled code reads so',
  );
  assert.equal(lineWithin('insert into x select * from (\n  grup by 1\n)', 2, compiled), 3, 'found by its text');
});
