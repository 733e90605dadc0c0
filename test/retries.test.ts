import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, registerAdapter, KilnError } from '../src/index.js';
import { DuckDBAdapter } from '../src/adapters/duckdb/index.js';
import type { Session } from '../src/adapters/types.js';
import { writeProject, removeDir } from './helpers/cli.js';

/**
 * Fault injection through the public adapter registry: a real DuckDB adapter whose
 * statements containing a marker fail with a transient (retryable) error a set number of times.
 */
let failuresLeft = 0;
function maybeFail(sql: string): void {
  if (sql.includes('flaky_marker') && failuresLeft > 0) {
    failuresLeft--;
    throw new KilnError('connection', 'connection reset by peer (injected)', { retryable: true });
  }
}
class FlakyDuckDB extends DuckDBAdapter {
  override async execute(sql: string) {
    maybeFail(sql);
    return super.execute(sql);
  }
  override transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    return super.transaction((s) =>
      fn({
        execute: async (sql) => {
          maybeFail(sql);
          return s.execute(sql);
        },
      }),
    );
  }
}
registerAdapter(
  'flaky_duckdb',
  async (target, projectDir) =>
    new FlakyDuckDB({ type: 'duckdb', path: String(target.settings.path), threads: target.threads }, projectDir),
);

const project = (retriesConfig: string) =>
  writeProject({
    'dbt_project.yml': `name: flaky\nprofile: flaky\nmodels:\n  flaky:\n${retriesConfig}`,
    'profiles.yml': 'flaky:\n  target: dev\n  outputs:\n    dev:\n      type: flaky_duckdb\n      path: flaky.duckdb\n',
    'models/m.sql': "{{ config(materialized='table') }}select 1 as flaky_marker",
    'models/broken.sql': 'select * from missing_relation',
  });

test('a node that fails transiently twice then passes succeeds on its third attempt', async () => {
  const dir = project('    +retries: 3\n    +retry_backoff: 0.01\n');
  try {
    failuresLeft = 2;
    const logs: string[] = [];
    const r = await run({ projectDir: dir, select: ['m'], onLog: (_l, m) => logs.push(m) });
    assert.equal(r.success, true);
    assert.equal(r.results[0]!.attempts, 3);
    assert.equal(logs.filter((l) => /transient failure \(attempt \d\), retrying/.test(l)).length, 2);
    const saved = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
    // dbt's run_results has no field for it: kiln records it in the open adapter_response.
    assert.equal(saved.results[0].adapter_response.kiln_attempts, 3);
  } finally {
    removeDir(dir);
  }
});

test('retries run out: the node errors after retries + 1 attempts; SQL errors are never retried', async () => {
  const dir = project('');
  try {
    failuresLeft = 5;
    const r = await run({ projectDir: dir, retries: 1 });
    const by = new Map(r.results.map((x) => [x.uniqueId, x]));
    assert.equal(by.get('model.flaky.m')!.status, 'error');
    assert.equal(by.get('model.flaky.m')!.attempts, 2);
    assert.match(by.get('model.flaky.m')!.message, /connection reset/);
    assert.equal(by.get('model.flaky.broken')!.status, 'error');
    assert.equal(by.get('model.flaky.broken')!.attempts, 1, 'a SQL error is not retried');
  } finally {
    removeDir(dir);
  }
});
