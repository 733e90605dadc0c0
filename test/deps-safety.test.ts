import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, tempDir, writeProject } from './helpers/cli.js';
import { bareRepo, dbtProject } from './deps-fixtures.test.js';

const app = (files: Record<string, string>, dir?: string) =>
  writeProject(
    { 'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n', 'models/m.sql': 'select 1 as x', ...files },
    dir,
  );

test("a package named like a path (name: '../../x') is refused, from a local folder or a git repository", () => {
  const parent = tempDir('kiln-deps-name-');
  writeProject({ 'dbt_project.yml': 'name: "../../x"\nconfig-version: 2\n' }, join(parent, 'pkg'));
  const repo = bareRepo({ 'dbt_project.yml': 'name: "../escaped"\nconfig-version: 2\n' }, ['v1']);
  try {
    const dir = app({ 'packages.yml': 'packages:\n  - local: ../../../pkg\n' }, join(parent, 'a', 'b', 'app'));
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /the package from local package \.\.\/\.\.\/\.\.\/pkg is named "\.\.\/\.\.\/x", which is not a valid package name/,
    );
    const viaGit = app(
      { 'packages.yml': `packages:\n  - git: "${repo}"\n    revision: v1\n` },
      join(parent, 'c', 'app'),
    );
    const g = kiln(['deps', '--project-dir', viaGit]);
    assert.equal(g.code, 2, g.stderr);
    assert.match(g.stderr, /is named "\.\.\/escaped", which is not a valid package name/);
    assert.deepEqual(readdirSync(parent).sort(), ['a', 'c', 'pkg']);
    assert.deepEqual(readdirSync(join(parent, 'a')), ['b']);
    assert.deepEqual(readdirSync(join(parent, 'c')), ['app']);
  } finally {
    removeDir(parent);
    removeDir(repo);
  }
});

test('subdirectory: may not leave the repository', () => {
  const repo = bareRepo({ 'pkg/dbt_project.yml': dbtProject('pkg') }, ['v1']);
  const dir = app({ 'packages.yml': `packages:\n  - git: "${repo}"\n    revision: v1\n    subdirectory: ../..\n` });
  try {
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /subdirectory '\.\.\/\.\.' of .* leaves the repository/);
    assert.ok(!existsSync(join(dir, 'dbt_packages')));
  } finally {
    removeDir(dir);
    removeDir(repo);
  }
});

test('packages-install-path must be a folder of its own inside the project: ".", "..", "models" and absolute paths are refused and nothing is deleted', () => {
  const local = writeProject({ 'dbt_project.yml': dbtProject('pkg') });
  const outside = tempDir('kiln-deps-outside-');
  try {
    for (const [path, why] of [
      ['.', /must be a folder inside the project, not the project itself or outside it/],
      ['..', /must be a folder inside the project/],
      [outside, /must be a folder inside the project/],
      ['models', /overlaps the project folder 'models'/],
    ] as const) {
      const dir = app({
        'dbt_project.yml': `name: app\nprofile: app\nconfig-version: 2\npackages-install-path: "${path}"\n`,
        'packages.yml': `packages:\n  - local: "${local}"\n`,
      });
      const r = kiln(['deps', '--project-dir', dir]);
      assert.equal(r.code, 2, `${path}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.deepEqual(readdirSync(dir).sort(), ['dbt_project.yml', 'models', 'packages.yml']);
      assert.deepEqual(readdirSync(join(dir, 'models')), ['m.sql']);
      removeDir(dir);
    }
    assert.deepEqual(readdirSync(outside), []);
  } finally {
    removeDir(local);
    removeDir(outside);
  }
});

test('git URLs and revisions that git would read as options, and remote-helper transports, are refused before git runs', () => {
  const marker = join(tempDir('kiln-deps-marker-'), 'pwned');
  try {
    for (const [entry, why] of [
      [`git: "--upload-pack=touch ${marker}"`, /starts with "-", which git would read as an option/],
      [`git: "ext::sh -c touch% ${marker}"`, /names a git remote helper/],
      [
        `git: "${join(marker, '..')}"\n    revision: "--output=${marker}"`,
        /revision '--output=.*' of .* is not a tag, branch or commit name/,
      ],
    ] as const) {
      const dir = app({ 'packages.yml': `packages:\n  - ${entry}\n` });
      const r = kiln(['deps', '--project-dir', dir]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, why);
      removeDir(dir);
    }
    assert.ok(!existsSync(marker));
  } finally {
    removeDir(join(marker, '..'));
  }
});

test('a git package holding a symlink that points outside it is refused', () => {
  const repo = bareRepo({ 'dbt_project.yml': dbtProject('linky'), 'macros/ok.sql': '' }, ['v1'], '', {
    'macros/secret.sql': '/etc/hostname',
    'macros/inside.sql': 'ok.sql',
  });
  const dir = app({ 'packages.yml': `packages:\n  - git: "${repo}"\n    revision: v1\n` });
  try {
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /holds a symlink macros\/secret\.sql -> \/etc\/hostname that points outside the package/);
    assert.ok(!existsSync(join(dir, 'dbt_packages')));
  } finally {
    removeDir(dir);
    removeDir(repo);
  }
});

test("two packages with one name, or a package with the project's own name, are refused", () => {
  const parent = tempDir('kiln-deps-dupes-');
  writeProject({ 'dbt_project.yml': dbtProject('same') }, join(parent, 'one'));
  writeProject({ 'dbt_project.yml': dbtProject('same') }, join(parent, 'two'));
  writeProject({ 'dbt_project.yml': dbtProject('app') }, join(parent, 'three'));
  try {
    const dir = app({ 'packages.yml': 'packages:\n  - local: ../one\n  - local: ../two\n' }, join(parent, 'app'));
    const r = kiln(['deps', '--project-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /two packages are named 'same'; the second comes from \.\.\/two \(packages\.yml\)/);
    writeProject({ 'packages.yml': 'packages:\n  - local: ../three\n' }, dir);
    const root = kiln(['deps', '--project-dir', dir]);
    assert.equal(root.code, 2, root.stderr);
    assert.match(root.stderr, /the package from \.\.\/three has the root project's own name 'app'/);
    assert.ok(!existsSync(join(dir, 'dbt_packages')));
  } finally {
    removeDir(parent);
  }
});
