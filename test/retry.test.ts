/**
 * A failing CI build end to end: JUnit XML and GitHub annotations for what failed,
 * `result:` selection from its run_results.json, then `kiln retry` after the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { retry } from '../src/index.js';

const project = (): Record<string, string> => ({
  'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
  'profiles.yml': 'app:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: warehouse.duckdb, schema: main}\n',
  'models/a.sql': "{{ config(materialized='table') }}select 1 as id union all select 1 as id",
  'models/b.sql': "select * from {{ ref('a') }}",
  'models/c.sql': 'select \'{{ var("who", "nobody") }}\' as who from no_such_table',
  'models/d.sql': "select * from {{ ref('c') }}",
  'models/ok.sql': 'select 1 as x',
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [unique]\n',
});

const runResults = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
    args: Record<string, unknown>;
    results: Array<{ unique_id: string; status: string }>;
  };
const statuses = (dir: string) =>
  Object.fromEntries(runResults(dir).results.map((r) => [r.unique_id.split('.')[2]!, r.status]));

test('retry: a failed build reports JUnit XML and annotations, then kiln retry rebuilds and re-runs only what failed', async () => {
  const dir = writeProject(project());
  try {
    let r = kiln(
      [
        'build',
        '--project-dir',
        dir,
        '--vars',
        '{who: ci}',
        '--threads',
        '2',
        '--junit-xml',
        join(dir, 'reports', 'junit.xml'),
      ],
      { env: { GITHUB_ACTIONS: 'true' } },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(statuses(dir), {
      a: 'success',
      unique_a_id: 'fail',
      b: 'skipped',
      c: 'error',
      d: 'skipped',
      ok: 'success',
    });
    assert.deepEqual(runResults(dir).args, { which: 'build', select: [], exclude: [], threads: 2, vars: '{who: ci}' });

    // GitHub Actions annotations point at the model files.
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    assert.equal(annotations.length, 2, r.stdout);
    assert.match(
      annotations.find((l) => l.includes('a.sql'))!,
      /^::error file=models\/a\.sql,line=1,title=Test failed%3A unique_a_id::1 failing row: .*%0A\(test unique_a_id, declared in models\/schema\.yml:6\)$/,
    );
    assert.match(
      annotations.find((l) => l.includes('c.sql'))!,
      /^::error file=models\/c\.sql,line=1,title=Error in model c::.*no_such_table/i,
    );

    // JUnit XML: every node a test case; the failure carries the row count and compiled SQL.
    const xml = readFileSync(join(dir, 'reports', 'junit.xml'), 'utf8');
    assert.match(xml, /<testsuite name="kiln build" tests="6" failures="1" errors="1" skipped="2" /);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 6);
    const failure =
      /<testcase classname="test\.app" name="unique_a_id" file="models\/schema\.yml"[^>]*>\s*<failure type="test_failure" message="1 failing row \(compiled SQL: ([^)]+)\)">/.exec(
        xml,
      );
    assert.ok(failure, xml);
    assert.ok(existsSync(join(dir, failure[1]!)), `${failure[1]} exists`);
    assert.match(
      xml,
      /<testcase classname="model\.app" name="c" file="models\/c\.sql"[^>]*>\s*<error type="error" message="[^"]*no_such_table/i,
    );
    assert.match(
      xml,
      /<testcase classname="model\.app" name="d"[^>]*>\s*<skipped message="skipped because model &apos;c&apos;|<testcase classname="model\.app" name="d"[^>]*>\s*<skipped message="skipped because model 'c'/,
    );
    assert.match(xml, /<testcase classname="model\.app" name="ok" file="models\/ok\.sql" time="[\d.]+"\/>/);

    // result: selects from the previous run_results.json.
    const ls = (sel: string) => {
      const out = kiln([
        'ls',
        '--project-dir',
        dir,
        '-s',
        sel,
        '--state',
        join(dir, 'target'),
        '--output',
        'name',
        '--indirect-selection',
        'empty',
      ]);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout.trim().split('\n').sort();
    };
    assert.deepEqual(ls('result:fail'), ['unique_a_id']);
    assert.deepEqual(ls('result:error+'), ['c', 'd']);
    assert.deepEqual(ls('result:skipped'), ['b', 'd']);

    // The fix is in the models; retry with the same arguments (vars included).
    writeFileSync(join(dir, 'models/a.sql'), "{{ config(materialized='table') }}select 1 as id");
    writeFileSync(join(dir, 'models/c.sql'), 'select \'{{ var("who", "nobody") }}\' as who');
    r = kiln(['retry', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /Rebuilt before re-testing: a/);
    assert.deepEqual(statuses(dir), { a: 'success', unique_a_id: 'pass', b: 'success', c: 'success', d: 'success' });
    assert.equal(runResults(dir).args.vars, '{who: ci}');
    assert.deepEqual(await queryDuckDB(join(dir, 'warehouse.duckdb'), 'select who from c'), [{ who: 'ci' }]);
    assert.deepEqual(runResults(dir).args.which, 'build');
    assert.match(r.stdout, /PASS=5 WARN=0 ERROR=0 SKIP=0 TOTAL=5/);

    // Nothing left to retry.
    r = kiln(['retry', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /nothing to retry/);
    assert.deepEqual(runResults(dir).results, []);
  } finally {
    removeDir(dir);
  }
});

test('retry: after a failed `kiln test`, the guarded model is rebuilt before it is re-tested', async () => {
  const dir = writeProject(project());
  try {
    let r = kiln(['run', '--project-dir', dir, '-s', 'a']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = kiln(['test', '--project-dir', dir, '-s', 'a']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    writeFileSync(join(dir, 'models/a.sql'), "{{ config(materialized='table') }}select 1 as id");
    // Re-testing alone would fail again: the table still holds the duplicate.
    assert.deepEqual(await queryDuckDB(join(dir, 'warehouse.duckdb'), 'select count(*) as n from a'), [{ n: 2 }]);
    const result = await retry({ projectDir: dir });
    assert.equal(result.success, true);
    assert.equal(result.command, 'build');
    assert.deepEqual(result.rebuilt, ['model.app.a']);
    assert.deepEqual(
      result.results.map((x) => `${x.uniqueId.split('.')[2]} ${x.status}`),
      ['a success', 'unique_a_id pass'],
    );
    assert.deepEqual(await queryDuckDB(join(dir, 'warehouse.duckdb'), 'select count(*) as n from a'), [{ n: 1 }]);
  } finally {
    removeDir(dir);
  }
});

test('retry: without a previous run it is bad input', () => {
  const dir = writeProject(project());
  try {
    const r = kiln(['retry', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /nothing to retry: no run_results\.json/);
  } finally {
    removeDir(dir);
  }
});
