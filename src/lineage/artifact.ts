/**
 * `target/column_lineage.json`: the project's column lineage as a file (schema in
 * docs/lineage.md), built from a parsed project and a compiler, and read back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Compiler } from '../compile/compiler.js';
import type { Dag } from '../graph/dag.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import { kilnVersion } from '../version.js';
import { projectLineage, type CatalogColumns } from './project.js';
import { loadSqlParser } from './sql.js';
import type { ColumnLineage } from './types.js';

export const columnLineageFile = 'column_lineage.json';

/**
 * Lineage of every node of a parsed project. Nodes are compiled with `compiler` (one that
 * already compiled some keeps them); a node that cannot compile without a warehouse is
 * marked unparsed with the reason. `catalog` is catalog.json's object when the caller has just
 * built it (docs generate), so the file is not read back; otherwise the file, if there is one.
 */
export async function buildColumnLineage(
  parsed: ParsedProject,
  session: KilnSession,
  dag: Dag,
  compiler: Compiler = new Compiler(parsed, session),
  catalog?: CatalogJson,
): Promise<ColumnLineage> {
  await loadSqlParser();
  const compiledSql = (id: string): string | Error => {
    try {
      return compiler.compile(id).compiledCode;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  const previousFile = join(parsed.project.targetPath, columnLineageFile);
  let previous: ColumnLineage | undefined;
  try {
    previous = existsSync(previousFile) ? readColumnLineage(previousFile) : undefined;
  } catch {
    // An unreadable previous file is no cache.
  }
  return projectLineage({
    parsed,
    dag,
    adapterType: session.adapter.type,
    compiledSql,
    catalog: catalogColumns(catalog ?? readCatalog(parsed.project.targetPath)),
    previous,
  });
}

/** The part of catalog.json lineage reads: each relation's columns. */
type CatalogJson = Record<string, unknown>;
type CatalogSection = Record<string, { columns?: Record<string, { name?: string; index?: number }> }>;

/** catalog.json, when `kiln docs generate` wrote one: its columns resolve `select *` of undocumented relations. */
function readCatalog(targetPath: string): CatalogJson | undefined {
  const file = join(targetPath, 'catalog.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CatalogJson;
  } catch {
    // A catalog that does not read is no catalog: lineage falls back to declared columns.
    return undefined;
  }
}

function catalogColumns(catalog: CatalogJson | undefined): CatalogColumns | undefined {
  if (!catalog) return undefined;
  const out: CatalogColumns = new Map();
  for (const section of [catalog.nodes, catalog.sources] as Array<CatalogSection | undefined>) {
    for (const [id, entry] of Object.entries(section ?? {})) {
      const columns = Object.entries(entry?.columns ?? {}).sort(([, a], [, b]) => (a.index ?? 0) - (b.index ?? 0));
      out.set(
        id,
        columns.map(([name, c]) => (c.name ?? name).toLowerCase()),
      );
    }
  }
  return out;
}

/** The file's JSON: snake_case keys, as dbt's artifacts. */
export function columnLineageJson(lineage: ColumnLineage, invocationId?: string): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  for (const [id, n] of Object.entries(lineage.nodes)) {
    nodes[id] = {
      resource_type: n.resourceType,
      parsed: n.parsed,
      ...(n.dialect ? { dialect: n.dialect } : {}),
      ...(n.reason ? { reason: n.reason } : {}),
      ...(n.columnsFrom ? { columns_from: n.columnsFrom } : {}),
      ...(n.cacheKey ? { cache_key: n.cacheKey } : {}),
      columns: n.columns.map((c) => ({
        name: c.name,
        upstream: c.upstream,
        ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
      })),
    };
  }
  const tests: Record<string, unknown> = {};
  for (const [id, t] of Object.entries(lineage.tests))
    tests[id] = { ...(t.attachedNode ? { attached_node: t.attachedNode } : {}), reads: t.reads };
  return {
    metadata: {
      kiln_version: kilnVersion,
      generated_at: new Date().toISOString(),
      ...(invocationId ? { invocation_id: invocationId } : {}),
    },
    nodes,
    tests,
  };
}

/** Reads a column_lineage.json written by kiln (the current project's or a state folder's). */
export function readColumnLineage(file: string): ColumnLineage {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Record<string, any>; tests: Record<string, any> };
  const lineage: ColumnLineage = { nodes: {}, tests: {} };
  for (const [id, n] of Object.entries(json.nodes ?? {})) {
    lineage.nodes[id] = {
      resourceType: n.resource_type,
      parsed: n.parsed,
      dialect: n.dialect,
      reason: n.reason,
      columnsFrom: n.columns_from,
      cacheKey: n.cache_key,
      columns: n.columns ?? [],
    };
  }
  for (const [id, t] of Object.entries(json.tests ?? {}))
    lineage.tests[id] = { attachedNode: t.attached_node, reads: t.reads ?? [] };
  return lineage;
}
