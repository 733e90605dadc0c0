/**
 * dbt-style node selection over the docs graph: `+orders+`, `2+orders`, `tag:nightly`,
 * `source:raw.orders+`, `@stg_orders`, `path:models/staging`, `resource_type:seed`,
 * `config.materialized:table`, `package:shop`, `result:error`; space = union,
 * comma = intersection; an exclude expression is subtracted.
 * Pure: no DOM, no Node.
 */

export interface SelectableNode {
  id: string;
  type: string;
  name: string;
  pkg: string;
  path?: string;
  fqn?: string[];
  tags?: string[];
  mat?: string;
  config?: Record<string, unknown>;
  source?: string;
  run?: { status: string };
  fresh?: { status: string };
}

export interface SelectGraph {
  nodes: readonly SelectableNode[];
  parents: readonly (readonly number[])[];
  children: readonly (readonly number[])[];
  /** Optional fast lookup of a unique_id; returns -1 or undefined when unknown. */
  indexOf?: (uniqueId: string) => number | undefined;
}

export interface Atom {
  at: boolean;
  up: number | null; // null = no ancestors, Infinity = all
  down: number | null;
  method: string;
  value: string;
}

const ATOM = /^(@)?(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/;

export function parseAtom(text: string): Atom {
  const m = ATOM.exec(text.trim());
  if (!m) throw new Error(`bad selector: ${text}`);
  const up = m[2] === undefined ? null : m[2] === '' ? Infinity : Number(m[2]);
  const down = m[4] === undefined ? null : m[4] === '' ? Infinity : Number(m[4]);
  let body = m[3]!;
  let method = '';
  const colon = body.indexOf(':');
  if (colon > 0 && !/[\\/]/.test(body.slice(0, colon))) {
    method = body.slice(0, colon).toLowerCase();
    body = body.slice(colon + 1);
  }
  return { at: m[1] === '@', up, down, method, value: body };
}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, 'i');
}

const isGlob = (s: string) => /[*?]/.test(s);

function partsMatch(pattern: string[], parts: string[], from: number): boolean {
  if (pattern.length > parts.length - from) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[from + i]!;
    if (isGlob(p) ? !glob(p).test(part) : p.toLowerCase() !== part.toLowerCase()) return false;
  }
  return true;
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    if (globCache.size > 500) globCache.clear();
    re = globToRegExp(pattern);
    globCache.set(pattern, re);
  }
  return re;
}

/** A predicate for the method:value part of an atom (graph operators aside). */
export function makeMatcher(method: string, value: string): (node: SelectableNode) => boolean {
  const v = value;
  switch (method) {
    case '':
    case 'fqn': {
      if (method === '' && (/[\\/]/.test(v) || /\.(sql|py|csv|yml|yaml)$/i.test(v))) return makeMatcher('path', v);
      const whole = isGlob(v) ? glob(v) : { test: (name: string) => name.length === v.length && name.toLowerCase() === v.toLowerCase() };
      const pat = v.split('.');
      return (node) => {
        if (node.id === v) return true;
        // A bare name does not pick sources (dbt selects those with `source:`).
        if (node.type !== 'source' && whole.test(node.name)) return true;
        const fqn = node.fqn && node.fqn.length ? node.fqn : [node.pkg, node.name];
        return partsMatch(pat, fqn, 0) || partsMatch(pat, fqn, 1);
      };
    }
    case 'tag': {
      const re = glob(v);
      return (node) => (node.tags ?? []).some((t) => re.test(t));
    }
    case 'source': {
      const pat = v.split('.');
      return (node) => {
        if (node.type !== 'source') return false;
        const parts = [node.pkg, node.source ?? '', node.name];
        return pat.length === 3 ? partsMatch(pat, parts, 0) : partsMatch(pat, parts, 1);
      };
    }
    case 'exposure': {
      const re = glob(v);
      return (node) => node.type === 'exposure' && re.test(node.name);
    }
    case 'resource_type': {
      const t = v.toLowerCase();
      return (node) => node.type === t;
    }
    case 'package': {
      const re = glob(v);
      return (node) => re.test(node.pkg);
    }
    case 'path': {
      const want = v.replace(/\\/g, '/').replace(/\/$/, '');
      const re = want.includes('*') ? glob(want) : null;
      const reDir = want.includes('*') ? glob(want + '/*') : null;
      return (node) => {
        const p = (node.path ?? '').replace(/\\/g, '/');
        if (re && reDir) return re.test(p) || reDir.test(p);
        return p === want || p.startsWith(want + '/');
      };
    }
    case 'test_name':
    case 'test_type': {
      const re = glob(v);
      return (node) => node.type === 'test' && re.test(node.name);
    }
    case 'result':
    case 'status': {
      const want = v.toLowerCase();
      return (node) => (node.run?.status ?? node.fresh?.status ?? '').toLowerCase() === want;
    }
    default: {
      if (!method.startsWith('config.')) return () => false;
      const key = method.slice('config.'.length);
      const re = glob(v);
      return (node) => {
        const got = key === 'materialized' ? node.mat ?? node.config?.materialized : node.config?.[key];
        if (Array.isArray(got)) return got.some((x) => re.test(String(x)));
        return got !== undefined && got !== null && re.test(String(got));
      };
    }
  }
}

