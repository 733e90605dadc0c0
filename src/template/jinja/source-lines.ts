/**
 * Which template line each line of a render came from, so an error in the rendered SQL can
 * name the line the user wrote. The render records, per chunk of output, the template line of
 * the text or expression that produced it; nothing else is kept.
 */

/**
 * The render's output buffer. When lines are tracked, `sites` has one entry per chunk: the
 * template line it came from, positive for template text (whose own newlines advance the line),
 * negative for a printed value (all of which comes from that one line).
 */
export type Output = string[] & { sites?: number[] };

/** An output buffer that records where its chunks came from. */
export function trackedOutput(): Output {
  return Object.assign([] as string[], { sites: [] as number[] });
}

/** Appends a chunk; a tracked buffer notes where it came from. Every chunk goes through here. */
export function emit(out: Output, text: string, line: number, literal: boolean): void {
  out.push(text);
  out.sites?.push(literal ? line : -line);
}

/**
 * For each output line (index 0 is line 1), the template line of its first non-blank
 * character; blank lines take the line before them.
 */
export function outputLineSources(chunks: readonly string[], sites: readonly number[]): number[] {
  const result: number[] = [];
  let outLine = 0;
  let lineFound = false;
  let templateLine = 1;
  for (let i = 0; i < chunks.length; i++) {
    const text = chunks[i]!;
    const site = sites[i] ?? templateLine;
    templateLine = Math.abs(site);
    const advances = site > 0;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      const stop = end < 0 ? text.length : end;
      // Only the start of a line is looked at: its first non-blank character decides.
      if (!lineFound) {
        let c = start;
        while (c < stop && isBlank(text.charCodeAt(c))) c++;
        if (c < stop) {
          result[outLine] = templateLine;
          lineFound = true;
        }
      }
      if (end < 0) break;
      if (!lineFound) result[outLine] = 0;
      outLine++;
      lineFound = false;
      if (advances) templateLine++;
      start = end + 1;
    }
  }
  if (!lineFound) result[outLine] = 0;
  // Blank lines (0) take the line before them.
  for (let i = 0, previous = 1; i < result.length; i++) previous = result[i] ||= previous;
  return result;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 13;
}
