/** The SQL parser's warm-up, which the lineage worker runs while it waits for its job. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpSqlParser } from '../src/lineage/sql.js';

test('the warm-up parses its statement as many times as asked', async () => {
  assert.equal(await warmUpSqlParser(() => false, 45), 45);
});

test('the warm-up stops as soon as it is told to, between two statements', async () => {
  let told = false;
  setImmediate(() => (told = true));
  const parsed = await warmUpSqlParser(() => told, 50_000);
  assert.ok(parsed > 0 && parsed < 50_000, `parsed ${parsed}`);
  assert.equal(await warmUpSqlParser(() => true), 0);
});
