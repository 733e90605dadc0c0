import type { Document, LineCounter, Node } from 'yaml';
import type { ErrorObject } from 'ajv';
import jsyaml from 'js-yaml';
import { KilnError } from '../errors.js';
import { readTextFile } from './text-file.js';
import { pyyamlSchema } from '../template/pyyaml.js';
import { validatorFor } from './validators.js';
import { yamlLibrary } from '../yaml/library.js';
import { hasAnchor, refuseAliasExpansion } from '../yaml/aliases.js';
import { readBlockYaml } from '../yaml/block-subset.js';

/** A parsed YAML file that can still say on which line a value stands. */
export interface YamlFile {
  file: string;
  data: unknown;
  lineOf(path: ReadonlyArray<string | number>): number | undefined;
  /** The line of the key itself (for an unknown key), rather than of its value. */
  lineOfKey(path: ReadonlyArray<string | number>): number | undefined;
}

/**
 * YAML 1.2's core schema plus the merge key (`<<: *defaults`, `<<: [*a, *b]`), which PyYAML
 * (and so dbt) honours: explicit keys win over merged ones, and in a list of merged maps an
 * earlier map wins over a later one.
 */
const schema = jsyaml.CORE_SCHEMA.extend({
  implicit: [(jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge],
});

/**
 * The data of a YAML text, as every YAML file kiln reads is loaded (dbt_project.yml,
 * profiles.yml, properties, selectors.yml, packages.yml, `--vars`, ...). A syntax error is a
 * KilnError of kind 'yaml' with the file and line. May return null or undefined (an empty text).
 * `pyyaml` reads it as dbt's PyYAML does, into the template engine's values (YAML 1.1: `yes` is
 * true, `2.0` a float that prints `2.0`, `1e3` text, dates are dates): how vars are read.
 */
export function loadYamlData(text: string, file: string, opts: { pyyaml?: boolean } = {}): unknown {
  // Plain block YAML is read a line at a time; anything else (and every error) is js-yaml's. PyYAML's YAML 1.1 reads
  // some plain words otherwise (`yes`, `on`), so vars always go to js-yaml.
  const plain = opts.pyyaml ? undefined : readBlockYaml(text);
  if (plain) return plain.data;
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: opts.pyyaml ? pyyamlSchema : schema, filename: file });
  } catch (e) {
    const err = e as { reason?: string; message?: string; mark?: { line: number; column: number } };
    throw new KilnError('yaml', `invalid YAML: ${err.reason ?? err.message ?? String(e)}`, {
      file,
      line: err.mark ? err.mark.line + 1 : undefined,
      column: err.mark ? err.mark.column + 1 : undefined,
      hint: 'check indentation, colons and quotes on that line',
    });
  }
  if (!hasAnchor(text)) return data;
  refuseAliasExpansion(data, text, file);
  // An alias (or a merge) shares the anchored value; copies keep a later change to one
  // place (a config normalised in place, say) from showing in the other.
  return unshare(data);
}

function unshare(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unshare);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unshare(v);
    return out;
  }
  return value;
}

/**
 * Data comes from js-yaml (several times faster than building a `yaml` Document, which
 * matters at thousands of models); line numbers come from the `yaml` library's Document,
 * built only when a line is first asked for — on the error path, almost always. A path
 * into an alias or a merged map finds the line where the value is written (under its anchor).
 * `data` is the text's data when the caller has it already (the partial parse cache's copy).
 */
