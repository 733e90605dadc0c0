/**
 * The error-severity data tests that read a node, which gate its publication under
 * write-audit-publish. The tests are indexed by the nodes they read on the first question:
 * a scan of every node per audited model was quadratic in `build --audit` at 10,000 nodes.
 */
import type { GraphNode } from '../parse/nodes.js';

export class GatingTests {
  private byParent?: Map<string, GraphNode[]>;

  constructor(private readonly nodes: ReadonlyMap<string, GraphNode>) {}

  /** In the manifest's order, each test once. */
  of(node: GraphNode): GraphNode[] {
    if (!this.byParent) {
      this.byParent = new Map();
      for (const t of this.nodes.values()) {
        if (t.resourceType !== 'test' || String(t.config.severity ?? 'error').toLowerCase() !== 'error') continue;
        for (const parent of new Set(t.dependsOn.nodes))
          (this.byParent.get(parent) ?? this.byParent.set(parent, []).get(parent)!).push(t);
      }
    }
    return this.byParent.get(node.uniqueId) ?? [];
  }
}
