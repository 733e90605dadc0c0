/**
 * JSON Schemas of kiln's artifacts: what tools may rely on. Each encodes the requirements of
 * the dbt schema kiln claims (manifest v12, run-results v6, sources v3, catalog v1, as
 * published at schemas.getdbt.com): required fields, types, enums, and closed objects where
 * dbt's are closed (`additionalProperties: false`), so an artifact that passes here passes
 * there. Where kiln promises more than dbt requires (fields packages read from the graph,
 * the invocation's ids), that is listed apart as kiln's own requirement. Tests validate every
 * artifact against these (draft-07, as ajv's default export reads them).
 */
import type { SchemaObject as Schema } from 'ajv';

const string = { type: 'string' };
const number = { type: 'number' };
const boolean = { type: 'boolean' };
const nullableString = { type: ['string', 'null'] };
const nullableBoolean = { type: ['boolean', 'null'] };
const nullableInteger = { type: ['integer', 'null'] };
const anyValue = {};
const mapping = { type: 'object' };
const stringList = { type: 'array', items: string };
const listOf = (items: Schema) => ({ type: 'array', items });
const mapOf = (values: Schema) => ({ type: 'object', additionalProperties: values });
const nullable = (schema: Schema) => ({ anyOf: [schema, { type: 'null' }] });
const stringOrList = { anyOf: [string, stringList] };
const nullableStringOrList = { anyOf: [string, stringList, { type: 'null' }] };
const nullableMapping = { type: ['object', 'null'] };
/** What kiln never writes (metrics, semantic models, saved queries, functions): an empty mapping. */
const alwaysEmpty = { type: 'object', maxProperties: 0 };
const fqn = { ...stringList, minItems: 1 };
const access = { enum: ['private', 'protected', 'public'] };
const period = { enum: ['minute', 'hour', 'day', null] };
/** dbt's NodeVersion: a string or a number. */
const nodeVersion = { type: ['string', 'number', 'null'] };

/** An object of exactly these properties (dbt's `additionalProperties: false`). */
function closed(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', additionalProperties: false, required, properties };
}
/** An object whose listed properties are typed and whose others are free (dbt's configs, owners, columns). */
function open(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', required, properties };
}
/** An object of exactly these properties, all required. */
function allRequired(properties: Record<string, Schema>): Schema {
  return closed(properties, Object.keys(properties));
}
/** `schema` with more required fields: what kiln promises beyond dbt. */
function alsoRequired(schema: Schema, required: string[]): Schema {
  return { ...schema, required: [...new Set([...((schema.required as string[]) ?? []), ...required])] };
}

// ---------------------------------------------------------------- shared pieces

/** dbt's BaseArtifactMetadata, with the properties an artifact adds (the manifest's). */
function artifactMetadata(schemaUrl: string, required: string[], more: Record<string, Schema> = {}): Schema {
  return closed(
    {
      dbt_schema_version: { const: schemaUrl },
      dbt_version: string,
      generated_at: string,
      invocation_id: nullableString,
      invocation_started_at: nullableString,
      env: mapOf(string),
      ...more,
    },
    required,
  );
}

/** dbt's BaseResource: what every entry of the manifest has, all required. */
const resourceRequired = ['name', 'resource_type', 'package_name', 'path', 'original_file_path', 'unique_id'];
function resource(resourceType: string): Record<string, Schema> {
  return {
    name: string,
    resource_type: { const: resourceType },
    package_name: string,
    path: string,
    original_file_path: string,
    unique_id: string,
  };
}

