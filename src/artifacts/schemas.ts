/** JSON Schemas of kiln's artifacts: what tools may rely on. Tests validate every artifact against these. */
const timing = { type: 'object', required: ['name', 'started_at', 'completed_at'], properties: { name: { enum: ['compile', 'execute'] }, started_at: { type: 'string' }, completed_at: { type: 'string' } } };

export const runResultsSchema = {
  type: 'object',
  required: ['metadata', 'results', 'elapsed_time', 'args'],
  properties: {
    metadata: { type: 'object', required: ['dbt_schema_version', 'generated_at', 'invocation_id'] },
    elapsed_time: { type: 'number', minimum: 0 },
    args: { type: 'object' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['unique_id', 'status', 'timing', 'thread_id', 'execution_time', 'adapter_response', 'message', 'failures'],
        properties: {
          unique_id: { type: 'string', pattern: '^(model|seed|test|snapshot|analysis|operation|unit_test)\\.' },
          status: { enum: ['success', 'error', 'skipped', 'pass', 'fail', 'warn', 'cancelled'] },
          timing: { type: 'array', items: timing },
          thread_id: { type: 'string' },
          execution_time: { type: 'number', minimum: 0 },
          adapter_response: { type: 'object' },
          message: { type: ['string', 'null'] },
          failures: { type: ['integer', 'null'] },
          compiled: { type: 'boolean' },
          compiled_code: { type: ['string', 'null'] },
          relation_name: { type: ['string', 'null'] },
          attempts: { type: 'integer', minimum: 1 },
        },
      },
    },
  },
} as const;

const node = {
  type: 'object',
  required: ['unique_id', 'resource_type', 'name', 'package_name', 'path', 'original_file_path', 'fqn', 'schema', 'alias', 'config', 'depends_on', 'raw_code', 'columns', 'tags', 'checksum'],
  properties: {
    unique_id: { type: 'string' },
    resource_type: { enum: ['model', 'seed', 'test', 'snapshot', 'analysis', 'operation'] },
    fqn: { type: 'array', items: { type: 'string' }, minItems: 1 },
    depends_on: { type: 'object', required: ['nodes', 'macros'], properties: { nodes: { type: 'array', items: { type: 'string' } }, macros: { type: 'array', items: { type: 'string' } } } },
    config: { type: 'object', required: ['enabled'] },
    columns: { type: 'object' },
    tags: { type: 'array', items: { type: 'string' } },
    compiled_code: { type: 'string' },
    test_metadata: { type: 'object', required: ['name', 'kwargs'] },
  },
};

export const manifestSchema = {
  type: 'object',
  required: ['metadata', 'nodes', 'sources', 'macros', 'docs', 'exposures', 'parent_map', 'child_map'],
  properties: {
    metadata: { type: 'object', required: ['dbt_schema_version', 'generated_at', 'invocation_id', 'project_name', 'adapter_type'] },
    nodes: { type: 'object', additionalProperties: node },
    sources: {
      type: 'object',
      additionalProperties: { type: 'object', required: ['unique_id', 'source_name', 'name', 'schema', 'identifier', 'relation_name', 'fqn'] },
    },
    macros: { type: 'object', additionalProperties: { type: 'object', required: ['unique_id', 'name', 'package_name', 'macro_sql'] } },
    docs: { type: 'object' },
    parent_map: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    child_map: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  },
} as const;
