import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, run, seed, type NodeEvent } from '../src/index.js';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

test('a failed table build leaves the previous table in place, and no temporary relation', async () => {
  const dir = writeProject(
    minimalProject({
      'models/t.sql': "{{ config(materialized='table') }}select 1 as id, 'good' as v",
      'models/v.sql': 'select 1 as id',
    }),
  );
  try {
    assert.equal((await run({ projectDir: dir })).success, true);
    writeFileSync(
      join(dir, 'models/t.sql'),
      "{{ config(materialized='table') }}select cast('not a number' as integer) as id, 'bad' as v",
    );
    writeFileSync(join(dir, 'models/v.sql'), 'select * from no_such_table');
    const r = await run({ projectDir: dir });
    assert.equal(r.success, false);
    assert.deepEqual(r.results.map((x) => x.status).sort(), ['error', 'error']);
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, 'select v from t'), [{ v: 'good' }]);
    assert.deepEqual(await queryDuckDB(db, 'select id from v'), [{ id: 1 }]);
    const tmp = await queryDuckDB(
      db,
      `select table_name from information_schema.tables where table_name like '%kiln_tmp%'`,
    );
    assert.deepEqual(tmp, []);
  } finally {
    removeDir(dir);
  }
});

test('a model can change from view to table and back', async () => {
  const dir = writeProject(minimalProject({ 'models/m.sql': 'select 1 as id' }));
  try {
    await run({ projectDir: dir });
    writeFileSync(join(dir, 'models/m.sql'), "{{ config(materialized='table') }}select 2 as id");
    assert.equal((await run({ projectDir: dir })).success, true);
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, `select table_type from information_schema.tables where table_name = 'm'`), [
      { table_type: 'BASE TABLE' },
    ]);
    writeFileSync(join(dir, 'models/m.sql'), 'select 3 as id');
    assert.equal((await run({ projectDir: dir })).success, true);
    assert.deepEqual(await queryDuckDB(db, `select table_type from information_schema.tables where table_name = 'm'`), [
      { table_type: 'VIEW' },
    ]);
    assert.deepEqual(await queryDuckDB(db, 'select id from m'), [{ id: 3 }]);
  } finally {
    removeDir(dir);
  }
});

const gated = (severity: string) =>
  minimalProject({
    'models/a.sql': 'select 1 as id union all select 1',
    'models/b.sql': "select * from {{ ref('a') }}",
    'models/c.sql': "select * from {{ ref('b') }}",
    'models/other.sql': 'select 1 as x',
    'models/schema.yml': `version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - unique:\n              config:\n                severity: ${severity}\n          - not_null\n`,
  });

test('build: an error test failure skips every descendant with the cause; siblings still run', async () => {
  const dir = writeProject(gated('error'));
  try {
    const r = await build({ projectDir: dir, threads: 2 });
    const by = new Map(r.results.map((x) => [x.uniqueId, x]));
    assert.equal(r.success, false);
    assert.equal(by.get('model.tiny.a')!.status, 'success');
    const unique = r.results.find((x) => x.uniqueId.startsWith('test.tiny.unique_a_id'))!;
    assert.equal(unique.status, 'fail');
    assert.equal(unique.failures, 1);
    assert.equal(r.results.find((x) => x.uniqueId.startsWith('test.tiny.not_null_a_id'))!.status, 'pass');
    assert.equal(by.get('model.tiny.b')!.status, 'skipped');
    assert.match(by.get('model.tiny.b')!.message, /test 'unique_a_id'/);
    assert.equal(by.get('model.tiny.c')!.status, 'skipped');
    assert.equal(by.get('model.tiny.other')!.status, 'success');
    const cli = kiln(['build', '--project-dir', dir]);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /FAIL\s+test unique_a_id/);
    assert.match(cli.stdout, /ERROR=1 SKIP=2/);
  } finally {
    removeDir(dir);
  }
});

