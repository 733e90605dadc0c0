/** What kind of statement a piece of GoogleSQL is, by its first keyword. */

/** Leading whitespace, comments and opening parentheses, which say nothing of the statement. */
const lead = /^(?:\s+|--[^\n]*\n?|#[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;

/**
 * True for INSERT, UPDATE, DELETE, MERGE and TRUNCATE: statements that change rows, and that a retry must never run
 * twice.
 */
export function isDml(sql: string): boolean {
  return /^(insert|update|delete|merge|truncate)\b/i.test(sql.replace(lead, ''));
}

/** Statements that may run a second time with the same effect: neither DML nor a script (which may hold DML). */
export function safeToRepeat(sql: string): boolean {
  const head = sql.replace(lead, '');
  return !isDml(head) && !/^(begin|declare)\b/i.test(head);
}
