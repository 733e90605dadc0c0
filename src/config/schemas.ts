/**
 * JSON Schemas for the YAML files kiln reads. Structural keys are strict (a typo is an
 * error with a line number); config values stay open, because configs are an open set
 * that adapters and packages extend.
 */
const stringList = { type: 'array', items: { type: 'string' } } as const;
const stringOrList = { anyOf: [{ type: 'string' }, stringList] } as const;
const anyObject = { type: 'object' } as const;

/**
 * The top-level keys of dbt_project.yml, in the spelling dbt's own JSON Schema uses: the
 * fields of dbt-core's project contract (`core/dbt/contracts/project.py`, `Project`) under
 * their aliases, then kiln's own keys. dbt reads `-` and `_` in these keys alike, so kiln
 * accepts either spelling (`semantic_models`, `data-tests`, ...); any other key is warned
 * about and ignored.
 */
export const dbtProjectKeys = [
  'name',
  'config-version',
  'version',
  'project-root',
  'profile',
  'model-paths',
  'macro-paths',
  'seed-paths',
  'test-paths',
  'analysis-paths',
  'docs-paths',
  'asset-paths',
  'function-paths',
  'snapshot-paths',
  'source-paths',
  'data-paths', // deprecated by dbt for model-paths and seed-paths
  'target-path',
  'log-path',
  'packages-install-path',
  'clean-targets',
  'quoting',
  'on-run-start',
  'on-run-end',
  'require-dbt-version',
  'dispatch',
  'models',
  'seeds',
  'snapshots',
  'analyses',
  'sources',
  'tests',
  'data_tests',
  'unit_tests',
  'metrics',
  'semantic-models',
  'saved-queries',
  'exposures',
  'functions',
  'vars',
  'packages',
  'query-comment',
  'restrict-access',
  'dbt-cloud',
  'flags',
] as const;
export const kilnProjectKeys = ['notifications', 'concurrency_groups'] as const;

const nullable = (s: object) => ({ anyOf: [s, { type: 'null' }] });
// An empty value (`model-paths:`) is null, which dbt reads as "not set".
const pathList = { type: ['array', 'null'], items: { type: 'string' } } as const;
const tree = { type: ['object', 'null'] } as const;

/** Types of the keys of dbt_project.yml (in their `dbtProjectKeys` spelling); unknown keys are checked apart. */
export const projectSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    version: { type: ['string', 'number', 'null'] },
    'config-version': { type: ['integer', 'null'] },
    'project-root': { type: ['string', 'null'] },
    profile: { type: ['string', 'null'] },
    'model-paths': pathList,
    'seed-paths': pathList,
    'test-paths': pathList,
    'macro-paths': pathList,
    'snapshot-paths': pathList,
    'analysis-paths': pathList,
    'docs-paths': pathList,
    'asset-paths': pathList,
    'function-paths': pathList,
    'source-paths': pathList,
    'data-paths': pathList,
    'target-path': { type: ['string', 'null'] },
    'log-path': { type: ['string', 'null'] },
    'packages-install-path': { type: ['string', 'null'] },
    'clean-targets': pathList,
    'require-dbt-version': nullable(stringOrList),
    vars: tree,
    models: tree,
    seeds: tree,
    snapshots: tree,
    sources: tree,
    data_tests: tree,
    tests: tree,
    analyses: tree,
    exposures: tree,
    unit_tests: tree,
    metrics: tree,
    'semantic-models': tree,
    'saved-queries': tree,
    functions: tree,
    packages: { type: ['array', 'null'] },
    'on-run-start': nullable(stringOrList),
    'on-run-end': nullable(stringOrList),
    dispatch: { type: ['array', 'null'] },
    quoting: tree,
    'query-comment': {},
    flags: tree,
    'restrict-access': { type: ['boolean', 'null'] },
    // dbt Cloud's project settings: kiln ignores them.
    'dbt-cloud': tree,
    notifications: {},
    concurrency_groups: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } },
  },
} as const;

export const profilesFileSchema = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: {
      target: { type: 'string' },
      // Values are checked after their Jinja is rendered (threads may be "{{ env_var(...) | as_number }}").
      outputs: { type: 'object', additionalProperties: { type: 'object', required: ['type'] } },
    },
  },
  properties: { config: anyObject },
} as const;

/** A schema with the words an error uses for what it expects ("must be <expects>"). */
const expecting = (expects: string, schema: object) => ({ ...schema, description: expects });
const boolean = expecting('true or false', { type: ['boolean', 'null'] });
const text = expecting('a string', { type: ['string', 'null'] });
const mapping = expecting('a mapping', { type: ['object', 'null'] });
const textOrList = expecting('a string or a list of strings', {
  anyOf: [{ type: 'string' }, stringList, { type: 'null' }],
});
const oneOf = (values: string[]) =>
  expecting(`one of: ${values.join(', ')}`, { anyOf: [{ enum: values }, { type: 'null' }] });

const threshold = {
  type: ['object', 'null'],
  properties: {
    count: expecting('a whole number', { type: ['integer', 'null'], minimum: 0 }),
    period: oneOf(['minute', 'hour', 'day']),
  },
} as const;

/** A source's (or source table's) `freshness:`; `null` switches it off. */
export const freshnessSchema = {
  type: ['object', 'null'],
  properties: { warn_after: threshold, error_after: threshold, filter: text },
} as const;

/**
 * Types of the node configs kiln knows, wherever they are set (dbt_project.yml, a properties
 * file's `config:`, `config()` in a model); keys are normalised (`+` and `-hook` spellings
 * read as `pre_hook`, ...). Keys not listed here take any value. `materialized` and
 * `incremental_strategy` are strings here; their values are checked against what the
 * project defines (custom materializations) when it is parsed.
 */
