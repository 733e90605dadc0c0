/**
 * Secret environment variables (DBT_ENV_SECRET_*), as dbt treats them: env_var() reads them
 * only in profiles.yml and packages.yml, and nothing kiln writes (terminal, logs, compiled
 * SQL, the docs site, artifacts, error text) carries their values. The CLI tests run kiln in a
 * child process with DBT_ENV_SECRET_TOKEN set and grep everything it wrote for the value.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kiln, minimalProject, removeDir, tempDir, writeProject } from './helpers/cli.js';
import { scrubData, scrubSecrets, secretValues, stringifyScrubbed } from '../src/secrets.js';
import { ValueRenderer } from '../src/config/render-values.js';
import { envVar } from '../src/template/env-var.js';
import { KilnError } from '../src/errors.js';

const SECRET = 's3cr3t-value';
const env = { DBT_ENV_SECRET_TOKEN: SECRET };
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

function project(files: Record<string, string>): string {
  const dir = writeProject(files);
  dirs.push(dir);
  return dir;
}

/** Every file under the folders, with its text (binary files too: the value is ASCII). */
function filesUnder(root: string, folders: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push([relative(root, p), readFileSync(p, 'latin1')]);
    }
  };
  for (const f of folders) walk(join(root, f));
  return out;
}

const profile = (pathValue: string) => `tiny:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "${pathValue}"
      schema: main
`;

test('secret values: non-blank DBT_ENV_SECRET_* values, longest first; scrubbing text and JSON', () => {
  const values = secretValues({
    DBT_ENV_SECRET_A: 'abc',
    DBT_ENV_SECRET_B: 'abcdef',
    DBT_ENV_SECRET_BLANK: '  ',
    DBT_ENV_SECRET_: 'x"y\\z',
    OTHER: 'plain',
    NOT_DBT_ENV_SECRET_C: 'c',
  });
  assert.deepEqual(values, ['abcdef', 'x"y\\z', 'abc']);
  assert.equal(scrubSecrets('1 abcdef 2 abc 3 plain', values), '1 ***** 2 ***** 3 plain');
  assert.equal(scrubSecrets('nothing to hide', []), 'nothing to hide');
  // In JSON the quote and backslash are escaped: the value is still found, and the text stays JSON.
  const json = stringifyScrubbed({ msg: 'login x"y\\z failed', [`key abc`]: ['abcdef'], n: 1 }, values);
  assert.deepEqual(JSON.parse(json), { msg: 'login ***** failed', 'key *****': ['*****'], n: 1 });
  assert.equal(stringifyScrubbed({ a: 1 }, []), '{"a":1}');
  const data = { sql: 'select abc', nested: [{ x: 'abcdef' }] };
  assert.deepEqual(scrubData(data, values), { sql: 'select *****', nested: [{ x: '*****' }] });
  assert.equal(scrubData(data, []), data);
});

test('env_var() of a secret renders in profiles.yml and packages.yml, and is an error in dbt_project.yml', () => {
  const saved = process.env.DBT_ENV_SECRET_UNIT;
  process.env.DBT_ENV_SECRET_UNIT = SECRET;
  try {
    const renderer = new ValueRenderer({ env_var: envVar });
    assert.equal(renderer.render("{{ env_var('DBT_ENV_SECRET_UNIT') }}", '/home/me/.kiln/profiles.yml'), SECRET);
    assert.equal(
      renderer.render("https://x:{{ env_var('DBT_ENV_SECRET_UNIT') }}@git.example/r.git", 'packages.yml'),
      `https://x:${SECRET}@git.example/r.git`,
    );
    // Jinja sees a placeholder, never the value: slicing or printing it inside the template cannot leak it.
    const sliced = String(renderer.render("{{ env_var('DBT_ENV_SECRET_UNIT')[:6] }}", 'profiles.yml'));
    assert.ok(!sliced.includes(SECRET.slice(0, 6)), sliced);
    assert.equal(renderer.render("{{ env_var('DBT_ENV_SECRET_UNSET', 'fallback') }}", 'profiles.yml'), 'fallback');
    for (const call of [
      "{{ env_var('DBT_ENV_SECRET_UNIT') }}",
      "{{ env_var('DBT_ENV_SECRET_UNIT', 'd') }}",
      "{{ env_var('DBT_ENV_SECRET_UNSET') }}",
    ]) {
      assert.throws(
        () => renderer.render(call, 'dbt_project.yml', 7),
        (e: unknown) =>
          e instanceof KilnError &&
          e.file === 'dbt_project.yml' &&
          e.line === 7 &&
          /DBT_ENV_SECRET_/.test(e.message) &&
          /profiles\.yml/.test(e.message) &&
          !e.format().includes(SECRET),
        call,
      );
    }
    assert.throws(() => envVar('DBT_ENV_SECRET_UNIT'), /can be read only in profiles\.yml and packages\.yml/);
  } finally {
    if (saved === undefined) delete process.env.DBT_ENV_SECRET_UNIT;
    else process.env.DBT_ENV_SECRET_UNIT = saved;
  }
});

