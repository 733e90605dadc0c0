import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, isMap, isScalar, type Document } from 'yaml';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { KilnError } from '../errors.js';

/** A parsed YAML file that can still say on which line a value stands. */
export interface YamlFile {
  file: string;
  data: unknown;
  lineOf(path: ReadonlyArray<string | number>): number | undefined;
  /** The line of the key itself (for an unknown key), rather than of its value. */
  lineOfKey(path: ReadonlyArray<string | number>): number | undefined;
}

export function parseYaml(text: string, file: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    const firstLine = err.message.split('\n')[0] ?? err.message;
    throw new KilnError('yaml', `invalid YAML: ${firstLine}`, {
      file,
      line: pos?.line,
      column: pos?.col,
      hint: 'check indentation, colons and quotes on that line',
    });
  }
  const lineOf = (path: ReadonlyArray<string | number>): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const lineOfKey = (path: ReadonlyArray<string | number>): number | undefined => {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    return lineOf(path);
  };
  return { file, data: doc.toJS() ?? {}, lineOf, lineOfKey };
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
