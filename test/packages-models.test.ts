import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deps } from '../src/index.js';
import { kiln, writeProject, removeDir, tempDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

/** A package with its own dbt_project.yml (vars, models and seeds trees), models, a seed, YAML, a source and tests. */
const shopPackage = {
  'dbt_project.yml': [
    'name: shop_pkg',
    'config-version: 2',
    'vars:',
    '  discount: 10',
    'models:',
    '  shop_pkg:',
    '    +materialized: table',
    '    +schema: pkg',
    '    staging:',
    '      +materialized: view',
    'seeds:',
    '  shop_pkg:',
    '    +schema: pkg_seeds',
    '',
  ].join('\n'),
  'macros/money.sql': '{% macro cents(col) %}cast(({{ col }} * 100) as integer){% endmacro %}',
  'tests/generic/positive.sql':
    '{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}',
  // Jinja beyond simple calls: rendered by the template engine, calling the package's macro unprefixed.
  'models/staging/m.sql':
    "{{ config(materialized='view') }}\nselect id, {{ cents('price') }} as price_cents, {{ var('discount') }} as discount from {{ ref('pkg_prices') }}",
  'models/shared.sql': "select 'pkg' as who",
  // An unqualified ref searches the root project first, as dbt's does.
  'models/uses_shared.sql': 'select who from {{ ref("shared") }}',
  'models/from_source.sql': "select count(*) as n from {{ source('raw', 'events') }}",
  'models/schema.yml': [
    'version: 2',
    'models:',
    '  - name: m',
    '    description: prices in cents',
    '    columns:',
    '      - name: id',
    '        data_tests: [unique, not_null]',
    '      - name: price_cents',
    '        data_tests: [positive]',
    'sources:',
    '  - name: raw',
    '    schema: "{{ target.schema }}_pkg_seeds"',
    '    tables:',
    '      - name: events',
    '        identifier: pkg_events',
    '        columns:',
    '          - name: id',
    '            data_tests: [not_null]',
    '',
  ].join('\n'),
  'seeds/pkg_prices.csv': 'id,price\n1,2.5\n2,4\n',
  'seeds/pkg_events.csv': 'id,kind\n1,a\n2,b\n3,c\n',
  'tests/m_has_rows.sql': "select 1 as missing where (select count(*) from {{ ref('m') }}) = 0",
};

const rootProject = {
  'dbt_project.yml': [
    'name: shop',
    'profile: shop',
    'config-version: 2',
    'models:',
    '  shop_pkg:',
    '    staging:',
    // The root's tree overrides the package's tree and even config() in the package's file.
    '      +materialized: table',
    '      +schema: pkg_stg',
    '',
  ].join('\n'),
  'packages.yml': 'packages:\n  - local: ../pkg\n',
  'models/orders.sql': "select m.id, m.price_cents, m.discount from {{ ref('shop_pkg', 'm') }} m",
  'models/orders_again.sql': "select count(*) as n from {{ ref('m') }}",
  'models/shared.sql': "select 'root' as who",
  'models/combined.sql':
    "select who from {{ ref('shop_pkg', 'shared') }} union all select who from {{ ref('shared') }}",
};

test("a package's models, seeds, tests, sources and configs load, build and test with the project", async () => {
  const parent = tempDir('kiln-pkg-models-');
  writeProject(shopPackage, join(parent, 'pkg'));
  const dir = writeProject(rootProject, join(parent, 'root'));
  try {
    const d = kiln(['deps', '--project-dir', dir]);
    assert.equal(d.code, 0, d.stderr + d.stdout);

    const ls = kiln([
      'ls',
      '--project-dir',
      dir,
      '--select',
      'package:shop_pkg',
      '--resource-type',
      'model',
      'seed',
      'source',
    ]);
    assert.equal(ls.code, 0, ls.stderr + ls.stdout);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), [
      'shop_pkg.from_source',
      'shop_pkg.pkg_events',
      'shop_pkg.pkg_prices',
      'shop_pkg.shared',
      'shop_pkg.staging.m',
      'shop_pkg.uses_shared',
      'source:shop_pkg.raw.events',
    ]);

    const b = kiln(['build', '--project-dir', dir]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
      unique_id: string;
      status: string;
    }>;
    const byType = (t: string) => results.filter((r) => r.unique_id.startsWith(`${t}.`));
    assert.equal(byType('model').length, 8);
    assert.equal(byType('seed').length, 2);
    // unique, not_null and positive on m; not_null on the source; the singular test.
    assert.equal(byType('test').filter((r) => r.unique_id.startsWith('test.shop_pkg.')).length, 5);
    assert.ok(
      results.every((r) => r.status === 'success' || r.status === 'pass'),
      JSON.stringify(results),
    );

    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
    const m = manifest.nodes['model.shop_pkg.m'];
    assert.equal(m.package_name, 'shop_pkg');
    assert.equal(m.original_file_path, 'dbt_packages/shop_pkg/models/staging/m.sql');
    assert.equal(m.path, 'staging/m.sql');
    assert.deepEqual(m.fqn, ['shop_pkg', 'staging', 'm']);
    assert.equal(m.description, 'prices in cents');
    assert.ok(manifest.sources['source.shop_pkg.raw.events']);
    assert.deepEqual(manifest.nodes['model.shop.orders'].depends_on.nodes, ['model.shop_pkg.m']);
    assert.deepEqual(manifest.nodes['model.shop.orders_again'].depends_on.nodes, ['model.shop_pkg.m']);

    const db = join(dir, 'target', 'kiln.duckdb');
    const q = (sql: string) => queryDuckDB(db, sql);
    assert.deepEqual(await q('select id, price_cents, discount from main_pkg_stg.m order by id'), [
      { id: 1, price_cents: 250, discount: 10 },
      { id: 2, price_cents: 400, discount: 10 },
    ]);
    const types = await q(
      "select table_schema || '.' || table_name as rel, table_type from information_schema.tables where table_schema like 'main%' order by 1",
    );
    assert.deepEqual(types, [
      { rel: 'main.combined', table_type: 'VIEW' },
      { rel: 'main.orders', table_type: 'VIEW' },
      { rel: 'main.orders_again', table_type: 'VIEW' },
      { rel: 'main.shared', table_type: 'VIEW' },
      { rel: 'main_pkg.from_source', table_type: 'BASE TABLE' },
      { rel: 'main_pkg.shared', table_type: 'BASE TABLE' },
      { rel: 'main_pkg.uses_shared', table_type: 'BASE TABLE' },
      { rel: 'main_pkg_seeds.pkg_events', table_type: 'BASE TABLE' },
      { rel: 'main_pkg_seeds.pkg_prices', table_type: 'BASE TABLE' },
      { rel: 'main_pkg_stg.m', table_type: 'BASE TABLE' },
    ]);
    assert.deepEqual(await q('select who from main.combined order by who'), [{ who: 'pkg' }, { who: 'root' }]);
    assert.deepEqual(await q('select who from main_pkg.uses_shared'), [{ who: 'root' }]);
    assert.deepEqual(await q('select n from main_pkg.from_source'), [{ n: 3 }]);
    assert.deepEqual(await q('select sum(price_cents) as s, count(*) as n from main.orders'), [{ s: 650, n: 2 }]);
    assert.deepEqual(await q('select n from main.orders_again'), [{ n: 2 }]);

    const run = kiln(['run', '--project-dir', dir, '--select', 'package:shop_pkg']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const ran = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
      unique_id: string;
    }>;
    assert.deepEqual(ran.map((r) => r.unique_id).sort(), [
      'model.shop_pkg.from_source',
      'model.shop_pkg.m',
      'model.shop_pkg.shared',
      'model.shop_pkg.uses_shared',
    ]);
  } finally {
    removeDir(parent);
  }
});

