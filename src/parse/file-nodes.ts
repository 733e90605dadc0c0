/**
 * Nodes from files: models, analyses, singular tests and snapshots from SQL (each file's
 * template parsed once, with `execute=false`, by `parseSql`), seeds from CSV. Each node as
 * its file gives it, before configs are layered. Opens no connection.
 */
import { KilnError, type ErrorLocation } from '../errors.js';
import type { Relation } from '../adapters/relation.js';
import type { Scope, TemplateEngine } from '../template/engine.js';
import { varFunction, type InvocationInfo } from '../template/context.js';
import { checkConfig, type ConfigRules } from './configs.js';
import type { OwnerFiles } from './discovery.js';
import type { ProjectFile } from './files.js';
import type { ParsedSource } from './packages.js';
import { snapshotBlocks, yamlSnapshots, type SnapshotDefinition } from './snapshots.js';
import { parseSql, type ParsedTemplate } from './sql-nodes.js';
import { exact } from './simple-template.js';
import { noPartialParse, type SqlParseCache } from './partial-cache.js';
import { untimed } from './perf-info.js';
import type { GraphNode, NodeConfig, ResourceType } from './nodes.js';
import { sha256Hex as sha256 } from './text-hash.js';

/** The nodes read so far, their templates and file configs, and a lookup by name within a package. */
export class NodeTable {
  readonly nodes = new Map<string, GraphNode>();
  /** Each SQL node's template, kept so compiling reads no file twice. */
  readonly templates = new Map<string, ParsedTemplate>();
  /** What `config()` in each SQL file set. */
  readonly fileConfigs = new Map<string, NodeConfig>();
  // Keyed `node:<package>.<name>` (analyses apart): names are unique within a package only.
  private readonly byName = new Map<string, GraphNode>();

  /** The node of this name in `packageName` (an analysis only when asked for one). */
  named(type: ResourceType, packageName: string, name: string): GraphNode | undefined {
    return this.byName.get(nameKey(type, packageName, name));
  }

  /** Every node that can be found by name, in the order read. */
  namedNodes(): IterableIterator<GraphNode> {
    return this.byName.values();
  }

  add(node: GraphNode): void {
    this.nodes.set(node.uniqueId, node);
    if (node.resourceType !== 'test') this.byName.set(nameKey(node.resourceType, node.packageName, node.name), node);
  }
}

const nameKey = (type: ResourceType, owner: string, name: string) =>
  `${type === 'analysis' ? 'analysis' : 'node'}:${owner}.${name}`;

/** What reading SQL files needs from the invocation. */
export interface NodeReader {
  engine: TemplateEngine;
  info: InvocationInfo;
  /** The relation `this` renders as while parsing. */
  placeholder: (name: string) => Relation;
  /** How config values written by this project are checked. */
  rules: (owner: ParsedSource) => ConfigRules;
  /** Partial parsing: SQL files' parses reused from the last invocation. */
  sqlCache?: SqlParseCache;
  /** dbt's static parser: templates of ref/source/config/var calls alone read without the engine. */
  staticParser: boolean;
}

/**
 * An owner's nodes, in dbt's order: models, analyses, singular tests, snapshots, seeds, then snapshots declared in
 * YAML.
 */
export function readFileNodes(table: NodeTable, reader: NodeReader, files: OwnerFiles, timed = untimed): void {
  const { owner } = files;
  const sqlNodes = (kind: ResourceType, list: ProjectFile[]) =>
    timed(kind, list.length, () => list.forEach((f) => addSqlNode(table, reader, owner, f, kind)), 'sql');
  sqlNodes('model', files.models);
  sqlNodes('analysis', files.analyses);
  sqlNodes('test', files.tests);
  timed(
    'snapshot',
    files.snapshots.length,
    () => {
      for (const f of files.snapshots)
        for (const def of snapshotBlocks(f)) addSqlNode(table, reader, owner, f, 'snapshot', def);
    },
    'sql',
  );
  timed('seed', files.seeds.length, () => files.seeds.forEach((f) => addSeed(table, owner, f)));
  // Snapshots declared in properties YAML count in no parser's time, as in dbt, whose YAML parser reads them later.
  for (const f of files.properties)
    for (const def of yamlSnapshots(f)) addSqlNode(table, reader, owner, f, 'snapshot', def);
}

/** The name of the node a SQL file holds: its file name without `.sql` (sliced: a replay names 10,000 files). */
export const fileNodeName = (f: Pick<ProjectFile, 'resourcePath'>) => {
  const name = f.resourcePath.slice(f.resourcePath.lastIndexOf('/') + 1);
  return name.endsWith('.sql') ? name.slice(0, -'.sql'.length) : name;
};