const timingInfo = closed({ name: string, started_at: nullableString, completed_at: nullableString }, ['name']);
const fileHash = closed({ name: string, checksum: string }, ['name', 'checksum']);
const docs = closed({ show: boolean, node_color: nullableString });
const contract = closed({ enforced: boolean, alias_types: boolean, checksum: nullableString });
const contractConfig = closed({ enforced: boolean, alias_types: boolean });
const refArgs = closed({ name: string, package: nullableString, version: nodeVersion }, ['name']);
/** What a node or an exposure reads: `ref()`s, `source()`s and metrics. */
const references = { refs: listOf(refArgs), sources: listOf(stringList), metrics: listOf(stringList) };
const dependsOn = closed({ macros: stringList, nodes: stringList });
const macroDependsOn = closed({ macros: stringList });
const injectedCte = closed({ id: string, sql: string }, ['id', 'sql']);
const testMetadata = closed({ name: string, kwargs: mapping, namespace: nullableString });
const hook = closed({ sql: string, transaction: boolean, index: nullableInteger }, ['sql']);
const quoting = closed({
  database: nullableBoolean,
  schema: nullableBoolean,
  identifier: nullableBoolean,
  column: nullableBoolean,
});
const constraintTypes = ['check', 'not_null', 'unique', 'primary_key', 'foreign_key', 'custom'];
const constraintProperties = {
  type: { enum: constraintTypes },
  name: nullableString,
  expression: nullableString,
  warn_unenforced: boolean,
  warn_unsupported: boolean,
  to: nullableString,
  to_columns: stringList,
};
const columnLevelConstraint = closed(constraintProperties, ['type']);
const modelLevelConstraint = closed({ ...constraintProperties, columns: stringList }, ['type']);
const granularities = [
  'nanosecond',
  'microsecond',
  'millisecond',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
];
const columnInfo = open(
  {
    name: string,
    description: string,
    meta: mapping,
    data_type: nullableString,
    constraints: listOf(columnLevelConstraint),
    quote: nullableBoolean,
    config: open({ meta: mapping, tags: stringList }),
    tags: stringList,
    granularity: { enum: [...granularities, null] },
    doc_blocks: stringList,
  },
  ['name'],
);
const columns = mapOf(columnInfo);
const time = closed({ count: nullableInteger, period });
const freshnessThreshold = closed({ warn_after: nullable(time), error_after: nullable(time), filter: nullableString });
const owner = open({ email: nullableStringOrList, name: nullableString });
const deferRelation = allRequired({
  database: nullableString,
  schema: string,
  alias: string,
  relation_name: nullableString,
  resource_type: string,
  name: string,
  description: string,
  compiled_code: nullableString,
  meta: mapping,
  tags: stringList,
  config: nullable(mapping),
});
const timeSpine = closed(
  {
    standard_granularity_column: string,
    custom_granularities: listOf(closed({ name: string, column_name: nullableString }, ['name'])),
  },
  ['standard_granularity_column'],
);

// ---------------------------------------------------------------- node configs (open mappings)

/** The config keys every node has, tests included. */
const baseConfigProperties: Record<string, Schema> = {
  enabled: boolean,
  alias: nullableString,
  schema: nullableString,
  database: nullableString,
  tags: stringOrList,
  meta: mapping,
  group: nullableString,
  static_analysis: nullableString,
  materialized: string,
};
const nodeConfigProperties: Record<string, Schema> = {
  ...baseConfigProperties,
  incremental_strategy: nullableString,
  batch_size: anyValue,
  lookback: anyValue,
  begin: anyValue,
  persist_docs: mapping,
  'post-hook': listOf(hook),
  'pre-hook': listOf(hook),
  quoting: mapping,
  column_types: mapping,
  full_refresh: nullableBoolean,
  unique_key: nullableStringOrList,
  on_schema_change: nullableString,
  on_configuration_change: { enum: ['apply', 'continue', 'fail'] },
  grants: mapping,
  packages: stringList,
  docs,
  contract: contractConfig,
  event_time: anyValue,
  concurrent_batches: anyValue,
};
const nodeConfig = open(nodeConfigProperties);
const modelConfig = open({
  ...nodeConfigProperties,
  access,
  freshness: nullable(
    open(
      {
        build_after: open({
          count: nullableInteger,
          period,
          updates_on: { enum: ['all', 'any'] },
        }),
      },
      ['build_after'],
    ),
  ),
  on_error: { enum: ['skip_children', 'continue', null] },
});
const seedConfig = open({ ...nodeConfigProperties, delimiter: string, quote_columns: nullableBoolean });
const snapshotConfig = open({
  ...nodeConfigProperties,
  strategy: nullableString,
  target_schema: nullableString,
  target_database: nullableString,
  updated_at: nullableString,
  check_cols: nullableStringOrList,
  snapshot_meta_column_names: closed({
    dbt_valid_to: nullableString,
    dbt_valid_from: nullableString,
    dbt_scd_id: nullableString,
    dbt_updated_at: nullableString,
    dbt_is_deleted: nullableString,
  }),
  dbt_valid_to_current: nullableString,
});
const testConfig = open({
  ...baseConfigProperties,
  severity: { type: 'string', pattern: '^([Ww][Aa][Rr][Nn]|[Ee][Rr][Rr][Oo][Rr])$' },
  store_failures: nullableBoolean,
  store_failures_as: nullableString,
  sql_header: anyValue,
  where: nullableString,
  limit: nullableInteger,
  fail_calc: string,
  warn_if: string,
  error_if: string,
});

