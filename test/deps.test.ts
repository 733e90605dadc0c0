import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deps, build } from '../src/index.js';
import { kiln, writeProject, minimalProject, removeDir, tempDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

/** A bare repository holding a package, one tag per version (each changes the macro's text). */
function bareRepo(files: Record<string, string>, versions: string[], sub = ''): string {
  const work = writeProject(Object.fromEntries(Object.entries(files).map(([k, v]) => [join(sub, k), v])));
  git(work, 'init', '-q', '-b', 'main');
  for (const v of versions) {
    writeFileSync(join(work, sub, 'VERSION'), v);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', v);
    git(work, 'tag', v);
  }
  const bare = tempDir('kiln-bare-');
  git(bare, 'clone', '-q', '--bare', work, '.');
  removeDir(work);
  return bare;
}

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
  const hubRepo = bareRepo(utilsPackage, ['1.0.0', '1.2.0', '2.0.0']);
  const gitRepo = bareRepo({ 'dbt_project.yml': 'name: sub_pkg\nconfig-version: 2\n', 'macros/m.sql': '{% macro seven() %}7{% endmacro %}' }, ['0.1.0'], 'nested');
  const local = writeProject({ 'dbt_project.yml': 'name: local_pkg\nconfig-version: 2\n', 'macros/m.sql': "{% macro tag() %}'local'{% endmacro %}" });
  const index = join(tempDir(), 'hub.json');
  writeFileSync(index, JSON.stringify({ 'acme/my_utils': hubRepo }));
  const dir = writeProject(
    minimalProject({
      'packages.yml': `packages:\n  - package: acme/my_utils\n    version: [">=1.0.0", "<2.0.0"]\n  - git: "${gitRepo}"\n    revision: main\n    subdirectory: nested\n  - local: "${local}"\n`,
      'models/m.sql': "select {{ my_utils.shout(\"'a'\") }} as shouted, {{ my_utils.greet() }} as greeting, {{ my_utils.loud_greet() }} as loud, {{ sub_pkg.seven() }} as seven, {{ local_pkg.tag() }} as tag, {{ dbt.date_trunc('month', \"date '2024-03-17'\") }} as month",
      'models/schema.yml': 'version: 2\nmodels:\n  - name: m\n    columns:\n      - name: seven\n        data_tests:\n          - my_utils.is_positive\n',
    }),
  );
  try {
    const r = kiln(['deps', '--project-dir', dir], { env: { KILN_HUB_INDEX: index } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Installed 3 packages/);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'my_utils', 'VERSION'), 'utf8'), '1.2.0');
    assert.ok(existsSync(join(dir, 'dbt_packages', 'sub_pkg', 'macros', 'm.sql')));
    const lock = parseYaml(readFileSync(join(dir, 'package-lock.yml'), 'utf8'));
    assert.equal(lock.packages[0].version, '1.2.0');
    assert.match(lock.packages[1].revision, /^[0-9a-f]{40}$/);
    assert.match(lock.sha1_hash, /^[0-9a-f]{40}$/);

    const b = kiln(['build', '--project-dir', dir]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const [row] = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select shouted, greeting, loud, seven, tag, cast(month as date)::varchar as month from main.m');
    assert.deepEqual(row, { shouted: 'A', greeting: 'hello', loud: 'HELLO', seven: 7, tag: 'local', month: '2024-03-01' });
  } finally {
    for (const d of [dir, hubRepo, gitRepo, local]) removeDir(d);
  }
});

test('dispatch: search_order and root overrides; the hub index can be an HTTP URL on 127.0.0.1', async () => {
  const hubRepo = bareRepo(utilsPackage, ['1.0.0']);
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ 'acme/my_utils': hubRepo }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const dir = writeProject(
    minimalProject({
      'dbt_project.yml': "name: tiny\nprofile: tiny\nconfig-version: 2\ndispatch:\n  - macro_namespace: my_utils\n    search_order: ['tiny', 'my_utils']\n",
      'packages.yml': 'packages:\n  - package: acme/my_utils\n    version: 1.0.0\n',
      'macros/override.sql': "{% macro duckdb__greet() %}'quack'{% endmacro %}",
      'models/m.sql': 'select {{ my_utils.greet() }} as greeting',
    }),
  );
  try {
    const d = await deps({ projectDir: dir, hubIndex: `http://127.0.0.1:${port}/index.json` });
    assert.deepEqual(d.installed.map((p) => [p.name, p.version]), [['my_utils', '1.0.0']]);
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true);
    const [row] = await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select greeting from main.m');
    assert.equal(row!.greeting, 'quack');
  } finally {
    server.close();
    removeDir(dir);
    removeDir(hubRepo);
  }
});

test('a bad packages.yml entry is an input error with the file and line', () => {
  const dir = writeProject(minimalProject({ 'packages.yml': 'packages:\n  - local: ../x\n  - package: acme/nothing\n' }));
  try {
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /packages\.yml:3/);
    assert.match(r.stderr, /needs a version/);
  } finally {
    removeDir(dir);
  }
});
