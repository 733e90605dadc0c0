/**
 * `kiln impact` on a copy of project-example changed as a pull request would: a column
 * removed (read downstream), a column renamed, a column added, one removed that nothing
 * reads, and a description edited. Each is classified from the SQL and production's
 * artifacts, and `impact:breaking` selects what the breaking changes reach.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, copyExample, removeDir, tempDir } from './helpers/cli.js';

const dir = copyExample();
const prod = tempDir('kiln-prod-state-');
after(() => [dir, prod].forEach(removeDir));

const edit = (file: string, from: string | RegExp, to: string) => {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `${file} holds ${from}`);
  writeFileSync(path, text.replace(from, to));
};

interface ColumnJson {
  name: string;
  change: string;
  from?: string;
  breaking: boolean;
  read_by: Array<{ node: string; column: string | null; kind: string }>;
}
interface ModelJson {
  unique_id: string;
  change: string;
  columns: ColumnJson[];
  affected: { models: string[]; tests: string[]; exposures: string[] };
}
let impact: { models: ModelJson[]; breaking_reach: string[] };
let markdown = '';
const model = (name: string) => impact.models.find((m) => m.unique_id === `model.pottery_shop.${name}`);

before(() => {
  edit(
    'models/staging/_staging.yml',
    '        description: Where the order is in its life cycle.',
    '        description: Where the order is in its life cycle.\n        data_type: varchar',
  );
  for (const command of ['parse', 'lineage']) {
    const r = kiln([command, '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
  }
  // Production's artifacts, as a deploy job would keep them.
  cpSync(join(dir, 'target'), prod, { recursive: true });
  edit('models/staging/stg_orders.sql', /^\s*payment_method,\n/m, '\n');
  edit('models/staging/stg_customers.sql', '        city,', '        city as town,');
  edit('models/staging/stg_customers.sql', /^\s*cast\(postal_code as varchar\(10\)\) as postal_code,\n/m, '\n');
  edit(
    'models/marts/product_sales.sql',
    'as revenue_rank',
    'as revenue_rank,\n    products.category is not null as has_category',
  );
  edit('models/staging/_staging.yml', '        data_type: varchar', '        data_type: integer');
  edit('models/staging/stg_customers.sql', 'lower(email) as email', 'upper(email) as email');
  edit(
    'models/marts/_marts.yml',
    'One row per order with net, VAT, shipping and total amounts.',
    'One row per order, with its amounts.',
  );
  const r = kiln(['impact', '--project-dir', dir, '--state', prod], { env: { GITHUB_ACTIONS: 'true' } });
  assert.equal(r.code, 0, r.stderr);
  markdown = r.stdout;
  impact = JSON.parse(readFileSync(join(dir, 'target', 'impact.json'), 'utf8'));
});

test('a removed column that downstream models and tests read is breaking, with what it reaches', () => {
  const stgOrders = model('stg_orders')!;
  assert.equal(stgOrders.change, 'breaking');
  const removed = stgOrders.columns.find((c) => c.name === 'payment_method')!;
  assert.equal(removed.change, 'removed');
  assert.equal(removed.breaking, true);
  const readers = removed.read_by.map((r) => `${r.node}.${r.column}`);
  assert.ok(readers.includes('model.pottery_shop.fct_orders.payment_method'));
  assert.ok(readers.includes('model.pottery_shop.monthly_revenue.card_revenue'));
  assert.ok(
    removed.read_by.some(
      (r) => r.column === null && r.node.startsWith('test.pottery_shop.accepted_values_stg_orders_payment_method'),
    ),
  );
  assert.deepEqual(stgOrders.affected.exposures, ['exposure.pottery_shop.revenue_dashboard']);
});

test('a renamed column is one change, breaking because the old name is read', () => {
  const stgCustomers = model('stg_customers')!;
  const renamed = stgCustomers.columns.find((c) => c.change === 'renamed')!;
  assert.equal(renamed.name, 'town');
  assert.equal(renamed.from, 'city');
  assert.equal(renamed.breaking, true);
  assert.deepEqual(
    renamed.read_by.map((r) => `${r.node}.${r.column}:${r.kind}`),
    ['model.pottery_shop.dim_customers.city:copied'],
  );
  assert.equal(
    stgCustomers.columns.some((c) => c.name === 'city' || (c.name === 'town' && c.change === 'added')),
    false,
  );
});

test('a retyped column and a changed expression are breaking when read downstream', () => {
  const retyped = model('stg_orders')!.columns.find((c) => c.name === 'status')!;
  assert.equal(retyped.change, 'retyped');
  assert.equal(retyped.breaking, true);
  assert.ok(retyped.read_by.some((r) => r.node === 'model.pottery_shop.fct_orders' && r.column === 'status'));
  const changed = model('stg_customers')!.columns.find((c) => c.name === 'email')!;
  assert.equal(changed.change, 'expression_changed');
  assert.equal(changed.breaking, true);
  assert.deepEqual(
    changed.read_by.filter((r) => r.column !== null).map((r) => `${r.node}.${r.column}:${r.kind}`),
    ['model.pottery_shop.dim_customers.email:copied'],
  );
  // Columns whose expression did not change are not listed.
  assert.equal(
    model('stg_customers')!.columns.some((c) => c.name === 'full_name'),
    false,
  );
});

test('a removed column nobody reads is not breaking', () => {
  const removed = model('stg_customers')!.columns.find((c) => c.name === 'postal_code')!;
  assert.equal(removed.change, 'removed');
  assert.equal(removed.breaking, false);
  assert.deepEqual(removed.read_by, []);
});

test('an added column is non-breaking, and a description edit is metadata-only', () => {
  const productSales = model('product_sales')!;
  assert.equal(productSales.change, 'non-breaking');
  assert.deepEqual(
    productSales.columns.map((c) => [c.name, c.change, c.breaking]),
    [['has_category', 'added', false]],
  );
  const fct = model('fct_orders')!;
  assert.equal(fct.change, 'metadata-only');
  assert.deepEqual(fct.columns, []);
  // Models whose SQL and properties did not change are not listed.
  assert.equal(model('dim_customers'), undefined);
});

test('the Markdown report and the GitHub annotations say the same', () => {
  assert.match(markdown, /^## kiln impact: 2 breaking, 1 non-breaking, 1 metadata-only$/m);
  assert.match(markdown, /\| `town` \| renamed from `city` \| \*\*yes\*\* \| `dim_customers\.city` \(copied\) \|/);
  assert.match(
    markdown,
    /^::error file=models\/staging\/stg_orders\.sql,line=1,title=Breaking change%3A stg_orders\.payment_method::removed; read downstream by /m,
  );
  assert.match(
    markdown,
    /^::notice file=models\/marts\/product_sales\.sql,line=1,title=Column change%3A product_sales\.has_category::added; read downstream by nothing$/m,
  );
  assert.equal(
    readFileSync(join(dir, 'target', 'impact.md'), 'utf8').split('\n')[0],
    '## kiln impact: 2 breaking, 1 non-breaking, 1 metadata-only',
  );
});

test('impact:breaking selects the changed models and the models and tests their breaking changes reach', () => {
  const r = kiln(['ls', '--project-dir', dir, '-s', 'impact:breaking', '--resource-type', 'model', '--output', 'name']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [
    'dim_customers',
    'fct_orders',
    'int_customer_orders',
    'monthly_revenue',
    'stg_customers',
    'stg_orders',
  ]);
  assert.ok(
    impact.breaking_reach.some((id) => id.startsWith('test.pottery_shop.accepted_values_stg_orders_payment_method')),
  );
});

test('kiln impact without production lineage says what to keep, exit code 2', () => {
  const bare = tempDir('kiln-bare-state-');
  try {
    cpSync(join(prod, 'manifest.json'), join(bare, 'manifest.json'));
    const r = kiln(['impact', '--project-dir', dir, '--state', bare]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds no column_lineage\.json/);
    assert.match(r.stderr, /hint: run `kiln lineage` \(or `kiln docs generate`\)/);
  } finally {
    removeDir(bare);
  }
});
