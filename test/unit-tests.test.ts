/**
 * Unit tests through the real CLI on DuckDB: each input format (dict, csv, sql; inline and
 * fixture files) passing on a correct model and failing on a buggy one with a readable diff,
 * incremental models in both modes, ordering and skipping in `build`, `--empty`, selection,
 * artifacts and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, repoRoot, removeDir, tempDir, writeProject, minimalProject } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { Ajv } from 'ajv';
import { manifestSchema, runResultsSchema } from '../src/artifacts/schemas.js';

const ajv = new Ajv({ strict: false });
function validate(which: 'manifest' | 'run_results', data: unknown): void {
  assert.ok(ajv.validate(which === 'manifest' ? manifestSchema : runResultsSchema, data), JSON.stringify(ajv.errors));
}

function shop(): string {
  const dir = tempDir('kiln-unit-');
  cpSync(join(repoRoot, 'test', 'fixtures', 'unit', 'shop'), dir, { recursive: true });
  return dir;
}

/** The bug the unit tests are there to catch: refunded orders counted as paid. */
function breakTotals(dir: string): void {
  const file = join(dir, 'models', 'customer_totals.sql');
  writeFileSync(file, readFileSync(file, 'utf8').replace(" and o.status = 'paid'", ''));
}

function results(dir: string): Map<string, { status: string; message: string; failures: number | null }> {
  const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
  validate('run_results', rr);
  return new Map(
    rr.results.map((r: { unique_id: string; status: string; message: string; failures: number | null }) => [
      r.unique_id,
      r,
    ]),
  );
}

const totalsTests = ['totals_from_dict', 'totals_from_csv', 'totals_from_csv_fixture', 'totals_from_sql'].map(
  (n) => `unit_test.shop.customer_totals.${n}`,
);
const logTests = ['first_run', 'incremental_run'].map((n) => `unit_test.shop.order_log.${n}`);

