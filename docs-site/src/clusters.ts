/**
 * The project map's data: graph nodes grouped into a tree of clusters (package →
 * folder → …, or group), and the graph seen at a chosen level of that tree, with
 * edges between clusters aggregated and counted.
 * Owns grouping and aggregation only: no layout, no DOM, no Node.
 */

/** A cluster with more direct members than this is split into alphabetical ranges. */
export const CHUNK = 150;

export interface ClusterTree {
  /** Cluster 0 is the root (never drawn); a parent always has a lower index than its children. */
  parent: number[];
  /** What the cluster is called on the map: its path segment(s), or a name range. */
  label: string[];
  /** Full path of the cluster, for titles. */
  path: string[];
  kids: number[][];
  /** Nodes directly in the cluster. */
  leaves: number[][];
  /** Nodes in the cluster and all its descendants. */
  size: number[];
  /** Innermost cluster of each member node (by node index), -1 for non-members. */
  home: Map<number, number>;
}

export interface MapEdge {
  from: number;
  to: number;
  count: number;
}

/** A unit on the map: a node index (>= 0) or a cluster, encoded as -(cluster + 1). */
export type Unit = number;
export const clusterUnit = (c: number): Unit => -(c + 1);
export const unitCluster = (u: Unit): number => (u < 0 ? -u - 1 : -1);

export interface MapGraph {
  units: Unit[];
  /** Edges between positions in `units`. */
  edges: MapEdge[];
}

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
export const naturalCompare = (a: string, b: string): number => natural.compare(a, b);

/**
 * Group `members` by the path `pathOf` gives each (outermost segment first).
 * Chains of single-child folders collapse into one cluster ("models/marts"), and
 * folders too big to draw at once split into ranges of names.
 */
export function buildClusterTree(
  members: Iterable<number>,
  pathOf: (i: number) => string[],
  nameOf: (i: number) => string,
): ClusterTree {
  interface Draft {
    label: string;
    path: string;
    kids: Map<string, Draft>;
    leaves: number[];
  }
  const draft = (label: string, path: string): Draft => ({ label, path, kids: new Map(), leaves: [] });
  const root = draft('', '');
  for (const i of members) {
    let f = root;
    for (const seg of pathOf(i)) {
      let k = f.kids.get(seg);
      if (!k) {
        k = draft(seg, f.path ? `${f.path}/${seg}` : seg);
        f.kids.set(seg, k);
      }
      f = k;
    }
    f.leaves.push(i);
  }
  const tree: ClusterTree = { parent: [], label: [], path: [], kids: [], leaves: [], size: [], home: new Map() };
  const add = (parent: number, label: string, path: string, leaves: number[]): number => {
    const c = tree.parent.length;
    tree.parent.push(parent);
    tree.label.push(label);
    tree.path.push(path);
    tree.kids.push([]);
    tree.leaves.push(leaves);
    tree.size.push(0);
    if (parent >= 0) tree.kids[parent]!.push(c);
    for (const i of leaves) tree.home.set(i, c);
    return c;
  };
  const place = (d: Draft, parent: number, label: string): void => {
    // A folder holding only one folder is drawn as one cluster.
    while (d.leaves.length === 0 && d.kids.size === 1) {
      d = [...d.kids.values()][0]!;
      label = label ? `${label}/${d.label}` : d.label;
    }
    const leaves = d.leaves.length > CHUNK ? [] : d.leaves;
    const c = add(parent, label, d.path, leaves);
    for (const k of [...d.kids.values()].sort((a, b) => naturalCompare(a.label, b.label))) place(k, c, k.label);
    if (d.leaves.length > CHUNK) chunk(d.leaves, c, d.path);
  };
  const chunk = (leaves: number[], parent: number, path: string): void => {
    const sorted = leaves.slice().sort((a, b) => naturalCompare(nameOf(a), nameOf(b)));
    // Ranges of equal size, at most CHUNK names each; nested again when that takes over CHUNK ranges.
    const per = Math.ceil(sorted.length / Math.min(CHUNK, Math.ceil(sorted.length / CHUNK)));
    for (let k = 0; k < sorted.length; k += per) {
      const part = sorted.slice(k, k + per);
      const label = `${nameOf(part[0]!)} … ${nameOf(part[part.length - 1]!)}`;
      const where = path ? `${path} (${label})` : label;
      if (part.length > CHUNK) chunk(part, add(parent, label, where, []), path);
      else add(parent, label, where, part);
    }
  };
  add(-1, '', '', root.leaves.length > CHUNK ? [] : root.leaves);
  for (const k of [...root.kids.values()].sort((a, b) => naturalCompare(a.label, b.label))) place(k, 0, k.label);
  if (root.leaves.length > CHUNK) chunk(root.leaves, 0, '');
  for (let c = tree.parent.length - 1; c >= 0; c--) {
    tree.size[c]! += tree.leaves[c]!.length;
    if (c > 0) tree.size[tree.parent[c]!]! += tree.size[c]!;
  }
  return tree;
}

