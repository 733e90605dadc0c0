/**
 * Manifest → DAG: refs and sources become edges (parent → child). A ref to nothing, or a
 * cycle, is bad input that names the files involved.
 */
import { Graph, alg } from '@dagrejs/graphlib';
import { KilnError } from '../errors.js';
import type { ExposureNode, GraphNode, Manifest, TestNode } from '../parse/nodes.js';

/** What a dependency error needs to know about the node that has the dependency. */
type Dependent = Pick<GraphNode, 'name' | 'resourceType' | 'packageName' | 'originalFilePath'> | ExposureNode;


export interface Dag {
  readonly graph: Graph;
  /** Every node id (nodes and sources) in a topological order. */
  order: string[];
  // Plain functions, not methods: selection passes them around detached from the Dag.
  parents: (id: string) => string[];
  children: (id: string) => string[];
}

const refable = new Set(['model', 'seed', 'snapshot']);

export function resolveDependencies(manifest: Manifest): void {
  const byName = new Map<string, GraphNode>();
  for (const n of manifest.nodes.values()) if (refable.has(n.resourceType)) byName.set(`${n.packageName}.${n.name}`, n);
  const refTarget = (node: Dependent, name: string, pkg?: string): string => {
    // dbt's search: a named package only; else the root project, the node's own package, then any.
    const hit = pkg
      ? byName.get(`${pkg}.${name}`)
      : byName.get(`${manifest.projectName}.${name}`) ?? byName.get(`${node.packageName}.${name}`) ?? [...byName.values()].find((n) => n.name === name);
    if (!hit) {
      const where = (node as TestNode).declaredAt ?? { file: node.originalFilePath };
      throw new KilnError('graph', `${describe(node)} depends on '${pkg ? `${pkg}.` : ''}${name}', which was not found`, {
        file: where.file,
        line: (where as { line?: number }).line,
        hint: suggest(name, [...byName.values()].map((n) => n.name)),
      });
    }
    return hit.uniqueId;
  };
  const sourceIds = new Map<string, string>();
  for (const s of manifest.sources.values()) {
    sourceIds.set(`${s.packageName}.${s.sourceName}.${s.name}`, s.uniqueId);
    if (!sourceIds.has(`.${s.sourceName}.${s.name}`)) sourceIds.set(`.${s.sourceName}.${s.name}`, s.uniqueId);
  }
  // Exposures read what they name like any node; nothing reads them.
  for (const node of [...manifest.nodes.values(), ...(manifest.exposures?.values() ?? [])]) {
    const deps = new Set<string>();
    node.refs.forEach((r, i) => {
      try {
        deps.add(refTarget(node, r.name, r.package));
      } catch (e) {
        throw atCallSite(e, node, 'ref', i, r.package === undefined ? [r.name] : [r.package, r.name]);
      }
    });
    for (const [i, [src, table]] of node.sources.entries()) {
      const id = sourceIds.get(`${manifest.projectName}.${src}.${table}`) ?? sourceIds.get(`${node.packageName}.${src}.${table}`) ?? sourceIds.get(`.${src}.${table}`);
      if (!id) {
        const where = (node as TestNode).declaredAt ?? { file: node.originalFilePath };
        const tables = [...manifest.sources.values()].filter((s) => s.sourceName === src).map((s) => s.name);
        const near = suggest(table, tables);
        throw atCallSite(
          new KilnError('graph', `${describe(node)} reads source('${src}', '${table}'), which is not defined`, {
            file: where.file,
            line: (where as { line?: number }).line,
            hint: tables.length && near.startsWith('did you mean') ? near : `declare it under sources: in a properties .yml (name: ${src}, tables: [{name: ${table}}])`,
          }),
          node,
          'source',
          i,
          [src, table],
        );
      }
      deps.add(id);
    }
    node.dependsOn.nodes = [...deps];
  }
}

/**
 * A source that names a relation the project itself builds (a seed loaded as a source,
 * say) depends on that node, so its tests and readers wait for it.
 */
export function sourceBuilders(manifest: Manifest): Array<[string, string]> {
  const key = (db: string | undefined, schema: string, name: string) => `${db ?? ''}.${schema}.${name}`.toLowerCase();
  const built = new Map<string, string>();
  for (const n of manifest.nodes.values()) if (refable.has(n.resourceType) && n.config.materialized !== 'ephemeral') built.set(key(n.database, n.schema, n.alias), n.uniqueId);
  const edges: Array<[string, string]> = [];
  for (const s of manifest.sources.values()) {
    const builder = built.get(key(s.database, s.schema, s.identifier));
    if (builder) edges.push([builder, s.uniqueId]);
  }
  return edges;
}

/**
 * Adjacency lists in plain Maps: at 10,000 models graphlib's per-edge bookkeeping cost more
 * than the rest of the graph stage together. A graphlib Graph is still built, on demand, for
 * callers that want its algorithms (cycle finding uses it).
 */
