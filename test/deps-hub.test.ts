import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir, writeProject } from './helpers/cli.js';
import { dbtProject, kilnRun, startHub, tarGz } from './deps-fixtures.test.js';

const project = (packagesYml: string, parent?: string) =>
  writeProject(
    {
      'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
      'packages.yml': packagesYml,
      'dbt_packages/marker.txt': 'before',
    },
    parent,
  );

test('hub packages resolve through the dbt Hub API at DBT_PACKAGE_HUB_URL or --hub-url; the .tar.gz is extracted without its top folder', async () => {
  const hub = await startHub({
    'acme/dates': {
      '0.9.0': {
        files: { 'dbt_project.yml': dbtProject('dates'), 'macros/d.sql': '{% macro today() %}now(){% endmacro %}' },
      },
    },
  });
  const dir = project('packages:\n  - package: acme/dates\n    version: [">=0.9.0", "<1.0.0"]\n');
  try {
    const r = await kilnRun(['deps', '--project-dir', dir], { DBT_PACKAGE_HUB_URL: hub.url });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /installed dates 0\.9\.0 from acme\/dates/);
    assert.deepEqual(readdirSync(join(dir, 'dbt_packages', 'dates')).sort(), ['VERSION', 'dbt_project.yml', 'macros']);
    assert.equal(
      readFileSync(join(dir, 'dbt_packages', 'dates', 'macros', 'd.sql'), 'utf8'),
      '{% macro today() %}now(){% endmacro %}',
    );

    // The flag wins over the environment (which here names a port nothing listens on).
    const flag = await kilnRun(['deps', '--project-dir', dir, '--upgrade', '--hub-url', hub.url], {
      KILN_HUB_URL: 'http://127.0.0.1:1/',
    });
    assert.equal(flag.code, 0, flag.stderr + flag.stdout);
    const unreachable = await kilnRun(['deps', '--project-dir', dir, '--upgrade'], {
      KILN_HUB_URL: 'http://127.0.0.1:1/',
    });
    assert.equal(unreachable.code, 1, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach the hub at http:\/\/127\.0\.0\.1:1\/api\/v1\/index\.json/);
  } finally {
    await hub.close();
    removeDir(dir);
  }
});

test('a package missing from the hub index, or a hub that does not speak the API, is an error naming it', async () => {
  const hub = await startHub({ 'acme/dates': { '0.9.0': { files: { 'dbt_project.yml': dbtProject('dates') } } } });
  const dir = project('packages:\n  - package: acme/nope\n    version: 1.0.0\n');
  try {
    const r = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: hub.url });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /package acme\/nope was not found in the package index of http:\/\/127\.0\.0\.1:\d+\//);
    const wrong = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: `${hub.url}tarballs/` });
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /the hub answered HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/tarballs\/api\/v1\/index\.json/,
    );
    assert.equal(readFileSync(join(dir, 'dbt_packages', 'marker.txt'), 'utf8'), 'before');
  } finally {
    await hub.close();
    removeDir(dir);
  }
});

test('archive members that leave the package folder, and symlinks pointing outside it, are refused; nothing is written', async () => {
  const files = (top: string) => [
    { path: `${top}/`, dir: true as const },
    { path: `${top}/dbt_project.yml`, text: dbtProject('evil') },
  ];
  const hub = await startHub({
    'acme/climb': {
      '1.0.0': { files: {}, archive: tarGz([...files('pkg'), { path: 'pkg/../../../escaped.sql', text: 'select 1' }]) },
    },
    'acme/absolute': {
      '1.0.0': {
        files: {},
        archive: tarGz([...files('pkg'), { path: '/tmp/kiln-absolute-escape.sql', text: 'select 1' }]),
      },
    },
    'acme/link': {
      '1.0.0': {
        files: {},
        archive: tarGz([...files('pkg'), { path: 'pkg/macros/secret.sql', symlink: '/etc/passwd' }]),
      },
    },
    'acme/climblink': {
      '1.0.0': { files: {}, archive: tarGz([...files('pkg'), { path: 'pkg/macros/up', symlink: '../../..' }]) },
    },
  });
  const parent = tempDir('kiln-deps-archive-');
  try {
    for (const [pkg, message] of [
      ['acme/climb', /holds the member 'pkg\/\.\.\/\.\.\/\.\.\/escaped\.sql', whose path leaves the package folder/],
      ['acme/absolute', /holds the member '\/tmp\/kiln-absolute-escape\.sql', whose path leaves the package folder/],
      ['acme/link', /holds a symlink 'pkg\/macros\/secret\.sql' -> '\/etc\/passwd' that points outside the package/],
      ['acme/climblink', /holds a symlink 'pkg\/macros\/up' -> '\.\.\/\.\.\/\.\.' that points outside the package/],
    ] as const) {
      const dir = project(
        `packages:\n  - package: ${pkg}\n    version: 1.0.0\n`,
        join(parent, pkg.replace('/', '_'), 'app'),
      );
      const r = await kilnRun(['deps', '--project-dir', dir], { KILN_HUB_URL: hub.url });
      assert.equal(r.code, 2, `${pkg}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(readdirSync(join(dir, 'dbt_packages')), ['marker.txt']);
      assert.deepEqual(readdirSync(dir).sort(), ['dbt_packages', 'dbt_project.yml', 'packages.yml']);
    }
    assert.deepEqual(readdirSync(parent).sort(), ['acme_absolute', 'acme_climb', 'acme_climblink', 'acme_link']);
    assert.ok(!existsSync('/tmp/kiln-absolute-escape.sql'));
  } finally {
    await hub.close();
    removeDir(parent);
  }
});
