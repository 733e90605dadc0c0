/**
 * The partial parse cache's lines are spilled to disk as they are made (src/parse/cache-spool.ts): the buffer never
 * holds more than its size, the lines come back whole and in order, a spool leaves no file behind, and a process
 * that must not write (no folder) keeps them in memory with the same result.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSpool, spoolBufferBytes } from '../src/parse/cache-spool.js';
import { compileProject } from '../src/index.js';
import { load, parseLoaded, partialParseOf, savePartialParse } from '../src/tasks/load.js';
import { removeDir, writeProject } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-spool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 50 lines of ~40 bytes each, some entries bytes (a reused entry), one with text outside ASCII. */
const lines = Array.from({ length: 50 }, (_, i) => ({
  id: `model.p.m${i}`,
  head: `s\t"model.p.m${i}"\t`,
  entry: i % 3 ? `{"n":${i},"text":"select ${i}${i === 7 ? ' -- é€' : ''}"}` : Buffer.from(`{"n":${i}}`),
}));
const expected = lines.map((l) => `${l.head}${Buffer.from(l.entry).toString()}\n`).join('');

function fill(spool: LineSpool): void {
  for (const l of lines) spool.add(l.id, l.head, l.entry);
}

/** The lines as written: each chunk copied before the next is asked for, as the cache's writer does. */
function collect(spool: LineSpool): string {
  const copies: Buffer[] = [];
  for (const chunk of spool.chunks()) copies.push(Buffer.from(chunk));
  return Buffer.concat(copies).toString();
}

test('lines past the buffer are written to the spool file as they come, and come back whole and in order', () => {
  const spool = new LineSpool(dir, 'cache.bin', 256);
  let spilledEarly = false;
  for (const [i, l] of lines.entries()) {
    spool.add(l.id, l.head, l.entry);
    // Never more than the buffer in memory: what is not in the file fits in it.
    const total = Buffer.byteLength(
      lines
        .slice(0, i + 1)
        .map((x) => `${x.head}${Buffer.from(x.entry)}\n`)
        .join(''),
    );
    assert.ok(total - spool.spilledBytes <= 256, `line ${i}: ${total - spool.spilledBytes} bytes held`);
    if (i < lines.length / 2 && spool.spilledBytes > 0) spilledEarly = true;
  }
  assert.ok(spilledEarly, 'written before the last line was added');
  assert.equal(spool.size, lines.length);
  // Entries read back from the file and from the buffer alike.
  for (const i of [0, 7, 20, 49])
    assert.equal(Buffer.from(spool.entry(lines[i]!.id)!).toString(), Buffer.from(lines[i]!.entry).toString());
  assert.equal(collect(spool), expected);
  // Spent: the file is gone, and it cannot be written twice.
  assert.equal(spool.entry(lines[0]!.id), undefined);
  assert.throws(() => [...spool.chunks()], /already written/);
  assert.ok(spool.has(lines[0]!.id));
});

test('the spool file is removed as soon as it is opened: an abandoned spool leaves nothing in the folder', () => {
  const spool = new LineSpool(dir, 'cache.bin', 64);
  fill(spool);
  assert.ok(spool.spilledBytes > 0);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(collect(spool), expected);
});

test('a later line of an id is written after the earlier one, and is the one read back', () => {
  const spool = new LineSpool(dir, 'cache.bin', 64);
  spool.add('a', 'b\t"a"\t', '{"v":1}');
  spool.add('b', 'b\t"b"\t', '{"v":2}');
  spool.add('a', 'b\t"a"\t', '{"v":3}');
  assert.equal(spool.size, 2);
  assert.equal(Buffer.from(spool.entry('a')!).toString(), '{"v":3}');
  assert.equal(collect(spool), 'b\t"a"\t{"v":1}\nb\t"b"\t{"v":2}\nb\t"a"\t{"v":3}\n');
});