test('build: a warn-severity failure never blocks', async () => {
  const dir = writeProject(gated('warn'));
  try {
    const r = await build({ projectDir: dir });
    assert.equal(r.success, true);
    assert.equal(r.results.find((x) => x.uniqueId.startsWith('test.tiny.unique_a_id'))!.status, 'warn');
    assert.equal(r.results.find((x) => x.uniqueId === 'model.tiny.c')!.status, 'success');
    assert.equal(kiln(['build', '--project-dir', dir]).code, 0);
  } finally {
    removeDir(dir);
  }
});

test('test configs: error_if / warn_if thresholds, where and limit', async () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': 'select * from (values (1, 1), (1, 1), (2, 2), (null, 3)) as t(id, k)',
      'models/schema.yml': [
        'version: 2',
        'models:',
        '  - name: a',
        '    columns:',
        '      - name: id',
        '        data_tests:',
        '          - not_null:',
        "              config: {error_if: '>5', warn_if: '>0'}",
        '          - unique:',
        '              name: unique_where',
        "              config: {where: 'k > 1'}",
        '          - accepted_values:',
        '              values: [1, 2]',
        '              quote: false',
        '              config: {limit: 1}',
      ].join('\n'),
    }),
  );
  try {
    const r = await build({ projectDir: dir });
    const status = (prefix: string) => r.results.find((x) => x.uniqueId.startsWith(`test.tiny.${prefix}`))!;
    assert.equal(status('not_null_a_id').status, 'warn');
    assert.equal(status('unique_where').status, 'pass');
    assert.equal(status('accepted_values_a_id__False__1__2').status, 'pass');
  } finally {
    removeDir(dir);
  }
});

test('fail-fast skips what has not started; events and typed results come through the API', async () => {
  const dir = writeProject(
    minimalProject({
      'models/bad.sql': 'select * from missing_table',
      ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`models/ok_${i}.sql`, `select ${i} as id`])),
    }),
  );
  try {
    const events: NodeEvent[] = [];
    const r = await run({ projectDir: dir, threads: 1, failFast: true, onEvent: (e) => events.push(e) });
    assert.equal(r.success, false);
    assert.equal(r.results[0]!.uniqueId, 'model.tiny.bad');
    assert.equal(r.results[0]!.status, 'error');
    assert.match(r.results[0]!.message, /missing_table/);
    assert.ok(r.results.slice(1).every((x) => x.status === 'skipped'));
    assert.equal(events.filter((e) => e.type === 'started').length, 1);
    assert.equal(events.filter((e) => e.type === 'finished').length, 7);
    const saved = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
    assert.equal(saved.results.length, 7);
  } finally {
    removeDir(dir);
  }
});

test('an AbortSignal cancels a run: nothing new starts, the rest is skipped', async () => {
  const dir = writeProject(
    minimalProject(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`models/m_${i}.sql`, `select ${i} as id`]))),
  );
  try {
    const controller = new AbortController();
    const r = await run({
      projectDir: dir,
      threads: 1,
      signal: controller.signal,
      onEvent: (e) => e.type === 'finished' && e.index === 2 && controller.abort(),
    });
    assert.equal(r.success, false);
    assert.equal(r.results.filter((x) => x.status === 'success').length, 2);
    assert.ok(r.results.slice(2).every((x) => x.status === 'skipped' && /cancelled/.test(x.message)));
  } finally {
    removeDir(dir);
  }
});

test('threads run independent nodes at once', async () => {
  const dir = writeProject(
    minimalProject(
      Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [
          `models/m_${i}.sql`,
          `{{ config(materialized='table') }}select sum(i) as s from range(2000000) t(i)`,
        ]),
      ),
    ),
  );
  try {
    const events: NodeEvent[] = [];
    let running = 0;
    let peak = 0;
    await run({
      projectDir: dir,
      threads: 3,
      onEvent: (e) => ((running += e.type === 'started' ? 1 : -1), (peak = Math.max(peak, running)), events.push(e)),
    });
    assert.equal(peak, 3);
    assert.deepEqual(
      new Set(events.filter((e) => e.type === 'started').map((e) => (e as { threadId: string }).threadId)),
      new Set(['Thread-1', 'Thread-2', 'Thread-3']),
    );
  } finally {
    removeDir(dir);
  }
});

