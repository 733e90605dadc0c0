/**
 * `unit_tests:` entries of properties YAML → unit test nodes. Reading happens per file
 * (where line numbers are at hand); making nodes waits until the models exist, so an entry
 * can be checked against the model it tests.
 */
import { createHash } from 'node:crypto';
import { KilnError } from '../errors.js';
import type { YamlFile } from '../config/yaml.js';
import type { GraphNode, SourceNode, UnitTestGiven, UnitTestInputTarget, UnitTestNode, UnitTestRows } from './nodes.js';

/** One `unit_tests:` entry as read from its file, before its model is known. */
export interface UnitTestEntry {
  raw: Record<string, unknown>;
  file: string;
  folders: string[];
  yaml: YamlFile;
  index: number;
}

const formats = new Set(['dict', 'csv', 'sql']);
const entryKeys = new Set(['name', 'model', 'given', 'expect', 'overrides', 'config', 'description', 'versions']);

export function readUnitTestEntries(list: unknown, yaml: YamlFile, file: string, folders: string[]): UnitTestEntry[] {
  if (!Array.isArray(list)) return [];
  return list.map((raw, index) => ({ raw: raw as Record<string, unknown>, file, folders, yaml, index }));
}

export interface UnitTestContext {
  packageName: string;
  /** A model of the project by name. */
  findModel(name: string): GraphNode | undefined;
  sources: SourceNode[];
  /** The resource type of what `ref(name)` names, if anything. */
  refKind(name: string): string | undefined;
  /** Whether `<test-path>/fixtures/**\/<name>.<format>` exists. */
  fixtureExists(name: string, format: string): boolean;
  testPaths: string[];
}

/** Builds the nodes of enabled unit tests; a malformed entry is a `yaml` error at its line. */
export function makeUnitTests(entries: UnitTestEntry[], ctx: UnitTestContext): UnitTestNode[] {
  const out: UnitTestNode[] = [];
  const seen = new Map<string, string>();
  for (const e of entries) {
    const node = makeUnitTest(e, ctx);
    if (!node) continue;
    const previous = seen.get(node.uniqueId);
    if (previous)
      throw new KilnError(
        'yaml',
        `unit test '${node.name}' of model '${String(e.raw.model)}' is defined twice (also in ${previous})`,
        { file: e.file, line: e.yaml.lineOf(['unit_tests', e.index, 'name']), hint: 'give one of them another name' },
      );
    seen.set(node.uniqueId, e.file);
    out.push(node);
  }
  return out;
}