/** A SQL node; a snapshot is one block of its file (or a YAML entry), and `def` gives its name and text. */
export function addSqlNode(
  table: NodeTable,
  reader: NodeReader,
  owner: ParsedSource,
  f: ProjectFile,
  resourceType: ResourceType,
  def?: SnapshotDefinition,
): void {
  const name = def?.name ?? fileNodeName(f);
  const uniqueId = `${resourceType}.${owner.name}.${name}`;
  const folders = [...f.resourcePath.split('/').slice(0, -1), ...(def?.fileStem ? [def.fileStem] : [])];
  if (resourceType !== 'test') {
    const clash = table.named(resourceType, owner.name, name);
    if (clash) {
      throw new KilnError(
        'graph',
        `two ${resourceType}s are named '${name}': ${clash.originalFilePath} and ${f.projectPath}`,
        {
          file: f.projectPath,
          hint: owner.isRoot
            ? 'node names must be unique within a project: rename one of the files'
            : `node names must be unique within package '${owner.name}': fix the package, or run \`kiln deps\` again`,
        },
      );
    }
  }
  const fqn = exact([owner.name, ...folders, name]);
  // Built only when the file is rendered: a parse reused from the cache needs none.
  const scope = (): Scope => ({
    var: varFunction(reader.info, { file: f.projectPath, node: uniqueId }),
    this: reader.placeholder(name),
    is_incremental: () => false,
    execute: false,
    model: parsingModel({ name, uniqueId, resourceType, owner: owner.name, f, fqn }),
  });
  // Padding keeps a block's line numbers those of its file in error messages.
  const text = () => (def ? '\n'.repeat(def.line - 1) + def.text : f.text);
  const checkFileConfig = (raw: Record<string, unknown>, at: (key: string) => ErrorLocation) =>
    checkConfig(raw, at, reader.rules(owner), resourceType === 'model');
  const parsed = (reader.sqlCache ?? noPartialParse).parseSqlFile(
    {
      engine: reader.engine,
      file: f,
      uniqueId,
      text,
      wholeFile: !def,
      staticParser: reader.staticParser,
      checkConfig: checkFileConfig,
    },
    (text, checkConfig) =>
      parseSql(reader.engine, text, f.projectPath, {
        scope: scope(),
        placeholder: reader.placeholder,
        checkConfig,
        staticParser: reader.staticParser,
      }),
  );
  const rawCode = def?.text ?? f.text;
  const node = emptyNode(uniqueId, resourceType, name, owner.name, f, fqn);
  node.refs = parsed.refs;
  node.sources = parsed.sources;
  node.rawCode = rawCode;
  node.checksum = sha256(rawCode);
  table.add(node);
  table.templates.set(uniqueId, parsed.template);
  table.fileConfigs.set(uniqueId, parsed.config);
}

function addSeed(table: NodeTable, owner: ParsedSource, f: ProjectFile): void {
  const name = f.resourcePath
    .replace(/\.csv$/, '')
    .split('/')
    .pop()!;
  const clash = table.named('seed', owner.name, name);
  if (clash)
    throw new KilnError(
      'graph',
      `a seed and a ${clash.resourceType} are both named '${name}': ${clash.originalFilePath} and ${f.projectPath}`,
      { file: f.projectPath },
    );
  const fqn = exact([owner.name, ...f.resourcePath.split('/').slice(0, -1), name]);
  const node = emptyNode(`seed.${owner.name}.${name}`, 'seed', name, owner.name, f, fqn);
  node.checksum = sha256(f.text);
  table.add(node);
}

/*
 * A node is its literal with fields set afterwards, not `{ ...emptyNode(), refs, ... }`: on Node 20's V8, an object
 * spread followed by more properties gives each object a hidden class of its own, so every node had one, and every
 * read of a node's field anywhere (parse, render, manifest.json, their JSON) missed V8's caches.
 */
function emptyNode(
  uniqueId: string,
  resourceType: ResourceType,
  name: string,
  packageName: string,
  f: ProjectFile,
  fqn: string[],
): GraphNode {
  return {
    uniqueId,
    resourceType,
    name,
    packageName,
    path: f.resourcePath,
    originalFilePath: f.projectPath,
    fqn,
    description: '',
    config: {},
    tags: [],
    meta: {},
    columns: {},
    refs: [],
    sources: [],
    dependsOn: { nodes: [], macros: [] },
    rawCode: '',
    language: 'sql',
    schema: '',
    alias: name,
    checksum: '',
  };
}

/**
 * `model` while parsing: the node as known before its configs are layered. dbt's fields are
 * there (empty), so `model.config.get('x')` or `model.tags` reads nothing rather than failing.
 */
function parsingModel(n: {
  name: string;
  uniqueId: string;
  resourceType: ResourceType;
  owner: string;
  f: ProjectFile;
  fqn: string[];
}): Record<string, unknown> {
  return {
    name: n.name,
    unique_id: n.uniqueId,
    resource_type: n.resourceType,
    package_name: n.owner,
    original_file_path: n.f.projectPath,
    path: n.f.resourcePath,
    fqn: [...n.fqn],
    config: {},
    tags: [],
    meta: {},
    description: '',
    columns: {},
    refs: [],
    sources: [],
    depends_on: { nodes: [], macros: [] },
    language: 'sql',
    raw_code: n.f.text,
    batch: null,
  };
}
