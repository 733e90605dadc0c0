/**
 * A compile replay compares the files a parse read with the last one's as one text, a line per file: two listings are
 * the same text only if they list the same files, whatever characters their paths and node ids hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listingLine } from '../src/tasks/compile-replay.js';

type Listed = Array<[file: string, node?: string]>;
const listing = (files: Listed) => files.map(([file, node]) => listingLine(file, node)).join('\n');

test('listings of different files are different texts, tabs, newlines and backslashes in names included', () => {
  const pairs: Array<[Listed, Listed]> = [
    [[['/p/models/a.sql', 'model.p.a']], [['/p/models/a.sql\tmodel.p.a']]],
    [[['/p/models/a\n/p/models/b.sql']], [['/p/models/a'], ['/p/models/b.sql']]],
    [[['/p/models/a\\tb.sql']], [['/p/models/a\tb.sql']]],
    [[['/p/models/a\\nb.sql']], [['/p/models/a\nb.sql']]],
    [[['/p/models/a\\\\tb.sql']], [['/p/models/a\\\tb.sql']]],
    [[['/p/models/a.sql', 'model.p.a\tb']], [['/p/models/a.sql\tmodel.p.a', 'b']]],
  ];
  for (const [a, b] of pairs) assert.notEqual(listing(a), listing(b), JSON.stringify([a, b]));
  // The same files are the same text.
  const same: Listed = [['/p/models/a\tb.sql', 'model.p.a\tb'], ['/p/models/c\\d.yml']];
  assert.equal(listing(same), listing(same.map(([f, n]) => [f, n])));
});
