import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { kiln, copyExample, removeDir, writeProject, minimalProject } from './helpers/cli.js';
import { serveDocs } from '../src/index.js';

const dir = copyExample();
after(() => removeDir(dir));

test('kiln docs generate writes catalog.json from the warehouse, column lineage and the site', async () => {
  assert.equal(kiln(['build', '--project-dir', dir]).code, 0);
  assert.ok(!existsSync(join(dir, 'target', 'column_lineage.json')), 'build computes no lineage');
  const r = kiln(['docs', 'generate', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const target = join(dir, 'target');
  for (const f of ['index.html', 'manifest.json', 'catalog.json']) assert.ok(existsSync(join(target, f)), f);
  const catalog = JSON.parse(readFileSync(join(target, 'catalog.json'), 'utf8'));
  const fct = catalog.nodes['model.pottery_shop.fct_orders'];
  assert.equal(fct.metadata.type, 'BASE TABLE');
  assert.equal(fct.columns.order_id.index, 1);
  assert.equal(catalog.nodes['model.pottery_shop.stg_orders'].metadata.type, 'VIEW');
  assert.equal(catalog.nodes['model.pottery_shop.int_order_totals'], undefined, 'ephemeral models have no relation');
  // The site shows column lineage, computed by docs generate (build and compile compute none).
  assert.ok(existsSync(join(target, 'column_lineage.json')));
  const window: { __KILN_DATA__?: { nodes: Array<{ id: string; cols?: Array<{ name: string; up?: unknown[] }> }> } } =
    {};
  runInNewContext(readFileSync(join(target, 'kiln-data.js'), 'utf8'), { window });
  const site = window.__KILN_DATA__!;
  const total = site.nodes
    .find((n) => n.id === 'model.pottery_shop.fct_orders')
    ?.cols?.find((c) => c.name === 'order_total');
  assert.ok(total?.up?.length, 'fct_orders.order_total has upstream columns in the site data');
  const html = readFileSync(join(target, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z]/i, 'no request to another host');

  const server = await serveDocs({ dir: target, port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(server.url + '/index.html');
    assert.equal(res.status, 200);
    const outside = await fetch(server.url + '/..%2f..%2fdbt_project.yml');
    assert.notEqual(outside.status, 200);
  } finally {
    await server.close();
  }
});

test('kiln docs generate --static writes one self-contained file', () => {
  const r = kiln(['docs', 'generate', '--project-dir', dir, '--static', '--empty-catalog']);
  assert.equal(r.code, 0, r.stderr);
  const file = join(dir, 'target', 'static_index.html');
  assert.ok(existsSync(file));
  const html = readFileSync(file, 'utf8');
  assert.match(html, /fct_orders/);
  assert.doesNotMatch(html, /<script[^>]+src=/, 'scripts are inline');
});

test('docs generate whose database cannot be opened says why, once compiled, and exits', () => {
  const project = writeProject(
    minimalProject({
      'profiles.yml': 'tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: not_a_file\n',
      'not_a_file/.keep': '',
      'models/a.sql': 'select 1 as id',
    }),
  );
  try {
    // The catalog is read while manifest.json is written: its error comes once compiling is done.
    for (const args of [[], ['--no-compile']]) {
      const r = kiln(['docs', 'generate', '--project-dir', project, '--profiles-dir', project, ...args]);
      assert.equal(r.code, 1, r.stderr + r.stdout);
      assert.match(r.stderr, /cannot open DuckDB database .*not_a_file/);
      assert.doesNotMatch(r.stderr, /unhandled|UnhandledPromiseRejection/i);
      assert.ok(existsSync(join(project, 'target', 'manifest.json')));
    }
  } finally {
    removeDir(project);
  }
});
