/**
 * Column lineage in the docs site's data: for each column of a node, its upstream columns as
 * `[node index, column, kind]`, from target/column_lineage.json. Columns that lineage knows
 * but neither properties YAML nor the catalog list are added, so a model page lists them.
 * Pure: no DOM, no Node.
 */
import type { SiteColumn, SiteNode } from './model.js';

export function attachColumnLineage(nodes: SiteNode[], index: Map<string, number>, columnLineage: any): void {
  const lineageNodes = columnLineage?.nodes;
  if (!lineageNodes || typeof lineageNodes !== 'object') return;
  for (const [id, entry] of Object.entries<any>(lineageNodes)) {
    const i = index.get(id);
    if (i === undefined || !Array.isArray(entry?.columns)) continue;
    const node = nodes[i]!;
    const cols: SiteColumn[] = node.cols ?? [];
    const byName = new Map(cols.map((c) => [c.name.toLowerCase(), c]));
    for (const c of entry.columns) {
      const name = String(c?.name ?? '');
      if (!name) continue;
      let col = byName.get(name);
      if (!col) {
        col = { name };
        cols.push(col);
        byName.set(name, col);
      }
      const up: Array<[number, string, string]> = [];
      for (const e of Array.isArray(c.upstream) ? c.upstream : []) {
        const j = index.get(String(e?.node));
        if (j !== undefined) up.push([j, String(e.column), String(e.kind)]);
      }
      if (up.length) col.up = up;
    }
    if (cols.length) node.cols = cols;
    if (entry.parsed === false && typeof entry.reason === 'string') node.colLineageGap = entry.reason;
  }
}
