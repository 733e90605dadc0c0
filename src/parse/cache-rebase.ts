/**
 * A partial parse cache made while the project was in another folder: a CI cache restored into a checkout at
 * another path, a project copied to a fresh folder for each task (as orchestrators run dbt). dbt's partial parsing
 * survives that (its files are named relative to the project); kiln's cache names files by absolute path, so it is
 * rewritten for the folder the project is in now.
 *
 * Only where the cache itself wrote a path: a JSON string that starts with the old folder (a file, a folder, a
 * compiled file's record, a macro file a render read), or a line of the replay record's file listing. Anything
 * else naming the old folder (a model's SQL that reads a file by its absolute path, say) could be a path the cache
 * must keep as written, so such a cache is not rebased at all: the project is parsed from scratch, as before.
 */

/** The cache's bytes with `from` (the folder it was made in) replaced by `to`, or undefined when that is not safe. */
export function rebasedCache(bytes: Buffer, from: string, to: string): Buffer | undefined {
  // Byte for byte: latin1 maps each byte to one character and back, whatever UTF-8 the cache holds.
  const asText = (path: string) => Buffer.from(JSON.stringify(path).slice(1, -1), 'utf8').toString('latin1');
  const old = asText(from);
  const now = asText(to);
  const text = bytes.toString('latin1');
  const parts: string[] = [];
  let copied = 0;
  // The line `at` is in: where it ends, and whether it is the replay record's (found once a line, not per mention:
  // that record lists every file of the project on one line).
  let lineEnd = -1;
  let replayLine = false;
  for (let at = text.indexOf(old); at >= 0; at = text.indexOf(old, at + old.length)) {
    const after = text[at + old.length];
    // Another folder whose name starts with the old one's (`/home/ana/shop-old` of `/home/ana/shop`): not the project's.
    if (after !== '/' && after !== '"') continue;
    if (at > lineEnd) {
      replayLine = text.startsWith('r\t"replay"\t', text.lastIndexOf('\n', at) + 1);
      lineEnd = text.indexOf('\n', at);
      if (lineEnd < 0) lineEnd = text.length;
    }
    if (!writtenPath(text, at, after, replayLine)) return undefined;
    parts.push(text.slice(copied, at), now);
    copied = at + old.length;
  }
  if (copied === 0) return bytes;
  parts.push(text.slice(copied));
  return Buffer.from(parts.join(''), 'latin1');
}

/** Whether the mention of the old folder at `at` is a path the cache wrote (see the module's comment). */
function writtenPath(text: string, at: number, after: string, replayLine: boolean): boolean {
  // A JSON string's first character: its opening quote is not escaped (a quote inside a string is `\"`).
  if (text[at - 1] === '"' && text[at - 2] !== '\\') return true;
  // A line of the file listing, which the replay record holds as one string of lines.
  return replayLine && after === '/' && text[at - 1] === 'n' && text[at - 2] === '\\' && text[at - 3] !== '\\';
}
