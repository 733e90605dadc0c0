/**
 * `target/column_lineage.json` and the part of catalog.json lineage reads, as files: written,
 * read back, and the last one read as a cache. Loads no parser and no compiler, so the lineage
 * worker thread imports it too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kilnVersion } from '../version.js';
import { secretValues } from '../secrets.js';
import type { CatalogColumns } from './project.js';
import type { ColumnLineage } from './types.js';

export const columnLineageFile = 'column_lineage.json';

/** Whether a target path holds a column_lineage.json (lineage's cache; not read). */
export function hasPreviousLineage(targetPath: string): boolean {
  return existsSync(join(targetPath, columnLineageFile));
}

/** The last column_lineage.json of a target path, if there is one that reads: lineage's cache. */
export function readPreviousLineage(targetPath: string): ColumnLineage | undefined {
  try {
    return hasPreviousLineage(targetPath) ? readColumnLineage(join(targetPath, columnLineageFile)) : undefined;
  } catch {
    // An unreadable previous file is no cache.
    return undefined;
  }
}

/** The part of catalog.json lineage reads: each relation's columns. */
export type CatalogJson = Record<string, unknown>;
type CatalogSection = Record<string, { columns?: Record<string, { name?: string; index?: number }> }>;

/** catalog.json, when `kiln docs generate` wrote one: its columns resolve `select *` of undocumented relations. */
export function readCatalog(targetPath: string): CatalogJson | undefined {
  const file = join(targetPath, 'catalog.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CatalogJson;
  } catch {
    // A catalog that does not read is no catalog: lineage falls back to declared columns.
    return undefined;
  }
}

export function catalogColumns(catalog: CatalogJson | undefined): CatalogColumns | undefined {
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
  // The file is written scrubbed of secret values (a column named after one, say): an entry read back then is not
  // what its key computed, so none is written reusable.
  const reusable = secretValues().length === 0;
  const nodes: Record<string, unknown> = {};
  for (const [id, n] of Object.entries(lineage.nodes)) {
    nodes[id] = {
      resource_type: n.resourceType,
      parsed: n.parsed,
      ...(n.dialect ? { dialect: n.dialect } : {}),
      ...(n.reason ? { reason: n.reason } : {}),
      ...(n.columnsFrom ? { columns_from: n.columnsFrom } : {}),
      ...(n.cacheKey && reusable ? { cache_key: n.cacheKey } : {}),
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
