/**
 * Relations kiln leaves only when a run is killed at the wrong moment (kill -9, a machine
 * crash): staging copies named `<model>__kiln_tmp`, `__kiln_tmp_src` or `__kiln_audit`. The next run drops
 * them from the schemas it builds into. Quarantined data (`__kiln_quarantine`) is kept on
 * purpose and is not touched here.
 */
import type { Adapter } from '../adapters/types.js';
import type { GraphNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';

const leftover = /__kiln_(tmp|tmp_src|audit)$/;

export async function dropLeftovers(adapter: Adapter, nodes: GraphNode[], dropSql: (relation: Relation, type: string) => string, log: (message: string) => void): Promise<number> {
  const schemas = new Map<string, { database: string | undefined; schema: string }>();
  for (const n of nodes) if (n.resourceType !== 'test' && n.schema) schemas.set(`${n.database ?? ''}.${n.schema}`, { database: n.database, schema: n.schema });
  let dropped = 0;
  for (const { database, schema } of schemas.values()) {
    let relations;
    try {
      relations = await adapter.listRelations(database, schema);
    } catch {
      continue; // The schema does not exist yet: nothing to clean.
    }
    for (const r of relations.filter((x) => leftover.test(x.name))) {
      const rel = adapter.relation(database, schema, r.name, r.type);
      await adapter.execute(dropSql(rel, r.type === 'view' ? 'view' : 'table'));
      log(`dropped ${rel.render()}, left behind by an interrupted run`);
      dropped++;
    }
  }
  return dropped;
}
