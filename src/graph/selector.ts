/**
 * dbt's node selection grammar: `[@][N+][method:]value[+N]`, space-separated unions,
 * comma-separated intersections, `--exclude` subtracted last, tests selected indirectly.
 */
import { KilnError } from '../errors.js';
import type { GraphNode, Manifest, SourceNode, TestNode } from '../parse/nodes.js';
import type { Dag } from './dag.js';

export interface SelectorToken {
  raw: string;
  childrens_parents: boolean;
  parentsDepth: number; // 0: none; Infinity: all
  childrenDepth: number;
  method: string;
  value: string;
}

export type IndirectSelection = 'eager' | 'cautious' | 'buildable' | 'empty';

export interface SelectOptions {
  select?: string[];
  exclude?: string[];
  resourceTypes?: string[];
  indirectSelection?: IndirectSelection;
}

const methods = new Set(['fqn', 'tag', 'path', 'file', 'resource_type', 'source', 'package', 'test_type', 'test_name', 'config']);

export function parseToken(raw: string): SelectorToken {
  const m = /^(@)?(?:(\d*)\+)?([^+]*?)(?:\+(\d*))?$/.exec(raw);
  if (!m || !m[3]) throw new KilnError('selection', `malformed selector '${raw}'`, { hint: "e.g. 'my_model', '+my_model', 'tag:nightly', 'path:models/staging'" });
  const [, at, up, body, down] = m;
  const parentsDepth = up === undefined ? 0 : up === '' ? Infinity : Number(up);
  const childrenDepth = down === undefined ? 0 : down === '' ? Infinity : Number(down);
  if (at && parentsDepth) throw new KilnError('selection', `selector '${raw}' combines '@' with a '+' prefix`, { hint: "use '@model' or '+model', not both" });
  let method = 'fqn';
  let value = body!;
  const colon = body!.indexOf(':');
  if (colon > 0) {
    method = body!.slice(0, colon);
    value = body!.slice(colon + 1);
    const base = method.split('.')[0]!;
    if (!methods.has(base)) {
      throw new KilnError('selection', `unknown selector method '${method}' in '${raw}'`, { hint: `known methods: ${[...methods].join(', ')}` });
    }
    if (!value) throw new KilnError('selection', `selector '${raw}' has no value after '${method}:'`);
  } else if (value.includes('/') || /\.(sql|csv|py)$/.test(value)) {
    method = /\.(sql|csv|py)$/.test(value) && !value.includes('/') ? 'file' : 'path';
  }
  return { raw, childrens_parents: Boolean(at), parentsDepth, childrenDepth: at ? Infinity : childrenDepth, method, value };
}

type AnyNode = GraphNode | SourceNode;

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

function matches(token: SelectorToken, node: AnyNode): boolean {
  const v = token.value;
  switch (token.method.split('.')[0]) {
    case 'fqn': {
      if (v === '*') return true;
      const re = glob(v);
      if (re.test(node.name)) return node.resourceType !== 'source';
      const fqn = node.fqn.join('.');
      return re.test(fqn) || fqn.startsWith(`${v}.`) || node.fqn.slice(1).join('.').startsWith(`${v}.`) || glob(v).test(node.fqn.slice(1).join('.'));
    }
    case 'tag':
      return (node.tags ?? []).some((t) => glob(v).test(t));
    case 'path': {
      const p = v.replace(/\/+$/, '');
      return node.originalFilePath === p || node.originalFilePath.startsWith(`${p}/`) || glob(p).test(node.originalFilePath);
    }
    case 'file':
      return glob(v).test(node.originalFilePath.split('/').pop()!);
    case 'resource_type':
      return node.resourceType === v;
    case 'package':
      return node.packageName === v;
    case 'source': {
      if (node.resourceType !== 'source') return false;
      const s = node as SourceNode;
      const [src, table] = v.split('.');
      return glob(src!).test(s.sourceName) && (table === undefined || glob(table).test(s.name));
    }
    case 'test_type': {
      if (node.resourceType !== 'test') return false;
      const generic = Boolean((node as TestNode).testMetadata);
      return v === 'generic' ? generic : v === 'singular' ? !generic : v === 'data';
    }
    case 'test_name':
      return node.resourceType === 'test' && glob(v).test((node as TestNode).testMetadata?.name ?? node.name);
    case 'config': {
      const path = token.method.split('.').slice(1);
      let cur: unknown = node.config;
      for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
      if (Array.isArray(cur)) return cur.some((x) => String(x) === v);
      return cur !== undefined && cur !== null && String(cur) === v;
    }
  }
  return false;
}

