import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

// Root ignores file permissions, so an unwritable folder is made by a file standing in its place.
test('a run whose log folder cannot be written stops as bad input before touching the warehouse', async () => {
  const dir = writeProject(minimalProject({ 'models/m.sql': 'select 1 as id', 'models/seen.sql': 'select 1 as id' }));
  try {
    assert.equal(kiln(['run', '--project-dir', dir, '-s', 'seen']).code, 0);
    rmSync(join(dir, 'logs'), { recursive: true, force: true });
    writeFileSync(join(dir, 'logs'), 'not a folder');
    const r = kiln(['run', '--project-dir', dir, '-s', 'm']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot write to .*logs/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.ok(existsSync(db));
    assert.deepEqual(
      await queryDuckDB(db, "select table_name from information_schema.tables where table_name = 'm'"),
      [],
    );
  } finally {
    removeDir(dir);
  }
});
