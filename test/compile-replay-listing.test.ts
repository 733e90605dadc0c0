/**
 * A compile replay compares the files a parse read with the last one's as one text, a line per file: two listings are
 * the same text only if they list the same files, whatever characters their paths and node ids hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListingMatch, everyListed, listingLine } from '../src/tasks/compile-replay.js';

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

test('a listing matched a line at a time agrees with comparing the joined lines, for every split of every text', () => {
  const matched = (lines: string[], recorded: string) => {
    const m = new ListingMatch(recorded);
    let all = true;
    for (const line of lines) all = m.next(line) && all;
    return all && m.done();
  };
  // Every list of up to three lines over a small alphabet, newlines included, against every recorded text made of it.
  const words = ['', 'a', 'ab', 'b', 'a\nb', '\n'];
  const lists: string[][] = [[]];
  for (let n = 0; n < 3; n++) for (const list of [...lists]) for (const w of words) lists.push([...list, w]);
  const texts = [...new Set(lists.map((l) => l.join('\n')))];
  let checked = 0;
  for (const lines of lists)
    for (const recorded of texts) {
      assert.equal(matched(lines, recorded), lines.join('\n') === recorded, JSON.stringify([lines, recorded]));
      checked++;
    }
  assert.ok(checked > 10_000, `${checked}`);
});

test('a listing read back from where the lines matched gives the files and node ids it was made of', () => {
  const files: Listed = [
    ['/p/macros/m.sql'],
    ['/p/models/a\tb.sql', 'model.p.a\tb'],
    ['/p/models/c\\d.yml'],
    ['/p/models/e\nf.sql', 'model.p.e\\nf'],
    ['/p/models/\\t.sql', 'model.p.\\t'],
    ['/p/seeds/s.csv'],
  ];
  const text = listing(files);
  for (let given = 0; given <= files.length; given++) {
    const m = new ListingMatch(text);
    for (const [file, node] of files.slice(0, given)) assert.ok(m.next(listingLine(file, node)));
    const read: Listed = [];
    assert.ok(
      everyListed(text, m.rest!, (file, node) => (read.push(node === undefined ? [file] : [file, node]), true)),
    );
    assert.deepEqual(read, files.slice(given), `after ${given} lines`);
  }
  // A line that does not match leaves no rest to read.
  const m = new ListingMatch(text);
  assert.ok(!m.next('/p/other.sql'));
  assert.equal(m.rest, undefined);
  // A visit that says stop stops the reading.
  let visits = 0;
  assert.ok(!everyListed(text, 0, () => (visits++, false)));
  assert.equal(visits, 1);
});