export function matchesAtom(node: SelectableNode, method: string, value: string): boolean {
  return makeMatcher(method, value)(node);
}

/** Breadth-first walk up to `depth` hops along `next`, adding to `into`. */
export function walk(start: Iterable<number>, next: readonly (readonly number[])[], depth: number, into: Set<number>): void {
  let frontier = [...start];
  const seen = new Set<number>(frontier);
  for (let d = 0; d < depth && frontier.length; d++) {
    const nextFrontier: number[] = [];
    for (const v of frontier) {
      for (const u of next[v]!) {
        if (seen.has(u)) continue;
        seen.add(u);
        into.add(u);
        nextFrontier.push(u);
      }
    }
    frontier = nextFrontier;
  }
}

export function selectAtom(graph: SelectGraph, atom: Atom): Set<number> {
  const base: number[] = [];
  const exact = graph.indexOf && (atom.method === '' || atom.method === 'fqn') ? graph.indexOf(atom.value) : undefined;
  if (exact !== undefined && exact >= 0) base.push(exact);
  else {
    const match = makeMatcher(atom.method, atom.value);
    graph.nodes.forEach((n, i) => { if (match(n)) base.push(i); });
  }
  const out = new Set<number>(base);
  if (atom.at) {
    const desc = new Set<number>(base);
    walk(base, graph.children, Infinity, desc);
    for (const d of desc) out.add(d);
    walk(desc, graph.parents, Infinity, out);
    return out;
  }
  if (atom.up !== null) walk(base, graph.parents, atom.up, out);
  if (atom.down !== null) walk(base, graph.children, atom.down, out);
  return out;
}

/** Evaluate a selection expression (space = union, comma = intersection). Empty → empty set. */
export function selectExpr(graph: SelectGraph, expr: string): Set<number> {
  const result = new Set<number>();
  for (const term of expr.trim().split(/\s+/).filter(Boolean)) {
    let acc: Set<number> | null = null;
    for (const part of term.split(',').filter(Boolean)) {
      const s = selectAtom(graph, parseAtom(part));
      if (acc === null) acc = s;
      else { const a: Set<number> = acc; acc = new Set([...s].filter((x) => a.has(x))); }
    }
    for (const x of acc ?? []) result.add(x);
  }
  return result;
}

/** `select` minus `exclude`. */
export function select(graph: SelectGraph, selectText: string, excludeText = ''): Set<number> {
  const sel = selectExpr(graph, selectText);
  if (excludeText.trim()) for (const x of selectExpr(graph, excludeText)) sel.delete(x);
  return sel;
}
