/**
 * `target/column_lineage.json`: the project's column lineage as a file (schema in
 * docs/lineage.md), built from a parsed project and a compiler, and read back.
 */
import { Compiler } from '../compile/compiler.js';
import type { Dag } from '../graph/dag.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import { projectLineage } from './project.js';
import { loadSqlParser } from './sql.js';
import type { ColumnLineage } from './types.js';
import { catalogColumns, readCatalog, readPreviousLineage, type CatalogJson } from './file.js';

export { columnLineageFile, columnLineageJson, readColumnLineage } from './file.js';

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
  const compiledSql = compiledSqlOf(compiler);
  const previous = readPreviousLineage(parsed.project.targetPath);
  return projectLineage({
    parsed,
    dag,
    adapterType: session.adapter.type,
    compiledSql,
    catalog: catalogColumns(catalog ?? readCatalog(parsed.project.targetPath)),
    previous,
  });
}

/** A node's compiled SQL by `compiler`, or the Error that stopped it: lineage marks that node unparsed. */
export function compiledSqlOf(compiler: Compiler): (id: string) => string | Error {
  return (id) => {
    try {
      return compiler.compile(id).compiledCode;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
}