/** Clusters from the root down to the one holding node i (root excluded). */
export function clustersAbove(tree: ClusterTree, i: number): number[] {
  const out: number[] = [];
  for (let c = tree.home.get(i) ?? -1; c > 0; c = tree.parent[c]!) out.push(c);
  return out.reverse();
}

/**
 * Open clusters breadth-first, biggest first, while the map stays within `budget` units,
 * so the first map says something without being crowded.
 */
export function initialExpansion(tree: ClusterTree, budget: number): Set<number> {
  const open = new Set<number>([0]);
  let units = tree.kids[0]!.length + tree.leaves[0]!.length;
  const queue = tree.kids[0]!.slice().sort((a, b) => tree.size[b]! - tree.size[a]!);
  for (let h = 0; h < queue.length; h++) {
    const c = queue[h]!;
    const grow = tree.kids[c]!.length + tree.leaves[c]!.length - 1;
    if (units + grow > budget) continue;
    open.add(c);
    units += grow;
    queue.push(...tree.kids[c]!.slice().sort((a, b) => tree.size[b]! - tree.size[a]!));
  }
  return open;
}

/**
 * The graph at the level `open` describes: every member is drawn as itself when all its
 * clusters are open, else as its outermost closed cluster. Edges between members become
 * edges between their units, counted; edges inside one unit disappear.
 */
export function mapGraph(
  tree: ClusterTree,
  open: ReadonlySet<number>,
  parents: readonly (readonly number[])[],
): MapGraph {
  // rep[c]: the closed cluster that hides c, or -1 when c is open and visible.
  const n = tree.parent.length;
  const rep = new Int32Array(n).fill(-1);
  const units: Unit[] = [];
  const clusterPos = new Int32Array(n).fill(-1);
  for (let c = 1; c < n; c++) {
    const above = rep[tree.parent[c]!]!;
    if (above >= 0) rep[c] = above;
    else if (!open.has(c)) {
      rep[c] = c;
      clusterPos[c] = units.length;
      units.push(clusterUnit(c));
    }
  }
  for (let c = 0; c < n; c++) if (rep[c] === -1) for (const i of tree.leaves[c]!) units.push(i);
  // Position of each member's unit, by node index (typed arrays: this runs on every map change).
  const unitPos = new Int32Array(parents.length).fill(-1);
  units.forEach((u, k) => {
    if (u >= 0) unitPos[u] = k;
  });
  for (const [i, c] of tree.home) if (rep[c]! >= 0) unitPos[i] = clusterPos[rep[c]!]!;
  const counts = new Map<number, number>();
  const m = units.length;
  for (const [i] of tree.home) {
    const to = unitPos[i]!;
    for (const p of parents[i]!) {
      const from = unitPos[p]!;
      if (from < 0 || from === to) continue;
      const key = from * m + to;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const edges: MapEdge[] = [];
  for (const [key, count] of counts) edges.push({ from: Math.floor(key / m), to: key % m, count });
  return { units, edges };
}