// ---------------------------------------------------------------- manifest nodes

/** dbt's required fields of every node in `nodes`. */
const nodeRequired = ['database', 'schema', ...resourceRequired, 'fqn', 'alias', 'checksum'];
/** kiln also writes these on every node: packages that walk `graph` read them. */
const kilnNodeRequired = [
  'config',
  'tags',
  'description',
  'columns',
  'meta',
  'group',
  'docs',
  'patch_path',
  'relation_name',
  'raw_code',
  'depends_on',
  'unrendered_config',
  'created_at',
];
/** ... and these on every node with SQL (all but seeds). */
const kilnSqlNodeRequired = ['language', 'refs', 'sources', 'metrics', 'compiled_path', 'contract'];

function parsedProperties(resourceType: string, config: Schema): Record<string, Schema> {
  return {
    database: nullableString,
    schema: string,
    ...resource(resourceType),
    fqn,
    alias: string,
    checksum: fileHash,
    config,
    tags: stringList,
    description: string,
    columns,
    meta: mapping,
    group: nullableString,
    docs,
    patch_path: nullableString,
    build_path: nullableString,
    unrendered_config: mapping,
    created_at: number,
    config_call_dict: mapping,
    unrendered_config_call_dict: mapping,
    relation_name: nullableString,
    raw_code: string,
    doc_blocks: stringList,
  };
}

function compiledProperties(resourceType: string, config: Schema): Record<string, Schema> {
  return {
    ...parsedProperties(resourceType, config),
    language: string,
    ...references,
    functions: listOf(stringList),
    depends_on: dependsOn,
    compiled_path: nullableString,
    compiled: boolean,
    compiled_code: nullableString,
    extra_ctes_injected: boolean,
    extra_ctes: listOf(injectedCte),
    _pre_injected_sql: nullableString,
    contract,
  };
}

const sqlNode = (resourceType: string, config: Schema, extra: Record<string, Schema> = {}, required: string[] = []) =>
  closed({ ...compiledProperties(resourceType, config), ...extra }, [
    ...new Set([...nodeRequired, ...required, ...kilnNodeRequired, ...kilnSqlNodeRequired]),
  ]);

const seedNode = closed(
  {
    ...parsedProperties('seed', seedConfig),
    root_path: nullableString,
    depends_on: macroDependsOn,
    defer_relation: nullable(deferRelation),
  },
  [...nodeRequired, ...kilnNodeRequired],
);
const modelNode = sqlNode(
  'model',
  modelConfig,
  {
    access,
    constraints: listOf(modelLevelConstraint),
    version: nodeVersion,
    latest_version: nodeVersion,
    deprecation_date: nullableString,
    defer_relation: nullable(deferRelation),
    primary_key: stringList,
    time_spine: nullable(timeSpine),
  },
  ['access', 'constraints'],
);
const analysisNode = sqlNode('analysis', nodeConfig);
const singularTestNode = sqlNode('test', testConfig);
/** kiln also writes what dbt_project_evaluator and elementary read of a generic test. */
const genericTestNode = sqlNode(
  'test',
  testConfig,
  {
    column_name: nullableString,
    file_key_name: nullableString,
    attached_node: nullableString,
    test_metadata: testMetadata,
  },
  ['test_metadata', 'column_name', 'attached_node', 'file_key_name'],
);
const snapshotNode = sqlNode('snapshot', snapshotConfig, { defer_relation: nullable(deferRelation) }, ['config']);
const operationNode = sqlNode('operation', nodeConfig, { index: nullableInteger });
const sqlOperationNode = sqlNode('sql_operation', nodeConfig);

