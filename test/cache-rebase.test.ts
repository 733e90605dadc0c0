/**
 * Rebasing a partial parse cache to the folder its project is in now: only paths the cache wrote are rewritten, and a
 * cache naming the old folder anywhere else is not rebased at all (the end-to-end cases: partial-parse.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebasedCache } from '../src/parse/cache-rebase.js';

const rebase = (text: string, from = '/home/ana/shop', to = '/ci/run 7/shop') =>
  rebasedCache(Buffer.from(text), from, to)?.toString('utf8');

test('paths the cache wrote are rewritten: JSON strings that start with the folder, and the replay listing', () => {
  assert.equal(
    rebase(
      's\t"model.shop.a"\t1 2 3 4 trusted\t{"file":"/home/ana/shop/models/a.sql","macroFiles":{"/home/ana/shop/macros/m.sql":"h"}}\n',
    ),
    's\t"model.shop.a"\t1 2 3 4 trusted\t{"file":"/ci/run 7/shop/models/a.sql","macroFiles":{"/ci/run 7/shop/macros/m.sql":"h"}}\n',
  );
  assert.equal(
    rebase(
      'r\t"replay"\t{"listing":"/home/ana/shop/a.sql\\n/home/ana/shop/b.sql","folders":[["/home/ana/shop","1 2"]]}\n',
    ),
    'r\t"replay"\t{"listing":"/ci/run 7/shop/a.sql\\n/ci/run 7/shop/b.sql","folders":[["/ci/run 7/shop","1 2"]]}\n',
  );
  // Non-ASCII folders, as JSON and UTF-8 have them.
  assert.equal(rebase('w\t"/wörk/shop/x.sql"\t1 2 h\n', '/wörk/shop', '/ø'), 'w\t"/ø/x.sql"\t1 2 h\n');
});

test('another folder whose name starts with the old one is left alone; a cache with no mention is returned as is', () => {
  const text = 'w\t"/home/ana/shop-old/x.sql"\t1 2 h\n';
  assert.equal(rebase(text), text);
  const bytes = Buffer.from('b\t"model.shop.a"\t{"body":"select 1"}\n');
  assert.equal(rebasedCache(bytes, '/home/ana/shop', '/x'), bytes);
});

test('the folder anywhere else refuses the rebase: inside a string, after an escaped quote, in a listing-like text elsewhere', () => {
  assert.equal(rebase(`s\t"model.shop.a"\t1\t{"text":"select '/home/ana/shop/rows.csv'"}\n`), undefined);
  assert.equal(rebase('s\t"model.shop.a"\t1\t{"text":"select \\"/home/ana/shop/t\\""}\n'), undefined);
  assert.equal(rebase('b\t"model.shop.a"\t{"body":"-- x\\n/home/ana/shop/y"}\n'), undefined);
  assert.equal(rebase('s\t"model.shop.a"\t1\t{"text":"a \\\\\\n/home/ana/shop/y"}\n'), undefined);
});
