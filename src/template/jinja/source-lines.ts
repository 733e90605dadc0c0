/**
 * Which template line each line of a render came from, so an error in the rendered SQL can
 * name the line the user wrote. The render records, per chunk of output, the template line of
 * the text or expression that produced it; nothing else is kept.
 */

/** The render's output buffer; `lines`/`literal` are present only when lines are tracked. */
export type Output = string[] & { lines?: number[]; literal?: boolean[] };

/** An output buffer that records where its chunks came from. */
export function trackedOutput(): Output {
  return Object.assign([] as string[], { lines: [] as number[], literal: [] as boolean[] });
}

/** Appends a chunk; a tracked buffer notes its template line (literal text advances with its own newlines). */
export function emit(out: Output, text: string, line: number, literal: boolean): void {
  out.push(text);
  if (out.lines) {
    out.lines[out.length - 1] = line;
    out.literal![out.length - 1] = literal;
  }
}

/**
 * For each output line (index 0 is line 1), the template line of its first non-blank
 * character; blank lines take the line before them.
 */
export function outputLineSources(chunks: readonly string[], lines: readonly (number | undefined)[], literal: readonly (boolean | undefined)[]): number[] {
  const result: number[] = [];
  let outLine = 0;
  let known = 1;
  for (let i = 0; i < chunks.length; i++) {
    const text = chunks[i]!;
    let templateLine = lines[i] ?? known;
    known = templateLine;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      const segmentEnd = end < 0 ? text.length : end;
      if (result[outLine] === undefined && /\S/.test(text.slice(start, segmentEnd))) result[outLine] = templateLine;
      if (end < 0) break;
      result[outLine] ??= -1;
      outLine++;
      if (literal[i]) templateLine++;
      start = end + 1;
    }
  }
  let previous = 1;
  for (let i = 0; i <= outLine; i++) {
    if (result[i] === undefined || result[i]! < 0) result[i] = previous;
    previous = result[i]!;
  }
  return result;
}
