/**
 * What lineage reads of a project, from manifest.json as written instead of a parsed project: `docs generate`
 * after a compile replay has no parsed project, and manifest.json holds all lineage reads (each node's compiled SQL
 * as `compiled_code`, the DAG's order and parents as `parent_map`). Every field is mapped to the value the parsed
 * node has: JSON's null is the parse's absent value.
 */
import {
  nodesNeedingSql,
  type LineageDag,
  type LineageNode,
  type LineageProject,
  type LineageSource,
} from './project.js';

/** The fields of a manifest.json node or source entry lineage reads. */
interface EntryJson {
  unique_id: string;
  resource_type: string;
  name: string;
  original_file_path: string;
  config?: { materialized?: string; unique_key?: unknown; updated_at?: unknown };
  columns?: Record<string, { name: string }>;
  depends_on?: { nodes?: string[] };
  database?: string | null;
  schema: string;
  alias: string;
  identifier: string;
  attached_node?: string | null;
  column_name?: string | null;
  test_metadata?: { kwargs?: Record<string, unknown> };
  compiled_code?: string;
}

export interface ManifestJson {
  nodes?: Record<string, EntryJson>;
  sources?: Record<string, EntryJson>;
  parent_map?: Record<string, string[]>;
}

export interface ManifestLineageInput {
  parsed: LineageProject & { project: { projectDir: string; targetPath: string } };
  dag: LineageDag;
  compiledSql: (id: string) => string | Error;
  /** Whether every node lineage reads SQL of has its compiled SQL in the file (a whole project's compile). */
  complete: boolean;
}

export function lineageInputOf(
  manifest: ManifestJson,
  project: { projectDir: string; targetPath: string },
): ManifestLineageInput {
  const nodes = new Map<string, LineageNode>();
  const sql = new Map<string, string>();
  for (const [id, n] of Object.entries(manifest.nodes ?? {})) {
    nodes.set(id, lineageNode(n));
    if (typeof n.compiled_code === 'string') sql.set(id, n.compiled_code);
  }
  const sources = new Map<string, LineageSource>();
  for (const [id, s] of Object.entries(manifest.sources ?? {}))
    sources.set(id, {
      uniqueId: s.unique_id,
      database: s.database ?? undefined,
      schema: s.schema,
      identifier: s.identifier,
      columns: names(s.columns),
    });
  // parent_map is written in the DAG's order, each node's parents in the DAG's order too.
  const parentMap = manifest.parent_map ?? {};
  const dag: LineageDag = { order: Object.keys(parentMap), parents: (id) => parentMap[id] ?? [] };
  const parsed = { manifest: { nodes, sources }, project };
  return {
    parsed,
    dag,
    compiledSql: (id) => sql.get(id) ?? new Error(`no compiled SQL for ${id} in manifest.json`),
    complete: nodesNeedingSql(parsed, dag).every((id) => sql.has(id)),
  };
}

const names = (columns: Record<string, { name: string }> | undefined) => {
  const out: Record<string, { name: string }> = {};
  for (const [key, c] of Object.entries(columns ?? {})) out[key] = { name: c.name };
  return out;
};

function lineageNode(n: EntryJson): LineageNode {
  const kwargs = n.test_metadata?.kwargs;
  const config = n.config ?? {};
  return {
    uniqueId: n.unique_id,
    resourceType: n.resource_type,
    name: n.name,
    originalFilePath: n.original_file_path,
    config: {
      materialized: config.materialized,
      unique_key: config.unique_key ?? undefined,
      updated_at: config.updated_at ?? undefined,
    },
    columns: names(n.columns),
    dependsOn: { nodes: n.depends_on?.nodes ?? [] },
    database: n.database ?? undefined,
    schema: n.schema,
    alias: n.alias,
    attachedNode: n.attached_node ?? undefined,
    columnName: n.column_name ?? undefined,
    ...(kwargs ? { testMetadata: { kwargs: { column_name: kwargs.column_name, field: kwargs.field } } } : {}),
  };
}
