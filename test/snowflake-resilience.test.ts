/**
 * Snowflake with production data: cancellation that stops the warehouse's query, incremental
 * loads that are all-or-nothing, statements whose lost answers are asked for again without
 * running them twice, and multi-statement hooks. The real snowflake-sdk against the protocol
 * stand-in (real session transactions on DuckDB, DDL that commits, faults on demand), inside
 * a loopback-only network namespace.
 */
import { test, before, after } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { SnowflakeStandIn, snowflakeProfileYaml } from './helpers/snowflake-standin.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, run, seed, type RunResult } from '../src/index.js';
import { createAdapter } from '../src/adapters/factory.js';
import { KilnError } from '../src/errors.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Resilient-789';
  const standin = new SnowflakeStandIn({ user: 'loader', password });
  let dir: string;

  /** Two loads of the same keys: the second changes 2 and 3 and adds 4. */
  const rowsSql = `{% if var('load', 1) == 1 %}
select 1 as id, 'a' as v union all select 2, 'b' union all select 3, 'c'
{% else %}
select 2 as id, 'B' as v union all select 3, 'C' union all select 4, 'd'
{% endif %}`;
  const incremental = (config: string) => `{{ config(materialized='incremental', ${config}) }}\n${rowsSql}`;

  const profile = (port: number) => snowflakeProfileYaml({ port, user: 'loader', password, schema: 'res', threads: 2 });

  before(async () => {
    await standin.start();
    dir = writeProject(
      minimalProject({
        'profiles.yml': profile(standin.port),
        'models/inc_append.sql': incremental("incremental_strategy='append'"),
        'models/inc_delete_insert.sql': incremental("incremental_strategy='delete+insert', unique_key='id'"),
        'models/inc_merge.sql': incremental("incremental_strategy='merge', unique_key='id'"),
        'models/inc_default.sql': incremental("unique_key='id'"),
        'models/events.sql': `{{ config(materialized='table', event_time='ts') }}
{% if var('load', 1) == 1 %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'a' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'b'
{% else %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'A' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'B' union all select 3, cast('2024-01-02 11:00:00' as timestamp), 'c'
{% endif %}`,
        'models/inc_micro.sql':
          "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }}\nselect id, ts, v from {{ ref('events') }}",
        'models/hooked.sql': `{{ config(materialized='table', post_hook="insert into {{ this.database }}.{{ this.schema }}.hook_log values (1); insert into {{ this.database }}.{{ this.schema }}.hook_log values (2)") }}
select 1 as id`,
        'models/slow.sql': "{{ config(materialized='table') }}select 1 as id",
        'models/quick_fail.sql': "{{ config(materialized='table') }}select 1 as id",
      }),
    );
    await standin.query("attach if not exists ':memory:' as ANALYTICS");
    await standin.query('create schema if not exists ANALYTICS.RES');
    await standin.query('create table ANALYTICS.RES.HOOK_LOG (n integer)');
  });

  after(async () => {
    await standin.stop();
    removeDir(dir);
  });

  const table = async (name: string) =>
    (await standin.query(`select * from ANALYTICS.RES.${name} order by all`)).map((r) =>
      Object.values(r)
        .map((v) => (v instanceof Date ? v.toISOString().slice(0, 19) : String(v)))
        .join(':'),
    );
  const incrementals = ['inc_append', 'inc_delete_insert', 'inc_merge', 'inc_default', 'inc_micro'];
  const span = { eventTimeStart: '2024-01-01', eventTimeEnd: '2024-01-03' };
  const failures = (r: RunResult) =>
    r.results.filter((x) => x.status !== 'success').map((x) => `${x.uniqueId}: ${x.message}`);

  const loadOne = {
    INC_APPEND: ['1:a', '2:b', '3:c'],
    INC_DELETE_INSERT: ['1:a', '2:b', '3:c'],
    INC_MERGE: ['1:a', '2:b', '3:c'],
    INC_DEFAULT: ['1:a', '2:b', '3:c'],
    INC_MICRO: ['1:2024-01-01T10:00:00:a', '2:2024-01-02T10:00:00:b'],
  };

  test('the first load builds every incremental model', async () => {
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], ...span });
    assert.deepEqual(failures(r), []);
    for (const [name, rows] of Object.entries(loadOne)) assert.deepEqual(await table(name), rows, name);
  });

  test('with a unique_key and no strategy, Snowflake merges (as dbt-snowflake does)', async () => {
    const before = standin.statements.length;
    await run({ projectDir: dir, select: ['inc_default'], vars: { load: 1 } });
    const sent = standin.sql().slice(before);
    assert.ok(
      sent.some((s) => /^merge into ANALYTICS\.RES\.INC_DEFAULT /.test(s)),
      sent.join('\n'),
    );
    assert.ok(!sent.some((s) => /^delete from ANALYTICS\.RES\.INC_DEFAULT /.test(s)));
  });

  test('a failure in the last statement of every incremental load leaves every table as it was', async () => {
    // The statement that changes the target last: for delete+insert the insert after the delete.
    const last: Record<string, RegExp> = {
      INC_APPEND: /^insert into ANALYTICS\.RES\.INC_APPEND \(/,
      INC_DELETE_INSERT: /^insert into ANALYTICS\.RES\.INC_DELETE_INSERT \(/,
      INC_MERGE: /^merge into ANALYTICS\.RES\.INC_MERGE /,
      INC_DEFAULT: /^merge into ANALYTICS\.RES\.INC_DEFAULT /,
      INC_MICRO: /^insert into ANALYTICS\.RES\.INC_MICRO \(/,
    };
    for (const match of Object.values(last))
      standin.failNext({ match, code: '100132', sqlState: '22000', message: 'injected: JavaScript execution error' });
    const before = standin.statements.length;
    const r = await run({ projectDir: dir, select: incrementals, vars: { load: 2 }, ...span });
    for (const id of incrementals)
      assert.equal(r.results.find((x) => x.uniqueId === `model.tiny.${id}`)?.status, 'error', id);
    for (const [name, rows] of Object.entries(loadOne))
      assert.deepEqual(await table(name), rows, `${name} is unchanged`);
    // The delete of delete+insert did run, inside the transaction that was rolled back.
    const ran = standin.statements.slice(before);
    const del = ran.find((s) => /^delete from ANALYTICS\.RES\.INC_DELETE_INSERT /.test(s.sql));
    assert.equal(del?.status, 'succeeded');
    assert.equal(del?.inTransaction, true, 'the delete ran inside a transaction');
    for (const s of ran.filter((x) => /^(insert into|merge into|delete from) ANALYTICS\.RES\.INC_/.test(x.sql)))
      assert.equal(s.inTransaction, true, s.sql);
    assert.deepEqual(
      await standin.query(`select table_name from information_schema.tables where table_name ilike '%kiln_tmp%'`),
      [],
      'no scratch table is left',
    );
  });

  test('a seed whose rows fail to load leaves the old seed table as it was and no scratch table', async () => {
    mkdirSync(join(dir, 'seeds'), { recursive: true });
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n');
    assert.deepEqual(failures(await seed({ projectDir: dir })), []);
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n3,cy\n');
    standin.failNext({
      match: /^insert into ANALYTICS\.RES\.PEOPLE__KILN_TMP /,
      code: '100038',
      sqlState: '22018',
      message: 'injected: Numeric value is not recognized',
    });
    const r = await seed({ projectDir: dir });
    assert.equal(r.results[0]?.status, 'error');
    assert.match(r.results[0]?.message ?? '', /Numeric value is not recognized/);
    assert.deepEqual(await table('PEOPLE'), ['1:ann', '2:bob']);
    assert.deepEqual(
      await standin.query(`select table_name from information_schema.tables where table_name ilike '%kiln_tmp%'`),
      [],
      'no scratch table is left',
    );
  });

  test('an answer lost after the statement committed is asked for again by request id, never run twice', async () => {
    const lost = [
      /^insert into ANALYTICS\.RES\.INC_APPEND \(/,
      /^insert into ANALYTICS\.RES\.INC_DELETE_INSERT \(/,
      /^merge into ANALYTICS\.RES\.INC_MERGE /,
      /^merge into ANALYTICS\.RES\.INC_DEFAULT /,
      /^insert into ANALYTICS\.RES\.INC_MICRO \(/,
      /^commit$/,
    ];
    for (const match of lost) standin.failNext({ match, dropAfterRun: true });
    const before = standin.statements.length;
    const beforeRequests = standin.requests.length;
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], vars: { load: 2 }, ...span });
    assert.deepEqual(failures(r), []);
    assert.deepEqual(await table('INC_APPEND'), ['1:a', '2:B', '2:b', '3:C', '3:c', '4:d']);
    for (const name of ['INC_DELETE_INSERT', 'INC_MERGE', 'INC_DEFAULT'])
      assert.deepEqual(await table(name), ['1:a', '2:B', '3:C', '4:d'], name);
    assert.deepEqual(await table('INC_MICRO'), [
      '1:2024-01-01T10:00:00:A',
      '2:2024-01-02T10:00:00:B',
      '3:2024-01-02T11:00:00:c',
    ]);
    // Each DML ran once, though it was asked for more than once.
    const ran = standin.statements
      .slice(before)
      .filter((s) => /^insert into ANALYTICS\.RES\.INC_APPEND \(/.test(s.sql));
    assert.equal(ran.length, 1);
    const asked = standin.requests
      .slice(beforeRequests)
      .filter((q) => q.path === '/queries/v1/query-request' && q.query.get('requestId') === ran[0]!.requestId);
    assert.ok(asked.length >= 2, `the request was sent again (${asked.length})`);
  });

  test('cancelling a run stops the running query on the warehouse within a second', async (t) => {
    standin.failNext({ match: /^create or replace transient table ANALYTICS\.RES\.SLOW /, delayMs: 60_000 });
    const controller = new AbortController();
    const done = build({ projectDir: dir, select: ['slow'], signal: controller.signal });
    const running = await waitFor(() =>
      standin.statements.find((s) => /ANALYTICS\.RES\.SLOW /.test(s.sql) && s.status === 'running'),
    );
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    controller.abort();
    const r = await done;
    assert.equal(running.status, 'cancelled', 'the stand-in cancelled the query');
    assert.ok(running.endedAt! - abortedAt < 1000, `stopped ${running.endedAt! - abortedAt} ms after the abort`);
    t.diagnostic(`the warehouse stopped the query ${running.endedAt! - abortedAt} ms after the abort`);
    assert.ok(Date.now() - abortedAt < 2000);
    assert.equal(r.results.find((x) => x.uniqueId === 'model.tiny.slow')?.status, 'cancelled');
  });

  test('--fail-fast stops the other running query within a second', async () => {
    standin.failNext({ match: /^create or replace transient table ANALYTICS\.RES\.SLOW /, delayMs: 60_000 });
    standin.failNext({
      match: /^create or replace transient table ANALYTICS\.RES\.QUICK_FAIL /,
      delayMs: 500,
      code: '100038',
      message: 'injected conversion error',
    });
    const started = Date.now();
    const r = await build({ projectDir: dir, select: ['slow', 'quick_fail'], failFast: true, threads: 2 });
    const slow = standin.statements.filter((s) => /ANALYTICS\.RES\.SLOW /.test(s.sql)).at(-1)!;
    assert.equal(slow.status, 'cancelled');
    assert.ok(Date.now() - started < 3000, `the build ended after ${Date.now() - started} ms`);
    assert.equal(r.success, false);
  });

  test('a multi-statement hook is sent one statement at a time (Snowflake refuses two in one request)', async () => {
    const r = await run({ projectDir: dir, select: ['hooked'] });
    assert.deepEqual(failures(r), []);
    assert.deepEqual(await table('HOOK_LOG'), ['1', '2']);
    const a = await createAdapter(
      {
        profileName: 'tiny',
        targetName: 'sf',
        type: 'snowflake',
        threads: 1,
        settings: {
          type: 'snowflake',
          account: 'kiln_ci',
          user: 'loader',
          password,
          database: 'analytics',
          schema: 'res',
          host: '127.0.0.1',
          port: standin.port,
          protocol: 'http',
        },
      },
      dir,
    );
    await a.open();
    try {
      const out = await a.execute('select 1 as a; select 2 as b');
      assert.deepEqual(out.rows, [{ b: 2 }]);
      const sent = standin.sql().slice(-2);
      assert.deepEqual(sent, ['select 1 as a', 'select 2 as b']);
    } finally {
      await a.close();
    }
  });

  test('an expired session is renewed with the master token, and the statement then runs', async () => {
    const a = await createAdapter(
      {
        profileName: 'tiny',
        targetName: 'sf',
        type: 'snowflake',
        threads: 1,
        settings: {
          type: 'snowflake',
          account: 'kiln_ci',
          user: 'loader',
          password,
          database: 'analytics',
          schema: 'res',
          host: '127.0.0.1',
          port: standin.port,
          protocol: 'http',
        },
      },
      dir,
    );
    await a.open();
    try {
      const logins = standin.requests.filter((r) => r.path === '/session/v1/login-request').length;
      standin.expireSessions();
      const out = await a.execute('select 7 as n');
      assert.deepEqual(out.rows, [{ n: 7 }]);
      assert.ok(
        standin.requests.some((r) => r.path === '/session/token-request'),
        'the driver renewed the session',
      );
      assert.equal(
        standin.requests.filter((r) => r.path === '/session/v1/login-request').length,
        logins,
        'without logging in again',
      );
    } finally {
      await a.close();
    }
  });

  test('key-pair login: the JWT the driver signs is verified against the public key; another key is refused', async () => {
    const key = () =>
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
    const registered = key();
    const keyed = new SnowflakeStandIn({
      user: 'svc_loader',
      password: 'unused-password',
      publicKey: registered.publicKey,
    });
    await keyed.start();
    const keyFile = join(dir, 'rsa_key.p8');
    try {
      const login = async (privateKey: string) => {
        writeFileSync(keyFile, privateKey);
        const a = await createAdapter(
          {
            profileName: 'tiny',
            targetName: 'sf',
            type: 'snowflake',
            threads: 1,
            settings: {
              type: 'snowflake',
              account: 'kiln_ci',
              user: 'svc_loader',
              authenticator: 'snowflake_jwt',
              private_key_path: keyFile,
              database: 'analytics',
              schema: 'res',
              host: '127.0.0.1',
              port: keyed.port,
              protocol: 'http',
              connect_retries: 0,
            },
          },
          dir,
        );
        try {
          await a.open();
          return (await a.execute('select 1 as one')).rows;
        } finally {
          await a.close();
        }
      };
      assert.deepEqual(await login(registered.privateKey), [{ one: 1 }]);
      const body = keyed.requests.find((r) => r.path === '/session/v1/login-request')!.body as {
        data: Record<string, unknown>;
      };
      assert.equal(body.data.AUTHENTICATOR, 'SNOWFLAKE_JWT');
      assert.equal(body.data.PASSWORD, undefined, 'no password is sent');
      const err = await login(key().privateKey).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof KilnError, String(err));
      assert.equal(err.kind, 'connection');
      assert.match(err.message, /JWT token is invalid/);
    } finally {
      await keyed.stop();
    }
  });

  test('a large result comes partly inline and partly in chunks the driver downloads; kiln reads it whole', async () => {
    const a = await createAdapter(
      {
        profileName: 'tiny',
        targetName: 'sf',
        type: 'snowflake',
        threads: 1,
        settings: {
          type: 'snowflake',
          account: 'kiln_ci',
          user: 'loader',
          password,
          database: 'analytics',
          schema: 'res',
          host: '127.0.0.1',
          port: standin.port,
          protocol: 'http',
        },
      },
      dir,
    );
    await a.open();
    standin.chunkRows = 100;
    try {
      const before = standin.requests.length;
      const out = await a.execute('select i as n from range(250) t(i) order by i');
      assert.equal(out.rows.length, 250);
      assert.deepEqual(
        out.rows.slice(98, 102).map((r) => r.n),
        [98, 99, 100, 101],
      );
      assert.equal(out.rows[249]!.n, 249);
      assert.equal(
        standin.requests.slice(before).filter((r) => r.path.startsWith('/chunks/')).length,
        2,
        'two chunks were downloaded',
      );
    } finally {
      standin.chunkRows = 10_000;
      await a.close();
    }
  });

  test('no active warehouse (000606) is not retried: it is a configuration error', async () => {
    const a = await createAdapter(
      {
        profileName: 'tiny',
        targetName: 'sf',
        type: 'snowflake',
        threads: 1,
        settings: {
          type: 'snowflake',
          account: 'kiln_ci',
          user: 'loader',
          password,
          database: 'analytics',
          schema: 'res',
          host: '127.0.0.1',
          port: standin.port,
          protocol: 'http',
        },
      },
      dir,
    );
    await a.open();
    try {
      standin.failNext({
        match: /select 606/,
        code: '000606',
        sqlState: '57P03',
        message: 'No active warehouse selected in the current session.',
      });
      const err = await a.execute('select 606').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof KilnError);
      assert.equal(err.retryable, false);
      assert.match(err.hint ?? '', /warehouse/);
      assert.equal(standin.sql().filter((s) => s === 'select 606').length, 1);
    } finally {
      await a.close();
    }
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
