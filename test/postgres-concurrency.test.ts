/**
 * Several `kiln build` processes on the same project and target at once, on a real
 * PostgreSQL: none breaks another (staging names carry the invocation, a run's cleanup drops
 * only what a dead run left, replacing a relation keeps the views on it, and a run waits for
 * the build lock of a relation another run is building), and every relation ends correct.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, kilnBin, removeDir, writeProject } from './helpers/cli.js';

const schema = `kiln_conc_${randomBytes(4).toString('hex')}`;
const other = `${schema}_other`;
const db = postgresForTests(schema);
after(async () => {
  await db.pg.execute(`drop schema if exists "${other}" cascade`).catch(() => undefined);
});

const TABLES = 6;
// More rounds for a longer soak: KILN_TEST_CONCURRENCY_ROUNDS=8 (24 invocations).
const ROUNDS = Number(process.env.KILN_TEST_CONCURRENCY_ROUNDS ?? 3);
const ROWS = 200;

function project(): string {
  const files: Record<string, string> = {
    'dbt_project.yml': 'name: conc\nprofile: conc\nconfig-version: 2\n',
    'profiles.yml': postgresProfileYaml('conc', db.server, schema, 4),
    'seeds/raw.csv':
      'id,amount\n' + Array.from({ length: ROWS }, (_, i) => `${i + 1},${(i % 17) + 1}`).join('\n') + '\n',
    // An incremental model that two runs must not fold into at the same time (duplicates).
    'models/inc.sql':
      "{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}\nselect id, amount from {{ ref('raw') }}\n{% if is_incremental() %}where id > (select max(id) - 50 from {{ this }}){% endif %}",
    // An audited table: built into a staging copy and tested there before the swap.
    'models/aud.sql':
      "{{ config(materialized='table', audit=true) }}\nselect id, amount from {{ ref('raw') }}, pg_sleep(0.3)",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: aud\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n  - name: inc\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n  - name: t1\n    columns:\n      - name: id\n        data_tests: [unique]\n',
  };
  for (let i = 1; i <= TABLES; i++) {
    files[`models/t${i}.sql`] =
      `{{ config(materialized='table') }}\nselect id, amount * ${i} as amount from {{ ref('raw') }}, pg_sleep(0.3)`;
    files[`models/v${i}.sql`] = `select id, amount from {{ ref('t${i}') }} where id % 2 = 0`;
    // A view on a view, in another schema, that also reads a neighbour table.
    files[`models/w${i}.sql`] =
      `{{ config(schema='other') }}\nselect v.id, v.amount + t.amount as total from {{ ref('v${i}') }} v join {{ ref('t${(i % TABLES) + 1}') }} t using (id)`;
  }
  return writeProject(files);
}

interface Outcome {
  code: number | null;
  output: string;
}

function build(dir: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [kilnBin, 'build', '--project-dir', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', HOME: tmpdir() },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The "Error in ..." blocks of a run's summary, for the failure message. */
function errorLines(output: string): string {
  const lines = output.split('\n');
  return (
    lines.flatMap((l, i) => (/^\s*Error in /.test(l) ? [l.trim(), (lines[i + 1] ?? '').trim()] : [])).join('\n') ||
    output.slice(-800)
  );
}

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await db.pg.execute(sql)).rows;
}

/** What every relation must hold after any number of builds. */
async function checkRelations(): Promise<string[]> {
  const problems: string[] = [];
  const base = Array.from({ length: ROWS }, (_, i) => (i % 17) + 1);
  const sum = base.reduce((a, b) => a + b, 0);
  const even = base.filter((_, i) => (i + 1) % 2 === 0).reduce((a, b) => a + b, 0);
  const evenCount = ROWS / 2;
  const check = async (what: string, sql: string, expected: Record<string, unknown>) => {
    try {
      const got = (await rows(sql))[0];
      if (JSON.stringify(got) !== JSON.stringify(expected))
        problems.push(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  await check('raw', `select count(*)::int as n, sum(amount)::int as s from "${schema}".raw`, { n: ROWS, s: sum });
  await check('aud', `select count(*)::int as n, sum(amount)::int as s from "${schema}".aud`, { n: ROWS, s: sum });
  await check('inc', `select count(*)::int as n, count(distinct id)::int as d from "${schema}".inc`, {
    n: ROWS,
    d: ROWS,
  });
  for (let i = 1; i <= TABLES; i++) {
    await check(`t${i}`, `select count(*)::int as n, sum(amount)::int as s from "${schema}".t${i}`, {
      n: ROWS,
      s: sum * i,
    });
    await check(`v${i}`, `select count(*)::int as n, sum(amount)::int as s from "${schema}".v${i}`, {
      n: evenCount,
      s: even * i,
    });
    const j = (i % TABLES) + 1;
    await check(`w${i}`, `select count(*)::int as n, sum(total)::int as s from "${other}".w${i}`, {
      n: evenCount,
      s: even * i + even * j,
    });
  }
  const leftovers = await rows(
    `select table_schema || '.' || table_name as name from information_schema.tables where table_schema in ('${schema}', '${other}') and table_name like '%\\_\\_kiln\\_%'`,
  );
  for (const l of leftovers) problems.push(`staging relation left behind: ${String(l.name)}`);
  return problems;
}

test(
  'three kiln builds at once on one target (250 ms apart), several times: every invocation succeeds and every relation ends correct',
  { timeout: 240_000 },
  async () => {
    await db.ready;
    const dir = project();
    const failures: string[] = [];
    let invocations = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const outcomes = await Promise.all(
          [0, 1, 2].map((k) => new Promise<Outcome>((r) => setTimeout(() => r(build(dir)), k * 250))),
        );
        for (const o of outcomes) {
          invocations++;
          if (o.code !== 0) failures.push(`round ${round}: exit ${o.code}\n${errorLines(o.output)}`);
        }
        const problems = await checkRelations();
        assert.deepEqual(problems, [], `round ${round}: relations not as built`);
      }
      assert.deepEqual(failures, [], `${failures.length} of ${invocations} invocations failed`);
    } finally {
      removeDir(dir);
    }
  },
);

test('a run that waits for another run says which one it waits for', { timeout: 120_000 }, async () => {
  await db.ready;
  const dir = writeProject({
    'dbt_project.yml': 'name: wait\nprofile: wait\nconfig-version: 2\n',
    'profiles.yml': postgresProfileYaml('wait', db.server, schema, 2),
    'models/held.sql': "{{ config(materialized='table') }}\nselect 1 as id from pg_sleep(3)",
  });
  try {
    const first = build(dir);
    // The second starts while the first is inside the slow build.
    await new Promise((r) => setTimeout(r, 1500));
    const second = await build(dir);
    const one = await first;
    assert.equal(one.code, 0, one.output);
    assert.equal(second.code, 0, second.output);
    assert.match(
      second.output,
      /waiting for "[^"]+"\."[^"]+"\."held": kiln invocation [0-9a-f]{8} \(pid \d+ on [^)]+\) is building it/,
    );
    assert.deepEqual(await rows(`select id from "${schema}".held`), [{ id: 1 }]);
  } finally {
    removeDir(dir);
  }
});

