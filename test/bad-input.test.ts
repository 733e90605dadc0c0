import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { kiln, kilnResult, writeProject, minimalProject, removeDir } from './helpers/cli.js';

/**
 * Every kind of malformed input kiln is known to meet, by family: a project wrong in one way,
 * the command that meets it, and the one clear message it must give (exit 2, no stack trace),
 * or the warning it must print while the command still succeeds (`code: 0`).
 */
interface Probe {
  family: string;
  name: string;
  files: Record<string, string>;
  /** The command and its flags (default `parse`). */
  args?: string[];
  /** Flags before the command. */
  global?: string[];
  code?: number;
  expect: RegExp;
  /** `file:line` (a regular expression) the message must name. */
  at?: string;
  /** Finishes under this many milliseconds (a limit that must refuse fast). */
  fast?: number;
}

const p = minimalProject;
const model = (sql = 'select 1 as id') => ({ 'models/a.sql': sql });
const project = (extra: string, files: Record<string, string> = model()) => ({
  ...files,
  'dbt_project.yml': `name: tiny\nprofile: tiny\nconfig-version: 2\n${extra}`,
});
const props = (yml: string, files: Record<string, string> = model()) =>
  p({ ...files, 'models/schema.yml': `version: 2\n${yml}` });
const profiles = (yml: string) => p({ ...model(), 'profiles.yml': yml });
const packages = (yml: string) => p({ ...model(), 'packages.yml': yml });
const selectors = (yml: string) => p({ ...model(), 'selectors.yml': yml });
const withSource = (files: Record<string, string>) => ({
  ...files,
  'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
});

/** About 700 bytes that expand to 9^9 strings (billion laughs), after `lead` lines. */
const aliasBomb = (lead = '') =>
  lead +
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
  ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']
    .map((k, i) => {
      const prev = 'abcdefgh'[i];
      return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    })
    .join('');
const deepMacro = `{% macro down(n) %}{% if n > 0 %}{{ down(n - 1) }}{% endif %}{% endmacro %}`;

