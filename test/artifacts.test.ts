/**
 * Artifacts in dbt's published shapes: manifest.json (v12), run_results.json (v6),
 * sources.json (v3) and catalog.json (v1) from a realistic project validate against kiln's
 * schemas (src/artifacts/schemas.ts), which encode dbt's; the schemas refuse what dbt's
 * refuse; and one node dictionary serves the manifest, the template `graph`, `model` and
 * the `node` generate_schema_name receives.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { build, compile, compileInline, generateDocs, parse, sourceFreshness } from '../src/index.js';
import { catalogSchema, manifestSchema, runResultsSchema, sourcesSchema } from '../src/artifacts/schemas.js';
import { recordedStatus, runResultsJson } from '../src/artifacts/run-results.js';
import { sourcesJson } from '../src/artifacts/sources.js';
import type { NodeResult } from '../src/run/results.js';
import type { FreshnessResult } from '../src/freshness/check.js';
import { copyExample, minimalProject, removeDir, writeProject } from './helpers/cli.js';

const ajv = new Ajv({ strict: false, allErrors: true });
type Json = Record<string, any>;

function assertValid(schema: object, data: unknown, what: string): void {
  const ok = ajv.validate(schema, data);
  const errors = [
    ...new Set((ajv.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)),
  ].slice(0, 20);
  assert.ok(ok, `${what}:\n${errors.join('\n')}`);
}
function assertInvalid(schema: object, data: unknown, what: string): void {
  assert.equal(ajv.validate(schema, data), false, `${what} should be refused`);
}
const clone = <T>(v: T): T => structuredClone(v);

/** project-example plus every kind of resource the artifacts describe. */
const extras: Record<string, string> = {
  'models/staging/_loads.yml': `version: 2
sources:
  - name: loads
    schema: "{{ target.schema }}"
    loader: csv
    loaded_at_field: cast(order_date as timestamp)
    freshness:
      warn_after: {count: 1, period: day}
      error_after: {count: 36500, period: day}
    tables:
      - name: orders_feed
        identifier: raw_orders
        columns:
          - name: order_id
            data_tests: [not_null]
      - name: filtered_feed
        identifier: raw_orders
        freshness:
          warn_after: {count: 36500, period: day}
          filter: status = 'completed'
      - name: unchecked
        identifier: raw_products
        freshness: null
`,
  'models/marts/order_facts.sql': `{{ config(materialized='table', post_hook=["select 1", {"sql": "select 2", "transaction": false}], group='finance', access='public') }}
select order_id, customer_id, order_total from {{ ref('fct_orders') }}
`,
  'models/marts/orders_incremental.sql': `{{ config(materialized='incremental', unique_key='order_id') }}
select order_id, order_date from {{ ref('stg_orders') }}
{% if is_incremental() %}where order_date > (select max(order_date) from {{ this }}){% endif %}
`,
  'models/marts/old_report.sql': '{{ config(enabled=false) }}\nselect 1 as id\n',
  'models/marts/_more.yml': `version: 2
groups:
  - name: finance
    owner: {name: Finance team, email: finance@pottery-shop.example}
models:
  - name: order_facts
    description: "{{ doc('order_facts') }}"
    config:
      contract: {enforced: true}
    constraints:
      - type: primary_key
        columns: [order_id]
    columns:
      - name: order_id
        data_type: integer
        constraints: [{type: not_null}]
        data_tests:
          - unique
          - not_null:
              config: {severity: warn, where: "order_id > 0"}
      - name: customer_id
        data_type: integer
      - name: order_total
        data_type: numeric(18,2)
unit_tests:
  - name: order_facts_keeps_totals
    model: order_facts
    config: {tags: [unit]}
    given:
      - input: ref('fct_orders')
        rows: [{order_id: 1, customer_id: 7, order_total: 12.5}]
    expect:
      rows: [{order_id: 1, customer_id: 7, order_total: 12.5}]
  - name: order_facts_csv
    model: order_facts
    given:
      - input: ref('fct_orders')
        format: csv
        rows: |
          order_id,customer_id,order_total
          2,8,3.00
    expect:
      format: csv
      rows: |
        order_id,customer_id,order_total
        2,8,3.00
`,
  'models/marts/order_facts.md': '{% docs order_facts %}One row per order, with its contract.{% enddocs %}\n',
  'snapshots/orders_snapshot.sql': `{% snapshot orders_snapshot %}
{{ config(unique_key='order_id', strategy='check', check_cols=['status']) }}
select * from {{ ref('stg_orders') }}
{% endsnapshot %}
`,
  'snapshots/_snapshots.yml': `version: 2
snapshots:
  - name: customers_snapshot
    relation: ref('stg_customers')
    config: {unique_key: customer_id, strategy: check, check_cols: all}
`,
  'analyses/revenue_by_country.sql': `select c.country_code, sum(o.order_total) as revenue
from {{ ref('fct_orders') }} o join {{ ref('dim_customers') }} c using (customer_id)
group by 1
`,
};

