/**
 * Properties YAML (models:, seeds:, sources: ... in any .yml under the resource paths):
 * descriptions, columns, configs and tests patched onto the nodes they name.
 */
import { KilnError, type ErrorLocation } from '../errors.js';
import { validateYaml, type YamlFile } from '../config/yaml.js';
import { propertiesSchema } from '../config/schemas.js';
import { normaliseConfig } from './configs.js';
import type { ProjectFile } from './files.js';
import type { YamlCheck } from './partial-cache.js';
import { sha256Hex } from './text-hash.js';
import type { ColumnDef, ConstraintDef, GraphNode, NodeConfig, SourceNode, TestNode } from './nodes.js';
import {
  makeGenericTest,
  pythonValuesMatter,
  readTestArgumentsAsPython,
  readTestEntry,
  type TestTarget,
} from './generic-tests.js';
import { fromYaml } from '../template/pyyaml.js';
import { readUnitTestEntries, type UnitTestEntry } from './unit-tests.js';

export interface PropertiesContext {
  packageName: string;
  /** Nodes by resource type and name, to patch. */
  findNode(resourceType: string, name: string): GraphNode | undefined;
  /** Renders Jinja inside a YAML string (source schema, database, ...). */
  renderValue(value: string, file: string, line?: () => number | undefined): unknown;
  /** Renders Jinja in every string of a `config:` mapping, as dbt does; a single `{{ }}` keeps its type. */
  renderConfig(config: unknown, yaml: YamlFile, path: Array<string | number>): Record<string, unknown>;
  defaultDatabase: string | undefined;
  warn(message: string): void;
  /** An identifier quoted as the adapter quotes it (a column with `quote: true`). */
  quote(name: string): string;
  /** Checks a `config:` mapping of a node of `resourceType`; `at(key)` is where a key is written. */
  checkConfig(raw: Record<string, unknown>, at: (key: string) => ErrorLocation, resourceType: string): void;
  /** A file's YAML (the partial parse cache's copy when it has one), passed through `check`. */
  parseYaml(file: ProjectFile, check?: YamlCheck): YamlFile;
}

export interface PropertiesResult {
  sources: SourceNode[];
  tests: TestNode[];
  /** Per node: the config from YAML, merged later with project and file configs. */
  yamlConfigs: Map<string, NodeConfig>;
  /** `unit_tests:` entries, made into nodes once the models they test are known. */
  unitTests: UnitTestEntry[];
}

let schemaCheck: YamlCheck | undefined;

/**
 * The properties schema's check (which coerces, "5" to 5 where a number is expected), named with the schema's hash: a
 * cache that kept a file's data as passing it is of this schema. Empty data is not checked (it holds nothing).
 */
const propertiesCheck = (): YamlCheck =>
  (schemaCheck ??= {
    name: `properties ${sha256Hex(JSON.stringify(propertiesSchema)).slice(0, 16)}`,
    check: (yaml) => {
      if (yaml.data !== null && typeof yaml.data === 'object') validateYaml(propertiesSchema, yaml);
    },
  });

const patchable: Array<[string, string]> = [
  ['models', 'model'],
  ['seeds', 'seed'],
  ['snapshots', 'snapshot'],
  ['analyses', 'analysis'],
];

export function readProperties(files: ProjectFile[], ctx: PropertiesContext): PropertiesResult {
  const result: PropertiesResult = { sources: [], tests: [], yamlConfigs: new Map(), unitTests: [] };
  const patchedBy = new Map<string, string>();
  for (const file of files) {
    const yaml = ctx.parseYaml(file, propertiesCheck());
    if (yaml.data === null || typeof yaml.data !== 'object') continue;
    const data = yaml.data as Record<string, unknown[] | undefined>;
    const folders = file.resourcePath.split('/').slice(0, -1);
    const pythonValue = pythonReading(file);
    for (const [key, resourceType] of patchable) {
      (data[key] ?? []).forEach((entry, i) => {
        const e = entry as Record<string, unknown>;
        const name = String(e.name);
        const node = ctx.findNode(resourceType, name);
        if (!node) {
          ctx.warn(
            `${file.projectPath}:${yaml.lineOf([key, i]) ?? 1}: ${resourceType} ` +
              `'${name}' is described here but no such ${resourceType} file ` +
              `exists`,
          );
          return;
        }
        const previous = patchedBy.get(node.uniqueId);
        if (previous) {
          throw new KilnError('yaml', `${resourceType} '${name}' is described twice (also in ${previous})`, {
            file: file.projectPath,
            line: yaml.lineOf([key, i, 'name']),
            hint: 'keep one entry per node',
          });
        }
        patchedBy.set(node.uniqueId, file.projectPath);
        patchNode(node, e, file.projectPath);
        // `access` and `group` may stand beside `config:` as well as in it, as in dbt.
        const topLevel = Object.fromEntries(
          ['access', 'group'].filter((k) => e[k] !== undefined).map((k) => [k, e[k]]),
        );
        const config = ctx.renderConfig(e.config ?? {}, yaml, [key, i, 'config']);
        checkConfigAt(ctx, topLevel, yaml, [key, i], resourceType);
        checkConfigAt(ctx, config, yaml, [key, i, 'config'], resourceType);
        result.yamlConfigs.set(node.uniqueId, normaliseConfig({ ...topLevel, ...config }));
        const target: TestTarget = { uniqueId: node.uniqueId, name: node.name };
        result.tests.push(
          ...testsOf(e, target, {
            yaml,
            pythonValue,
            path: [key, i],
            folders,
            ctx,
            file: file.projectPath,
            baseRefs: [{ name: node.name }],
            baseSources: [],
          }),
        );
      });
    }
    (data.sources ?? []).forEach((entry, i) =>
      readSource(entry as Record<string, unknown>, i, yaml, file, folders, ctx, result, pythonValue),
    );
    result.unitTests.push(...readUnitTestEntries(data.unit_tests, yaml, file.projectPath, folders));
  }
  return result;
}

