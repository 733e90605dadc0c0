/**
 * Evaluating a selection spec on the DAG. As in dbt, every part yields "direct" nodes and
 * "indirect" tests: a test whose parents are only partly selected stays indirect under
 * cautious/buildable selection and joins only if the final set holds all its parents.
 * Pure: it sees the graph only through SelectableGraph.
 */
import { KilnError } from '../../errors.js';
import { matcher, type MethodInputs, type SelectableNode } from './methods.js';
import type { IndirectSelection, SelectionSpec, SelectorToken } from './spec.js';

/** The nodes selection can pick and the edges the graph operators follow. */
export interface SelectableGraph {
  /** Every node, source and exposure, in the order a selection lists them. */
  nodes: readonly SelectableNode[];
  // Plain functions, not methods: evaluation passes them around detached from the graph.
  node: (id: string) => SelectableNode | undefined;
  parents: (id: string) => readonly string[];
  children: (id: string) => readonly string[];
}

export interface EvaluationContext extends MethodInputs {
  graph: SelectableGraph;
  /** Named selectors (selectors.yml), for the `selector:` method. */
  selectors?: Map<string, SelectionSpec>;
  indirect: IndirectSelection;
  /** Texts of parts that selected nothing. */
  unmatched: string[];
}

interface Bundle {
  direct: Set<string>;
  indirect: Set<string>;
}

export function evaluate(spec: SelectionSpec, ctx: EvaluationContext, seen: string[] = []): Bundle {
  switch (spec.kind) {
    case 'everything':
      return { direct: new Set(ctx.graph.nodes.map((n) => n.uniqueId)), indirect: new Set() };
    case 'criteria': {
      const mode = spec.indirect ?? ctx.indirect;
      if (spec.token.method === 'selector') return namedSelector(spec.token, ctx, seen);
      return expandIndirect(collect(spec.token, ctx), mode, ctx);
    }
    case 'union':
    case 'intersection':
    case 'difference': {
      const parts = spec.kind === 'difference' ? [spec.include, spec.exclude] : spec.parts;
      const bundles = parts.map((p) => evaluate(p, ctx, seen));
      const combine = (sets: Set<string>[]) => combineSets(spec.kind, sets);
      const direct = combine(bundles.map((b) => b.direct));
      const indirect = combine(bundles.map((b) => new Set([...b.direct, ...b.indirect])));
      const out = { direct: incorporateIndirect(direct, indirect, spec.indirect ?? ctx.indirect, ctx), indirect };
      if (spec.kind !== 'difference' && spec.warnIfEmpty !== undefined && out.direct.size === 0)
        ctx.unmatched.push(spec.warnIfEmpty);
      return out;
    }
  }
}

function combineSets(kind: 'union' | 'intersection' | 'difference', sets: Set<string>[]): Set<string> {
  if (kind === 'union') {
    const out = new Set<string>();
    for (const s of sets) for (const id of s) out.add(id);
    return out;
  }
  if (kind === 'intersection') {
    const [first, ...rest] = sets;
    return new Set([...(first ?? [])].filter((id) => rest.every((s) => s.has(id))));
  }
  const [include, exclude] = sets;
  return new Set([...include!].filter((id) => !exclude!.has(id)));
}

function namedSelector(token: SelectorToken, ctx: EvaluationContext, seen: string[]): Bundle {
  const spec = ctx.selectors?.get(token.value);
  if (!spec) {
    const known = [...(ctx.selectors?.keys() ?? [])];
    throw new KilnError('selection', `no selector named '${token.value}' in selectors.yml`, {
      hint: known.length ? `defined selectors: ${known.join(', ')}` : 'define it in selectors.yml at the project root',
    });
  }
  if (seen.includes(token.value))
    throw new KilnError(
      'selection',
      `selector '${token.value}' refers to itself: ${[...seen, token.value].join(' -> ')}`,
      { file: 'selectors.yml' },
    );
  return evaluate(spec, ctx, [...seen, token.value]);
}

/** Nodes matching the method, then the graph operators. */
function collect(token: SelectorToken, ctx: EvaluationContext): Set<string> {
  const out = new Set<string>();
  const test = matcher(token, ctx);
  for (const n of ctx.graph.nodes) if (test(n)) out.add(n.uniqueId);
  const seeds = [...out];
  const { parents, children } = ctx.graph;
  if (token.parentsDepth) walk(seeds, (id) => parents(id), token.parentsDepth, out);
  if (token.childrenDepth) walk(seeds, (id) => children(id), token.childrenDepth, out);
  if (token.childrens_parents) walk([...out], (id) => parents(id), Infinity, out);
  return out;
}

/** Breadth-first from all starts at once: a node is within `depth` of some start. */
function walk(starts: string[], next: (id: string) => readonly string[], depth: number, into: Set<string>): void {
  let frontier = starts;
  const seen = new Set(starts);
  for (let d = 0; d < depth && frontier.length; d++) {
    const nextFrontier: string[] = [];
    for (const id of frontier) {
      for (const n of next(id)) {
        if (seen.has(n)) continue;
        seen.add(n);
        into.add(n);
        nextFrontier.push(n);
      }
    }
    frontier = nextFrontier;
  }
}

function ancestorsOf(ids: Set<string>, graph: SelectableGraph): Set<string> {
  const out = new Set<string>(ids);
  const stack = [...ids];
  while (stack.length) {
    for (const p of graph.parents(stack.pop()!)) {
      if (out.has(p)) continue;
      out.add(p);
      stack.push(p);
    }
  }
  return out;
}

/** Tests of the collected nodes: direct when the mode allows, else indirect for later. */
function expandIndirect(collected: Set<string>, mode: IndirectSelection, ctx: EvaluationContext): Bundle {
  const direct = new Set(collected);
  const indirect = new Set<string>();
  if (mode === 'empty') return { direct, indirect };
  let buildable: Set<string> | undefined;
  for (const id of collected) {
    for (const child of ctx.graph.children(id)) {
      if (direct.has(child) || indirect.has(child) || !isTest(ctx.graph.node(child))) continue;
      const parents = ctx.graph.parents(child);
      if (mode === 'eager' || parents.every((p) => collected.has(p))) direct.add(child);
      else if (mode === 'buildable' && parents.every((p) => (buildable ??= ancestorsOf(collected, ctx.graph)).has(p)))
        direct.add(child);
      else indirect.add(child);
    }
  }
  return { direct, indirect };
}

/** Under cautious/buildable, an indirect test joins once all its parents are in the set. */
function incorporateIndirect(
  direct: Set<string>,
  indirect: Set<string>,
  mode: IndirectSelection,
  ctx: EvaluationContext,
): Set<string> {
  if (mode === 'eager' || mode === 'empty') return direct;
  const out = new Set(direct);
  let buildable: Set<string> | undefined;
  for (const id of indirect) {
    if (out.has(id) || !isTest(ctx.graph.node(id))) continue;
    const parents = ctx.graph.parents(id);
    if (parents.every((p) => direct.has(p))) out.add(id);
    else if (mode === 'buildable' && parents.every((p) => (buildable ??= ancestorsOf(direct, ctx.graph)).has(p)))
      out.add(id);
  }
  return out;
}

const isTest = (node: SelectableNode | undefined): boolean =>
  node?.resourceType === 'test' || node?.resourceType === 'unit_test';
