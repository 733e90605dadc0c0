/**
 * The line-at-a-time YAML reader against js-yaml, the loader it stands in for: on every text it accepts it must
 * give js-yaml's data exactly (core schema with merge keys, as kiln loads YAML), and it must decline every text
 * js-yaml rejects. Texts: every YAML file in the repository, texts js-yaml writes from random data in each block
 * style, and random lines of keys, dashes, indents and awkward scalars (most of them not YAML at all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import jsyaml from 'js-yaml';
import { readBlockYaml } from '../src/yaml/block-subset.js';
import { loadYamlData } from '../src/config/yaml.js';
import { repoRoot } from './helpers/cli.js';

const schema = jsyaml.CORE_SCHEMA.extend({
  implicit: [(jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge],
});

type Verdict = 'declined' | 'accepted';

/** Checks one text against js-yaml; says whether the reader took it. */
function check(text: string): Verdict {
  let expected: unknown;
  let rejected = false;
  try {
    expected = jsyaml.load(text, { schema });
  } catch {
    rejected = true;
  }
  const read = readBlockYaml(text);
  if (!read) return 'declined';
  assert.ok(!rejected, `js-yaml rejects this text, the reader read it:\n${text}`);
  assert.ok(
    isDeepStrictEqual(read.data, expected),
    `the reader and js-yaml differ on:\n${text}\nreader: ${JSON.stringify(read.data)}\njs-yaml: ${JSON.stringify(expected)}`,
  );
  return 'accepted';
}

/** A small deterministic generator (mulberry32), so a failure is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

const scalars = [
  'view',
  'a model',
  'Synthetic model 4.',
  'yes',
  'no',
  'on',
  'off',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'FALSE',
  'tRue',
  '1',
  '-1',
  '0',
  '-0',
  '+1',
  '01',
  '007',
  '1.5',
  '-0.25',
  '1.',
  '.5',
  '1e3',
  '1_000',
  '0x1F',
  '0o17',
  '0b11',
  '.inf',
  '-.inf',
  '.nan',
  '123456789012345678901',
  '3.14159265358979323846',
  "'quoted'",
  "'it''s'",
  "''",
  '"dq"',
  '""',
  '"a\\nb"',
  '"a \\"b\\""',
  'a: b',
  'a:b',
  'a #c',
  'a#b',
  'a # c',
  '[1, 2]',
  '{a: 1}',
  '&x v',
  '*x',
  '!!str 1',
  '!tag v',
  '|',
  '>',
  '|-',
  'http://x.y/z',
  "Don't",
  '-x',
  '- x',
  '@x',
  '`x`',
  '%x',
  ':x',
  '?x',
  '? x',
  '"open',
  "'open",
  'é',
  '日本',
  'a\tb',
  '(a)',
  '/path',
  '$x',
  '_x',
  'a, b',
  'a]',
  'a}',
  'key:',
  "'a' #c",
  '"a" b',
  "'a' b",
  '= x',
  '<< x',
  'x  ',
  '#',
  '-',
  '--',
  '---',
  '...',
  '[]',
  '[a, b]',
  '[a,b]',
  '[ a ]',
  '[a,]',
  '[,a]',
  '[1, -0, 1.5, x]',
  '[a b, c]',
  '[a, [b]]',
  '[a, {b: 1}]',
  "['a', b]",
  '[a: 1]',
  '[a #c]',
  '[a] #c',
  '[a',
  'a]',
  '[null, ~, yes, True]',
  '[a, b] x',
  '{}',
  '{ }',
  '[ ]',
];
const keys = [
  'name',
  'description',
  '+materialized',
  'models',
  'columns',
  'tests',
  'config',
  'null',
  'True',
  '__proto__',
  'a b',
  '"q"',
  "'q'",
  '1',
  '1.5',
  'a.b',
  'a/b',
  '<<',
  '-k',
  '?k',
  'k:x',
  'constructor',
  'toString',
  '日本',
];

const blockHeaders = ['|', '>', '|-', '>-', '|+', '>+', '|2', '> # c', '|#c', '>-  '];

/** Random lines: keys, dashes, scalars and comments at random indents. Most are not YAML at all. */
function randomLines(rnd: () => number): string {
  const lines: string[] = [];
  const count = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < count; i++) {
    const indent = ' '.repeat(pick(rnd, [0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6]));
    const kind = rnd();
    if (kind < 0.3) lines.push(`${indent}${pick(rnd, keys)}: ${pick(rnd, scalars)}`);
    else if (kind < 0.5) lines.push(`${indent}${pick(rnd, keys)}:`);
    else if (kind < 0.65) lines.push(`${indent}- ${pick(rnd, keys)}: ${pick(rnd, scalars)}`);
    else if (kind < 0.75) lines.push(`${indent}- ${pick(rnd, scalars)}`);
    else if (kind < 0.8) lines.push(`${indent}-`);
    else if (kind < 0.85) lines.push(`${indent}# a comment: with - things`);
    else if (kind < 0.9) lines.push('');
    else if (kind < 0.93) lines.push(pick(rnd, ['---', '...', '%YAML 1.2', '  ', '\t- a', 'a: b\r']));
    else if (kind < 0.96) lines.push(`${indent}${pick(rnd, keys)}: ${pick(rnd, blockHeaders)}`);
    else if (kind < 0.98) lines.push(`${indent}${pick(rnd, ['text', 'more text', '# not a comment', 'a: b', '- x'])}`);
    else lines.push(`${indent}${pick(rnd, keys)}: ${pick(rnd, scalars)} # note`);
  }
  return lines.join('\n') + (rnd() < 0.8 ? '\n' : '');
}

