import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, tempDir, writeProject } from './helpers/cli.js';
import { dbtProject } from './deps-fixtures.test.js';

test('a failed kiln deps leaves dbt_packages/ and package-lock.yml as they were; a successful one swaps the new folder in', () => {
  const parent = tempDir('kiln-deps-staging-');
  writeProject(
    { 'dbt_project.yml': dbtProject('good_pkg'), 'macros/m.sql': '{% macro one() %}1{% endmacro %}' },
    join(parent, 'good'),
  );
  const missingRepo = join(parent, 'no-such-repo.git');
  const dir = writeProject(
    {
      'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
      // The first package installs fine, the second cannot be cloned.
      'packages.yml': `packages:\n  - local: ../good\n  - git: "file://${missingRepo}"\n    revision: v1\n`,
      'dbt_packages/old_pkg/dbt_project.yml': dbtProject('old_pkg'),
      'dbt_packages/marker.txt': 'installed before',
      'package-lock.yml': 'packages: []\nsha1_hash: previous\n',
    },
    join(parent, 'app'),
  );
  try {
    const failed = kiln(['deps', '--project-dir', dir]);
    assert.notEqual(failed.code, 0, failed.stdout);
    assert.match(failed.stderr, /git clone of file:\/\/.*no-such-repo\.git failed/);
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'marker.txt'), 'utf8'), 'installed before');
    assert.deepEqual(readdirSync(join(dir, 'dbt_packages')).sort(), ['marker.txt', 'old_pkg']);
    assert.equal(readFileSync(join(dir, 'package-lock.yml'), 'utf8'), 'packages: []\nsha1_hash: previous\n');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('kiln_')),
      [],
      'no staging folder is left behind',
    );

    writeFileSync(join(dir, 'packages.yml'), 'packages:\n  - local: ../good\n');
    const ok = kiln(['deps', '--project-dir', dir]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.deepEqual(readdirSync(join(dir, 'dbt_packages')), ['good_pkg']);
    assert.ok(existsSync(join(dir, 'dbt_packages', 'good_pkg', 'macros', 'm.sql')));
    assert.match(readFileSync(join(dir, 'package-lock.yml'), 'utf8'), /name: good_pkg/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('kiln_')),
      [],
    );
  } finally {
    removeDir(parent);
  }
});

test('an install folder left renamed by a killed kiln deps is put back, and staging leftovers are removed', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
    'packages.yml': 'packages:\n  - local: ../nowhere\n',
    'dbt_packages.kiln_old-1234abcd/kept/dbt_project.yml': dbtProject('kept'),
    'dbt_packages.kiln_tmp-xyz/half/dbt_project.yml': dbtProject('half'),
  });
  try {
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /the local package '\.\.\/nowhere' \(packages\.yml\) does not exist/);
    assert.match(r.stderr, /restored dbt_packages\/ from an interrupted kiln deps/);
    assert.deepEqual(readdirSync(dir).sort(), ['dbt_packages', 'dbt_project.yml', 'packages.yml']);
    assert.ok(existsSync(join(dir, 'dbt_packages', 'kept', 'dbt_project.yml')));
  } finally {
    removeDir(dir);
  }
});
