/**
 * A relation's name as SQL: its parts that are set, each quoted by the warehouse's rule, joined by dots; a quote
 * inside a name doubled; a CTE by its bare name. The text is made once per relation (a node's relations are
 * rendered many times in a run), and a relation made from another (withType, withIdentifier) makes its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Relation } from '../src/adapters/relation.js';
import { quoteDoubled } from '../src/adapters/sql.js';

test('quoteDoubled wraps a name in the quote and doubles a quote inside it', () => {
  assert.equal(quoteDoubled('orders'), '"orders"');
  assert.equal(quoteDoubled('my "odd" name'), '"my ""odd"" name"');
  assert.equal(quoteDoubled('""'), '""""""');
  assert.equal(quoteDoubled('it`s', '`'), '`it``s`');
  assert.equal(quoteDoubled(''), '""');
});

test('Relation.render: the parts that are set, quoted, joined by dots; a CTE by its name alone', () => {
  const quote = (p: string) => quoteDoubled(p);
  assert.equal(new Relation('db', 'main', 'orders', quote).render(), '"db"."main"."orders"');
  assert.equal(new Relation(undefined, 'main', 'orders', quote).render(), '"main"."orders"');
  assert.equal(new Relation('', 'main', 'orders', quote).render(), '"main"."orders"');
  assert.equal(new Relation('db', '', 'orders', quote).render(), '"db"."orders"');
  assert.equal(new Relation(undefined, '', 'a"b', quote).render(), '"a""b"');
  assert.equal(new Relation('db', 'main', '', quote).render(), '"db"."main"');
  assert.equal(new Relation('db', 'main', '__dbt__cte__x', quote, 'cte').render(), '__dbt__cte__x');
  // A quote function that leaves plain names bare (Snowflake's stored upper-case names).
  const bare = (p: string) => (/^[A-Z_]+$/.test(p) ? p : quoteDoubled(p));
  assert.equal(new Relation('DB', 'mixed', 'T', bare).render(), 'DB."mixed".T');
  assert.equal(String(new Relation('db', 'main', 'orders', quote)), '"db"."main"."orders"');
});

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
