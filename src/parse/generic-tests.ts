/**
 * Generic test entries of properties YAML (`- unique`, `- accepted_values: {values: [...]}`)
 * turned into test nodes, named as dbt names them so selectors and artifacts line up.
 */
import { createHash } from 'node:crypto';
import { KilnError } from '../errors.js';
import { pyRepr, pyStr } from '../template/jinja/repr.js';
import { isDict } from '../template/jinja/values.js';
import { analyseSimpleTemplate, exact } from './simple-template.js';
import { normaliseConfig } from './configs.js';
import type { NodeConfig, RefCall, TestNode } from './nodes.js';

// Keys that configure a test when written directly among its arguments (dbt's older style).
const testConfigKeys = new Set([
  'severity',
  'error_if',
  'warn_if',
  'where',
  'limit',
  'tags',
  'enabled',
  'store_failures',
  'store_failures_as',
  'sql_header',
  'meta',
  'fail_calc',
  'alias',
  'schema',
  'database',
]);

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
  const { testName, body } = splitTestEntry(entry, file, line);
  const { args, rawConfig } = testArguments(body);
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

/** A test entry's name and body: `- unique`, `- unique: {...}` or `- test_name: unique` with the body beside it. */
function splitTestEntry(
  entry: unknown,
  file: string,
  line: number | undefined,
): { testName: string; body: Record<string, unknown> } {
  if (typeof entry === 'string') return { testName: entry, body: {} };
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    throw new KilnError('yaml', 'a test entry must be a test name or a mapping', { file, line });
  const obj = entry as Record<string, unknown>;
  if (typeof obj.test_name === 'string') return { testName: obj.test_name, body: obj };
  const keys = Object.keys(obj);
  if (keys.length !== 1) {
    throw new KilnError('yaml', `a test entry must have exactly one test name as its key, found: ${keys.join(', ')}`, {
      file,
      line,
      hint: 'e.g. - accepted_values: {values: [a, b]}',
    });
  }
  const testName = keys[0]!;
  const v = obj[testName];
  if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) {
    throw new KilnError('yaml', `the arguments of test '${testName}' must be a mapping`, { file, line });
  }
  return { testName, body: (v as Record<string, unknown>) ?? {} };
}

/** The macro's arguments (`arguments:` merged over the body, as dbt does) apart from the configs among them. */
function testArguments(body: Record<string, unknown>): {
  args: Record<string, unknown>;
  rawConfig: Record<string, unknown>;
} {
  const args: Record<string, unknown> = {};
  const rawConfig: Record<string, unknown> = { ...((body.config as Record<string, unknown>) ?? {}) };
  const source = body.arguments && typeof body.arguments === 'object' ? { ...body, ...body.arguments } : body;
  for (const [k, v] of Object.entries(source)) {
    if (k === 'config' || k === 'arguments' || k === 'name' || k === 'test_name' || k === 'description') continue;
    if (testConfigKeys.has(k)) rawConfig[k] = v;
    else args[k] = v;
  }
  return { args, rawConfig };
}

/**
 * The arguments of a test entry read from YAML as PyYAML reads it (`1.0` a float, `yes` a
 * boolean, ...; see `pythonValuesMatter`), so names and ids carry Python's str() of them.
 */
export function readTestArgumentsAsPython(entry: unknown, file: string): Record<string, unknown> {
  return testArguments(splitTestEntry(entry, file, undefined).body).args;
}

/**
 * Whether a YAML 1.1 reading (PyYAML's, dbt's) of these values could print differently from
 * kiln's YAML 1.2 one: any number (`1.0` reads as 1 here, `1e3` is text to PyYAML), and text
 * that starts like a number or is one of YAML 1.1's booleans (`yes`, `off`, ...).
 */
export function pythonValuesMatter(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (typeof value === 'string') return /^[-+.\d]|^(?:yes|no|on|off)$/i.test(value);
  if (Array.isArray(value)) return value.some(pythonValuesMatter);
  if (value && typeof value === 'object') return Object.values(value).some(pythonValuesMatter);
  return false;
}

export interface GenericTestNames {
  /** The node's name, fqn and unique id: `<test>_<model>_<arguments>`, however long. */
  full: string;
  /**
   * The compiled file's name and the relation alias: the full name, or when that has 64 characters or more its first 30
   * identifying characters and an md5 of it.
   */
  short: string;
}

