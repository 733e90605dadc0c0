/**
 * Exposures end to end through the CLI: parsed from properties YAML, written to
 * manifest.json with their edges, selected with `exposure:` and `+exposure:x`, listed by
 * `ls`, never run by run/build/test, and wrong entries are bad input at their line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const exposuresYml = `version: 2
exposures:
  - name: weekly_dashboard
    label: Weekly revenue
    type: dashboard
    maturity: high
    url: https://bi.example.com/dashboards/7
    description: Revenue by week for the finance team.
    owner:
      name: Finance analytics
      email: finance@example.com
    depends_on:
      - ref('fct_orders')
      - source('shop', 'raw_orders')
    tags: [finance]
    meta:
      tier: 1
  - name: churn_model
    type: ml
    owner: { email: ds@example.com }
    depends_on: ["{{ ref('customers') }}"]
  - name: retired_report
    type: analysis
    owner: { name: nobody }
    depends_on: [ref('fct_orders')]
    config:
      enabled: false
`;

const files = minimalProject({
  'seeds/raw_orders.csv': 'order_id,amount\n1,10\n2,20\n',
  'models/sources.yml':
    'version: 2\nsources:\n  - name: shop\n    schema: main\n    tables:\n      - name: raw_orders\n',
  'models/stg_orders.sql': "select * from {{ source('shop', 'raw_orders') }}",
  'models/fct_orders.sql': "select order_id, amount * 2 as amount from {{ ref('stg_orders') }}",
  'models/customers.sql': 'select 1 as customer_id',
  'models/unrelated.sql': 'select 42 as answer',
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: fct_orders\n    columns:\n      - name: order_id\n        tests: [unique, not_null]\n',
  'models/marts/_exposures.yml': exposuresYml,
});

const dir = writeProject(files);
after(() => removeDir(dir));

const lines = (s: string) => s.trim().split('\n').filter(Boolean);

test('parse writes exposures in dbt shape, with parent_map and child_map edges', () => {
  const r = kiln(['parse', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
  assert.deepEqual(
    Object.keys(m.exposures).sort(),
    ['exposure.tiny.churn_model', 'exposure.tiny.weekly_dashboard'],
    'a disabled exposure is left out',
  );
  const e = m.exposures['exposure.tiny.weekly_dashboard'];
  assert.equal(e.resource_type, 'exposure');
  assert.equal(e.type, 'dashboard');
  assert.equal(e.label, 'Weekly revenue');
  assert.equal(e.maturity, 'high');
  assert.equal(e.url, 'https://bi.example.com/dashboards/7');
  assert.deepEqual(e.owner, { name: 'Finance analytics', email: 'finance@example.com' });
  assert.deepEqual(e.fqn, ['tiny', 'marts', 'weekly_dashboard']);
  assert.equal(e.original_file_path, 'models/marts/_exposures.yml');
  assert.deepEqual(e.tags, ['finance']);
  assert.deepEqual(e.meta, { tier: 1 });
  assert.deepEqual(e.depends_on.nodes.sort(), ['model.tiny.fct_orders', 'source.tiny.shop.raw_orders']);
  assert.deepEqual(e.refs, [{ name: 'fct_orders', package: null, version: null }]);
  assert.deepEqual(e.sources, [['shop', 'raw_orders']]);
  assert.deepEqual(
    m.exposures['exposure.tiny.churn_model'].depends_on.nodes,
    ['model.tiny.customers'],
    'a ref in {{ }} is read too',
  );
  assert.deepEqual(m.parent_map['exposure.tiny.weekly_dashboard'].sort(), [
    'model.tiny.fct_orders',
    'source.tiny.shop.raw_orders',
  ]);
  assert.deepEqual(m.child_map['exposure.tiny.weekly_dashboard'], []);
  assert.ok(m.child_map['model.tiny.fct_orders'].includes('exposure.tiny.weekly_dashboard'));
  assert.ok(m.child_map['source.tiny.shop.raw_orders'].includes('exposure.tiny.weekly_dashboard'));
});

test('ls lists exposures, selects them by exposure:, tag: and fqn, and walks their ancestors', () => {
  const only = kiln(['ls', '--project-dir', dir, '--resource-type', 'exposure']);
  assert.equal(only.code, 0, only.stderr);
  assert.deepEqual(lines(only.stdout), ['exposure:tiny.churn_model', 'exposure:tiny.weekly_dashboard']);
  const byMethod = kiln(['ls', '--project-dir', dir, '-s', 'exposure:tiny.weekly*', '--output', 'name']);
  assert.deepEqual(lines(byMethod.stdout), ['weekly_dashboard']);
  assert.deepEqual(lines(kiln(['ls', '--project-dir', dir, '-s', 'tag:finance', '--output', 'name']).stdout), [
    'weekly_dashboard',
  ]);
  assert.deepEqual(lines(kiln(['ls', '--project-dir', dir, '-s', 'marts.churn_model', '--output', 'path']).stdout), [
    'models/marts/_exposures.yml',
  ]);
  const upstream = kiln([
    'ls',
    '--project-dir',
    dir,
    '-s',
    '+exposure:weekly_dashboard',
    '--output',
    'name',
    '--resource-type',
    'model',
    'seed',
    'source',
    'exposure',
  ]);
  assert.equal(upstream.code, 0, upstream.stderr);
  assert.deepEqual(
    lines(upstream.stdout).sort(),
    ['fct_orders', 'raw_orders', 'raw_orders', 'stg_orders', 'weekly_dashboard'].sort(),
  );
  const json = kiln([
    'ls',
    '--project-dir',
    dir,
    '-s',
    'exposure:churn_model',
    '--output',
    'json',
    '--output-keys',
    'unique_id',
    'type',
    'owner',
  ]);
  assert.deepEqual(JSON.parse(lines(json.stdout)[0]!), {
    unique_id: 'exposure.tiny.churn_model',
    type: 'ml',
    owner: { email: 'ds@example.com', name: null },
  });
  const none = kiln(['ls', '--project-dir', dir, '-s', 'exposure:nothing_like_it']);
  assert.equal(none.code, 0);
  assert.match(none.stderr, /the selector 'exposure:nothing_like_it' matched no nodes/);
  const bad = kiln(['ls', '--project-dir', dir, '-s', 'exposure:a.b.c']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /exposure:a\.b\.c/);
});

test('build +exposure:x builds and tests exactly its upstream; exposures never run', async () => {
  const r = kiln(['build', '--project-dir', dir, '-s', '+exposure:weekly_dashboard']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const results = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
    unique_id: string;
    status: string;
  }>;
  const ids = results.map((x) => x.unique_id);
  assert.ok(!ids.some((id) => id.startsWith('exposure.')), 'no exposure is executed');
  for (const id of ['seed.tiny.raw_orders', 'model.tiny.stg_orders', 'model.tiny.fct_orders'])
    assert.ok(ids.includes(id), `${id} built`);
  assert.equal(ids.filter((id) => id.startsWith('test.')).length, 2, "fct_orders' tests ran");
  assert.ok(!ids.includes('model.tiny.unrelated') && !ids.includes('model.tiny.customers'));
  const db = join(dir, 'target', 'kiln.duckdb');
  const tables = (
    await queryDuckDB(db, "select table_name from information_schema.tables where table_schema = 'main'")
  ).map((t) => t.table_name);
  assert.ok(tables.includes('fct_orders') && !tables.includes('unrelated'));

  for (const command of ['run', 'test', 'build']) {
    const all = kiln([command, '--project-dir', dir]);
    assert.equal(all.code, 0, `${command}: ${all.stderr}`);
    const ran = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results as Array<{
      unique_id: string;
    }>;
    assert.ok(ran.length > 0);
    assert.ok(!ran.some((x) => x.unique_id.startsWith('exposure.')), `${command} leaves exposures alone`);
  }
  // Selecting only an exposure runs nothing and says so.
  const nothing = kiln(['run', '--project-dir', dir, '-s', 'exposure:weekly_dashboard']);
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(nothing.stderr + nothing.stdout, /nothing to do/);
});

/** Each case: one wrong exposure entry and where the error must point. */
const badCases: Array<{ name: string; yml: string; expect: RegExp }> = [
  {
    name: 'unknown type',
    yml: 'exposures:\n  - name: x\n    type: report\n    owner: { name: a }\n',
    expect: /_exposures\.yml:4[\s\S]*must be one of: dashboard, notebook, analysis, ml, application/,
  },
  {
    name: 'no owner',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n',
    expect: /_exposures\.yml:3[\s\S]*missing the required key 'owner'/,
  },
  {
    name: 'an owner with neither name nor email',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { slack: "#data" }\n',
    expect: /_exposures\.yml:5/,
  },
  {
    name: 'a misspelt key',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { name: a }\n    depends_onn: []\n',
    expect: /_exposures\.yml:6[\s\S]*unknown key 'depends_onn'/,
  },
  {
    name: 'a bare name in depends_on',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { name: a }\n    depends_on:\n      - ref("fct_orders")\n      - fct_orders\n',
    expect: /_exposures\.yml:8[\s\S]*'fct_orders' is not a ref\(\), source\(\) or metric\(\) call/,
  },
  {
    name: 'a ref to nothing',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { name: a }\n    depends_on: [ref("fct_ordrs")]\n',
    expect:
      /_exposures\.yml:3[\s\S]*exposure 'x' depends on 'fct_ordrs', which was not found[\s\S]*did you mean 'fct_orders'/,
  },
  {
    name: 'a source with one argument',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { name: a }\n    depends_on: [source("shop")]\n',
    expect: /source\(\) in depends_on takes a source name and a table name/,
  },
  {
    name: 'two exposures of one name',
    yml: 'exposures:\n  - name: x\n    type: dashboard\n    owner: { name: a }\n  - name: x\n    type: notebook\n    owner: { name: b }\n',
    expect: /_exposures\.yml:6[\s\S]*two exposures are named 'x'/,
  },
];

