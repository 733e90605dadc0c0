import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deps, compile } from '../src/index.js';
import { removeDir, tempDir, writeProject } from './helpers/cli.js';
import { bareRepo, dbtProject, kilnRun, startHub, type HubRelease } from './deps-fixtures.test.js';

const core = (v: string): HubRelease => ({
  files: { 'dbt_project.yml': dbtProject('core'), 'macros/core.sql': `{% macro version() %}'${v}'{% endmacro %}` },
});

test('kiln deps installs transitive packages: hub ranges intersected, git pinned by revision, local paths relative to their package; the lock records all and is reinstalled exactly', async () => {
  const hub = await startHub({
    'acme/core': { '1.0.0': core('1.0.0'), '1.1.0': core('1.1.0'), '1.2.0': core('1.2.0'), '2.0.0': core('2.0.0') },
    'acme/helpers': {
      '1.0.0': {
        files: { 'dbt_project.yml': dbtProject('helpers') },
        packages: [{ package: 'acme/core', version: ['<1.2.0'] }],
      },
    },
  });
  // A git package, asked for by a local package, at the tag v1 (v2 is newer).
  const gitRepo = bareRepo(
    {
      'dbt_project.yml': dbtProject('git_pkg'),
      'packages.yml': 'packages:\n  - package: acme/core\n    version: ">=1.0.0"\n',
    },
    ['v1', 'v2'],
  );
  const parent = tempDir('kiln-deps-transitive-');
  // vendor/local_pkg asks for ../sibling: vendor/sibling, not the root's ../sibling.
  writeProject(
    {
      'dbt_project.yml': dbtProject('local_pkg'),
      'packages.yml': `packages:\n  - local: ../sibling\n  - git: "${gitRepo}"\n    revision: v1\n`,
    },
    join(parent, 'vendor', 'local_pkg'),
  );
  writeProject(
    { 'dbt_project.yml': dbtProject('sibling'), 'macros/s.sql': "{% macro hi() %}'sibling'{% endmacro %}" },
    join(parent, 'vendor', 'sibling'),
  );
  const dir = writeProject(
    {
      'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
      'packages.yml':
        'packages:\n  - package: acme/helpers\n    version: 1.0.0\n  - package: acme/core\n    version: ">=1.1.0"\n  - local: ../vendor/local_pkg\n',
      'models/m.sql': 'select {{ core.version() }} as core_version, {{ sibling.hi() }} as hi',
    },
    join(parent, 'app'),
  );
  try {
    const first = await deps({ projectDir: dir, hubUrl: hub.url });
    assert.deepEqual(
      first.installed.map((p) => [p.name, p.version ?? null]),
      [
        ['helpers', '1.0.0'],
        // >=1.1.0 from the project and <1.2.0 from helpers; >=1.0.0 from git_pkg: the project alone would get 2.0.0.
        ['core', '1.1.0'],
        ['local_pkg', null],
        ['sibling', null],
        ['git_pkg', 'v1'],
      ],
    );
    assert.deepEqual(first.installed.find((p) => p.name === 'core')!.requiredBy, [
      'packages.yml',
      "package 'helpers'",
      "package 'git_pkg'",
    ]);
    assert.deepEqual(readdirSync(join(dir, 'dbt_packages')).sort(), [
      'core',
      'git_pkg',
      'helpers',
      'local_pkg',
      'sibling',
    ]);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'core', 'VERSION'), 'utf8'), '1.1.0');
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'git_pkg', 'VERSION'), 'utf8'), 'v1');

    const lockText = readFileSync(join(dir, 'package-lock.yml'), 'utf8');
    const lock = parseYaml(lockText);
    assert.equal(lock.packages.length, 5);
    assert.deepEqual(lock.packages[0], { name: 'helpers', package: 'acme/helpers', version: '1.0.0' });
    assert.deepEqual(lock.packages[1], { name: 'core', package: 'acme/core', version: '1.1.0' });
    assert.deepEqual(lock.packages[2], { local: '../vendor/local_pkg', name: 'local_pkg' });
    assert.deepEqual(lock.packages[3], { local: '../vendor/sibling', name: 'sibling' });
    assert.equal(lock.packages[4].git, gitRepo);
    assert.match(lock.packages[4].revision, /^[0-9a-f]{40}$/);
    assert.match(lock.sha1_hash, /^[0-9a-f]{40}$/);
    // dbt's layout: keys sorted, list items indented.
    assert.match(lockText, /^packages:\n {2}- name: helpers\n {4}package: acme\/helpers\n {4}version: 1\.0\.0\n/);

    const compiled = await compile({ projectDir: dir });
    assert.match(compiled.compiled.get('model.app.m') ?? '', /'1\.1\.0' as core_version, 'sibling' as hi/);

    // A newer release inside the range appears: the lock still installs exactly what it records...
    hub.packages['acme/core']!['1.1.5'] = core('1.1.5');
    const again = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: hub.url });
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /installing the 5 packages of package-lock\.yml/);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'core', 'VERSION'), 'utf8'), '1.1.0');
    assert.equal(readFileSync(join(dir, 'package-lock.yml'), 'utf8'), lockText);
    // ...and --upgrade resolves afresh.
    const upgraded = await kilnRun(['deps', '--project-dir', dir, '--upgrade'], { KILN_HUB_URL: hub.url });
    assert.equal(upgraded.code, 0, upgraded.stderr + upgraded.stdout);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'core', 'VERSION'), 'utf8'), '1.1.5');
    assert.equal(parseYaml(readFileSync(join(dir, 'package-lock.yml'), 'utf8')).packages[1].version, '1.1.5');
  } finally {
    await hub.close();
    removeDir(parent);
    removeDir(gitRepo);
  }
});

test('conflicting ranges from the project and a package are an error naming both; nothing is installed', async () => {
  const hub = await startHub({
    'acme/core': { '1.0.0': core('1.0.0'), '2.0.0': core('2.0.0') },
    'acme/helpers': {
      '1.0.0': {
        files: { 'dbt_project.yml': dbtProject('helpers') },
        packages: [{ package: 'acme/core', version: ['>=1.0.0', '<2.0.0'] }],
      },
    },
  });
  const dir = writeProject({
    'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
    'packages.yml':
      'packages:\n  - package: acme/core\n    version: [">=2.0.0"]\n  - package: acme/helpers\n    version: 1.0.0\n',
  });
  try {
    const r = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: hub.url });
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /no version of acme\/core satisfies both >=2\.0\.0 \(packages\.yml\) and >=1\.0\.0, <2\.0\.0 \(package 'helpers'\)/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['dbt_project.yml', 'packages.yml']);
  } finally {
    await hub.close();
    removeDir(dir);
  }
});
