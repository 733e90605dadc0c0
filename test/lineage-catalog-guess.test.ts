/** Column lineage computed with a guessed catalog is kept only when the guess answers as the catalog does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guessCatalog } from '../src/lineage/catalog-guess.js';

const catalog = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

test('a guess holds when the relations lineage asked about have the same columns, whatever else changed', () => {
  const guess = guessCatalog(() => catalog({ 'source.p.raw.a': ['id', 'x'], 'source.p.raw.b': ['id'] }));
  assert.deepEqual(guess.catalog.get('source.p.raw.a'), ['id', 'x']);
  assert.equal(guess.catalog.get('source.p.raw.missing'), undefined);
  assert.equal(guess.holdsFor(catalog({ 'source.p.raw.a': ['id', 'x'], 'source.p.raw.b': ['id', 'new'] })), true);
  assert.equal(guess.holdsFor(catalog({ 'source.p.raw.a': ['id', 'x'] })), true);
});

test('a guess fails when a relation lineage asked about has other columns, or appears or disappears', () => {
  const asked = (guessed: Record<string, string[]> | undefined, ids: string[]) => {
    const guess = guessCatalog(() => guessed && catalog(guessed));
    for (const id of ids) guess.catalog.get(id);
    return guess;
  };
  assert.equal(asked({ a: ['id', 'x'] }, ['a']).holdsFor(catalog({ a: ['id', 'y'] })), false);
  assert.equal(asked({ a: ['id', 'x'] }, ['a']).holdsFor(catalog({ a: ['x', 'id'] })), false);
  assert.equal(asked({ a: ['id', 'x'] }, ['a']).holdsFor(catalog({ a: ['id'] })), false);
  assert.equal(asked({ a: ['id'] }, ['a']).holdsFor(catalog({})), false);
  assert.equal(asked({ a: ['id'] }, ['a']).holdsFor(undefined), false);
  // No catalog.json to guess from: a relation the warehouse lists is news.
  assert.equal(asked(undefined, ['a']).holdsFor(catalog({ a: ['id'] })), false);
  assert.equal(asked(undefined, ['a']).holdsFor(catalog({ b: ['id'] })), true);
});

test('the guess is read only when lineage asks about a relation, and once', () => {
  let reads = 0;
  const guess = guessCatalog(() => (reads++, catalog({ a: ['id'] })));
  assert.equal(guess.holdsFor(catalog({ a: ['other'] })), true);
  assert.equal(reads, 0);
  guess.catalog.get('a');
  guess.catalog.get('b');
  assert.equal(reads, 1);
});
