/**
 * Manifest → DAG: each node's `dependsOn` (linked by parse) becomes edges (parent → child).
 * Reads the manifest and never writes it; a cycle is bad input that names the files involved.
 */
import { Graph, alg } from '@dagrejs/graphlib';
import { KilnError } from '../errors.js';
import type { Manifest } from '../parse/nodes.js';
import { callSite, refable } from '../parse/link.js';

export interface Dag {
  readonly graph: Graph;
  /** Every node id (nodes and sources) in a topological order. */
  order: string[];
  // Plain functions, not methods: selection passes them around detached from the Dag.
  parents: (id: string) => string[];
  children: (id: string) => string[];
}

/**
 * A source that names a relation the project itself builds (a seed loaded as a source,
 * say) depends on that node, so its tests and readers wait for it.
 */
export function sourceBuilders(manifest: Manifest): Array<[string, string]> {
  const key = (db: string | undefined, schema: string, name: string) => `${db ?? ''}.${schema}.${name}`.toLowerCase();
  const built = new Map<string, string>();
  for (const n of manifest.nodes.values())
    if (refable.has(n.resourceType) && n.config.materialized !== 'ephemeral')
      built.set(key(n.database, n.schema, n.alias), n.uniqueId);
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
function topologicalOrder(
  parents: Map<string, string[]>,
  children: Map<string, string[]>,
  manifest: Manifest,
  toGraph: () => Graph,
): string[] {
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
    const edges = cycle
      .map((id, i) => cycleEdge(manifest, id, cycle[(i + 1) % cycle.length]!))
      .filter((e) => e !== undefined);
    const first = manifest.nodes.get(cycle[0]!);
    const sites = edges.map((e) => `${e.file}${e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : ''} ${e.call}`);
    throw new KilnError(
      'graph',
      `dependency cycle: ${[...names, names[0]].join(' -> ')}${sites.length ? ` (${sites.join('; ')})` : ''}`,
      {
        file: edges[0]?.file ?? first?.originalFilePath,
        line: edges[0]?.line,
        column: edges[0]?.column,
        hint: 'a model cannot depend on itself, directly or through others: remove one of these refs',
      },
    );
  }
  return order;
}

/** One edge of a cycle, where it is written: whichever of the two nodes refs the other. */
function cycleEdge(
  manifest: Manifest,
  a: string,
  b: string,
): { file: string; line?: number; column?: number; call: string } | undefined {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const node = manifest.nodes.get(from);
    const target = manifest.nodes.get(to);
    if (!node || !target) continue;
    const i = node.refs.findIndex(
      (r) => r.name === target.name && (r.package === undefined || r.package === target.packageName),
    );
    if (i < 0) continue;
    const args = node.refs[i]!.package === undefined ? [target.name] : [node.refs[i]!.package, target.name];
    const site = callSite(node, 'ref', i, args);
    return { file: node.originalFilePath, ...site, call: `ref(${args.map((x) => `'${x}'`).join(', ')})` };
  }
  return undefined;
}

function findCycle(graph: Graph, done: Set<string>): string[] {
  const cycles = alg.findCycles(graph).filter((c: string[]) => c.every((id) => !done.has(id)));
  const cycle = (cycles[0] ?? []).slice().reverse();
  // Start at the alphabetically first node so the message is stable.
  const start = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}