const whenType = (resourceType: string, extraRequired: string[] = []) => ({
  properties: { resource_type: { const: resourceType } },
  required: ['resource_type', ...extraRequired],
});

/** A node of `nodes`: its variant chosen by resource_type (a test with test_metadata is a generic test). */
const manifestNode: Schema = {
  type: 'object',
  required: ['resource_type'],
  properties: {
    resource_type: { enum: ['model', 'seed', 'test', 'snapshot', 'analysis', 'operation', 'sql_operation'] },
  },
  allOf: [
    { if: whenType('model'), then: modelNode },
    { if: whenType('seed'), then: seedNode },
    { if: whenType('snapshot'), then: snapshotNode },
    { if: whenType('analysis'), then: analysisNode },
    { if: whenType('operation'), then: operationNode },
    { if: whenType('sql_operation'), then: sqlOperationNode },
    {
      if: whenType('test', ['test_metadata']),
      then: genericTestNode,
      else: { if: whenType('test'), then: singularTestNode },
    },
  ],
};

// ---------------------------------------------------------------- other manifest resources

const sourceDefinition = closed(
  {
    database: nullableString,
    schema: string,
    ...resource('source'),
    fqn,
    source_name: string,
    source_description: string,
    loader: string,
    identifier: string,
    quoting,
    loaded_at_field: nullableString,
    loaded_at_query: nullableString,
    freshness: nullable(freshnessThreshold),
    external: nullableMapping,
    description: string,
    columns,
    meta: mapping,
    source_meta: mapping,
    tags: stringList,
    config: open({
      enabled: boolean,
      event_time: anyValue,
      freshness: nullable(freshnessThreshold),
      loaded_at_field: nullableString,
      loaded_at_query: nullableString,
      meta: mapping,
      tags: stringList,
      static_analysis: nullableString,
    }),
    patch_path: nullableString,
    unrendered_config: mapping,
    relation_name: nullableString,
    created_at: number,
    unrendered_database: nullableString,
    unrendered_schema: nullableString,
    doc_blocks: stringList,
  },
  // dbt's, then kiln's (relation_name: what a source renders as).
  [
    'database',
    'schema',
    ...resourceRequired,
    'fqn',
    'source_name',
    'source_description',
    'loader',
    'identifier',
    'relation_name',
    'freshness',
    'loaded_at_field',
    'config',
    'columns',
  ],
);

const macro = closed(
  {
    ...resource('macro'),
    macro_sql: string,
    depends_on: macroDependsOn,
    description: string,
    meta: mapping,
    docs,
    config: open({ meta: mapping, docs }),
    patch_path: nullableString,
    arguments: listOf(closed({ name: string, type: nullableString, description: string }, ['name'])),
    created_at: number,
    supported_languages: nullable(listOf({ enum: ['python', 'sql', 'javascript'] })),
  },
  [...resourceRequired, 'macro_sql'],
);

const documentation = allRequired({ ...resource('doc'), block_contents: string });

const exposure = closed(
  {
    ...resource('exposure'),
    fqn: stringList,
    type: { enum: ['dashboard', 'notebook', 'analysis', 'ml', 'application'] },
    owner,
    description: string,
    label: nullableString,
    maturity: { enum: ['low', 'medium', 'high', null] },
    meta: mapping,
    tags: stringList,
    config: open({ enabled: boolean, tags: stringList, meta: mapping }),
    unrendered_config: mapping,
    url: nullableString,
    depends_on: dependsOn,
    ...references,
    created_at: number,
  },
  [...resourceRequired, 'fqn', 'type', 'owner', 'depends_on'],
);

