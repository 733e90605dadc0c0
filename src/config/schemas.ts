/**
 * JSON Schemas for the YAML files kiln reads. Structural keys are strict (a typo is an
 * error with a line number); config values stay open, because configs are an open set
 * that adapters and packages extend.
 */
const stringList = { type: 'array', items: { type: 'string' } } as const;
const stringOrList = { anyOf: [{ type: 'string' }, stringList] } as const;
const anyObject = { type: 'object' } as const;

export const projectSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    version: { type: ['string', 'number'] },
    'config-version': { type: 'integer' },
    profile: { type: 'string' },
    'model-paths': stringList,
    'seed-paths': stringList,
    'test-paths': stringList,
    'macro-paths': stringList,
    'snapshot-paths': stringList,
    'analysis-paths': stringList,
    'docs-paths': stringList,
    'asset-paths': stringList,
    'target-path': { type: 'string' },
    'log-path': { type: 'string' },
    'packages-install-path': { type: 'string' },
    'clean-targets': stringList,
    'require-dbt-version': stringOrList,
    vars: anyObject,
    models: anyObject,
    seeds: anyObject,
    snapshots: anyObject,
    sources: anyObject,
    data_tests: anyObject,
    tests: anyObject,
    analyses: anyObject,
    exposures: anyObject,
    unit_tests: anyObject,
    metrics: anyObject,
    semantic_models: anyObject,
    saved_queries: anyObject,
    'on-run-start': stringOrList,
    'on-run-end': stringOrList,
    dispatch: { type: 'array' },
    quoting: anyObject,
    'query-comment': {},
    flags: anyObject,
    restrict_access: { type: 'boolean' },
    notifications: {},
    concurrency_groups: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } },
    // dbt Cloud's project settings: kiln ignores them.
    'dbt-cloud': {},
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
    freshness: { type: ['object', 'null'] },
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
    freshness: { type: ['object', 'null'] },
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
  properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_]+$' }, owner, description: { type: 'string' }, config: anyObject },
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
