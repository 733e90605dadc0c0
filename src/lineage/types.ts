/** The shapes of column lineage, shared by the analysis, the artifact, the walker and impact. */

/**
 * How an output column depends on an upstream column:
 * - `copied`: the value is the upstream value, unchanged (possibly renamed);
 * - `transformed`: computed from it row by row (casts, arithmetic, functions, windows);
 * - `aggregated`: computed from it across rows (sum, count, min, ...);
 * - `filter`: it only decides which rows there are (where, join, group by, having, qualify).
 */
export type EdgeKind = 'copied' | 'transformed' | 'aggregated' | 'filter';

export interface ColumnEdge {
  /** Unique id of the upstream node (model, seed, snapshot or source). */
  node: string;
  column: string;
  kind: EdgeKind;
}

export interface ColumnLineageEntry {
  name: string;
  /** Upstream columns of direct parents, one per (node, column). */
  upstream: ColumnEdge[];
  /**
   * Changes when the column's expression changes (through CTEs), not when only its name does; absent for seeds and
   * sources.
   */
  fingerprint?: string;
}

export interface NodeLineage {
  resourceType: string;
  /** Output columns in order; empty when unparsed and nothing else is known. */
  columns: ColumnLineageEntry[];
  /** The dialect the SQL was read in (absent for seeds and sources). */
  dialect?: string;
  parsed: boolean;
  /** Why the SQL could not be read, when `parsed` is false. */
  reason?: string;
  /** Where the columns of an unparsed node came from (YAML, catalog, ...), if anywhere. */
  columnsFrom?: string;
  /**
   * Hash of what the result depends on (compiled SQL, parents' columns, kiln's version): an equal key reuses the entry.
   */
  cacheKey?: string;
}

export interface TestLineage {
  /** The model, seed, snapshot or source the test is attached to. */
  attachedNode?: string;
  /** Columns the test reads. */
  reads: Array<{ node: string; column: string }>;
}

export interface ColumnLineage {
  nodes: Record<string, NodeLineage>;
  tests: Record<string, TestLineage>;
}

/** Rank of the value-carrying kinds: composing two edges keeps the stronger change. */
const rank: Record<Exclude<EdgeKind, 'filter'>, number> = { copied: 0, transformed: 1, aggregated: 2 };

/** The kind of a path made of an edge of kind `outer` over an edge of kind `inner`. */
export function composeKinds(outer: EdgeKind, inner: EdgeKind): EdgeKind {
  if (outer === 'filter' || inner === 'filter') return 'filter';
  return rank[outer] >= rank[inner] ? outer : inner;
}

/** Of two edges to the same column, the one that says more: any value flow beats filter-only. */
export function strongerKind(a: EdgeKind, b: EdgeKind): EdgeKind {
  if (a === 'filter') return b;
  if (b === 'filter') return a;
  return rank[a] >= rank[b] ? a : b;
}

/** Edges merged so each (node, column) appears once, keeping first-seen order. */
export function mergeEdges(...lists: ColumnEdge[][]): ColumnEdge[] {
  if (lists.length === 1 && lists[0]!.length < 2) return lists[0]!;
  // Nested maps rather than string keys: this runs for every clause of every query.
  const byNode = new Map<string, Map<string, number>>();
  const out: ColumnEdge[] = [];
  for (const list of lists) {
    for (const e of list) {
      let columns = byNode.get(e.node);
      if (!columns) byNode.set(e.node, (columns = new Map<string, number>()));
      const at = columns.get(e.column);
      if (at === undefined) {
        columns.set(e.column, out.length);
        out.push(e);
      } else if (out[at]!.kind !== e.kind) {
        out[at] = { ...out[at]!, kind: strongerKind(out[at]!.kind, e.kind) };
      }
    }
  }
  return out;
}