test('names are unique within a package: a clash inside one package is bad input, one name in two packages is fine', async () => {
  const parent = tempDir('kiln-pkg-clash-');
  writeProject(
    { 'dbt_project.yml': 'name: pkg_a\nconfig-version: 2\n', 'models/x.sql': "select 'a' as who" },
    join(parent, 'a'),
  );
  writeProject(
    {
      'dbt_project.yml': 'name: pkg_b\nconfig-version: 2\nmodels:\n  pkg_b:\n    +schema: b\n',
      'models/x.sql': "select 'b' as who",
    },
    join(parent, 'b'),
  );
  const dir = writeProject(
    {
      'dbt_project.yml': 'name: app\nprofile: app\nconfig-version: 2\nmodels:\n  pkg_a:\n    +schema: a\n',
      'packages.yml': 'packages:\n  - local: ../a\n  - local: ../b\n',
      'models/both.sql': "select who from {{ ref('pkg_a', 'x') }} union all select who from {{ ref('pkg_b', 'x') }}",
    },
    join(parent, 'app'),
  );
  try {
    const d = await deps({ projectDir: dir });
    assert.deepEqual(d.installed.map((p) => p.name).sort(), ['pkg_a', 'pkg_b']);
    const b = kiln(['build', '--project-dir', dir]);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    assert.deepEqual(await queryDuckDB(join(dir, 'target', 'kiln.duckdb'), 'select who from main.both order by who'), [
      { who: 'a' },
      { who: 'b' },
    ]);

    writeProject({ 'models/sub/x.sql': "select 'again' as who" }, join(parent, 'a'));
    const clash = kiln(['ls', '--project-dir', dir]);
    assert.equal(clash.code, 2, clash.stderr + clash.stdout);
    assert.match(clash.stderr, /two models are named 'x'/);
    assert.match(clash.stderr, /dbt_packages\/pkg_a\/models/);
    assert.doesNotMatch(clash.stderr, /\n\s+at /);
  } finally {
    removeDir(parent);
  }
});
