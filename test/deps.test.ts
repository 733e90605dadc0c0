import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deps, build } from '../src/index.js';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { bareRepo, kilnRun, startHub } from './deps-fixtures.test.js';

const utilsPackage = {
  'dbt_project.yml': 'name: my_utils\nconfig-version: 2\nvars:\n  my_utils:\n    greeting: hello\n',
  'macros/util.sql': [
    '{% macro shout(x) %}upper({{ x }}){% endmacro %}',
    "{% macro greet() %}{{ return(adapter.dispatch('greet', 'my_utils')()) }}{% endmacro %}",
    "{% macro default__greet() %}'{{ var('greeting', 'hello') }}'{% endmacro %}",
    // An unprefixed call to a macro of the same package.
    '{% macro loud_greet() %}{{ shout(greet()) }}{% endmacro %}',
    '{% test is_positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}',
  ].join('\n'),
};

test('kiln deps installs hub, git and local packages; their macros work under their namespace', async () => {
  const hub = await startHub({
    'acme/my_utils': {
      '1.0.0': { files: utilsPackage },
      '1.2.0': { files: utilsPackage },
      '2.0.0': { files: utilsPackage },
    },
  });
  const gitRepo = bareRepo(
    { 'dbt_project.yml': 'name: sub_pkg\nconfig-version: 2\n', 'macros/m.sql': '{% macro seven() %}7{% endmacro %}' },
    ['0.1.0'],
    'nested',
  );
  const local = writeProject({
    'dbt_project.yml': 'name: local_pkg\nconfig-version: 2\n',
    'macros/m.sql': "{% macro tag() %}'local'{% endmacro %}",
  });
  const dir = writeProject(
    minimalProject({
      'packages.yml': `packages:\n  - package: acme/my_utils\n    version: [">=1.0.0", "<2.0.0"]\n  - git: "${gitRepo}"\n    revision: main\n    subdirectory: nested\n  - local: "${local}"\n`,
      'models/m.sql':
        "select {{ my_utils.shout(\"'a'\") }} as shouted, {{ my_utils.greet() }} as greeting, {{ my_utils.loud_greet() }} as loud, {{ sub_pkg.seven() }} as seven, {{ local_pkg.tag() }} as tag, {{ dbt.date_trunc('month', \"date '2024-03-17'\") }} as month",
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: seven\n        data_tests:\n          - my_utils.is_positive\n',
    }),
  );
  try {
    const r = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: hub.url });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Installed 3 packages/);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'my_utils', 'VERSION'), 'utf8'), '1.2.0');
    assert.ok(existsSync(join(dir, 'dbt_packages', 'sub_pkg', 'macros', 'm.sql')));
    assert.ok(!existsSync(join(dir, 'dbt_packages', 'sub_pkg', '.git')));
    const lock = parseYaml(readFileSync(join(dir, 'package-lock.yml'), 'utf8'));
    assert.deepEqual(lock.packages[0], { name: 'my_utils', package: 'acme/my_utils', version: '1.2.0' });
    assert.match(lock.packages[1].revision, /^[0-9a-f]{40}$/);
    assert.equal(lock.packages[1].subdirectory, 'nested');
    assert.deepEqual(lock.packages[2], { local, name: 'local_pkg' });
    assert.match(lock.sha1_hash, /^[0-9a-f]{40}$/);
    // Only the hub's API and the one chosen archive were read.
    assert.deepEqual(hub.requests, [
      '/api/v1/index.json',
      '/api/v1/acme/my_utils.json',
      '/tarballs/acme/my_utils/1.2.0.tar.gz',
    ]);

    const b = kiln(['build', '--project-dir', dir]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const [row] = await queryDuckDB(
      join(dir, 'target', 'kiln.duckdb'),
      'select shouted, greeting, loud, seven, tag, cast(month as date)::varchar as month from main.m',
    );
    assert.deepEqual(row, {
      shouted: 'A',
      greeting: 'hello',
      loud: 'HELLO',
      seven: 7,
      tag: 'local',
      month: '2024-03-01',
    });
  } finally {
    await hub.close();
    for (const d of [dir, gitRepo, local]) removeDir(d);
  }
});

test('dispatch: search_order and root overrides, with the package from a hub given by hubUrl', async () => {
  const hub = await startHub({ 'acme/my_utils': { '1.0.0': { files: utilsPackage } } });
  const dir = writeProject(
    minimalProject({
      'dbt_project.yml':
        "name: tiny\nprofile: tiny\nconfig-version: 2\ndispatch:\n  - macro_namespace: my_utils\n    search_order: ['tiny', 'my_utils']\n",
      'packages.yml': 'packages:\n  - package: acme/my_utils\n    version: 1.0.0\n',
      'macros/override.sql': "{% macro duckdb__greet() %}'quack'{% endmacro %}",
      'models/m.sql': 'select {{ my_utils.greet() }} as greeting',
    }),
  );
  try {
    const d = await deps({ projectDir: dir, hubUrl: hub.url });
    assert.deepEqual(
      d.installed.map((p) => [p.name, p.version]),
      [['my_utils', '1.0.0']],
    );
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true);
    const [row] = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select greeting from main.m');
    assert.equal(row!.greeting, 'quack');
  } finally {
    await hub.close();
    removeDir(dir);
  }
});

test('a bad packages.yml entry is an input error with the file and line', () => {
  const dir = writeProject(
    minimalProject({ 'packages.yml': 'packages:\n  - local: ../x\n  - package: acme/nothing\n' }),
  );
  try {
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packages\.yml:3/);
    assert.match(r.stderr, /needs a version/);
  } finally {
    removeDir(dir);
  }
});
