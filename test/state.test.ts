/**
 * State-based CI end to end: "production" builds version 1 of a project and keeps its
 * artifacts; version 2 changes a model, a macro, configs, an alias, a persisted description
 * and a contract; a pull-request build of `state:modified+ --defer` creates only the changed
 * models (and their children) in its own schema and reads everything else from production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';
import { ls, build } from '../src/index.js';

const v1: Record<string, string> = {
  'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\n',
  'profiles.yml':
    'app:\n  target: prod\n  outputs:\n    prod: {type: duckdb, path: warehouse.duckdb, schema: prod}\n    pr: {type: duckdb, path: warehouse.duckdb, schema: pr}\n',
  'seeds/raw_items.csv': 'id,amount,kind\n1,10,a\n2,20,b\n3,30,a\n',
  'macros/label.sql': "{% macro label(col) %}'kind ' || {{ col }}{% endmacro %}",
  'macros/outer.sql': '{% macro outer(col) %}{{ label(col) }}{% endmacro %}',
  'models/base.sql': "select * from {{ ref('raw_items') }}",
  'models/orders.sql': "select id, amount from {{ ref('base') }}",
  'models/customers.sql': "select id, kind from {{ ref('base') }}",
  'models/summary.sql': "select {{ outer('kind') }} as k, count(*) as n from {{ ref('base') }} group by 1",
  'models/report.sql':
    "select o.id, o.amount, c.kind from {{ ref('orders') }} o join {{ ref('customers') }} c using (id)",
  'models/kpi.sql': "select count(*) as n from {{ ref('base') }}",
  'models/described.sql': "select 1 as id from {{ ref('base') }} limit 1",
  'models/contracted.sql': "select 1 as id from {{ ref('base') }} limit 1",
  'models/untouched.sql': "select count(*) as n from {{ ref('base') }}",
  'models/schema.yml': [
    'version: 2',
    'models:',
    '  - name: orders',
    '    columns:',
    '      - name: id',
    '        data_tests: [not_null]',
    '  - name: customers',
    '    columns:',
    '      - name: id',
    '        data_tests: [unique]',
    '  - name: described',
    '    description: first words',
    '    config: {persist_docs: {relation: true}}',
    '  - name: contracted',
    '    config: {contract: {enforced: true}}',
    '    columns:',
    '      - name: id',
    '        data_type: integer',
    '',
  ].join('\n'),
};

/** Version 2, as a pull request would change it. */
function applyPullRequest(dir: string): void {
  const edit = (file: string, from: string, to: string) => {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(text.includes(from), `${file} contains ${from}`);
    writeFileSync(join(dir, file), text.replace(from, to));
  };
  edit('models/customers.sql', 'select id, kind', 'select id, upper(kind) as kind'); // body
  edit('macros/label.sql', "'kind '", "'KIND: '"); // a macro two calls deep
  edit(
    'dbt_project.yml',
    'config-version: 2\n',
    'config-version: 2\nmodels:\n  app:\n    orders:\n      +materialized: table\n',
  ); // configs
  edit(
    'models/schema.yml',
    '  - name: described\n    description: first words',
    '  - name: described\n    description: better words',
  ); // persisted description
  edit('models/schema.yml', '        data_type: integer', '        data_type: bigint'); // contract (and body, to keep it)
  edit('models/contracted.sql', 'select 1 as id', 'select cast(1 as bigint) as id');
  edit(
    'models/schema.yml',
    '  - name: customers\n',
    '  - name: kpi\n    config: {alias: kpi_v2}\n  - name: customers\n',
  ); // relation
  writeFileSync(join(dir, 'models/fresh.sql'), "select * from {{ ref('orders') }}"); // new
}