function makeUnitTest(e: UnitTestEntry, ctx: UnitTestContext): UnitTestNode | undefined {
  const path = ['unit_tests', e.index];
  const fail = (message: string, at: Array<string | number>, hint?: string) =>
    new KilnError('yaml', message, { file: e.file, line: e.yaml.lineOf([...path, ...at]), hint });
  const r = e.raw;
  for (const key of Object.keys(r))
    if (!entryKeys.has(key))
      throw new KilnError('yaml', `unknown key '${key}' in unit test '${String(r.name)}'`, {
        file: e.file,
        line: e.yaml.lineOfKey([...path, key]),
        hint: `a unit test has: ${[...entryKeys].join(', ')}`,
      });
  const name = String(r.name);
  if (typeof r.model !== 'string' || !r.model)
    throw fail(`unit test '${name}' needs a 'model:'`, [], 'name the model under test: model: my_model');
  const model = ctx.findModel(r.model);
  if (!model)
    throw fail(
      `unit test '${name}' tests model '${r.model}', which does not exist`,
      ['model'],
      'unit tests are for models of this project',
    );
  const config = (r.config as Record<string, unknown> | undefined) ?? {};
  if (config.enabled === false || String(config.enabled).toLowerCase() === 'false') return undefined;
  if (model.config.materialized === 'ephemeral')
    throw fail(
      `unit test '${name}': model '${model.name}' is ephemeral and cannot be unit tested`,
      ['model'],
      'materialize it as a view or table',
    );
  if (!Array.isArray(r.given))
    throw fail(
      `unit test '${name}' needs a 'given:' list of inputs`,
      [],
      "give each ref/source the model reads: given: [{input: ref('x'), rows: [...]}]",
    );
  if (!r.expect || typeof r.expect !== 'object')
    throw fail(`unit test '${name}' needs an 'expect:' with rows`, [], 'expect: {rows: [{id: 1}]}');
  function checkFixture(rows: UnitTestRows, at: Array<string | number>): void {
    if (ctx.fixtureExists(rows.fixture!, rows.format)) return;
    throw fail(
      `unit test '${name}': no fixture file ${rows.fixture}.${rows.format} ` +
        `under ${ctx.testPaths.map((p) => `${p}/fixtures/`).join(' or ')}`,
      at,
      `create ${ctx.testPaths[0] ?? 'tests'}/fixtures/${rows.fixture}.${rows.format}`,
    );
  }
  const given = r.given.map((g, i) =>
    readGiven(g, i, model, ctx, (msg, at, hint) => fail(`unit test '${name}': ${msg}`, ['given', i, ...at], hint)),
  );
  const expect = readRows(
    r.expect,
    (msg, at, hint) => fail(`unit test '${name}': expect ${msg}`, ['expect', ...at], hint),
    e.yaml.lineOf([...path, 'expect']),
  );
  for (const [i, g] of given.entries()) if (g.fixture !== undefined) checkFixture(g, ['given', i, 'fixture']);
  if (expect.fixture !== undefined) checkFixture(expect, ['expect', 'fixture']);
  // Every ref and source the model reads needs rows (a seed left out is read as it is).
  const missing = [
    ...model.refs
      .filter(
        (ref) =>
          !given.some((g) => g.target.kind === 'ref' && g.target.name === ref.name) && ctx.refKind(ref.name) !== 'seed',
      )
      .map((ref) => `ref('${ref.name}')`),
    ...model.sources
      .filter(
        ([s, t]) => !given.some((g) => g.target.kind === 'source' && g.target.source === s && g.target.table === t),
      )
      .map(([s, t]) => `source('${s}', '${t}')`),
  ];
  if (missing.length)
    throw fail(
      `unit test '${name}': model '${model.name}' reads ${missing.join(', ')}, but no input gives its rows`,
      ['given'],
      `add to given: - input: ${missing[0]}\n      rows: []`,
    );
  const overrides = (r.overrides as Record<string, unknown> | undefined) ?? {};
  const asMap = (v: unknown, key: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v))
      throw fail(`unit test '${name}': overrides.${key} must be a mapping`, ['overrides', key]);
    return v as Record<string, unknown>;
  };
  const tags =
    config.tags === undefined ? [] : Array.isArray(config.tags) ? config.tags.map(String) : [String(config.tags)];
  const text = createHash('sha256').update(JSON.stringify(r)).digest('hex');
  return {
    uniqueId: `unit_test.${ctx.packageName}.${model.name}.${name}`,
    resourceType: 'unit_test',
    name,
    packageName: ctx.packageName,
    path: e.file.split('/').slice(1).join('/'),
    originalFilePath: e.file,
    fqn: [ctx.packageName, ...e.folders, model.name, name],
    description: typeof r.description === 'string' ? r.description : '',
    config: { enabled: true, tags, meta: (config.meta as Record<string, unknown>) ?? {} },
    tags,
    meta: (config.meta as Record<string, unknown>) ?? {},
    columns: {},
    // The model is the only graph parent, as in dbt: inputs are replaced by fixtures.
    refs: [{ name: model.name }],
    sources: [],
    dependsOn: { nodes: [], macros: [] },
    rawCode: '',
    language: 'sql',
    schema: model.schema,
    alias: name,
    checksum: text,
    model: model.uniqueId,
    given,
    expect,
    overrides: {
      macros: asMap(overrides.macros, 'macros'),
      vars: asMap(overrides.vars, 'vars'),
      envVars: asMap(overrides.env_vars, 'env_vars'),
    },
    declaredAt: { file: e.file, line: e.yaml.lineOf([...path, 'name']) },
  };
}

type Fail = (message: string, at: Array<string | number>, hint?: string) => KilnError;

