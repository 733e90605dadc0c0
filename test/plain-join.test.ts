/**
 * joinPlain concatenates where that gives what `path.join` would, and leaves the rest to it: every compiled file's
 * path (the compiler's and manifest.json's) goes through it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { joinPlain } from '../src/parse/plain-join.js';

test('joinPlain equals path.join for plain and unusual folders and names', () => {
  const folders = ['/tmp/p/target/compiled', 'target/compiled', '../t/compiled', '..', '/', '.', '', 'compiled'];
  const names = [
    'bench',
    'models/a/m_1.sql',
    'models//a.sql',
    'models/./a.sql',
    'models/../a.sql',
    './a.sql',
    '../a.sql',
    '.',
    '..',
    '',
    '/abs/a.sql',
    'models/a/',
    'models/.hidden/..a.sql',
    'a\\b.sql',
    '...',
  ];
  let cases = 0;
  for (const folder of folders)
    for (const a of names)
      for (const b of names) {
        assert.equal(joinPlain(folder, a, b), join(folder, a, b), JSON.stringify([folder, a, b]));
        cases++;
      }
  assert.equal(cases, folders.length * names.length * names.length);
});

test('a compiled file under a normal folder is the folder and the names joined by slashes', () => {
  assert.equal(
    joinPlain('/tmp/t/compiled', 'bench', 'models/layer_0/m_0.sql'),
    '/tmp/t/compiled/bench/models/layer_0/m_0.sql',
  );
  assert.equal(joinPlain('target/compiled', 'my_pkg', 'models/.x/y.sql'), 'target/compiled/my_pkg/models/.x/y.sql');
});