const dir = writeProject(extras, copyExample());
after(() => removeDir(dir));
const readTarget = (name: string): Json => JSON.parse(readFileSync(join(dir, 'target', name), 'utf8'));

test('build, source freshness and docs generate on project-example write artifacts valid against dbt manifest v12, run_results v6, sources v3, catalog v1', async () => {
  const parsed = await parse({ projectDir: dir });
  assertValid(manifestSchema, parsed.manifest, 'manifest.json of parse');

  const r = await build({ projectDir: dir });
  assert.equal(r.success, true, JSON.stringify(r.results.filter((x) => x.status === 'error' || x.status === 'fail')));
  const manifest = readTarget('manifest.json');
  assertValid(manifestSchema, manifest, 'manifest.json of build');
  const runResults = readTarget('run_results.json');
  assertValid(runResultsSchema, runResults, 'run_results.json of build');

  const byType = (t: string) => Object.values(manifest.nodes as Json).filter((n: Json) => n.resource_type === t);
  for (const t of ['model', 'seed', 'test', 'snapshot', 'analysis'])
    assert.ok(byType(t).length > 0, `a ${t} in the manifest`);
  assert.ok(
    byType('test').some((n) => n.test_metadata) && byType('test').some((n) => !n.test_metadata),
    'generic and singular tests',
  );
  // The two written above, and project-example's own.
  assert.equal(
    Object.keys(manifest.unit_tests).filter((id) => id.startsWith('unit_test.pottery_shop.order_facts.')).length,
    2,
  );
  assert.equal(Object.keys(manifest.unit_tests).length, 5);
  assert.ok(Object.keys(manifest.exposures).length > 0);
  assert.deepEqual(manifest.group_map, { finance: ['model.pottery_shop.order_facts'] });
  assert.deepEqual(Object.keys(manifest.disabled), ['model.pottery_shop.old_report']);
  assert.equal(manifest.metadata.env.kiln_version, manifest.metadata.dbt_version);
  const statuses = new Set(runResults.results.map((x: Json) => x.status));
  for (const s of ['success', 'pass', 'warn']) assert.ok(statuses.has(s), `a ${s} result`);

  const fresh = await sourceFreshness({ projectDir: dir });
  assert.deepEqual(fresh.results.map((x) => x.status).sort(), ['pass', 'warn']);
  assertValid(sourcesSchema, readTarget('sources.json'), 'sources.json');

  await generateDocs({ projectDir: dir });
  const catalog = readTarget('catalog.json');
  assertValid(catalogSchema, catalog, 'catalog.json');
  assert.ok(
    catalog.nodes['model.pottery_shop.order_facts'] && catalog.sources['source.pottery_shop.loads.orders_feed'],
  );
  assertValid(manifestSchema, readTarget('manifest.json'), 'manifest.json of docs generate (every node compiled)');
});

