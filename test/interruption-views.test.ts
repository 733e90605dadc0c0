/**
 * Replacing a relation keeps the views that depend on it: on PostgreSQL they are recreated
 * in the replacing transaction (views on views, views in other schemas, views kiln does not
 * build, with their grants and comments), so neither `kiln run -s the_table` nor a SIGINT in
 * the middle of a build leaves a view missing. DuckDB binds views by name and keeps them anyway.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, kilnBin, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const schema = `kiln_views_${randomBytes(4).toString('hex')}`;
const elsewhere = `${schema}_elsewhere`;
const reporting = `${schema}_reporting`;
const db = postgresForTests(schema);
after(async () => {
  for (const s of [elsewhere, reporting])
    await db.pg.execute(`drop schema if exists "${s}" cascade`).catch(() => undefined);
  await db.pg.execute(`drop role if exists "${schema}_reader"`).catch(() => undefined);
});

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await db.pg.execute(sql)).rows;
}

function pgProject(files: Record<string, string>, threads = 2): string {
  return writeProject({
    'dbt_project.yml': 'name: views\nprofile: views\nconfig-version: 2\n',
    'profiles.yml': postgresProfileYaml('views', db.server, schema, threads),
    ...files,
  });
}

const viewModels = {
  'models/orders.sql':
    "{{ config(materialized='table') }}\nselect g as id, g * 10 as amount, 'x' as note from generate_series(1, 5) as s(g)",
  'models/big_orders.sql': "select id, amount from {{ ref('orders') }} where amount > 20",
  'models/big_order_ids.sql': "select id from {{ ref('big_orders') }}",
  'models/order_report.sql':
    "{{ config(schema='elsewhere') }}\nselect count(*) as n, sum(amount) as total from {{ ref('orders') }}",
};

test('PostgreSQL: kiln run -s a_table keeps every view on it queryable: views on views, in other schemas, and ones kiln does not build', async () => {
  await db.ready;
  const dir = pgProject(viewModels);
  const reader = `${schema}_reader`;
  try {
    let r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Views someone made by hand on the model's table: one in a schema kiln never builds,
    // with a grant, a comment and an option; and a materialized view with an index.
    await db.pg.execute(`create schema "${reporting}"`);
    await db.pg.execute(`create role "${reader}"`);
    await db.pg.execute(
      `create view "${reporting}".dashboard with (security_barrier = true) as select o.id, o.amount, b.id is not null as big from "${schema}".orders o left join "${schema}".big_orders b using (id)`,
    );
    await db.pg.execute(`grant select on "${reporting}".dashboard to "${reader}"`);
    await db.pg.execute(`comment on view "${reporting}".dashboard is 'the dashboard'`);
    await db.pg.execute(`comment on column "${reporting}".dashboard.big is 'over 20'`);
    await db.pg.execute(
      `create materialized view "${reporting}".totals as select sum(amount) as total from "${schema}".orders`,
    );
    await db.pg.execute(`create unique index totals_total on "${reporting}".totals (total)`);

    writeFileSync(
      join(dir, 'models/orders.sql'),
      "{{ config(materialized='table') }}\nselect g as id, g * 100 as amount, 'y' as note from generate_series(1, 5) as s(g)",
    );
    r = kiln(['run', '--project-dir', dir, '-s', 'orders']);
    assert.equal(r.code, 0, r.stdout + r.stderr);

    assert.deepEqual(
      await rows(`select count(*)::int as n from "${schema}".big_orders`),
      [{ n: 5 }],
      'the view on the table reads the new rows',
    );
    assert.deepEqual(
      await rows(`select count(*)::int as n from "${schema}".big_order_ids`),
      [{ n: 5 }],
      'the view on the view too',
    );
    assert.deepEqual(
      await rows(`select n::int, total::int from "${elsewhere}".order_report`),
      [{ n: 5, total: 1500 }],
      'and the view in another schema',
    );
    assert.deepEqual(
      await rows(`select count(*)::int as n from "${reporting}".dashboard where big`),
      [{ n: 5 }],
      'and the view kiln does not build',
    );
    assert.deepEqual(
      await rows(`select total::int from "${reporting}".totals`),
      [{ total: 1500 }],
      'the materialized view is refilled',
    );
    assert.deepEqual(
      await rows(`select has_table_privilege('${reader}', '"${reporting}".dashboard', 'select') as can`),
      [{ can: true }],
      'its grant is kept',
    );
    assert.deepEqual(
      await rows(
        `select obj_description('"${reporting}".dashboard'::regclass, 'pg_class') as c, col_description('"${reporting}".dashboard'::regclass, 3) as cc`,
      ),
      [{ c: 'the dashboard', cc: 'over 20' }],
    );
    assert.deepEqual(
      await rows(`select reloptions::text as o from pg_class where oid = '"${reporting}".dashboard'::regclass`),
      [{ o: '{security_barrier=true}' }],
    );
    assert.deepEqual(await rows(`select indexname from pg_indexes where schemaname = '${reporting}'`), [
      { indexname: 'totals_total' },
    ]);
  } finally {
    removeDir(dir);
    await db.pg.execute(`drop schema if exists "${reporting}" cascade`);
    await db.pg.execute(`drop role if exists "${reader}"`);
  }
});

test('PostgreSQL: a table that no longer fits a view on it is not replaced, unless the run rebuilds that view', async () => {
  await db.ready;
  const dir = pgProject(viewModels);
  try {
    let r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // `amount` goes: big_orders (a view on orders) reads it.
    writeFileSync(
      join(dir, 'models/orders.sql'),
      "{{ config(materialized='table') }}\nselect g as id, g * 100 as total from generate_series(1, 5) as s(g)",
    );
    writeFileSync(
      join(dir, 'models/big_orders.sql'),
      "select id, total as amount from {{ ref('orders') }} where total > 20",
    );
    writeFileSync(
      join(dir, 'models/order_report.sql'),
      "{{ config(schema='elsewhere') }}\nselect count(*) as n, sum(total) as total from {{ ref('orders') }}",
    );
    r = kiln(['run', '--project-dir', dir, '-s', 'orders']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /replacing "[^"]+"\."orders" would break the views? on it:/);
    assert.match(r.stdout + r.stderr, /big_orders/);
    assert.deepEqual(
      await rows(`select count(*)::int as n from "${schema}".big_order_ids`),
      [{ n: 3 }],
      'nothing changed',
    );
    assert.deepEqual(await rows(`select sum(amount)::int as s from "${schema}".orders`), [{ s: 150 }]);

    // Selected together, the views are rebuilt by the same run: the table may replace them.
    r = kiln(['run', '--project-dir', dir, '-s', 'orders+']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await rows(`select count(*)::int as n from "${schema}".big_order_ids`), [{ n: 5 }]);
    assert.deepEqual(await rows(`select total::int from "${elsewhere}".order_report`), [{ total: 1500 }]);
  } finally {
    removeDir(dir);
  }
});

const TABLES = 24;

function manyModels(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= TABLES; i++) {
    files[`models/t${i}.sql`] =
      `{{ config(materialized='table') }}\nselect g as id, g * ${i} as v from generate_series(1, 20000) g, pg_sleep(0.15)`;
    files[`models/v${i}.sql`] = `select id, v from {{ ref('t${i}') }} where id % 3 = 0`;
    files[`models/w${i}.sql`] = `{{ config(schema='elsewhere') }}\nselect count(*) as n from {{ ref('v${i}') }}`;
  }
  return files;
}

/** Starts `kiln run` and sends SIGINT once `after` nodes have finished; resolves with the exit code. */
function interruptedRun(dir: string, after: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [kilnBin, '--log-format', 'json', 'run', '--project-dir', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', HOME: tmpdir() },
    });
    let out = '';
    let finished = 0;
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) if (l.includes('"node_finished"')) finished++;
      if (!sent && finished >= after) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.resume();
    child.on('exit', (code) => resolve(code));
  });
}

