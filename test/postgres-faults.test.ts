/**
 * Fault injection on a real PostgreSQL server: the backend running a model is terminated
 * mid-run (as an administrator or a failover would), and kiln's retry of transient failures
 * builds the model on its next attempt.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { run } from '../src/index.js';
import { PostgresAdapter } from '../src/adapters/postgres/index.js';
import {
  startPostgres,
  postgresProfileYaml,
  postgresSettings,
  type PostgresServer,
} from './helpers/postgres-server.js';
import { writeProject, removeDir } from './helpers/cli.js';

let server: PostgresServer;
const schema = `kiln_faults_${randomBytes(4).toString('hex')}`;

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

test('a terminated backend is a transient failure: the model is retried and built', async () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: faults\nprofile: faults\nmodels:\n  faults:\n    +retries: 2\n    +retry_backoff: 0.1\n',
    'profiles.yml': postgresProfileYaml('faults', server, schema),
    'models/slow.sql': "{{ config(materialized='table') }}select 7 as id from (select pg_sleep(1.5)) as s",
  });
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
  });
  await admin.connect();
  let killed = 0;
  try {
    const r = await run({
      projectDir: dir,
      onEvent: (e) => {
        if (e.type !== 'started' || killed) return;
        killed++;
        setTimeout(() => {
          void admin.query(
            `select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(1.5)%' and pid <> pg_backend_pid()`,
          );
        }, 500);
      },
    });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.equal(r.results[0]!.attempts, 2, 'the first attempt was cut off, the second built the table');
    const adapter = new PostgresAdapter(postgresSettings(server, schema));
    await adapter.open();
    try {
      assert.deepEqual(
        (await adapter.execute(`select id from ${adapter.relation(server.database, schema, 'slow').render()}`)).rows,
        [{ id: 7 }],
      );
    } finally {
      await adapter.close();
    }
  } finally {
    await admin.end();
    removeDir(dir);
  }
});