export function buildDag(manifest: Manifest): Dag {
  resolveDependencies(manifest);
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const id of [...manifest.sources.keys(), ...manifest.nodes.keys(), ...(manifest.exposures?.keys() ?? [])]) {
    parents.set(id, []);
    children.set(id, []);
  }
  const addEdge = (from: string, to: string) => {
    const p = parents.get(to)!;
    if (p.includes(from)) return;
    p.push(from);
    children.get(from)!.push(to);
  };
  for (const node of manifest.nodes.values()) for (const dep of node.dependsOn.nodes) addEdge(dep, node.uniqueId);
  for (const e of manifest.exposures?.values() ?? []) for (const dep of e.dependsOn.nodes) addEdge(dep, e.uniqueId);
  for (const [builder, source] of sourceBuilders(manifest)) addEdge(builder, source);
  let graph: Graph | undefined;
  const toGraph = (): Graph => {
    if (graph) return graph;
    graph = new Graph({ directed: true });
    for (const id of parents.keys()) graph.setNode(id);
    for (const [to, ps] of parents) for (const from of ps) graph.setEdge(from, to);
    return graph;
  };
  const order = topologicalOrder(parents, children, manifest, toGraph);
  return {
    get graph() {
      return toGraph();
    },
    order,
    parents: (id) => parents.get(id) ?? [],
    children: (id) => children.get(id) ?? [],
  };
}

/** Kahn's algorithm, stable in manifest order; leftovers mean a cycle, reported in order. */
function topologicalOrder(parents: Map<string, string[]>, children: Map<string, string[]>, manifest: Manifest, toGraph: () => Graph): string[] {
  const indegree = new Map<string, number>();
  for (const [id, ps] of parents) indegree.set(id, ps.length);
  const queue = [...parents.keys()].filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    order.push(id);
    for (const c of children.get(id)!) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) queue.push(c);
    }
  }
  if (order.length !== parents.size) {
    const cycle = findCycle(toGraph(), new Set(order));
    const names = cycle.map((id) => manifest.nodes.get(id)?.name ?? id);
    const edges = cycle.map((id, i) => cycleEdge(manifest, id, cycle[(i + 1) % cycle.length]!)).filter((e) => e !== undefined);
    const first = manifest.nodes.get(cycle[0]!);
    const sites = edges.map((e) => `${e.file}${e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : ''} ${e.call}`);
    throw new KilnError('graph', `dependency cycle: ${[...names, names[0]].join(' -> ')}${sites.length ? ` (${sites.join('; ')})` : ''}`, {
      file: edges[0]?.file ?? first?.originalFilePath,
      line: edges[0]?.line,
      column: edges[0]?.column,
      hint: 'a model cannot depend on itself, directly or through others: remove one of these refs',
    });
  }
  return order;
}

/** One edge of a cycle, where it is written: whichever of the two nodes refs the other. */
function cycleEdge(manifest: Manifest, a: string, b: string): { file: string; line?: number; column?: number; call: string } | undefined {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const node = manifest.nodes.get(from);
    const target = manifest.nodes.get(to);
    if (!node || !target) continue;
    const i = node.refs.findIndex((r) => r.name === target.name && (r.package === undefined || r.package === target.packageName));
    if (i < 0) continue;
    const args = node.refs[i]!.package === undefined ? [target.name] : [node.refs[i]!.package!, target.name];
    const site = callSite(node, 'ref', i, args);
    return { file: node.originalFilePath, ...site, call: `ref(${args.map((x) => `'${x}'`).join(', ')})` };
  }
  return undefined;
}

/**
 * Where the i-th ref() (or source()) of a node is written: line and column of the call in its
 * file. Looked up in the text only when an error needs it: the call with these literal
 * arguments, else the i-th call of that name (arguments built by Jinja). A node declared in
 * YAML (a generic test) keeps the line of its YAML entry.
 */
function callSite(node: Dependent, fn: 'ref' | 'source', index: number, args: string[]): { line?: number; column?: number } {
  if ((node as TestNode).declaredAt || node.resourceType === 'exposure' || node.resourceType === 'snapshot') return {};
  const text = (node as GraphNode).rawCode ?? '';
  const quoted = args.map((a) => `\\s*['"]${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]\\s*`).join(',');
  const literal = new RegExp(`\\b${fn}\\s*\\(${quoted}[,)]`).exec(text);
  let at = literal?.index;
  if (at === undefined) {
    const any = new RegExp(`\\b${fn}\\s*\\(`, 'g');
    for (let i = 0, m = any.exec(text); m; i++, m = any.exec(text)) {
      if (i === index) {
        at = m.index;
        break;
      }
    }
  }
  if (at === undefined) return {};
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** A dependency error, moved to the line and column of the call that made the dependency. */
function atCallSite(e: unknown, node: Dependent, fn: 'ref' | 'source', index: number, args: string[]): unknown {
  if (!(e instanceof KilnError) || e.line !== undefined) return e;
  const site = callSite(node, fn, index, args);
  if (site.line === undefined) return e;
  return new KilnError(e.kind, e.message, { file: e.file, line: site.line, column: site.column, hint: e.hint });
}

function findCycle(graph: Graph, done: Set<string>): string[] {
  const cycles = alg.findCycles(graph).filter((c: string[]) => c.every((id) => !done.has(id)));
  const cycle = (cycles[0] ?? []).slice().reverse();
  // Start at the alphabetically first node so the message is stable.
  const start = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

function describe(node: Dependent): string {
  if (node.resourceType === 'sql_operation') return 'the --inline query';
  return `${node.resourceType} '${node.name}'`;
}

function suggest(name: string, names: string[]): string {
  const close = names.filter((n) => distance(n, name) <= 2).slice(0, 3);
  return close.length ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : 'check the name in ref(), or add the model';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length]![b.length]!;
}
