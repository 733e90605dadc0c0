/** Ephemeral models are inlined as CTEs named `__dbt__cte__<name>`, as dbt names them. */
export function cteName(modelName: string): string {
  return `__dbt__cte__${modelName}`;
}

const leadingWith = /^((?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*)with\b(\s+recursive\b)?/i;

/** Prepends CTEs to a query, merging with the query's own WITH clause when it has one. */
export function injectCtes(sql: string, ctes: Array<{ name: string; sql: string }>): string {
  if (ctes.length === 0) return sql;
  const defs = ctes.map((c) => `${c.name} as (\n${c.sql.trim().replace(/;\s*$/, '')}\n)`).join(', ');
  const m = leadingWith.exec(sql);
  if (m) return `${m[1]}with${m[2] ?? ''} ${defs}, ${sql.slice(m[0].length).replace(/^\s+/, '')}`;
  return `with ${defs}\n${sql}`;
}
