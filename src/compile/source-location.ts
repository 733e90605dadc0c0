/**
 * Following a warehouse error's line back to the user's file: from the statement that ran to
 * the compiled code inside it, and from there to the node's rendered body.
 */

/**
 * `line` of `outer` as a line of `inner`, when `inner` is part of `outer`: found whole (the
 * usual case: a materialization wraps the compiled code), else by the line's own text when only
 * one line of `inner` reads the same. Undefined when the line is not in `inner`.
 */
export function lineWithin(outer: string, line: number, inner: string): number | undefined {
  const at = outer.indexOf(inner);
  if (at >= 0) {
    const first = lineAt(outer, at);
    const innerLines = countLines(inner);
    return line >= first && line < first + innerLines ? line - first + 1 : undefined;
  }
  const text = outer.split('\n')[line - 1]?.trim();
  if (!text) return undefined;
  const matches = inner.split('\n').flatMap((l, i) => (l.trim() === text ? [i + 1] : []));
  return matches.length === 1 ? matches[0] : undefined;
}

/** The 1-based line of character offset `at`. */
function lineAt(text: string, at: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function countLines(text: string): number {
  return lineAt(text, text.length);
}

/**
 * The line of the statement a warehouse error points at: DuckDB's and PostgreSQL's
 * "LINE 7:" and kiln's PostgreSQL wording "at line 7, column 3 of the statement".
 */
export function statementLineOf(message: string): number | undefined {
  const m = /^LINE (\d+):/m.exec(message) ?? /at line (\d+), column \d+ of the statement/.exec(message);
  return m ? Number(m[1]) : undefined;
}
