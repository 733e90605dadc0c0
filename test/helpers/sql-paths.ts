/**
 * Dotted names (`a.b.c`) in SQL text, for the cloud stand-ins that rewrite relation names
 * before DuckDB runs a statement. Each dialect quotes an identifier its own way, so it passes
 * the reader of one identifier.
 */
export interface PathPart {
  value: string;
  quoted: boolean;
  end: number;
}

export type IdentifierReader = (s: string, i: number) => PathPart | undefined;

/** The parts of the dotted name starting at `i` (none if no identifier starts there), and where it ends. */
export function dottedPathAt(s: string, i: number, identifierAt: IdentifierReader): { parts: PathPart[]; end: number } {
  const parts: PathPart[] = [];
  let end = i;
  for (let part = identifierAt(s, end); part; part = s[end] === '.' ? identifierAt(s, end + 1) : undefined) {
    parts.push(part);
    end = part.end;
  }
  return { parts, end };
}