function walk(start: string, next: (id: string) => string[], depth: number, into: Set<string>): void {
  let frontier = [start];
  for (let d = 0; d < depth && frontier.length; d++) {
    const nextFrontier: string[] = [];
    for (const id of frontier) for (const n of next(id)) if (!into.has(n)) (into.add(n), nextFrontier.push(n));
    frontier = nextFrontier;
  }
}

function evaluateToken(token: SelectorToken, all: AnyNode[], dag: Dag): Set<string> {
  const out = new Set<string>();
  for (const n of all) if (matches(token, n)) out.add(n.uniqueId);
  const seeds = [...out];
  for (const id of seeds) {
    if (token.parentsDepth) walk(id, dag.parents, token.parentsDepth, out);
    if (token.childrenDepth) walk(id, dag.children, token.childrenDepth, out);
  }
  if (token.childrens_parents) for (const id of [...out]) walk(id, dag.parents, Infinity, out);
  return out;
}

/** Evaluates one --select argument: words are unions, commas intersections. */
function evaluateExpression(expr: string, all: AnyNode[], dag: Dag): Set<string> {
  const union = new Set<string>();
  for (const word of expr.split(/\s+/).filter(Boolean)) {
    let acc: Set<string> | undefined;
    for (const part of word.split(',').filter(Boolean)) {
      const s = evaluateToken(parseToken(part), all, dag);
      acc = acc ? new Set([...acc].filter((x) => s.has(x))) : s;
    }
    for (const id of acc ?? []) union.add(id);
  }
  return union;
}

export interface Selection {
  /** Selected executable node ids, in topological order. */
  ids: string[];
  /** Selector words that matched nothing, for a warning. */
  unmatched: string[];
}

export function selectNodes(manifest: Manifest, dag: Dag, opts: SelectOptions): Selection {
  const all: AnyNode[] = [...manifest.nodes.values(), ...manifest.sources.values()];
  const unmatched: string[] = [];
  let selected: Set<string>;
  if (opts.select && opts.select.length) {
    selected = new Set();
    for (const expr of opts.select) {
      const s = evaluateExpression(expr, all, dag);
      if (s.size === 0) unmatched.push(expr);
      for (const id of s) selected.add(id);
    }
  } else selected = new Set(all.map((n) => n.uniqueId));

  // Tests of selected nodes come along (dbt's indirect selection).
  const mode = opts.indirectSelection ?? 'eager';
  if (mode !== 'empty') {
    for (const node of manifest.nodes.values()) {
      if (node.resourceType !== 'test' || selected.has(node.uniqueId)) continue;
      const parents = node.dependsOn.nodes;
      if (!parents.length) continue;
      const ok = mode === 'eager' ? parents.some((p) => selected.has(p)) : parents.every((p) => selected.has(p));
      if (ok) selected.add(node.uniqueId);
    }
  }
  for (const expr of opts.exclude ?? []) for (const id of evaluateExpression(expr, all, dag)) selected.delete(id);
  const types = opts.resourceTypes && opts.resourceTypes.length ? new Set(opts.resourceTypes) : undefined;
  const ids = dag.order.filter((id) => {
    if (!selected.has(id)) return false;
    const node = manifest.nodes.get(id) ?? manifest.sources.get(id);
    return node !== undefined && (!types || types.has(node.resourceType));
  });
  return { ids, unmatched };
}
