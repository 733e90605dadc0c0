/**
 * A parsed node as dbt's dictionary: the manifest v12 shape of models, seeds, tests,
 * snapshots, analyses, operations, sources, macros, exposures, groups, docs and unit tests.
 * manifest.json, the template `graph`, the `model` a node renders with and the `node` given
 * to generate_schema_name / generate_alias_name / generate_database_name all come from here,
 * so a package that walks any of them (dbt_project_evaluator, elementary) finds what it
 * would find in dbt. Pure data: it reads no file and talks to no warehouse; whoever knows
 * the relation and the compiled SQL passes them in.
 *
 * Two flavours, as dbt has: `artifact` (manifest.json) leaves out what dbt drops when it
 * writes an artifact (config_call_dict, defer_relation, batch); `context` (graph, model,
 * node) keeps them. Fields dbt added to manifest v12 after 1.9 (doc_blocks, functions,
 * loaded_at_query, macro and group configs) are written to the context only, so manifest.json
 * validates against every published v12 schema since dbt 1.9.
 */
import { join, dirname, relative } from 'node:path';
import type {
  ColumnDef,
  ConstraintDef,
  DocBlock,
  ExposureNode,
  GraphNode,
  GroupDef,
  Hook,
  MacroNode,
  NodeConfig,
  SourceNode,
  TestNode,
  UnitTestNode,
  UnitTestRows,
} from './nodes.js';
import { sha256Hex } from './text-hash.js';
import { joinPlain } from './plain-join.js';

export type DictFlavor = 'artifact' | 'context';

/** Renders database.schema.identifier as the warehouse quotes it. */
export type RelationNamer = (database: string | undefined, schema: string, identifier: string) => string;

/** What a node's compilation added: dbt writes these fields only for compiled nodes. */
export interface CompiledInfo {
  code: string;
  /** Ephemeral models inlined, dependencies first: `sql` is ` __dbt__cte__name as (\n...\n)`. */
  ctes: Array<{ id: string; sql: string }>;
  /** Where the compiled SQL was written, relative to the project (target/compiled/...). */
  path: string;
}

export interface DictOptions {
  flavor?: DictFlavor;
  /** Without it relation_name is null (as in dbt before a node's relation is known). */
  relationName?: RelationNamer;
  compiled?: CompiledInfo;
  /** Seconds since the epoch (dbt's created_at); defaults to now. */
  createdAt?: number;
}

const nowSeconds = () => Date.now() / 1000;
const orNull = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);
const docsDefault = { show: true, node_color: null };

/** Resource types whose node is a relation in the warehouse (dbt's "refable" types). */
const relational = new Set(['model', 'seed', 'snapshot']);

/** The relation a model, seed or snapshot builds; null for ephemeral models and everything else. */
export function nodeRelationName(node: GraphNode, relationName?: RelationNamer): string | null {
  if (!relationName || !relational.has(node.resourceType) || node.config.materialized === 'ephemeral') return null;
  return relationName(node.database, node.schema, node.alias);
}

/** The folder of compiled SQL under a target path: target/compiled. */
export const compiledFolderOf = (targetPath: string) => join(targetPath, 'compiled');

/** Where a file's compiled SQL goes under `compiledFolder`: `<package>/<path>`, the path relative to its project. */
export const compiledFileUnder = (compiledFolder: string, packageName: string, path: string) =>
  joinPlain(compiledFolder, packageName, path);

/** Where kiln writes a node's compiled SQL, relative to the project (see Compiler.writeCompiled). */
export function compiledPath(node: GraphNode, projectDir: string, targetPath: string): string {
  const rel = (node as TestNode).testMetadata
    ? join(dirname(node.originalFilePath), node.name + '.sql')
    : node.originalFilePath;
  const path = compiledFileUnder(compiledFolder(projectDir, targetPath), node.packageName, rel);
  return path.includes('\\') ? path.split('\\').join('/') : path;
}

let lastCompiledFolder: { projectDir: string; targetPath: string; folder: string } | undefined;

/** target/compiled relative to the project, worked out once: path.relative per node costs a tenth of a manifest. */
function compiledFolder(projectDir: string, targetPath: string): string {
  if (lastCompiledFolder?.projectDir !== projectDir || lastCompiledFolder.targetPath !== targetPath) {
    lastCompiledFolder = { projectDir, targetPath, folder: relative(projectDir, compiledFolderOf(targetPath)) };
  }
  return lastCompiledFolder.folder;
}