function checkConfigAt(
  ctx: PropertiesContext,
  config: Record<string, unknown>,
  yaml: YamlFile,
  path: Array<string | number>,
  resourceType: string,
): void {
  ctx.checkConfig(config, (key) => ({ file: yaml.file, line: yaml.lineOf([...path, key]) }), resourceType);
}

function patchNode(node: GraphNode, e: Record<string, unknown>, file: string): void {
  if (typeof e.description === 'string') node.description = e.description;
  node.columns = readColumns(e.columns);
  node.patchPath = `${node.packageName}://${file}`;
  if (e.meta && typeof e.meta === 'object') node.meta = { ...node.meta, ...e.meta };
  if (e.tags !== undefined)
    node.tags = [...new Set([...node.tags, ...(Array.isArray(e.tags) ? e.tags.map(String) : [String(e.tags)])])];
  if (Array.isArray(e.constraints)) node.constraints = e.constraints as ConstraintDef[];
}

function readColumns(raw: unknown): Record<string, ColumnDef> {
  const out: Record<string, ColumnDef> = {};
  for (const c of (raw as Array<Record<string, unknown>> | undefined) ?? []) {
    const name = String(c.name);
    out[name] = {
      name,
      description: typeof c.description === 'string' ? c.description : '',
      data_type: typeof c.data_type === 'string' ? c.data_type : undefined,
      meta: (c.meta as Record<string, unknown>) ?? {},
      tags: Array.isArray(c.tags) ? c.tags.map(String) : c.tags ? [String(c.tags)] : [],
    };
    if (Array.isArray(c.constraints)) out[name].constraints = c.constraints as ConstraintDef[];
  }
  return out;
}

/**
 * A value of the file as PyYAML (dbt) reads it, for test names; the file is read that way
 * once, and only when a test's arguments need it.
 */
function pythonReading(file: ProjectFile): (path: Array<string | number>) => unknown {
  let data: unknown;
  return (path) => {
    if (data === undefined) {
      try {
        data = fromYaml(file.text);
      } catch {
        data = null; // a value PyYAML cannot build (a date like 2024-13-01): names keep kiln's reading
      }
    }
    return path.reduce<unknown>(
      (v, seg) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined),
      data,
    );
  };
}

interface TestsOfContext {
  yaml: YamlFile;
  pythonValue: (path: Array<string | number>) => unknown;
  path: Array<string | number>;
  folders: string[];
  ctx: PropertiesContext;
  file: string;
  baseRefs: GraphNode['refs'];
  baseSources: GraphNode['sources'];
}

