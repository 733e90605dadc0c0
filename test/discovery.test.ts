/**
 * Discovery walks each resource folder once per parse, however many kinds of file it asks of
 * it, and reads a file only when its text is first asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../src/config/project.js';
import { discoverProjectFiles } from '../src/parse/discovery.js';
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