/** A model, seed, test, snapshot, analysis or operation as dbt's manifest node. */
export function nodeDict(node: GraphNode, opts: DictOptions = {}): Record<string, unknown> {
  const context = opts.flavor === 'context';
  // Built by assignment in dbt's field order: spreading objects of this size costs ten times more.
  const out = baseFields(node, opts);
  if (node.resourceType === 'seed') {
    if (context) out.defer_relation = null;
    out.depends_on = { macros: [...node.dependsOn.macros] };
    return out;
  }
  out.language = node.language;
  out.refs = node.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null }));
  out.sources = node.sources.map((s) => [...s]);
  out.metrics = [];
  if (context) out.functions = [];
  out.depends_on = { macros: [...node.dependsOn.macros], nodes: [...node.dependsOn.nodes] };
  out.compiled_path = opts.compiled?.path ?? null;
  if (opts.compiled) {
    out.compiled = true;
    out.compiled_code = opts.compiled.code;
    out.extra_ctes_injected = true;
    out.extra_ctes = opts.compiled.ctes.map((c) => ({ id: c.id, sql: c.sql }));
  }
  out.contract = contractOf(node);
  const t = node as TestNode;
  if (t.testMetadata) {
    out.column_name = t.columnName ?? null;
    out.file_key_name = fileKeyName(t);
    out.attached_node = t.attachedNode ?? null;
    out.test_metadata = {
      name: t.testMetadata.name,
      kwargs: testKwargs(t),
      namespace: t.testMetadata.namespace ?? null,
    };
  }
  if (node.resourceType === 'model') {
    out.access = node.config.access ?? 'protected';
    out.constraints = (node.constraints ?? []).map((c) => constraintDict(c, true));
    out.version = null;
    out.latest_version = null;
    out.deprecation_date = null;
    if (context) out.defer_relation = null;
    out.primary_key = primaryKey(node);
    out.time_spine = null;
    // dbt's ModelNode carries `batch` (None outside a microbatch run); artifacts leave it out.
    if (context) out.batch = null;
  }
  if (node.resourceType === 'snapshot' && context) out.defer_relation = null;
  return out;
}

/**
 * The node generate_schema_name / generate_alias_name / generate_database_name receive: the
 * parsed node with its final config, before its relation is known. As in dbt, database and
 * schema are the target's until a macro has named them, and alias is the node's name.
 */
export function parsedNodeDict(
  node: GraphNode,
  target: { database?: string; schema: string },
): Record<string, unknown> {
  return nodeDict(
    { ...node, schema: node.schema || target.schema, database: node.database ?? target.database },
    { flavor: 'context' },
  );
}

function baseFields(node: GraphNode, opts: DictOptions): Record<string, unknown> {
  const context = opts.flavor === 'context';
  const out: Record<string, unknown> = {
    database: node.database ?? null,
    schema: node.schema,
    name: node.name,
    resource_type: node.resourceType,
    package_name: node.packageName,
    path: node.path,
    original_file_path: node.originalFilePath,
    unique_id: node.uniqueId,
    fqn: [...node.fqn],
    alias: node.alias,
    checksum: node.checksum ? { name: 'sha256', checksum: node.checksum } : { name: 'none', checksum: '' },
    config: configDict(node.resourceType, node.config),
    tags: [...node.tags],
    description: node.description,
    columns: columnsDict(node.columns),
    meta: node.meta,
    group: orNull(node.config.group as string | undefined),
    docs: docsOf(node.config.docs),
    patch_path: node.patchPath ?? null,
    build_path: null,
    unrendered_config: {},
    created_at: opts.createdAt ?? nowSeconds(),
  };
  if (context) {
    out.config_call_dict = {};
    out.unrendered_config_call_dict = {};
  }
  out.relation_name = nodeRelationName(node, opts.relationName);
  out.raw_code = node.rawCode;
  if (context) out.doc_blocks = [];
  return out;
}

