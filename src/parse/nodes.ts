/** The parsed project: every node kiln knows, keyed by dbt-style unique ids. */
export type ResourceType =
  'model' | 'seed' | 'test' | 'snapshot' | 'analysis' | 'source' | 'operation' | 'unit_test' | 'sql_operation';

/** A model hook: its SQL, or `{sql, transaction: false}` to run outside the model's transaction. */
export type Hook = string | { sql: string; transaction: false };

export type NodeConfig = Record<string, unknown> & {
  enabled?: boolean;
  materialized?: string;
  schema?: string | null;
  database?: string | null;
  alias?: string | null;
  tags?: string[];
  meta?: Record<string, unknown>;
  severity?: string;
  error_if?: string;
  warn_if?: string;
  where?: string | null;
  limit?: number | null;
  fail_calc?: string;
  store_failures?: boolean;
  column_types?: Record<string, string>;
  full_refresh?: boolean | null;
  pre_hook?: Hook[];
  post_hook?: Hook[];
  quote_columns?: boolean;
};

export interface ColumnDef {
  name: string;
  description: string;
  data_type?: string;
  meta: Record<string, unknown>;
  tags: string[];
  /** Column constraints (not_null, unique, ...), enforced when the model's contract is. */
  constraints?: ConstraintDef[];
}

/** A column- or model-level constraint as written in properties YAML. */
export interface ConstraintDef {
  type: string;
  name?: string;
  expression?: string;
  /** Model-level constraints name their columns. */
  columns?: string[];
  /** foreign_key: `to: ref('x')` and `to_columns`, or an `expression` naming the table. */
  to?: string;
  to_columns?: string[];
  warn_unenforced?: boolean;
  warn_unsupported?: boolean;
}

export interface RefCall {
  name: string;
  package?: string;
}

export interface NodeLocation {
  file: string;
  line?: number;
}

export interface GraphNode {
  uniqueId: string;
  resourceType: ResourceType;
  name: string;
  packageName: string;
  /** Path relative to its resource folder (models/, seeds/, ...), as dbt's `path`. */
  path: string;
  /** Path relative to the project dir. */
  originalFilePath: string;
  fqn: string[];
  description: string;
  config: NodeConfig;
  tags: string[];
  meta: Record<string, unknown>;
  columns: Record<string, ColumnDef>;
  refs: RefCall[];
  sources: Array<[string, string]>;
  /** Filled by the graph stage: unique ids this node depends on. */
  dependsOn: { nodes: string[]; macros: string[] };
  rawCode: string;
  language: 'sql';
  database?: string;
  schema: string;
  alias: string;
  /** Properties file that described this node, if any. */
  patchPath?: string;
  /** Model-level constraints from properties YAML (enforced with the contract). */
  constraints?: ConstraintDef[];
  checksum: string;
}

export interface TestMetadata {
  name: string;
  namespace?: string;
  kwargs: Record<string, unknown>;
}

export interface TestNode extends GraphNode {
  resourceType: 'test';
  testMetadata?: TestMetadata;
  columnName?: string;
  /** The model (or seed, source) a generic test is attached to. */
  attachedNode?: string;
  /** Where the test was declared, for error messages. */
  declaredAt?: NodeLocation;
}

export interface SourceNode {
  uniqueId: string;
  resourceType: 'source';
  name: string;
  sourceName: string;
  packageName: string;
  path: string;
  originalFilePath: string;
  fqn: string[];
  identifier: string;
  database?: string;
  schema: string;
  description: string;
  sourceDescription: string;
  loader: string;
  columns: Record<string, ColumnDef>;
  meta: Record<string, unknown>;
  tags: string[];
  config: NodeConfig;
  loadedAtField?: string;
  freshness?: unknown;
}

export interface MacroNode {
  uniqueId: string;
  name: string;
  packageName: string;
  path: string;
  originalFilePath: string;
  macroSql: string;
  line: number;
}

export interface DocBlock {
  uniqueId: string;
  name: string;
  packageName: string;
  path: string;
  originalFilePath: string;
  blockContents: string;
}

export interface Manifest {
  projectName: string;
  nodes: Map<string, GraphNode>;
  sources: Map<string, SourceNode>;
  macros: Map<string, MacroNode>;
  docs: Map<string, DocBlock>;
  /** `exposures:` from properties YAML: leaves of the DAG that never run. */
  exposures?: Map<string, ExposureNode>;
  /** `groups:` from properties YAML, by name. */
  groups?: Map<string, GroupDef>;
  /** Warnings raised while parsing (unknown configs, unused paths). */
  warnings: string[];
  /**
   * Nodes switched off with `enabled: false`, kept as dbt keeps them (a disabled seed's CSV still types unit tests).
   */
  disabled?: Map<string, GraphNode>;
}

export function isTest(node: GraphNode): node is TestNode {
  return node.resourceType === 'test';
}

/** What a unit test's `input:` names: a ref, a source, or the model itself (`this`, for incremental runs). */
export type UnitTestInputTarget =
  | { kind: 'ref'; name: string; package?: string }
  | { kind: 'source'; source: string; table: string }
  | { kind: 'this' };

/** Rows of a unit test input or expectation, as written: a list of mappings, CSV text, or SQL. */
export interface UnitTestRows {
  format: 'dict' | 'csv' | 'sql';
  /** dict: a list of mappings; csv and sql: text. Undefined when a fixture file holds them. */
  rows?: unknown;
  /** The name of a file under <test-path>/fixtures/ (csv and sql formats). */
  fixture?: string;
  /** Where the entry is, for error messages. */
  line?: number;
}

export interface UnitTestGiven extends UnitTestRows {
  input: string;
  target: UnitTestInputTarget;
}

export interface UnitTestNode extends GraphNode {
  resourceType: 'unit_test';
  /** The unique id of the model under test. */
  model: string;
  given: UnitTestGiven[];
  expect: UnitTestRows;
  overrides: { macros: Record<string, unknown>; vars: Record<string, unknown>; envVars: Record<string, unknown> };
  declaredAt: NodeLocation;
}

export function isUnitTest(node: GraphNode): node is UnitTestNode {
  return node.resourceType === 'unit_test';
}

export const exposureTypes = ['dashboard', 'notebook', 'analysis', 'ml', 'application'] as const;

/** A downstream use of the project (a dashboard, a notebook, ...): a DAG leaf that never runs. */
export interface ExposureNode {
  uniqueId: string;
  resourceType: 'exposure';
  name: string;
  label?: string;
  type: (typeof exposureTypes)[number];
  owner: { name?: string; email?: string } & Record<string, unknown>;
  packageName: string;
  /** The properties file, relative to its resource folder. */
  path: string;
  originalFilePath: string;
  fqn: string[];
  description: string;
  url?: string;
  maturity?: 'high' | 'medium' | 'low';
  tags: string[];
  meta: Record<string, unknown>;
  config: NodeConfig;
  refs: RefCall[];
  sources: Array<[string, string]>;
  /** `metric('name')` entries: kept for the manifest; kiln parses no metrics, so they are no edges. */
  metrics: string[][];
  dependsOn: { nodes: string[]; macros: string[] };
  declaredAt: NodeLocation;
}

/** A `groups:` entry: a name and an owner that models join with the `group` config. */
export interface GroupDef {
  uniqueId: string;
  name: string;
  packageName: string;
  path: string;
  originalFilePath: string;
  owner: Record<string, unknown>;
}
