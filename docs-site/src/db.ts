/** The site data plus the indexes every view needs, built once at start-up. */
import { GRAPH_TYPES, type SiteData, type SiteNode } from '../../src/docs/model.js';
import { SearchIndex } from './search-index.js';
import { type SiteSelection, siteSelection } from './selection-graph.js';

export interface Db {
  data: SiteData;
  nodes: SiteNode[];
  byId: Map<string, number>;
  /** Lineage graph adjacency: graph resource types only (no tests, no macros). */
  gParents: number[][];
  gChildren: number[][];
  /** All dependants, including tests. */
  children: number[][];
  testsOf: number[][];
  /** The selection box's grammar, the CLI's. */
  selection: SiteSelection;
  hasRun: boolean;
  hasFreshness: boolean;
  search: SearchIndex;
}

export function loadDb(data: SiteData): Db {
  const nodes = data.nodes;
  const n = nodes.length;
  const byId = new Map<string, number>();
  const gParents = new Array<number[]>(n);
  const gChildren = new Array<number[]>(n);
  const children = new Array<number[]>(n);
  const testsOf = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    byId.set(nodes[i]!.id, i);
    gParents[i] = [];
    gChildren[i] = [];
    children[i] = [];
    testsOf[i] = [];
  }
  let hasRun = false,
    hasFreshness = false;
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (node.run) hasRun = true;
    if (node.fresh) hasFreshness = true;
    const inGraph = GRAPH_TYPES.has(node.type);
    for (const p of node.parents) {
      children[p]!.push(i);
      if (inGraph && GRAPH_TYPES.has(nodes[p]!.type)) {
        gParents[i]!.push(p);
        gChildren[p]!.push(i);
      }
    }
    if (node.testOf !== undefined) testsOf[node.testOf]!.push(i);
  }
  return {
    data,
    nodes,
    byId,
    gParents,
    gChildren,
    children,
    testsOf,
    selection: siteSelection(nodes, data.project.name),
    hasRun,
    hasFreshness,
    search: new SearchIndex(nodes),
  };
}

/** Tests of a node that failed in the last run. */
export function failingTests(db: Db, i: number): number[] {
  return db.testsOf[i]!.filter((t) => {
    const s = db.nodes[t]!.run?.status;
    return s === 'fail' || s === 'error';
  });
}

/** The status shown for a node: its own run status, else its source freshness. */
export function statusOf(node: SiteNode): string | undefined {
  return node.run?.status ?? node.fresh?.status;
}

/**
 * The status a reader should see for node i: a model that built but whose tests failed
 * (or warned) is not shown as a success.
 */
export function shownStatus(db: Db, i: number): string | undefined {
  const own = statusOf(db.nodes[i]!);
  if (statusClass(own) !== 'ok') return own;
  let warned = false;
  for (const t of db.testsOf[i]!) {
    const c = statusClass(db.nodes[t]!.run?.status);
    if (c === 'bad') return 'test failed';
    if (c === 'warn') warned = true;
  }
  return warned ? 'test warned' : own;
}

export function statusClass(status: string | undefined): string {
  switch (status) {
    case 'success':
    case 'pass':
      return 'ok';
    case 'error':
    case 'fail':
    case 'runtime error':
    case 'test failed':
      return 'bad';
    case 'warn':
    case 'test warned':
      return 'warn';
    case 'skipped':
    case 'cancelled':
      return 'skip';
    default:
      return status ? 'other' : 'none';
  }
}

export function nodeHref(node: SiteNode): string {
  return `#!/${node.type}/${encodeURIComponent(node.id).replace(/%2F/gi, '/')}`;
}

/**
 * Where a node sits in the project: package, then its file's folders; sources under
 * `sources/<source name>`, exposures under `exposures`. The tree and the map share it.
 */
export function folderPath(node: SiteNode): string[] {
  if (node.type === 'source') return [node.pkg, 'sources', node.source ?? 'sources'];
  if (node.type === 'exposure') return [node.pkg, 'exposures'];
  const parts = (node.path ?? `${node.type}s/${node.name}`).replace(/\\/g, '/').split('/');
  parts.pop();
  return [node.pkg, ...parts];
}

export function displayName(node: SiteNode): string {
  return node.type === 'source' && node.source ? `${node.source}.${node.name}` : node.name;
}