test('manifest nodes carry dbt fields: compiled SQL and its CTEs, configs in dbt spelling, contract, generic test metadata', async () => {
  const { project } = await compile({
    projectDir: dir,
    select: ['fct_orders', 'order_facts', 'unique_order_facts_order_id'],
  });
  const nodes = project.manifest.nodes as Json;
  const fct = nodes['model.pottery_shop.fct_orders'];
  assert.equal(fct.compiled, true);
  assert.equal(fct.compiled_path, 'target/compiled/pottery_shop/models/marts/fct_orders.sql');
  assert.ok(fct.extra_ctes.length > 0);
  for (const cte of fct.extra_ctes) assert.match(cte.sql, /^ __dbt__cte__\w+ as \(\n[\s\S]+\n\)$/);
  assert.equal(fct.relation_name, '"kiln"."main"."fct_orders"');
  const facts = nodes['model.pottery_shop.order_facts'];
  assert.deepEqual(facts.config['post-hook'], [
    { sql: 'select 1', transaction: true, index: null },
    { sql: 'select 2', transaction: false, index: null },
  ]);
  assert.equal(facts.config.post_hook, undefined);
  assert.equal(facts.contract.enforced, true);
  assert.match(facts.contract.checksum, /^[0-9a-f]{64}$/);
  assert.equal(facts.access, 'public');
  assert.equal(facts.group, 'finance');
  assert.deepEqual(facts.primary_key, ['order_id']);
  assert.equal(facts.description, 'One row per order, with its contract.');
  const unique = Object.values(nodes).find((n: Json) => n.name === 'unique_order_facts_order_id') as Json;
  assert.deepEqual(unique.test_metadata, {
    name: 'unique',
    kwargs: { column_name: 'order_id', model: "{{ get_where_subquery(ref('order_facts')) }}" },
    namespace: null,
  });
  assert.equal(unique.column_name, 'order_id');
  assert.equal(unique.attached_node, 'model.pottery_shop.order_facts');
  assert.equal(unique.file_key_name, 'models.order_facts');
  const sourceTest = Object.values(nodes).find(
    (n: Json) => n.name === 'source_not_null_loads_orders_feed_order_id',
  ) as Json;
  assert.equal(sourceTest.attached_node, null);
  assert.equal(sourceTest.file_key_name, 'sources.loads');
  assert.equal(sourceTest.test_metadata.kwargs.model, "{{ get_where_subquery(source('loads', 'orders_feed')) }}");
  const seed = nodes['seed.pottery_shop.raw_orders'];
  assert.deepEqual(Object.keys(seed.depends_on), ['macros'], 'seeds depend on macros only');
  assert.equal(seed.language, undefined);
  const source = (project.manifest.sources as Json)['source.pottery_shop.loads.filtered_feed'];
  assert.deepEqual(source.freshness, {
    warn_after: { count: 36500, period: 'day' },
    error_after: { count: null, period: null },
    filter: "status = 'completed'",
  });
});

test('manifest.json, written node by node, is the JSON of the manifest object, compiled nodes included', async () => {
  const { project } = await compile({ projectDir: dir, select: ['fct_orders', 'unique_order_facts_order_id'] });
  const written = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Json;
  const built = clone(project.manifest) as Json;
  assert.equal(written.nodes['model.pottery_shop.fct_orders'].compiled, true);
  assert.equal(written.nodes['model.pottery_shop.stg_orders'].compiled, undefined, 'not selected, not compiled');
  // Two renderings of the same manifest differ only in when they were made (a node entry copied from the last
  // manifest.json keeps the created_at of the compile that made it).
  written.metadata.generated_at = built.metadata.generated_at;
  for (const [id, node] of Object.entries(written.nodes as Record<string, Json>))
    node.created_at = (built.nodes as Record<string, Json>)[id]?.created_at;
  assert.deepEqual(written, built);
  assert.deepEqual(Object.keys(written), Object.keys(built), 'same key order');
});

test('graph, as packages walk it, has the manifest node of each resource, with test_metadata, relation_name, checksum, language and contract', async () => {
  // Under `execute`, as packages read it: parsing renders with no graph yet.
  const walk = `{%- if execute -%}
{%- for n in graph.nodes.values() | sort(attribute='unique_id') -%}
{%- if n.resource_type == 'test' and n.test_metadata and n.attached_node == 'model.pottery_shop.order_facts' -%}
test {{ n.test_metadata.name }} {{ n.column_name }} {{ n.test_metadata.kwargs.model }} {{ n.config.severity }}
{% elif n.unique_id == 'model.pottery_shop.order_facts' -%}
model {{ n.relation_name }} {{ n.checksum.name }} {{ n.language }} {{ n.contract.enforced }} {{ n.config.materialized }} {{ n.batch is none }}
{% endif -%}
{%- endfor -%}
source {{ graph.sources['source.pottery_shop.loads.orders_feed'].relation_name }} {{ graph.sources['source.pottery_shop.loads.orders_feed'].freshness.warn_after.count }}
exposure {{ graph.exposures.values() | map(attribute='owner') | map(attribute='name') | join(',') }}
unit tests in graph.nodes: {{ graph.nodes.values() | selectattr('resource_type', 'equalto', 'unit_test') | list | length }}
{%- endif -%}`;
  const { sql, project } = await compileInline(walk, { projectDir: dir });
  assert.equal(
    sql.trim(),
    [
      'model "kiln"."main"."order_facts" sha256 sql True table True',
      "test not_null order_id {{ get_where_subquery(ref('order_facts')) }} warn",
      "test unique order_id {{ get_where_subquery(ref('order_facts')) }} ERROR",
      'source "kiln"."main"."raw_orders" 1',
      'exposure Sales operations',
      'unit tests in graph.nodes: 0',
    ].join('\n'),
  );
  // The graph's node is the manifest's, plus what dbt keeps out of artifacts.
  const graphNode = (project.session.engine.globals.graph as Json).nodes['model.pottery_shop.order_facts'];
  const manifestNode = (project.manifest.nodes as Json)['model.pottery_shop.order_facts'];
  const contextOnly = [
    'config_call_dict',
    'unrendered_config_call_dict',
    'doc_blocks',
    'functions',
    'defer_relation',
    'batch',
  ];
  assert.deepEqual(
    Object.keys(graphNode).filter((k) => !contextOnly.includes(k)),
    Object.keys(manifestNode),
  );
  assert.deepEqual(
    { ...graphNode, created_at: 0 },
    { ...manifestNode, created_at: 0, ...Object.fromEntries(contextOnly.map((k) => [k, graphNode[k]])) },
  );
});

