/** The SQL parser's warm-up, which the lineage worker runs while it waits for its job. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warmUpSqlParser } from '../src/lineage/sql.js';
import { hasPreviousLineage } from '../src/lineage/file.js';
import { LineageWorker, lineageYoungGenerationMb } from '../src/lineage/background.js';

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

test('docs generate warms the parser up only where no column_lineage.json will answer for the nodes', () => {
  const target = mkdtempSync(join(tmpdir(), 'kiln-warm-up-'));
  try {
    assert.equal(hasPreviousLineage(target), false);
    writeFileSync(join(target, 'column_lineage.json'), '{}');
    assert.equal(hasPreviousLineage(target), true);
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
});

test("the lineage worker's young generation is kept small (its garbage dies young; the room was peak memory)", async () => {
  const worker = new LineageWorker({ warmUp: false });
  try {
    assert.equal(worker.resourceLimits?.maxYoungGenerationSizeMb, lineageYoungGenerationMb);
  } finally {
    await worker.stop();
  }
});
