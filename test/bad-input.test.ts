import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';

/** Each case: a project that is wrong in one way, and what the one-line error must say. */
const cases: Array<{ name: string; files: Record<string, string>; args?: string[]; expect: RegExp; file?: string }> = [
  {
    name: 'YAML syntax error',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: "unclosed\n  - name: b: c\n' }),
    expect: /invalid YAML/,
    file: 'models/schema.yml:\\d+',
  },
  {
    name: 'wrong YAML shape',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns: not-a-list\n' }),
    expect: /'models\.0\.columns' must be array/,
    file: 'models/schema.yml:4',
  },
  {
    name: 'unknown top-level key in properties',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'models/schema.yml': 'version: 2\nmodel:\n  - name: a\n' }),
    expect: /unknown key 'model'/,
    file: 'models/schema.yml:2',
  },
  {
    name: 'Jinja syntax error',
    files: minimalProject({ 'models/a.sql': "select 1 as id\n{% if true %}\nselect {{ ref('b' }}\n" }),
    expect: /models\/a\.sql:3/,
  },
  {
    name: 'a cycle',
    files: minimalProject({ 'models/a.sql': "select * from {{ ref('c') }}", 'models/b.sql': "select * from {{ ref('a') }}", 'models/c.sql': "select * from {{ ref('b') }}" }),
    expect: /dependency cycle: a -> c -> b -> a|dependency cycle: a -> b -> c -> a/,
  },
  {
    name: 'a missing ref',
    files: minimalProject({ 'models/orders.sql': "select * from {{ ref('custmers') }}", 'models/customers.sql': 'select 1 as id' }),
    expect: /models\/orders\.sql: model 'orders' depends on 'custmers', which was not found[\s\S]*did you mean 'customers'/,
  },
  {
    name: 'a missing source',
    files: minimalProject({ 'models/a.sql': "select * from {{ source('raw', 'orders') }}" }),
    expect: /models\/a\.sql: model 'a' reads source\('raw', 'orders'\), which is not defined/,
  },
  {
    name: 'a missing var',
    files: minimalProject({ 'models/a.sql': "select {{ var('start_date') }} as d" }),
    expect: /models\/a\.sql:1: required var 'start_date' not found/,
  },
  {
    name: 'a missing var in a templated model',
    files: minimalProject({ 'models/a.sql': "{% set x = 1 %}select {{ var('start_date') }} as d" }),
    expect: /models\/a\.sql:1(:\d+)?: required var 'start_date' not found/,
  },
  {
    name: 'a missing profile',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'profiles.yml': 'other:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n' }),
    expect: /profile 'tiny' is not defined in profiles\.yml[\s\S]*defined profiles: other/,
  },
  {
    name: 'a malformed profile',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'profiles.yml': 'tiny:\n  target: dev\n  outputs:\n    dev:\n      threads: 2\n' }),
    expect: /missing the required key 'type'/,
  },
  {
    name: 'an unknown target',
    files: minimalProject({ 'models/a.sql': 'select 1 as id', 'profiles.yml': 'tiny:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n' }),
    args: ['--target', 'prod'],
    expect: /target 'prod' is not defined in profile 'tiny'[\s\S]*defined targets: dev/,
  },
  {
    name: 'a duplicate model name',
    files: minimalProject({ 'models/a/orders.sql': 'select 1 as id', 'models/b/orders.sql': 'select 2 as id' }),
    expect: /two models are named 'orders': models\/a\/orders\.sql and models\/b\/orders\.sql/,
  },
  {
    name: 'a malformed selector',
    files: minimalProject({ 'models/a.sql': 'select 1 as id' }),
    args: ['--select', 'colour:red'],
    expect: /unknown selector method 'colour'/,
  },
  {
    name: 'no dbt_project.yml',
    files: { 'models/a.sql': 'select 1' },
    expect: /no dbt_project\.yml/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name} exits 2 with one clear message`, () => {
    const dir = writeProject(c.files);
    try {
      const r = kiln(['build', '--project-dir', dir, ...(c.args ?? [])]);
      assert.equal(r.code, 2, `exit code\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, c.expect);
      if (c.file) assert.match(r.stderr, new RegExp(c.file));
      assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
    } finally {
      removeDir(dir);
    }
  });
}

test('--debug adds the stack trace', () => {
  const dir = writeProject(minimalProject({ 'models/a.sql': "select * from {{ ref('nope') }}" }));
  try {
    const r = kiln(['--debug', 'build', '--project-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\n\s+at .*\.js:\d+/);
  } finally {
    removeDir(dir);
  }
});

test('an unknown flag is a command-line error (exit 2)', () => {
  const r = kiln(['build', '--no-such-flag']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});