test('state: state:new and state:modified with subselectors, macro changes propagate', async () => {
  const dir = writeProject(v1);
  try {
    let r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    cpSync(join(dir, 'target'), join(dir, 'prod-artifacts'), { recursive: true });
    applyPullRequest(dir);
    const names = async (select: string, resourceTypes = ['model']) =>
      (await ls({ projectDir: dir, select: [select], resourceTypes, state: join(dir, 'prod-artifacts') })).ids
        .map((id) => id.split('.')[2]!)
        .sort();
    assert.deepEqual(await names('state:new'), ['fresh']);
    assert.deepEqual(await names('state:modified.body'), ['contracted', 'customers']);
    assert.deepEqual(await names('state:modified.macros'), ['summary']);
    assert.deepEqual(await names('state:modified.configs'), ['kpi', 'orders']);
    assert.deepEqual(await names('state:modified.relation'), ['kpi']);
    assert.deepEqual(await names('state:modified.persisted_descriptions'), ['described']);
    assert.deepEqual(await names('state:modified.contract'), ['contracted']);
    assert.deepEqual(await names('state:modified'), [
      'contracted',
      'customers',
      'described',
      'fresh',
      'kpi',
      'orders',
      'summary',
    ]);
    assert.deepEqual(await names('state:modified+'), [
      'contracted',
      'customers',
      'described',
      'fresh',
      'kpi',
      'orders',
      'report',
      'summary',
    ]);
    assert.deepEqual(await names('state:unmodified'), ['base', 'report', 'untouched']);
    assert.deepEqual(await names('state:old,state:modified.body state:new'), ['contracted', 'customers', 'fresh']);
    // The tests of modified models are unmodified themselves but come along (eager).
    assert.deepEqual(await names('state:modified', ['test']), ['not_null_orders_id', 'unique_customers_id']);
    // Through the CLI, as CI would check it before building.
    r = kiln([
      'ls',
      '--project-dir',
      dir,
      '-s',
      'state:modified',
      '--state',
      join(dir, 'prod-artifacts'),
      '--resource-type',
      'model',
      '--output',
      'name',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [
      'contracted',
      'customers',
      'described',
      'fresh',
      'kpi',
      'orders',
      'summary',
    ]);
    assert.match(
      r.stderr,
      /warning: breaking change to a contract: model 'contracted': column 'id' changed type from integer to bigint/,
    );
    // Comparing with itself, nothing is modified.
    kiln(['parse', '--project-dir', dir]);
    r = kiln(['ls', '--project-dir', dir, '-s', 'state:modified', '--state', join(dir, 'target')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the selector 'state:modified' matched no nodes/);
  } finally {
    removeDir(dir);
  }
});

test('state: a pull-request build of state:modified+ --defer creates only the changed models and reads the rest from production', async () => {
  const dir = writeProject(v1);
  const db = join(dir, 'warehouse.duckdb');
  try {
    let r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    cpSync(join(dir, 'target'), join(dir, 'prod-artifacts'), { recursive: true });
    applyPullRequest(dir);

    // Without --defer, the pull-request schema has no `base` to read.
    r = kiln(['run', '--project-dir', dir, '--target', 'pr', '-s', 'customers']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /pr.*base|base.*does not exist/i);

    const result = await build({
      projectDir: dir,
      target: 'pr',
      select: ['state:modified+'],
      defer: true,
      state: join(dir, 'prod-artifacts'),
    });
    assert.equal(result.success, true, result.results.map((x) => `${x.uniqueId} ${x.status} ${x.message}`).join('\n'));
    const ran = result.results.map((x) => x.uniqueId.split('.')[2]).sort();
    assert.deepEqual(ran, [
      'contracted',
      'customers',
      'described',
      'fresh',
      'kpi',
      'not_null_orders_id',
      'orders',
      'report',
      'summary',
      'unique_customers_id',
    ]);
    const pr = await queryDuckDB(
      db,
      "select table_name from information_schema.tables where table_schema = 'pr' order by 1",
    );
    assert.deepEqual(
      pr.map((x) => x.table_name),
      ['contracted', 'customers', 'described', 'fresh', 'kpi_v2', 'orders', 'report', 'summary'],
    );
    // Unselected parents were read from production; selected ones from the pull request's schema.
    const code = (name: string) => result.results.find((x) => x.uniqueId === `model.app.${name}`)!.compiledCode!;
    assert.match(code('customers'), /"prod"\."base"/);
    assert.match(code('report'), /"pr"\."orders"/);
    assert.match(code('report'), /"pr"\."customers"/);
    assert.deepEqual(await queryDuckDB(db, 'select kind from pr.customers order by id'), [
      { kind: 'A' },
      { kind: 'B' },
      { kind: 'A' },
    ]);
    assert.deepEqual(await queryDuckDB(db, 'select k, n from pr.summary order by k'), [
      { k: 'KIND: a', n: 2 },
      { k: 'KIND: b', n: 1 },
    ]);
    // Production is untouched.
    assert.deepEqual(await queryDuckDB(db, 'select kind from prod.customers order by id'), [
      { kind: 'a' },
      { kind: 'b' },
      { kind: 'a' },
    ]);

    // A node that exists in this environment is read from it, unless --favor-state.
    r = kiln([
      'run',
      '--project-dir',
      dir,
      '--target',
      'pr',
      '-s',
      'report',
      '--defer',
      '--state',
      join(dir, 'prod-artifacts'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const compiledReport = () =>
      JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results[0].compiled_code as string;
    assert.match(compiledReport(), /"pr"\."orders"/);
    r = kiln([
      'run',
      '--project-dir',
      dir,
      '--target',
      'pr',
      '-s',
      'report',
      '--defer',
      '--favor-state',
      '--state',
      join(dir, 'prod-artifacts'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(compiledReport(), /"prod"\."orders"/);
    // --defer-state names the folder to defer to when --state is not given.
    r = kiln([
      'compile',
      '--project-dir',
      dir,
      '--target',
      'pr',
      '-s',
      'report',
      '--defer',
      '--defer-state',
      join(dir, 'prod-artifacts'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /"prod"\."orders"/);
    // --defer alone is bad input.
    r = kiln(['run', '--project-dir', dir, '--target', 'pr', '-s', 'report', '--defer']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--defer needs --state or --defer-state/);
  } finally {
    removeDir(dir);
  }
});
