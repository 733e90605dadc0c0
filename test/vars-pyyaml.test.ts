/**
 * Vars are what PyYAML makes of dbt_project.yml and --vars (YAML 1.1): `2.0` is a float that
 * prints `2.0`, `yes` is True, `1e3` is text, `010` is 8, a date is a date; var()'s default
 * `3.0` stays a float. Each case is compiled by kiln and rendered by the oracle, Debian's python3 with PyYAML and Jinja2 and a var() that
 * looks up the project's vars, then --vars, then the default, as dbt's does.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, writeProject } from './helpers/cli.js';

const PROJECT_VARS = `vars:
  ratio: 2.0
  half: 0.5
  count: 3
  thousand: 1.0e+3
  mixed: [1.0, 2, 2.5]
  nested: {limit: 10.0}
  flag: yes
  sci: 1e3
  octal: 010
  day: 2024-01-05
`;

const BODY = [
  "{{ var('ratio') }}",
  "{{ var('ratio') * 2 }}",
  "{{ var('half') }}",
  "{{ var('count') }}",
  "{{ var('thousand') }}",
  "{{ var('mixed') }}",
  "{{ var('nested') }}",
  "{{ var('nested')['limit'] }}",
  "{{ var('missing', 3.0) }}",
  "{{ var('missing', default=4.0) }}",
  "{{ var('missing', 7) }}",
  "{{ var('flag') }}",
  "{{ var('flag') is sameas true }}",
  "{{ var('sci') }}",
  "{{ var('octal') }}",
  "{{ var('day') }}",
  "{{ var('day') is string }}",
].join('|');

const ORACLE = `
import json, sys, yaml, jinja2
case = json.loads(sys.stdin.read())
project = yaml.safe_load(case['project'])['vars']
cli = yaml.safe_load(case['cli'] or '{}') or {}
NOTSET = object()
def var(name, default=NOTSET):
    if name in cli: return cli[name]
    if name in project: return project[name]
    if default is NOTSET: raise KeyError(name)
    return default
sys.stdout.write(jinja2.Environment().from_string(case['body']).render(var=var))
`;

function oracle(cli: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', ORACLE], {
    input: JSON.stringify({ project: PROJECT_VARS, cli, body: BODY }),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `the oracle ran (apt-get install python3-jinja2 python3-yaml): ${r.stderr}`);
  return r.stdout;
}

const dir = writeProject({
  'dbt_project.yml': `name: floats\nprofile: floats\n${PROJECT_VARS}`,
  'models/m.sql': BODY,
});
after(() => removeDir(dir));

function compiled(...args: string[]): string {
  const r = kiln(['compile', '--project-dir', dir, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(join(dir, 'target', 'compiled', 'floats', 'models', 'm.sql'), 'utf8');
}

test("vars are PyYAML's values, from dbt_project.yml and as var()'s default", () => {
  const expected = oracle('');
  assert.match(expected, /^2\.0\|4\.0\|0\.5\|3\|1000\.0\|/, 'the oracle prints floats as floats');
  assert.match(expected, /\|True\|True\|1e3\|8\|2024-01-05\|False$/, 'and YAML 1.1 as YAML 1.1');
  assert.equal(compiled('--no-partial-parse'), expected);
  assert.equal(compiled(), expected, 'the partial parse cache written');
  assert.equal(compiled(), expected, 'the partial parse cache read');
});

test('--vars 5.0 and --vars 5 (and a date and its text) compile apart, with the partial parse cache too', () => {
  for (const cli of [
    '{ratio: 5.0}',
    '{ratio: 5}',
    '{ratio: 5.0, flag: no}',
    '{day: 2024-02-01}',
    "{day: '2024-02-01'}",
  ]) {
    const expected = oracle(cli);
    assert.equal(compiled('--vars', cli), expected, `--vars ${cli}`);
  }
  assert.notEqual(oracle('{ratio: 5.0}'), oracle('{ratio: 5}'));
});
