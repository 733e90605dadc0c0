/**
 * project dir → Manifest. Reads every file once, renders only what cannot be read simply,
 * and never opens a warehouse connection.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../package-root.js';
import { KilnError, type ErrorLocation } from '../errors.js';
import { checkTestArguments } from './test-arguments.js';
import { builtinMaterializations, checkConfig, checkConfigTree, incrementalStrategies, type ConfigRules } from './configs.js';
import type { ProjectConfig } from '../config/project.js';
import type { TargetConfig } from '../config/profiles.js';
import type { Adapter } from '../adapters/types.js';
import { TemplateEngine, type Scope, type Template } from '../template/engine.js';
import { exposeContextMacros, invocationScope, varFunction, type InvocationInfo } from '../template/context.js';
import { discoverFiles, type ProjectFile } from './files.js';
import { parseSql, type ParsedTemplate } from './sql-nodes.js';
import { readProperties } from './properties.js';
import { targetContext } from '../config/profiles.js';
import { ValueRenderer } from '../config/render-values.js';
import { readDocBlocks } from './docs-blocks.js';
import { readExposures } from './exposures.js';
import { parsedSources, layeredConfig, type ParsedSource } from './packages.js';
import { installedPackages, dispatchOrder, packageVars } from '../deps/installed.js';
import { WarehouseBridge } from '../template/warehouse.js';
import { installLateGlobals } from '../template/graph.js';
import { parsedNodeDict } from './node-dict.js';
import { makeUnitTests } from '../unit/definition.js';
import { findFixture } from '../unit/fixtures.js';
import { checkContracts } from '../contracts/contract.js';
import { applySnapshotTarget, snapshotBlocks, snapshotSettings, yamlSnapshots, type SnapshotDefinition } from './snapshots.js';
import type { DocBlock, ExposureNode, GraphNode, GroupDef, Manifest, MacroNode, NodeConfig, ResourceType, TestNode } from './nodes.js';

export interface ParsedProject {
  project: ProjectConfig;
  target: TargetConfig;
  adapter: Adapter;
  manifest: Manifest;
  /** Each SQL node's template, kept from parsing so compiling reads no file twice. */
  templates: Map<string, ParsedTemplate>;
  engine: TemplateEngine;
  info: InvocationInfo;
}

export interface ParseInput {
  project: ProjectConfig;
  target: TargetConfig;
  adapter: Adapter;
  cliVars: Record<string, unknown>;
  invocationId: string;
  flags: Record<string, unknown>;
  log: (message: string) => void;
  /** An ad-hoc query (`compile --inline`), parsed as the node `sql_operation.<project>.inline_query`. */
  inline?: string;
}

/** The unique id `compile --inline` gives its query, as dbt does. */
export const inlineQueryId = (projectName: string) => `sql_operation.${projectName}.inline_query`;

export const builtinTemplatesDir = join(packageRoot, 'templates') + sep;

