/** catalog.json in dbt's shape: each built relation's type and columns, from the warehouse. */
import type { Adapter, ColumnInfo } from '../adapters/types.js';
import type { Relation } from '../adapters/relation.js';
import { kilnVersion } from '../version.js';

/** What the catalog reads of a node (a parsed node has it all). */
export interface CatalogNode {
  resourceType: string;
  database?: string;
  schema: string;
  alias: string;
  config: { materialized?: string };
}

/** What the catalog reads of a source (a parsed source has it all). */
export interface CatalogSource {
  database?: string;
  schema: string;
  identifier: string;
}

/** What the catalog reads of a project: a ParsedProject is one, and so is `catalogProjectOf(manifest.json)`. */
export interface CatalogProject {
  manifest: { nodes: Map<string, CatalogNode>; sources: Map<string, CatalogSource> };
}

interface RelationJson {
  resource_type: string;
  database?: string | null;
  schema: string;
  alias: string;
  identifier: string;
  config?: { materialized?: string };
}

/**
 * The relations of manifest.json as written (its `nodes` and `sources`), as the parsed project gives them: a null
 * database is none. Unit tests are in a section of their own, and name no relation.
 */
export function catalogProjectOf(manifest: {
  nodes?: Record<string, RelationJson>;
  sources?: Record<string, RelationJson>;
}): CatalogProject {
  const nodes = new Map<string, CatalogNode>();
  for (const [id, n] of Object.entries(manifest.nodes ?? {}))
    nodes.set(id, {
      resourceType: n.resource_type,
      database: n.database ?? undefined,
      schema: n.schema,
      alias: n.alias,
      config: { materialized: n.config?.materialized },
    });
  const sources = new Map<string, CatalogSource>();
  for (const [id, s] of Object.entries(manifest.sources ?? {}))
    sources.set(id, { database: s.database ?? undefined, schema: s.schema, identifier: s.identifier });
  return { manifest: { nodes, sources } };
}

export async function buildCatalog(
  parsed: CatalogProject,
  adapter: Adapter,
  ids: string[],
  invocationId: string,
): Promise<Record<string, unknown>> {
  const nodes: Record<string, unknown> = {};
  const sources: Record<string, unknown> = {};
  const errors: string[] = [];
  // One query per schema for relation types, one for columns (where the adapter can), never one per relation.
  const perSchema = <T>(
    cache: Map<string, Promise<T>>,
    database: string | undefined,
    schema: string,
    load: () => Promise<T>,
  ): Promise<T> => {
    const key = `${database ?? ''}.${schema}`;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = load()));
    return p;
  };
  const types = new Map<string, Promise<Map<string, string>>>();
  const typeOf = async (database: string | undefined, schema: string, name: string) =>
    (
      await perSchema(
        types,
        database,
        schema,
        async () =>
          new Map(
            (await adapter.listRelations(database, schema)).map((r) => [
              r.name,
              r.type === 'view' ? 'VIEW' : 'BASE TABLE',
            ]),
          ),
      )
    ).get(name);
  const columnLists = new Map<string, Promise<Map<string, ColumnInfo[]>>>();
  const columnsOf = async (relation: Relation, schema: string) =>
    adapter.listColumns
      ? ((
          await perSchema(columnLists, relation.database, schema, () => adapter.listColumns!(relation.database, schema))
        ).get(relation.identifier) ?? [])
      : adapter.getColumns(relation);
  for (const id of ids) {
    const node = parsed.manifest.nodes.get(id);
    const source = parsed.manifest.sources.get(id);
    const where = node
      ? { database: node.database, schema: node.schema, name: node.alias }
      : source
        ? { database: source.database, schema: source.schema, name: source.identifier }
        : undefined;
    // Tests and unit tests build no relation of their own (a unit test's alias is only its name).
    if (!where || node?.resourceType === 'test' || node?.resourceType === 'unit_test') continue;
    if (node?.config.materialized === 'ephemeral') continue;
    try {
      // Names as the warehouse stores them (Snowflake upper-cases plain identifiers).
      const relation = adapter.relation(where.database, where.schema, where.name);
      const type = await typeOf(relation.database, relation.schema ?? where.schema, relation.identifier);
      if (!type) continue;
      const columns = await columnsOf(relation, relation.schema ?? where.schema);
      const entry = {
        unique_id: id,
        metadata: {
          type,
          schema: where.schema,
          name: where.name,
          database: where.database ?? null,
          comment: null,
          owner: null,
        },
        columns: Object.fromEntries(
          columns.map((c) => [c.name, { type: c.type, index: c.index, name: c.name, comment: null }]),
        ),
        stats: {
          has_stats: {
            id: 'has_stats',
            label: 'Has Stats?',
            value: false,
            include: false,
            description: 'Indicates whether there are statistics for this table',
          },
        },
      };
      (node ? nodes : sources)[id] = entry;
    } catch (e) {
      errors.push(`${id}: ${(e as Error).message}`);
    }
  }
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json',
      dbt_version: kilnVersion,
      generated_at: new Date().toISOString(),
      invocation_id: invocationId,
      env: {},
    },
    nodes,
    sources,
    errors: errors.length ? errors : null,
  };
}
