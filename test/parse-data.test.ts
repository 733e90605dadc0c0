/**
 * The parse result is data: the manifest and the templates, with dependencies linked by
 * parse; the runtime objects (adapter, template engine, invocation, selection) are the
 * session's. The graph stage reads the manifest and never writes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, parse } from '../src/index.js';
import { buildDag } from '../src/graph/dag.js';
import { removeDir, writeProject } from './helpers/cli.js';

const files = {
  'dbt_project.yml': 'name: shop\nprofile: shop\n',
  'models/orders.sql': "select 1 as id, 'placed' as status",
  'models/paid.sql': "select * from {{ ref('orders') }} where status = 'paid'",
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: paid\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
};

/** Every node as JSON: what a cache or a comparison of two parses would keep. */
const nodesAsJson = (nodes: Map<string, unknown>) => JSON.stringify([...nodes.entries()]);

test('parse gives plain data: no adapter, engine or invocation in the parsed project, dependencies already linked', async () => {
  const dir = writeProject(files);
  try {
    const project = await parse({ projectDir: dir });
    assert.deepEqual(Object.keys(project.parsed).sort(), ['manifest', 'project', 'target', 'templates']);
    const { nodes } = project.parsed.manifest;
    assert.deepEqual(nodes.get('model.shop.paid')!.dependsOn.nodes, ['model.shop.orders']);
    const test = [...nodes.values()].find((n) => n.resourceType === 'test')!;
    assert.deepEqual(test.dependsOn.nodes, ['model.shop.paid']);
    // The runtime lives in the session the command created.
    assert.equal(project.session.adapter.type, 'duckdb');
    assert.equal(project.session.invocationId, (project.manifest.metadata as { invocation_id: string }).invocation_id);
    assert.ok(
      project.session.engine.hasMacro('test_not_null'),
      "parse registered kiln's macros in the session's engine",
    );
  } finally {
    removeDir(dir);
  }
});

test('the graph stage reads the manifest and leaves it as parse left it', async () => {
  const dir = writeProject(files);
  try {
    const { parsed } = await parse({ projectDir: dir });
    const before = nodesAsJson(parsed.manifest.nodes);
    for (const node of parsed.manifest.nodes.values()) Object.freeze(node.dependsOn);
    const dag = buildDag(parsed.manifest);
    assert.equal(nodesAsJson(parsed.manifest.nodes), before);
    assert.deepEqual(dag.parents('model.shop.paid'), ['model.shop.orders']);
  } finally {
    removeDir(dir);
  }
});

test('compile records its selection in the session, where templates read it as selected_resources', async () => {
  const dir = writeProject(files);
  try {
    const { project } = await compile({ projectDir: dir, select: ['orders'] });
    assert.deepEqual(project.session.selectedResources, ['model.shop.orders']);
    assert.deepEqual(project.session.engine.globals.selected_resources, ['model.shop.orders']);
  } finally {
    removeDir(dir);
  }
});