const probes: Probe[] = [
  // ── YAML syntax and shape ───────────────────────────────────────────────────────────────
  {
    family: 'yaml',
    name: 'YAML syntax error',
    files: props('models:\n  - name: a\n    description: "unclosed\n  - name: b: c\n'),
    expect: /invalid YAML/,
    at: 'models/schema.yml:\\d+',
  },
  {
    family: 'yaml',
    name: 'a key written twice in one mapping',
    files: props('models:\n  - name: a\n    description: x\n    description: y\n'),
    expect: /duplicated mapping key/,
    at: 'models/schema.yml:5',
  },
  {
    family: 'yaml',
    name: 'an undefined alias',
    files: props('models:\n  - name: a\n    meta: *nothing\n'),
    expect: /invalid YAML: .*alias/i,
    at: 'models/schema.yml:4',
  },
  {
    family: 'yaml',
    name: 'wrong shape: columns not a list',
    files: props('models:\n  - name: a\n    columns: not-a-list\n'),
    expect: /'models\.0\.columns' must be array/,
    at: 'models/schema.yml:4',
  },
  {
    family: 'yaml',
    name: 'unknown top-level key in properties',
    files: props('model:\n  - name: a\n'),
    expect: /unknown key 'model'/,
    at: 'models/schema.yml:2',
  },
  {
    family: 'yaml',
    name: 'properties file that is a list',
    files: p({ ...model(), 'models/schema.yml': '- name: a\n' }),
    expect: /must be object/,
    at: 'models/schema.yml',
  },
  {
    family: 'yaml',
    name: 'a model entry without a name',
    files: props('models:\n  - description: nameless\n'),
    expect: /missing the required key 'name'/,
    at: 'models/schema.yml:3',
  },
  {
    family: 'yaml',
    name: 'tests: that is not a list',
    files: props('models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: unique\n'),
    expect: /must be array/,
    at: 'models/schema.yml:6',
  },
  {
    family: 'yaml',
    name: 'dbt_project.yml YAML syntax error',
    files: project('models:\n  a: [unclosed\n'),
    expect: /invalid YAML/,
    at: 'dbt_project.yml:\\d+',
  },
  {
    family: 'yaml',
    name: 'dbt_project.yml that is empty',
    files: { ...model(), 'dbt_project.yml': '' },
    expect: /missing the required key 'name'/,
    at: 'dbt_project.yml',
  },

  // ── dbt_project.yml: keys and config types ──────────────────────────────────────────────
  { family: 'project', name: 'no dbt_project.yml', files: model(), expect: /no dbt_project\.yml/ },
  {
    family: 'project',
    name: 'a project name with a dash',
    files: { ...model(), 'dbt_project.yml': 'name: my-project\n' },
    expect: /'name' must match/,
    at: 'dbt_project.yml:1',
  },
  {
    family: 'project',
    name: 'config-version that is not a number',
    files: { ...model(), 'dbt_project.yml': 'name: tiny\nconfig-version: two\n' },
    expect: /'config-version' must be integer/,
    at: 'dbt_project.yml:2',
  },
  {
    family: 'project',
    name: 'an unknown top-level key (warning)',
    files: project('model-path: [models]\n'),
    code: 0,
    expect: /dbt_project\.yml:4: unknown key 'model-path' \(did you mean 'model-paths'\?\)/,
  },
  {
    family: 'project',
    name: 'both tests and data_tests',
    files: project('tests:\n  +severity: warn\ndata_tests:\n  +severity: warn\n'),
    expect: /both 'tests' and 'data_tests' are set/,
    at: 'dbt_project.yml:4',
  },
  {
    family: 'project',
    name: 'materialized: tabel',
    files: project('models:\n  +materialized: tabel\n'),
    expect: /unknown materialization 'tabel'.*did you mean 'table'/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'materialized: 42',
    files: project('models:\n  tiny:\n    +materialized: 42\n'),
    expect: /unknown materialization '42'/,
    at: 'dbt_project.yml:6',
  },
  {
    family: 'project',
    name: 'incremental_strategy: mergee',
    files: project('models:\n  +materialized: incremental\n  +incremental_strategy: mergee\n'),
    expect: /unknown incremental_strategy 'mergee'.*did you mean 'merge'/,
    at: 'dbt_project.yml:6',
  },
  {
    family: 'project',
    name: 'enabled: maybe',
    files: project('models:\n  +enabled: maybe\n'),
    expect: /'\+enabled' must be true or false, not "maybe"/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'tags: a mapping',
    files: project('models:\n  +tags: {a: 1}\n'),
    expect: /'\+?tags' must be a string or a list of strings/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'schema: a list',
    files: project('models:\n  +schema: [x]\n'),
    expect: /'\+?schema' must be a string/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'on_schema_change: explode',
    files: project('models:\n  +on_schema_change: explode\n'),
    expect: /on_schema_change.*must be one of/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'meta: a string',
    files: project('models:\n  +meta: owner\n'),
    expect: /'\+?meta' must be a mapping/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'contract: true instead of {enforced: true}',
    files: project('models:\n  +contract: true\n'),
    expect: /'\+?contract' must be a mapping/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'access: secret',
    files: project('models:\n  +access: secret\n'),
    expect: /access.*must be one of: private, protected, public/,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'severity: fatal',
    files: project('data_tests:\n  +severity: fatal\n'),
    expect: /severity.*must be one of: error, warn/i,
    at: 'dbt_project.yml:5',
  },
  {
    family: 'project',
    name: 'an unknown config key (warning)',
    files: project('models:\n  +materialised: table\n'),
    code: 0,
    expect: /dbt_project\.yml:5: unknown config 'materialised' \(did you mean 'materialized'\?\)/,
  },

  // ── properties YAML and config() ────────────────────────────────────────────────────────
  {
    family: 'properties',
    name: 'materialized: tabel in properties config',
    files: props('models:\n  - name: a\n    config:\n      materialized: tabel\n'),
    expect: /unknown materialization 'tabel'.*did you mean 'table'/,
    at: 'models/schema.yml:5',
  },
  {
    family: 'properties',
    name: 'materialized: tabel in config()',
    files: p(model("{{ config(materialized='tabel') }}\nselect 1 as id")),
    expect: /unknown materialization 'tabel'.*did you mean 'table'/,
    at: 'models/a.sql:1',
  },
  {
    family: 'properties',
    name: 'materialized: tabel in config() of a templated model',
    files: p(model("{% set x = 1 %}\n\n{{ config(materialized='tabel') }}\nselect 1 as id")),
    expect: /unknown materialization 'tabel'/,
    at: 'models/a.sql:3',
  },
  {
    family: 'properties',
    name: 'incremental_strategy in config()',
    files: p(model("{{ config(materialized='incremental', incremental_strategy='mergee') }}\nselect 1 as id")),
    expect: /unknown incremental_strategy 'mergee'.*did you mean 'merge'/,
    at: 'models/a.sql:1',
  },
  {
    family: 'properties',
    name: 'enabled: maybe in properties config',
    files: props('models:\n  - name: a\n    config:\n      enabled: maybe\n'),
    expect: /'enabled' must be true or false, not "maybe"/,
    at: 'models/schema.yml:5',
  },
  {
    family: 'properties',
    name: 'tags: {a: 1} in config()',
    files: p(model("{{ config(tags={'a': 1}) }}\nselect 1 as id")),
    expect: /'tags' must be a string or a list of strings/,
    at: 'models/a.sql:1',
  },
  {
    family: 'properties',
    name: 'an unknown key in properties config (warning)',
    files: props('models:\n  - name: a\n    config:\n      materialised: table\n'),
    code: 0,
    expect: /models\/schema\.yml:5: unknown config 'materialised' \(did you mean 'materialized'\?\)/,
  },
  {
    family: 'properties',
    name: 'an unknown key in config() (warning)',
    files: p(model("select 1 as id\n{{ config(materialised='table') }}")),
    code: 0,
    expect: /models\/a\.sql:2: unknown config 'materialised' \(did you mean 'materialized'\?\)/,
  },
  {
    family: 'properties',
    name: 'a custom materialization from a project macro is accepted',
    files: p({
      ...model("{{ config(materialized='my_mat') }}\nselect 1 as id"),
      'macros/m.sql': "{% materialization my_mat, default %}{{ return({'relations': []}) }}{% endmaterialization %}",
    }),
    code: 0,
    expect: /Parsed 1 models/,
  },
  {
    family: 'properties',
    name: 'an empty model file',
    files: p(model('')),
    expect: /models\/a\.sql: model 'a' is empty/,
  },
  {
    family: 'properties',
    name: 'a model file of comments and config() only',
    files: p(model("  -- notes\n{# more #}\n{{ config(materialized='table') }}\n/* and */\n")),
    expect: /models\/a\.sql: model 'a' is empty/,
  },
  {
    family: 'properties',
    name: 'a model file whose SQL follows comments and config() is not empty',
    files: p(model("-- notes\n{{ config(materialized='table') }}\nselect 1 as id")),
    code: 0,
    expect: /Parsed 1 models/,
  },
  {
    family: 'properties',
    name: 'freshness {count: lots, period: fortnight}',
    files: p({
      ...model(),
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    freshness:\n      warn_after: {count: lots, period: fortnight}\n    loaded_at_field: at\n    tables:\n      - name: orders\n',
    }),
    expect: /warn_after\.count' must be a whole number/,
    at: 'models/sources.yml:5',
  },
  {
    family: 'properties',
    name: 'freshness period: fortnight',
    files: p({
      ...model(),
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n        loaded_at_field: at\n        freshness:\n          error_after: {count: 2, period: fortnight}\n',
    }),
    expect: /period' must be one of: minute, hour, day/,
    at: 'models/sources.yml:8',
  },
  {
    family: 'properties',
    name: 'a model patched twice',
    files: props('models:\n  - name: a\n  - name: a\n'),
    expect: /'a'.*(twice|more than once)/,
    at: 'models/schema.yml:\\d',
  },

  // ── test arguments ──────────────────────────────────────────────────────────────────────
  {
    family: 'tests',
    name: 'accepted_values: {values: 5}',
    files: props(
      'models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {values: 5}\n',
    ),
    expect: /accepted_values.*values.*must be a list/,
    at: 'models/schema.yml:7',
  },
  {
    family: 'tests',
    name: 'accepted_values without values',
    files: props(
      'models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {quote: false}\n',
    ),
    expect: /accepted_values.*values/,
    at: 'models/schema.yml:7',
  },
  {
    family: 'tests',
    name: 'relationships without field',
    files: props(
      "models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - relationships: {to: ref('a')}\n",
    ),
    expect: /relationships.*field/,
    at: 'models/schema.yml:7',
  },
  {
    family: 'tests',
    name: 'an unknown generic test',
    files: props('models:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [uniqe]\n'),
    expect: /uniqe.*did you mean 'unique'/,
    at: 'models/schema.yml:6',
  },
  {
    family: 'tests',
    name: 'unique at model level (needs a column)',
    files: props('models:\n  - name: a\n    data_tests:\n      - unique\n'),
    expect: /'unique' tests a column/,
    at: 'models/schema.yml:5',
  },
  {
    family: 'tests',
    name: 'a test entry with two test names',
    files: props(
      'models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - unique: {}\n            not_null: {}\n',
    ),
    expect: /test entry|one test/,
    at: 'models/schema.yml:7',
  },
  {
    family: 'tests',
    name: 'a test severity of fatal',
    files: props(
      'models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - unique:\n              config: {severity: fatal}\n',
    ),
    expect: /severity.*must be one of: error, warn/i,
    at: 'models/schema.yml:8',
  },
  {
    family: 'tests',
    name: 'a singular test with a missing ref',
    files: p({ ...model(), 'tests/t.sql': "select * from {{ ref('nope') }}" }),
    expect: /tests\/t\.sql:1:\d+: test 't' depends on 'nope', which was not found/,
  },

  // ── packages ────────────────────────────────────────────────────────────────────────────
  {
    family: 'packages',
    name: 'packages.yml that is garbage',
    files: packages('packages: [ {{ ::\n'),
    args: ['deps'],
    expect: /invalid YAML/,
    at: 'packages.yml:\\d',
  },
  {
    family: 'packages',
    name: 'packages.yml that is a plain string',
    files: packages('dbt-labs/dbt_utils\n'),
    args: ['deps'],
    expect: /packages\.yml.*needs a top-level 'packages:' list/,
  },
  {
    family: 'packages',
    name: 'packages: misspelt',
    files: packages('pakages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n'),
    args: ['deps'],
    expect: /unknown key 'pakages' in packages\.yml \(did you mean 'packages'\?\)/,
    at: 'packages.yml:1',
  },
  {
    family: 'packages',
    name: 'packages: that is not a list',
    files: packages('packages:\n  package: dbt-labs/dbt_utils\n'),
    args: ['deps'],
    expect: /packages: in packages\.yml must be a list/,
    at: 'packages.yml:2',
  },
  {
    family: 'packages',
    name: 'a package entry without a source',
    files: packages('packages:\n  - version: 1.0.0\n'),
    args: ['deps'],
    expect: /a package entry needs local:, git: or package:/,
    at: 'packages.yml:2',
  },
  {
    family: 'packages',
    name: 'a hub package without a version',
    files: packages('packages:\n  - package: dbt-labs/dbt_utils\n'),
    args: ['deps'],
    expect: /needs a version:/,
    at: 'packages.yml:2',
  },
  {
    family: 'packages',
    name: 'a git URL that is an option',
    files: packages('packages:\n  - git: "--upload-pack=touch /tmp/x"\n'),
    args: ['deps'],
    expect: /git/,
    at: 'packages.yml:2',
  },
  {
    family: 'packages',
    name: 'packages declared but not installed',
    files: packages('packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n'),
    expect: /dbt_utils[\s\S]*not installed[\s\S]*kiln deps|not installed.*dbt_utils[\s\S]*kiln deps/,
  },

  // ── selectors ───────────────────────────────────────────────────────────────────────────
  {
    family: 'selectors',
    name: 'selectors.yml YAML syntax error',
    files: selectors('selectors:\n  - name: [x\n'),
    args: ['ls'],
    expect: /invalid YAML/,
    at: 'selectors.yml:\\d',
  },
  {
    family: 'selectors',
    name: 'selectors.yml without selectors:',
    files: selectors('selector:\n  - name: x\n'),
    args: ['ls'],
    expect: /needs a top-level 'selectors:' list/,
    at: 'selectors.yml',
  },
  {
    family: 'selectors',
    name: 'a selector without a definition',
    files: selectors('selectors:\n  - name: nightly\n'),
    args: ['ls'],
    expect: /selector 'nightly' has no definition/,
    at: 'selectors.yml:2',
  },
  {
    family: 'selectors',
    name: 'a selector with an unknown method',
    files: selectors('selectors:\n  - name: nightly\n    definition: "colour:red"\n'),
    args: ['ls'],
    expect: /unknown selector method 'colour'/,
    at: 'selectors.yml:3',
  },
  {
    family: 'selectors',
    name: '--selector naming no selector',
    files: selectors('selectors:\n  - name: nightly\n    definition: "tag:nightly"\n'),
    args: ['ls', '--selector', 'nighty'],
    expect: /nighty.*did you mean 'nightly'|nighty[\s\S]*nightly/,
  },
  {
    family: 'selectors',
    name: '--select with an unknown method',
    files: p(model()),
    args: ['ls', '--select', 'colour:red'],
    expect: /unknown selector method 'colour'/,
  },

  // ── profiles ────────────────────────────────────────────────────────────────────────────
  {
    family: 'profiles',
    name: 'a missing profile',
    files: profiles('other:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n'),
    expect: /profile 'tiny' is not defined in profiles\.yml[\s\S]*defined profiles: other/,
  },
  {
    family: 'profiles',
    name: 'a target without type',
    files: profiles('tiny:\n  target: dev\n  outputs:\n    dev:\n      threads: 2\n'),
    expect: /missing the required key 'type'/,
    at: 'profiles.yml:5',
  },
  {
    family: 'profiles',
    name: 'an unknown target',
    files: profiles('tiny:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n'),
    args: ['parse', '--target', 'prod'],
    expect: /target 'prod' is not defined in profile 'tiny'[\s\S]*defined targets: dev/,
  },
  {
    family: 'profiles',
    name: 'profiles.yml YAML syntax error',
    files: profiles('tiny:\n  target: dev\n  outputs: [\n'),
    expect: /invalid YAML/,
    at: 'profiles.yml:\\d',
  },
  {
    family: 'profiles',
    name: 'threads: many',
    files: profiles('tiny:\n  target: dev\n  outputs:\n    dev: {type: duckdb, threads: many}\n'),
    expect: /threads.*must be integer/,
    at: 'profiles.yml:4',
  },
  {
    family: 'profiles',
    name: 'an unknown adapter type',
    files: profiles('tiny:\n  target: dev\n  outputs:\n    dev: {type: oracle}\n'),
    expect: /oracle/,
  },

  // ── templates ───────────────────────────────────────────────────────────────────────────
  {
    family: 'templates',
    name: 'Jinja syntax error',
    files: p(model("select 1 as id\n{% if true %}\nselect {{ ref('b' }}\n")),
    expect: /models\/a\.sql:3/,
  },
  {
    family: 'templates',
    name: 'an unclosed {% if %}',
    files: p(model('select 1 as id\n\n{% if true %}\nselect 2\n')),
    expect: /models\/a\.sql:3(:\d+)?: .*(unclosed|never closed|endif)/,
  },
  {
    family: 'templates',
    name: 'an unclosed {% for %} in a macro',
    files: p({ ...model(), 'macros/m.sql': '{% macro m() %}\n{% for x in [1] %}\n{{ x }}\n{% endmacro %}' }),
    expect: /macros\/m\.sql:2(:\d+)?: .*(endfor|unclosed|never closed)/,
  },
  {
    family: 'templates',
    name: 'an unknown filter',
    files: p(model("select 1 as id\n\n{{ 'x' | shout }}")),
    expect: /models\/a\.sql:3(:\d+)?: .*filter.*shout/,
  },
  {
    family: 'templates',
    name: 'an unknown tag',
    files: p(model('select 1\n{% fi %}')),
    expect: /models\/a\.sql:2(:\d+)?: .*fi/,
  },
  {
    family: 'templates',
    name: 'an undefined macro',
    files: p(model('select {{ no_such_macro() }}')),
    expect: /models\/a\.sql:1(:\d+)?: .*no_such_macro/,
  },
  {
    family: 'templates',
    name: 'a missing var',
    files: p(model("select {{ var('start_date') }} as d")),
    expect: /models\/a\.sql:1: required var 'start_date' not found/,
  },
  {
    family: 'templates',
    name: 'a missing var in a templated model',
    files: p(model("{% set x = 1 %}select {{ var('start_date') }} as d")),
    expect: /models\/a\.sql:1(:\d+)?: required var 'start_date' not found/,
  },
  {
    family: 'templates',
    name: 'a missing docs block',
    files: props('models:\n  - name: a\n    description: "{{ doc(\'nope\') }}"\n'),
    expect: /doc\('nope'\)/,
  },

  // ── refs, sources and the graph ─────────────────────────────────────────────────────────
  {
    family: 'graph',
    name: 'a missing ref',
    files: p({ 'models/orders.sql': "select *\nfrom {{ ref('custmers') }}", 'models/customers.sql': 'select 1 as id' }),
    expect:
      /models\/orders\.sql:2:9: model 'orders' depends on 'custmers', which was not found[\s\S]*did you mean 'customers'/,
  },
  {
    family: 'graph',
    name: 'a missing ref in a templated model',
    files: p({
      'models/orders.sql': "{% set t = 'custmers' %}\nselect *\n  from {{ ref(t) }}",
      'models/customers.sql': 'select 1 as id',
    }),
    expect: /models\/orders\.sql:3(:\d+)?: model 'orders' depends on 'custmers'/,
  },
  {
    family: 'graph',
    name: 'a missing source',
    files: p(model("select 1\nfrom {{ source('raw', 'orders') }}")),
    expect: /models\/a\.sql:2:9: model 'a' reads source\('raw', 'orders'\), which is not defined/,
  },
  {
    family: 'graph',
    name: 'a missing source table',
    files: p(withSource(model("select * from {{ source('raw', 'ordrs') }}"))),
    expect: /models\/a\.sql:1:18: .*source\('raw', 'ordrs'\)[\s\S]*did you mean 'orders'/,
  },
  {
    family: 'graph',
    name: 'a cycle',
    files: p({
      'models/a.sql': "select * from {{ ref('c') }}",
      'models/b.sql': "\nselect * from {{ ref('a') }}",
      'models/c.sql': "select * from {{ ref('b') }}",
    }),
    expect: /dependency cycle: a -> c -> b -> a|dependency cycle: a -> b -> c -> a/,
  },
  {
    family: 'graph',
    name: 'a cycle names each edge by file and line',
    files: p({
      'models/a.sql': "select * from {{ ref('c') }}",
      'models/b.sql': "\nselect * from {{ ref('a') }}",
      'models/c.sql': "select * from {{ ref('b') }}",
    }),
    expect:
      /models\/a\.sql:1:\d+[\s\S]*models\/b\.sql:2:\d+[\s\S]*models\/c\.sql:1:\d+|models\/b\.sql:2:\d+[\s\S]*models\/a\.sql:1:\d+/,
  },
  {
    family: 'graph',
    name: 'a model that refs itself',
    files: p(model("select * from {{ ref('a') }}")),
    expect: /cycle|itself/,
    at: 'models/a.sql:1',
  },
  {
    family: 'graph',
    name: 'a duplicate model name',
    files: p({ 'models/a/orders.sql': 'select 1 as id', 'models/b/orders.sql': 'select 2 as id' }),
    expect: /two models are named 'orders': models\/a\/orders\.sql and models\/b\/orders\.sql/,
  },

  // ── command-line flags ──────────────────────────────────────────────────────────────────
  {
    family: 'flags',
    name: 'an unknown flag',
    files: p(model()),
    args: ['build', '--no-such-flag'],
    expect: /unknown option '--no-such-flag'/,
  },
  {
    family: 'flags',
    name: '--threads abc',
    files: p(model()),
    args: ['run', '--threads', 'abc'],
    expect: /--threads must be a whole number of at least 1, got 'abc'/,
  },
  {
    family: 'flags',
    name: '--threads 0',
    files: p(model()),
    args: ['run', '--threads', '0'],
    expect: /--threads must be a whole number of at least 1, got '0'/,
  },
  {
    family: 'flags',
    name: '--vars that is not YAML',
    files: p(model()),
    args: ['parse', '--vars', '{a: [}'],
    expect: /--vars is not valid YAML/,
  },
  {
    family: 'flags',
    name: '--vars that is a list',
    files: p(model()),
    args: ['parse', '--vars', '[1, 2]'],
    expect: /--vars must be a YAML mapping/,
  },
  {
    family: 'flags',
    name: '--log-format xml',
    files: p(model()),
    global: ['--log-format', 'xml'],
    expect: /--log-format.*'xml'[\s\S]*text, json/,
  },
  {
    family: 'flags',
    name: 'an unknown command',
    files: p(model()),
    args: ['buidl'],
    expect: /unknown command 'buidl'[\s\S]*build/,
  },

  // ── file encodings ──────────────────────────────────────────────────────────────────────
  {
    family: 'encoding',
    name: 'a Latin-1 model',
    files: p({ 'models/a.sql': 'select 1 as id\n-- caf\u00e9\n' }),
    expect: /models\/a\.sql:2: .*not (valid )?UTF-8/,
  },
  {
    family: 'encoding',
    name: 'a Latin-1 properties file',
    files: props('models:\n  - name: a\n    description: "caf\u00e9"\n'),
    expect: /models\/schema\.yml:4: .*not (valid )?UTF-8/,
  },
  {
    family: 'encoding',
    name: 'a Latin-1 dbt_project.yml',
    files: project('# caf\u00e9\n'),
    expect: /dbt_project\.yml:4: .*not (valid )?UTF-8/,
  },
  {
    family: 'encoding',
    name: 'a UTF-8 BOM is read as dbt reads it',
    files: p(model('\ufeffselect 1 as id')),
    code: 0,
    expect: /Parsed 1 models/,
  },

  // ── recursion ───────────────────────────────────────────────────────────────────────────
  {
    family: 'recursion',
    name: 'a macro that calls itself forever',
    files: p({
      ...model('select {{ loop_forever() }}'),
      'macros/m.sql': '{% macro loop_forever() %}\n{{ loop_forever() }}\n{% endmacro %}',
    }),
    expect:
      /macro 'loop_forever'.*(recursion|nested).*deep[\s\S]*macros\/m\.sql:2|macros\/m\.sql:2.*macro 'loop_forever'/,
  },
  {
    family: 'recursion',
    name: 'recursion 5,000 deep',
    files: p({ ...model('select {{ down(5000) }}'), 'macros/m.sql': deepMacro }),
    expect: /macro 'down'.*(recursion|nested)/,
  },
  {
    family: 'recursion',
    name: 'two macros calling each other',
    files: p({
      ...model('select {{ ping() }}'),
      'macros/m.sql': '{% macro ping() %}{{ pong() }}{% endmacro %}\n{% macro pong() %}{{ ping() }}{% endmacro %}',
    }),
    expect: /macro '(ping|pong)'.*(recursion|nested)/,
  },

  // ── resource limits ─────────────────────────────────────────────────────────────────────
  {
    family: 'limits',
    name: 'an alias bomb in properties YAML',
    files: p({ ...model(), 'models/schema.yml': aliasBomb() }),
    expect: /alias/,
    at: 'models/schema.yml:\\d',
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'an alias bomb in dbt_project.yml',
    files: { ...model(), 'dbt_project.yml': aliasBomb('name: tiny\n') },
    expect: /alias/,
    at: 'dbt_project.yml:\\d',
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'an alias bomb in profiles.yml',
    files: profiles(aliasBomb()),
    expect: /alias/,
    at: 'profiles.yml:\\d',
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'an alias bomb in packages.yml',
    files: packages(aliasBomb()),
    expect: /alias/,
    at: 'packages.yml:\\d',
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'an alias bomb in selectors.yml',
    files: selectors(aliasBomb()),
    args: ['ls'],
    expect: /alias/,
    at: 'selectors.yml:\\d',
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'deeply nested brackets in a template',
    files: p(model(`select {{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`)),
    expect: /models\/a\.sql:1(:\d+)?: .*nest/,
    fast: 15_000,
  },
  {
    family: 'limits',
    name: 'deeply nested YAML',
    files: p({ ...model(), 'models/schema.yml': `version: 2\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n` }),
    expect: /models\/schema\.yml:2:\d+: invalid YAML: nesting/,
    fast: 15_000,
  },
];

