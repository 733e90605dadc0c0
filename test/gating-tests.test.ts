/**
 * Write-audit-publish's gate: the error-severity data tests that read a model, found from one
 * index of the tests made on the first question, not from a scan of every node per model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatingTests } from '../src/run/gating-tests.js';
import type { GraphNode } from '../src/parse/nodes.js';

const model = (name: string) =>
  ({
    uniqueId: `model.p.${name}`,
    resourceType: 'model',
    name,
    config: {},
    dependsOn: { nodes: [] },
  }) as unknown as GraphNode;
const dataTest = (name: string, reads: string[], severity?: string) =>
  ({
    uniqueId: `test.p.${name}`,
    resourceType: 'test',
    name,
    config: severity === undefined ? {} : { severity },
    dependsOn: { nodes: reads.map((r) => `model.p.${r}`) },
  }) as unknown as GraphNode;

/** A node map whose every pass over its nodes is counted. */
class CountedNodes extends Map<string, GraphNode> {
  passes = 0;
  override values(): MapIterator<GraphNode> {
    this.passes++;
    return super.values();
  }
}

test('the error-severity tests reading a model, in the manifest order, each once', () => {
  const nodes = new Map(
    [
      model('a'),
      model('b'),
      dataTest('a_unique', ['a']),
      dataTest('a_warns', ['a'], 'warn'),
      dataTest('a_b_relationship', ['a', 'b'], 'ERROR'),
      dataTest('a_twice', ['a', 'a'], 'error'),
      dataTest('b_not_null', ['b']),
    ].map((n) => [n.uniqueId, n]),
  );
  const gating = new GatingTests(nodes);
  assert.deepEqual(
    gating.of(nodes.get('model.p.a')!).map((t) => t.name),
    ['a_unique', 'a_b_relationship', 'a_twice'],
  );
  assert.deepEqual(
    gating.of(nodes.get('model.p.b')!).map((t) => t.name),
    ['a_b_relationship', 'b_not_null'],
  );
  assert.deepEqual(gating.of(model('c')), []);
});

test('audited models ask one index, made in one pass over the nodes', () => {
  const nodes = new CountedNodes();
  const models = Array.from({ length: 100 }, (_, i) => model(`m${i}`));
  for (const m of models) nodes.set(m.uniqueId, m);
  for (let i = 0; i < 100; i++) nodes.set(`test.p.t${i}`, dataTest(`t${i}`, [`m${i}`]));
  const gating = new GatingTests(nodes);
  for (const m of models) assert.equal(gating.of(m).length, 1);
  assert.equal(nodes.passes, 1);
});
