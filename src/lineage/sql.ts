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

/**
 * A statement with the parts dbt models are made of (CTEs, joins, aggregates, a window, CASE,
 * casts, a subquery, quoted three-part names), in SQL every dialect reads.
 */
const warmUpStatement =
  `with orders as (select customer_id, sum(amount) as total, count(*) as n from "db"."main"."orders" ` +
  `where status <> 'void' group by customer_id), customers as (select * from "db"."main"."customers") ` +
  `select o.customer_id, coalesce(c.name, 'unknown') as name, case when o.total > 100 then 'large' else 'small' end ` +
  `as size, row_number() over (partition by c.region order by o.total desc) as rank, cast(o.total as double) / o.n ` +
  `as mean from orders o left join customers c on o.customer_id = c.id where o.customer_id in (select id from customers) ` +
  `order by 1`;

/**
 * Parses a typical statement again and again, until `stop()` says so or `times` are done, yielding
 * to the event loop now and then so `stop` can change. The parser's code is compiled and optimised
 * as it runs: done while a worker waits for its job, the first thousands of real statements parse
 * about three times faster (10,000 statements: ~1.8 s of CPU cold, ~0.5 s after 1,000 of these).
 * Returns how many it parsed.
 */
export async function warmUpSqlParser(stop: () => boolean, times = 1000): Promise<number> {
  await loadSqlParser();
  let parsed = 0;
  while (parsed < times && !stop()) {
    if (!parseStatement(warmUpStatement, 'generic').ok) break;
    if (++parsed % 20 === 0) await new Promise(setImmediate);
  }
  return parsed;
}
