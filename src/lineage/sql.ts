/**
 * The SQL parser kiln reads compiled SQL with: datafusion's sqlparser-rs, compiled to
 * WebAssembly (`@guanmingchiu/sqlparser-ts`), in the dialect of the project's adapter.
 * Owns loading the parser once and turning its errors into one-line reasons; knows nothing
 * about lineage.
 */
import { init, parse as parseWithDialect, type DialectName } from '@guanmingchiu/sqlparser-ts';

/** The parser's dialect for each adapter kiln knows; others parse as generic SQL. */
const dialects: Record<string, DialectName> = {
  duckdb: 'duckdb',
  postgres: 'postgresql',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
};

export function dialectOf(adapterType: string): DialectName {
  return dialects[adapterType] ?? 'generic';
}

let ready: Promise<void> | undefined;

/** Loads the WebAssembly parser (from the package's own file; nothing is downloaded). */
export function loadSqlParser(): Promise<void> {
  return (ready ??= init());
}

/** A JSON syntax tree as sqlparser-rs serialises it: enums are `{ Variant: payload }` or `"Variant"`. */
export type SqlAst = unknown;

export type ParsedStatement = { ok: true; statement: SqlAst } | { ok: false; reason: string };

/** Parses one statement (the parser must be loaded); a failure is a reason, never a throw. */
export function parseStatement(sql: string, dialect: DialectName): ParsedStatement {
  let statements: unknown[];
  try {
    statements = parseWithDialect(sql, dialect);
  } catch (e) {
    const message = (e as Error).message.replace(/^sql parser error: /, '');
    return { ok: false, reason: `${dialect} parser: ${message}` };
  }
  if (statements.length !== 1) return { ok: false, reason: `expected one statement, found ${statements.length}` };
  return { ok: true, statement: statements[0] };
}
