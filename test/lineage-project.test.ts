/** Column lineage of whole projects: project-example complete, gaps marked, the CLI and the artifact. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, copyExample, removeDir, writeProject, minimalProject } from './helpers/cli.js';
import { columnLineage } from '../src/index.js';

const dir = copyExample();
const dirs = [dir];
after(() => dirs.forEach(removeDir));

const edges = (list: Array<{ node: string; column: string | null; kind: string }>) =>
  list.map((e) => `${e.node}.${e.column}:${e.kind}`).sort();

test('kiln lineage with no column writes target/column_lineage.json with every project-example model parsed, and prints the coverage', () => {
  const r = kiln(['lineage', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^duckdb: \d+ parsed, 0 unparsed$/m);
  const file = JSON.parse(readFileSync(join(dir, 'target', 'column_lineage.json'), 'utf8'));
  const models = Object.entries<{ resource_type: string; parsed: boolean; reason?: string }>(file.nodes).filter(
    ([, n]) => n.resource_type === 'model',
  );
  assert.equal(models.length, 12);
  assert.deepEqual(
    models.filter(([, n]) => !n.parsed).map(([id, n]) => `${id}: ${n.reason}`),
    [],
  );
  assert.ok(file.metadata.kiln_version);
  // Every output column of every model has at least one upstream column, except count(*)-like ones that still have filters.
  for (const [id, n] of Object.entries<{ columns: Array<{ name: string; upstream: unknown[] }> }>(file.nodes)) {
    if (!id.startsWith('model.')) continue;
    for (const c of n.columns) assert.ok(c.upstream.length > 0, `${id}.${c.name} has no upstream`);
  }
});

test('exact edges through CTEs, ephemeral models, joins and aggregates in project-example', async () => {
  const { lineage } = await columnLineage({ projectDir: dir });
  const columnOf = (id: string, name: string) => lineage.nodes[id]!.columns.find((c) => c.name === name)!.upstream;
  assert.deepEqual(edges(columnOf('model.pottery_shop.stg_customers', 'full_name')), [
    'source.pottery_shop.shop.raw_customers.first_name:transformed',
    'source.pottery_shop.shop.raw_customers.last_name:transformed',
  ]);
  // fct_orders reads the ephemeral int_order_totals, inlined as a CTE: the edge points at the ephemeral model.
  assert.deepEqual(edges(columnOf('model.pottery_shop.fct_orders', 'order_total')), [
    'model.pottery_shop.int_order_totals.order_id:filter',
    'model.pottery_shop.int_order_totals.subtotal:transformed',
    'model.pottery_shop.int_order_totals.vat_amount:transformed',
    'model.pottery_shop.stg_orders.order_id:filter',
    'model.pottery_shop.stg_orders.shipping_amount:transformed',
  ]);
  assert.deepEqual(edges(columnOf('model.pottery_shop.int_order_totals', 'subtotal')), [
    'model.pottery_shop.int_order_items_priced.line_net_amount:aggregated',
    'model.pottery_shop.int_order_items_priced.order_id:filter',
  ]);
  // `select priced.*` expands from the CTE's columns.
  assert.deepEqual(edges(columnOf('model.pottery_shop.int_order_items_priced', 'category')), [
    'model.pottery_shop.stg_order_items.product_id:filter',
    'model.pottery_shop.stg_products.category:copied',
    'model.pottery_shop.stg_products.product_id:filter',
  ]);
  // A source that names a seed copies the seed's columns (from its CSV header).
  assert.deepEqual(edges(columnOf('source.pottery_shop.shop.raw_orders', 'status')), [
    'seed.pottery_shop.raw_orders.status:copied',
  ]);
  // Tests read columns.
  const notNull = Object.entries(lineage.tests).find(([id]) =>
    id.startsWith('test.pottery_shop.not_null_fct_orders_order_total'),
  )!;
  assert.deepEqual(notNull[1].reads, [{ node: 'model.pottery_shop.fct_orders', column: 'order_total' }]);
});

test('kiln lineage prints upstream and downstream as JSON, with tests downstream', () => {
  const r = kiln(['lineage', 'fct_orders.order_total', '--project-dir', dir, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(edges(out.upstream).includes('seed.pottery_shop.raw_order_items.unit_price_cents:aggregated'));
  assert.ok(edges(out.upstream).includes('seed.pottery_shop.raw_orders.shipping_cents:transformed'));
  assert.ok(
    edges(out.downstream).includes('model.pottery_shop.customer_lifetime_value.lifetime_gross_revenue:aggregated'),
  );
  assert.ok(edges(out.downstream).includes('test.pottery_shop.assert_order_totals_match_lines.null:test'));
  const up = kiln(['lineage', 'stg_orders.status', '--upstream', '--project-dir', dir, '--output', 'json']);
  assert.deepEqual(JSON.parse(up.stdout), {
    upstream: [
      { node: 'source.pottery_shop.shop.raw_orders', column: 'status', kind: 'copied' },
      { node: 'source.pottery_shop.shop.raw_orders', column: 'order_date', kind: 'filter' },
      { node: 'seed.pottery_shop.raw_orders', column: 'status', kind: 'copied' },
      { node: 'seed.pottery_shop.raw_orders', column: 'order_date', kind: 'filter' },
    ],
  });
});

test('kiln lineage names an unknown column in one line with exit code 2', () => {
  const r = kiln(['lineage', 'fct_orders.nope', '--project-dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model\.pottery_shop\.fct_orders has no column 'nope'/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});

test('an unparsable model is marked with the reason, and lineage goes on around it', () => {
  const project = writeProject(
    minimalProject({
      'models/good.sql': 'select 1 as id, 2 as amount',
      // A dialect feature the parser does not know: the model is a gap, its YAML columns stand in.
      'models/odd.sql': "select id, amount from {{ ref('good') }} match_recognize ( partition by id )",
      'models/odd.yml': 'version: 2\nmodels:\n  - name: odd\n    columns:\n      - name: id\n      - name: amount\n',
      'models/after.sql': "select id, amount * 2 as doubled from {{ ref('odd') }}",
    }),
  );
  dirs.push(project);
  const coverage = kiln(['lineage', '--coverage', '--project-dir', project]);
  assert.equal(coverage.code, 0, coverage.stderr);
  assert.match(coverage.stdout, /^duckdb: 2 parsed, 1 unparsed$/m);
  assert.match(coverage.stdout, /model\.tiny\.odd: duckdb parser: /);
  const file = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
  assert.equal(file.nodes['model.tiny.odd'].parsed, false);
  assert.equal(file.nodes['model.tiny.odd'].columns_from, 'properties');
  assert.deepEqual(
    file.nodes['model.tiny.after'].columns.map(({ name, upstream }: { name: string; upstream: unknown }) => ({
      name,
      upstream,
    })),
    [
      { name: 'id', upstream: [{ node: 'model.tiny.odd', column: 'id', kind: 'copied' }] },
      { name: 'doubled', upstream: [{ node: 'model.tiny.odd', column: 'amount', kind: 'transformed' }] },
    ],
  );
});

test('select * uses the catalog when YAML says nothing', () => {
  const project = writeProject(
    minimalProject({
      'models/wide.sql': "select * from {{ source('raw', 'events') }}",
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n',
    }),
  );
  dirs.push(project);
  const before = kiln(['lineage', '--project-dir', project]);
  assert.equal(before.code, 0, before.stderr);
  const first = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
  assert.equal(first.nodes['model.tiny.wide'].parsed, false);
  assert.match(first.nodes['model.tiny.wide'].reason, /select \* from .*events: its columns are unknown/);
  writeFileSync(
    join(project, 'target', 'catalog.json'),
    JSON.stringify({
      nodes: {},
      sources: { 'source.tiny.raw.events': { columns: { B: { name: 'B', index: 2 }, A: { name: 'A', index: 1 } } } },
    }),
  );
  assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
  const second = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
  assert.deepEqual(
    second.nodes['model.tiny.wide'].columns.map((c: { name: string }) => c.name),
    ['a', 'b'],
  );
});

test("snapshots: the snapshotted query's columns plus dbt_valid_from and the others, and models reading the snapshot", async () => {
  const project = writeProject(
    minimalProject({
      'seeds/raw.csv': 'id,status,updated_at\n1,new,2024-01-01\n',
      'snapshots/orders.sql':
        "{% snapshot orders_snapshot %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}\nselect id, upper(status) as status, updated_at from {{ ref('raw') }}\n{% endsnapshot %}\n",
      'models/current_orders.sql':
        "select id, status, dbt_valid_from as since from {{ ref('orders_snapshot') }} where dbt_valid_to is null",
    }),
  );
  dirs.push(project);
  const { lineage } = await columnLineage({ projectDir: project });
  const snapshot = lineage.nodes['snapshot.tiny.orders_snapshot']!;
  assert.equal(snapshot.parsed, true);
  const columns = Object.fromEntries(snapshot.columns.map((c) => [c.name, edges(c.upstream)]));
  assert.deepEqual(columns, {
    id: ['seed.tiny.raw.id:copied'],
    status: ['seed.tiny.raw.status:transformed'],
    updated_at: ['seed.tiny.raw.updated_at:copied'],
    dbt_scd_id: ['seed.tiny.raw.id:transformed', 'seed.tiny.raw.updated_at:transformed'],
    dbt_updated_at: ['seed.tiny.raw.updated_at:transformed'],
    dbt_valid_from: ['seed.tiny.raw.updated_at:transformed'],
    dbt_valid_to: ['seed.tiny.raw.updated_at:transformed'],
  });
  const current = lineage.nodes['model.tiny.current_orders']!;
  assert.deepEqual(
    current.columns.map((c) => `${c.name} <- ${edges(c.upstream).join(' ')}`),
    [
      'id <- snapshot.tiny.orders_snapshot.dbt_valid_to:filter snapshot.tiny.orders_snapshot.id:copied',
      'status <- snapshot.tiny.orders_snapshot.dbt_valid_to:filter snapshot.tiny.orders_snapshot.status:copied',
      'since <- snapshot.tiny.orders_snapshot.dbt_valid_from:copied snapshot.tiny.orders_snapshot.dbt_valid_to:filter',
    ],
  );
});

test("a node whose compiled SQL and parents' columns are unchanged reuses the last column_lineage.json entry", () => {
  const project = writeProject(
    minimalProject({
      'models/base.sql': 'select 1 as id, 2 as amount',
      'models/reader.sql': "select id, amount + 1 as amount from {{ ref('base') }}",
    }),
  );
  dirs.push(project);
  const file = join(project, 'target', 'column_lineage.json');
  assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
  const first = JSON.parse(readFileSync(file, 'utf8'));
  assert.ok(first.nodes['model.tiny.reader'].cache_key);
  // Mark the stored entry: if the next parse reuses it, the mark survives.
  first.nodes['model.tiny.reader'].columns[0].upstream[0].kind = 'aggregated';
  writeFileSync(file, JSON.stringify(first));
  assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
  assert.equal(
    JSON.parse(readFileSync(file, 'utf8')).nodes['model.tiny.reader'].columns[0].upstream[0].kind,
    'aggregated',
  );
  // A parent's columns changed: the reader is read again.
  writeFileSync(join(project, 'models', 'base.sql'), 'select 1 as id, 2 as amount, 3 as extra');
  assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).nodes['model.tiny.reader'].columns[0].upstream[0].kind, 'copied');
});

test('lineage read from the last column_lineage.json equals lineage computed cold', () => {
  const project = copyExample();
  dirs.push(project);
  const file = join(project, 'target', 'column_lineage.json');
  const lineageOf = () => {
    const r = kiln(['lineage', '--project-dir', project]);
    assert.equal(r.code, 0, r.stderr);
    const { nodes, tests } = JSON.parse(readFileSync(file, 'utf8'));
    return { nodes, tests };
  };
  lineageOf();
  const cached = lineageOf();
  rmSync(file);
  const cold = lineageOf();
  assert.ok(
    Object.values<{ cache_key?: string }>(cold.nodes).filter((n) => n.cache_key).length >= 12,
    'models carry cache keys',
  );
  assert.deepEqual(cached, cold);
});

/** A project whose one model selects * from a source table its on-run-start creates, run once. */
function runEventsProject(): string {
  const project = writeProject(
    minimalProject({
      'dbt_project.yml':
        'name: tiny\nprofile: tiny\nconfig-version: 2\non-run-start:\n  - create table if not exists main.events as select 1 as b, 2 as a\n',
      'models/wide.sql': "select * from {{ source('raw', 'events') }}",
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n      - name: events\n',
    }),
  );
  dirs.push(project);
  const run = kiln(['run', '--project-dir', project]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  return project;
}

test('docs generate resolves `select *` with the catalog it has just read from the warehouse', () => {
  const project = runEventsProject();
  assert.ok(!existsSync(join(project, 'target', 'catalog.json')));
  const docs = kiln(['docs', 'generate', '--project-dir', project]);
  assert.equal(docs.code, 0, docs.stderr + docs.stdout);
  const lineage = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
  assert.deepEqual(
    lineage.nodes['model.tiny.wide'].columns.map(
      (c: { name: string; upstream: Array<{ node: string; column: string }> }) =>
        `${c.name} <- ${c.upstream.map((e) => `${e.node}.${e.column}`).join(' ')}`,
    ),
    ['b <- source.tiny.raw.events.b', 'a <- source.tiny.raw.events.a'],
  );
});

test("docs generate's column lineage does not keep what a stale catalog.json said of a source's columns", () => {
  const project = runEventsProject();
  // Lineage starts with the last catalog.json as its guess; here it lists other columns than the warehouse.
  const stale = { name: 'old', index: 1 };
  writeFileSync(
    join(project, 'target', 'catalog.json'),
    JSON.stringify({ nodes: {}, sources: { 'source.tiny.raw.events': { columns: { old: stale } } } }),
  );
  const docs = kiln(['docs', 'generate', '--project-dir', project]);
  assert.equal(docs.code, 0, docs.stderr + docs.stdout);
  const lineage = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
  assert.deepEqual(
    lineage.nodes['model.tiny.wide'].columns.map((c: { name: string }) => c.name),
    ['b', 'a'],
  );
  assert.deepEqual(
    lineage.nodes['source.tiny.raw.events'].columns.map((c: { name: string }) => c.name),
    ['b', 'a'],
  );
});

test('an unparsable node is read again when the catalog lists other columns for it', () => {
  const project = writeProject(
    minimalProject({
      'models/good.sql': 'select 1 as id, 2 as amount',
      'models/odd.sql': "select id, amount from {{ ref('good') }} match_recognize ( partition by id )",
    }),
  );
  dirs.push(project);
  const target = join(project, 'target');
  const catalogWith = (...columns: string[]) =>
    writeFileSync(
      join(target, 'catalog.json'),
      JSON.stringify({
        nodes: {
          'model.tiny.odd': { columns: Object.fromEntries(columns.map((name, i) => [name, { name, index: i + 1 }])) },
        },
        sources: {},
      }),
    );
  const oddColumns = () => {
    assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
    const node = JSON.parse(readFileSync(join(target, 'column_lineage.json'), 'utf8')).nodes['model.tiny.odd'];
    assert.equal(node.parsed, false);
    return node.columns.map((c: { name: string }) => c.name);
  };
  assert.equal(kiln(['compile', '--project-dir', project]).code, 0);
  catalogWith('id');
  assert.deepEqual(oddColumns(), ['id']);
  // The same SQL and parents; only the warehouse's table changed.
  catalogWith('id', 'amount');
  assert.deepEqual(oddColumns(), ['id', 'amount']);
});

test('a relation named in SQL without ref() is read again when its columns change', () => {
  const project = writeProject(
    minimalProject({
      'models/base.sql': 'select 1 as id, 2 as amount',
      'models/reader.sql': 'select * from base',
    }),
  );
  dirs.push(project);
  const readerColumns = () => {
    assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
    const file = JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8'));
    return file.nodes['model.tiny.reader'].columns.map((c: { name: string }) => c.name);
  };
  assert.deepEqual(readerColumns(), ['id', 'amount']);
  writeFileSync(join(project, 'models', 'base.sql'), 'select 1 as id, 2 as amount, 3 as extra');
  assert.deepEqual(readerColumns(), ['id', 'amount', 'extra']);
});

test('a parent whose name another relation now shares is read again', () => {
  const project = writeProject(
    minimalProject({
      'models/base.sql': 'select 1 as id',
      // The ref makes base a parent; the SQL names it by its short name.
      'models/reader.sql': "-- {{ ref('base') }}\nselect id from base",
    }),
  );
  dirs.push(project);
  const reader = () => {
    assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
    return JSON.parse(readFileSync(join(project, 'target', 'column_lineage.json'), 'utf8')).nodes['model.tiny.reader'];
  };
  assert.equal(reader().parsed, true);
  // A source table called base too: `from base` no longer says which one.
  writeFileSync(
    join(project, 'models', 'sources.yml'),
    'version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: base\n',
  );
  const after = reader();
  assert.equal(after.parsed, false);
  assert.match(after.reason, /reads base/);
});

test("docs generate's column lineage, computed in a worker thread, is the one `kiln lineage` computes", () => {
  const project = copyExample();
  dirs.push(project);
  const file = join(project, 'target', 'column_lineage.json');
  const entries = () => {
    const { nodes, tests } = JSON.parse(readFileSync(file, 'utf8'));
    return { nodes, tests };
  };
  const docs = kiln(['docs', 'generate', '--project-dir', project]);
  assert.equal(docs.code, 0, docs.stderr + docs.stdout);
  const fromDocs = entries();
  assert.ok(Object.keys(fromDocs.nodes).length >= 12);
  // The same catalog (docs generate wrote it), no previous file: everything parsed on the main thread.
  rmSync(file);
  assert.equal(kiln(['lineage', '--project-dir', project]).code, 0);
  assert.deepEqual(fromDocs, entries());
});

test('docs generate reads an edited model again and shows its new column on the site', () => {
  const project = writeProject(
    minimalProject({
      'models/base.sql': 'select 1 as id, 2 as amount',
      'models/reader.sql': "select id from {{ ref('base') }}",
    }),
  );
  dirs.push(project);
  const target = join(project, 'target');
  const generate = () => {
    const docs = kiln(['docs', 'generate', '--project-dir', project]);
    assert.equal(docs.code, 0, docs.stderr + docs.stdout);
    const lineage = JSON.parse(readFileSync(join(target, 'column_lineage.json'), 'utf8'));
    return lineage.nodes['model.tiny.reader'].columns.map((c: { name: string }) => c.name);
  };
  assert.deepEqual(generate(), ['id']);
  writeFileSync(join(project, 'models', 'reader.sql'), "select id, amount * 2 as doubled from {{ ref('base') }}");
  assert.deepEqual(generate(), ['id', 'doubled']);
  assert.match(
    readFileSync(join(target, 'kiln-data.js'), 'utf8'),
    /"name":"doubled","up":\[\[\d+,"amount","transformed"\]\]/,
  );
});
