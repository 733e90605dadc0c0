/**
 * dbt's node selection: `--select` values are a union, `--exclude` is subtracted last, a
 * YAML selector (selectors.yml) may stand in for both, and tests come along with the nodes
 * they test (indirect selection). The grammar is in selection/spec.ts, the methods in
 * selection/methods.ts and the set algebra in selection/evaluate.ts.
 */
import type { Manifest } from '../parse/nodes.js';
import type { Dag } from './dag.js';
import { parseExpression, union, type IndirectSelection, type SelectionSpec } from './selection/spec.js';
import { evaluate } from './selection/evaluate.js';
import type { AnyNode, StateView } from './selection/methods.js';
import type { SourceStatus } from './selection/source-status.js';
import type { ImpactStatus } from './selection/impact-status.js';

export { parseToken, parseExpression, type SelectorToken, type IndirectSelection, type SelectionSpec } from './selection/spec.js';
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
  sourceStatus?: SourceStatus;
  /** This project's target/impact.json, for `impact:`. */
  impact?: ImpactStatus;
}

export interface Selection {
  /** Selected node ids (nodes, sources and exposures), in topological order. */
  ids: string[];
  /** Selector words that matched nothing, for a warning. */
  unmatched: string[];
}

/** The spec for --select/--exclude (or a YAML selector). */
export function selectionSpec(opts: SelectOptions): SelectionSpec {
  let spec: SelectionSpec;
  if (opts.select?.length) spec = union(opts.select.map((e) => parseExpression(e, { flag: '--select' })));
  else spec = opts.selector ?? { kind: 'everything' };
  if (opts.exclude?.length) spec = { kind: 'difference', include: spec, exclude: union(opts.exclude.map((e) => parseExpression(e, { flag: '--exclude' }, false))) };
  return spec;
}

export function selectNodes(manifest: Manifest, dag: Dag, opts: SelectOptions): Selection {
  const all: AnyNode[] = [...manifest.nodes.values(), ...manifest.sources.values(), ...(manifest.exposures?.values() ?? [])];
  const unmatched: string[] = [];
  const spec = selectionSpec(opts);
  const { direct } = evaluate(spec, { manifest, dag, all, state: opts.state, sourceStatus: opts.sourceStatus, impact: opts.impact, selectors: opts.selectors, indirect: opts.indirectSelection ?? 'eager', unmatched });
  if (!opts.select?.length && opts.selector && opts.selectorName && direct.size === 0) unmatched.push(`selector:${opts.selectorName}`);
  const types = opts.resourceTypes && opts.resourceTypes.length ? new Set(opts.resourceTypes) : undefined;
  const ids = dag.order.filter((id) => {
    if (!direct.has(id)) return false;
    const node = manifest.nodes.get(id) ?? manifest.sources.get(id) ?? manifest.exposures?.get(id);
    return node !== undefined && (!types || types.has(node.resourceType));
  });
  return { ids, unmatched };
}