const group = closed(
  {
    ...resource('group'),
    owner,
    description: nullableString,
    config: open({ meta: mapping }),
  },
  [...resourceRequired, 'owner'],
);

const fixtureRows = { anyOf: [string, listOf(mapping), { type: 'null' }] };
const fixtureFormat = { enum: ['csv', 'dict', 'sql'] };
const unitTest = closed(
  {
    model: string,
    given: listOf(
      closed({ input: string, rows: fixtureRows, format: fixtureFormat, fixture: nullableString }, ['input']),
    ),
    expect: closed({ rows: fixtureRows, format: fixtureFormat, fixture: nullableString }),
    ...resource('unit_test'),
    fqn: stringList,
    description: string,
    overrides: nullable(closed({ macros: mapping, vars: mapping, env_vars: mapping })),
    depends_on: dependsOn,
    config: open({ tags: stringOrList, meta: mapping, enabled: boolean, static_analysis: nullableString }),
    checksum: nullableString,
    schema: nullableString,
    created_at: number,
    versions: nullableMapping,
    version: nodeVersion,
  },
  ['model', 'given', 'expect', ...resourceRequired, 'fqn'],
);

const idMap = nullable(mapOf(stringList));

export const manifestSchema = closed(
  {
    metadata: artifactMetadata(
      'https://schemas.getdbt.com/dbt/manifest/v12.json',
      // dbt requires none; kiln writes these.
      ['dbt_schema_version', 'dbt_version', 'generated_at', 'invocation_id', 'env', 'project_name', 'adapter_type'],
      {
        project_name: nullableString,
        project_id: nullableString,
        user_id: nullableString,
        send_anonymous_usage_stats: nullableBoolean,
        adapter_type: nullableString,
        quoting: nullable(quoting),
        run_started_at: nullableString,
      },
    ),
    nodes: mapOf(manifestNode),
    sources: mapOf(sourceDefinition),
    macros: mapOf(macro),
    docs: mapOf(documentation),
    exposures: mapOf(exposure),
    // kiln reads no metrics, semantic models, saved queries or functions: always empty.
    metrics: alwaysEmpty,
    groups: mapOf(group),
    selectors: mapping,
    disabled: nullable(mapOf(listOf({ anyOf: [manifestNode, sourceDefinition, unitTest] }))),
    parent_map: idMap,
    child_map: idMap,
    group_map: idMap,
    saved_queries: alwaysEmpty,
    semantic_models: alwaysEmpty,
    unit_tests: mapOf(unitTest),
    functions: alwaysEmpty,
  },
  [
    'metadata',
    'nodes',
    'sources',
    'macros',
    'docs',
    'exposures',
    'metrics',
    'groups',
    'selectors',
    'disabled',
    'parent_map',
    'child_map',
    'group_map',
    'saved_queries',
    'semantic_models',
    'unit_tests',
  ],
);

// ---------------------------------------------------------------- run_results.json

const dbtStatuses = [
  'success',
  'error',
  'skipped',
  'partial success',
  'no-op',
  'reused',
  'pass',
  'fail',
  'warn',
  'runtime error',
];
const batchPair = { type: 'array', items: [string, string], minItems: 2, maxItems: 2 };

