/**
 * The selection box speaks the CLI's grammar: the site data seen as the graph that
 * src/graph/selector.ts selects from, so `kiln ls -s X` and the box pick the same nodes.
 * `result:` reads the run the site was generated with; what needs another run's artifacts
 * (`state:`, `source_status:`, `impact:`) is bad input here.
 */
import { KilnError } from '../../src/errors.js';
import { select } from '../../src/graph/selector.js';
import type { SelectableGraph } from '../../src/graph/selection/evaluate.js';
import type { ImpactView, SelectableNode, SourceStatusView, StateView } from '../../src/graph/selection/methods.js';
import type { SiteNode } from '../../src/docs/model.js';

export interface SiteSelection {
  /** Indexes of the nodes selected by `selectText` minus `excludeText`; an empty select is everything. */
  select(selectText: string, excludeText?: string): Set<number>;
}

/** Site nodes selection never picks (dbt's selectors do not reach macros). */
const unselectable = new Set(['macro']);

export function siteSelection(nodes: readonly SiteNode[], projectName: string): SiteSelection {
  const byId = new Map<string, number>();
  nodes.forEach((n, i) => byId.set(n.id, i));
  const inputs = { state: lastRun(nodes, byId), sourceStatus: notInSite('source_status:', "compares two runs' sources.json"), impact: notInSite('impact:', 'reads target/impact.json') };
  // Built on the first selection: most pages never select.
  let graph: SelectableGraph | undefined;
  return {
    select(selectText, excludeText = '') {
      const text = selectText.trim();
      const exclude = excludeText.trim();
      const { ids } = select((graph ??= siteGraph(nodes)), projectName, { ...inputs, select: text ? [text] : [], exclude: exclude ? [exclude] : [] });
      return new Set(ids.map((id) => byId.get(id)!));
    },
  };
}

function siteGraph(nodes: readonly SiteNode[]): SelectableGraph {
  const selectable: SelectableNode[] = [];
  const byIdSelectable = new Map<string, SelectableNode>();
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    if (unselectable.has(n.type)) continue;
    const node = selectableNode(n);
    selectable.push(node);
    byIdSelectable.set(n.id, node);
    parents.set(n.id, []);
    children.set(n.id, []);
  }
  for (const n of nodes) {
    const ps = parents.get(n.id);
    if (!ps) continue;
    for (const p of n.parents) {
      const parent = nodes[p]!.id;
      const cs = children.get(parent);
      if (!cs) continue;
      ps.push(parent);
      cs.push(n.id);
    }
  }
  return { nodes: selectable, node: (id) => byIdSelectable.get(id), parents: (id) => parents.get(id) ?? [], children: (id) => children.get(id) ?? [] };
}

/** The fields selection reads, with the config keys the site data keeps apart put back. */
function selectableNode(n: SiteNode): SelectableNode {
  const config: Record<string, unknown> = { ...n.config };
  if (n.mat !== undefined) config.materialized = n.mat;
  if (n.tags) config.tags = n.tags;
  if (n.meta) config.meta = n.meta;
  if (n.severity !== undefined) config.severity = n.severity;
  return {
    uniqueId: n.id,
    resourceType: n.type,
    name: n.name,
    packageName: n.pkg,
    fqn: n.fqn ?? [n.pkg, n.name],
    originalFilePath: n.path ?? '',
    tags: n.tags,
    config,
    sourceName: n.source,
    // The site keeps `namespace.name`; dbt's test_name: compares the name alone.
    testMetadata: n.testName ? { name: n.testName.slice(n.testName.lastIndexOf('.') + 1) } : undefined,
  };
}

/** `result:` is the status of the run the site was generated with (none: nothing matches). */
function lastRun(nodes: readonly SiteNode[], byId: Map<string, number>): StateView {
  return {
    hasRunResults: true,
    resultStatus: (id) => nodes[byId.get(id)!]?.run?.status,
    matches: () => {
      throw new KilnError('selection', "'state:' compares with another run's manifest, which the docs site does not have", { hint: 'use `kiln ls -s state:...  --state DIR` on the command line' });
    },
  };
}

function notInSite(method: string, what: string): SourceStatusView & ImpactView {
  const fail = (): never => {
    throw new KilnError('selection', `'${method}' ${what}, which the docs site does not have`, { hint: `use \`kiln ls -s ${method}...\` on the command line` });
  };
  return { fresher: fail, matches: fail };
}
