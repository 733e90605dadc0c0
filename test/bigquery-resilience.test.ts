/**
 * BigQuery with production data: cancellation that stops the job, incremental loads that are
 * all-or-nothing (their DML in one BEGIN/COMMIT TRANSACTION script), jobs under kiln's own ids
 * so that a lost answer or a 503 never starts a statement twice, paged results, and empty
 * results that keep their columns. The real @google-cloud/bigquery client against the REST
 * stand-in (PENDING/RUNNING/DONE jobs, jobs.cancel, transactional scripts, faults on demand),
 * inside a loopback-only network namespace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { BigQueryStandIn } from './helpers/bigquery-standin.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, run, seed, type RunResult } from '../src/index.js';
import { createAdapter } from '../src/adapters/factory.js';
import type { Adapter } from '../src/adapters/types.js';

isolatedSuite(import.meta.url, () => {
  const project = 'kiln-res';
  const standin = new BigQueryStandIn(project);
  let dir: string;
  let adapter: Adapter;

  const rowsSql = `{% if var('load', 1) == 1 %}
select 1 as id, 'a' as v union all select 2, 'b' union all select 3, 'c'
{% else %}
select 2 as id, 'B' as v union all select 3, 'C' union all select 4, 'd'
{% endif %}`;
  const incremental = (config: string) => `{{ config(materialized='incremental', ${config}) }}\n${rowsSql}`;
  const settings = () => ({
    type: 'bigquery',
    method: 'oauth-secrets',
    token: 'standin-token',
    project,
    dataset: 'res',
    job_retries: 1,
    api_endpoint: standin.endpoint,
  });

  before(async () => {
    await standin.start();
    dir = writeProject(
      minimalProject({
        'profiles.yml': `tiny:\n  target: bq\n  outputs:\n    bq:\n${Object.entries({ ...settings(), threads: 2 })
          .map(([k, v]) => `      ${k}: ${v}`)
          .join('\n')}\n`,
        'models/inc_append.sql': incremental("incremental_strategy='append'"),
        'models/inc_delete_insert.sql': incremental("incremental_strategy='delete+insert', unique_key='id'"),
        'models/inc_merge.sql': incremental("incremental_strategy='merge', unique_key='id'"),
        'models/inc_default.sql': incremental("unique_key='id'"),
        'models/inc_overwrite.sql': `{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by={'field': 'day', 'data_type': 'date'}) }}
{% if var('load', 1) == 1 %}
select 1 as id, date '2024-01-01' as day, 'a' as v union all select 2, date '2024-01-02', 'b'
{% else %}
select 3 as id, date '2024-01-02' as day, 'c' as v union all select 4, date '2024-01-03', 'd'
{% endif %}`,
        'models/events.sql': `{{ config(materialized='table', event_time='ts') }}
{% if var('load', 1) == 1 %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'a' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'b'
{% else %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'A' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'B' union all select 3, cast('2024-01-02 11:00:00' as timestamp), 'c'
{% endif %}`,
        'models/inc_micro.sql':
          "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }}\nselect id, ts, v from {{ ref('events') }}",
        'models/slow.sql': "{{ config(materialized='table') }}select 1 as id",
        'models/quick_fail.sql': "{{ config(materialized='table') }}select 1 as id",
      }),
    );
    adapter = await createAdapter(
      { profileName: 'tiny', targetName: 'bq', type: 'bigquery', threads: 1, settings: settings() },
      dir,
    );
    await adapter.open();
  });

  after(async () => {
    await adapter.close();
    await standin.stop();
    removeDir(dir);
  });

  const rel = (name: string) => `\`${project}\`.\`res\`.\`${name}\``;
  const table = async (name: string) =>
    (await standin.query(`select * from ${rel(name)} order by all`)).map((r) =>
      Object.values(r)
        .map((v) => (v instanceof Date ? v.toISOString().slice(0, 19) : String(v)))
        .join(':'),
    );
  const incrementals = ['inc_append', 'inc_delete_insert', 'inc_merge', 'inc_default', 'inc_micro', 'inc_overwrite'];
  const span = { eventTimeStart: '2024-01-01', eventTimeEnd: '2024-01-03' };
  const failures = (r: RunResult) =>
    r.results.filter((x) => x.status !== 'success').map((x) => `${x.uniqueId}: ${x.message}`);
  const loadOne: Record<string, string[]> = {
    inc_append: ['1:a', '2:b', '3:c'],
    inc_delete_insert: ['1:a', '2:b', '3:c'],
    inc_merge: ['1:a', '2:b', '3:c'],
    inc_default: ['1:a', '2:b', '3:c'],
    inc_micro: ['1:2024-01-01T10:00:00:a', '2:2024-01-02T10:00:00:b'],
    inc_overwrite: ['1:2024-01-01T00:00:00:a', '2:2024-01-02T00:00:00:b'],
  };

  test('the first load builds every incremental model', async () => {
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], ...span });
    assert.deepEqual(failures(r), []);
    for (const [name, rows] of Object.entries(loadOne)) assert.deepEqual(await table(name), rows, name);
  });

  test('with a unique_key and no strategy, BigQuery merges (as dbt-bigquery does), in a transaction script', async () => {
    const before = standin.queries.length;
    await run({ projectDir: dir, select: ['inc_default'], vars: { load: 1 } });
    const sent = standin.sql().slice(before);
    const merge = sent.find((s) => s.includes(`merge into ${rel('inc_default')}`));
    assert.match(merge ?? '', /^begin transaction;\nmerge into [\s\S]*;\ncommit transaction;$/);
    assert.ok(!sent.some((s) => s.includes(`delete from ${rel('inc_default')}`)));
  });

  test('a failure in the last statement of every incremental load leaves every table as it was', async () => {
    for (const name of ['inc_append', 'inc_delete_insert', 'inc_micro', 'inc_overwrite'])
      standin.failStatement({
        match: new RegExp(`^insert into \`${project}\`\\.\`res\`\\.\`${name}\` \\(`),
        message: `injected failure in ${name}`,
      });
    for (const name of ['inc_merge', 'inc_default'])
      standin.failStatement({
        match: new RegExp(`^merge into \`${project}\`\\.\`res\`\\.\`${name}\` `),
        message: `injected failure in ${name}`,
      });
    const before = standin.queries.length;
    const r = await run({ projectDir: dir, select: incrementals, vars: { load: 2 }, ...span });
    for (const id of incrementals)
      assert.equal(r.results.find((x) => x.uniqueId === `model.tiny.${id}`)?.status, 'error', id);
    for (const [name, rows] of Object.entries(loadOne))
      assert.deepEqual(await table(name), rows, `${name} is unchanged`);
    // The delete ran before the insert failed, in the same script and transaction.
    const script = standin.queries.slice(before).find((q) => q.sql.includes(`delete from ${rel('inc_delete_insert')}`));
    assert.match(
      script?.sql ?? '',
      /^begin transaction;\ndelete from [\s\S]*;\ninsert into [\s\S]*;\ncommit transaction;$/,
    );
    assert.equal(script?.state, 'failed');
    assert.deepEqual(
      await standin.query(`select table_name from information_schema.tables where table_name like '%kiln_tmp%'`),
      [],
      'no scratch table is left',
    );
  });

  test('a 503 or a dropped connection after the job ran never runs the statement twice', async () => {
    standin.failNext({
      match: new RegExp(`insert into ${rel('inc_append').replace(/[`.]/g, '\\$&')} \\(`),
      afterRun: true,
      status: 503,
      reason: 'backendError',
      message: 'Service unavailable',
    });
    standin.failNext({ match: new RegExp(`merge into ${rel('inc_merge').replace(/[`.]/g, '\\$&')} `), afterRun: true });
    standin.failNext({
      match: new RegExp(`delete from ${rel('inc_delete_insert').replace(/[`.]/g, '\\$&')} `),
      afterRun: true,
      status: 503,
      reason: 'backendError',
      message: 'Service unavailable',
    });
    standin.failNext({
      match: new RegExp(`delete from ${rel('inc_overwrite').replace(/[`.]/g, '\\$&')} `),
      afterRun: true,
    });
    const before = standin.queries.length;
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], vars: { load: 2 }, ...span });
    assert.deepEqual(failures(r), []);
    assert.deepEqual(await table('inc_append'), ['1:a', '2:B', '2:b', '3:C', '3:c', '4:d']);
    for (const name of ['inc_delete_insert', 'inc_merge', 'inc_default'])
      assert.deepEqual(await table(name), ['1:a', '2:B', '3:C', '4:d'], name);
    assert.deepEqual(await table('inc_micro'), [
      '1:2024-01-01T10:00:00:A',
      '2:2024-01-02T10:00:00:B',
      '3:2024-01-02T11:00:00:c',
    ]);
    assert.deepEqual(await table('inc_overwrite'), [
      '1:2024-01-01T00:00:00:a',
      '3:2024-01-02T00:00:00:c',
      '4:2024-01-03T00:00:00:d',
    ]);
    // One job ran the append; its insert was sent again under the same job id and refused (409).
    const appends = standin.queries.slice(before).filter((q) => q.sql.includes(`insert into ${rel('inc_append')}`));
    assert.equal(appends.length, 1, 'one job');
    const inserts = standin.requests.filter(
      (q) =>
        q.method === 'POST' &&
        /\/jobs$/.test(q.path) &&
        (q.body?.jobReference as { jobId?: string })?.jobId === appends[0]!.jobId,
    );
    assert.ok(inserts.length >= 2, `jobs.insert was sent again with the same id (${inserts.length})`);
  });

  test('cancelling a run stops the running job within a second', async (t) => {
    standin.failNext({
      match: new RegExp(`^create or replace table ${rel('slow').replace(/[`.]/g, '\\$&')}`),
      delayMs: 60_000,
    });
    const controller = new AbortController();
    const done = build({ projectDir: dir, select: ['slow'], signal: controller.signal });
    const running = await waitFor(() =>
      standin.queries.find((q) => q.sql.includes(rel('slow')) && q.state === 'RUNNING'),
    );
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    controller.abort();
    const r = await done;
    assert.equal(running.state, 'cancelled', 'the stand-in cancelled the job');
    assert.ok(running.endedAt! - abortedAt < 1000, `stopped ${running.endedAt! - abortedAt} ms after the abort`);
    t.diagnostic(`the warehouse stopped the job ${running.endedAt! - abortedAt} ms after the abort`);
    assert.ok(
      standin.requests.some((q) => q.method === 'POST' && q.path.endsWith(`/jobs/${running.jobId}/cancel`)),
      'jobs.cancel was called',
    );
    assert.equal(r.results.find((x) => x.uniqueId === 'model.tiny.slow')?.status, 'cancelled');
  });

  test('--fail-fast stops the other running job within a second', async () => {
    standin.failNext({
      match: new RegExp(`^create or replace table ${rel('slow').replace(/[`.]/g, '\\$&')}`),
      delayMs: 60_000,
    });
    standin.failNext({
      match: new RegExp(`^create or replace table ${rel('quick_fail').replace(/[`.]/g, '\\$&')}`),
      delayMs: 500,
      jobError: { reason: 'invalidQuery', message: 'injected: Bad double value' },
    });
    const started = Date.now();
    const r = await build({ projectDir: dir, select: ['slow', 'quick_fail'], failFast: true, threads: 2 });
    const slow = standin.queries.filter((q) => q.sql.includes(rel('slow'))).at(-1)!;
    assert.equal(slow.state, 'cancelled');
    assert.ok(Date.now() - started < 3000, `the build ended after ${Date.now() - started} ms`);
    assert.equal(r.success, false);
  });

  test('an empty result keeps its column names', async () => {
    const r = await adapter.execute('select 1 as a, 2 as b limit 0');
    assert.deepEqual(r.columns, ['a', 'b']);
    assert.deepEqual(r.rows, []);
  });

  test('results come in pages (maxResults, pageToken) and are read whole', async () => {
    standin.pageRows = 100;
    try {
      const before = standin.requests.length;
      const r = await adapter.execute('select i as n from range(250) t(i) order by i');
      assert.equal(r.rows.length, 250);
      assert.equal(r.rows[249]!.n, 249);
      const pages = standin.requests.slice(before).filter((q) => q.method === 'GET' && /\/queries\//.test(q.path));
      assert.deepEqual(
        pages.map((q) => q.query?.get('pageToken') ?? null),
        [null, '100', '200'],
      );
    } finally {
      standin.pageRows = 10_000;
    }
  });

  test('a seed whose rows fail to load leaves the old seed table as it was and no scratch table', async () => {
    mkdirSync(join(dir, 'seeds'), { recursive: true });
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n');
    assert.deepEqual(failures(await seed({ projectDir: dir })), []);
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n3,cy\n');
    standin.failStatement({
      match: new RegExp(`^insert into \`${project}\`\\.\`res\`\\.\`people__kiln_tmp\``),
      message: 'injected failure loading people',
    });
    const r = await seed({ projectDir: dir });
    assert.equal(r.results[0]?.status, 'error');
    assert.match(r.results[0]?.message ?? '', /injected failure loading people/);
    assert.deepEqual(await table('people'), ['1:ann', '2:bob']);
    assert.deepEqual(
      await standin.query(`select table_name from information_schema.tables where table_name like '%kiln_tmp%'`),
      [],
      'no scratch table is left',
    );
  });

  test('a failed SELECT job is started again under a new id; a failed DML job never is', async () => {
    standin.failNext({
      match: /select 41 as n/,
      jobError: { reason: 'backendError', message: 'injected backend error' },
    });
    const r = await adapter.execute('select 41 as n');
    assert.equal(r.rows[0]!.n, 41);
    const selects = standin.queries.filter((q) => q.sql === 'select 41 as n');
    assert.equal(selects.length, 2);
    assert.notEqual(selects[0]!.jobId, selects[1]!.jobId);
    await adapter.execute(`create or replace table ${rel('once')} (n INT64)`);
    standin.failNext({
      match: /insert into .*once/,
      jobError: { reason: 'backendError', message: 'injected backend error' },
    });
    await assert.rejects(adapter.execute(`insert into ${rel('once')} (n) values (1)`), /injected backend error/);
    assert.equal(
      standin.queries.filter((q) => q.sql.startsWith(`insert into ${rel('once')}`)).length,
      1,
      'the insert job was not started again',
    );
  });
});

async function waitFor<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