/** dbt's config defaults for each resource type, as its manifest writes them. */
function configDefaults(resourceType: string): Record<string, unknown> {
  if (resourceType === 'test') {
    return {
      enabled: true,
      alias: null,
      schema: 'dbt_test__audit',
      database: null,
      tags: [],
      meta: {},
      group: null,
      materialized: 'test',
      severity: 'ERROR',
      store_failures: null,
      store_failures_as: null,
      where: null,
      limit: null,
      fail_calc: 'count(*)',
      warn_if: '!= 0',
      error_if: '!= 0',
    };
  }
  const base: Record<string, unknown> = {
    enabled: true,
    alias: null,
    schema: null,
    database: null,
    tags: [],
    meta: {},
    group: null,
    materialized: 'view',
    incremental_strategy: null,
    batch_size: null,
    lookback: 1,
    begin: null,
    persist_docs: {},
    'post-hook': [],
    'pre-hook': [],
    quoting: {},
    column_types: {},
    full_refresh: null,
    unique_key: null,
    on_schema_change: 'ignore',
    on_configuration_change: 'apply',
    grants: {},
    packages: [],
    docs: { ...docsDefault },
    contract: { enforced: false, alias_types: true },
    event_time: null,
    concurrent_batches: null,
  };
  if (resourceType === 'model') base.access = 'protected';
  if (resourceType === 'seed') Object.assign(base, { materialized: 'seed', delimiter: ',', quote_columns: null });
  if (resourceType === 'snapshot') {
    Object.assign(base, {
      materialized: 'snapshot',
      strategy: null,
      target_schema: null,
      target_database: null,
      updated_at: null,
      check_cols: null,
      snapshot_meta_column_names: {},
      dbt_valid_to_current: null,
    });
  }
  return base;
}

/**
 * A node's config in dbt's spelling: its defaults filled in, hooks as `pre-hook`/`post-hook`
 * lists of {sql, transaction, index}, docs and contract with only dbt's keys. kiln's own
 * configs (audit, retries, concurrency_group, ...) stay: dbt's configs are open mappings.
 */
export function configDict(resourceType: string, config: NodeConfig): Record<string, unknown> {
  const out = configDefaults(resourceType);
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (key === 'pre_hook' || key === 'post_hook')
      out[key === 'pre_hook' ? 'pre-hook' : 'post-hook'] = (value as Hook[]).map(hookDict);
    else if (key === 'docs') out.docs = docsOf(value);
    else if (key === 'contract') out.contract = contractConfig(value);
    else if (key === 'tags') out.tags = [...(value as string[])];
    else out[key] = value;
  }
  return out;
}

function hookDict(h: Hook): Record<string, unknown> {
  return typeof h === 'string'
    ? { sql: h, transaction: true, index: null }
    : { sql: h.sql, transaction: h.transaction, index: null };
}

function docsOf(value: unknown): { show: boolean; node_color: string | null } {
  const d = (value && typeof value === 'object' ? value : {}) as { show?: unknown; node_color?: unknown };
  return {
    show: d.show === undefined ? true : d.show !== false,
    node_color: typeof d.node_color === 'string' ? d.node_color : null,
  };
}

function contractConfig(value: unknown): { enforced: boolean; alias_types: boolean } {
  const c = (value && typeof value === 'object' ? value : {}) as { enforced?: unknown; alias_types?: unknown };
  return { enforced: c.enforced === true, alias_types: c.alias_types !== false };
}

/** The node's contract: enforced or not, and a checksum of the declared columns when enforced. */
function contractOf(node: GraphNode): Record<string, unknown> {
  const { enforced, alias_types } = contractConfig(node.config.contract);
  if (!enforced) return { enforced, alias_types, checksum: null };
  const shape = Object.values(node.columns)
    .map((c) => `${c.name}:${c.data_type ?? ''}`)
    .join(',');
  return { enforced, alias_types, checksum: sha256Hex(shape) };
}

function columnsDict(columns: Record<string, ColumnDef>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, c] of Object.entries(columns)) {
    out[key] = {
      name: c.name,
      description: c.description,
      meta: c.meta,
      data_type: c.data_type ?? null,
      constraints: (c.constraints ?? []).map((k) => constraintDict(k, false)),
      quote: null,
      tags: [...c.tags],
      granularity: null,
    };
  }
  return out;
}

function constraintDict(c: ConstraintDef, modelLevel: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: c.type,
    name: c.name ?? null,
    expression: c.expression ?? null,
    warn_unenforced: c.warn_unenforced !== false,
    warn_unsupported: c.warn_unsupported !== false,
    to: c.to ?? null,
    to_columns: c.to_columns ?? [],
  };
  if (modelLevel) out.columns = c.columns ?? [];
  return out;
}

