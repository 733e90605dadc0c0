import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';

test('a file system failure names the file and the reason in one line, without a stack trace', () => {
  const dir = writeProject(minimalProject({ 'models/m.sql': 'select 1 as id' }));
  try {
    // compile writes compiled SQL under target/: a file standing in its place cannot hold it.
    assert.equal(kiln(['compile', '--project-dir', dir]).code, 0);
    const r = kiln(['clean', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(dir, 'target'), 'a file where the target folder goes');
    const c = kiln(['compile', '--project-dir', dir]);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /target/);
    assert.doesNotMatch(c.stderr, /unexpected failure|\n\s+at /);
  } finally {
    removeDir(dir);
  }
});
