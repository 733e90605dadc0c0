/**
 * After `kill -9` of a run, PostgreSQL keeps running the queries it had sent. The next run
 * finds the queries of runs that are gone (connections carry the invocation in
 * application_name; a live run holds its invocation's lock), says so and stops them, instead
 * of waiting on their locks in silence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, kilnBin, removeDir, writeProject } from './helpers/cli.js';

const schema = `kiln_kill_${randomBytes(4).toString('hex')}`;
const db = postgresForTests(schema);

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await db.pg.execute(sql)).rows;
}

/** Starts `kiln run` and kills it with SIGKILL once the slow model's query is running. */
async function killedMidQuery(dir: string): Promise<void> {
  const child = spawn(process.execPath, [kilnBin, '--log-format', 'json', 'run', '--project-dir', dir], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', HOME: tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"node_started"') && out.includes('model.killed.slow')) resolve();
    }),
  );
  for (let i = 0; i < 100; i++) {
    if (
      (
        await rows(
          `select 1 from pg_stat_activity where query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()`,
        )
      ).length
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  await exited;
}

test(
  'PostgreSQL: the next run stops the queries a killed run left running, and says so',
  { timeout: 120_000 },
  async () => {
    await db.ready;
    const dir = writeProject({
      'dbt_project.yml': 'name: killed\nprofile: killed\nconfig-version: 2\n',
      // client_connection_check_interval 0: the server does not notice the client is gone (as
      // after a crash or a network partition), so only the next run can stop the query.
      'profiles.yml': postgresProfileYaml('killed', db.server, schema, 2).replace(
        'threads: 2',
        'threads: 2\n      client_connection_check_interval: 0',
      ),
      'models/src.sql': "{{ config(materialized='table') }}\nselect 1 as id",
      // Reads src for a minute: its query holds a lock on src that a rebuild of src waits for.
      'models/slow.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('src') }}, pg_sleep(60)",
    });
    try {
      await killedMidQuery(dir);
      assert.equal(
        (
          await rows(
            `select 1 from pg_stat_activity where query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()`,
          )
        ).length,
        1,
        'the dead run’s query is still running',
      );
      writeFileSync(
        join(dir, 'models/slow.sql'),
        "{{ config(materialized='table') }}\nselect id from {{ ref('src') }}",
      );
      const started = Date.now();
      const r = kiln(['run', '--project-dir', dir]);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(seconds < 20, `the next run waited ${seconds.toFixed(1)} s for the dead run's query`);
      assert.match(
        r.stdout + r.stderr,
        /stopped a query of kiln invocation [0-9a-f]{8} \(pid \d+ on [^)]+\), which is no longer running: create table/,
      );
      assert.deepEqual(
        await rows(`select 1 from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`),
        [],
      );
      assert.deepEqual(await rows(`select id from "${schema}".slow`), [{ id: 1 }]);
    } finally {
      removeDir(dir);
    }
  },
);

test(
  'PostgreSQL: by default the server itself stops a killed run’s query within seconds',
  { timeout: 120_000 },
  async () => {
    await db.ready;
    const dir = writeProject({
      'dbt_project.yml': 'name: killed\nprofile: killed\nconfig-version: 2\n',
      'profiles.yml': postgresProfileYaml('killed', db.server, schema, 2),
      'models/src.sql': "{{ config(materialized='table') }}\nselect 1 as id",
      'models/slow.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('src') }}, pg_sleep(60)",
    });
    try {
      await killedMidQuery(dir);
      const killedAt = Date.now();
      let gone = false;
      while (Date.now() - killedAt < 10_000) {
        if (
          !(await rows(`select 1 from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`))
            .length
        ) {
          gone = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(gone, 'the query of the killed run was still running 10 s later');
    } finally {
      removeDir(dir);
    }
  },
);
