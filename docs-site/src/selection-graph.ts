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
import { derivedTestFqn, type SiteNode } from '../../src/docs/model.js';

export interface SiteSelection {
  /**
   * Indexes of the nodes selected by `selectText` minus `excludeText`; an empty select is
   * everything. Tests a selection picks directly are in; those that would come along with
   * their models (indirect selection) are not, since the box draws no tests.
   */
  select(selectText: string, excludeText?: string): Set<number>;
}

/** Site nodes selection never picks (dbt's selectors do not reach macros). */
const unselectable = new Set(['macro']);

export function siteSelection(nodes: readonly SiteNode[], projectName: string): SiteSelection {
  const byId = new Map<string, number>();
  nodes.forEach((n, i) => byId.set(n.id, i));
  const inputs = {
    state: lastRun(nodes, byId),
    sourceStatus: notInSite('source_status:', "compares two runs' sources.json"),
    impact: notInSite('impact:', 'reads target/impact.json'),
  };
  // Built on the first selection: most pages never select.
  let graph: SelectableGraph | undefined;
  return {
    select(selectText, excludeText = '') {
      const text = selectText.trim();
      const exclude = excludeText.trim();
      // An empty box is the whole project, the map's first view: no graph needed for it.
      if (!text && !exclude) return new Set(nodes.flatMap((n, i) => (unselectable.has(n.type) ? [] : [i])));
      // Tests are never drawn, and which tests come along never changes which other nodes
      // a selection holds, so indirect selection is skipped.
      const { ids } = select((graph ??= siteGraph(nodes, byId)), projectName, {
        ...inputs,
        select: text ? [text] : [],
        exclude: exclude ? [exclude] : [],
        indirectSelection: 'empty',
      });
      return new Set(ids.map((id) => byId.get(id)!));
    },
  };
}

function siteGraph(nodes: readonly SiteNode[], byId: Map<string, number>): SelectableGraph {
  const selectable = nodes.map((n) => (unselectable.has(n.type) ? undefined : new SiteSelectable(n)));
  // Only dependants need an index of their own: parents are in the site data already.
  const kids: Array<number[] | undefined> = [];
  nodes.forEach((n, i) => {
    if (selectable[i]) for (const p of n.parents) if (selectable[p]) (kids[p] ??= []).push(i);
  });
  const ids = (indexes: readonly number[] | undefined) =>
    (indexes ?? []).filter((i) => selectable[i]).map((i) => nodes[i]!.id);
  const at = (id: string) => byId.get(id) ?? -1;
  return {
    nodes: selectable.filter((n): n is SiteSelectable => n !== undefined),
    node: (id) => selectable[at(id)],
    parents: (id) => ids(nodes[at(id)]?.parents),
    children: (id) => ids(kids[at(id)]),
  };
}

/**
 * The fields selection reads of a site node; the config, with the keys the site data keeps apart put back, only when a
 * method asks.
 */
class SiteSelectable implements SelectableNode {
  readonly uniqueId: string;
  readonly resourceType: string;
  readonly name: string;
  readonly packageName: string;
  readonly fqn: string[];
  readonly originalFilePath: string;
  readonly tags?: string[];
  readonly sourceName?: string;
  readonly testMetadata?: { name: string };
  private cachedConfig?: Record<string, unknown>;

  constructor(private readonly site: SiteNode) {
    this.uniqueId = site.id;
    this.resourceType = site.type;
    this.name = site.name;
    this.packageName = site.pkg;
    this.fqn = site.fqn ?? (site.type === 'test' ? derivedTestFqn(site) : [site.pkg, site.name]);
    this.originalFilePath = site.path ?? '';
    this.tags = site.tags;
    this.sourceName = site.source;
    // The site keeps `namespace.name`; dbt's test_name: compares the name alone.
    if (site.testName) this.testMetadata = { name: site.testName.slice(site.testName.lastIndexOf('.') + 1) };
  }

  get config(): Record<string, unknown> {
    if (this.cachedConfig) return this.cachedConfig;
    const n = this.site;
    const config: Record<string, unknown> = { ...n.config };
    if (n.mat !== undefined) config.materialized = n.mat;
    if (n.tags) config.tags = n.tags;
    if (n.meta) config.meta = n.meta;
    if (n.severity !== undefined) config.severity = n.severity;
    return (this.cachedConfig = config);
  }
}

/** `result:` is the status of the run the site was generated with (none: nothing matches). */
function lastRun(nodes: readonly SiteNode[], byId: Map<string, number>): StateView {
  return {
    hasRunResults: true,
    resultStatus: (id) => nodes[byId.get(id)!]?.run?.status,
    matches: () => {
      throw new KilnError(
        'selection',
        "'state:' compares with another run's manifest, which the docs site does not have",
        { hint: 'use `kiln ls -s state:...  --state DIR` on the command line' },
      );
    },
  };
}

function notInSite(method: string, what: string): SourceStatusView & ImpactView {
  const fail = (): never => {
    throw new KilnError('selection', `'${method}' ${what}, which the docs site does not have`, {
      hint: `use \`kiln ls -s ${method}...\` on the command line`,
    });
  };
  return { fresher: fail, matches: fail };
}
