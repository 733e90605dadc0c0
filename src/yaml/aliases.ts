/**
 * YAML alias bombs refused: a file whose aliases would expand past a limit is an error at the
 * line where the multiplying starts. Shared by every reader of YAML (config, properties,
 * `fromyaml` in templates); knows nothing of kiln's files.
 */
import { KilnError } from '../errors.js';
import { yamlLibrary } from './library.js';

/**
 * Most values a file may expand to through aliases, beyond what it writes out (the `yaml` package's maxAliasCount
 * idea).
 */
const maxAliasExpansion = 100_000;

/**
 * Aliases of aliases multiply: 700 bytes can stand for 9^9 values (billion laughs), and
 * copying or validating them would take minutes and gigabytes. The expanded size is counted
 * once per shared value, so the check costs no more than the file's own size.
 */
export function refuseAliasExpansion(data: unknown, text: string, file: string): void {
  if (!hasAnchor(text)) return;
  const sizes = new Map<object, number>();
  const sizeOf = (value: unknown): number => {
    if (!value || typeof value !== 'object') return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    sizes.set(value, 1); // a self-referencing alias counts once
    let size = 1;
    for (const v of Array.isArray(value) ? value : Object.values(value)) size += sizeOf(v);
    sizes.set(value, size);
    return size;
  };
  const expanded = sizeOf(data);
  if (expanded <= maxAliasExpansion + sizes.size * 10) return;
  throw new KilnError(
    'yaml',
    `YAML aliases expand to ${expanded > 1e9 ? 'over a billion' : expanded.toLocaleString('en')} ` +
      `values, too many (an alias bomb?)`,
    {
      file,
      line: lineOfNestedAlias(text),
      hint:
        `an alias (*name) of a value that itself holds aliases multiplies; ` +
        `write the values out, or use fewer nested aliases`,
    },
  );
}

/** The line of the first alias whose anchored value holds aliases itself: where the multiplying starts. */
function lineOfNestedAlias(text: string): number | undefined {
  const { LineCounter, parseDocument, isMap, isSeq, visit } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  let line: number | undefined;
  visit(doc, {
    Alias(_, node) {
      const target = node.resolve(doc);
      let nested = false;
      if (target && (isMap(target) || isSeq(target))) visit(target, { Alias: () => ((nested = true), visit.BREAK) });
      if (nested && node.range) {
        line = lineCounter.linePos(node.range[0]).line;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return line;
}

/** `&name` outside a quoted string is an anchor; a false positive only costs a copy. */
export const hasAnchor = (text: string) => /(^|[\s[{,:-])&[^\s]/.test(text);
