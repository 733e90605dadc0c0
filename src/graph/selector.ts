/**
 * dbt's node selection: `--select` values are a union, `--exclude` is subtracted last, a
 * YAML selector (selectors.yml) may stand in for both, and tests come along with the nodes
 * they test (indirect selection). The grammar is in selection/spec.ts, the methods in
 * selection/methods.ts and the set algebra in selection/evaluate.ts. This module and those
 * are pure: the docs site's selection box (docs-site/src/selection-graph.ts) runs `select`
 * on its own data, so the CLI and the browser cannot disagree.
 */
import type { Manifest } from '../parse/nodes.js';
import type { Dag } from './dag.js';
import { parseExpression, union, type IndirectSelection, type SelectionSpec } from './selection/spec.js';
import { evaluate, type SelectableGraph } from './selection/evaluate.js';
import type { ImpactView, SelectableNode, SourceStatusView, StateView } from './selection/methods.js';

export {
  parseToken,
  parseExpression,
  type SelectorToken,
  type IndirectSelection,
  type SelectionSpec,
} from './selection/spec.js';
export type { StateView } from './selection/methods.js';

export interface SelectOptions {
  select?: string[];
  exclude?: string[];
  /** A YAML selector's definition, used instead of select/exclude (`--selector`, or the default selector). */
  selector?: SelectionSpec;
  /** The name of `selector`, for the warning when it selects nothing. */
  selectorName?: string;
  /** All named selectors, for the `selector:` method. */
  selectors?: Map<string, SelectionSpec>;
  resourceTypes?: string[];
  indirectSelection?: IndirectSelection;
  /** Another run's artifacts, for `state:` and `result:`. */
  state?: StateView;
  /** This run's and the --state run's sources.json, for `source_status:`. */
  sourceStatus?: SourceStatusView;
  /** This project's target/impact.json, for `impact:`. */
  impact?: ImpactView;
}

export interface Selection {
  /** Selected node ids (nodes, sources and exposures), in the graph's order. */
  ids: string[];
  /** Selector words that matched nothing, for a warning. */
  unmatched: string[];
}

/** The spec for --select/--exclude (or a YAML selector). */
export function selectionSpec(opts: SelectOptions): SelectionSpec {
  let spec: SelectionSpec;
  if (opts.select?.length) spec = union(opts.select.map((e) => parseExpression(e, { flag: '--select' })));
  else spec = opts.selector ?? { kind: 'everything' };
  if (opts.exclude?.length)
    spec = {
      kind: 'difference',
      include: spec,
      exclude: union(opts.exclude.map((e) => parseExpression(e, { flag: '--exclude' }, false))),
    };
  return spec;
}

/** The selection on any graph: the CLI's manifest, or the docs site's data. */
export function select(graph: SelectableGraph, projectName: string, opts: SelectOptions): Selection {
  const unmatched: string[] = [];
  const { direct } = evaluate(selectionSpec(opts), {
    graph,
    projectName,
    state: opts.state,
    sourceStatus: opts.sourceStatus,
    impact: opts.impact,
    selectors: opts.selectors,
    indirect: opts.indirectSelection ?? 'eager',
    unmatched,
  });
  if (!opts.select?.length && opts.selector && opts.selectorName && direct.size === 0)
    unmatched.push(`selector:${opts.selectorName}`);
  const types = opts.resourceTypes && opts.resourceTypes.length ? new Set(opts.resourceTypes) : undefined;
  const ids = graph.nodes
    .filter((n) => direct.has(n.uniqueId) && (!types || types.has(n.resourceType)))
    .map((n) => n.uniqueId);
  return { ids, unmatched };
}

/** The selection on a parsed project, ids in topological order. */
export function selectNodes(manifest: Manifest, dag: Dag, opts: SelectOptions): Selection {
  return select(manifestGraph(manifest, dag), manifest.projectName, opts);
}

function manifestGraph(manifest: Manifest, dag: Dag): SelectableGraph {
  const node = (id: string): SelectableNode | undefined =>
    manifest.nodes.get(id) ?? manifest.sources.get(id) ?? manifest.exposures?.get(id);
  const nodes: SelectableNode[] = [];
  for (const id of dag.order) {
    const n = node(id);
    if (n) nodes.push(n);
  }
  return { nodes, node, parents: (id) => dag.parents(id), children: (id) => dag.children(id) };
}
