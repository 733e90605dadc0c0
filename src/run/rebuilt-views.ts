/**
 * The views a run rebuilds after a node anyway: replacing the node's relation may drop them
 * when they no longer fit it (postgres__rename_relation reads them as `kiln_rebuilt_views`);
 * any other view must survive. Only renames ask, but at 10,000 nodes a run asks thousands
 * of times, so the children index and the selection's set are made once, not per node.
 */
import type { GraphNode } from '../parse/nodes.js';

export class RebuiltViews {
  private children?: Map<string, string[]>;
  private readonly byNode = new Map<string, Array<[string, string]>>();
  /** The selection the set was made from: a command that selects again gets a new array. */
  private selectedFrom?: readonly string[];
  private selectedSet = new Set<string>();

  constructor(
    private readonly nodes: ReadonlyMap<string, GraphNode>,
    /** dbt's `selected_resources`, read when asked (the command may select after this is made). */
    private readonly selected: () => readonly string[],
    private readonly defaultSchema: string,
  ) {}

  /** [schema, name] of the selected view models downstream of a node. */
  of(node: GraphNode): Array<[string, string]> {
    const selected = this.selectedIds();
    const known = this.byNode.get(node.uniqueId);
    if (known) return known;
    const children = this.childrenIndex();
    const views: Array<[string, string]> = [];
    const seen = new Set<string>();
    const stack = [...(children.get(node.uniqueId) ?? [])];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const c of children.get(id) ?? []) stack.push(c);
      const child = this.nodes.get(id);
      if (child && selected.has(id) && child.resourceType === 'model' && child.config.materialized === 'view')
        views.push([child.schema ?? this.defaultSchema, child.alias]);
    }
    this.byNode.set(node.uniqueId, views);
    return views;
  }

  private childrenIndex(): Map<string, string[]> {
    if (!this.children) {
      this.children = new Map();
      for (const n of this.nodes.values())
        for (const p of n.dependsOn.nodes) (this.children.get(p) ?? this.children.set(p, []).get(p)!).push(n.uniqueId);
    }
    return this.children;
  }

  private selectedIds(): ReadonlySet<string> {
    const ids = this.selected();
    if (ids !== this.selectedFrom) {
      this.selectedFrom = ids;
      this.selectedSet = new Set(ids);
      this.byNode.clear();
    }
    return this.selectedSet;
  }
}
