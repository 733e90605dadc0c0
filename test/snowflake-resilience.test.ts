/**
 * Snowflake with production data: the resilience suite (resilience-suite.ts), where a lost
 * answer is asked for again by request id and DML runs in session transactions, then what is
 * Snowflake's own: multi-statement hooks, sessions renewed with the master token, key-pair
 * login and warehouse errors that are configuration. The real snowflake-sdk against the
 * protocol stand-in (real session transactions on DuckDB, DDL that commits, faults on
 * demand), inside a loopback-only network namespace.
 */
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { SnowflakeStandIn, snowflakeProfileYaml, type RecordedStatement } from './helpers/snowflake-standin.js';
import { resilienceSuite } from './resilience-suite.js';
import { run } from '../src/index.js';
import { createAdapter } from '../src/adapters/factory.js';
import { KilnError } from '../src/errors.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Resilient-789';
  const standin = new SnowflakeStandIn({ user: 'loader', password });
  const settings = (port = standin.port): Record<string, unknown> => ({
    type: 'snowflake',
    account: 'kiln_ci',
    user: 'loader',
    password,
    database: 'analytics',
    schema: 'res',
    host: '127.0.0.1',
    port,
    protocol: 'http',
  });
  const { dir, table, failures } = resilienceSuite<RecordedStatement>({
    name: 'Snowflake',
    unit: 'query',
    target: 'sf',
    async start() {
      await standin.start();
      await standin.query("attach if not exists ':memory:' as ANALYTICS");
      await standin.query('create schema if not exists ANALYTICS.RES');
      await standin.query('create table ANALYTICS.RES.HOOK_LOG (n integer)');
    },
    stop: () => standin.stop(),
    profile: () => snowflakeProfileYaml({ port: standin.port, user: 'loader', password, schema: 'res', threads: 2 }),
    settings,
    relation: (model) => `ANALYTICS.RES.${model.toUpperCase()}`,
    createTable: 'create or replace transient table',
    query: (sql) => standin.query(sql),
    statements: () => standin.statements,
    status: (s) => s.status,
    requestCount: () => standin.requests.length,
    failStatement: (match, message) => standin.failNext({ match, code: '100132', sqlState: '22000', message }),
    slowStatement: (match, delayMs, message) =>
      standin.failNext({ match, delayMs, ...(message ? { code: '100038', message } : {}) }),
    models: {
      'models/hooked.sql': `{{ config(materialized='table', post_hook="insert into {{ this.database }}.{{ this.schema }}.hook_log values (1); insert into {{ this.database }}.{{ this.schema }}.hook_log values (2)") }}
select 1 as id`,
    },
    merge: { statement: /^merge into ANALYTICS\.RES\.INC_DEFAULT / },
    assertRolledBack(ran) {
      // The delete of delete+insert did run, inside the transaction that was rolled back.
      const del = ran.find((s) => /^delete from ANALYTICS\.RES\.INC_DELETE_INSERT /.test(s.sql));
      assert.equal(del?.status, 'succeeded');
      assert.equal(del?.inTransaction, true, 'the delete ran inside a transaction');
      for (const s of ran.filter((x) => /^(insert into|merge into|delete from) ANALYTICS\.RES\.INC_/.test(x.sql)))
        assert.equal(s.inTransaction, true, s.sql);
    },
    lostAnswers: {
      how: 'by request id',
      inject(last) {
        for (const model of ['inc_append', 'inc_delete_insert', 'inc_merge', 'inc_default', 'inc_micro'])
          standin.failNext({ match: last(model), dropAfterRun: true });
        standin.failNext({ match: /^commit$/, dropAfterRun: true });
      },
      timesSent: (s, fromRequest) =>
        standin.requests
          .slice(fromRequest)
          .filter((q) => q.path === '/queries/v1/query-request' && q.query.get('requestId') === s.requestId).length,
    },
    parts: {
      how: 'partly inline, partly in chunks the driver downloads',
      setSize: (rows) => (standin.chunkRows = rows),
      assertFetched: (fromRequest) =>
        assert.equal(
          standin.requests.slice(fromRequest).filter((r) => r.path.startsWith('/chunks/')).length,
          2,
          'two chunks were downloaded',
        ),
    },
  });

  /** An adapter of the test's own on the stand-in, opened; closed when `use` is done. */
  async function withAdapter<T>(
    use: (a: Awaited<ReturnType<typeof createAdapter>>) => Promise<T>,
    target: Record<string, unknown> = settings(),
  ): Promise<T> {
    const a = await createAdapter(
      { profileName: 'tiny', targetName: 'sf', type: 'snowflake', threads: 1, settings: target },
      dir(),
    );
    try {
      await a.open();
      return await use(a);
    } finally {
      await a.close();
    }
  }

  test('a multi-statement hook is sent one statement at a time (Snowflake refuses two in one request)', async () => {
    const r = await run({ projectDir: dir(), select: ['hooked'] });
    assert.deepEqual(failures(r), []);
    assert.deepEqual(await table('hook_log'), ['1', '2']);
    await withAdapter(async (a) => {
      const out = await a.execute('select 1 as a; select 2 as b');
      assert.deepEqual(out.rows, [{ b: 2 }]);
      const sent = standin.sql().slice(-2);
      assert.deepEqual(sent, ['select 1 as a', 'select 2 as b']);
    });
  });

  test('an expired session is renewed with the master token, and the statement then runs', async () => {
    await withAdapter(async (a) => {
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
    });
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
    const keyFile = join(dir(), 'rsa_key.p8');
    try {
      const { password: _password, ...keyPair } = settings(keyed.port);
      const login = async (privateKey: string) => {
        writeFileSync(keyFile, privateKey);
        return withAdapter(async (a) => (await a.execute('select 1 as one')).rows, {
          ...keyPair,
          user: 'svc_loader',
          authenticator: 'snowflake_jwt',
          private_key_path: keyFile,
          connect_retries: 0,
        });
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

  test('no active warehouse (000606) is not retried: it is a configuration error', async () => {
    await withAdapter(async (a) => {
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
    });
  });
});