/** Columns of a primary_key constraint (model-level first, then column-level), as dbt infers them. */
function primaryKey(node: GraphNode): string[] {
  const modelLevel = (node.constraints ?? []).find((c) => c.type === 'primary_key' && c.columns?.length);
  if (modelLevel) return [...modelLevel.columns!];
  return Object.values(node.columns)
    .filter((c) => c.constraints?.some((k) => k.type === 'primary_key'))
    .map((c) => c.name);
}

/** dbt's key of a generic test's properties entry: `models.orders`, `sources.shop`, ... */
function fileKeyName(t: TestNode): string | null {
  if (t.attachedNode) {
    const [type, , ...name] = t.attachedNode.split('.');
    return `${type}s.${name.join('.')}`;
  }
  const source = t.sources[0];
  return source ? `sources.${source[0]}` : null;
}

/** A generic test's arguments, with `model` as dbt records it: the Jinja that names what is tested. */
function testKwargs(t: TestNode): Record<string, unknown> {
  const kwargs: Record<string, unknown> = { ...t.testMetadata!.kwargs };
  if (kwargs.model !== undefined) return kwargs;
  if (t.attachedNode) kwargs.model = `{{ get_where_subquery(ref('${t.attachedNode.split('.').slice(2).join('.')}')) }}`;
  else if (t.sources[0]) kwargs.model = `{{ get_where_subquery(source('${t.sources[0][0]}', '${t.sources[0][1]}')) }}`;
  return kwargs;
}

/** A source table as dbt's manifest writes it. */
export function sourceDict(s: SourceNode, opts: DictOptions = {}): Record<string, unknown> {
  const context = opts.flavor === 'context';
  const freshness = freshnessDict(s.freshness);
  const config: Record<string, unknown> = {
    enabled: true,
    event_time: null,
    freshness,
    loaded_at_field: s.loadedAtField ?? null,
    meta: s.meta,
    tags: [...s.tags],
  };
  for (const [key, value] of Object.entries(s.config)) {
    if (value === undefined || key === 'freshness') continue;
    config[key] = key === 'tags' ? [...(value as string[])] : value;
  }
  return {
    database: s.database ?? null,
    schema: s.schema,
    name: s.name,
    resource_type: 'source',
    package_name: s.packageName,
    path: s.path,
    original_file_path: s.originalFilePath,
    unique_id: s.uniqueId,
    fqn: [...s.fqn],
    source_name: s.sourceName,
    source_description: s.sourceDescription,
    loader: s.loader,
    identifier: s.identifier,
    quoting: quotingDict(s.config.quoting),
    loaded_at_field: s.loadedAtField ?? null,
    ...(context ? { loaded_at_query: null } : {}),
    freshness,
    external: null,
    description: s.description,
    columns: columnsDict(s.columns),
    meta: s.meta,
    source_meta: {},
    tags: [...s.tags],
    config,
    patch_path: null,
    unrendered_config: {},
    relation_name: opts.relationName ? opts.relationName(s.database, s.schema, s.identifier) : null,
    created_at: opts.createdAt ?? nowSeconds(),
    ...(context ? { doc_blocks: [] } : {}),
  };
}

function quotingDict(value: unknown): Record<string, boolean | null> {
  const q = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const flag = (k: string) => (typeof q[k] === 'boolean' ? q[k] : null);
  return { database: flag('database'), schema: flag('schema'), identifier: flag('identifier'), column: flag('column') };
}

/** `freshness:` as dbt's FreshnessThreshold: warn_after and error_after as {count, period}; null when off. */
export function freshnessDict(value: unknown): Record<string, unknown> | null {
  if (!value || typeof value !== 'object') return null;
  const f = value as { warn_after?: unknown; error_after?: unknown; filter?: unknown };
  return {
    warn_after: timeDict(f.warn_after),
    error_after: timeDict(f.error_after),
    filter: typeof f.filter === 'string' ? f.filter : null,
  };
}

function timeDict(value: unknown): { count: number | null; period: string | null } {
  const t = (value && typeof value === 'object' ? value : {}) as { count?: unknown; period?: unknown };
  const count = t.count === undefined || t.count === null || t.count === '' ? null : Number(t.count);
  const period = ['minute', 'hour', 'day'].includes(String(t.period)) ? String(t.period) : null;
  return { count: count !== null && Number.isInteger(count) ? count : null, period };
}