function readRows(raw: unknown, fail: Fail, line: number | undefined): UnitTestRows {
  const r = raw as Record<string, unknown>;
  const format = String(r.format ?? 'dict').toLowerCase();
  if (!formats.has(format)) throw fail(`format '${format}' is not one of dict, csv, sql`, ['format']);
  if (r.fixture !== undefined && r.rows !== undefined)
    throw fail('has both rows and fixture', ['fixture'], 'keep one of them');
  if (r.fixture !== undefined) {
    if (format === 'dict')
      throw fail(
        'a fixture file needs format: csv or sql',
        ['fixture'],
        'add format: csv (tests/fixtures/<name>.csv) or format: sql',
      );
    return { format: format as UnitTestRows['format'], fixture: String(r.fixture), line };
  }
  const rows = r.rows ?? [];
  if (format === 'dict' && !Array.isArray(rows))
    throw fail('rows must be a list of mappings with format: dict', ['rows'], 'rows: [{id: 1, name: a}]');
  if (format === 'dict')
    (rows as unknown[]).forEach((row, i) => {
      if (!row || typeof row !== 'object' || Array.isArray(row))
        throw fail('each row must be a mapping of column to value', ['rows', i]);
    });
  if (format !== 'dict' && typeof rows !== 'string')
    throw fail(
      `rows must be text with format: ${format}`,
      ['rows'],
      format === 'csv' ? 'rows: |\n  id,name\n  1,a' : "rows: |\n  select 1 as id, 'a' as name",
    );
  return { format: format as UnitTestRows['format'], rows, line };
}

function readGiven(raw: unknown, i: number, model: GraphNode, ctx: UnitTestContext, fail: Fail): UnitTestGiven {
  if (!raw || typeof raw !== 'object') throw fail('each given entry must be a mapping with input and rows', []);
  const g = raw as Record<string, unknown>;
  const input = String(g.input ?? '');
  const target = parseInput(input);
  if (!target) throw fail(`input "${input}" must be ref('name'), source('source', 'table') or this`, ['input']);
  if (
    target.kind === 'ref' &&
    !model.refs.some(
      (r) =>
        r.name === target.name &&
        (target.package === undefined || r.package === undefined || r.package === target.package),
    )
  ) {
    throw fail(
      `model '${model.name}' does not ref('${target.name}')`,
      ['input'],
      `inputs are the refs and sources the model reads: ${describeInputs(model)}`,
    );
  }
  if (target.kind === 'source') {
    if (!model.sources.some(([s, t]) => s === target.source && t === target.table))
      throw fail(
        `model '${model.name}' does not read source('${target.source}', '${target.table}')`,
        ['input'],
        `inputs are the refs and sources the model reads: ${describeInputs(model)}`,
      );
    if (!ctx.sources.some((s) => s.sourceName === target.source && s.name === target.table))
      throw fail(`source('${target.source}', '${target.table}') is not defined`, ['input']);
  }
  if (target.kind === 'this' && model.config.materialized !== 'incremental')
    throw fail(`input 'this' is for incremental models; '${model.name}' is ${String(model.config.materialized)}`, [
      'input',
    ]);
  void i;
  return { ...readRows(g, fail, undefined), input, target };
}

function describeInputs(model: GraphNode): string {
  const all = [
    ...model.refs.map((r) => `ref('${r.name}')`),
    ...model.sources.map(([s, t]) => `source('${s}', '${t}')`),
  ];
  return all.length ? all.join(', ') : 'this model reads no ref or source';
}

/** `ref('x')`, `ref('pkg', 'x')`, `source('a', 'b')` (either quotes) or `this`. */
export function parseInput(text: string): UnitTestInputTarget | undefined {
  const t = text.trim();
  if (t === 'this') return { kind: 'this' };
  const m = /^(ref|source)\s*\(\s*(.*?)\s*\)$/.exec(t);
  if (!m) return undefined;
  const args: string[] = [];
  const argRe = /\s*(?:'([^']*)'|"([^"]*)")\s*(?:,|$)/y;
  let pos = 0;
  const body = m[2]!;
  while (pos < body.length) {
    argRe.lastIndex = pos;
    const a = argRe.exec(body);
    if (!a) {
      // Keyword arguments (v=2, version=2) select model versions, which kiln does not have.
      if (/^\s*(v|version)\s*=/.test(body.slice(pos))) break;
      return undefined;
    }
    args.push(a[1] ?? a[2]!);
    pos = argRe.lastIndex;
  }
  if (m[1] === 'ref') {
    if (args.length === 1) return { kind: 'ref', name: args[0]! };
    if (args.length === 2) return { kind: 'ref', package: args[0]!, name: args[1]! };
    return undefined;
  }
  return args.length === 2 ? { kind: 'source', source: args[0]!, table: args[1]! } : undefined;
}
