/**
 * Models whose only Jinja is ref/source/config/var with literal arguments skip the template
 * engine (src/parse/simple-template.ts). The shortcut must give exactly what the engine gives:
 * each body here is compiled twice in one project, as it is and with an empty `{% if %}` block
 * before it (which sends it through the engine), and the two must agree on the compiled SQL,
 * the config, the tags and the dependencies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../src/index.js';
import { analyseSimpleTemplate } from '../src/parse/simple-template.js';
import { createRandom, generateProject } from '../bench/generate.js';
import { minimalProject, removeDir, tempDir, writeProject } from './helpers/cli.js';

const exampleModels = fileURLToPath(new URL('../../project-example/models/', import.meta.url));

/** Pieces a body is made of: SQL text (braces of its own included), calls, comments, whitespace control. */
const textPieces = [
  'select 1 as id',
  '\n',
  '  ',
  '\n\n  ',
  " {'x': 1} ",
  'a}b',
  '[0-9]{3}',
  '-- a comment\n',
  '/* block */',
  ' # ',
  "'}}'",
];
const callPieces = [
  "{{ ref('base') }}",
  '{{ref("base")}}',
  "{{  ref( 'base' )  }}",
  "{{ ref('tiny', 'base') }}",
  "{{- ref('base') }}",
  "{{ ref('base') -}}",
  "{{- ref('other') -}}",
  "{{ source('raw', 'orders') }}",
  '{{ source("raw", \'customers\') -}}',
  "{{ config(materialized='table') }}",
  "{{ config(tags=['a', 'b'], meta={'k': 1}) }}",
  '{{- config(materialized="table", enabled=true) -}}',
  "{{ config({'tags': 'c'}) }}",
  "{{ var('n', 3) }}",
  "{{ var('f', 3.0) }}",
  "{{ var('f2', 1.50) }}",
  "{{ var('neg', -2) }}",
  "{{ var('s', 'a\\nb') }}",
  "{{ var('esc', 'it\\'s') }}",
  '{{ var("hex", "\\x41") }}',
  "{{ var('l', [1, 2.5, 'c', none]) }}",
  "{{ var('d', {'k': True, 'n': None}) }}",
  "{{ var('b', false) }}",
  "{{ var('t', true,) }}",
  "{{- var('ws', 'x') -}}",
  '{# a comment #}',
  '{#- trimmed comment -#}',
  "{# {{ ref('nothing') }} #}",
];

/** Bodies built at random from the pieces, always with some SQL so no model is empty. */
function generatedBodies(count: number): string[] {
  const random = createRandom(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    let body = 'select 1 as id';
    const length = 1 + Math.floor(random() * 8);
    for (let k = 0; k < length; k++) body += random() < 0.5 ? pick(textPieces) : pick(callPieces);
    bodies.push(body);
  }
  return bodies;
}

/** The bench's models and project-example's, as written (their refs given stand-in models below). */
function writtenBodies(): string[] {
  const dir = tempDir();
  try {
    generateProject(dir, { models: 40, seed: 3, tests: 0 });
    const bench: string[] = [];
    for (const layer of readdirSync(join(dir, 'models')))
      for (const f of readdirSync(join(dir, 'models', layer)))
        if (f.endsWith('.sql')) bench.push(readFileSync(join(dir, 'models', layer, f), 'utf8'));
    const example: string[] = [];
    for (const folder of readdirSync(exampleModels))
      for (const f of readdirSync(join(exampleModels, folder)))
        if (f.endsWith('.sql')) example.push(readFileSync(join(exampleModels, folder, f), 'utf8'));
    // Models that call the project's macros are the engine's alone.
    return [...bench, ...example.filter((b) => analyseSimpleTemplate(b) !== null)];
  } finally {
    removeDir(dir);
  }
}

test('the simple-template shortcut compiles exactly what the template engine compiles', async () => {
  const bodies = [...generatedBodies(300), ...writtenBodies()];
  const simple = bodies.filter((b) => analyseSimpleTemplate(b) !== null);
  // The shortcut must be taken often enough for the comparison to mean something.
  assert.ok(simple.length > 150, `only ${simple.length} of ${bodies.length} bodies are simple`);
  const refs = new Set(['base', 'other']);
  const sources = new Map<string, Set<string>>([['raw', new Set(['orders', 'customers'])]]);
  for (const b of bodies) {
    for (const m of b.matchAll(/ref\(\s*['"](\w+)['"]\s*\)/g)) refs.add(m[1]!);
    for (const m of b.matchAll(/source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)/g))
      (sources.get(m[1]!) ?? sources.set(m[1]!, new Set()).get(m[1]!)!).add(m[2]!);
  }
  const files: Record<string, string> = {};
  for (const r of refs) files[`models/refs/${r}.sql`] = 'select 1 as id';
  files['models/sources.yml'] =
    'version: 2\nsources:\n' +
    [...sources]
      .map(
        ([name, tables]) =>
          `  - name: ${name}\n    tables:\n${[...tables].map((t) => `      - name: ${t}\n`).join('')}`,
      )
      .join('');
  bodies.forEach((b, i) => {
    files[`models/pairs/s_${i}.sql`] = b;
    files[`models/pairs/j_${i}.sql`] = `{% if true %}{% endif %}${b}`;
  });
  const dir = writeProject(minimalProject(files));
  try {
    const r = await compile({ projectDir: dir });
    const { nodes } = r.project.parsed.manifest;
    bodies.forEach((b, i) => {
      const s = nodes.get(`model.tiny.s_${i}`)!;
      const j = nodes.get(`model.tiny.j_${i}`)!;
      const what = `body ${JSON.stringify(b)}`;
      assert.equal(r.compiled.get(s.uniqueId), r.compiled.get(j.uniqueId), what);
      assert.deepEqual(s.config, j.config, what);
      assert.deepEqual(s.tags, j.tags, what);
      assert.deepEqual(s.dependsOn, j.dependsOn, what);
      assert.deepEqual(s.refs, j.refs, what);
      assert.deepEqual(s.sources, j.sources, what);
    });
  } finally {
    removeDir(dir);
  }
});