export function macroDict(m: MacroNode, opts: DictOptions = {}): Record<string, unknown> {
  return {
    name: m.name,
    resource_type: 'macro',
    package_name: m.packageName,
    path: m.path,
    original_file_path: m.originalFilePath,
    unique_id: m.uniqueId,
    macro_sql: m.macroSql,
    depends_on: { macros: [] },
    description: '',
    meta: {},
    docs: { ...docsDefault },
    ...(opts.flavor === 'context' ? { config: { meta: {}, docs: { ...docsDefault } } } : {}),
    patch_path: null,
    arguments: [],
    created_at: opts.createdAt ?? nowSeconds(),
    supported_languages: null,
  };
}

export function docDict(d: DocBlock): Record<string, unknown> {
  return {
    name: d.name,
    resource_type: 'doc',
    package_name: d.packageName,
    path: d.path,
    original_file_path: d.originalFilePath,
    unique_id: d.uniqueId,
    block_contents: d.blockContents,
  };
}

function ownerDict(owner: Record<string, unknown>): Record<string, unknown> {
  return { ...owner, email: orNull(owner.email), name: orNull(owner.name) };
}

export function exposureDict(e: ExposureNode, opts: DictOptions = {}): Record<string, unknown> {
  const config: Record<string, unknown> = { enabled: true, tags: [...e.tags], meta: e.meta };
  for (const [key, value] of Object.entries(e.config))
    if (value !== undefined && key !== 'tags' && key !== 'meta') config[key] = value;
  return {
    name: e.name,
    resource_type: 'exposure',
    package_name: e.packageName,
    path: e.path,
    original_file_path: e.originalFilePath,
    unique_id: e.uniqueId,
    fqn: [...e.fqn],
    type: e.type,
    owner: ownerDict(e.owner),
    description: e.description,
    label: e.label ?? null,
    maturity: e.maturity ?? null,
    meta: e.meta,
    tags: [...e.tags],
    config,
    unrendered_config: {},
    url: e.url ?? null,
    depends_on: { macros: [...e.dependsOn.macros], nodes: [...e.dependsOn.nodes] },
    refs: e.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
    sources: e.sources.map((s) => [...s]),
    metrics: e.metrics.map((m) => [...m]),
    created_at: opts.createdAt ?? nowSeconds(),
  };
}

export function groupDict(g: GroupDef, opts: DictOptions = {}): Record<string, unknown> {
  return {
    name: g.name,
    resource_type: 'group',
    package_name: g.packageName,
    path: g.path,
    original_file_path: g.originalFilePath,
    unique_id: g.uniqueId,
    owner: ownerDict(g.owner),
    ...(opts.flavor === 'context' ? { description: null, config: { meta: {} } } : {}),
  };
}

const rowsDict = (r: UnitTestRows) => ({ rows: r.rows ?? null, format: r.format, fixture: r.fixture ?? null });

/** A unit test as manifest.json's `unit_tests` section writes it; `modelSchema` is the tested model's schema. */
export function unitTestDict(
  u: UnitTestNode,
  opts: DictOptions & { modelSchema?: string } = {},
): Record<string, unknown> {
  const config: Record<string, unknown> = { tags: [...u.tags], meta: u.meta, enabled: true };
  for (const [key, value] of Object.entries(u.config))
    if (value !== undefined && key !== 'tags' && key !== 'meta') config[key] = value;
  return {
    model: u.model.split('.').slice(2).join('.'),
    given: u.given.map((g) => ({ input: g.input, ...rowsDict(g) })),
    expect: rowsDict(u.expect),
    name: u.name,
    resource_type: 'unit_test',
    package_name: u.packageName,
    path: u.path,
    original_file_path: u.originalFilePath,
    unique_id: u.uniqueId,
    fqn: [...u.fqn],
    description: u.description,
    overrides: { macros: u.overrides.macros, vars: u.overrides.vars, env_vars: u.overrides.envVars },
    depends_on: { macros: [...u.dependsOn.macros], nodes: [...u.dependsOn.nodes] },
    config,
    checksum: u.checksum || null,
    schema: opts.modelSchema ?? null,
    created_at: opts.createdAt ?? nowSeconds(),
    versions: null,
    version: null,
  };
}