test('generate_schema_name and generate_alias_name receive dbt node: path, tags, original_file_path, fqn, config', async () => {
  const project = writeProject(
    minimalProject({
      'dbt_project.yml':
        'name: tiny\nprofile: tiny\nconfig-version: 2\nmodels:\n  tiny:\n    marts:\n      +materialized: table\n      +tags: [nightly]\n',
      'models/marts/finance/revenue.sql': 'select 1 as id',
      'models/top.sql': "{{ config(alias='top_alias') }}select 1 as id",
      'macros/names.sql': `{% macro generate_schema_name(custom_schema_name, node) -%}
  {{ node.path.split('/')[0] if '/' in node.path else 'root' }}_{{ node.config.materialized }}_{{ node.tags | join('-') or 'untagged' }}_{{ node.fqn | length }}_{{ node.original_file_path.split('/')[0] }}_{{ node.schema }}_{{ node.relation_name is none }}
{%- endmacro %}
{% macro generate_alias_name(custom_alias_name, node) -%}
  {{ custom_alias_name or node.name }}_{{ node.schema.split('_')[0] }}_{{ node.alias }}_{{ node.resource_type }}_{{ node.checksum.name }}
{%- endmacro %}`,
    }),
  );
  try {
    const { parsed } = await parse({ projectDir: project });
    const revenue = parsed.manifest.nodes.get('model.tiny.revenue')!;
    // The target's schema until generate_schema_name names it, as in dbt.
    assert.equal(revenue.schema, 'marts_table_nightly_4_models_main_True');
    // generate_alias_name runs after: it sees the named schema, and the name as alias.
    assert.equal(revenue.alias, 'revenue_marts_revenue_model_sha256');
    const top = parsed.manifest.nodes.get('model.tiny.top')!;
    assert.equal(top.schema, 'root_view_untagged_2_models_main_True');
    assert.equal(top.alias, 'top_alias_root_top_model_sha256');
  } finally {
    removeDir(project);
  }
});

test('model, while a node renders, is its dbt node: relation_name, config, contract, batch', async () => {
  const project = writeProject(
    minimalProject({
      'models/m.sql':
        "{{ config(materialized='table', tags=['a']) }}select '{% if execute %}{{ model.relation_name }}|{{ model.config.materialized }}|{{ model.config.tags | join(\",\") }}|{{ model.contract.enforced }}|{{ model.batch is none }}|{{ model.depends_on.nodes | length }}|{{ model.path }}{% endif %}' as facts",
    }),
  );
  try {
    const r = await compile({ projectDir: project });
    assert.equal(r.compiled.get('model.tiny.m'), `select '"kiln"."main"."m"|table|a|False|True|0|m.sql' as facts`);
  } finally {
    removeDir(project);
  }
});

const result = (over: Partial<NodeResult>): NodeResult => ({
  uniqueId: 'model.p.m',
  status: 'success',
  message: 'OK',
  executionTime: 0.5,
  timing: [{ name: 'execute', started_at: '2024-01-01T00:00:00Z', completed_at: '2024-01-01T00:00:01Z' }],
  failures: null,
  threadId: 'Thread-1',
  adapterResponse: { _message: 'OK' },
  ...over,
});