test(
  'PostgreSQL: SIGINT in the middle of a build of many models leaves no view missing',
  { timeout: 180_000 },
  async () => {
    await db.ready;
    const dir = pgProject(manyModels(), 4);
    try {
      const r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const missing: string[] = [];
      for (const after of [8, 20, 33]) {
        const code = await interruptedRun(dir, after);
        assert.equal(code, 130);
        for (let i = 1; i <= TABLES; i++) {
          for (const [s, name] of [
            [schema, `t${i}`],
            [schema, `v${i}`],
            [elsewhere, `w${i}`],
          ] as const) {
            try {
              await db.pg.execute(`select 1 from "${s}"."${name}" limit 1`);
            } catch {
              missing.push(`${name} (after ${after} nodes)`);
            }
          }
        }
      }
      assert.deepEqual(missing, [], `${missing.length} relations missing after SIGINT`);
    } finally {
      removeDir(dir);
    }
  },
);

test('DuckDB: kiln run -s a_table keeps the views on it', async () => {
  const dir = writeProject(
    minimalProject({
      ...viewModels,
      'models/order_report.sql': "select count(*) as n, sum(amount) as total from {{ ref('orders') }}",
    }),
  );
  try {
    let r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    writeFileSync(
      join(dir, 'models/orders.sql'),
      readFileSync(join(dir, 'models/orders.sql'), 'utf8').replace('g * 10', 'g * 100'),
    );
    r = kiln(['run', '--project-dir', dir, '-s', 'orders']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const file = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(file, 'select count(*)::int as n from big_order_ids'), [{ n: 5 }]);
    assert.deepEqual(await queryDuckDB(file, 'select total::int as total from order_report'), [{ total: 1500 }]);
  } finally {
    removeDir(dir);
  }
});
