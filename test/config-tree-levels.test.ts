/**
 * A project tree's configs (dbt_project.yml's `models:`) worked out once per folder level for a pass over many nodes:
 * each node gets what a walk of its own would give, warnings included, also where YAML aliases put one level in two
 * places.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from 'js-yaml';
import { configFromTree, TreeLevels } from '../src/parse/configs.js';

const tree = load(`
+materialized: view
+tags: [all]
staging: &staging
  +schema: stg
  +tags: [stg]
  +made_up: 1
  orders:
    +materialized: table
marts:
  +tags: [marts]
  copy: *staging
`) as Record<string, unknown>;

const fqns = [
  ['p', 'staging', 'a'],
  ['p', 'staging', 'orders', 'b'],
  ['p', 'marts', 'c'],
  ['p', 'marts', 'copy', 'd'],
  ['p', 'marts', 'copy', 'orders', 'e'],
  ['p', 'other', 'f'],
].map((path) => path.slice(1));

test('configs from shared tree levels are those of a walk per node, with the same warnings', () => {
  const levels = new TreeLevels();
  for (const fqn of [...fqns, ...fqns]) {
    const alone: string[] = [];
    const shared: string[] = [];
    assert.deepEqual(
      configFromTree(tree, fqn, (k) => shared.push(k), levels),
      configFromTree(tree, fqn, (k) => alone.push(k)),
    );
    assert.deepEqual(shared, alone);
  }
});

test('a level reached through an alias layers on the path it was reached by', () => {
  const levels = new TreeLevels();
  assert.deepEqual(configFromTree(tree, ['staging', 'orders', 'x'], () => {}, levels).tags, ['all', 'stg']);
  assert.deepEqual(configFromTree(tree, ['marts', 'copy', 'orders', 'x'], () => {}, levels).tags, [
    'all',
    'marts',
    'stg',
  ]);
  const warned: string[] = [];
  configFromTree(tree, ['marts', 'copy', 'y'], (k) => warned.push(k), levels);
  assert.deepEqual(warned, ['made_up']);
});

test('nodes under one folder share the work of its levels', () => {
  const levels = new TreeLevels();
  const a = configFromTree(tree, ['staging', 'orders', 'a'], () => {}, levels);
  const b = configFromTree(tree, ['staging', 'orders', 'b'], () => {}, levels);
  assert.equal(a, b);
  assert.notEqual(
    configFromTree(tree, ['staging', 'orders', 'a'], () => {}),
    a,
  );
});
