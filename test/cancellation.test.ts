import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnAsync, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const slowSql = "{{ config(materialized='table') }}select count(*) as n from range(400000000000) a(i) where i % 7 = 3";

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} during a build cancels the running query, keeps the old table, writes run_results and exits ${code}`, async () => {
    const dir = writeProject(
      minimalProject({
        'models/slow.sql': "{{ config(materialized='table') }}select 42 as n",
        'models/after_slow.sql': "select * from {{ ref('slow') }}",
      }),
    );
    try {
      assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
      writeFileSync(join(dir, 'models/slow.sql'), slowSql);
      const child = kilnAsync(['--log-format', 'json', 'run', '--project-dir', dir], { cwd: dir });
      let out = '';
      const started = new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"node_started"')) resolve();
        }),
      );
      await started;
      await new Promise((r) => setTimeout(r, 300));
      const sentAt = Date.now();
      child.kill(signal);
      const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(exit, code);
      assert.ok(Date.now() - sentAt < 10_000, 'the running query was interrupted, not waited for');
      const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
        unique_id: string;
        status: string;
        adapter_response: { kiln_status?: string };
      }>;
      const by = new Map(results.map((r) => [r.unique_id, r.status]));
      // dbt's statuses have no `cancelled`: an error, marked as cancelled in adapter_response.
      assert.equal(by.get('model.tiny.slow'), 'error');
      assert.equal(results.find((r) => r.unique_id === 'model.tiny.slow')?.adapter_response.kiln_status, 'cancelled');
      assert.equal(by.get('model.tiny.after_slow'), 'skipped');
      const db = join(dir, 'target', 'kiln.duckdb');
      assert.deepEqual(await queryDuckDB(db, 'select n from slow'), [{ n: 42 }], 'the previous table is intact');
      assert.deepEqual(
        await queryDuckDB(db, `select table_name from information_schema.tables where table_name like '%kiln_tmp%'`),
        [],
      );
    } finally {
      removeDir(dir);
    }
  });
}

test('after a crash, the next run drops relations a killed run left behind', async () => {
  const dir = writeProject(minimalProject({ 'models/a.sql': "{{ config(materialized='table') }}select 1 as id" }));
  try {
    assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
    const db = join(dir, 'target', 'kiln.duckdb');
    // What a kill -9 between statements would leave.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(db, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const c = await inst.connect();
    await c.run(
      'create table main.a__kiln_tmp as select 2 as id; create table main.a__kiln_audit as select 3 as id; create table main.a__kiln_quarantine as select 4 as id',
    );
    c.closeSync();
    inst.closeSync();
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /dropped "kiln"\."main"\."a__kiln_tmp", left behind by an interrupted run/);
    const names = (await queryDuckDB(db, `select table_name from information_schema.tables order by 1`)).map(
      (x) => x.table_name,
    );
    assert.deepEqual(names, ['a', 'a__kiln_quarantine'], 'quarantined data is kept on purpose');
  } finally {
    removeDir(dir);
  }
});