export const runResultsSchema = closed(
  {
    metadata: artifactMetadata('https://schemas.getdbt.com/dbt/run-results/v6.json', [
      'dbt_schema_version',
      'dbt_version',
      'generated_at',
      'invocation_id',
    ]),
    results: listOf(
      closed(
        {
          status: { enum: dbtStatuses },
          timing: listOf(alsoRequired(timingInfo, ['started_at', 'completed_at'])),
          thread_id: string,
          execution_time: { ...number, minimum: 0 },
          adapter_response: mapping,
          message: nullableString,
          failures: nullableInteger,
          unique_id: { type: 'string', pattern: '^(model|seed|test|snapshot|analysis|operation|unit_test)\\.' },
          compiled: nullableBoolean,
          compiled_code: nullableString,
          relation_name: nullableString,
          batch_results: nullable(closed({ successful: listOf(batchPair), failed: listOf(batchPair) })),
          overload_results: nullable(closed({ successful: stringList, failed: stringList })),
        },
        [
          'status',
          'timing',
          'thread_id',
          'execution_time',
          'adapter_response',
          'message',
          'failures',
          'unique_id',
          'compiled',
          'compiled_code',
          'relation_name',
        ],
      ),
    ),
    elapsed_time: { ...number, minimum: 0 },
    args: mapping,
  },
  // dbt's, then kiln's: the arguments `kiln retry` repeats.
  ['metadata', 'results', 'elapsed_time', 'args'],
);

// ---------------------------------------------------------------- sources.json

const freshnessRuntimeError = allRequired({
  unique_id: string,
  error: { type: ['string', 'integer', 'null'] },
  status: { const: 'runtime error' },
});
const freshnessOutput = allRequired({
  unique_id: string,
  max_loaded_at: string,
  snapshotted_at: string,
  max_loaded_at_time_ago_in_s: number,
  status: { enum: ['pass', 'warn', 'error', 'runtime error'] },
  criteria: freshnessThreshold,
  adapter_response: mapping,
  timing: listOf(timingInfo),
  thread_id: string,
  execution_time: number,
});

export const sourcesSchema = closed(
  {
    metadata: artifactMetadata('https://schemas.getdbt.com/dbt/sources/v3.json', []),
    results: listOf({ anyOf: [freshnessRuntimeError, freshnessOutput] }),
    elapsed_time: number,
  },
  ['metadata', 'results', 'elapsed_time'],
);

// ---------------------------------------------------------------- catalog.json

const catalogTable = closed(
  {
    metadata: closed(
      {
        type: string,
        schema: string,
        name: string,
        database: nullableString,
        comment: nullableString,
        owner: nullableString,
      },
      ['type', 'schema', 'name'],
    ),
    columns: mapOf(
      closed({ type: string, index: { type: 'integer' }, name: string, comment: nullableString }, [
        'type',
        'index',
        'name',
      ]),
    ),
    stats: mapOf(
      closed(
        {
          id: string,
          label: string,
          value: { type: ['boolean', 'string', 'number', 'null'] },
          include: boolean,
          description: nullableString,
        },
        ['id', 'label', 'value', 'include'],
      ),
    ),
    unique_id: nullableString,
  },
  ['metadata', 'columns', 'stats'],
);

export const catalogSchema = closed(
  {
    metadata: artifactMetadata('https://schemas.getdbt.com/dbt/catalog/v1.json', []),
    nodes: mapOf(catalogTable),
    sources: mapOf(catalogTable),
    errors: nullable(stringList),
    _compile_results: anyValue,
  },
  ['metadata', 'nodes', 'sources'],
);

/** perf_info.json (`kiln parse --write-perf-info`): dbt's ManifestLoaderInfo, which dbt publishes no schema of. */
const seconds = { type: 'number', minimum: 0 };
const count = { type: 'integer', minimum: 0 };
export const perfInfoSchema = allRequired({
  path_count: count,
  parsed_path_count: count,
  static_analysis_path_count: count,
  static_analysis_parsed_path_count: count,
  is_partial_parse_enabled: boolean,
  is_static_analysis_enabled: boolean,
  read_files_elapsed: seconds,
  load_macros_elapsed: seconds,
  parse_project_elapsed: seconds,
  patch_sources_elapsed: seconds,
  process_manifest_elapsed: seconds,
  load_all_elapsed: seconds,
  projects: listOf(
    allRequired({
      project_name: string,
      elapsed: seconds,
      parsers: listOf(allRequired({ parser: string, elapsed: seconds, parsed_path_count: count })),
      parsed_path_count: count,
    }),
  ),
});
