/**
 * target/compiled/ files: a few are written in place, many by a worker thread while rendering
 * goes on; either way every file arrives whole, and a file system failure comes back with
 * its code and path (which the CLI prints as one line).
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { CompiledFiles } from '../src/compile/compiled-files.js';
import { writeFiles, type KnownFolders } from '../src/compile/write-files.js';
import { kiln, minimalProject, removeDir, tempDir, writeProject } from './helpers/cli.js';

for (const count of [3, 1000]) {
  test(`${count} compiled files are all written, in their folders, with their text`, async () => {
    const dir = tempDir('kiln-compiled-files-');
    try {
      const files = new CompiledFiles();
      for (let i = 0; i < count; i++) files.write(join(dir, `layer_${i % 7}`, `m_${i}.sql`), `select ${i} as id\n`);
      await files.flush();
      const written = readdirSync(dir).flatMap((folder) => readdirSync(join(dir, folder)));
      assert.equal(written.length, count);
      assert.equal(
        readFileSync(join(dir, `layer_${(count - 1) % 7}`, `m_${count - 1}.sql`), 'utf8'),
        `select ${count - 1} as id\n`,
      );
    } finally {
      removeDir(dir);
    }
  });

  test(`a failure among ${count} compiled files rejects the flush with its code and path`, async () => {
    const dir = tempDir('kiln-compiled-files-');
    try {
      // A file where a folder should be.
      writeFileSync(join(dir, 'blocked'), '');
      const files = new CompiledFiles();
      for (let i = 0; i < count; i++)
        files.write(join(dir, i === count - 2 ? 'blocked' : 'fine', `m_${i}.sql`), 'select 1');
      await assert.rejects(files.flush(), (e: NodeJS.ErrnoException) => {
        assert.match(String(e.code), /^(ENOTDIR|EEXIST)$/);
        assert.ok(e.path?.startsWith(join(dir, 'blocked')), e.path);
        return true;
      });
    } finally {
      removeDir(dir);
    }
  });
}

for (const count of [3, 1000]) {
  test(`of ${count} compiled files, those that already hold their text are left alone, the others written`, async () => {
    const dir = tempDir('kiln-compiled-files-');
    try {
      const file = (i: number) => join(dir, `layer_${i % 7}`, `m_${i}.sql`);
      const first = new CompiledFiles();
      for (let i = 0; i < count; i++) first.write(file(i), `select ${i} as id\n`);
      await first.flush();
      const longAgo = new Date('2001-01-01T00:00:00Z');
      for (let i = 0; i < count; i++) utimesSync(file(i), longAgo, longAgo);
      // Changed by hand since (same length, other bytes), changed by the new text, and unchanged.
      writeFileSync(file(0), 'select X as id\n');
      utimesSync(file(0), longAgo, longAgo);
      const again = new CompiledFiles();
      for (let i = 0; i < count; i++) again.write(file(i), i === 1 ? 'select 1 as changed\n' : `select ${i} as id\n`);
      await again.flush();
      assert.equal(readFileSync(file(0), 'utf8'), 'select 0 as id\n');
      assert.equal(readFileSync(file(1), 'utf8'), 'select 1 as changed\n');
      assert.equal(readFileSync(file(2), 'utf8'), 'select 2 as id\n');
      assert.notEqual(statSync(file(0)).mtimeMs, longAgo.getTime(), 'a file changed by hand is written again');
      assert.notEqual(statSync(file(1)).mtimeMs, longAgo.getTime(), 'a file whose text changed is written');
      assert.equal(statSync(file(2)).mtimeMs, longAgo.getTime(), 'an unchanged file is left alone');
    } finally {
      removeDir(dir);
    }
  });
}

test('a second kiln run leaves unchanged compiled files alone and writes the one whose model changed', () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select id from {{ ref('a') }}",
    }),
  );
  try {
    const folder = join(dir, 'target', 'compiled', 'tiny', 'models');
    assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
    const longAgo = new Date('2001-01-01T00:00:00Z');
    for (const f of ['a.sql', 'b.sql']) utimesSync(join(folder, f), longAgo, longAgo);
    writeFileSync(join(dir, 'models', 'a.sql'), 'select 2 as id');
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(folder, 'a.sql'), 'utf8'), 'select 2 as id');
    assert.notEqual(statSync(join(folder, 'a.sql')).mtimeMs, longAgo.getTime());
    assert.match(readFileSync(join(folder, 'b.sql'), 'utf8'), /^select id from .*"a"/);
    assert.equal(statSync(join(folder, 'b.sql')).mtimeMs, longAgo.getTime());
  } finally {
    removeDir(dir);
  }
});

/** `count` models, each selecting from the one before: m_0 ... m_<count - 1>. */
function chainOfModels(count: number): Record<string, string> {
  const models: Record<string, string> = {};
  for (let i = 0; i < count; i++)
    models[`models/m_${i}.sql`] = i === 0 ? 'select 1 as id' : `select id from {{ ref('m_${i - 1}') }}`;
  return models;
}

