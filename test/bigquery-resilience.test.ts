/**
 * BigQuery with production data: the resilience suite (resilience-suite.ts), where incremental
 * DML runs in one BEGIN/COMMIT TRANSACTION script and jobs run under kiln's own ids, so that a
 * lost answer or a 503 never starts a statement twice; then what is BigQuery's own:
 * insert_overwrite, empty results that keep their columns, and which failed jobs are started
 * again. The real @google-cloud/bigquery client against the REST stand-in
 * (PENDING/RUNNING/DONE jobs, jobs.cancel, transactional scripts, faults on demand), inside a
 * loopback-only network namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { BigQueryStandIn, type RecordedQuery } from './helpers/bigquery-standin.js';
import { literal, resilienceSuite } from './resilience-suite.js';

isolatedSuite(import.meta.url, () => {
  const project = 'kiln-res';
  const standin = new BigQueryStandIn(project);
  const settings = () => ({
    type: 'bigquery',
    method: 'oauth-secrets',
    token: 'standin-token',
    project,
    dataset: 'res',
    job_retries: 1,
    api_endpoint: standin.endpoint,
  });
  const rel = (name: string) => `\`${project}\`.\`res\`.\`${name}\``;

  const { adapter } = resilienceSuite<RecordedQuery>({
    name: 'BigQuery',
    unit: 'job',
    target: 'bq',
    start: () => standin.start(),
    stop: () => standin.stop(),
    profile: () =>
      `tiny:\n  target: bq\n  outputs:\n    bq:\n${Object.entries({ ...settings(), threads: 2 })
        .map(([k, v]) => `      ${k}: ${v}`)
        .join('\n')}\n`,
    settings,
    relation: rel,
    createTable: 'create or replace table',
    query: (sql) => standin.query(sql),
    statements: () => standin.queries,
    status: (q) => q.state.toLowerCase(),
    requestCount: () => standin.requests.length,
    failStatement: (match, message) => standin.failStatement({ match, message }),
    slowStatement: (match, delayMs, message) =>
      standin.failNext({ match, delayMs, ...(message ? { jobError: { reason: 'invalidQuery', message } } : {}) }),
    more: {
      models: {
        'models/inc_overwrite.sql': `{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by={'field': 'day', 'data_type': 'date'}) }}
{% if var('load', 1) == 1 %}
select 1 as id, date '2024-01-01' as day, 'a' as v union all select 2, date '2024-01-02', 'b'
{% else %}
select 3 as id, date '2024-01-02' as day, 'c' as v union all select 4, date '2024-01-03', 'd'
{% endif %}`,
      },
      incrementals: ['inc_overwrite'],
      loadOne: { inc_overwrite: ['1:2024-01-01T00:00:00:a', '2:2024-01-02T00:00:00:b'] },
      loadTwo: {
        inc_overwrite: ['1:2024-01-01T00:00:00:a', '3:2024-01-02T00:00:00:c', '4:2024-01-03T00:00:00:d'],
      },
    },
    merge: {
      statement: /^begin transaction;\nmerge into [\s\S]*;\ncommit transaction;$/,
      how: ', in a transaction script',
    },
    assertRolledBack(ran) {
      // The delete ran before the insert failed, in the same script and transaction.
      const script = ran.find((q) => q.sql.includes(`delete from ${rel('inc_delete_insert')}`));
      assert.match(
        script?.sql ?? '',
        /^begin transaction;\ndelete from [\s\S]*;\ninsert into [\s\S]*;\ncommit transaction;$/,
      );
      assert.equal(script?.state, 'failed');
    },
    lostAnswers: {
      how: 'under the same job id after a 503 or a dropped connection',
      inject() {
        const unavailable = { afterRun: true, status: 503, reason: 'backendError', message: 'Service unavailable' };
        standin.failNext({ match: new RegExp(`insert into ${literal(rel('inc_append'))} \\(`), ...unavailable });
        standin.failNext({ match: new RegExp(`merge into ${literal(rel('inc_merge'))} `), afterRun: true });
        standin.failNext({ match: new RegExp(`delete from ${literal(rel('inc_delete_insert'))} `), ...unavailable });
        standin.failNext({ match: new RegExp(`delete from ${literal(rel('inc_overwrite'))} `), afterRun: true });
      },
      // Sent again under the same job id, and refused (409): one job ran.
      timesSent: (q, fromRequest) =>
        standin.requests
          .slice(fromRequest)
          .filter(
            (r) =>
              r.method === 'POST' &&
              /\/jobs$/.test(r.path) &&
              (r.body?.jobReference as { jobId?: string })?.jobId === q.jobId,
          ).length,
    },
    assertCancelRequested: (q) =>
      assert.ok(
        standin.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/jobs/${q.jobId}/cancel`)),
        'jobs.cancel was called',
      ),
    parts: {
      how: 'pages: maxResults, pageToken',
      setSize: (rows) => (standin.pageRows = rows),
      assertFetched: (fromRequest) =>
        assert.deepEqual(
          standin.requests
            .slice(fromRequest)
            .filter((q) => q.method === 'GET' && /\/queries\//.test(q.path))
            .map((q) => q.query?.get('pageToken') ?? null),
          [null, '100', '200'],
        ),
    },
  });

  test('an empty result keeps its column names', async () => {
    const r = await adapter().execute('select 1 as a, 2 as b limit 0');
    assert.deepEqual(r.columns, ['a', 'b']);
    assert.deepEqual(r.rows, []);
  });

  test('a failed SELECT job is started again under a new id; a failed DML job never is', async () => {
    standin.failNext({
      match: /select 41 as n/,
      jobError: { reason: 'backendError', message: 'injected backend error' },
    });
    const r = await adapter().execute('select 41 as n');
    assert.equal(r.rows[0]!.n, 41);
    const selects = standin.queries.filter((q) => q.sql === 'select 41 as n');
    assert.equal(selects.length, 2);
    assert.notEqual(selects[0]!.jobId, selects[1]!.jobId);
    await adapter().execute(`create or replace table ${rel('once')} (n INT64)`);
    standin.failNext({
      match: /insert into .*once/,
      jobError: { reason: 'backendError', message: 'injected backend error' },
    });
    await assert.rejects(adapter().execute(`insert into ${rel('once')} (n) values (1)`), /injected backend error/);
    assert.equal(
      standin.queries.filter((q) => q.sql.startsWith(`insert into ${rel('once')}`)).length,
      1,
      'the insert job was not started again',
    );
  });
});