export function parseYaml(text: string, file: string, data: unknown = loadYamlData(text, file)): YamlFile {
  let located: { doc: Document; lineCounter: LineCounter } | undefined;
  const locate = () => {
    if (!located) {
      const { LineCounter, parseDocument } = yamlLibrary();
      const lineCounter = new LineCounter();
      located = { doc: parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false }), lineCounter };
    }
    return located;
  };
  const lineAt = (node: unknown): number | undefined =>
    yamlLibrary().isNode(node) && node.range ? locate().lineCounter.linePos(node.range[0]).line : undefined;
  const lineOf = (path: ReadonlyArray<string | number>): number | undefined => {
    const { doc } = locate();
    for (let n = path.length; n >= 0; n--) {
      const line = lineAt(nodeAt(doc, path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
  const lineOfKey = (path: ReadonlyArray<string | number>): number | undefined => {
    const { doc } = locate();
    const pair = pairIn(doc, nodeAt(doc, path.slice(0, -1)), path[path.length - 1]!);
    return lineAt(pair?.key) ?? lineOf(path);
  };
  return { file, data: data ?? {}, lineOf, lineOfKey };
}

type Pair = { key: unknown; value: unknown };

/** The node at a path of keys and indexes, through aliases and merge keys; undefined if none. */
function nodeAt(doc: Document, path: ReadonlyArray<string | number>): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    node = resolve(doc, node);
    if (yamlLibrary().isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else node = pairIn(doc, node, seg)?.value;
    if (node === undefined || node === null) return undefined;
  }
  return yamlLibrary().isNode(node) ? node : undefined;
}

/** The pair of `key` in a map: its own, else the first merged map's (as PyYAML merges). */
function pairIn(doc: Document, map: unknown, key: string | number, depth = 0): Pair | undefined {
  const node = resolve(doc, map);
  if (!yamlLibrary().isMap(node) || depth > 20) return undefined;
  const own = node.items.find(
    (p) => yamlLibrary().isScalar(p.key) && String(p.key.value) === String(key) && !isMergeKey(p.key),
  );
  if (own) return own;
  for (const p of node.items) {
    if (!isMergeKey(p.key)) continue;
    const value = resolve(doc, p.value);
    for (const source of yamlLibrary().isSeq(value) ? value.items : [value]) {
      const found = pairIn(doc, source, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

const isMergeKey = (key: unknown) => yamlLibrary().isScalar(key) && key.value === '<<' && key.type === 'PLAIN';

function resolve(doc: Document, node: unknown): unknown {
  for (let i = 0; yamlLibrary().isAlias(node) && i < 20; i++) node = node.resolve(doc);
  return node;
}

export function readYamlFile(file: string, displayPath = file): YamlFile {
  return parseYaml(readTextFile(file, displayPath), displayPath);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The candidate closest to `word`, if it is close enough to be a likely typo. */
export function closestWord(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** The innermost `description` along an error's schema path: the words for what a value must be. */
function expectedAlong(schema: object, schemaPath: string): string | undefined {
  let node: unknown = schema;
  let expects: string | undefined;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (!node || typeof node !== 'object') break;
    const described = (node as { description?: unknown }).description;
    if (typeof described === 'string') expects = described;
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return expects;
}

function describeError(e: ErrorObject, schema?: object): string {
  const at = e.instancePath ? `'${e.instancePath.slice(1).replace(/\//g, '.')}'` : 'the file';
  const expects =
    schema && ['type', 'enum', 'anyOf', 'pattern', 'minimum'].includes(e.keyword)
      ? expectedAlong(schema, e.schemaPath)
      : undefined;
  if (expects) return `${at} must be ${expects}`;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}' in ${at}`;
    case 'required':
      return `${at} is missing the required key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'type':
      // A key that may also be left empty (null) is described by its real type.
      return `${at} must be ${String((e.params as { type: string | string[] }).type).replace(/,null$/, '')}`;
    case 'enum':
      return `${at} must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

/**
 * Validates (and coerces, e.g. "5432" to 5432 where a number is expected) a YAML value
 * against a JSON Schema; the first problem becomes a KilnError pointing at its line.
 */
export function validateYaml(
  schema: object,
  yaml: YamlFile,
  data: unknown = yaml.data,
  basePath: Array<string | number> = [],
): void {
  const problem = schemaProblem(schema, data);
  if (!problem) return;
  const path = [...basePath, ...problem.path];
  throw new KilnError('yaml', problem.message, {
    file: yaml.file,
    line: problem.atKey ? yaml.lineOfKey(path) : yaml.lineOf(path),
  });
}

/**
 * The first problem of a value against a JSON Schema (after coercing, e.g. "5432" to 5432
 * where a number is expected): what is wrong, and the path to the value (or to the key,
 * `atKey`, for an unknown key). Undefined when the value fits.
 */
export function schemaProblem(
  schema: object,
  data: unknown,
): { message: string; path: Array<string | number>; atKey: boolean } | undefined {
  const validate = validatorFor(schema);
  if (validate(data)) return undefined;
  const e = validate.errors![0]!;
  const path: Array<string | number> = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const atKey = e.keyword === 'additionalProperties';
  if (atKey) path.push((e.params as { additionalProperty: string }).additionalProperty);
  return { message: describeError(e, schema), path, atKey };
}