export function parseProject(input: ParseInput): ParsedProject {
  const { project, target, adapter } = input;
  const pkg = project.name;
  // The root dbt_project.yml's own warnings (unknown keys) lead the list.
  const warnings: string[] = [...project.warnings];
  const warned = new Set<string>();
  const warnOnce = (msg: string) => {
    if (!warned.has(msg)) {
      warned.add(msg);
      warnings.push(msg);
    }
  };
  const info: InvocationInfo = {
    projectName: pkg,
    adapterType: adapter.type,
    target: targetContext(target, adapter),
    vars: varLookup(project, input.cliVars),
    invocationId: input.invocationId,
    runStartedAt: new Date(),
    flags: input.flags,
    log: input.log,
    quoteIdentifier: (n) => adapter.quoteIdentifier(n),
  };
  // Installed packages: their macros under `pkg.name`, their vars for their nodes.
  const packages = installedPackages(project, input.cliVars);
  Object.assign(info, { packages: packages.map((p) => ({ name: p.name, version: p.project.version })), dispatchOrder: dispatchOrder(project), varsFor: packageVars(project, packages, input.cliVars), adapter, warehouse: new WarehouseBridge(adapter) });
  const engine = new TemplateEngine();
  const base = invocationScope(info, engine);
  const renderedVars = new Map<string, Template>();
  info.renderVar = (text) => {
    let template = renderedVars.get(text);
    if (!template) renderedVars.set(text, (template = engine.compile(text, 'dbt_project.yml')));
    return engine.render(template, {}, 'dbt_project.yml');
  };
  for (const [k, v] of Object.entries(base)) engine.setGlobal(k, v);

  const macros = new Map<string, MacroNode>();
  // Two macros of one name in one package are an error, as in dbt; the same name in another
  // package (the root project overriding kiln's or a package's) is an override.
  const duplicateMacro = (name: string, packageName: string, first: string, second: string, at: { file: string; line: number }) =>
    new KilnError('graph', `two macros are named '${name}' in package '${packageName}': ${first} and ${second}`, { ...at, hint: 'rename or remove one of them' });
  const registerMacros = (files: ProjectFile[], packageName: string, global = true) => {
    for (const f of files) {
      const repeated = engine.repeatedMacroInFile(f.text);
      if (repeated) throw duplicateMacro(repeated.name, packageName, `${f.projectPath}:${repeated.lines[0]}`, `${f.projectPath}:${repeated.lines[1]}`, { file: f.projectPath, line: repeated.lines[1] });
      for (const m of engine.registerMacroFile(f.text, f.projectPath, packageName, { global })) {
        const earlier = macros.get(`macro.${packageName}.${m.name}`);
        if (earlier && earlier.originalFilePath !== f.projectPath) throw duplicateMacro(m.name, packageName, `${earlier.originalFilePath}:${earlier.line}`, `${f.projectPath}:${m.line}`, { file: f.projectPath, line: m.line });
        macros.set(`macro.${packageName}.${m.name}`, { uniqueId: `macro.${packageName}.${m.name}`, name: m.name, packageName, path: f.resourcePath, originalFilePath: f.projectPath, macroSql: m.source, line: m.line });
      }
    }
  };
  registerMacros(builtinMacroFiles(), 'kiln');
  exposeContextMacros(engine);
  for (const p of packages) engine.addPackageFolder(p.folder, p.name);
  for (const p of packages) registerMacros(p.macroFiles, p.name, false);
  registerMacros(discoverFiles(project.projectDir, project.macroPaths, ['.sql']), pkg);
  const projects = parsedSources(project, packages);
  const testFiles = discoverFiles(project.projectDir, project.testPaths, ['.sql']);
  registerMacros(testFiles.filter((f) => f.resourcePath.startsWith('generic/')), pkg);

  // Config values are checked where they are written, once every materialization is known.
  const rootRules: ConfigRules = {
    materializations: materializationsOf(engine),
    incrementalStrategies: [...incrementalStrategies, ...(adapter.extraIncrementalStrategies ?? [])],
    warn: unknownConfigSilenced(project) ? () => undefined : warnOnce,
  };
  const packageRules: ConfigRules = { ...rootRules, warn: () => undefined };
  const rulesFor = (owner: ParsedSource) => (owner.isRoot ? rootRules : packageRules);
  const treeKeys: Array<[string, Record<string, unknown>, boolean]> = [['models', project.models, true], ['seeds', project.seeds, false], ['snapshots', project.snapshots, false], ['data_tests' in ((project.yaml.data as object | null) ?? {}) ? 'data_tests' : 'tests', project.dataTests, false], ['sources', project.sources, false]];
  for (const [key, tree, model] of treeKeys) checkConfigTree(tree, [key], project.yaml, rootRules, model);

  const nodes = new Map<string, GraphNode>();
  const templates = new Map<string, ParsedTemplate>();
  const fileConfigs = new Map<string, NodeConfig>();
  // Keyed `node:<package>.<name>` (analyses apart): names are unique within a package only.
  const byName = new Map<string, GraphNode>();
  const nameKey = (type: ResourceType, owner: string, name: string) => `${type === 'analysis' ? 'analysis' : 'node'}:${owner}.${name}`;
  const placeholder = (name: string) => adapter.relation(target.settings.database as string | undefined, adapter.defaultSchema, name);

  // A snapshot is one block of its file (or a YAML entry): `def` gives its name and text.
  const addSqlNode = (owner: ParsedSource, f: ProjectFile, resourceType: ResourceType, def?: SnapshotDefinition) => {
    const name = def?.name ?? f.resourcePath.replace(/\.sql$/, '').split('/').pop()!;
    const uniqueId = `${resourceType}.${owner.name}.${name}`;
    const folders = [...f.resourcePath.split('/').slice(0, -1), ...(def?.fileStem ? [def.fileStem] : [])];
    if (resourceType !== 'test') {
      const clash = byName.get(nameKey(resourceType, owner.name, name));
      if (clash) {
        throw new KilnError('graph', `two ${resourceType}s are named '${name}': ${clash.originalFilePath} and ${f.projectPath}`, {
          file: f.projectPath,
          hint: owner.isRoot ? 'node names must be unique within a project: rename one of the files' : `node names must be unique within package '${owner.name}': fix the package, or run \`kiln deps\` again`,
        });
      }
    }
    const scope: Scope = {
      var: varFunction(info, { file: f.projectPath, node: uniqueId }),
      this: placeholder(name),
      is_incremental: () => false,
      execute: false,
      // The node as known before its configs are layered: dbt's fields are there (empty), so
      // `model.config.get('x')` or `model.tags` while parsing reads nothing rather than failing.
      model: {
        name,
        unique_id: uniqueId,
        resource_type: resourceType,
        package_name: owner.name,
        original_file_path: f.projectPath,
        path: f.resourcePath,
        fqn: [owner.name, ...folders, name],
        config: {},
        tags: [],
        meta: {},
        description: '',
        columns: {},
        refs: [],
        sources: [],
        depends_on: { nodes: [], macros: [] },
        language: 'sql',
        raw_code: f.text,
        batch: null,
      },
    };
    // Padding keeps a block's line numbers those of its file in error messages.
    const text = def ? '\n'.repeat(def.line - 1) + def.text : f.text;
    const checkFileConfig = (raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => checkConfig(raw, at, rulesFor(owner), resourceType === 'model');
    const parsed = parseSql(engine, text, f.projectPath, { scope, placeholder, checkConfig: checkFileConfig });
    const node: GraphNode = {
      uniqueId,
      resourceType,
      name,
      packageName: owner.name,
      path: f.resourcePath,
      originalFilePath: f.projectPath,
      fqn: [owner.name, ...folders, name],
      description: '',
      config: {},
      tags: [],
      meta: {},
      columns: {},
      refs: parsed.refs,
      sources: parsed.sources,
      dependsOn: { nodes: [], macros: [] },
      rawCode: def?.text ?? f.text,
      language: 'sql',
      schema: '',
      alias: name,
      checksum: sha256(def?.text ?? f.text),
    };
    nodes.set(uniqueId, node);
    templates.set(uniqueId, parsed.template);
    fileConfigs.set(uniqueId, parsed.config);
    if (resourceType !== 'test') byName.set(nameKey(resourceType, owner.name, name), node);
  };

  const addSeed = (owner: ParsedSource, f: ProjectFile) => {
    const name = f.resourcePath.replace(/\.csv$/, '').split('/').pop()!;
    const clash = byName.get(nameKey('seed', owner.name, name));
    if (clash) throw new KilnError('graph', `a seed and a ${clash.resourceType} are both named '${name}': ${clash.originalFilePath} and ${f.projectPath}`, { file: f.projectPath });
    const node: GraphNode = {
      uniqueId: `seed.${owner.name}.${name}`,
      resourceType: 'seed',
      name,
      packageName: owner.name,
      path: f.resourcePath,
      originalFilePath: f.projectPath,
      fqn: [owner.name, ...f.resourcePath.split('/').slice(0, -1), name],
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
      checksum: sha256(f.text),
    };
    nodes.set(node.uniqueId, node);
    byName.set(nameKey('seed', owner.name, name), node);
  };

  // The root project's nodes first, then each installed package's, read alike.
  const props: ReturnType<typeof readProperties> = { sources: [], tests: [], yamlConfigs: new Map(), unitTests: [] };
  const exposures = new Map<string, ExposureNode>();
  const groups = new Map<string, GroupDef>();
  for (const owner of projects) {
    const p = owner.project;
    for (const f of owner.files(p.modelPaths, ['.sql'])) addSqlNode(owner, f, 'model');
    for (const f of owner.files(p.analysisPaths, ['.sql'])) addSqlNode(owner, f, 'analysis');
    // tests/fixtures/ holds unit test fixtures, not singular tests.
    const ownTests = owner.isRoot ? testFiles : owner.files(p.testPaths, ['.sql']);
    for (const f of ownTests) if (!f.resourcePath.startsWith('generic/') && !f.resourcePath.startsWith('fixtures/')) addSqlNode(owner, f, 'test');
    for (const f of owner.files(p.snapshotPaths, ['.sql'])) for (const def of snapshotBlocks(f)) addSqlNode(owner, f, 'snapshot', def);
    for (const f of owner.files(p.seedPaths, ['.csv'])) addSeed(owner, f);

    const propertyFiles = owner.files([...new Set([...p.modelPaths, ...p.seedPaths, ...p.snapshotPaths, ...p.analysisPaths, ...p.testPaths])], ['.yml', '.yaml']);
    for (const f of propertyFiles) for (const def of yamlSnapshots(f)) addSqlNode(owner, f, 'snapshot', def);
    // var() in a package's YAML sees that package's vars (the lookup goes by the id's package part).
    const valueScope = { ...base, var: varFunction(info, { file: 'properties', node: `properties.${owner.name}` }) };
    const configRenderer = new ValueRenderer(valueScope);
    // Hooks are rendered when they run, with the node's context, never while parsing.
    const hookKeys = new Set(['pre_hook', 'post_hook', 'pre-hook', 'post-hook']);
    const own = readProperties(propertyFiles, {
      packageName: owner.name,
      findNode: (type, name) => {
        const n = byName.get(nameKey(type as ResourceType, owner.name, name));
        return n && n.resourceType === type ? n : undefined;
      },
      renderValue: (value, file) => {
        if (!value.includes('{{')) return value;
        return engine.render(engine.compile(value, file), valueScope, file);
      },
      renderConfig: (config, yaml, path) => configRenderer.renderTree(config, yaml, hookKeys, path) as Record<string, unknown>,
      defaultDatabase: adapter.defaultDatabase,
      warn: warnOnce,
      checkConfig: (raw, at, type) => checkConfig(raw, at, rulesFor(owner), type === 'model'),
      quote: (name) => adapter.quoteIdentifier(name),
    });
    if (!owner.isRoot) useOwnTestMacros(own.tests, owner.name, engine);
    const downstream = readExposures(propertyFiles, owner.name, warnOnce);
    for (const e of downstream.exposures) {
      const clash = exposures.get(e.uniqueId);
      if (clash) throw new KilnError('yaml', `two exposures are named '${e.name}' (also in ${clash.originalFilePath})`, { file: e.declaredAt.file, line: e.declaredAt.line, hint: 'exposure names must be unique within a package' });
      exposures.set(e.uniqueId, e);
    }
    for (const g of downstream.groups) if (!groups.has(g.name)) groups.set(g.name, g);
    props.sources.push(...own.sources);
    props.tests.push(...own.tests);
    for (const [id, c] of own.yamlConfigs) props.yamlConfigs.set(id, c);
    // Unit tests of installed packages are not run (see docs/packages.md).
    if (owner.isRoot) props.unitTests.push(...own.unitTests);
  }
  if (input.inline !== undefined) {
    addSqlNode(projects[0]!, { absolute: '', projectPath: '<inline>', resourcePath: 'inline_query.sql', root: '', text: input.inline }, 'sql_operation');
  }
  checkTestArguments(props.tests, engine);
  for (const t of props.tests) {
    if (nodes.has(t.uniqueId)) {
      throw new KilnError('yaml', `test '${t.name}' is defined twice`, { file: t.declaredAt?.file, line: t.declaredAt?.line, hint: 'give one of them a distinct `name:`' });
    }
    nodes.set(t.uniqueId, t);
  }

  // Final configs: project tree < properties YAML < config() in the file (< the root's tree, for a package's node).
  // Unknown keys of dbt_project.yml were warned about, with their lines, by checkConfigTree.
  const warnConfig = () => undefined;
  const ownerProject = new Map(projects.map((o) => [o.name, o.project]));
  const disabled = new Map<string, GraphNode>();
  for (const node of [...nodes.values()]) {
    const config = layeredConfig(node.resourceType, node.fqn, ownerProject.get(node.packageName) ?? project, project, {
      defaults: defaultConfig(node.resourceType),
      yaml: props.yamlConfigs.get(node.uniqueId) ?? {},
      // A generic test's own config (from its YAML entry) plays the part of config() in a file.
      file: fileConfigs.get(node.uniqueId) ?? ((node as TestNode).testMetadata ? node.config : {}),
    }, warnConfig);
    node.config = config;
    node.tags = [...new Set([...(config.tags ?? []), ...node.tags])];
    node.config.tags = node.tags;
    node.meta = { ...(config.meta ?? {}), ...node.meta };
    if (config.enabled !== false && node.resourceType === 'model' && hasNoSql(node.rawCode)) {
      throw new KilnError('config', `model '${node.name}' is empty: the file has no SQL`, { file: node.originalFilePath, hint: 'write its select statement, delete the file, or disable the model with enabled: false' });
    }
    if (config.enabled === false) {
      disabled.set(node.uniqueId, node);
      nodes.delete(node.uniqueId);
      templates.delete(node.uniqueId);
      continue;
    }
    nameRelation(node, engine, adapter, target);
    if (node.resourceType === 'snapshot') {
      applySnapshotTarget(node);
      snapshotSettings(node);
    }
  }

  checkGroups(nodes.values(), groups);

  // Unit tests and contracts are checked against the models' final configs.
  const findModel = (name: string) => {
    const n = byName.get(nameKey('model', pkg, name));
    return n && n.resourceType === 'model' && nodes.has(n.uniqueId) ? n : undefined;
  };
  const unitContext = {
    packageName: pkg,
    sources: props.sources,
    findModel,
    refKind: (name: string) => (byName.get(nameKey('model', pkg, name)) ?? [...byName.values()].find((n) => n.name === name && n.resourceType !== 'analysis'))?.resourceType,
    fixtureExists: (name: string, format: string) => findFixture(project, name, format) !== undefined,
    testPaths: project.testPaths,
  };
  for (const u of makeUnitTests(props.unitTests, unitContext)) nodes.set(u.uniqueId, u);
  checkContracts(nodes.values(), project.projectDir);

  const docs = new Map<string, DocBlock>();
  // Packages' docs blocks first, so a root block of the same name wins in doc('name').
  for (const owner of [...projects.slice(1), projects[0]!]) {
    const p = owner.project;
    const docRoots = p.docsPaths.length ? p.docsPaths : [...p.modelPaths, ...p.seedPaths, ...p.testPaths, ...p.macroPaths];
    for (const f of owner.files(docRoots, ['.md'])) for (const d of readDocBlocks(f, owner.name)) docs.set(d.uniqueId, d);
  }
  resolveDocs(nodes, [...props.sources, ...exposures.values()], docs, engine, base);
  installLateGlobals(engine, { nodes, sources: props.sources, docs, macros, exposures, groups });

  return {
    project,
    target,
    adapter,
    manifest: { projectName: pkg, nodes, sources: new Map(props.sources.map((s) => [s.uniqueId, s])), macros, docs, exposures, groups, warnings, disabled },
    templates,
    engine,
    info,
  };
}

/** A node's `group` must be one of the `groups:` entries, and its `access` one of dbt's three. */
function checkGroups(nodes: Iterable<GraphNode>, groups: Map<string, GroupDef>): void {
  for (const n of nodes) {
    const file = n.patchPath ? n.patchPath.replace(/^[^:]*:\/\//, '') : n.originalFilePath;
    const { group, access } = n.config;
    if (group !== undefined && group !== null && !groups.has(String(group))) {
      const known = [...groups.keys()];
      throw new KilnError('yaml', `${n.resourceType} '${n.name}' is in group '${String(group)}', which is not defined`, { file, hint: known.length ? `defined groups: ${known.join(', ')}` : 'define it under groups: in a properties .yml (name and owner)' });
    }
    if (access !== undefined && access !== null && !['private', 'protected', 'public'].includes(String(access))) {
      throw new KilnError('yaml', `${n.resourceType} '${n.name}' has access '${String(access)}'`, { file, hint: 'access is private, protected or public' });
    }
  }
}

/** A package's YAML names its own generic tests unprefixed: they resolve in its namespace first, as dbt's do. */
function useOwnTestMacros(tests: TestNode[], packageName: string, engine: TemplateEngine): void {
  const ns = engine.namespaces.get(packageName);
  for (const t of tests) {
    const meta = t.testMetadata;
    if (meta && !meta.namespace && ns && typeof ns[`test_${meta.name}`] === 'function') meta.namespace = packageName;
  }
}

function defaultConfig(type: ResourceType): NodeConfig {
  switch (type) {
    case 'model':
      return { enabled: true, materialized: 'view', tags: [], meta: {}, pre_hook: [], post_hook: [] };
    case 'seed':
      return { enabled: true, materialized: 'seed', tags: [], meta: {}, quote_columns: undefined };
    case 'snapshot':
      return { enabled: true, materialized: 'snapshot', tags: [], meta: {}, pre_hook: [], post_hook: [] };
    case 'test':
      return { enabled: true, materialized: 'test', severity: 'ERROR', error_if: '!= 0', warn_if: '!= 0', fail_calc: 'count(*)', tags: [], meta: {} };
    default:
      return { enabled: true, tags: [], meta: {} };
  }
}

/** database, schema and alias as dbt's generate_*_name macros give them (project overrides win). */
function nameRelation(node: GraphNode, engine: TemplateEngine, adapter: Adapter, target: TargetConfig): void {
  const custom = (key: 'schema' | 'alias' | 'database') => {
    const v = node.config[key];
    return v === undefined || v === null || v === '' ? null : String(v);
  };
  const call = (macro: string, arg: string | null, fallback: () => string | undefined): string | undefined => {
    const info = engine.macros.get(macro);
    if (!info || info.packageName === 'kiln') return fallback();
    // dbt's node as parsed so far (names given by earlier calls included), built only when a project macro asks.
    const nodeDict = parsedNodeDict(node, { database: adapter.defaultDatabase, schema: adapter.defaultSchema });
    return String(engine.callMacro(macro, [arg, nodeDict], {})).trim();
  };
  const targetSchema = adapter.defaultSchema;
  // dbt names the database first, then the schema, then the alias.
  node.database = call('generate_database_name', custom('database'), () => custom('database') ?? adapter.defaultDatabase);
  node.schema = call('generate_schema_name', custom('schema'), () => (custom('schema') ? `${targetSchema}_${custom('schema')!.trim()}` : targetSchema))!;
  node.alias = call('generate_alias_name', custom('alias'), () => custom('alias') ?? node.name)!;
  void target;
}

function resolveDocs(nodes: Map<string, GraphNode>, sources: Array<{ description: string; columns?: Record<string, { description: string }> }>, docs: Map<string, { name: string; blockContents: string }>, engine: TemplateEngine, base: Scope): void {
  const byName = new Map([...docs.values()].map((d) => [d.name, d.blockContents]));
  const doc = (a: string, b?: string) => {
    const name = b ?? a;
    const found = byName.get(name);
    if (found === undefined) throw new KilnError('template', `doc('${name}') refers to a docs block that does not exist`, { hint: 'define it in a .md file: {% docs name %}...{% enddocs %}' });
    return found;
  };
  const render = (text: string) => (text.includes('{{') ? engine.render(engine.compile(text, 'description'), { ...base, doc }, 'description') : text);
  for (const n of [...nodes.values(), ...sources]) {
    n.description = render(n.description);
    for (const c of Object.values(n.columns ?? {})) c.description = render(c.description);
  }
}


/** kiln's materializations and every `{% materialization name, adapter %}` of the project and its packages. */
function materializationsOf(engine: TemplateEngine): Set<string> {
  const names = new Set<string>(builtinMaterializations);
  for (const macros of engine.packageMacros.values()) {
    for (const name of macros.keys()) {
      const m = /^materialization_(.+)_([^_]+)$/.exec(name);
      if (m) names.add(m[1]!);
    }
  }
  return names;
}

/**
 * Unknown config keys are legal in dbt (they become node config), so the warning about them
 * can be silenced as dbt silences its own: `flags: {warn_error_options: {silence: [CustomKeyInConfigDeprecation]}}`.
 */
function unknownConfigSilenced(project: ProjectConfig): boolean {
  const flags = (project.yaml.data as { flags?: { warn_error_options?: { silence?: unknown } } }).flags;
  const silence = flags?.warn_error_options?.silence;
  return Array.isArray(silence) && silence.some((s) => s === 'CustomKeyInConfigDeprecation' || s === 'all');
}

/** A model file with nothing but comments, whitespace and config() calls. */
function hasNoSql(text: string): boolean {
  return (
    text
      .replace(/\{#[\s\S]*?#\}/g, '')
      .replace(/\{\{-?\s*config\s*\([\s\S]*?\)\s*-?\}\}/g, '')
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}

function varLookup(project: ProjectConfig, cli: Record<string, unknown>): InvocationInfo['vars'] {
  const scoped = project.vars[project.name];
  return (name) => {
    if (name in cli) return { found: true, value: cli[name] };
    if (scoped && typeof scoped === 'object' && name in (scoped as object)) return { found: true, value: (scoped as Record<string, unknown>)[name] };
    if (name in project.vars && name !== project.name) return { found: true, value: project.vars[name] };
    return { found: false };
  };
}

function builtinMacroFiles(): ProjectFile[] {
  const out: ProjectFile[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full, `${rel}${e.name}/`);
      else if (e.name.endsWith('.sql')) out.push({ absolute: full, projectPath: `kiln/templates/${rel}${e.name}`, resourcePath: `${rel}${e.name}`, root: 'templates', text: readFileSync(full, 'utf8') });
    }
  };
  walk(builtinTemplatesDir, '');
  return out.sort((a, b) => a.resourcePath.localeCompare(b.resourcePath));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