test('the probes cover every family of malformed input, 108 in all', () => {
  const families = new Set(probes.map((c) => c.family));
  assert.deepEqual([...families].sort(), [
    'encoding',
    'flags',
    'graph',
    'limits',
    'packages',
    'profiles',
    'project',
    'properties',
    'recursion',
    'selectors',
    'templates',
    'tests',
    'yaml',
  ]);
  assert.equal(probes.length, 108);
  assert.equal(new Set(probes.map((c) => c.name)).size, probes.length, 'probe names are unique');
});

/** A file given as text is written as UTF-8, except the encoding probes' Latin-1 files. */
function latin1(files: Record<string, string>, name: string): Record<string, string | Buffer> {
  if (!name.includes('Latin-1')) return files;
  return Object.fromEntries(
    Object.entries(files).map(([k, v]) => [k, /[\u0080-\u00ff]/.test(v) ? Buffer.from(v, 'latin1') : v]),
  );
}

test('bad input: each probe gives one clear message', { concurrency: 2 }, async (t) => {
  // KILN_PROBES=<regular expression> runs only the probes whose family and name match (while fixing one).
  const only = process.env.KILN_PROBES ? new RegExp(process.env.KILN_PROBES) : undefined;
  for (const c of probes) {
    if (only && !only.test(`${c.family}: ${c.name}`)) continue;
    await t.test(`${c.family}: ${c.name}`, async () => {
      const dir = writeProject(latin1(c.files, c.name) as Record<string, string>);
      try {
        const [command, ...rest] = c.args ?? ['parse'];
        const args = [...(c.global ?? []), command!, '--project-dir', dir, ...rest];
        const started = Date.now();
        const r = await kilnResult(args);
        const took = Date.now() - started;
        const expected = c.code ?? 2;
        assert.equal(r.code, expected, `exit code\n${r.stdout}\n${r.stderr}`);
        const text = expected === 0 ? r.stdout + r.stderr : r.stderr;
        assert.match(text, c.expect);
        if (c.at) assert.match(text, new RegExp(c.at));
        assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace');
        assert.doesNotMatch(r.stderr, /unexpected failure|RangeError|Maximum call stack/, 'a known error, not a crash');
        if (c.fast) assert.ok(took < c.fast, `took ${took} ms`);
      } finally {
        removeDir(dir);
      }
    });
  }
});

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

