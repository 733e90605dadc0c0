import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, tempDir, writeProject } from './helpers/cli.js';
import { bareRepo, dbtProject } from './deps-fixtures.test.js';

test('a package declared but not installed: compiling says which one and to run kiln deps', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
    'packages.yml': 'packages:\n  - package: dbt-labs/dbt_utils\n    version: [">=1.0.0", "<2.0.0"]\n',
    'models/days.sql':
      "{{ dbt_utils.date_spine(datepart='day', start_date=\"cast('2024-01-01' as date)\", end_date=\"cast('2024-02-01' as date)\") }}",
  });
  try {
    const r = kiln(['compile', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /packages\.yml: a package of packages\.yml is not installed in dbt_packages\/: dbt_utils \(dbt-labs\/dbt_utils\)/,
    );
    assert.match(r.stderr, /hint: run `kiln deps` to install the packages/);
    assert.doesNotMatch(r.stderr, /is undefined/);
  } finally {
    removeDir(dir);
  }
});

test('with package-lock.yml, a missing transitive package is named too', () => {
  const parent = tempDir('kiln-deps-missing-');
  writeProject(
    { 'dbt_project.yml': dbtProject('outer'), 'packages.yml': 'packages:\n  - local: ../inner\n' },
    join(parent, 'outer'),
  );
  writeProject({ 'dbt_project.yml': dbtProject('inner') }, join(parent, 'inner'));
  const dir = writeProject(
    {
      'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
      'packages.yml': 'packages:\n  - local: ../outer\n',
      'models/m.sql': 'select 1 as x',
    },
    join(parent, 'app'),
  );
  try {
    const d = kiln(['deps', '--project-dir', dir]);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    assert.equal(kiln(['ls', '--project-dir', dir]).code, 0);
    rmSync(join(dir, 'dbt_packages', 'inner'));
    const r = kiln(['ls', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /package-lock\.yml: a package of package-lock\.yml is not installed in dbt_packages\/: inner \(\.\.\/inner\)/,
    );
    assert.match(r.stderr, /run `kiln deps`/);
  } finally {
    removeDir(parent);
  }
});

test('kiln deps takes the flags every command takes: --project-dir, --profiles-dir, --profile, --target, --vars, --target-path', () => {
  const parent = tempDir('kiln-deps-flags-');
  writeProject({ 'dbt_project.yml': dbtProject('vendored') }, join(parent, 'vendor', 'pkg'));
  writeProject(
    { 'profiles.yml': 'app:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ":memory:"\n' },
    join(parent, 'profiles'),
  );
  const dir = writeProject(
    {
      'dbt_project.yml':
        "name: app\nprofile: app\nconfig-version: 2\npackages-install-path: \"{{ var('install_to', 'dbt_packages') }}\"\n",
      'packages.yml': 'packages:\n  - local: "{{ var(\'vendor\') }}/pkg"\n',
    },
    join(parent, 'app'),
  );
  try {
    const flags = [
      '--project-dir',
      dir,
      '--profiles-dir',
      join(parent, 'profiles'),
      '--profile',
      'app',
      '--target',
      'dev',
      '--target-path',
      'out',
    ];
    const r = kiln(['deps', ...flags, '--vars', '{vendor: ../vendor, install_to: vendored_packages}']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Installed 1 package\b/);
    assert.ok(existsSync(join(dir, 'vendored_packages', 'vendored', 'dbt_project.yml')));
    assert.match(readFileSync(join(dir, 'package-lock.yml'), 'utf8'), /local: \.\.\/vendor\/pkg/);

    const noVar = kiln(['deps', ...flags]);
    assert.equal(noVar.code, 2, noVar.stderr);
    assert.match(noVar.stderr, /var 'vendor' is not defined \(package files see only --vars\)/);
  } finally {
    removeDir(parent);
  }
});

test('env_var() in packages.yml: package-lock.yml keeps the git URL as written, and renders it again to install', () => {
  const repo = bareRepo({ 'dbt_project.yml': dbtProject('from_env') }, ['v1']);
  const dir = writeProject({
    'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
    'packages.yml': 'packages:\n  - git: "{{ env_var(\'KILN_TEST_PACKAGE_REPO\') }}"\n    revision: v1\n',
  });
  try {
    const first = kiln(['deps', '--project-dir', dir], { env: { KILN_TEST_PACKAGE_REPO: repo } });
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const lock = readFileSync(join(dir, 'package-lock.yml'), 'utf8');
    assert.match(lock, /git: "\{\{ env_var\('KILN_TEST_PACKAGE_REPO'\) \}\}"/);
    assert.ok(!lock.includes(repo));
    rmSync(join(dir, 'dbt_packages'), { recursive: true });
    const again = kiln(['deps', '--project-dir', dir], { env: { KILN_TEST_PACKAGE_REPO: repo } });
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /installing the 1 package of package-lock\.yml/);
    assert.ok(existsSync(join(dir, 'dbt_packages', 'from_env', 'dbt_project.yml')));
  } finally {
    removeDir(dir);
    removeDir(repo);
  }
});
