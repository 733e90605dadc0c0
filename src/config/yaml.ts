import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, isMap, isScalar, type Document } from 'yaml';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import jsyaml from 'js-yaml';
import { KilnError } from '../errors.js';

/** A parsed YAML file that can still say on which line a value stands. */
export interface YamlFile {
  file: string;
  data: unknown;
  lineOf(path: ReadonlyArray<string | number>): number | undefined;
  /** The line of the key itself (for an unknown key), rather than of its value. */
  lineOfKey(path: ReadonlyArray<string | number>): number | undefined;
}

/**
 * Data comes from js-yaml (several times faster than building a `yaml` Document, which
 * matters at thousands of models); line numbers come from the `yaml` library's Document,
 * built only when a line is first asked for — on the error path, almost always.
 */
export function parseYaml(text: string, file: string): YamlFile {
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file });
  } catch (e) {
    const err = e as { reason?: string; message?: string; mark?: { line: number; column: number } };
    throw new KilnError('yaml', `invalid YAML: ${err.reason ?? err.message ?? String(e)}`, {
      file,
      line: err.mark ? err.mark.line + 1 : undefined,
      column: err.mark ? err.mark.column + 1 : undefined,
      hint: 'check indentation, colons and quotes on that line',
    });
  }
  let located: { doc: Document; lineCounter: LineCounter } | undefined;
  const locate = () => {
    if (!located) {
      const lineCounter = new LineCounter();
      located = { doc: parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false }), lineCounter };
    }
    return located;
  };
  const lineOf = (path: ReadonlyArray<string | number>): number | undefined => {
    const { doc, lineCounter } = locate();
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const lineOfKey = (path: ReadonlyArray<string | number>): number | undefined => {
    const { doc, lineCounter } = locate();
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    return lineOf(path);
  };
  return { file, data: data ?? {}, lineOf, lineOfKey };
}

export function readYamlFile(file: string, displayPath = file): YamlFile {
  return parseYaml(readFileSync(file, 'utf8'), displayPath);
}

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: true, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

function describeError(e: ErrorObject): string {
  const at = e.instancePath ? `'${e.instancePath.slice(1).replace(/\//g, '.')}'` : 'the file';
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${(e.params as { additionalProperty: string }).additionalProperty}' in ${at}`;
    case 'required':
      return `${at} is missing the required key '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'type':
      return `${at} must be ${(e.params as { type: string }).type}`;
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
export function validateYaml(schema: object, yaml: YamlFile, data: unknown = yaml.data, basePath: Array<string | number> = []): void {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return;
  const e = validate.errors![0]!;
  const segs = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'additionalProperties') {
    segs.push((e.params as { additionalProperty: string }).additionalProperty);
    throw new KilnError('yaml', describeError(e), { file: yaml.file, line: yaml.lineOfKey([...basePath, ...segs]) });
  }
  throw new KilnError('yaml', describeError(e), { file: yaml.file, line: yaml.lineOf([...basePath, ...segs]) });
}
