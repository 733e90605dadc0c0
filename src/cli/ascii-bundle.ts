/**
 * The bundle's text as ASCII, so that a start reads it as one-byte text (`bundle-loader.ts`): a single character above
 * U+007F makes Node decode all 3.4 MB as UTF-8 into a two-byte string, twice its size in V8's heap and ~4 ms more to
 * decode. esbuild already writes strings and templates with `\u` escapes; what it leaves are comments, regular
 * expressions and the text of tagged templates (`String.raw`), where an escape would be read as written. Build time
 * only: nothing here runs when kiln does.
 */

/**
 * `source` (a CommonJS script) with every character above U+007F written as a `\u` escape, which means the same in a
 * comment, a regular expression, a string or an identifier, except in the text of a tagged template: that is left as
 * it is (so the text is ASCII only when no tagged template holds such a character). A character already escaped by a
 * backslash (`\é` in a regular expression) becomes the escape alone.
 */
export async function asciiSource(source: string): Promise<string> {
  const kept = await taggedTemplates(source);
  let out = '';
  let from = 0;
  let next = 0;
  for (let i = 0; i < source.length; i++) {
    if (source.charCodeAt(i) < 0x80) continue;
    while (next < kept.length && kept[next]![1] <= i) next++;
    if (next < kept.length && kept[next]![0] <= i) continue;
    // An odd run of backslashes before it escapes it: the `\u` escape takes that backslash's place.
    let backslashes = 0;
    while (i - backslashes - 1 >= from && source.charCodeAt(i - backslashes - 1) === 0x5c) backslashes++;
    out += source.slice(from, i - (backslashes % 2)) + `\\u${source.charCodeAt(i).toString(16).padStart(4, '0')}`;
    from = i + 1;
  }
  return out + source.slice(from);
}

/** Where each tagged template's text lies in `source` (start and end offsets, in order), as TypeScript parses it. */
async function taggedTemplates(source: string): Promise<Array<[number, number]>> {
  // Only where there is something to keep: TypeScript takes ~1.5 s to parse the bundle.
  if (!/[^\x00-\x7f]/.test(source)) return [];
  const ts = (await import('typescript')).default;
  const file = ts.createSourceFile('bundle.cjs', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const spans: Array<[number, number]> = [];
  const visit = (node: import('typescript').Node): void => {
    if (ts.isTaggedTemplateExpression(node)) spans.push([node.template.getStart(file), node.template.end]);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return spans.sort((a, b) => a[0] - b[0]);
}
