/** manifest.json in dbt's shape (v12 field names), so tools that read dbt artifacts read kiln's. */
import type { ParsedProject } from '../parse/index.js';
import type { Dag } from '../graph/dag.js';
import { isUnitTest, type ExposureNode, type GraphNode, type TestNode } from '../parse/nodes.js';
import { unitTestJson } from '../unit/manifest.js';
import type { Compiler } from '../compile/compiler.js';
import { kilnVersion } from '../version.js';

export function manifestJson(parsed: ParsedProject, dag: Dag, compiler?: Compiler, compiledIds: Set<string> = new Set()): Record<string, unknown> {
  const { manifest, adapter, info } = parsed;
  const nodes: Record<string, unknown> = {};
  const unitTests: Record<string, unknown> = {};
  for (const n of manifest.nodes.values()) {
    // Unit tests have their own section, as in dbt.
    if (isUnitTest(n)) unitTests[n.uniqueId] = unitTestJson(n);
    else nodes[n.uniqueId] = nodeJson(n, parsed, compiler && compiledIds.has(n.uniqueId) ? compiler : undefined);
  }
  const sources: Record<string, unknown> = {};
  for (const s of manifest.sources.values()) {
    sources[s.uniqueId] = {
      unique_id: s.uniqueId,
      resource_type: 'source',
      name: s.name,
      source_name: s.sourceName,
      package_name: s.packageName,
      path: s.path,
      original_file_path: s.originalFilePath,
      fqn: s.fqn,
      database: s.database ?? null,
      schema: s.schema,
      identifier: s.identifier,
      relation_name: adapter.relation(s.database, s.schema, s.identifier).render(),
      description: s.description,
      source_description: s.sourceDescription,
      loader: s.loader,
      columns: s.columns,
      meta: s.meta,
      tags: s.tags,
      config: { enabled: true, ...s.config },
      loaded_at_field: s.loadedAtField ?? null,
      freshness: s.freshness ?? null,
    };
  }
  const macros: Record<string, unknown> = {};
  for (const m of manifest.macros.values()) {
    macros[m.uniqueId] = { unique_id: m.uniqueId, name: m.name, package_name: m.packageName, path: m.path, original_file_path: m.originalFilePath, macro_sql: m.macroSql, resource_type: 'macro' };
  }
  const docs: Record<string, unknown> = {};
  for (const d of manifest.docs.values()) docs[d.uniqueId] = { unique_id: d.uniqueId, name: d.name, package_name: d.packageName, path: d.path, original_file_path: d.originalFilePath, block_contents: d.blockContents, resource_type: 'doc' };
  const exposures: Record<string, unknown> = {};
  for (const e of manifest.exposures?.values() ?? []) exposures[e.uniqueId] = exposureJson(e);
  const groups: Record<string, unknown> = {};
  for (const g of manifest.groups?.values() ?? []) groups[g.uniqueId] = { name: g.name, resource_type: 'group', package_name: g.packageName, path: g.path, original_file_path: g.originalFilePath, unique_id: g.uniqueId, owner: g.owner };
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const id of dag.order) {
    parentMap[id] = dag.parents(id);
    childMap[id] = dag.children(id);
  }
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      dbt_version: kilnVersion,
      kiln_version: kilnVersion,
      generated_at: new Date().toISOString(),
      invocation_id: info.invocationId,
      project_name: manifest.projectName,
      adapter_type: adapter.type,
      env: {},
    },
    nodes,
    sources,
    macros,
    docs,
    exposures,
    metrics: {},
    groups,
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    semantic_models: {},
    unit_tests: unitTests,
    saved_queries: {},
  };
}

function nodeJson(n: GraphNode, parsed: ParsedProject, compiler?: Compiler): Record<string, unknown> {
  const t = n as TestNode;
  const relationName =
    n.resourceType === 'model' || n.resourceType === 'seed' || n.resourceType === 'snapshot'
      ? n.config.materialized === 'ephemeral'
        ? null
        : parsed.adapter.relation(n.database, n.schema, n.alias).render()
      : null;
  const out: Record<string, unknown> = {
    unique_id: n.uniqueId,
    resource_type: n.resourceType,
    name: n.name,
    package_name: n.packageName,
    path: n.path,
    original_file_path: n.originalFilePath,
    patch_path: n.patchPath ?? null,
    fqn: n.fqn,
    alias: n.alias,
    database: n.database ?? null,
    schema: n.schema,
    relation_name: relationName,
    description: n.description,
    columns: n.columns,
    meta: n.meta,
    tags: n.tags,
    config: n.config,
    raw_code: n.rawCode,
    language: n.language,
    checksum: { name: 'sha256', checksum: n.checksum },
    refs: n.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
    sources: n.sources,
    depends_on: n.dependsOn,
    compiled_path: null,
  };
  if (compiler) {
    out.compiled = true;
    out.compiled_code = compiler.compile(n.uniqueId).compiledCode;
    out.extra_ctes_injected = true;
    out.extra_ctes = compiler.compile(n.uniqueId).ephemerals.map((id) => ({ id, sql: null }));
  }
  if (t.testMetadata) {
    out.test_metadata = { name: t.testMetadata.name, namespace: t.testMetadata.namespace ?? null, kwargs: t.testMetadata.kwargs };
    out.column_name = t.columnName ?? null;
    out.attached_node = t.attachedNode ?? null;
  }
  return out;
}

/** An exposure as dbt writes it (v12). */
function exposureJson(e: ExposureNode): Record<string, unknown> {
  return {
    name: e.name,
    resource_type: 'exposure',
    package_name: e.packageName,
    path: e.path,
    original_file_path: e.originalFilePath,
    unique_id: e.uniqueId,
    fqn: e.fqn,
    type: e.type,
    owner: { email: e.owner.email ?? null, name: e.owner.name ?? null, ...e.owner },
    description: e.description,
    label: e.label ?? null,
    maturity: e.maturity ?? null,
    meta: e.meta,
    tags: e.tags,
    config: e.config,
    unrendered_config: {},
    url: e.url ?? null,
    depends_on: e.dependsOn,
    refs: e.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
    sources: e.sources,
    metrics: e.metrics,
  };
}
