/**
 * The impact of a change: the current project against another run's artifacts (production's
 * manifest.json and column_lineage.json), per modified model and per column: breaking,
 * non-breaking or metadata-only, with what downstream reads each changed column.
 * A pure function of its inputs; reading and writing files is the caller's.
 */
import type { Manifest } from '../parse/nodes.js';
import type { PreviousRun } from '../state/artifacts.js';
import { same } from '../state/compare.js';
import type { ColumnLineage } from './types.js';
import { downstreamOf, type ReachedColumn } from './walk.js';

/**
 * - `removed`, `renamed` (same expression, new name), `retyped` (declared data_type),
 *   `expression_changed`: breaking when something downstream reads the column;
 * - `added`: never breaking;
 * - `metadata`: description, meta, tags or tests in properties YAML only.
 */
export type ColumnChangeKind = 'removed' | 'renamed' | 'retyped' | 'expression_changed' | 'added' | 'metadata';

export type ModelChange = 'breaking' | 'non-breaking' | 'metadata-only';

export interface ColumnChange {
  column: string;
  change: ColumnChangeKind;
  /** For `renamed`: the name in the state. */
  from?: string;
  breaking: boolean;
  /** Downstream columns and tests that read the column (in the state or now). */
  readBy: ReachedColumn[];
}

export interface ModelImpact {
  node: string;
  name: string;
  file: string;
  change: ModelChange;
  /** True for a model the state does not have. */
  isNew: boolean;
  /** The SQL changed but no output column did (rows may differ). */
  sqlChanged: boolean;
  columns: ColumnChange[];
  /** What the model's breaking changes reach. */
  affected: {
    models: string[];
    columns: Array<{ node: string; column: string }>;
    tests: string[];
    exposures: string[];
  };
}

export interface Impact {
  models: ModelImpact[];
  /** Unique ids a breaking change reaches: the changed models, their affected downstream models and tests. */
  breakingReach: string[];
}

export interface ImpactInput {
  manifest: Manifest;
  lineage: ColumnLineage;
  state: PreviousRun;
  stateLineage: ColumnLineage;
}

const breakingKinds = new Set<ColumnChangeKind>(['removed', 'renamed', 'retyped', 'expression_changed']);

export function computeImpact(input: ImpactInput): Impact {
  const models: ModelImpact[] = [];
  for (const [id, entry] of Object.entries(input.lineage.nodes)) {
    const node = input.manifest.nodes.get(id);
    if (!node || !['model', 'snapshot', 'seed'].includes(node.resourceType)) continue;
    const before = input.state.nodes[id];
    const impact = before
      ? modifiedModel(input, id)
      : newModel(
          id,
          entry.columns.map((c) => c.name),
        );
    if (impact) models.push(impact);
  }
  const reach = new Set<string>();
  for (const m of models) {
    if (m.change !== 'breaking') continue;
    reach.add(m.node);
    for (const id of m.affected.models) reach.add(id);
    for (const id of m.affected.tests) reach.add(id);
  }
  return { models, breakingReach: [...reach] };

  function newModel(id: string, columns: string[]): ModelImpact {
    const node = input.manifest.nodes.get(id)!;
    return {
      node: id,
      name: node.name,
      file: node.originalFilePath,
      change: 'non-breaking',
      isNew: true,
      sqlChanged: true,
      columns: columns.map((column) => ({ column, change: 'added', breaking: false, readBy: [] })),
      affected: { models: [], columns: [], tests: [], exposures: [] },
    };
  }
}

