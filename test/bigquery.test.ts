/**
 * The BigQuery adapter through the real @google-cloud/bigquery client, against the REST
 * stand-in (test/helpers/bigquery-standin.ts) on 127.0.0.1, inside a loopback-only network
 * namespace: values, errors, introspection, a project build with BigQuery's configs, and
 * `kiln compile --dry-run` through the API and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { BigQueryStandIn } from './helpers/bigquery-standin.js';
import { spawn } from 'node:child_process';
import { kilnBin, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, dryRun, generateDocs, registerAdapter, KilnError, type RunResult } from '../src/index.js';
import type { BigQueryAdapter, BigQueryProfile } from '../src/adapters/bigquery/index.js';
import { rejectsKiln } from './helpers/assertions.js';

isolatedSuite(import.meta.url, () => {
  const standin = new BigQueryStandIn('kiln-proj');
  /** A real OAuth2 client holding a token that never expires: no token endpoint is called. */
  const authClient = () => {
    const c = new OAuth2Client();
    c.setCredentials({ access_token: 'standin-token' });
    return c;
  };
  let dir: string;

  before(async () => {
    await standin.start();
    const { BigQueryAdapter } = await import('../src/adapters/bigquery/index.js');
    // The public API's hook: the same adapter, with credentials a test can hold.
    registerAdapter(
      'bigquery',
      async (target) =>
        new BigQueryAdapter(
          { ...(target.settings as unknown as BigQueryProfile), threads: target.threads },
          { authClient: authClient() },
        ),
    );
    dir = writeProject(
      minimalProject({
        'profiles.yml': `tiny:
  target: bq
  outputs:
    bq:
      type: bigquery
      method: oauth-secrets
      token: standin-token
      project: kiln-proj
      dataset: dbt_ci
      location: EU
      threads: 2
      maximum_bytes_billed: 1000000000
      job_retries: 0
      api_endpoint: ${standin.endpoint}
`,
        'seeds/raw_events.csv':
          "event_id,user_name,amount,happened_on\n1,ann,10.5,2024-01-02\n2,bob,20,2024-01-03\n3,o'neil,7.25,2024-02-04\n",
        'models/stg_events.sql':
          "{{ config(labels={'team': 'data', 'tier': 'gold'}) }}\nselect event_id, user_name, amount, happened_on from {{ ref('raw_events') }}",
        'models/daily.sql': `{{ config(materialized='table', partition_by={'field': 'happened_on', 'data_type': 'date', 'granularity': 'month'}, cluster_by=['user_name'], require_partition_filter=true, partition_expiration_days=30, labels={'cost_center': 'x1'}) }}
select happened_on, user_name, sum(amount) as total from {{ ref('stg_events') }} group by happened_on, user_name`,
        'models/events_inc.sql': `{{ config(materialized='incremental', unique_key='event_id', incremental_strategy='merge') }}
select event_id, user_name, amount from {{ ref('stg_events') }}`,
        'models/schema.yml':
          'version: 2\nmodels:\n  - name: stg_events\n    columns:\n      - name: event_id\n        tests: [unique, not_null]\n',
      }),
    );
  });

  after(async () => {
    await standin.stop();
    if (dir) removeDir(dir);
  });

  /** The real CLI in a child process; asynchronously, since the stand-in answers from this process. */
  function kiln(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [kilnBin, ...args], {
        env: { ...process.env, NO_COLOR: '1', KILN_PROFILES_DIR: '', DBT_PROFILES_DIR: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  async function adapter(overrides: Partial<BigQueryProfile> = {}): Promise<BigQueryAdapter> {
    const { BigQueryAdapter } = await import('../src/adapters/bigquery/index.js');
    const a = new BigQueryAdapter(
      {
        type: 'bigquery',
        project: 'kiln-proj',
        dataset: 'adapter_ds',
        location: 'EU',
        job_retries: 0,
        api_endpoint: standin.endpoint,
        ...overrides,
      },
      { authClient: authClient() },
    );
    await a.open();
    return a;
  }

  test('relations render in backticks; odd names are escaped', async () => {
    const a = await adapter();
    assert.equal(a.relation('kiln-proj', 'adapter_ds', 'orders').render(), '`kiln-proj`.`adapter_ds`.`orders`');
    assert.equal(a.quoteIdentifier('we`ird'), '`we\\`ird`');
    assert.equal(a.defaultDatabase, 'kiln-proj');
    assert.equal(a.defaultSchema, 'adapter_ds');
  });

  test('values are normalised: INT64 (also beyond 2^53), NUMERIC, FLOAT64, BOOL, DATE, DATETIME, TIMESTAMP, NULL', async () => {
    const a = await adapter();
    const r = await a.execute(
      "select 42 as small, cast('12345678901234567890' as hugeint) as big, cast(12.5 as decimal(10,2)) as money, 0.25::double as ratio, true as flag, cast(null as int) as nothing, date '2024-02-29' as d, timestamp '2024-02-29 13:14:15.123' as dt, timestamptz '2024-02-29 13:14:15.5+00' as ts",
    );
    const row = r.rows[0]!;
    assert.deepEqual(r.columns, ['small', 'big', 'money', 'ratio', 'flag', 'nothing', 'd', 'dt', 'ts']);
    assert.equal(row.small, 42);
    assert.equal(row.big, '12345678901234567890');
    assert.equal(row.money, 12.5);
    assert.equal(row.ratio, 0.25);
    assert.equal(row.flag, true);
    assert.equal(row.nothing, null);
    assert.equal((row.d as Date).toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal((row.dt as Date).toISOString(), '2024-02-29T13:14:15.123Z');
    assert.equal((row.ts as Date).toISOString(), '2024-02-29T13:14:15.500Z');
    const q = standin.queries.at(-1)!;
    assert.equal(q.api, 'jobs.insert');
    assert.equal(q.location, 'EU');
  });

  test('schemas, relations and columns: create schema with location, INFORMATION_SCHEMA, tables.get', async () => {
    const a = await adapter();
    await a.createSchema(undefined, 'adapter_ds');
    assert.match(
      standin.sql().at(-1)!,
      /^create schema if not exists `kiln-proj`\.`adapter_ds` options\(location='EU'\)$/,
    );
    await a.execute(
      'create or replace table `kiln-proj`.`adapter_ds`.`Mixed Name` (id INT64, label STRING, seen DATE)',
    );
    await a.execute('create or replace view `kiln-proj`.`adapter_ds`.`v` as (select 1 as one)');
    const rels = await a.listRelations(undefined, 'adapter_ds');
    assert.deepEqual(
      rels.map((r) => [r.name, r.type]),
      [
        ['Mixed Name', 'table'],
        ['v', 'view'],
      ],
    );
    const cols = await a.getColumns(a.relation('kiln-proj', 'adapter_ds', 'Mixed Name'));
    assert.deepEqual(
      cols.map((c) => [c.name, c.type, c.index]),
      [
        ['id', 'INTEGER', 1],
        ['label', 'STRING', 2],
        ['seen', 'DATE', 3],
      ],
    );
    assert.ok(
      standin.requests.some(
        (r) =>
          r.method === 'GET' && r.path === '/bigquery/v2/projects/kiln-proj/datasets/adapter_ds/tables/Mixed%20Name',
      ),
    );
    assert.deepEqual(await a.getColumns(a.relation('kiln-proj', 'adapter_ds', 'missing')), []);
    assert.deepEqual(await a.listRelations(undefined, 'no_such_dataset'), []);
  });

  test('dataset and table names are case-sensitive, column names are not: Orders and orders are two tables, ORDERS neither', async () => {
    const a = await adapter({ dataset: 'Case_DS' });
    await a.createSchema(undefined, 'Case_DS');
    await a.createSchema(undefined, 'case_ds');
    await a.execute('create or replace table `kiln-proj`.`Case_DS`.`Orders` as (select 1 as Id)');
    await a.execute('create or replace table `kiln-proj`.`Case_DS`.`orders` as (select 2 as id)');
    await a.execute('create or replace table `kiln-proj`.`case_ds`.`orders` as (select 3 as id)');
    assert.deepEqual((await a.execute('select ID as read_back from `kiln-proj`.`Case_DS`.`Orders`')).rows, [
      { read_back: 1 },
    ]);
    assert.deepEqual((await a.execute('select id from `kiln-proj`.`Case_DS`.`orders`')).rows, [{ id: 2 }]);
    assert.deepEqual((await a.execute('select id from Case_DS.orders')).rows, [{ id: 2 }]);
    assert.deepEqual((await a.execute('select id from case_ds.orders')).rows, [{ id: 3 }]);
    const wrong = await rejectsKiln(a.execute('select * from `kiln-proj`.`Case_DS`.`ORDERS`'));
    assert.match(wrong.message, /^Not found: .*ORDERS does not exist[\s\S]*\(HTTP 404, reason notFound\)$/);
    assert.deepEqual(
      (await a.listRelations(undefined, 'Case_DS')).map((r) => r.name),
      ['Orders', 'orders'],
    );
    assert.deepEqual(
      (await a.getColumns(a.relation('kiln-proj', 'Case_DS', 'Orders'))).map((c) => c.name),
      ['Id'],
    );
    assert.deepEqual(await a.getColumns(a.relation('kiln-proj', 'Case_DS', 'ORDERS')), []);
    assert.deepEqual(await a.getColumns(a.relation('kiln-proj', 'CASE_DS', 'orders')), []);
  });

  test('adapter.check_schema_exists asks BigQuery for the dataset by its exact name, as dbt-bigquery does', async () => {
    const a = await adapter();
    await a.createSchema(undefined, 'Exists_DS');
    const project = writeProject(
      minimalProject({
        'profiles.yml': `tiny:\n  target: bq\n  outputs:\n    bq:\n      type: bigquery\n      method: oauth-secrets\n      token: standin-token\n      project: kiln-proj\n      dataset: exists_probe\n      job_retries: 0\n      api_endpoint: ${standin.endpoint}\n`,
        'models/probe.sql':
          "select {% for name in ['Exists_DS', 'exists_ds', 'EXISTS_DS', 'nowhere'] %}{{ adapter.check_schema_exists(target.database, name) }} as c{{ loop.index }}{{ ',' if not loop.last }} {% endfor %}",
      }),
    );
    try {
      const r = await build({ projectDir: project });
      assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
      assert.deepEqual(await standin.query('select * from `kiln-proj`.`exists_probe`.`probe`'), [
        { c1: true, c2: false, c3: false, c4: false },
      ]);
      assert.ok(
        standin.requests.some(
          (q) => q.method === 'GET' && q.path === '/bigquery/v2/projects/kiln-proj/datasets/Exists_DS',
        ),
        'datasets.get',
      );
    } finally {
      removeDir(project);
    }
  });

  test('a model aliased MyTable is built, read back, rebuilt incrementally and catalogued with that case', async () => {
    const project = writeProject(
      minimalProject({
        'profiles.yml': `tiny:\n  target: bq\n  outputs:\n    bq:\n      type: bigquery\n      method: oauth-secrets\n      token: standin-token\n      project: kiln-proj\n      dataset: Mixed_Case\n      job_retries: 0\n      api_endpoint: ${standin.endpoint}\n`,
        'seeds/Raw_People.csv': 'id,name\n1,ann\n2,bob\n',
        'models/my_table.sql':
          "{{ config(materialized='table', alias='MyTable') }}\nselect id, name from {{ ref('Raw_People') }}",
        'models/my_view.sql': "{{ config(alias='MyView') }}\nselect count(*) as n from {{ ref('my_table') }}",
        'models/lower_twin.sql': "{{ config(materialized='table', alias='mytable') }}\nselect 'twin' as name",
        'models/probe.sql': `-- depends_on: {{ ref('my_table') }}, {{ ref('lower_twin') }}
{% set twin = adapter.get_relation(database=this.database, schema=this.schema, identifier='mytable') %}
{% set shouted = adapter.get_relation(database=this.database, schema=this.schema, identifier='MYTABLE') %}
select '{{ twin.identifier if twin else "none" }}' as twin, '{{ shouted.identifier if shouted else "none" }}' as shouted`,
        'models/inc.sql':
          "{{ config(materialized='incremental', alias='IncTable', unique_key='id') }}\nselect id, name from {{ ref('my_table') }}{% if is_incremental() %} where id > (select max(id) - 1 from {{ this }}){% endif %}",
      }),
    );
    try {
      for (let i = 0; i < 2; i++) {
        const r = await build({ projectDir: project });
        assert.equal(
          r.success,
          true,
          JSON.stringify(
            r.results.filter((x) => x.status !== 'success' && x.status !== 'pass'),
            null,
            2,
          ),
        );
      }
      assert.deepEqual(await standin.query('select id, name from `kiln-proj`.`Mixed_Case`.`MyTable` order by id'), [
        { id: 1n, name: 'ann' },
        { id: 2n, name: 'bob' },
      ]);
      assert.deepEqual(await standin.query('select name from `kiln-proj`.`Mixed_Case`.`mytable`'), [{ name: 'twin' }]);
      assert.deepEqual(await standin.query('select n from `kiln-proj`.`Mixed_Case`.`MyView`'), [{ n: 2n }]);
      assert.deepEqual(await standin.query('select id from `kiln-proj`.`Mixed_Case`.`IncTable` order by id'), [
        { id: 1n },
        { id: 2n },
      ]);
      assert.deepEqual(
        await standin.query('select twin, shouted from `kiln-proj`.`Mixed_Case`.`probe`'),
        [{ twin: 'mytable', shouted: 'none' }],
        'adapter.get_relation matches names with their case',
      );
      const a = await adapter();
      assert.deepEqual(
        (await a.listRelations(undefined, 'Mixed_Case')).map((r) => r.name),
        ['IncTable', 'MyTable', 'MyView', 'Raw_People', 'mytable', 'probe'],
      );
      const docs = await generateDocs({ projectDir: project, emptyCatalog: false });
      const catalog = docs.catalog as {
        nodes: Record<string, { metadata: { schema: string; name: string }; columns: Record<string, unknown> }>;
      };
      assert.deepEqual(
        ['model.tiny.my_table', 'model.tiny.lower_twin', 'model.tiny.my_view', 'seed.tiny.Raw_People'].map((id) => [
          catalog.nodes[id]?.metadata.schema,
          catalog.nodes[id]?.metadata.name,
          Object.keys(catalog.nodes[id]?.columns ?? {}),
        ]),
        [
          ['Mixed_Case', 'MyTable', ['id', 'name']],
          ['Mixed_Case', 'mytable', ['name']],
          ['Mixed_Case', 'MyView', ['n']],
          ['Mixed_Case', 'Raw_People', ['id', 'name']],
        ],
      );
    } finally {
      removeDir(project);
    }
  });

  test('on-run-start runs after the datasets of the selected models exist, as in dbt (ephemeral models have none)', async () => {
    const project = writeProject(
      minimalProject({
        'dbt_project.yml': [
          'name: tiny',
          'profile: tiny',
          'config-version: 2',
          'on-run-start:',
          "  - 'create table if not exists `{{ target.database }}`.`{{ target.schema }}`.`run_log` (what STRING)'",
          "  - 'create table if not exists `{{ target.database }}`.`{{ target.schema }}_extra`.`marker` (what STRING)'",
        ].join('\n'),
        'profiles.yml': `tiny:\n  target: bq\n  outputs:\n    bq:\n      type: bigquery\n      method: oauth-secrets\n      token: standin-token\n      project: kiln-proj\n      dataset: fresh_runs\n      job_retries: 0\n      api_endpoint: ${standin.endpoint}\n`,
        'models/base.sql': "{{ config(materialized='table') }}\nselect 1 as id",
        'models/extra_one.sql':
          "{{ config(materialized='table', schema='extra') }}\nselect id from {{ ref('ghostly') }}",
        'models/ghostly.sql':
          "{{ config(materialized='ephemeral', schema='ghost') }}\nselect id from {{ ref('base') }}",
      }),
    );
    try {
      const schemasBefore = standin.sql().length;
      const r = await build({ projectDir: project });
      assert.equal(
        r.success,
        true,
        JSON.stringify(
          r.results.filter((x) => x.status !== 'success'),
          null,
          2,
        ),
      );
      const sent = standin.sql().slice(schemasBefore);
      const firstHook = sent.findIndex((q) => q.includes('run_log'));
      assert.ok(firstHook > 0, sent.join('\n'));
      const created = sent.slice(0, firstHook).filter((q) => q.startsWith('create schema'));
      assert.deepEqual(
        created.sort(),
        [
          'create schema if not exists `kiln-proj`.`fresh_runs`',
          'create schema if not exists `kiln-proj`.`fresh_runs_extra`',
        ].sort(),
      );
      assert.deepEqual(await standin.query('select count(*) as n from `kiln-proj`.`fresh_runs_extra`.`marker`'), [
        { n: 0n },
      ]);
      assert.ok(!sent.some((q) => q.includes('fresh_runs_ghost')), 'no dataset for an ephemeral model');
    } finally {
      removeDir(project);
    }
  });

  test("--defer on BigQuery: a relation that exists only in another case is not taken for the model's own", async () => {
    const project = writeProject(
      minimalProject({
        'profiles.yml': ['prod', 'dev'].reduce(
          (yaml, name) =>
            `${yaml}    ${name}:\n      type: bigquery\n      method: oauth-secrets\n      token: standin-token\n      project: kiln-proj\n      dataset: defer_${name}\n      job_retries: 0\n      api_endpoint: ${standin.endpoint}\n`,
          'tiny:\n  target: dev\n  outputs:\n',
        ),
        'models/upstream.sql': "{{ config(materialized='table', alias='MyTable') }}\nselect 'prod' as built_in",
        'models/downstream.sql': "{{ config(materialized='table') }}\nselect built_in from {{ ref('upstream') }}",
      }),
    );
    const state = join(project, 'prod-state');
    try {
      assert.equal((await build({ projectDir: project, target: 'prod' })).success, true);
      cpSync(join(project, 'target'), state, { recursive: true });
      const a = await adapter({ dataset: 'defer_dev' });
      await a.createSchema(undefined, 'defer_dev');
      await a.execute("create or replace table `kiln-proj`.`defer_dev`.`mytable` as (select 'a twin' as built_in)");
      const r = await build({ projectDir: project, target: 'dev', select: ['downstream'], defer: true, state });
      assert.equal(r.success, true, JSON.stringify(r.results.map((x) => x.message)));
      assert.deepEqual(await standin.query('select built_in from `kiln-proj`.`defer_dev`.`downstream`'), [
        { built_in: 'prod' },
      ]);
    } finally {
      removeDir(project);
    }
  });

  test('errors: HTTP code and errors[].reason into kinds; transient reasons retryable, and retried job_retries times', async () => {
    const a = await adapter();
    const missing = await rejectsKiln(a.execute('select * from `kiln-proj`.`adapter_ds`.`nope`'));
    assert.equal(missing.kind, 'database');
    assert.equal(missing.retryable, false);
    assert.match(missing.message, /HTTP 404, reason notFound/);
    const bad = await rejectsKiln(a.execute('selec 1'));
    assert.match(bad.message, /HTTP 400, reason invalidQuery/);
    standin.failNext({
      match: /select 7/,
      status: 403,
      reason: 'rateLimitExceeded',
      message: 'Exceeded rate limits: too many table update operations',
    });
    const limited = await rejectsKiln(a.execute('select 7'));
    assert.equal(limited.kind, 'database');
    assert.equal(limited.retryable, true);
    standin.failNext({
      match: /select 8/,
      status: 400,
      reason: 'bytesBilledLimitExceeded',
      message: 'Query exceeded limit for bytes billed: 1000.',
    });
    const billed = await rejectsKiln(a.execute('select 8'));
    assert.match(billed.hint ?? '', /maximum_bytes_billed/);
    const retrying = await adapter({ job_retries: 1 });
    standin.failNext({ match: /select 9/, status: 403, reason: 'rateLimitExceeded', message: 'Exceeded rate limits' });
    const r = await retrying.execute('select 9 as n');
    assert.equal(r.rows[0]!.n, 9);
  });

  test('bad credentials are a connection error', async () => {
    const { BigQueryAdapter } = await import('../src/adapters/bigquery/index.js');
    const c = new OAuth2Client();
    c.setCredentials({ access_token: 'wrong-token' });
    const a = new BigQueryAdapter(
      { type: 'bigquery', project: 'kiln-proj', dataset: 'x', job_retries: 0, api_endpoint: standin.endpoint },
      { authClient: c },
    );
    await a.open();
    const err = await rejectsKiln(a.execute('select 1'));
    assert.equal(err.kind, 'connection');
    const check = await a.check();
    assert.equal(check.ok, false);
  });

  test('profile keys: missing project or dataset, unknown method, bad priority are config errors', async () => {
    const { BigQueryAdapter } = await import('../src/adapters/bigquery/index.js');
    const base: BigQueryProfile = { type: 'bigquery', project: 'p', dataset: 'd' };
    assert.throws(
      () => new BigQueryAdapter({ ...base, project: undefined }),
      (e: KilnError) => e.kind === 'config' && /'project'/.test(e.message),
    );
    assert.throws(
      () => new BigQueryAdapter({ ...base, dataset: undefined }),
      (e: KilnError) => /'dataset'/.test(e.message),
    );
    assert.throws(
      () => new BigQueryAdapter({ ...base, method: 'magic' }),
      (e: KilnError) => /unknown method/.test(e.message),
    );
    assert.throws(
      () => new BigQueryAdapter({ ...base, method: 'service-account' }),
      (e: KilnError) => /'keyfile'/.test(e.message),
    );
    assert.throws(
      () => new BigQueryAdapter({ ...base, priority: 'urgent' }),
      (e: KilnError) => /priority/.test(e.message),
    );
    const viaDbtNames = new BigQueryAdapter({ type: 'bigquery', database: 'p2', schema: 'd2' });
    assert.equal(viaDbtNames.defaultDatabase, 'p2');
    assert.equal(viaDbtNames.defaultSchema, 'd2');
  });

  let first: RunResult;
  test('a project builds: seeds, views, partitioned and clustered tables with labels and options, tests', async () => {
    const from = standin.queries.length;
    first = await build({ projectDir: dir });
    assert.equal(
      first.success,
      true,
      JSON.stringify(
        first.results.filter((r) => r.status !== 'success' && r.status !== 'pass'),
        null,
        2,
      ),
    );
    assert.equal(first.results.filter((r) => r.status === 'pass').length, 2);
    const rows = await standin.query('select user_name, total from `kiln-proj`.`dbt_ci`.`daily` order by user_name');
    assert.deepEqual(
      rows.map((r) => [r.user_name, Number(r.total)]),
      [
        ['ann', 10.5],
        ['bob', 20],
        ["o'neil", 7.25],
      ],
    );
    const sql = standin.sql();
    const ddl = (name: string) =>
      sql.find(
        (s) =>
          s.startsWith(`create or replace table \`kiln-proj\`.\`dbt_ci\`.\`${name}\``) ||
          s.startsWith(`create or replace view \`kiln-proj\`.\`dbt_ci\`.\`${name}\``),
      );
    assert.equal(
      ddl('daily')!.split('\nas (')[0],
      "create or replace table `kiln-proj`.`dbt_ci`.`daily`\npartition by date_trunc(`happened_on`, month)\ncluster by `user_name` options(labels=[('cost_center', 'x1')], require_partition_filter=true, partition_expiration_days=30)",
    );
    assert.match(
      ddl('stg_events')!,
      /^create or replace view `kiln-proj`\.`dbt_ci`\.`stg_events` options\(labels=\[\('team', 'data'\), \('tier', 'gold'\)\]\)\nas \(/,
    );
    assert.ok(
      sql.some((s) =>
        /(?:^|\n)insert into `kiln-proj`\.`dbt_ci`\.`raw_events__kiln_tmp` .*\n\(cast\('1' as INT64\), 'ann', cast\('10\.5' as FLOAT64\), cast\('2024-01-02' as DATE\)\)/s.test(
          s,
        ),
      ),
    );
    assert.ok(
      sql.some((s) => s.includes("'o\\'neil'")),
      'GoogleSQL string escapes',
    );
    assert.ok(!sql.some((s) => /\brename to\b/i.test(s)), 'built in place, no renames');
    assert.ok(
      sql.some((s) =>
        /^begin transaction;\ninsert into `kiln-proj`\.`dbt_ci`\.`raw_events__kiln_tmp` [\s\S]*;\ncommit transaction;$/.test(
          s,
        ),
      ),
      "a seed's rows load in one transaction script",
    );
    assert.ok(standin.queries.slice(from).every((q) => q.maximumBytesBilled === '1000000000' && q.location === 'EU'));
  });

  test('a second build merges into the incremental table; a failed rebuild keeps the old table', async () => {
    const before = standin.queries.length;
    const again = await build({ projectDir: dir, select: ['events_inc'] });
    assert.equal(again.success, true, JSON.stringify(again.results, null, 2));
    const merge = standin.queries
      .slice(before)
      .map((q) => q.sql)
      .find((s) => /(?:^|\n)merge into/.test(s));
    assert.match(
      merge ?? '',
      /(?:^|\n)merge into `kiln-proj`\.`dbt_ci`\.`events_inc` as DBT_INTERNAL_DEST\nusing `kiln-proj`\.`dbt_ci`\.`events_inc__kiln_tmp` as DBT_INTERNAL_SOURCE/,
    );
    writeFileSync(
      join(dir, 'models', 'daily.sql'),
      "{{ config(materialized='table') }}\nselect no_such_column from {{ ref('stg_events') }}",
    );
    const broken = await build({ projectDir: dir, select: ['daily'] });
    assert.equal(broken.success, false);
    const rows = await standin.query('select count(*) as n from `kiln-proj`.`dbt_ci`.`daily`');
    assert.equal(Number(rows[0]!.n), 3);
  });

  test('dryRun (API) gives the bytes each model would scan and the total, running nothing', async () => {
    writeFileSync(
      join(dir, 'models', 'daily.sql'),
      "{{ config(materialized='table') }}\nselect happened_on, sum(amount) as total from {{ ref('stg_events') }} group by happened_on",
    );
    const ran = standin.sql().length;
    const report = await dryRun({ projectDir: dir });
    assert.equal(report.ok, true, JSON.stringify(report.models));
    const byName = Object.fromEntries(report.models.map((m) => [m.name, m.bytesProcessed]));
    // The stand-in bills 8 bytes per column per row read: stg_events is a view over raw_events (3 rows x 4 columns).
    assert.deepEqual(byName, { daily: 3 * 4 * 8, events_inc: 3 * 4 * 8, stg_events: 3 * 4 * 8 });
    assert.equal(report.totalBytes, 3 * 96);
    assert.equal(standin.sql().length, ran, 'nothing ran');
    assert.ok(standin.queries.slice(-3).every((q) => q.dryRun && q.api === 'jobs.insert'));
  });

  test('kiln compile --dry-run prints bytes per model and the total (CLI, oauth-secrets credentials)', async () => {
    const r = await kiln(['compile', '--dry-run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^daily: 96 B \(96 bytes\)$/m);
    assert.match(r.stdout, /^total: 288 B \(288 bytes\) for 3 models$/m);
    const one = await kiln(['compile', '--dry-run', '--project-dir', dir, '--select', 'daily']);
    assert.equal(one.code, 0);
    assert.match(one.stdout, /^total: 96 B \(96 bytes\) for 1 models$/m);
    writeFileSync(
      join(dir, 'models', 'daily.sql'),
      'select happened_on from {{ ref("stg_events") }} where nonsense_column > 1',
    );
    const failing = await kiln(['compile', '--dry-run', '--project-dir', dir, '--select', 'daily']);
    assert.equal(failing.code, 1, failing.stdout + failing.stderr);
    assert.match(failing.stdout, /^daily: ERROR .*nonsense_column/m);
  });

  test('--dry-run on a warehouse without dry runs is a config error (exit 2)', async () => {
    const duck = writeProject(minimalProject({ 'models/m.sql': 'select 1 as x' }));
    try {
      const r = await kiln(['compile', '--dry-run', '--project-dir', duck]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /--dry-run needs a warehouse that can estimate/);
    } finally {
      removeDir(duck);
    }
  });

  test('every request went to the stand-in, with the bearer token', () => {
    assert.ok(standin.requests.length > 20);
    assert.ok(standin.requests.every((r) => r.headers.host === `127.0.0.1:${standin.port}`));
    assert.equal(process.env.METADATA_SERVER_DETECTION, 'none');
  });
});
