/**
 * The Snowflake adapter through the real snowflake-sdk, against the protocol stand-in
 * (test/helpers/snowflake-standin.ts) on 127.0.0.1, inside a loopback-only network namespace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { SnowflakeStandIn } from './helpers/snowflake-standin.js';
import { KilnError } from '../src/errors.js';
import type { SnowflakeAdapter, SnowflakeProfile } from '../src/adapters/snowflake/index.js';
import type { Session } from '../src/adapters/types.js';
import { rejectsKiln } from './helpers/assertions.js';

isolatedSuite(import.meta.url, () => {
  const password = 'pw-Secret-123';
  const standin = new SnowflakeStandIn({ user: 'kiln_user', password });
  const adapters: SnowflakeAdapter[] = [];

  before(async () => {
    await standin.start();
  });
  after(async () => {
    for (const a of adapters) await a.close();
    await standin.stop();
  });

  const profile = (overrides: Partial<SnowflakeProfile> = {}): SnowflakeProfile => ({
    type: 'snowflake',
    account: 'kiln_test_account',
    user: 'kiln_user',
    password,
    role: 'TRANSFORMER',
    warehouse: 'TRANSFORMING',
    database: 'analytics',
    schema: 'dev',
    threads: 2,
    query_tag: 'kiln-tests',
    host: '127.0.0.1',
    port: standin.port,
    protocol: 'http',
    ...overrides,
  });

  async function adapter(overrides: Partial<SnowflakeProfile> = {}): Promise<SnowflakeAdapter> {
    const { createAdapter } = await import('../src/adapters/factory.js');
    const a = (await createAdapter(
      {
        profileName: 'p',
        targetName: 't',
        type: 'snowflake',
        threads: Number(overrides.threads ?? 2),
        settings: profile(overrides) as unknown as Record<string, unknown>,
      },
      '.',
    )) as SnowflakeAdapter;
    adapters.push(a);
    return a;
  }

  test('the factory loads the SDK lazily with platform detection off, and logs in with the profile', async () => {
    const a = await adapter();
    assert.equal(process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION, 'true');
    await a.open();
    const logins = standin.requests.filter((r) => r.path === '/session/v1/login-request');
    assert.equal(logins.length, 2, 'one session per thread');
    const login = logins[0]!;
    assert.equal(login.query.get('warehouse'), 'TRANSFORMING');
    assert.equal(login.query.get('databaseName'), 'analytics');
    assert.equal(login.query.get('schemaName'), 'dev');
    assert.equal(login.query.get('roleName'), 'TRANSFORMER');
    const data = (login.body as { data: Record<string, unknown> }).data;
    assert.equal(data.ACCOUNT_NAME, 'kiln_test_account');
    assert.equal(data.LOGIN_NAME, 'kiln_user');
    assert.equal((data.SESSION_PARAMETERS as Record<string, unknown>).QUERY_TAG, 'kiln-tests');
    assert.deepEqual(
      (data.CLIENT_ENVIRONMENT as { PLATFORM?: unknown }).PLATFORM,
      ['disabled'],
      'the driver was told not to probe cloud platforms',
    );
    assert.equal(a.defaultDatabase, 'analytics');
    assert.equal(a.defaultSchema, 'dev');
    assert.equal(a.relation(a.defaultDatabase, a.defaultSchema, 'x').render(), 'ANALYTICS.DEV.X');
  });

  test('identifiers: plain names unquoted (Snowflake upper-cases them), others quoted', async () => {
    const a = await adapter();
    assert.equal(a.relation('analytics', 'dev', 'stg_orders').render(), 'ANALYTICS.DEV.STG_ORDERS');
    assert.equal(a.relation('analytics', 'dev', 'Order Items').render(), 'ANALYTICS.DEV."Order Items"');
    assert.equal(a.relation('analytics', 'dev', 'select').render(), 'ANALYTICS.DEV."SELECT"');
    assert.equal(a.relation('analytics', 'dev', 'say "hi"').render(), 'ANALYTICS.DEV."say ""hi"""');
    assert.equal(a.quoteIdentifier('order_id'), 'order_id');
    assert.equal(a.quoteIdentifier('group'), '"GROUP"');
  });

  test('a staging name made from a relation follows the same rule: upper case, or quoted as written', async () => {
    const a = await adapter();
    const people = a.relation('analytics', 'dev', 'people');
    assert.equal(people.withIdentifier(people.identifier + '__kiln_tmp').render(), 'ANALYTICS.DEV.PEOPLE__KILN_TMP');
    assert.equal(
      people.incorporate({ path: { identifier: 'people__dbt_tmp' } }).render(),
      'ANALYTICS.DEV.PEOPLE__DBT_TMP',
    );
    const items = a.relation('analytics', 'dev', 'Order Items');
    assert.equal(
      items.withIdentifier(items.identifier + '__kiln_tmp').render(),
      'ANALYTICS.DEV."Order Items__kiln_tmp"',
    );
    assert.equal(a.relationNameKey('order_items'), a.relationNameKey('ORDER_ITEMS'));
    assert.notEqual(a.relationNameKey('Order Items'), a.relationNameKey('ORDER ITEMS'));
  });

  test('values are normalised: integers, big integers, decimals, floats, booleans, dates, timestamps, nulls', async () => {
    const a = await adapter();
    await a.open();
    const r = await a.execute(
      `select 42 as small, 12345678901234567890::hugeint as big, cast(12.50 as decimal(10,2)) as money, 0.25::double as ratio, true as flag, null as nothing, date '2024-02-29' as d, timestamp '2024-02-29 13:14:15.123' as ts, 'x' as "MixedCase"`,
    );
    assert.deepEqual(r.columns, ['small', 'big', 'money', 'ratio', 'flag', 'nothing', 'd', 'ts', 'MixedCase']);
    const row = r.rows[0]!;
    assert.equal(row.small, 42);
    assert.equal(row.big, '12345678901234567890', 'beyond 2^53 an integer stays exact, as a string');
    assert.equal(row.money, 12.5);
    assert.equal(row.ratio, 0.25);
    assert.equal(row.flag, true);
    assert.equal(row.nothing, null);
    assert.ok(row.d instanceof Date && row.d.constructor === Date);
    assert.equal(row.d.toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal((row.ts as Date).toISOString(), '2024-02-29T13:14:15.123Z');
  });

  test('schemas, relations and columns: create, list, describe, with odd names', async () => {
    const a = await adapter();
    await a.open();
    await a.createSchema('analytics', 'introspect');
    const t = a.relation('analytics', 'introspect', 'Mixed Case Table');
    await a.execute(`create or replace transient table ${t} (id integer, "Select Me" text, created date)`);
    await a.execute(
      `create or replace view ${a.relation('analytics', 'introspect', 'plain_view')} as (select 1 as one)`,
    );
    const rels = await a.listRelations('analytics', 'introspect');
    assert.deepEqual(
      rels.map((r) => [r.name, r.type]),
      [
        ['Mixed Case Table', 'table'],
        ['PLAIN_VIEW', 'view'],
      ],
    );
    const cols = await a.getColumns(t);
    assert.deepEqual(
      cols.map((c) => c.name),
      ['ID', 'Select Me', 'CREATED'],
    );
    assert.deepEqual(
      cols.map((c) => c.index),
      [1, 2, 3],
    );
    const sent = standin.sql().join('\n');
    assert.match(sent, /create schema if not exists ANALYTICS\.INTROSPECT/);
    assert.match(
      sent,
      /from ANALYTICS\.information_schema\.tables where table_catalog = 'ANALYTICS' and table_schema = 'INTROSPECT'/,
    );
  });

  test('a transaction runs on one session between begin and commit, and rolls back on failure', async () => {
    const a = await adapter({ threads: 1 });
    await a.open();
    const before = standin.statements.length;
    await assert.rejects(
      a.transaction(async (s: Session) => {
        await s.execute('select 1');
        throw new Error('boom');
      }),
      /boom/,
    );
    const seen = standin.statements.slice(before);
    assert.deepEqual(
      seen.map((s) => s.sql),
      ['begin', 'select 1', 'rollback'],
    );
    assert.equal(new Set(seen.map((s) => s.token)).size, 1);
  });

  test('a SQL error is a database error with code and SQLSTATE; injected transient codes are retryable', async () => {
    const a = await adapter();
    await a.open();
    const missing = await rejectsKiln(a.execute('select * from ANALYTICS.DEV.NO_SUCH_TABLE'));
    assert.equal(missing.kind, 'database');
    assert.equal(missing.retryable, false);
    assert.match(missing.message, /code 002003, SQLSTATE 42S02/);
    standin.failNext({
      match: /select 2/,
      code: '000630',
      sqlState: '57014',
      message: 'Statement aborted because the warehouse was resized.',
    });
    const transient = await rejectsKiln(a.execute('select 2'));
    assert.equal(transient.kind, 'database');
    assert.equal(transient.retryable, true);
    assert.match(transient.message, /warehouse was resized/);
  });

  test('a wrong password is a connection error that never shows the password; debug says why', async () => {
    const a = await adapter({ password: 'wrong-Password-9' });
    const err = await rejectsKiln(a.open());
    assert.equal(err.kind, 'connection');
    assert.match(err.message, /Incorrect username or password/);
    assert.ok(!err.message.includes('wrong-Password-9'));
    const check = await a.check();
    assert.equal(check.ok, false);
    assert.ok(!check.message.includes('wrong-Password-9'));
    const good = await (await adapter()).check();
    assert.equal(good.ok, true, good.message);
    assert.match(good.message, /connected to Snowflake 9\.0\.0-standin .* role TRANSFORMER, warehouse TRANSFORMING/);
  });

  test('a refused port is a connection error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const a = await adapter({ port, connect_retries: 0, connect_timeout: 5 });
    const err = await rejectsKiln(a.open());
    assert.equal(err.kind, 'connection');
  });

  test('missing profile keys are config errors naming the key', async () => {
    const { SnowflakeAdapter } = await import('../src/adapters/snowflake/index.js');
    assert.throws(
      () => new SnowflakeAdapter({ ...profile(), account: undefined }),
      (e: KilnError) => e.kind === 'config' && /'account'/.test(e.message),
    );
    assert.throws(
      () => new SnowflakeAdapter({ ...profile(), authenticator: 'oauth', password: undefined }),
      (e: KilnError) => /'token'/.test(e.message),
    );
    assert.throws(
      () => new SnowflakeAdapter({ ...profile(), authenticator: 'snowflake_jwt', password: undefined }),
      (e: KilnError) => /'private_key_path'/.test(e.message),
    );
    const jwt = new SnowflakeAdapter({
      ...profile(),
      authenticator: 'snowflake_jwt',
      password: undefined,
      private_key_path: '/keys/rsa.p8',
      private_key_passphrase: 'pp',
    });
    const opts = jwt.connectionOptions();
    assert.equal(opts.authenticator, 'SNOWFLAKE_JWT');
    assert.equal(opts.privateKeyPath, '/keys/rsa.p8');
    assert.equal(opts.privateKeyPass, 'pp');
  });

  test('DuckDB users never load the cloud SDKs', async () => {
    const { spawnSync } = await import('node:child_process');
    const { writeProject, minimalProject, removeDir } = await import('./helpers/cli.js');
    const dir = writeProject(minimalProject({ 'models/m.sql': 'select 1 as x' }));
    try {
      const index = new URL('../src/index.js', import.meta.url).href;
      const script = `import { createRequire } from 'node:module'; const k = await import(${JSON.stringify(index)}); const r = await k.build({ projectDir: ${JSON.stringify(dir)} }); const cache = Object.keys(createRequire(import.meta.url).cache); console.log(JSON.stringify({ ok: r.success, sdks: cache.filter((f) => /snowflake-sdk|@google-cloud|google-auth-library/.test(f)).length }));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { ok: true, sdks: 0 });
    } finally {
      removeDir(dir);
    }
  });

  test('nothing was sent anywhere but the stand-in', () => {
    assert.ok(standin.requests.length > 10);
    assert.ok(standin.requests.every((r) => r.headers.host === `127.0.0.1:${standin.port}`));
  });
});