/** Random data, as properties files hold it: maps of lists of maps of scalars. */
function randomData(rnd: () => number, depth = 0): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.35) {
    return pick(rnd, [
      'view',
      'a model',
      'yes',
      null,
      true,
      false,
      0,
      7,
      -3,
      1.5,
      'null',
      '1',
      '1.5',
      'a: b',
      'a #b',
      "it's",
      'x"y',
      '',
      ' padded ',
      'tab\there',
      'line\nbreak',
      '日本',
      '-x',
      '[x]',
      'http://a/b',
      2 ** 60,
      'True',
      '~',
      'two lines\n',
      'a\n\nb',
      'a\n\n\nb\n\n',
      '\nleading',
      'a\n  indented\nb',
      'trailing \nspace',
      'A long description of a model, in words enough to be folded by a narrow line width.',
      'First paragraph of words.\n\nSecond paragraph, also in words enough to fold at a narrow width.\n',
    ]);
  }
  if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomData(rnd, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 4); i > 0; i--) out[pick(rnd, keys)] = randomData(rnd, depth + 1);
  return out;
}

test('every YAML file in the repository reads as js-yaml reads it, or is declined', () => {
  const files = execFileSync('git', ['ls-files', '*.yml', '*.yaml'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  assert.ok(files.length > 5, 'the repository has YAML files');
  const verdicts = files.map((f) => check(readFileSync(join(repoRoot, f), 'utf8')));
  // project-example's properties are plain block YAML, as most projects' are: the reader must take them (unit tests'
  // rows are flow mappings, js-yaml's).
  const example = files.filter((f) => f.startsWith('project-example/models/') && !f.includes('unit_tests'));
  assert.ok(example.length > 0);
  for (const f of example) assert.equal(check(readFileSync(join(repoRoot, f), 'utf8')), 'accepted', f);
  assert.ok(verdicts.filter((v) => v === 'accepted').length >= files.length / 3, 'most files are read');
});

test('texts js-yaml writes from random data read as js-yaml reads them', () => {
  const rnd = random(17);
  let accepted = 0;
  const total = 3000;
  for (let i = 0; i < total; i++) {
    const data = randomData(rnd);
    const text = jsyaml.dump(data, {
      indent: pick(rnd, [2, 3, 4]),
      noArrayIndent: rnd() < 0.5,
      lineWidth: pick(rnd, [-1, 20, 40]),
      quotingType: pick(rnd, ["'", '"'] as const),
      forceQuotes: rnd() < 0.1,
    });
    if (check(text) === 'accepted') accepted++;
  }
  assert.ok(accepted > total / 20, `the reader took ${accepted} of ${total} texts`);
});

test('random lines: whatever the reader takes, js-yaml reads the same; whatever js-yaml rejects, it declines', () => {
  const rnd = random(42);
  let accepted = 0;
  const total = 20000;
  for (let i = 0; i < total; i++) if (check(randomLines(rnd)) === 'accepted') accepted++;
  assert.ok(accepted > total / 100, `the reader took ${accepted} of ${total} texts`);
});

test('loadYamlData: a plain text by the reader, the rest and every error by js-yaml, vars always by js-yaml', () => {
  assert.deepEqual(loadYamlData('models:\n  - name: a\n    description: yes\n', 'x.yml'), {
    models: [{ name: 'a', description: 'yes' }],
  });
  // YAML 1.1 (PyYAML, dbt's vars): `yes` is true.
  assert.deepEqual(loadYamlData('flag: yes\n', '--vars', { pyyaml: true }), { flag: true });
  assert.throws(
    () => loadYamlData('models:\n  - name: a\n   description: b\n', 'models/x.yml'),
    (e: Error & { file?: string; line?: number }) => /invalid YAML/.test(e.message) && e.line === 3,
  );
  assert.throws(() => loadYamlData('a: 1\na: 2\n', 'x.yml'), /duplicated mapping key/);
});
