/**
 * The state of one project map: the cluster tree of a selection, which clusters are open
 * (and in what order the reader opened them), failures and depth per cluster, and the
 * graph and columns to draw at the current level. No DOM: the lineage view draws it.
 */
import { assignLayers } from './layout.js';
import {
  buildClusterTree,
  type ClusterTree,
  clustersAbove,
  initialExpansion,
  type MapGraph,
  mapGraph,
  type Unit,
  unitCluster,
} from './clusters.js';
import { type Db, displayName, folderPath, shownStatus, statusClass } from './db.js';

/** How many boxes the first map shows, at most. */
const FIRST_MAP_BOXES = 24;
/** Opening a group closes the groups opened longest ago until the map is back under this many boxes. */
const MAX_BOXES = 300;

export type GroupBy = 'folder' | 'group';

export class ProjectMap {
  readonly tree: ClusterTree;
  /** Failed nodes (or nodes whose tests failed) in each cluster. */
  readonly failed: Int32Array;
  private readonly open = new Set<number>();
  /** Clusters the reader opened, oldest first. */
  private opened: number[] = [];
  /** Mean depth in the whole graph of each cluster's members: what orders the map left to right. */
  private readonly depth: Float64Array;

  constructor(
    private readonly db: Db,
    selected: Set<number>,
    groupBy: GroupBy,
    focus: number | undefined,
  ) {
    const nodes = db.nodes;
    const pathOf =
      groupBy === 'group'
        ? (i: number) => [String(nodes[i]!.config?.group ?? 'no group')]
        : (i: number) => folderPath(nodes[i]!);
    this.tree = buildClusterTree(selected, pathOf, (i) => displayName(nodes[i]!));
    this.failed = new Int32Array(this.tree.parent.length);
    this.depth = new Float64Array(this.tree.parent.length);
    const nodeDepth = graphDepth(db);
    for (const i of selected) {
      const bad = statusClass(shownStatus(db, i)) === 'bad';
      for (const c of clustersAbove(this.tree, i)) {
        if (bad) this.failed[c]!++;
        this.depth[c]! += nodeDepth[i]! / this.tree.size[c]!;
      }
    }
    for (const c of initialExpansion(this.tree, FIRST_MAP_BOXES)) this.open.add(c);
    if (focus !== undefined && selected.has(focus)) for (const c of clustersAbove(this.tree, focus)) this.open.add(c);
  }

  /** Clusters the reader opened, oldest first. */
  get openedByReader(): readonly number[] {
    return this.opened;
  }

  openCluster(c: number): void {
    this.open.add(c);
    this.opened.push(c);
  }

  /** Close cluster c and every cluster opened inside it. */
  closeCluster(c: number): void {
    for (const q of [...this.open]) if (this.contains(c, q)) this.open.delete(q);
    this.opened = this.opened.filter((q) => !this.contains(c, q));
  }

  /** Is cluster x inside cluster c (or c itself)? */
  contains(c: number, x: number): boolean {
    for (let q = x; q > 0; q = this.tree.parent[q]!) if (q === c) return true;
    return false;
  }

  /** Does unit u (a node or a cluster) lie inside cluster c? */
  holds(c: number, u: Unit): boolean {
    return this.contains(c, u < 0 ? unitCluster(u) : this.tree.home.get(u)!);
  }

  /** The graph at the current level, closing the groups opened longest ago while it has too many boxes. */
  graph(): MapGraph {
    let g = mapGraph(this.tree, this.open, this.db.gParents);
    const latest = this.opened[this.opened.length - 1];
    while (g.units.length > MAX_BOXES && latest !== undefined) {
      const oldest = this.opened.find((q) => !this.contains(q, latest));
      if (oldest === undefined) break;
      this.closeCluster(oldest);
      g = mapGraph(this.tree, this.open, this.db.gParents);
    }
    return g;
  }

  /**
   * Columns of the map. Folders depend on each other both ways, so a layering of the
   * cluster graph would be a long chain; instead boxes go left to right by the mean depth
   * of what they hold, in about as many columns as fill a wide screen.
   */
  columns(units: Unit[]): number[] {
    const nodeDepth = graphDepth(this.db);
    const key = units.map((u) => (u < 0 ? this.depth[unitCluster(u)]! : nodeDepth[u]!));
    const order = units.map((_u, k) => k).sort((a, b) => key[a]! - key[b]! || a - b);
    const cols = Math.max(1, Math.round(Math.sqrt(units.length * 0.35)));
    const per = Math.ceil(units.length / cols);
    const layers = new Array<number>(units.length);
    order.forEach((k, rank) => {
      layers[k] = Math.floor(rank / per);
    });
    return layers;
  }
}

const depthCache = new WeakMap<Db, number[]>();

/** Each node's layer in the whole lineage graph (sources left), computed once. */
function graphDepth(db: Db): number[] {
  let d = depthCache.get(db);
  if (!d) {
    d = assignLayers(db.nodes.length, db.gParents, db.gChildren);
    depthCache.set(db, d);
  }
  return d;
}