export const nodeConfigSchema = {
  type: 'object',
  properties: {
    enabled: boolean,
    materialized: text,
    incremental_strategy: text,
    tags: textOrList,
    schema: text,
    alias: text,
    database: text,
    full_refresh: boolean,
    meta: mapping,
    persist_docs: mapping,
    docs: expecting('a mapping such as {show: true}', {
      type: ['object', 'null'],
      properties: { show: { type: 'boolean' }, node_color: { type: 'string' } },
    }),
    contract: expecting('a mapping such as {enforced: true}', {
      type: ['object', 'null'],
      properties: { enforced: { type: 'boolean' }, alias_types: { type: 'boolean' } },
    }),
    grants: mapping,
    column_types: mapping,
    quoting: mapping,
    labels: mapping,
    access: oneOf(['private', 'protected', 'public']),
    group: text,
    on_schema_change: oneOf(['ignore', 'fail', 'append_new_columns', 'sync_all_columns']),
    severity: expecting('one of: error, warn', {
      anyOf: [{ type: 'string', pattern: '^([Ee][Rr][Rr][Oo][Rr]|[Ww][Aa][Rr][Nn])$' }, { type: 'null' }],
    }),
    store_failures: boolean,
    unique_key: textOrList,
    check_cols: textOrList,
    incremental_predicates: textOrList,
    merge_update_columns: textOrList,
    merge_exclude_columns: textOrList,
    quote_columns: boolean,
    transient: boolean,
    copy_grants: boolean,
    audit: boolean,
    unlogged: boolean,
    concurrent_batches: boolean,
    event_time: text,
    batch_size: oneOf(['hour', 'day', 'month', 'year']),
    lookback: expecting('a whole number', { type: ['integer', 'null'], minimum: 0 }),
    limit: expecting('a whole number', { type: ['integer', 'null'], minimum: 0 }),
    retries: expecting('a whole number', { type: ['integer', 'null'], minimum: 0 }),
    where: text,
    freshness: freshnessSchema,
  },
} as const;

/** Arguments of kiln's built-in generic tests whose types matter (`values:` is a list, ...). */
export const builtinTestArgumentSchemas: Record<string, object> = {
  accepted_values: {
    type: 'object',
    properties: { values: expecting('a list, e.g. values: [a, b]', { type: 'array' }), quote: boolean },
  },
  relationships: {
    type: 'object',
    properties: {
      to: expecting("a relation such as ref('customers')", { type: 'string' }),
      field: expecting('a column name', { type: 'string' }),
    },
  },
};

const testEntry = { anyOf: [{ type: 'string' }, { type: 'object', minProperties: 1 }] } as const;
const testList = { type: 'array', items: testEntry } as const;
const column = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    data_type: { type: 'string' },
    meta: anyObject,
    tags: stringOrList,
    quote: { type: 'boolean' },
    data_tests: testList,
    tests: testList,
    constraints: { type: 'array' },
    config: anyObject,
  },
} as const;
const nodeEntry = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    config: anyObject,
    columns: { type: 'array', items: column },
    data_tests: testList,
    tests: testList,
    meta: anyObject,
    tags: stringOrList,
    docs: anyObject,
  },
} as const;
const sourceTable = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    identifier: { type: 'string' },
    description: { type: 'string' },
    columns: { type: 'array', items: column },
    data_tests: testList,
    tests: testList,
    meta: anyObject,
    tags: stringOrList,
    config: anyObject,
    loaded_at_field: { type: 'string' },
    freshness: freshnessSchema,
    quoting: anyObject,
  },
} as const;
const source = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    database: { type: 'string' },
    schema: { type: 'string' },
    loader: { type: 'string' },
    meta: anyObject,
    tags: stringOrList,
    config: anyObject,
    tables: { type: 'array', items: sourceTable },
    freshness: freshnessSchema,
    loaded_at_field: { type: 'string' },
    quoting: anyObject,
    overrides: { type: 'string' },
  },
} as const;

const owner = {
  type: 'object',
  // dbt keeps other owner keys (slack handles, ...) as they are.
  properties: { name: { type: 'string' }, email: { type: 'string' } },
  anyOf: [{ required: ['name'] }, { required: ['email'] }],
} as const;
const exposure = {
  type: 'object',
  required: ['name', 'type', 'owner'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
    label: { type: 'string' },
    type: { enum: ['dashboard', 'notebook', 'analysis', 'ml', 'application'] },
    owner,
    depends_on: stringList,
    description: { type: 'string' },
    url: { type: 'string' },
    maturity: { enum: ['high', 'medium', 'low'] },
    tags: stringOrList,
    meta: anyObject,
    config: { type: 'object', properties: { enabled: { type: 'boolean' }, tags: stringOrList, meta: anyObject } },
  },
} as const;
const group = {
  type: 'object',
  required: ['name', 'owner'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
    owner,
    description: { type: 'string' },
    config: anyObject,
  },
} as const;

export const propertiesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: ['integer', 'string'] },
    models: { type: 'array', items: nodeEntry },
    seeds: { type: 'array', items: nodeEntry },
    snapshots: { type: 'array', items: nodeEntry },
    analyses: { type: 'array', items: nodeEntry },
    macros: { type: 'array', items: { type: 'object', required: ['name'] } },
    sources: { type: 'array', items: source },
    exposures: { type: 'array', items: exposure },
    unit_tests: { type: 'array', items: { type: 'object', required: ['name'] } },
    data_tests: { type: 'array', items: { type: 'object', required: ['name'] } },
    metrics: { type: 'array' },
    semantic_models: { type: 'array' },
    saved_queries: { type: 'array' },
    groups: { type: 'array', items: group },
  },
} as const;
