/** catalog.json in dbt's shape: each built relation's type and columns, from the warehouse. */
import type { Adapter } from '../adapters/types.js';
import type { ParsedProject } from '../parse/index.js';
import { kilnVersion } from '../version.js';

export async function buildCatalog(parsed: ParsedProject, adapter: Adapter, ids: string[], invocationId: string): Promise<Record<string, unknown>> {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const errors: string[] = [];
  const listed = new Map<string, Promise<Map<string, string>>>();
  const typeOf = (database: string | undefined, schema: string, name: string) => {
    const key = `${database ?? ''}.${schema}`;
    let p = listed.get(key);
    if (!p) {
      p = adapter.listRelations(database, schema).then((rels) => new Map(rels.map((r) => [r.name, r.type === 'view' ? 'VIEW' : 'BASE TABLE'])));
      listed.set(key, p);
    }
    return p.then((m) => m.get(name));
  };
  for (const id of ids) {
    const node = parsed.manifest.nodes.get(id);
    const source = parsed.manifest.sources.get(id);
    const where = node ? { database: node.database, schema: node.schema, name: node.alias } : source ? { database: source.database, schema: source.schema, name: source.identifier } : undefined;
    if (!where || node?.resourceType === 'test' || node?.config.materialized === 'ephemeral') continue;
    try {
      // Names as the warehouse stores them (Snowflake upper-cases plain identifiers).
      const relation = adapter.relation(where.database, where.schema, where.name);
      const type = await typeOf(relation.database, relation.schema ?? where.schema, relation.identifier);
      if (!type) continue;
      const columns = await adapter.getColumns(relation);
      const entry = {
        unique_id: id,
        metadata: { type, schema: where.schema, name: where.name, database: where.database ?? null, comment: null, owner: null },
        columns: Object.fromEntries(columns.map((c) => [c.name, { type: c.type, index: c.index, name: c.name, comment: null }])),
        stats: { has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, include: false, description: 'Indicates whether there are statistics for this table' } },
      };
      (node ? nodes : sources)[id] = entry;
    } catch (e) {
      errors.push(`${id}: ${(e as Error).message}`);
    }
  }
  return {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json', dbt_version: kilnVersion, generated_at: new Date().toISOString(), invocation_id: invocationId, env: {} },
    nodes,
    sources,
    errors: errors.length ? errors : null,
  };
}
