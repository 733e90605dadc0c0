/**
 * A relation's text: its parts quoted and joined, empty parts left out, a CTE by its bare name.
 * The text is made once per relation (a node's relations are rendered many times in a run),
 * and a relation made from another (withType, withIdentifier) makes its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relation } from '../src/adapters/relation.js';

test('a relation renders its quoted parts, made once however often it is rendered', () => {
  let quoted = 0;
  const quote = (part: string) => (quoted++, `"${part}"`);
  const full = new Relation('db', 'main', 'orders', quote, 'view');
  for (let i = 0; i < 3; i++) assert.equal(full.render(), '"db"."main"."orders"');
  assert.equal(String(full), '"db"."main"."orders"');
  assert.equal(quoted, 3, 'each part quoted once');
  assert.equal(full.withIdentifier('orders__kiln_tmp').render(), '"db"."main"."orders__kiln_tmp"');
  assert.equal(full.withType('table').render(), '"db"."main"."orders"');
  assert.equal(new Relation(undefined, 'main', 'x', quote).render(), '"main"."x"');
  assert.equal(new Relation('', '', 'x', quote).render(), '"x"');
  assert.equal(new Relation('db', 'main', 'cte_name', quote, 'cte').render(), 'cte_name');
});