test(
  "two audited builds of one table at once take turns: neither drops the other's staging copy while it is tested",
  { timeout: 120_000 },
  async () => {
    await db.ready;
    const dir = writeProject({
      'dbt_project.yml': 'name: audits\nprofile: audits\nconfig-version: 2\n',
      'profiles.yml': postgresProfileYaml('audits', db.server, schema, 2),
      'models/audited.sql':
        "{{ config(materialized='table', audit=true) }}\nselect g as id from generate_series(1, 100) g",
      // A slow gate: the staging copy is read for three seconds while the other run starts.
      'tests/slow_gate.sql': "select id from {{ ref('audited') }}, pg_sleep(3) where id < 0",
    });
    try {
      const [a, b] = await Promise.all([build(dir), new Promise<Outcome>((r) => setTimeout(() => r(build(dir)), 300))]);
      assert.equal(a.code, 0, a.output);
      assert.equal(b.code, 0, b.output);
      // Whichever process reaches the lock second (start-up order varies under load) says that it waits.
      const waited = /waiting for "[^"]+"\."[^"]+"\."audited": kiln invocation/;
      assert.ok(
        [a, b].some((o) => waited.test(o.output)),
        `one build waits for the other's lock:\n${a.output}\n---\n${b.output}`,
      );
      assert.deepEqual(await rows(`select count(*)::int as n from "${schema}".audited`), [{ n: 100 }]);
      assert.deepEqual(
        await rows(
          `select table_name from information_schema.tables where table_schema = '${schema}' and table_name like 'audited\\_\\_%'`,
        ),
        [],
        'no staging copy is left',
      );
    } finally {
      removeDir(dir);
    }
  },
);

test("a run's cleanup drops the staging relations of dead runs and keeps those of live ones", async () => {
  await db.ready;
  const dir = writeProject({
    'dbt_project.yml': 'name: clean\nprofile: clean\nconfig-version: 2\n',
    'profiles.yml': postgresProfileYaml('clean', db.server, schema, 2),
    'models/solo.sql': "{{ config(materialized='table') }}\nselect 1 as id",
  });
  // Another invocation, alive: tagged connection, holding its invocation's lock ("kiln", key).
  const live = new pg.Client({
    host: db.server.host,
    port: db.server.port,
    user: db.server.user,
    password: db.server.password,
    database: db.server.database,
    application_name: 'kiln/cafebabe/4242@elsewhere',
  });
  await live.connect();
  try {
    await live.query('select pg_advisory_lock($1, $2)', [0x6b696c6e, 0xcafebabe & 0x7fffffff]);
    await db.pg.execute(`create schema if not exists "${schema}"`);
    await db.pg.execute(`create table "${schema}".solo__kiln_tmp_cafebabe as select 1 as id`);
    await db.pg.execute(`create table "${schema}".solo__kiln_tmp_deadbeef as select 1 as id`);
    await db.pg.execute(`create table "${schema}".solo__kiln_audit_cafebabe as select 1 as id`);
    await db.pg.execute(`create table "${schema}".solo__kiln_audit_deadbeef as select 1 as id`);
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /dropped "[^"]+"\."[^"]+"\."solo__kiln_tmp_deadbeef", left behind by an interrupted run \(invocation deadbeef\)/,
    );
    assert.match(
      r.stderr,
      /dropped "[^"]+"\."[^"]+"\."solo__kiln_audit_deadbeef", left behind by an interrupted run \(invocation deadbeef\)/,
    );
    const left = await rows(
      `select table_name from information_schema.tables where table_schema = '${schema}' and table_name like 'solo%' order by 1`,
    );
    assert.deepEqual(
      left.map((x) => x.table_name),
      ['solo', 'solo__kiln_audit_cafebabe', 'solo__kiln_tmp_cafebabe'],
      'the live run keeps its staging tables',
    );
  } finally {
    await live.end();
    await db.pg.execute(
      `drop table if exists "${schema}".solo__kiln_tmp_cafebabe, "${schema}".solo__kiln_audit_cafebabe`,
    );
    removeDir(dir);
  }
});