test('run_results.json: retries and cancellation, which dbt has no field for, are kiln_ facts in adapter_response', () => {
  const json = runResultsJson(
    [
      result({ attempts: 3, compiledCode: 'select 1', relationName: '"db"."s"."m"' }),
      result({ uniqueId: 'model.p.slow', status: 'cancelled', message: 'cancelled: interrupted', attempts: 1 }),
      result({ uniqueId: 'model.p.after', status: 'skipped', message: 'skipped', timing: [], adapterResponse: {} }),
    ],
    'inv',
    1.5,
    { which: 'run' },
  ) as Json;
  assertValid(runResultsSchema, json, 'run_results.json');
  assert.deepEqual(json.results[0].adapter_response, { _message: 'OK', kiln_attempts: 3 });
  assert.equal(json.results[1].status, 'error');
  assert.equal(json.results[1].adapter_response.kiln_status, 'cancelled');
  assert.deepEqual(json.results.map(recordedStatus), ['success', 'cancelled', 'skipped']);
  assert.deepEqual(json.results[2].adapter_response, {});
  assert.deepEqual(json.metadata.env, { kiln_version: json.metadata.dbt_version });
});

test('sources.json: a source never loaded or that could not be queried is a runtime error with dbt`s three fields', () => {
  const base: FreshnessResult = {
    uniqueId: 'source.p.s.t',
    status: 'pass',
    maxLoadedAt: '2024-01-01T00:00:00.000Z',
    snapshottedAt: '2024-01-02T00:00:00.000Z',
    ageSeconds: 86400,
    criteria: { warn_after: { count: 2, period: 'day' } },
    message: 'last loaded 1.0 days ago',
    executionTime: 0.1,
  };
  const json = sourcesJson(
    [
      base,
      {
        ...base,
        uniqueId: 'source.p.s.never',
        status: 'error',
        maxLoadedAt: null,
        ageSeconds: null,
        message: 'no rows',
      },
      {
        ...base,
        uniqueId: 'source.p.s.broken',
        status: 'runtime error',
        maxLoadedAt: null,
        ageSeconds: null,
        message: 'no such table',
      },
    ],
    'inv',
    0.3,
  ) as Json;
  assertValid(sourcesSchema, json, 'sources.json');
  assert.deepEqual(json.results[0].criteria, {
    warn_after: { count: 2, period: 'day' },
    error_after: { count: null, period: null },
    filter: null,
  });
  assert.deepEqual(json.results[1], { unique_id: 'source.p.s.never', error: 'no rows', status: 'runtime error' });
  assert.deepEqual(json.results[2], {
    unique_id: 'source.p.s.broken',
    error: 'no such table',
    status: 'runtime error',
  });
});

