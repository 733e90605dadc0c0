/**
 * YAML merge keys and anchors, read as PyYAML (and so dbt) reads them, in every YAML file
 * kiln loads: explicit keys win over merged ones wherever they stand, an earlier map in
 * `<<: [*a, *b]` wins over a later one, and a line number into merged data points at the
 * line where the value is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml } from '../src/config/yaml.js';
import { parseCliVars } from '../src/config/project.js';
import { parse, ls } from '../src/index.js';
import { isKilnError } from '../src/errors.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';

test('merge keys: explicit keys win, earlier merged maps win over later ones (as PyYAML)', () => {
  const text = [
    'a: &a {x: 1, y: 1, s: [1]}',
    'b: &b {x: 2, z: 2}',
    'c:',
    '  y: 0',
    '  <<: [*a, *b]',
    '  w: 3',
    'd:',
    '  <<: *a',
    '  x: 9',
    '',
  ].join('\n');
  // PyYAML's safe_load gives c = {x: 1, z: 2, y: 0, s: [1], w: 3} and d = {x: 9, y: 1, s: [1]}.
  const data = parseYaml(text, 'm.yml').data as Record<string, Record<string, unknown>>;
  assert.deepEqual(data.c, { x: 1, y: 0, s: [1], z: 2, w: 3 });
  assert.deepEqual(data.d, { x: 9, y: 1, s: [1] });
  assert.ok(!('<<' in data.c) && !('<<' in data.d));
});

test('an alias or a merge is a copy: changing one place leaves the anchor as it was', () => {
  const data = parseYaml('a: &a {tags: [x], meta: {k: 1}}\nb: *a\nc: {<<: *a}\n', 'm.yml').data as Record<
    string,
    { tags: string[]; meta: Record<string, number> }
  >;
  data.b!.tags.push('y');
  data.c!.meta.k = 2;
  assert.deepEqual(data.a, { tags: ['x'], meta: { k: 1 } });
});

test('a quoted "<<" is an ordinary key', () => {
  assert.deepEqual(parseYaml('a: &a {x: 1}\nb: {"<<": *a}\n', 'm.yml').data, { a: { x: 1 }, b: { '<<': { x: 1 } } });
});

test('merging something that is not a mapping is a YAML error naming the file and a line', () => {
  assert.throws(
    () => parseYaml('a: &a [1, 2]\nb:\n  <<: *a\n', 'm.yml'),
    (e: unknown) =>
      isKilnError(e) &&
      e.kind === 'yaml' &&
      e.file === 'm.yml' &&
      typeof e.line === 'number' &&
      /cannot merge mappings/.test(e.message),
  );
});

test('lines into merged and aliased values are the lines they are written on', () => {
  const text = [
    'base: &base',
    '  materialized: table',
    '  tags: [a]',
    'one:',
    '  <<: *base',
    '  schema: s',
    'two: *base',
    'three:',
    '  <<: [{x: 1}, *base]',
    '',
  ].join('\n');
  const yaml = parseYaml(text, 'm.yml');
  assert.equal(yaml.lineOf(['one', 'materialized']), 2);
  assert.equal(yaml.lineOf(['one', 'schema']), 6);
  assert.equal(yaml.lineOf(['two', 'tags', 0]), 3);
  assert.equal(yaml.lineOf(['three', 'tags']), 3);
  assert.equal(yaml.lineOfKey(['one', 'tags']), 3);
  assert.equal(yaml.lineOfKey(['one', 'schema']), 6);
});

test('--vars honours merge keys', () => {
  assert.deepEqual(parseCliVars('{a: &x {k: 1}, b: {<<: *x, j: 2}}'), { a: { k: 1 }, b: { k: 1, j: 2 } });
});

test('properties YAML: config: {<<: *tbl} makes a table, with no "<<" config', async () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 1 as id',
      'models/c.sql': 'select 1 as id',
      'models/schema.yml': [
        'version: 2',
        'models:',
        '  - name: a',
        '    config: &tbl',
        '      materialized: table',
        '      tags: [nightly]',
        '  - name: b',
        '    config: {<<: *tbl}',
        '  - name: c',
        '    config:',
        '      <<: *tbl',
        '      tags: [weekly]',
        '',
      ].join('\n'),
    }),
  );
  try {
    const project = await parse({ projectDir: dir });
    const config = (name: string) => project.parsed.manifest.nodes.get(`model.tiny.${name}`)!.config;
    assert.equal(config('b').materialized, 'table');
    assert.deepEqual(config('b').tags, ['nightly']);
    assert.ok(!('<<' in config('b')));
    assert.equal(config('c').materialized, 'table');
    assert.deepEqual(config('c').tags, ['weekly']);
    assert.deepEqual(config('a').tags, ['nightly'], 'the anchored config is not changed by its copies');
  } finally {
    removeDir(dir);
  }
});

test('dbt_project.yml, profiles.yml and selectors.yml honour merge keys', async () => {
  const dir = writeProject({
    'dbt_project.yml': [
      'name: shop',
      'profile: shop',
      'models:',
      '  shop:',
      '    marts: &marts',
      '      +materialized: table',
      '      +tags: [nightly]',
      '    reports:',
      '      <<: *marts',
      '      +tags: [weekly]',
      '',
    ].join('\n'),
    'profiles.yml': [
      'shop:',
      '  target: dev',
      '  outputs:',
      '    base: &base',
      '      type: duckdb',
      '      threads: 3',
      '    dev:',
      '      <<: *base',
      '      path: target/dev.duckdb',
      '',
    ].join('\n'),
    'selectors.yml': [
      'selectors:',
      '  - name: nightly',
      '    definition: &nightly',
      '      method: tag',
      '      value: nightly',
      '  - name: nightly_up',
      '    definition:',
      '      <<: *nightly',
      '      children: true',
      '',
    ].join('\n'),
    'models/marts/m.sql': 'select 1 as id',
    'models/reports/r.sql': "select * from {{ ref('m') }}",
    'models/staging/s.sql': 'select 1 as id',
  });
  try {
    const project = await parse({ projectDir: dir, profilesDir: dir });
    const node = (name: string) => [...project.parsed.manifest.nodes.values()].find((n) => n.name === name)!;
    assert.equal(node('r').config.materialized, 'table');
    assert.deepEqual(node('r').tags, ['weekly']);
    assert.deepEqual(node('m').tags, ['nightly']);
    assert.equal(project.parsed.target.type, 'duckdb');
    assert.equal(project.parsed.target.threads, 3);
    assert.equal(project.parsed.target.settings.path, 'target/dev.duckdb');
    const selected = await ls({ projectDir: dir, profilesDir: dir, selector: 'nightly_up', resourceTypes: ['model'] });
    assert.deepEqual(selected.ids, ['model.shop.m', 'model.shop.r']);
  } finally {
    removeDir(dir);
  }
});