test('seeds: nulls, quotes and commas, types, column_types, re-run replaces data, 100k rows', async (t) => {
  const rows = ['id,name,price,active,day,at'];
  for (let i = 0; i < 100_000; i++)
    rows.push(
      `${i},"item ${i}, ""quoted""",${(i % 100) / 4},${i % 2 === 0},2024-01-${String((i % 28) + 1).padStart(2, '0')},2024-01-01 10:00:${String(i % 60).padStart(2, '0')}`,
    );
  const dir = writeProject(
    minimalProject({
      'seeds/small.csv': 'code,label,amount\n007,"a, b",1.5\n010,,\n011,"say ""hi""",2\n',
      'seeds/big.csv': rows.join('\n') + '\n',
      'seeds/props.yml': 'version: 2\nseeds:\n  - name: small\n    config:\n      column_types: {code: varchar}\n',
    }),
  );
  try {
    const started = performance.now();
    const r = await seed({ projectDir: dir });
    const ms = performance.now() - started;
    t.diagnostic(`100,000-row seed (and a small one) loaded in ${ms.toFixed(0)} ms`);
    assert.equal(r.success, true);
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, 'select code, label, amount from small order by code'), [
      { code: '007', label: 'a, b', amount: 1.5 },
      { code: '010', label: null, amount: null },
      { code: '011', label: 'say "hi"', amount: 2 },
    ]);
    const types = await queryDuckDB(
      db,
      `select column_name, data_type from information_schema.columns where table_name = 'big' order by ordinal_position`,
    );
    assert.deepEqual(
      types.map((x) => x.data_type),
      ['BIGINT', 'VARCHAR', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'],
    );
    assert.deepEqual(await queryDuckDB(db, 'select count(*) as n from big'), [{ n: 100_000 }]);
    writeFileSync(join(dir, 'seeds/small.csv'), 'code,label,amount\n1,x,2\n');
    await seed({ projectDir: dir, select: ['small'] });
    assert.deepEqual(await queryDuckDB(db, 'select count(*) as n from small'), [{ n: 1 }]);
  } finally {
    removeDir(dir);
  }
});

test('kiln init scaffolds a project that builds', () => {
  const parent = writeProject({});
  try {
    const r = kiln(['init', 'my_project'], { cwd: parent });
    assert.equal(r.code, 0, r.stderr);
    const b = kiln(['build', '--project-dir', join(parent, 'my_project')]);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.match(b.stdout, /PASS=\d+ WARN=0 ERROR=0 SKIP=0/);
  } finally {
    removeDir(parent);
  }
});

test('--log-format json prints one JSON object per line', () => {
  const dir = writeProject(minimalProject({ 'models/a.sql': 'select 1 as id' }));
  try {
    const r = kiln(['--log-format', 'json', 'run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const finished = lines.find((l) => l.event === 'node_finished');
    assert.equal(finished.node_id, 'model.tiny.a');
    assert.equal(finished.status, 'success');
    assert.equal(lines.at(-1).event, 'run_finished');
  } finally {
    removeDir(dir);
  }
});

test('profiles.yml: env_var with as_number renders before validation; target is chosen', () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': "select '{{ target.name }}' as t",
      'profiles.yml':
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      threads: \"{{ env_var('KILN_TEST_THREADS', '3') | as_number }}\"\n    ci:\n      type: duckdb\n      path: ci.duckdb\n",
    }),
  );
  try {
    const d = kiln(['debug', '--project-dir', dir], { env: { KILN_TEST_THREADS: '5' } });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /threads: 5/);
    const r = kiln(['run', '--project-dir', dir, '--target', 'ci']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'ci.duckdb')));
  } finally {
    removeDir(dir);
  }
});