/** Node-level and column-level tests of one YAML entry; `tests:` and `data_tests:` alike. */
function testsOf(entry: Record<string, unknown>, target: TestTarget, t: TestsOfContext): TestNode[] {
  const out: TestNode[] = [];
  const fromList = (list: unknown, path: Array<string | number>, columnName?: string, quoted?: string) => {
    if (!Array.isArray(list)) return;
    (list as unknown[]).forEach((item, j) => {
      // Lines are looked up only when an error needs one (it costs a second YAML parse).
      const line = () => t.yaml.lineOf([...path, j]);
      let testEntry;
      try {
        testEntry = readTestEntry(item, t.file, undefined);
      } catch (e) {
        if (e instanceof KilnError)
          throw new KilnError(e.kind, e.message, { file: t.file, line: line(), hint: e.hint });
        throw e;
      }
      const configPath =
        typeof item === 'object' && item !== null ? [...path, j, Object.keys(item)[0]!, 'config'] : [...path, j];
      t.ctx.checkConfig(
        testEntry.config,
        (key) => ({ file: t.file, line: t.yaml.lineOf([...configPath, key]) }),
        'test',
      );
      // Names and ids use Python's str() of the arguments as PyYAML reads them (`1.0`, `yes`).
      const pythonItem = pythonValuesMatter(testEntry.args) ? t.pythonValue([...path, j]) : undefined;
      const pythonArgs = pythonItem !== undefined ? readTestArgumentsAsPython(pythonItem, t.file) : undefined;
      out.push(
        makeGenericTest({
          entry: testEntry,
          pythonArgs,
          target,
          columnName,
          columnArgument: quoted,
          packageName: t.ctx.packageName,
          file: t.file,
          line,
          folders: t.folders,
          baseRefs: t.baseRefs,
          baseSources: t.baseSources,
        }),
      );
    });
  };
  for (const key of ['data_tests', 'tests']) fromList(entry[key], [...t.path, key]);
  ((entry.columns as Array<Record<string, unknown>> | undefined) ?? []).forEach((col, ci) => {
    // As in dbt, a column with `quote: true` reaches its tests' SQL as a quoted identifier.
    const quoted = col.quote === true ? t.ctx.quote(String(col.name)) : undefined;
    for (const key of ['data_tests', 'tests'])
      fromList(col[key], [...t.path, 'columns', ci, key], String(col.name), quoted);
  });
  return out;
}

function readSource(
  src: Record<string, unknown>,
  i: number,
  yaml: YamlFile,
  file: ProjectFile,
  folders: string[],
  ctx: PropertiesContext,
  result: PropertiesResult,
  pythonValue: TestsOfContext['pythonValue'],
): void {
  const sourceName = String(src.name);
  const render = (v: unknown, path: Array<string | number>) =>
    typeof v === 'string' ? String(ctx.renderValue(v, file.projectPath, () => yaml.lineOf(path))) : undefined;
  const schema = render(src.schema, ['sources', i, 'schema']) ?? sourceName;
  const database = render(src.database, ['sources', i, 'database']) ?? ctx.defaultDatabase;
  const rawSourceConfig = ctx.renderConfig(src.config ?? {}, yaml, ['sources', i, 'config']);
  checkConfigAt(ctx, rawSourceConfig, yaml, ['sources', i, 'config'], 'source');
  const sourceConfig = normaliseConfig(rawSourceConfig);
  ((src.tables as Array<Record<string, unknown>> | undefined) ?? []).forEach((table, ti) => {
    const name = String(table.name);
    const tableConfig = ctx.renderConfig(table.config ?? {}, yaml, ['sources', i, 'tables', ti, 'config']);
    checkConfigAt(ctx, tableConfig, yaml, ['sources', i, 'tables', ti, 'config'], 'source');
    const node: SourceNode = {
      uniqueId: `source.${ctx.packageName}.${sourceName}.${name}`,
      resourceType: 'source',
      name,
      sourceName,
      packageName: ctx.packageName,
      path: file.resourcePath,
      originalFilePath: file.projectPath,
      fqn: [ctx.packageName, ...folders, sourceName, name],
      identifier: render(table.identifier, ['sources', i, 'tables', ti, 'identifier']) ?? name,
      database,
      schema,
      description: typeof table.description === 'string' ? table.description : '',
      sourceDescription: typeof src.description === 'string' ? src.description : '',
      loader: typeof src.loader === 'string' ? src.loader : '',
      columns: readColumns(table.columns),
      meta: { ...((src.meta as object) ?? {}), ...((table.meta as object) ?? {}) },
      tags: [...toList(src.tags), ...toList(table.tags)],
      config: { ...sourceConfig, ...normaliseConfig(tableConfig) },
      loadedAtField: (table.loaded_at_field ?? src.loaded_at_field) as string | undefined,
      freshness: table.freshness !== undefined ? table.freshness : src.freshness,
    };
    if (node.config.enabled === false) return;
    result.sources.push(node);
    const target: TestTarget = { uniqueId: node.uniqueId, name, sourceName };
    result.tests.push(
      ...testsOf(table, target, {
        yaml,
        pythonValue,
        path: ['sources', i, 'tables', ti],
        folders,
        ctx,
        file: file.projectPath,
        baseRefs: [],
        baseSources: [[sourceName, name]],
      }),
    );
  });
}

function toList(v: unknown): string[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}
