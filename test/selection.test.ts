/**
 * The selection language as a table of (selector → node set) cases on a fixture project
 * with folders, tags, configs in dbt_project.yml / YAML / files, an ephemeral model, seeds,
 * sources, tests on one and on several parents, an analysis and selectors.yml.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ls, type KilnOptions } from '../src/index.js';
import { kiln, repoRoot, tempDir, removeDir } from './helpers/cli.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'selection', 'shop');

function copyFixture(): string {
  const dir = tempDir('kiln-selection-');
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

/** Short labels: a node's name, a source as `source:src.table`. */
async function names(dir: string, opts: KilnOptions): Promise<{ names: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const r = await ls({ projectDir: dir, onLog: (level, m) => void (level === 'warn' && warnings.push(m)), ...opts });
  const m = r.project.parsed.manifest;
  const label = (id: string) => {
    const s = m.sources.get(id);
    return s ? `source:${s.sourceName}.${s.name}` : m.nodes.get(id)!.name;
  };
  return { names: r.ids.map(label).sort(), warnings };
}

const rel = 'relationships_fct_orders_customer_id__id__ref_dim_customers_';
const acc = 'accepted_values_fct_orders_status__placed__shipped';
const singular = 'assert_revenue_matches_orders';
const models = ['model'];

type Case = [string, KilnOptions, string[]];