test('the schemas refuse what dbt`s refuse', () => {
  const manifest = readTarget('manifest.json');
  const model = 'model.pottery_shop.fct_orders';
  const seed = 'seed.pottery_shop.raw_orders';
  const refused: Array<[string, (m: Json) => void]> = [
    [
      'a null extra_ctes sql',
      (m) => (m.nodes[model].extra_ctes = [{ id: 'model.pottery_shop.int_order_totals', sql: null }]),
    ],
    ['a seed with language and refs', (m) => Object.assign(m.nodes[seed], { language: 'sql', refs: [] })],
    ['a seed depending on nodes', (m) => (m.nodes[seed].depends_on.nodes = [])],
    ['kiln_version in metadata', (m) => (m.metadata.kiln_version = '0.1.0')],
    ['no group_map', (m) => delete m.group_map],
    ['a node field dbt does not know', (m) => (m.nodes[model].identifier = 'fct_orders')],
    ['a checksum without its name', (m) => (m.nodes[model].checksum = { checksum: 'x' })],
    ['hooks as strings', (m) => (m.nodes[model].config['post-hook'] = ['select 1'])],
    ['docs config with other keys', (m) => (m.nodes[model].config.docs = { show: true, colour: 'red' })],
    ['an access outside the three', (m) => (m.nodes[model].access = 'open')],
    [
      'a test severity other than warn or error',
      (m) => ((Object.values(m.nodes).find((n: any) => n.resource_type === 'test') as Json).config.severity = 'fatal'),
    ],
    [
      'a generic test without attached_node',
      (m) => delete (Object.values(m.nodes).find((n: any) => n.test_metadata) as Json).attached_node,
    ],
    [
      'a freshness period in weeks',
      (m) => (m.sources['source.pottery_shop.loads.orders_feed'].freshness.warn_after.period = 'week'),
    ],
    [
      'a unit test checksum object',
      (m) => ((Object.values(m.unit_tests)[0] as Json).checksum = { name: 'sha256', checksum: 'x' }),
    ],
    ['unit test tags at the top level', (m) => ((Object.values(m.unit_tests)[0] as Json).tags = [])],
    ['an exposure type dbt does not have', (m) => ((Object.values(m.exposures)[0] as Json).type = 'report')],
    // Each fragment the schemas share (a resource's identity, references, fqn, ...) refuses in each place it is used.
    ['a macro without package_name', (m) => delete (Object.values(m.macros)[0] as Json).package_name],
    ['a docs block of another resource_type', (m) => ((Object.values(m.docs)[0] as Json).resource_type = 'macro')],
    ['a docs block without block_contents', (m) => delete (Object.values(m.docs)[0] as Json).block_contents],
    ['a source with an empty fqn', (m) => (m.sources['source.pottery_shop.loads.orders_feed'].fqn = [])],
    ['a source without source_name', (m) => delete m.sources['source.pottery_shop.loads.orders_feed'].source_name],
    ['a model with an empty fqn', (m) => (m.nodes[model].fqn = [])],
    [
      'a unit test without original_file_path',
      (m) => delete (Object.values(m.unit_tests)[0] as Json).original_file_path,
    ],
    ['exposure refs as strings', (m) => ((Object.values(m.exposures)[0] as Json).refs = ['fct_orders'])],
    ['model refs as strings', (m) => (m.nodes[model].refs = ['stg_orders'])],
    ['a unique_key of numbers', (m) => (m.nodes[model].config.unique_key = [1])],
    ['an owner email as a number', (m) => ((Object.values(m.exposures)[0] as Json).owner.email = 7)],
    ['a metric', (m) => (m.metrics = { 'metric.pottery_shop.revenue': {} })],
    ['a function', (m) => (m.functions = { 'function.pottery_shop.f': {} })],
    [
      'a manifest of another schema version',
      (m) => (m.metadata.dbt_schema_version = 'https://schemas.getdbt.com/dbt/manifest/v11.json'),
    ],
    ['metadata without project_name', (m) => delete m.metadata.project_name],
  ];
  assertValid(manifestSchema, manifest, 'the manifest before changes');
  for (const [what, change] of refused) {
    const m = clone(manifest);
    change(m);
    assertInvalid(manifestSchema, m, what);
  }
  const deferred = clone(manifest);
  deferred.nodes[model].defer_relation = {
    database: null,
    schema: 'prod',
    alias: 'fct_orders',
    relation_name: null,
    resource_type: 'model',
    name: 'fct_orders',
    description: '',
    compiled_code: null,
    meta: {},
    tags: [],
    config: null,
  };
  assertValid(manifestSchema, deferred, 'a model with a defer_relation');
  delete deferred.nodes[model].defer_relation.alias;
  assertInvalid(manifestSchema, deferred, 'a defer_relation without alias');
  const runResults = readTarget('run_results.json');
  const refusedResults: Array<[string, (r: Json) => void]> = [
    ['attempts on a result', (r) => (r.results[0].attempts = 1)],
    ['the status cancelled', (r) => (r.results[0].status = 'cancelled')],
    ['kiln_version in metadata', (r) => (r.metadata.kiln_version = '0.1.0')],
    ['a result without relation_name', (r) => delete r.results[0].relation_name],
    ['no elapsed_time', (r) => delete r.elapsed_time],
  ];
  for (const [what, change] of refusedResults) {
    const r = clone(runResults);
    change(r);
    assertInvalid(runResultsSchema, r, what);
  }
  const sources = {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json' },
    elapsed_time: 1,
    results: [{ unique_id: 'source.p.s.t', status: 'runtime error', error: 'x', max_loaded_at: null }],
  };
  assertInvalid(sourcesSchema, sources, 'a runtime error with measured fields');
  const measured = clone(sources) as Json;
  measured.results = [
    {
      unique_id: 'source.p.s.t',
      max_loaded_at: '2024-01-01T00:00:00Z',
      snapshotted_at: '2024-01-02T00:00:00Z',
      max_loaded_at_time_ago_in_s: 86400,
      status: 'pass',
      criteria: { warn_after: null, error_after: null, filter: null },
      adapter_response: {},
      timing: [],
      thread_id: 'Thread-1',
      execution_time: 0.1,
    },
  ];
  assertValid(sourcesSchema, measured, 'a measured source');
  delete measured.results[0].thread_id;
  assertInvalid(sourcesSchema, measured, 'a measured source without thread_id');
  const catalog = readTarget('catalog.json');
  const table = Object.values(catalog.nodes)[0] as Json;
  delete (Object.values(table.columns)[0] as Json).index;
  assertInvalid(catalogSchema, catalog, 'a catalog column without index');
});