/**
 * dbt's synthesised names for a generic test. `args` are the macro's arguments as Python
 * values (with `column_name`); `model` among them is left out, as dbt embeds the model already.
 */
export function genericTestNames(
  entry: Pick<TestEntry, 'testName' | 'namespace'>,
  target: TestTarget,
  args: Record<string, unknown>,
): GenericTestNames {
  const flat: string[] = [];
  for (const key of Object.keys(args).sort()) {
    if (key === 'model') continue;
    const v = args[key];
    const parts = Array.isArray(v) ? v : isDict(v) ? Object.values(v) : [v];
    for (const p of parts) flat.push(pyStr(p).replace(/[^0-9a-zA-Z_]+/g, '_'));
  }
  let kind = target.sourceName !== undefined ? `source_${entry.testName}` : entry.testName;
  if (entry.namespace) kind = `${entry.namespace}_${kind}`;
  const identifier = `${kind}_${target.sourceName !== undefined ? `${target.sourceName}_${target.name}` : target.name}`;
  // Python counts and slices code points.
  const full = `${identifier}_${flat.join('__')}`;
  if ([...full].length < 64) return { full, short: full };
  return { full, short: `${[...identifier].slice(0, 30).join('')}_${md5(full)}` };
}

/**
 * The hash ending a generic test's unique id, as dbt makes it: the last 10 hex digits of the
 * md5 of the name followed by Python's repr() of the test's metadata, every value turned
 * into its str() and every mapping sorted by key.
 */
export function genericTestHash(
  name: string,
  entry: Pick<TestEntry, 'testName' | 'namespace'>,
  kwargs: Record<string, unknown>,
): string {
  const metadata = { namespace: entry.namespace ?? null, name: entry.testName, kwargs };
  return md5(name + pyRepr(hashable(metadata))).slice(-10);
}

function hashable(v: unknown): unknown {
  if (isDict(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, hashable(v[k])]),
    );
  if (Array.isArray(v)) return v.map(hashable);
  return pyStr(v);
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** The `model` argument dbt gives every generic test: the tested relation, filtered by `where`. */
function modelArgument(target: TestTarget): string {
  const relation =
    target.sourceName !== undefined ? `source('${target.sourceName}', '${target.name}')` : `ref('${target.name}')`;
  return `{{ get_where_subquery(${relation}) }}`;
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
  /**
   * The entry's arguments as PyYAML reads them, when that can differ from `entry.args`
   * (see `pythonValuesMatter`): names and ids are made from these.
   */
  pythonArgs?: Record<string, unknown>;
  target: TestTarget;
  columnName?: string;
  /** The `column_name` argument, when it differs from the name (quoted, for `quote: true`). */
  columnArgument?: string;
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
  const columnArgument = input.columnArgument ?? columnName;
  const withColumn = (a: Record<string, unknown>) =>
    columnArgument !== undefined ? { column_name: columnArgument, ...a } : { ...a };
  const args = withColumn(entry.args);
  const nameArgs = { ...withColumn(input.pythonArgs ?? entry.args), model: modelArgument(target) };
  // The full name names the node (unique id, fqn, selection); the short one its compiled file and relation.
  const synthesized = genericTestNames(entry, target, nameArgs);
  const name = entry.explicitName ?? synthesized.full;
  const fileName = entry.explicitName ?? synthesized.short;
  const config = { ...entry.config };
  if (entry.explicitName === undefined && synthesized.short !== synthesized.full && config.alias === undefined)
    config.alias = synthesized.short;
  const hash = genericTestHash(name, entry, nameArgs);
  const extra = refsInArgs(args);
  const macroName = entry.namespace ? `${entry.namespace}.test_${entry.testName}` : `test_${entry.testName}`;
  return {
    uniqueId: `test.${input.packageName}.${name}.${hash}`,
    resourceType: 'test',
    name,
    packageName: input.packageName,
    path: `${fileName}.sql`,
    originalFilePath: input.file,
    fqn: exact([input.packageName, ...input.folders, name]),
    description: entry.description ?? '',
    config,
    tags: [],
    meta: {},
    columns: {},
    refs: [...input.baseRefs, ...extra.refs],
    sources: [...input.baseSources, ...extra.sources],
    dependsOn: { nodes: [], macros: [] },
    rawCode: `{{ ${macroName}(**_dbt_generic_test_kwargs) }}`,
    language: 'sql',
    schema: '',
    alias: fileName,
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