test('env_var() of a secret in a model, macro, properties YAML or dbt_project.yml is an error naming the file', () => {
  const base = {
    ...minimalProject(),
    'profiles.yml': profile('warehouse.duckdb'),
    'models/ok.sql': 'select 1 as id\n',
  };
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'model',
      { 'models/leak.sql': 'select \'{{ env_var("DBT_ENV_SECRET_TOKEN") }}\' as token\n' },
      /models\/leak\.sql:1/,
    ],
    [
      'model, with a default',
      { 'models/leak.sql': "select '{{ env_var('DBT_ENV_SECRET_TOKEN', 'none') }}' as token\n" },
      /models\/leak\.sql:1/,
    ],
    [
      'macro',
      {
        'macros/token.sql': "{% macro token() %}{{ return(env_var('DBT_ENV_SECRET_TOKEN')) }}{% endmacro %}\n",
        'models/leak.sql': "select '{{ token() }}' as t\n",
      },
      /macros\/token\.sql:1/,
    ],
    [
      'properties YAML',
      {
        'models/schema.yml':
          'version: 2\nmodels:\n  - name: ok\n    config:\n      meta:\n        owner: "{{ env_var(\'DBT_ENV_SECRET_TOKEN\') }}"\n',
      },
      /models\/schema\.yml:6/,
    ],
    [
      'properties YAML called profiles.yml',
      {
        'models/profiles.yml':
          'version: 2\nmodels:\n  - name: ok\n    config:\n      tags: ["{{ env_var(\'DBT_ENV_SECRET_TOKEN\') }}"]\n',
      },
      /models\/profiles\.yml/,
    ],
    [
      'dbt_project.yml',
      {
        'dbt_project.yml':
          'name: tiny\nprofile: tiny\nconfig-version: 2\nmodels:\n  tiny:\n    +tags: "{{ env_var(\'DBT_ENV_SECRET_TOKEN\') }}"\n',
      },
      /dbt_project\.yml:6/,
    ],
  ];
  for (const [what, files, where] of cases) {
    const dir = project({ ...base, ...files });
    const r = kiln(['parse', '--project-dir', dir], { cwd: dir, env });
    assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, where, what);
    assert.match(r.stderr, /DBT_ENV_SECRET_TOKEN/, what);
    assert.match(r.stderr, /only in profiles\.yml and packages\.yml/, what);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET), what);
    for (const [file, text] of filesUnder(dir, ['target', 'logs']))
      assert.ok(!text.includes(SECRET), `${what}: ${file}`);
  }
});