test('kiln compile of 600 models writes every compiled file before it exits', () => {
  const models = chainOfModels(600);
  const dir = writeProject(minimalProject(models));
  try {
    const r = kiln(['compile', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const folder = join(dir, 'target', 'compiled', 'tiny', 'models');
    assert.equal(readdirSync(folder).length, 600);
    assert.match(readFileSync(join(folder, 'm_599.sql'), 'utf8'), /^select id from .*"m_598"/);
  } finally {
    removeDir(dir);
  }
});

for (const count of [3, 1000]) {
  test(`the flush of ${count} compiled files gives each file's size and modification time as a stat reads them`, async () => {
    const dir = tempDir('kiln-compiled-files-');
    try {
      const file = (i: number) => join(dir, `layer_${i % 7}`, `m_${i}.sql`);
      const files = new CompiledFiles();
      for (let i = 0; i < count; i++) files.write(file(i), `select ${i} as id -- é\n`);
      const stats = await files.flush();
      assert.equal(stats.size, count);
      for (let i = 0; i < count; i++) {
        const st = statSync(file(i));
        assert.deepEqual(stats.get(file(i)), { size: st.size, mtimeMs: st.mtimeMs }, file(i));
      }
      // Left alone because they hold their text: their stats as they are.
      const again = new CompiledFiles();
      for (let i = 0; i < count; i++) again.write(file(i), `select ${i} as id -- é\n`);
      const kept = await again.flush();
      assert.deepEqual(kept.get(file(count - 1)), {
        size: statSync(file(count - 1)).size,
        mtimeMs: statSync(file(count - 1)).mtimeMs,
      });
    } finally {
      removeDir(dir);
    }
  });
}

test('a file in a folder the writer created is written without a look at its path first', () => {
  const dir = tempDir('kiln-compiled-files-');
  const statSync = mock.method(fs, 'statSync');
  syncBuiltinESMExports();
  try {
    mkdirSync(join(dir, 'there'));
    writeFileSync(join(dir, 'there', 'same.sql'), 'select 1');
    const folders: KnownFolders = new Map();
    const stats: number[] = [];
    const failure = writeFiles(
      [
        [join(dir, 'new', 'a.sql'), 'select 1'],
        [join(dir, 'new', 'b.sql'), 'select 2'],
        [join(dir, 'there', 'same.sql'), 'select 1'],
        [join(dir, 'there', 'other.sql'), 'select 3'],
      ],
      folders,
      stats,
    );
    assert.equal(failure, undefined);
    // Each written file is stat'ed once written; only the two of the folder that was there are looked at before (one
    // of them holds its text already, and is left alone).
    assert.deepEqual(
      statSync.mock.calls.map((c) => c.arguments[0]),
      [
        join(dir, 'new', 'a.sql'),
        join(dir, 'new', 'b.sql'),
        join(dir, 'there', 'same.sql'),
        join(dir, 'there', 'other.sql'),
        join(dir, 'there', 'other.sql'),
      ],
    );
    assert.deepEqual(
      [...folders],
      [
        [join(dir, 'new'), true],
        [join(dir, 'there'), false],
      ],
    );
    assert.equal(readFileSync(join(dir, 'new', 'b.sql'), 'utf8'), 'select 2');
    assert.equal(stats.length, 8);
  } finally {
    statSync.mock.restore();
    syncBuiltinESMExports();
    removeDir(dir);
  }
});

test('a writer told to expect a batch or more starts its worker with the first file, and not when files are kept', async () => {
  const dir = tempDir('kiln-compiled-files-');
  try {
    const expecting = new CompiledFiles();
    expecting.expect(1000);
    expecting.write(join(dir, 'a', 'm.sql'), 'select 1');
    assert.equal(expecting.threaded, true);
    await expecting.flush();
    assert.equal(expecting.threaded, false);
    const plain = new CompiledFiles();
    plain.write(join(dir, 'b', 'm.sql'), 'select 1');
    assert.equal(plain.threaded, false, 'a worker starts for a full batch only');
    const keeping = new CompiledFiles();
    keeping.expect(1000);
    keeping.expect(0);
    keeping.write(join(dir, 'c', 'm.sql'), 'select 1');
    assert.equal(keeping.threaded, false);
    await Promise.all([plain.flush(), keeping.flush()]);
    assert.equal(readFileSync(join(dir, 'a', 'm.sql'), 'utf8'), 'select 1');
  } finally {
    removeDir(dir);
  }
});

test('a file whose text changed is written over in place, never cut to nothing first, longer or shorter', () => {
  const dir = tempDir('kiln-compiled-files-');
  const openSync = mock.method(fs, 'openSync');
  syncBuiltinESMExports();
  try {
    mkdirSync(join(dir, 'there'));
    const long = join(dir, 'there', 'long.sql');
    const short = join(dir, 'there', 'short.sql');
    writeFileSync(long, 'select 1 as a_rather_long_column_name\n');
    writeFileSync(short, 'select 1\n');
    const inode = statSync(long).ino;
    const stats: number[] = [];
    const failure = writeFiles(
      [
        [long, 'select 2\n'],
        [short, 'select 2 as a_rather_long_column_name\n'],
        [join(dir, 'there', 'new.sql'), 'select 3\n'],
      ],
      new Map(),
      stats,
    );
    assert.equal(failure, undefined);
    assert.equal(readFileSync(long, 'utf8'), 'select 2\n');
    assert.equal(readFileSync(short, 'utf8'), 'select 2 as a_rather_long_column_name\n');
    assert.equal(readFileSync(join(dir, 'there', 'new.sql'), 'utf8'), 'select 3\n');
    assert.equal(statSync(long).ino, inode);
    // Opened for reading and writing (no truncation): the two that were there; the new one is created ('w').
    assert.deepEqual(
      openSync.mock.calls.map((c) => [c.arguments[0], c.arguments[1]]),
      [
        [long, 'r+'],
        [short, 'r+'],
        [join(dir, 'there', 'new.sql'), 'w'],
      ],
    );
    assert.deepEqual(stats.slice(0, 2), [statSync(long).size, statSync(long).mtimeMs]);
  } finally {
    openSync.mock.restore();
    syncBuiltinESMExports();
    removeDir(dir);
  }
});

test('prepared compiled files are filled by their writes, and those no text came for are gone after the flush', async () => {
  const dir = tempDir('kiln-compiled-files-');
  try {
    const file = (i: number) => join(dir, `layer_${i % 7}`, `m_${i}.sql`);
    const files = new CompiledFiles();
    files.prepare(Array.from({ length: 600 }, (_, i) => file(i)));
    // Written in an order other than the one prepared, and one not prepared at all.
    for (let i = 599; i >= 0; i--) if (i % 100 !== 7) files.write(file(i), `select ${i} as id -- é\n`);
    files.write(join(dir, 'extra', 'x.sql'), 'select 1');
    const stats = await files.flush();
    const left = readdirSync(dir).flatMap((folder) => readdirSync(join(dir, folder)).map((f) => join(dir, folder, f)));
    assert.equal(left.length, 600 - 6 + 1);
    for (let i = 0; i < 600; i++) {
      if (i % 100 === 7) {
        assert.equal(fs.existsSync(file(i)), false, `${file(i)} had no text and is removed`);
        continue;
      }
      assert.equal(readFileSync(file(i), 'utf8'), `select ${i} as id -- é\n`);
      const st = statSync(file(i));
      assert.deepEqual(stats.get(file(i)), { size: st.size, mtimeMs: st.mtimeMs });
    }
    assert.equal(stats.size, 600 - 6 + 1);
  } finally {
    removeDir(dir);
  }
});

test('a prepared file is created only where the writer made the folder: a folder that was there is left as it is', async () => {
  const dir = tempDir('kiln-compiled-files-');
  try {
    mkdirSync(join(dir, 'there'));
    writeFileSync(join(dir, 'there', 'kept.sql'), 'select 1 as kept');
    const names = Array.from({ length: 300 }, (_, i) => join(dir, i === 0 ? 'there' : 'new', `m_${i}.sql`));
    const files = new CompiledFiles();
    files.prepare([join(dir, 'there', 'kept.sql'), ...names]);
    // Only the last file is written: the flush then reports the prepared files it removed as none written.
    files.write(names[299]!, 'select 299');
    await files.flush();
    assert.equal(readFileSync(join(dir, 'there', 'kept.sql'), 'utf8'), 'select 1 as kept');
    assert.deepEqual(readdirSync(join(dir, 'there')), ['kept.sql']);
    assert.deepEqual(readdirSync(join(dir, 'new')), ['m_299.sql']);
  } finally {
    removeDir(dir);
  }
});

test('a first kiln compile of 300 models leaves no empty compiled file: not for a disabled model, not when it fails', () => {
  const models = chainOfModels(300);
  models['models/off.sql'] = '{{ config(enabled=false) }} select 1 as id';
  const dir = writeProject(minimalProject(models));
  try {
    const folder = join(dir, 'target', 'compiled', 'tiny', 'models');
    const r = kiln(['compile', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const cold = Object.fromEntries(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]));
    assert.equal(Object.keys(cold).length, 300);
    assert.ok(!('off.sql' in cold));
    assert.ok(Object.values(cold).every((text) => text.length > 0));
    // The same files as a compile into a target folder that is there (which prepares nothing).
    removeDir(join(dir, 'target', 'compiled', 'tiny'));
    assert.equal(kiln(['compile', '--project-dir', dir, '--no-partial-parse']).code, 0);
    assert.deepEqual(
      Object.fromEntries(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')])),
      cold,
    );

    // A model that fails as it is parsed, and one that fails as it is compiled, each after the files were prepared:
    // what was rendered before the failure is written, and no empty file is left.
    for (const [when, body] of [
      ['parsed', "{{ exceptions.raise_compiler_error('no') }}"],
      ['compiled', "{% if execute %}{{ exceptions.raise_compiler_error('no') }}{% endif %}"],
    ]) {
      removeDir(join(dir, 'target'));
      writeFileSync(join(dir, 'models', 'm_150.sql'), `select {{ ref('m_149') }} ${body}`);
      const failed = kiln(['compile', '--project-dir', dir]);
      assert.equal(failed.code, 2, failed.stderr);
      assert.match(failed.stderr, /m_150\.sql.*no/);
      const left = fs.existsSync(folder) ? readdirSync(folder) : [];
      assert.deepEqual(
        left.filter((f) => statSync(join(folder, f)).size === 0),
        [],
        `a model that failed as it was ${when}`,
      );
      assert.ok(!left.includes('m_150.sql'));
      if (when === 'compiled') assert.equal(readFileSync(join(folder, 'm_1.sql'), 'utf8'), cold['m_1.sql']);
    }
  } finally {
    removeDir(dir);
  }
});
