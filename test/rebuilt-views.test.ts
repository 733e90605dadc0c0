/**
 * The views a rename may drop because the run rebuilds them (`kiln_rebuilt_views`): the
 * selected view models downstream of a node, through nodes of any kind; and the selection's
 * set made once for a run's thousands of renames, not once per node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RebuiltViews } from '../src/run/rebuilt-views.js';
import type { GraphNode } from '../src/parse/nodes.js';

function node(name: string, materialized: string, parents: string[] = [], schema?: string): GraphNode {
  return {
    uniqueId: `model.p.${name}`,
    resourceType: 'model',
    alias: name,
    schema,
    config: { materialized },
    dependsOn: { nodes: parents.map((p) => `model.p.${p}`), macros: [] },
  } as unknown as GraphNode;
}

function graph(...nodes: GraphNode[]): Map<string, GraphNode> {
  return new Map(nodes.map((n) => [n.uniqueId, n]));
}

/** A selection whose every pass over its ids is counted (a Set made from it is one pass). */
function countedSelection(ids: string[]): { ids: readonly string[]; passes: () => number } {
  let passes = 0;
  const proxy = new Proxy(ids, {
    get(target, key, receiver) {
      if (key === Symbol.iterator) passes++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { ids: proxy, passes: () => passes };
}

test('the selected views downstream of a node, through tables and unselected nodes, each once', () => {
  const nodes = graph(
    node('a', 'table'),
    node('b', 'view', ['a'], 'marts'),
    node('c', 'view', ['b']),
    node('d', 'table', ['c']),
    node('e', 'view', ['d', 'b']),
    node('f', 'view', ['e', 'c']),
    node('g', 'view'),
  );
  const selected = ['a', 'b', 'd', 'e', 'f', 'g'].map((n) => `model.p.${n}`);
  const views = new RebuiltViews(nodes, () => selected, 'main');
  const sorted = (pairs: Array<[string, string]>) => pairs.map((p) => p.join('.')).sort();
  // c is not selected (the run leaves it alone), but what reads it is still downstream.
  assert.deepEqual(sorted(views.of(nodes.get('model.p.a')!)), ['main.e', 'main.f', 'marts.b']);
  assert.deepEqual(sorted(views.of(nodes.get('model.p.d')!)), ['main.e', 'main.f']);
  assert.deepEqual(views.of(nodes.get('model.p.f')!), []);
  assert.deepEqual(views.of(nodes.get('model.p.g')!), []);
});

test("a run's renames make the selection's set once, not once per node", () => {
  const chain = Array.from({ length: 200 }, (_, i) => node(`m${i}`, i % 2 ? 'view' : 'table', i ? [`m${i - 1}`] : []));
  const nodes = graph(...chain);
  const selection = countedSelection(chain.map((n) => n.uniqueId));
  const views = new RebuiltViews(nodes, () => selection.ids, 'main');
  for (const n of chain) views.of(n);
  assert.equal(selection.passes(), 1);
  assert.equal(views.of(chain[196]!).length, 2, 'm197 and m199');
});

test('a new selection is read afresh', () => {
  const nodes = graph(node('a', 'table'), node('b', 'view', ['a']), node('c', 'view', ['a']));
  let selected = ['model.p.a', 'model.p.b'];
  const views = new RebuiltViews(nodes, () => selected, 'main');
  assert.deepEqual(views.of(nodes.get('model.p.a')!), [['main', 'b']]);
  selected = ['model.p.a', 'model.p.c'];
  assert.deepEqual(views.of(nodes.get('model.p.a')!), [['main', 'c']]);
});
