/**
 * Discovery walks each resource folder once per parse, however many kinds of file it asks of
 * it, and reads a file only when its text is first asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../src/config/project.js';
import { discoverInSteps, discoverProjectFiles, sqlFilesAt } from '../src/parse/discovery.js';
import { foldersRead } from '../src/parse/files.js';
import type { InstalledPackage } from '../src/deps/installed.js';
import { removeDir, writeProject } from './helpers/cli.js';

const paths = (files: Array<{ projectPath: string }>) => files.map((f) => f.projectPath);

test('one folder gives its SQL, properties and docs, nested and through a linked folder, with their paths', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/sub/b.sql': 'select 2 as id',
    'models/.hidden.sql': 'select 3 as id',
    'models/schema.yml': 'version: 2\n',
    'models/sub/notes.md': '{% docs x %}x{% enddocs %}',
    'shared/c.sql': 'select 4 as id',
    'seeds/s.csv': 'id\n1\n',
  });
  try {
    symlinkSync(join(dir, 'shared'), join(dir, 'models', 'linked'));
    const [root] = discoverProjectFiles(loadProject(dir), []).owners;
    assert.deepEqual(paths(root!.models), ['models/a.sql', 'models/linked/c.sql', 'models/sub/b.sql']);
    assert.deepEqual(
      root!.models.map((f) => [f.resourcePath, f.root]),
      [
        ['a.sql', 'models'],
        ['linked/c.sql', 'models'],
        ['sub/b.sql', 'models'],
      ],
    );
    assert.deepEqual(paths(root!.properties), ['models/schema.yml']);
    assert.deepEqual(paths(root!.docs), ['models/sub/notes.md']);
    assert.deepEqual(paths(root!.seeds), ['seeds/s.csv']);
    assert.equal(root!.models[1]!.text, 'select 4 as id');
  } finally {
    removeDir(dir);
  }
});

test("each parse walks the folders afresh, and a package's file is read when its text is asked for", () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'dbt_packages/helper/dbt_project.yml': 'name: helper\nconfig-version: 2\n',
    'dbt_packages/helper/models/p.sql': 'select 1 as p',
  });
  try {
    const project = loadProject(dir);
    const helper: InstalledPackage = {
      name: 'helper',
      folder: 'dbt_packages/helper',
      project: loadProject(join(dir, 'dbt_packages', 'helper')),
      macroFiles: [],
    };
    const first = discoverProjectFiles(project, [helper]);
    assert.deepEqual(paths(first.owners[1]!.models), ['dbt_packages/helper/models/p.sql']);
    assert.equal(first.owners[1]!.models[0]!.resourcePath, 'p.sql');
    // Found but not yet read: the text is the file's when first asked for.
    writeFileSync(join(dir, 'dbt_packages', 'helper', 'models', 'p.sql'), 'select 2 as p');
    assert.equal(first.owners[1]!.models[0]!.text, 'select 2 as p');

    writeFileSync(join(dir, 'models', 'b.sql'), 'select 2 as id');
    const second = discoverProjectFiles(project, [helper]);
    assert.deepEqual(paths(second.owners[0]!.models), ['models/a.sql', 'models/b.sql']);
  } finally {
    removeDir(dir);
  }
});

test('a SQL file made from its path, without a walk, is the one discovery lists, in a package and under nested roots', () => {
  const dir = writeProject({
    'dbt_project.yml':
      'name: shop\nprofile: shop\nmodel-paths: [models, models/nested]\nanalysis-paths: [analyses]\ntest-paths: [tests]\n',
    'models/a.sql': 'select 1 as id',
    'models/sub/b.sql': 'select 2 as id',
    'models/nested/c.sql': 'select 3 as id',
    'analyses/r.sql': 'select 4 as id',
    'tests/t.sql': 'select 5 as id',
    'tests/generic/g.sql': '{% test g(model) %}select 1{% endtest %}',
    'tests/fixtures/f.sql': 'select 6 as id',
    'dbt_packages/helper/dbt_project.yml': 'name: helper\nconfig-version: 2\n',
    'dbt_packages/helper/models/deep/p.sql': 'select 1 as p',
  });
  try {
    const helper: InstalledPackage = {
      name: 'helper',
      folder: 'dbt_packages/helper',
      project: loadProject(join(dir, 'dbt_packages', 'helper')),
      macroFiles: [],
    };
    const project = loadProject(dir);
    const walked = discoverProjectFiles(project, [helper]);
    const { sources } = discoverInSteps(project, [helper]);
    const fields = (f: { absolute: string; projectPath: string; resourcePath: string; root: string; text: string }) => [
      f.absolute,
      f.projectPath,
      f.resourcePath,
      f.root,
      f.text,
    ];
    let compared = 0;
    for (const owned of walked.owners)
      for (const [kind, files] of [
        ['model', owned.models],
        ['analysis', owned.analyses],
        ['test', owned.tests],
      ] as const)
        for (const file of files) {
          // Every (owner, root) that holds the path: models/nested/c.sql is under both model roots, as the walk lists it.
          const made = sqlFilesAt(sources, kind, file.absolute).filter(({ file: f }) => f.root === file.root);
          assert.equal(made.length, 1, file.absolute);
          assert.equal(made[0]!.owner.name, owned.owner.name);
          assert.deepEqual(fields(made[0]!.file), fields(file));
          compared++;
        }
    assert.equal(compared, 7);
    // Generic tests and fixtures are no singular tests, as discovery has it.
    assert.deepEqual(sqlFilesAt(sources, 'test', join(dir, 'tests', 'generic', 'g.sql')), []);
    assert.deepEqual(sqlFilesAt(sources, 'test', join(dir, 'tests', 'fixtures', 'f.sql')), []);
    // The walks report the folders they read, the missing ones included, and none past a symbolic link.
    const folders = foldersRead(walked.owners.map((o) => o.owner.listings));
    assert.ok(folders?.includes(join(dir, 'models', 'sub')) && folders.includes(join(dir, 'snapshots')));
    symlinkSync(join(dir, 'models', 'a.sql'), join(dir, 'models', 'sub', 'linked.sql'));
    const linked = discoverProjectFiles(project, [helper]);
    assert.equal(foldersRead(linked.owners.map((o) => o.owner.listings)), undefined);
  } finally {
    removeDir(dir);
  }
});
