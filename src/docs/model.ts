/**
 * The data shipped to the documentation site: a compact, denormalised view of
 * manifest.json, catalog.json, run_results.json and sources.json.
 * Shared by the generator (Node) and the browser bundle, so it must stay free of
 * Node and DOM types.
 */

export const SITE_DATA_VERSION = 1;

export interface SiteColumn {
  name: string;
  type?: string;
  desc?: string;
  tags?: string[];
  meta?: Record<string, unknown>;
  /** Column lineage: upstream columns as [node index, column, kind] (see docs/lineage.md). */
  up?: Array<[number, string, string]>;
  /** Foreign keys: from a `relationships` test or a `foreign_key` constraint. */
  fk?: SiteForeignKey[];
}

export interface SiteForeignKey {
  /** The node referenced, when it is in the project. */
  target?: number;
  /** The referenced relation and column as written, e.g. `ref('customers').customer_id`. */
  label: string;
  column?: string;
}

export interface SiteRun {
  status: string;
  time?: number;
  message?: string | null;
  failures?: number | null;
  start?: string;
  end?: string;
  thread?: string;
}

export interface SiteFreshness {
  status: string;
  maxLoadedAt?: string;
  snapshottedAt?: string;
  ageS?: number;
  criteria?: unknown;
  error?: string;
}

export interface SiteNode {
  id: string;
  /** resource type: model, seed, snapshot, test, source, exposure, analysis, macro, metric… */
  type: string;
  name: string;
  pkg: string;
  path?: string;
  fqn?: string[];
  db?: string;
  schema?: string;
  alias?: string;
  rel?: string;
  /** Markdown, with doc() references already resolved. */
  desc?: string;
  cols?: SiteColumn[];
  /** Why column lineage could not read this node's SQL. */
  colLineageGap?: string;
  mat?: string;
  tags?: string[];
  meta?: Record<string, unknown>;
  owner?: string;
  config?: Record<string, unknown>;
  raw?: string;
  compiled?: string;
  lang?: string;
  /** Indices into SiteData.nodes of the nodes this one depends on. */
  parents: number[];
  /** For tests: index of the node the test is attached to, and its column. */
  testOf?: number;
  testCol?: string;
  testName?: string;
  testKw?: Record<string, unknown>;
  severity?: string;
  /** Source specifics. */
  source?: string;
  identifier?: string;
  loader?: string;
  freshness?: unknown;
  /** The source's own description (the table's is `desc`). */
  sourceDesc?: string;
  /** Macro specifics: documented arguments. */
  args?: { name: string; type?: string; desc?: string }[];
  /** Unit test specifics: the model tested, its given inputs and expected rows. */
  unitTest?: {
    given: { input: string; rows?: unknown; format?: string }[];
    expect: { rows?: unknown; format?: string };
  };
  /** Exposure specifics. */
  exposure?: { type?: string; maturity?: string; url?: string; ownerName?: string; ownerEmail?: string };
  /** Catalog (warehouse) facts. */
  cat?: {
    type?: string;
    owner?: string;
    comment?: string;
    stats?: Record<string, { label?: string; value?: unknown; include?: boolean }>;
  };
  run?: SiteRun;
  fresh?: SiteFreshness;
  /** `docs.node_color`: the colour of the node's mark in the lineage. */
  nodeColor?: string;
  /** `docs.show: false`: left out of the tree, lists, search and the map (its page still opens). */
  hidden?: boolean;
}

export interface SiteData {
  v: number;
  project: {
    name: string;
    generatedAt?: string;
    adapter?: string;
    dbtVersion?: string;
    invocationId?: string;
  };
  overview?: string | null;
  /** Other packages' `__overview__` docs blocks, by package name. */
  packageOverviews?: Record<string, string>;
  nodes: SiteNode[];
  run?: {
    generatedAt?: string;
    elapsed?: number;
    invocationId?: string;
    command?: string;
  } | null;
  freshness?: { generatedAt?: string; elapsed?: number } | null;
}

/**
 * A test's fqn as dbt derives it: its package, the folders of its file below the resource
 * folder, its name. The site data leaves out a test's fqn when it is this one (nearly all are).
 */
export function derivedTestFqn(node: Pick<SiteNode, 'pkg' | 'path' | 'name'>): string[] {
  return [node.pkg, ...(node.path ?? '').split('/').slice(1, -1), node.name];
}

/** Resource types drawn in the lineage graph (tests and macros are not). */
export const GRAPH_TYPES: ReadonlySet<string> = new Set([
  'model',
  'seed',
  'snapshot',
  'source',
  'exposure',
  'analysis',
  'metric',
  'semantic_model',
  'saved_query',
]);