test('env_var() of a secret in packages.yml is read (a package path or git URL)', () => {
  const pkg = tempDir('kiln-secret-pkg-');
  dirs.push(pkg);
  writeProject(
    {
      'dbt_project.yml': 'name: helper\nconfig-version: 2\n',
      'macros/m.sql': '{% macro helper_value() %}42{% endmacro %}\n',
    },
    pkg,
  );
  const dir = project({
    ...minimalProject(),
    'profiles.yml': profile('warehouse.duckdb'),
    'packages.yml': 'packages:\n  - local: "{{ env_var(\'DBT_ENV_SECRET_PACKAGE_DIR\') }}"\n',
    'models/uses.sql': 'select {{ helper.helper_value() }} as v\n',
  });
  const r = kiln(['deps', '--project-dir', dir], { cwd: dir, env: { ...env, DBT_ENV_SECRET_PACKAGE_DIR: pkg } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(pkg), 'the secret package path is not printed');
  const c = kiln(['compile', '--project-dir', dir], { cwd: dir, env: { ...env, DBT_ENV_SECRET_PACKAGE_DIR: pkg } });
  assert.equal(c.code, 0, c.stdout + c.stderr);
  assert.match(readFileSync(join(dir, 'target/compiled/tiny/models/uses.sql'), 'utf8'), /select 42 as v/);
});

/**
 * A profile whose DuckDB path holds the secret (as a MotherDuck token would): the database is
 * named after the file, so the value is in every relation name, and a macro prints `target`.
 */
function leakyProject(): string {
  return project({
    ...minimalProject(),
    'profiles.yml': profile("{{ env_var('DBT_ENV_SECRET_TOKEN') }}.duckdb"),
    'models/good.sql':
      "{{ log('connected to ' ~ target.path, info=True) }}\nselect '{{ target.path }}' as source_file, 1 as id\n",
    'models/downstream.sql': 'select * from {{ ref("good") }}\n',
    'models/broken.sql': 'select * from {{ target.database }}.missing_table\n',
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: good\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
  });
}

/** Runs the commands that write everything kiln writes; returns the process output. */
function runAll(dir: string): string {
  let output = '';
  const run = (args: string[], expect: number) => {
    const r = kiln([...args, '--project-dir', dir], { cwd: dir, env });
    output += r.stdout + r.stderr;
    assert.equal(r.code, expect, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  run(['build', '--junit-xml', 'target/junit.xml'], 1);
  run(['--log-format', 'json', 'run', '--select', 'good'], 0);
  run(['compile'], 0);
  run(['docs', 'generate'], 0);
  run(['docs', 'generate', '--static'], 0);
  run(['--debug', 'run', '--select', 'broken'], 1);
  run(['debug'], 0);
  return output;
}

/** The files src/artifacts writes (manifest, run results, catalog, sources, JUnit XML). */
const ARTIFACTS = /^target\/(manifest|run_results|catalog|sources)\.json$|^target\/junit\.xml$/;

const leaky = leakyProject();
let leakyOutput = '';

test('no secret value in the terminal, logs, compiled SQL or the docs site; the connection still gets it', () => {
  leakyOutput = runAll(leaky);
  assert.ok(existsSync(join(leaky, `${SECRET}.duckdb`)), 'the profile was rendered with the real value');
  assert.ok(
    !leakyOutput.includes(SECRET),
    leakyOutput
      .split('\n')
      .filter((l) => l.includes(SECRET))
      .join('\n'),
  );
  assert.match(leakyOutput, /connected to \*\*\*\*\*\.duckdb/);
  assert.match(leakyOutput, /\*\*\*\*\*/);
  const files = filesUnder(leaky, ['target', 'logs']).filter(([f]) => !ARTIFACTS.test(f));
  assert.ok(
    files.some(([f]) => f.startsWith('logs/')) &&
      files.some(([f]) => f.startsWith('target/compiled/')) &&
      files.some(([f]) => f === 'target/kiln-data.js'),
  );
  for (const [file, text] of files) assert.ok(!text.includes(SECRET), `${file} holds the secret value`);
  assert.match(
    readFileSync(join(leaky, 'target/compiled/tiny/models/good.sql'), 'utf8'),
    /'\*\*\*\*\*\.duckdb' as source_file/,
  );
  for (const line of readFileSync(join(leaky, 'logs', readdirSync(join(leaky, 'logs'))[0]!), 'utf8')
    .trim()
    .split('\n'))
    JSON.parse(line);
});

test('no secret value in manifest.json, run_results.json, catalog.json or JUnit XML', () => {
  if (!leakyOutput) runAll(leaky);
  const files = filesUnder(leaky, ['target']).filter(([f]) => ARTIFACTS.test(f));
  assert.ok(files.length >= 4, files.map(([f]) => f).join(', '));
  for (const [file, text] of files) assert.ok(!text.includes(SECRET), `${file} holds the secret value`);
  const manifest = JSON.parse(readFileSync(join(leaky, 'target/manifest.json'), 'utf8'));
  assert.equal(manifest.nodes['model.tiny.good'].database, '*****');
});
