/**
 * Generic test entries of properties YAML (`- unique`, `- accepted_values: {values: [...]}`)
 * turned into test nodes, named as dbt names them so selectors and artifacts line up.
 */
import { createHash } from 'node:crypto';
import { KilnError } from '../errors.js';
import { analyseSimpleTemplate } from './simple-template.js';
import { normaliseConfig } from './configs.js';
import type { NodeConfig, RefCall, TestNode } from './nodes.js';

// Keys that configure a test when written directly among its arguments (dbt's older style).
const testConfigKeys = new Set(['severity', 'error_if', 'warn_if', 'where', 'limit', 'tags', 'enabled', 'store_failures', 'store_failures_as', 'meta', 'fail_calc', 'alias', 'schema', 'database']);

export interface TestEntry {
  testName: string;
  namespace?: string;
  args: Record<string, unknown>;
  config: NodeConfig;
  explicitName?: string;
  description?: string;
}

export interface TestTarget {
  uniqueId: string;
  /** The model/seed name, or the source table name. */
  name: string;
  sourceName?: string;
}

export function readTestEntry(entry: unknown, file: string, line: number | undefined): TestEntry {
  let testName: string;
  let body: Record<string, unknown> = {};
  if (typeof entry === 'string') testName = entry;
  else if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const obj = entry as Record<string, unknown>;
    if (typeof obj.test_name === 'string') {
      testName = obj.test_name;
      body = obj;
    } else {
      const keys = Object.keys(obj);
      if (keys.length !== 1) {
        throw new KilnError('yaml', `a test entry must have exactly one test name as its key, found: ${keys.join(', ')}`, { file, line, hint: 'e.g. - accepted_values: {values: [a, b]}' });
      }
      testName = keys[0]!;
      const v = obj[testName];
      if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) {
        throw new KilnError('yaml', `the arguments of test '${testName}' must be a mapping`, { file, line });
      }
      body = (v as Record<string, unknown>) ?? {};
    }
  } else {
    throw new KilnError('yaml', 'a test entry must be a test name or a mapping', { file, line });
  }
  const args: Record<string, unknown> = {};
  const rawConfig: Record<string, unknown> = { ...((body.config as Record<string, unknown>) ?? {}) };
  const source = body.arguments && typeof body.arguments === 'object' ? { ...body, ...(body.arguments as object) } : body;
  for (const [k, v] of Object.entries(source)) {
    if (k === 'config' || k === 'arguments' || k === 'name' || k === 'test_name' || k === 'description') continue;
    if (testConfigKeys.has(k)) rawConfig[k] = v;
    else args[k] = v;
  }
  const dot = testName.indexOf('.');
  return {
    testName: dot >= 0 ? testName.slice(dot + 1) : testName,
    namespace: dot >= 0 ? testName.slice(0, dot) : undefined,
    args,
    config: normaliseConfig(rawConfig),
    explicitName: typeof body.name === 'string' ? body.name : undefined,
    description: typeof body.description === 'string' ? body.description : undefined,
  };
}

/** dbt's synthesised name: `<test>_<model>_<args flattened>`, hashed when 64 characters or longer. */
export function genericTestName(entry: TestEntry, target: TestTarget): string {
  const flat: string[] = [];
  for (const key of Object.keys(entry.args).sort()) {
    if (key === 'model') continue;
    const v = entry.args[key];
    const parts = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [v];
    for (const p of parts) flat.push(pyStr(p).replace(/[^0-9a-zA-Z_]+/g, '_'));
  }
  const prefix = entry.namespace ? `${entry.namespace}_` : '';
  const subject = target.sourceName ? `source_${prefix}${entry.testName}_${target.sourceName}_${target.name}` : `${prefix}${entry.testName}_${target.name}`;
  const full = flat.length ? `${subject}_${flat.join('__')}` : subject;
  if (full.length < 64) return full;
  const hash = createHash('md5').update(full).digest('hex');
  return `${subject.slice(0, 30)}_${hash}`;
}

function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

/** The refs a test's arguments make (`to: ref('customers')`), so the test depends on them too. */
export function refsInArgs(args: Record<string, unknown>): { refs: RefCall[]; sources: Array<[string, string]> } {
  const refs: RefCall[] = [];
  const sources: Array<[string, string]> = [];
  for (const v of Object.values(args)) {
    if (typeof v !== 'string' || !/^\s*(ref|source)\s*\(/.test(v)) continue;
    const parts = analyseSimpleTemplate(`{{ ${v} }}`);
    const call = parts?.find((p) => typeof p !== 'string');
    if (!call || typeof call === 'string') continue;
    const strs = call.args.filter((a): a is string => typeof a === 'string');
    if (call.fn === 'ref') refs.push(strs.length === 2 ? { package: strs[0], name: strs[1]! } : { name: strs[0]! });
    else if (call.fn === 'source' && strs.length === 2) sources.push([strs[0]!, strs[1]!]);
  }
  return { refs, sources };
}

export interface GenericTestInput {
  entry: TestEntry;
  target: TestTarget;
  columnName?: string;
  packageName: string;
  file: string;
  /** Looked up only when needed: finding a line costs a second parse of the YAML. */
  line?: () => number | undefined;
  /** Folders of the properties file under its resource path, for the test's fqn. */
  folders: string[];
  baseRefs: RefCall[];
  baseSources: Array<[string, string]>;
}

export function makeGenericTest(input: GenericTestInput): TestNode {
  const { entry, target, columnName } = input;
  const args = columnName !== undefined ? { column_name: columnName, ...entry.args } : { ...entry.args };
  const named = { ...entry, args };
  const synthesized = genericTestName(named, target);
  const name = entry.explicitName ?? synthesized;
  const hash = createHash('md5').update(`${synthesized}|${target.uniqueId}|${JSON.stringify(args)}`).digest('hex').slice(0, 10);
  const extra = refsInArgs(args);
  const macroName = entry.namespace ? `${entry.namespace}.test_${entry.testName}` : `test_${entry.testName}`;
  return {
    uniqueId: `test.${input.packageName}.${name}.${hash}`,
    resourceType: 'test',
    name,
    packageName: input.packageName,
    path: `${name}.sql`,
    originalFilePath: input.file,
    fqn: [input.packageName, ...input.folders, name],
    description: entry.description ?? '',
    config: entry.config,
    tags: [],
    meta: {},
    columns: {},
    refs: [...input.baseRefs, ...extra.refs],
    sources: [...input.baseSources, ...extra.sources],
    dependsOn: { nodes: [], macros: [] },
    rawCode: `{{ ${macroName}(**_dbt_generic_test_kwargs) }}`,
    language: 'sql',
    schema: '',
    alias: name,
    checksum: '',
    testMetadata: { name: entry.testName, namespace: entry.namespace, kwargs: args },
    columnName,
    attachedNode: target.sourceName ? undefined : target.uniqueId,
    declaredAt: {
      file: input.file,
      get line() {
        return input.line?.();
      },
    },
  };
}