const cases: Case[] = [
  // graph operators
  [
    '+fct_orders',
    { select: ['+fct_orders'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'int_order_totals', 'stg_customers', 'stg_orders'],
  ],
  ['fct_orders+', { select: ['fct_orders+'], resourceTypes: models }, ['fct_orders', 'revenue']],
  [
    '1+dim_customers',
    { select: ['1+dim_customers'], resourceTypes: models },
    ['dim_customers', 'int_order_totals', 'stg_customers'],
  ],
  [
    'stg_orders+1',
    { select: ['stg_orders+1'], resourceTypes: models },
    ['fct_orders', 'int_order_totals', 'stg_orders'],
  ],
  [
    '2+revenue',
    { select: ['2+revenue'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'revenue', 'stg_orders'],
  ],
  [
    '@stg_customers',
    { select: ['@stg_customers'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'int_order_totals', 'revenue', 'stg_customers', 'stg_orders'],
  ],
  // fqn, globs, folders
  ['staging (folder)', { select: ['staging'], resourceTypes: models }, ['stg_customers', 'stg_orders']],
  ['shop.marts.core', { select: ['shop.marts.core'], resourceTypes: models }, ['dim_customers', 'fct_orders']],
  ['marts.*', { select: ['marts.*'], resourceTypes: models }, ['dim_customers', 'fct_orders', 'revenue']],
  ['stg_*', { select: ['stg_*'], resourceTypes: models }, ['stg_customers', 'stg_orders']],
  ['fqn:*', { select: ['fqn:*'], resourceTypes: ['source'] }, []],
  // paths and files
  [
    'models/marts (a path without method)',
    { select: ['models/marts'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'revenue'],
  ],
  ['path:models/marts/finance', { select: ['path:models/marts/finance'], resourceTypes: models }, ['revenue']],
  ['path glob', { select: ['path:models/*/core/*.sql'], resourceTypes: models }, ['dim_customers', 'fct_orders']],
  [
    'path of a YAML file selects its tests and sources',
    { select: ['path:models/staging/_staging.yml'] },
    [
      'not_null_stg_orders_id',
      'source:shop.orders',
      'source:shop.payments',
      'source_not_null_shop_orders_id',
      'unique_stg_customers_id',
      'unique_stg_orders_id',
    ],
  ],
  ['fct_orders.sql (a file without method)', { select: ['fct_orders.sql'], resourceTypes: models }, ['fct_orders']],
  ['file:revenue (stem)', { select: ['file:revenue'], resourceTypes: models }, ['revenue']],
  ['file:*.csv', { select: ['file:*.csv'] }, ['raw_customers', 'raw_orders']],
  // tags and configs from the project file, YAML and config()
  ['tag:staging', { select: ['tag:staging'], resourceTypes: models }, ['stg_customers', 'stg_orders']],
  ['tag:fin*', { select: ['tag:fin*'], resourceTypes: models }, ['revenue']],
  ['tag:raw', { select: ['tag:raw'] }, ['raw_customers', 'raw_orders']],
  [
    'config.materialized:table',
    { select: ['config.materialized:table'], resourceTypes: models },
    ['dim_customers', 'fct_orders'],
  ],
  ['config.materialized:ephemeral', { select: ['config.materialized:ephemeral'] }, ['int_order_totals']],
  ['config.meta.owner:finance', { select: ['config.meta.owner:finance'], resourceTypes: models }, ['revenue']],
  ['config.tags:nightly', { select: ['config.tags:nightly'], resourceTypes: models }, ['fct_orders']],
  ['config.severity:warn', { select: ['config.severity:warn'] }, [acc]],
  // package, resource types, sources
  [
    'package:this,config.materialized:view',
    { select: ['package:this,config.materialized:view'], resourceTypes: models },
    ['revenue', 'stg_customers', 'stg_orders'],
  ],
  [
    'package:shop,tag:staging',
    { select: ['package:shop,tag:staging'], resourceTypes: models },
    ['stg_customers', 'stg_orders'],
  ],
  ['resource_type:seed', { select: ['resource_type:seed'] }, ['raw_customers', 'raw_orders']],
  ['resource_type:analysis', { select: ['resource_type:analysis'] }, ['order_count']],
  [
    'source:shop (with its test)',
    { select: ['source:shop'] },
    ['source:shop.orders', 'source:shop.payments', 'source_not_null_shop_orders_id'],
  ],
  ['source:shop.ord*', { select: ['source:shop.ord*'], indirectSelection: 'empty' }, ['source:shop.orders']],
  [
    'source:shop.shop.payments (package.source.table)',
    { select: ['source:shop.shop.payments'] },
    ['source:shop.payments'],
  ],
  [
    'source:shop+',
    { select: ['source:shop+'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'int_order_totals', 'revenue', 'stg_orders'],
  ],
  // tests
  ['test_type:singular', { select: ['test_type:singular'] }, [singular]],
  [
    'test_type:generic,test_name:unique',
    { select: ['test_type:generic,test_name:unique'] },
    ['unique_stg_customers_id', 'unique_stg_orders_id'],
  ],
  ['test_name:relationships', { select: ['test_name:relationships'] }, [rel]],
  [
    'test_type:data,stg_orders+1',
    { select: ['test_type:data,stg_orders+1'], indirectSelection: 'empty' },
    ['not_null_stg_orders_id', 'unique_stg_orders_id'],
  ],
  // set operations
  [
    'space is a union',
    { select: ['tag:staging tag:finance'], resourceTypes: models },
    ['revenue', 'stg_customers', 'stg_orders'],
  ],
  [
    'repeated --select is a union',
    { select: ['tag:staging', 'tag:finance'], resourceTypes: models },
    ['revenue', 'stg_customers', 'stg_orders'],
  ],
  ['comma is an intersection', { select: ['tag:staging,stg_orders+'], resourceTypes: models }, ['stg_orders']],
  [
    '--exclude is subtracted last',
    { select: ['+revenue'], exclude: ['tag:staging'], resourceTypes: models },
    ['dim_customers', 'fct_orders', 'int_order_totals', 'revenue'],
  ],
  ['--exclude alone subtracts from everything', { exclude: ['tag:staging staging+'], resourceTypes: models }, []],
  // indirect selection of tests with one and several parents
  ['eager', { select: ['fct_orders'] }, [acc, singular, 'fct_orders', rel]],
  ['cautious', { select: ['fct_orders'], indirectSelection: 'cautious' }, [acc, 'fct_orders']],
  ['buildable', { select: ['fct_orders'], indirectSelection: 'buildable' }, [acc, 'fct_orders', rel]],
  ['empty', { select: ['fct_orders'], indirectSelection: 'empty' }, ['fct_orders']],
  [
    'cautious with all parents selected',
    { select: ['fct_orders revenue'], indirectSelection: 'cautious' },
    [acc, singular, 'fct_orders', 'revenue'],
  ],
  [
    'eager exclude drops tests of excluded parents',
    { select: ['fct_orders'], exclude: ['dim_customers'] },
    [acc, singular, 'fct_orders'],
  ],
  ['exclude tests by type', { select: ['stg_orders'], exclude: ['test_type:generic'] }, ['stg_orders']],
  // selectors.yml
  ['--selector with union and exclude', { selector: 'marts_no_finance' }, [acc, 'dim_customers', 'fct_orders', rel]],
  [
    '--selector with intersection',
    { selector: 'staging_tables' },
    ['not_null_stg_orders_id', 'stg_customers', 'stg_orders', 'unique_stg_customers_id', 'unique_stg_orders_id'],
  ],
  [
    '--selector full definition: parents, indirect_selection empty',
    { selector: 'upstream_of_revenue' },
    [
      'dim_customers',
      'fct_orders',
      'int_order_totals',
      'raw_customers',
      'raw_orders',
      'revenue',
      'source:shop.orders',
      'stg_customers',
      'stg_orders',
    ],
  ],
  ['selector: method', { select: ['selector:staging_tables'], resourceTypes: models }, ['stg_customers', 'stg_orders']],
  ['the default selector applies without --select', {}, [acc, singular, 'fct_orders', rel, 'revenue']],
];

test('selection: a table of selectors on a fixture project', async () => {
  const dir = copyFixture();
  try {
    const failures: string[] = [];
    for (const [label, opts, expected] of cases) {
      const got = (await names(dir, opts)).names;
      const want = [...expected].sort();
      if (JSON.stringify(got) !== JSON.stringify(want))
        failures.push(`${label}:\n    expected ${want.join(', ')}\n    got      ${got.join(', ')}`);
    }
    assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n  ${failures.join('\n  ')}`);
  } finally {
    removeDir(dir);
  }
});

test('selection: a selector that matches nothing is a warning naming it', async () => {
  const dir = copyFixture();
  try {
    const r = await names(dir, { select: ['stg_orders source:shop.payments+ test_type:unit'], resourceTypes: models });
    assert.deepEqual(r.names, ['stg_orders']);
    assert.deepEqual(r.warnings, ["the selector 'test_type:unit' matched no nodes"]);
    writeFileSync(join(dir, 'selectors.yml'), 'selectors:\n  - name: none\n    definition: "tag:nosuch"\n');
    assert.deepEqual((await names(dir, { selector: 'none' })).warnings, [
      "the selector 'selector:none' matched no nodes",
    ]);
    const cli = kiln(['ls', '--project-dir', dir, '-s', 'nosuch_model']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, '');
    assert.match(cli.stderr, /warning: the selector 'nosuch_model' matched no nodes/);
  } finally {
    removeDir(dir);
  }
});

test('selection: kiln ls prints exactly the selected nodes in each output format', () => {
  const dir = copyFixture();
  try {
    const run = (...args: string[]) => {
      const r = kiln(['ls', '--project-dir', dir, ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n');
    };
    assert.deepEqual(run('-s', '+fct_orders', '--resource-type', 'model', '--output', 'name').sort(), [
      'dim_customers',
      'fct_orders',
      'int_order_totals',
      'stg_customers',
      'stg_orders',
    ]);
    assert.deepEqual(run('-s', 'source:shop', '--resource-type', 'source').sort(), [
      'source:shop.shop.orders',
      'source:shop.shop.payments',
    ]);
    // What `--output selector` prints selects the same node again.
    assert.deepEqual(run('-s', 'source:shop.shop.orders', '--resource-type', 'source', '--output', 'name'), ['orders']);
    assert.deepEqual(run('-s', 'marts', '--resource-type', 'model', '--output', 'path'), [
      'models/marts/core/dim_customers.sql',
      'models/marts/core/fct_orders.sql',
      'models/marts/finance/revenue.sql',
    ]);
    assert.deepEqual(run('-s', 'fct_orders', '--output', 'selector', '--indirect-selection', 'empty'), [
      'shop.marts.core.fct_orders',
    ]);
    const json = run(
      '-s',
      'tag:finance',
      '--output',
      'json',
      '--output-keys',
      'unique_id',
      'resource_type',
      '--resource-type',
      'model',
    ).map((l) => JSON.parse(l));
    assert.deepEqual(json, [{ unique_id: 'model.shop.revenue', resource_type: 'model' }]);
    // The default selector of selectors.yml, and --selector
    assert.deepEqual(run('--resource-type', 'model', '--output', 'name').sort(), ['fct_orders', 'revenue']);
    assert.deepEqual(run('--selector', 'staging_tables', '--resource-type', 'model', '--output', 'name').sort(), [
      'stg_customers',
      'stg_orders',
    ]);
  } finally {
    removeDir(dir);
  }
});

test('selection: a malformed selector is bad input (exit 2) pointing at the token', () => {
  const dir = copyFixture();
  try {
    const bad = (args: string[], pattern: RegExp) => {
      const r = kiln(['ls', '--project-dir', dir, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    };
    bad(
      ['-s', 'tag:staging 2+@fct_orders'],
      /malformed selector '2\+@fct_orders': '@' may only come first\n {4}--select 'tag:staging 2\+@fct_orders'\n {26}\^{13}\n/,
    );
    bad(['-s', 'tag:'], /malformed selector 'tag:': no value after 'tag:'/);
    bad(['-s', 'colour:red'], /unknown selector method 'colour'/);
    bad(['-s', 'stg_orders,,tag:x'], /empty selector next to ','/);
    bad(['-s', 'resource_type:modle'], /'modle' is not a resource type; expected one of: model, seed/);
    bad(['-s', 'stg+orders'], /'\+' may only come first/);
    bad(['--exclude', '@2+x'], /'@' cannot be combined with a '\+' prefix/);
    bad(['-s', 'state:modified'], /no --state was given/);
    bad(['-s', 'state:changed', '--state', join(dir, 'target')], /'changed' is not a state check/);
    bad(['--selector', 'nosuch'], /no selector named 'nosuch'[\s\S]*defined selectors: marts_no_finance/);
    bad(['--selector', 'staging_tables', '-s', 'x'], /--selector cannot be combined with --select/);
    bad(['-s', 'selector:nosuch'], /no selector named 'nosuch'/);
    bad(['--state', join(dir, 'nowhere'), '-s', 'state:new'], /--state .*nowhere: no such folder/);
  } finally {
    removeDir(dir);
  }
});

test('selection: mistakes in selectors.yml name the file and line', () => {
  const dir = copyFixture();
  try {
    const check = (yml: string, pattern: RegExp) => {
      writeFileSync(join(dir, 'selectors.yml'), yml);
      const r = kiln(['ls', '--project-dir', dir]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, pattern);
    };
    check(
      'selectors:\n  - name: a\n    definition:\n      method: tag\n      value: x\n      parents: true\n      bogus: 1\n',
      /selectors\.yml:7: unknown key 'bogus'/,
    );
    check(
      'selectors:\n  - name: a\n    definition:\n      union:\n        - "tag:ok"\n        - "tag:"\n',
      /selectors\.yml:6: malformed selector 'tag:'/,
    );
    check(
      'selectors:\n  - name: a\n    default: true\n    definition: "tag:x"\n  - name: b\n    default: true\n    definition: "tag:y"\n',
      /selectors\.yml:6: selectors 'a' and 'b' are both marked default: true/,
    );
    check(
      'selectors:\n  - name: a\n    definition: "selector:b"\n  - name: b\n    definition: "selector:a"\n  - name: c\n    default: true\n    definition: "selector:a"\n',
      /selector 'a' refers to itself: a -> b -> a/,
    );
  } finally {
    removeDir(dir);
  }
});
