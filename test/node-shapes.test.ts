/**
 * The objects made by the thousand share their hidden classes: nodes of one kind, the calls of SQL files read without
 * the template engine, the options of each manifest.json entry. On Node 20's V8 an object spread followed by more
 * properties (`{ ...emptyNode(), refs }`) gave each object a class of its own, and every read of their fields
 * (configs, render, manifest.json, their JSON) missed V8's caches. Checked with V8's own %HaveSameMap.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { execFileSync } from 'node:child_process';
import { compile } from '../src/index.js';
import { analyseSimpleTemplate, type SimpleCall } from '../src/parse/simple-template.js';
import { withCompiled } from '../src/artifacts/manifest.js';
import { removeDir, writeProject } from './helpers/cli.js';

setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's intrinsic has no other spelling
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const models = Object.fromEntries(
  Array.from({ length: 300 }, (_, i) => [
    `models/m${i}.sql`,
    i === 0 ? 'select 1 as id\n' : `select id from {{ ref('m${i - 1}') }}\n`,
  ]),
);
const dir = writeProject({
  'dbt_project.yml': 'name: shapes\nprofile: shapes\nconfig-version: 2\n',
  'profiles.yml': 'shapes:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb}\n',
  'seeds/a.csv': 'id\n1\n',
  'seeds/b.csv': 'id\n2\n',
  ...models,
});
after(() => removeDir(dir));

test('models read from files share one hidden class, as do seeds', async () => {
  const { project } = await compile({ projectDir: dir });
  const nodes = [...project.parsed.manifest.nodes.values()];
  for (const type of ['model', 'seed']) {
    const same = nodes.filter((n) => n.resourceType === type);
    assert.ok(same.length >= 2, type);
    for (const n of same.slice(1)) assert.ok(haveSameMap(same[0]!, n), `${n.uniqueId} has a class of its own`);
  }
});

test('the calls of SQL files read without the template engine share one hidden class', () => {
  const calls = Array.from({ length: 20 }, (_, i) =>
    analyseSimpleTemplate(`select 1\nfrom {{ ref('m${i}') }} join {{ source('s', 't${i}') }}\n`)!.filter(
      (p): p is SimpleCall => typeof p !== 'string',
    ),
  ).flat();
  assert.equal(calls.length, 40);
  assert.deepEqual(calls[1], { fn: 'source', args: ['s', 't0'], kwargs: {}, line: 2 });
  for (const c of calls.slice(1)) assert.ok(haveSameMap(calls[0]!, c));
});

test('the options each entry of manifest.json is built with share one hidden class', () => {
  const base = { flavor: 'artifact' as const, relationName: () => 'x', createdAt: 1 };
  const options = Array.from({ length: 50 }, (_, i) =>
    withCompiled(base, { code: `select ${i}`, ctes: [], path: `m${i}.sql` }),
  );
  assert.deepEqual(options[3], { ...base, compiled: { code: 'select 3', ctes: [], path: 'm3.sql' } });
  for (const o of options.slice(1)) assert.ok(haveSameMap(options[0]!, o));
});

test("the arrays a parse keeps (a file's parts and refs, a call's arguments) hold no spare room", () => {
  // V8 gives an array's first push room for 17 elements; its capacity shows only in %DebugPrint, in a process of its own.
  const script = `
    const { analyseSimpleTemplate } = await import(${JSON.stringify(new URL('../src/parse/simple-template.js', import.meta.url).href)});
    const { parseSql } = await import(${JSON.stringify(new URL('../src/parse/sql-nodes.js', import.meta.url).href)});
    const text = "select a from {{ ref('m') }} join {{ source('s', 't') }}\\n";
    const parts = analyseSimpleTemplate(text);
    const { refs, sources } = parseSql(undefined, text, 'models/x.sql', { scope: {}, placeholder: () => undefined });
    for (const [name, array] of [['parts', parts], ['args', parts[1].args], ['refs', refs], ['sources', sources]]) {
      // Printed by V8 too, so that the marker and the array come out in order.
      %DebugPrint('<' + name + ' ' + array.length + '>');
      %DebugPrint(array);
    }`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  const arrays = out.split(/<(?=\w+ \d+>)/).slice(1);
  assert.equal(arrays.length, 4);
  for (const printed of arrays) {
    const [, name, length] = /^(\w+) (\d+)>/.exec(printed)!;
    const capacity = /elements: 0x[0-9a-f]+ <FixedArray\[(\d+)\]>/.exec(printed)?.[1];
    assert.equal(capacity, length, `${name}: room for ${capacity} elements, ${length} used`);
  }
});