test('kiln test --select test_type:unit passes every format on a fresh database, with nothing built', () => {
  const dir = shop();
  try {
    const r = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = results(dir);
    assert.deepEqual([...res.keys()].sort(), [...totalsTests, ...logTests].sort());
    for (const [id, x] of res) assert.equal(x.status, 'pass', `${id}: ${x.message}`);
    assert.match(r.stdout, /PASS\s+unit_test customer_totals::totals_from_dict/);
    // Nothing was built: unit tests read fixtures, not relations.
    const tables = kiln(['ls', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(tables.stdout.trim().split('\n').length, 6);
  } finally {
    removeDir(dir);
  }
});

test('a buggy model fails its unit tests in every format, with a diff of expected and actual rows', () => {
  const dir = shop();
  try {
    breakTotals(dir);
    const r = kiln(['test', '--project-dir', dir, '--select', 'customer_totals']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = results(dir);
    for (const id of totalsTests) assert.equal(res.get(id)?.status, 'fail', `${id}: ${res.get(id)?.message}`);
    // Only customer_totals and its unit tests were selected.
    assert.deepEqual([...res.keys()].sort(), [...totalsTests].sort());
    const dict = res.get('unit_test.shop.customer_totals.totals_from_dict')!;
    assert.equal(dict.failures, 1);
    assert.match(dict.message, /actual differs from expected \(1 changed row\)/);
    // The changed cells, as expected → actual; the matching row unmarked; only expected columns.
    assert.match(dict.message, /→ \| bob +\| 0 → 1 +\| 0 → 9/);
    assert.match(dict.message, /\n {2}\| ann +\| 2 +\| 3\.75/);
    assert.doesNotMatch(dict.message, /customer_id/);
    const fixture = res.get('unit_test.shop.customer_totals.totals_from_csv_fixture')!;
    assert.match(fixture.message, /→ \| ann +\| 1 → 2 +\| 1\.1 → 11\.09 +\| 2024-03-01 → 2024-03-04/);
    // The summary prints the whole diff table.
    assert.match(r.stdout, /Failure in unit_test totals_from_sql \(models\/unit_tests\.yml\)/);
    assert.match(r.stdout, /'-' expected but not returned, '\+' returned but not expected/);
  } finally {
    removeDir(dir);
  }
});

test('missing and extra rows are marked in the diff', () => {
  const dir = shop();
  try {
    writeFileSync(
      join(dir, 'models', 'more.yml'),
      `unit_tests:
  - name: wrong_expectation
    model: customer_totals
    given:
      - input: ref('stg_customers')
        rows: [{customer_id: 1, name: ann}, {customer_id: 2, name: bob}]
      - input: ref('stg_orders')
        rows: []
    expect:
      rows:
        - {customer_id: 1, name: ann}
        - {customer_id: 3, name: cy}
        - {customer_id: 3, name: cy}
`,
    );
    const r = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit,wrong_expectation']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const m = results(dir).get('unit_test.shop.customer_totals.wrong_expectation')!.message;
    // Rows sharing no cell are not paired: they show as missing and extra.
    assert.match(m, /\(2 missing rows, 1 extra row\)/);
    assert.match(m, /\n {2}\| 1 +\| ann\n/);
    assert.equal(m.match(/\n- \| 3 +\| cy/g)?.length, 2);
    assert.match(m, /\n\+ \| 2 +\| bob/);
  } finally {
    removeDir(dir);
  }
});

test('an incremental model is unit tested in both modes; a broken incremental filter fails only that mode', () => {
  const dir = shop();
  try {
    let r = kiln(['test', '--project-dir', dir, '--select', 'order_log']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const file = join(dir, 'models', 'order_log.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('ordered_at > (select', 'ordered_at >= (select'));
    r = kiln(['test', '--project-dir', dir, '--select', 'order_log']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = results(dir);
    assert.equal(res.get('unit_test.shop.order_log.first_run')!.status, 'pass');
    const inc = res.get('unit_test.shop.order_log.incremental_run')!;
    assert.equal(inc.status, 'fail');
    assert.match(inc.message, /\+ \| 2 +\| 2024-01-05/);
  } finally {
    removeDir(dir);
  }
});

test('build: unit tests run before their model; a failure skips the model and its descendants only', async () => {
  const dir = shop();
  try {
    breakTotals(dir);
    const r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = results(dir);
    assert.equal(res.get('model.shop.customer_totals')!.status, 'skipped');
    assert.match(res.get('model.shop.customer_totals')!.message, /skipped because unit_test 'totals_from_/);
    assert.equal(res.get('model.shop.customer_report')!.status, 'skipped');
    assert.equal(res.get('model.shop.order_log')!.status, 'success');
    assert.equal(res.get('model.shop.stg_orders')!.status, 'success');
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(
      await queryDuckDB(
        db,
        `select table_name from information_schema.tables where table_name in ('customer_totals', 'customer_report')`,
      ),
      [],
    );
    // Unit tests came after the model's parents and before the model.
    const order = r.stdout
      .split('\n')
      .filter((l) => / of \d+ /.test(l))
      .map((l) => l.replace(/^.*? of \d+ \S+\s+/, ''));
    const at = (s: string) => order.findIndex((l) => l.includes(s));
    assert.ok(at('main.stg_orders') < at('customer_totals::totals_from_dict'), order.join('\n'));
    assert.ok(at('customer_totals::totals_from_dict') < at('main.customer_totals'), order.join('\n'));

    // Fixed, the same build succeeds and the model holds real data.
    cpSync(
      join(repoRoot, 'test', 'fixtures', 'unit', 'shop', 'models', 'customer_totals.sql'),
      join(dir, 'models', 'customer_totals.sql'),
    );
    const ok = kiln(['build', '--project-dir', dir]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.deepEqual(await queryDuckDB(db, 'select name, paid_orders from customer_totals order by name'), [
      { name: 'ann', paid_orders: 2 },
      { name: 'bob', paid_orders: 1 },
      { name: 'cy', paid_orders: 0 },
    ]);
  } finally {
    removeDir(dir);
  }
});

test('--empty builds every relation with its columns and no rows; unit tests then type fixtures from them', async () => {
  const dir = shop();
  try {
    const r = kiln(['build', '--project-dir', dir, '--empty', '--exclude', 'test_type:unit']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const db = join(dir, 'target', 'kiln.duckdb');
    assert.deepEqual(await queryDuckDB(db, 'select count(*) as n from customer_totals'), [{ n: 0 }]);
    assert.deepEqual(await queryDuckDB(db, 'select count(*) as n from order_log'), [{ n: 0 }]);
    const cols = await queryDuckDB(
      db,
      `select column_name, data_type from information_schema.columns where table_name = 'customer_totals' order by ordinal_position`,
    );
    assert.deepEqual(
      cols.map((c) => c.column_name),
      ['customer_id', 'name', 'paid_orders', 'paid_amount', 'last_order'],
    );
    assert.equal(cols[3]!.data_type, 'DECIMAL(38,2)');
    // Seeds still load: --empty is about what models read.
    assert.deepEqual(await queryDuckDB(db, 'select count(*) as n from raw_orders'), [{ n: 4 }]);
    const t = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(t.code, 0, t.stdout + t.stderr);
  } finally {
    removeDir(dir);
  }
});

test('the manifest lists unit tests under unit_tests with dbt ids; selection by tag and resource type', () => {
  const dir = shop();
  try {
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
    validate('manifest', manifest);
    const ut = manifest.unit_tests['unit_test.shop.customer_totals.totals_from_dict'];
    assert.equal(ut.model, 'customer_totals');
    assert.deepEqual(ut.depends_on.nodes, ['model.shop.customer_totals']);
    assert.equal(ut.given[1].input, "ref('stg_orders')");
    assert.equal(manifest.nodes['unit_test.shop.customer_totals.totals_from_dict'], undefined);
    assert.equal(
      kiln(['ls', '--project-dir', dir, '--select', 'tag:totals']).stdout.trim(),
      'unit_test:shop.customer_totals.totals_from_dict',
    );
    assert.equal(
      kiln(['ls', '--project-dir', dir, '--select', 'resource_type:unit_test']).stdout.trim().split('\n').length,
      6,
    );
    // `run` builds models only; unit tests of a selected model come along in `test` and `build`.
    const ids = kiln(['ls', '--project-dir', dir, '--select', 'order_log']).stdout.trim().split('\n');
    assert.deepEqual(ids.sort(), [
      'shop.order_log',
      'unit_test:shop.order_log.first_run',
      'unit_test:shop.order_log.incremental_run',
    ]);
  } finally {
    removeDir(dir);
  }
});

test('overrides: macros, vars and env_vars replace the invocation values for the model under test', async () => {
  const dir = writeProject(
    minimalProject({
      'macros/today.sql': '{% macro today() %}current_date{% endmacro %}',
      'models/src.sql': 'select 1 as x',
      'models/m.sql':
        "{{ config(materialized='table') }}select x * {{ var('factor', 1) }} as y, '{{ env_var('KILN_UNIT_LABEL', 'none') }}' as label, {{ today() }} as d from {{ ref('src') }}",
      'models/u.yml': `unit_tests:
  - name: with_overrides
    model: m
    overrides:
      macros: {today: "date '2024-02-29'"}
      vars: {factor: 10}
      env_vars: {KILN_UNIT_LABEL: mocked}
    given:
      - input: ref('src')
        rows: [{x: 4}]
    expect:
      rows: [{y: 40, label: mocked, d: '2024-02-29'}]
`,
    }),
  );
  try {
    // In one build: the unit test sees the overrides, the model built after it does not.
    const r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rows = await queryDuckDB(
      join(dir, 'target', 'kiln.duckdb'),
      'select y, label, d = current_date as today from m',
    );
    assert.deepEqual(rows, [{ y: 1, label: 'none', today: true }]);
  } finally {
    removeDir(dir);
  }
});

test('bad unit test definitions exit 2 with the file and line', () => {
  const cases: Array<[string, RegExp]> = [
    [
      '  - name: t\n    model: nope\n    given: []\n    expect: {rows: []}\n',
      /models\/u\.yml:3: unit test 't' tests model 'nope', which does not exist/,
    ],
    [
      "  - name: t\n    model: m\n    given:\n      - input: ref('other')\n        rows: []\n    expect: {rows: []}\n",
      /models\/u\.yml:5: unit test 't': model 'm' does not ref\('other'\)/,
    ],
    [
      "  - name: t\n    model: m\n    given:\n      - input: ref('src')\n        format: xml\n        rows: []\n    expect: {rows: []}\n",
      /models\/u\.yml:6: .*format 'xml' is not one of dict, csv, sql/,
    ],
    [
      "  - name: t\n    model: m\n    given:\n      - input: ref('src')\n        rows: []\n    expect: {fixture: f}\n",
      /a fixture file needs format: csv or sql/,
    ],
    ['  - name: t\n    model: m\n    givn: []\n', /models\/u\.yml:4: unknown key 'givn' in unit test 't'/],
    [
      '  - name: t\n    model: m\n    given: []\n    expect: {rows: []}\n',
      /models\/u\.yml:4: unit test 't': model 'm' reads ref\('src'\), but no input gives its rows\n {2}hint: add to given: - input: ref\('src'\)/,
    ],
    [
      "  - name: t\n    model: m\n    given:\n      - input: ref('src')\n        format: csv\n        fixture: nope\n    expect: {rows: []}\n",
      /models\/u\.yml:7: unit test 't': no fixture file nope\.csv under tests\/fixtures\/\n {2}hint: create tests\/fixtures\/nope\.csv/,
    ],
  ];
  for (const [yaml, expected] of cases) {
    const dir = writeProject(
      minimalProject({
        'models/src.sql': 'select 1 as x',
        'models/m.sql': "select * from {{ ref('src') }}",
        'models/u.yml': `unit_tests:\n${yaml}`,
      }),
    );
    try {
      const r = kiln(['test', '--project-dir', dir]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
    } finally {
      removeDir(dir);
    }
  }
});

test('an expected column the model does not return is an error naming the columns it does', () => {
  const dir = writeProject(
    minimalProject({
      'models/a.sql': 'select 1 as x',
      'models/b.sql': 'select 2 as x',
      'models/m.sql': "select a.x from {{ ref('a') }} as a join {{ ref('b') }} as b on a.x = b.x",
      'models/u.yml': `unit_tests:
  - name: bad_column
    model: m
    given:
      - input: ref('a')
        rows: [{x: 1}]
      - input: ref('b')
        rows: [{x: 1}]
    expect: {rows: [{y: 1}]}
`,
    }),
  );
  try {
    const r = kiln(['test', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = results(dir);
    assert.match(
      res.get('unit_test.tiny.m.bad_column')!.message,
      /expect names column 'y', which model 'm' does not return\n {2}hint: the model returns: x/,
    );
  } finally {
    removeDir(dir);
  }
});

test('a source input: columns not given are NULLs of the types declared in its YAML', () => {
  const dir = writeProject(
    minimalProject({
      'models/src.yml': `sources:
  - name: raw
    tables:
      - name: payments
        columns:
          - {name: id, data_type: integer}
          - {name: paid_at, data_type: date}
          - {name: amount, data_type: "decimal(10,2)"}
unit_tests:
  - name: from_source
    model: payments_by_year
    given:
      - input: source('raw', 'payments')
        rows:
          - {id: 1, amount: 5}
          - {id: 2, paid_at: '2023-04-01', amount: 7.5}
    expect:
      rows:
        - {y: null, total: 5, paid_type: DATE, amount_type: 'DECIMAL(10,2)'}
        - {y: 2023, total: 7.5, paid_type: DATE, amount_type: 'DECIMAL(10,2)'}
`,
      'models/payments_by_year.sql':
        "select year(paid_at) as y, sum(amount) as total, typeof(any_value(paid_at)) as paid_type, typeof(any_value(amount)) as amount_type from {{ source('raw', 'payments') }} group by 1",
    }),
  );
  try {
    const r = kiln(['test', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    removeDir(dir);
  }
});

test('unit tests are selected by the unit_test: method, and ls --output selector prints selectors that select them again', () => {
  const dir = shop();
  try {
    const listed = kiln(['ls', '--project-dir', dir, '--resource-type', 'unit_test']);
    assert.equal(listed.code, 0, listed.stderr);
    const selectors = listed.stdout.trim().split('\n');
    assert.ok(selectors.length >= 2 && selectors.every((s) => s.startsWith('unit_test:shop.')), listed.stdout);
    const again = kiln(['ls', '--project-dir', dir, '-s', selectors[0]!]);
    assert.deepEqual(again.stdout.trim().split('\n'), [selectors[0]]);
    const byGlob = kiln([
      'ls',
      '--project-dir',
      dir,
      '-s',
      'unit_test:customer_totals.totals_from_*',
      '--output',
      'name',
    ]);
    assert.ok(
      byGlob.stdout
        .trim()
        .split('\n')
        .every((n) => n.startsWith('totals_from_')),
    );
    const run = kiln(['test', '--project-dir', dir, '-s', selectors[0]!]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /TOTAL=1\b/);
  } finally {
    removeDir(dir);
  }
});
