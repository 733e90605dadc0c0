/**
 * Walking column lineage across the DAG: every column upstream of a column (where does this
 * number come from?) and every column and test downstream of it (what reads it?). Pure
 * functions of a ColumnLineage.
 */
import { KilnError } from '../errors.js';
import { composeKinds, strongerKind, type ColumnLineage, type EdgeKind } from './types.js';

export interface ReachedColumn {
  node: string;
  /** The column; null for a test, which reads columns but has none. */
  column: string | null;
  /** The kind of the whole path: `filter` if any step only filtered, else its strongest change. */
  kind: EdgeKind | 'test';
}

const columnKey = (node: string, column: string) => `${node}\u0000${column}`;

/** The columns `node.column` is computed from, nearest first. */
export function upstreamOf(lineage: ColumnLineage, node: string, column: string): ReachedColumn[] {
  const found = new Map<string, ReachedColumn>();
  let frontier: Array<{ node: string; column: string; kind: EdgeKind }> = [{ node, column, kind: 'copied' }];
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const at of frontier) {
      const entry = lineage.nodes[at.node]?.columns.find((c) => c.name === at.column);
      for (const edge of entry?.upstream ?? []) {
        const kind = composeKinds(at.kind, edge.kind);
        if (visit(found, edge.node, edge.column, kind)) next.push({ node: edge.node, column: edge.column, kind });
      }
    }
    frontier = next;
  }
  return [...found.values()];
}

/** The columns computed from `node.column`, and the tests that read it or them, nearest first. */
export function downstreamOf(lineage: ColumnLineage, node: string, column: string): ReachedColumn[] {
  const readers = readersIndex(lineage);
  const found = new Map<string, ReachedColumn>();
  let frontier: Array<{ node: string; column: string; kind: EdgeKind }> = [{ node, column, kind: 'copied' }];
  const tests = new Map<string, ReachedColumn>();
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const at of frontier) {
      for (const test of readers.tests.get(columnKey(at.node, at.column)) ?? [])
        tests.set(test, { node: test, column: null, kind: 'test' });
      for (const reader of readers.columns.get(columnKey(at.node, at.column)) ?? []) {
        const kind = composeKinds(reader.kind, at.kind);
        if (visit(found, reader.node, reader.column, kind))
          next.push({ node: reader.node, column: reader.column, kind });
      }
    }
    frontier = next;
  }
  return [...found.values(), ...tests.values()];
}

/** Records a reached column; true when it is new or its kind got stronger (so it is walked again). */
function visit(found: Map<string, ReachedColumn>, node: string, column: string, kind: EdgeKind): boolean {
  const k = columnKey(node, column);
  const seen = found.get(k);
  if (!seen) {
    found.set(k, { node, column, kind });
    return true;
  }
  const stronger = strongerKind(seen.kind as EdgeKind, kind);
  if (stronger === seen.kind) return false;
  seen.kind = stronger;
  return true;
}

export interface ReadersIndex {
  columns: Map<string, Array<{ node: string; column: string; kind: EdgeKind }>>;
  tests: Map<string, string[]>;
}

const readersCache = new WeakMap<ColumnLineage, ReadersIndex>();

/** For each column, the columns and tests that read it directly. */
export function readersIndex(lineage: ColumnLineage): ReadersIndex {
  const cached = readersCache.get(lineage);
  if (cached) return cached;
  const index: ReadersIndex = { columns: new Map(), tests: new Map() };
  for (const [id, n] of Object.entries(lineage.nodes)) {
    for (const c of n.columns) {
      for (const e of c.upstream) {
        const k = columnKey(e.node, e.column);
        const list = index.columns.get(k) ?? [];
        list.push({ node: id, column: c.name, kind: e.kind });
        index.columns.set(k, list);
      }
    }
  }
  for (const [id, t] of Object.entries(lineage.tests)) {
    for (const r of t.reads) {
      const k = columnKey(r.node, r.column);
      const list = index.tests.get(k) ?? [];
      if (!list.includes(id)) list.push(id);
      index.tests.set(k, list);
    }
  }
  readersCache.set(lineage, index);
  return index;
}

/**
 * `MODEL.COLUMN` as a user writes it: a model (seed, snapshot) name, a `source.table` pair or
 * a unique id, then the column after the last dot.
 */
export function resolveColumnArgument(lineage: ColumnLineage, argument: string): { node: string; column: string } {
  const dot = argument.lastIndexOf('.');
  if (dot <= 0 || dot === argument.length - 1) {
    throw new KilnError('selection', `'${argument}' is not MODEL.COLUMN`, {
      hint: 'e.g. kiln lineage fct_orders.order_total',
    });
  }
  const name = argument.slice(0, dot);
  const column = argument.slice(dot + 1).toLowerCase();
  const ids = Object.keys(lineage.nodes);
  const matches = lineage.nodes[name] ? [name] : ids.filter((id) => id.endsWith(`.${name}`) && !id.startsWith('test.'));
  if (matches.length === 0)
    throw new KilnError('selection', `no model, seed, snapshot or source named '${name}'`, {
      hint: 'name it as in ref() (or source_name.table), or give its unique id',
    });
  if (matches.length > 1)
    throw new KilnError('selection', `'${name}' names ${matches.length} nodes: ${matches.join(', ')}`, {
      hint: 'give the unique id',
    });
  const node = matches[0]!;
  const entry = lineage.nodes[node]!;
  if (!entry.columns.some((c) => c.name === column)) {
    const known = entry.columns.map((c) => c.name);
    const why = entry.parsed ? '' : ` (its SQL was not read: ${entry.reason})`;
    throw new KilnError('selection', `${node} has no column '${column}'${why}`, {
      hint: known.length ? `its columns: ${known.join(', ')}` : 'declare its columns in properties YAML',
    });
  }
  return { node, column };
}

export interface DialectCoverage {
  dialect: string;
  parsed: number;
  unparsed: Array<{ node: string; reason: string }>;
}

/** Models and snapshots whose SQL was read, and those that were not with why, per dialect. */
export function lineageCoverage(lineage: ColumnLineage): DialectCoverage[] {
  const byDialect = new Map<string, DialectCoverage>();
  for (const [id, n] of Object.entries(lineage.nodes)) {
    if (!n.dialect) continue;
    const entry = byDialect.get(n.dialect) ?? { dialect: n.dialect, parsed: 0, unparsed: [] };
    if (n.parsed) entry.parsed++;
    else entry.unparsed.push({ node: id, reason: n.reason ?? 'unknown' });
    byDialect.set(n.dialect, entry);
  }
  return [...byDialect.values()];
}
