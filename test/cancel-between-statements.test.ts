/**
 * A cancellation that lands between two statements of a node on DuckDB (where interrupt()
 * stops only a running statement) is not lost: the node's next statement is refused, its
 * transaction rolled back and the old relation kept, while the on-run-end hooks still run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import type { Session } from '../src/adapters/types.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

/** Called after each statement a node's transaction runs, with its SQL. */
let afterStatement: (sql: string) => void = () => undefined;
/** The statements that ran. */
const sent: string[] = [];

registerAdapter('duckdb', async (target, projectDir) => {
  const adapter = new DuckDBAdapter(
    { ...(target.settings as unknown as DuckDBProfile), threads: target.threads },
    projectDir,
  );
  return new Proxy(adapter, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (prop === 'execute') return async (sql: string) => t.execute(sql).then((r) => (sent.push(sql), r));
      if (prop === 'transaction')
        return <T>(fn: (s: Session) => Promise<T>) =>
          t.transaction((s) =>
            fn({
              ...s,
              execute: async (sql: string) => {
                const result = await s.execute(sql);
                sent.push(sql);
                afterStatement(sql);
                return result;
              },
            }),
          );
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
});

const dir = writeProject(
  minimalProject({
    'dbt_project.yml': `name: tiny\nprofile: tiny\nconfig-version: 2\non-run-end: ["create or replace table run_end_marker as select '{{ invocation_id }}' as invocation"]\n`,
    'models/t.sql': "{{ config(materialized='table', pre_hook='select 41') }}\nselect 1 as v",
  }),
);
after(() => removeDir(dir));

// One thread keeps the node being built in the adapter, two in the async context (node-context.ts): both refuse.
for (const threads of [1, 2])
  test(`a cancel between the pre-hook and the create stops the node, keeps the old table, and on-run-end still runs (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
    writeFileSync(
      join(dir, 'models', 't.sql'),
      "{{ config(materialized='table', pre_hook='select 41') }}\nselect 1 as v",
    );
    assert.ok((await run({ projectDir: dir, threads })).success);
    writeFileSync(
      join(dir, 'models', 't.sql'),
      "{{ config(materialized='table', pre_hook='select 41') }}\nselect 2 as v",
    );
    const controller = new AbortController();
    // The signal arrives while no statement runs: right after the pre-hook, before the create.
    afterStatement = (sql) => sql === 'select 41' && controller.abort();
    sent.length = 0;
    const result = await run({ projectDir: dir, threads, signal: controller.signal });
    afterStatement = () => undefined;
    assert.equal(result.success, false);
    assert.equal(result.results[0]?.status, 'cancelled', result.results[0]?.message);
    assert.ok(!sent.some((s) => /^create table/i.test(s)), `nothing was created after the cancel: ${sent.join(' | ')}`);
    assert.deepEqual(
      await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select v from t'),
      [{ v: 1 }],
      'the old table stands',
    );
    assert.deepEqual(
      await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select invocation from run_end_marker'),
      [{ invocation: result.invocationId }],
      'on-run-end ran after the cancel',
    );
  });