function modifiedModel(input: ImpactInput, id: string): ModelImpact | undefined {
  const node = input.manifest.nodes.get(id)!;
  const before = input.state.nodes[id]!;
  const now = input.lineage.nodes[id]!;
  const then = input.stateLineage.nodes[id];
  const sqlChanged = checksumOf(before) !== node.checksum;
  const declaredNow = lowerKeys(node.columns as unknown as Record<string, Record<string, unknown>>);
  const declaredThen = lowerKeys((before.columns ?? {}) as Record<string, Record<string, unknown>>);
  const metadataChanged =
    !same(before.description ?? '', node.description) ||
    !same(before.meta ?? {}, node.meta) ||
    !same(before.tags ?? [], node.tags) ||
    !same(declaredThen, declaredNow);
  if (!sqlChanged && !metadataChanged) return undefined;

  // With its SQL unchanged, a model's columns change only through a parent's `select *`, which
  // the parent's own impact reports (its readers include this model's columns).
  const nowColumns = new Map(now.columns.map((c) => [c.name, c]));
  const thenColumns = sqlChanged ? new Map((then?.columns ?? []).map((c) => [c.name, c])) : nowColumns;
  const changes: Array<Omit<ColumnChange, 'breaking' | 'readBy'>> = [];
  const removed = [...thenColumns.keys()].filter((c) => !nowColumns.has(c));
  const added = [...nowColumns.keys()].filter((c) => !thenColumns.has(c));
  // A removed and an added column with the same expression are one renamed column.
  for (const name of added) {
    const fingerprint = nowColumns.get(name)!.fingerprint;
    const old = fingerprint ? removed.find((r) => thenColumns.get(r)!.fingerprint === fingerprint) : undefined;
    if (old) {
      removed.splice(removed.indexOf(old), 1);
      changes.push({ column: name, change: 'renamed', from: old });
    } else changes.push({ column: name, change: 'added' });
  }
  for (const name of removed) changes.push({ column: name, change: 'removed' });
  for (const [name, c] of nowColumns) {
    const old = thenColumns.get(name);
    if (!old) continue;
    const typeThen = declaredThen[name]?.data_type;
    const typeNow = declaredNow[name]?.data_type;
    if (
      typeThen !== undefined &&
      typeNow !== undefined &&
      String(typeThen).toLowerCase() !== String(typeNow).toLowerCase()
    )
      changes.push({ column: name, change: 'retyped' });
    else if (sqlChanged && old.fingerprint && c.fingerprint && old.fingerprint !== c.fingerprint)
      changes.push({ column: name, change: 'expression_changed' });
    else if (!same(declaredThen[name] ?? {}, declaredNow[name] ?? {}))
      changes.push({ column: name, change: 'metadata' });
  }

  const columns: ColumnChange[] = changes.map((c) => {
    if (!breakingKinds.has(c.change)) return { ...c, breaking: false, readBy: [] };
    const readBy = readersOf(input, id, c.from ?? c.column);
    return { ...c, breaking: readBy.length > 0, readBy };
  });
  const breaking = columns.filter((c) => c.breaking);
  const change: ModelChange =
    breaking.length > 0
      ? 'breaking'
      : sqlChanged || columns.some((c) => c.change !== 'metadata')
        ? 'non-breaking'
        : 'metadata-only';
  return {
    node: id,
    name: node.name,
    file: node.originalFilePath,
    change,
    isNew: false,
    sqlChanged,
    columns,
    affected: affectedBy(input, id, breaking),
  };
}

/** What reads a column in production's lineage (still in the project) or in the current one. */
function readersOf(input: ImpactInput, node: string, column: string): ReachedColumn[] {
  const out = new Map<string, ReachedColumn>();
  for (const r of downstreamOf(input.stateLineage, node, column)) {
    if (input.manifest.nodes.has(r.node)) out.set(`${r.node}.${r.column}`, r);
  }
  for (const r of downstreamOf(input.lineage, node, column)) out.set(`${r.node}.${r.column}`, r);
  return [...out.values()];
}

function affectedBy(input: ImpactInput, id: string, breaking: ColumnChange[]): ModelImpact['affected'] {
  const models = new Set<string>();
  const columns = new Map<string, { node: string; column: string }>();
  const tests = new Set<string>();
  for (const c of breaking) {
    for (const r of c.readBy) {
      if (r.column === null) tests.add(r.node);
      else {
        models.add(r.node);
        columns.set(`${r.node}.${r.column}`, { node: r.node, column: r.column });
      }
    }
  }
  const exposures = new Set<string>();
  if (breaking.length > 0) {
    const reached = new Set([id, ...models]);
    for (const e of input.manifest.exposures?.values() ?? [])
      if (e.dependsOn.nodes.some((n) => reached.has(n))) exposures.add(e.uniqueId);
  }
  return { models: [...models], columns: [...columns.values()], tests: [...tests], exposures: [...exposures] };
}

function checksumOf(node: Record<string, unknown>): unknown {
  const c = node.checksum as { checksum?: string } | string | undefined;
  return typeof c === 'object' ? c?.checksum : c;
}

function lowerKeys(columns: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, c] of Object.entries(columns)) {
    const { description, data_type, meta, tags } = c;
    out[name.toLowerCase()] = {
      description: description ?? '',
      data_type: data_type ?? undefined,
      meta: meta ?? {},
      tags: tags ?? [],
    };
  }
  return out;
}