test('a line larger than the buffer, and a spool without a folder, hold the same lines in memory', () => {
  const big = 'x'.repeat(1000);
  const spool = new LineSpool(dir, 'cache.bin', 64);
  spool.add('small', 'h\t', 'y');
  spool.add('big', 'h\t', big);
  assert.equal(Buffer.from(spool.entry('big')!).toString(), big);
  assert.equal(collect(spool), `h\ty\nh\t${big}\n`);

  const inMemory = new LineSpool(undefined, 'cache.bin', 64);
  fill(inMemory);
  assert.equal(inMemory.spilledBytes, 0);
  assert.equal(Buffer.from(inMemory.entry(lines[7]!.id)!).toString(), lines[7]!.entry);
  assert.equal(collect(inMemory), expected);
});

test('a spool whose file cannot be written keeps its lines in memory: the command goes on', () => {
  const notAFolder = join(dir, 'file');
  writeFileSync(notAFolder, '');
  const spool = new LineSpool(join(notAFolder, 'target'), 'cache.bin', 64);
  fill(spool);
  assert.equal(spool.spilledBytes, 0);
  assert.equal(Buffer.from(spool.entry(lines[20]!.id)!).toString(), lines[20]!.entry);
  assert.equal(collect(spool), expected);
  rmSync(notAFolder);
});

test('a compile whose cache is larger than the buffer writes it whole: the next compile reuses every entry', async () => {
  // 12 models of ~100 KB each: their parses alone (each holds its file's text) are more than the megabyte held.
  const padding = `-- ${'padding '.repeat(12_500)}\n`;
  const files: Record<string, string> = {
    'dbt_project.yml': 'name: big\nprofile: big\nconfig-version: 2\nmodels:\n  big:\n    +materialized: view\n',
    'profiles.yml': 'big:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb, schema: main}\n',
  };
  for (let i = 0; i < 12; i++)
    files[`models/m${i}.sql`] = `${padding}select ${i} as id${i ? ` from {{ ref('m${i - 1}') }}` : ''}\n`;
  const project = writeProject(files);
  after(() => removeDir(project));
  const debug: string[] = [];
  const opts = (targetPath: string, partialParse: boolean) => ({
    projectDir: project,
    profilesDir: project,
    targetPath,
    partialParse,
    onDebug: (m: string) => debug.push(m),
  });
  await compileProject(opts('target', true));
  const cache = join(project, 'target', 'partial_parse.bin');
  assert.ok(statSync(cache).size > 3 * spoolBufferBytes, `${statSync(cache).size} bytes`);
  // Nothing but what a compile writes: no spool file left behind.
  assert.deepEqual(readdirSync(join(project, 'target')).sort(), [
    'compiled',
    'manifest.json',
    'partial_parse.bin',
    'partial_parse.table',
  ]);
  debug.length = 0;
  // A selection compiles in full (no replay), from the cache.
  await compileProject({ ...opts('target', true), select: ['m0+'] });
  assert.ok(
    debug.some((l) => /reused 12 of 12 SQL parses, 12 of 12 compiled nodes/.test(l)),
    debug.join('\n'),
  );
  await compileProject(opts('target-cold', false));
  for (let i = 0; i < 12; i++) {
    const rel = join('compiled', 'big', 'models', `m${i}.sql`);
    assert.equal(
      readFileSync(join(project, 'target', rel), 'utf8'),
      readFileSync(join(project, 'target-cold', rel), 'utf8'),
    );
  }

  // Once this invocation's cache is encoded, the last one's bytes are let go (a run or docs generate goes on after).
  const parsed = parseLoaded(await load(opts('target', true)), opts('target', true), 'parse', undefined, 'keep');
  const partial = partialParseOf(parsed)!;
  assert.ok(partial.previousRecord('manifest') && partial.hasManifestEntries());
  savePartialParse(partial, parsed.parsed.manifest.nodes.keys(), opts('target', true));
  assert.equal(partial.previousRecord('manifest'), undefined);
  assert.equal(partial.hasManifestEntries(), false);
  debug.length = 0;
  await compileProject({ ...opts('target', true), select: ['m0+'] });
  assert.ok(
    debug.some((l) => /reused 12 of 12 SQL parses, 12 of 12 compiled nodes/.test(l)),
    debug.join('\n'),
  );
});