test('recursion below the limit still renders: a macro 390 calls deep', () => {
  const dir = writeProject(
    minimalProject({ 'models/a.sql': 'select {{ down(390) }} as n', 'macros/m.sql': deepMacro }),
  );
  try {
    const r = kiln(['compile', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    removeDir(dir);
  }
});

test('a custom config key can be silenced as dbt silences it', () => {
  const files = minimalProject({ 'models/a.sql': "{{ config(owner_team='growth') }}\nselect 1 as id" });
  const dir = writeProject(files);
  const quiet = writeProject({
    ...files,
    'dbt_project.yml': `${files['dbt_project.yml']}flags:\n  warn_error_options:\n    silence: [CustomKeyInConfigDeprecation]\n`,
  });
  try {
    assert.match(kiln(['parse', '--project-dir', dir]).stderr, /models\/a\.sql:1: unknown config 'owner_team'/);
    const r = kiln(['parse', '--project-dir', quiet]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /unknown config/);
  } finally {
    removeDir(dir);
    removeDir(quiet);
  }
});

test('an alias bomb given to fromyaml is refused as YAML fromyaml cannot read: the default comes back at once', () => {
  // dbt's fromyaml returns its default for text that is not YAML; walking the bomb (tojson) would take minutes.
  const sql = `{% set text %}${aliasBomb()}{% endset %}\n{% set data = fromyaml(text, default={'refused': true}) %}\nselect '{{ data | tojson }}' as answer`;
  const dir = writeProject(p(model(sql)));
  try {
    const started = Date.now();
    const r = kiln(['compile', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      readFileSync(join(dir, 'target/compiled/tiny/models/a.sql'), 'utf8'),
      /select '\{"refused": true\}' as answer/,
    );
    assert.ok(Date.now() - started < 15_000, 'no expansion');
  } finally {
    removeDir(dir);
  }
});