for (const c of badCases) {
  test(`bad exposure: ${c.name} is exit 2 at its line`, () => {
    const bad = writeProject({ ...files, 'models/marts/_exposures.yml': `version: 2\n${c.yml}` });
    try {
      const r = kiln(['parse', '--project-dir', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.expect);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      removeDir(bad);
    }
  });
}

test("an exposure's description resolves doc(), and templates see exposures in graph.exposures", () => {
  const extra = writeProject({
    ...files,
    'models/docs.md': '{% docs weekly %}The finance team reads this every Monday.{% enddocs %}',
    'models/marts/_exposures.yml': exposuresYml.replace(
      'description: Revenue by week for the finance team.',
      'description: "{{ doc(\'weekly\') }}"',
    ),
    'models/exposure_owners.sql': [
      '{% set owners = [] %}',
      // As in dbt, the graph is there once parsing is over: under `execute`.
      '{% if execute %}{% for e in graph.exposures.values() %}{% do owners.append(e.name ~ "=" ~ e.owner.email ~ "<" ~ e.depends_on.nodes | length) %}{% endfor %}{% endif %}',
      'select \'{{ owners | sort | join(",") }}\' as owners',
    ].join('\n'),
  });
  try {
    const r = kiln(['compile', '--project-dir', extra, '-s', 'exposure_owners']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /select 'churn_model=ds@example\.com<1,weekly_dashboard=finance@example\.com<2' as owners/);
    const m = JSON.parse(readFileSync(join(extra, 'target', 'manifest.json'), 'utf8'));
    assert.equal(
      m.exposures['exposure.tiny.weekly_dashboard'].description,
      'The finance team reads this every Monday.',
    );
  } finally {
    removeDir(extra);
  }
});
