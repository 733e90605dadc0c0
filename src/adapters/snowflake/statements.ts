/**
 * Splitting a request into statements. Snowflake runs one statement per request unless
 * MULTI_STATEMENT_COUNT says otherwise; kiln sends a hook or a macro's
 * `statement1; statement2` one statement at a time instead, so that each has its own query
 * id (for cancellation and for checking its outcome) and the first failure stops the rest.
 */

/** The statements of `sql`, split at semicolons outside quotes, comments and $$ blocks; empty ones dropped. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  const skipTo = (from: number, end: string) => {
    const at = sql.indexOf(end, from);
    return at < 0 ? sql.length : at + end.length - 1;
  };
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      // Quotes end at the next unescaped, undoubled quote.
      for (i++; i < sql.length; i++) {
        if (sql[i] === '\\' && ch === "'") i++;
        else if (sql[i] === ch && sql[i + 1] === ch) i++;
        else if (sql[i] === ch) break;
      }
    } else if (ch === '$' && sql[i + 1] === '$') i = skipTo(i + 2, '$$');
    else if (ch === '-' && sql[i + 1] === '-') i = skipTo(i, '\n');
    else if (ch === '/' && sql[i + 1] === '*') i = skipTo(i + 2, '*/');
    else if (ch === ';') {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim() !== '');
}
