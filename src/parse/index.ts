/**
 * project dir → Manifest, as plain data. The stages, each in its module: discovery (every
 * file read once), macros (registered in the session's template engine), nodes from files,
 * properties YAML, final configs, unit tests and contracts, descriptions, and linking
 * (`dependsOn`). Renders only what cannot be read simply, and never opens a warehouse
 * connection. The runtime objects it uses (adapter, engine) belong to the session.
 */
import { KilnError } from '../errors.js';
import { checkTestArguments } from './test-arguments.js';
import { checkConfigTree, incrementalStrategies, type ConfigRules } from './configs.js';
import type { ProjectConfig } from '../config/project.js';
import type { TargetConfig } from '../config/profiles.js';
import type { InstalledPackage } from '../deps/installed.js';
import type { KilnSession } from '../session.js';
import { discoverProjectFiles, macroFilesOf, type DiscoveredFiles } from './discovery.js';
import { materializationsOf, registerMacros } from './macros.js';
import { NodeTable, addSqlNode, readFileNodes, type NodeReader } from './file-nodes.js';
import { emptyProperties, readOwnerProperties, type PropertiesReader } from './project-properties.js';
import { checkGroups, configureNodes } from './configure.js';
import { readDocs, renderDescriptions } from './descriptions.js';
import { linkDependencies } from './link.js';
import type { ParsedSource } from './packages.js';
import type { ParsedTemplate } from './sql-nodes.js';
import { noPartialParse, type SqlParseCache } from './partial-cache.js';
import { makeUnitTests } from './unit-tests.js';
import { untimed, type ParsePerf } from './perf-info.js';
import { findFixture } from './fixture-files.js';
import { checkContracts } from './contracts.js';
import type { Manifest } from './nodes.js';

export interface ParsedProject {
  project: ProjectConfig;
  target: TargetConfig;
  manifest: Manifest;
  /** Each SQL node's template, kept from parsing so compiling reads no file twice. */
  templates: Map<string, ParsedTemplate>;
}

export interface ParseInput {
  project: ProjectConfig;
  target: TargetConfig;
  /** The invocation's runtime: parse registers macros in its engine and renders with its context. */
  session: KilnSession;
  packages: InstalledPackage[];
  /** Hears the parse's warnings once every file is read, before dependencies are linked. */
  warn: (message: string) => void;
  /** An ad-hoc query (`compile --inline`), parsed as the node `sql_operation.<project>.inline_query`. */
  inline?: string;
  /** Partial parsing: SQL files' parses reused from the last invocation. */
  sqlCache?: SqlParseCache;
  /** dbt's static parser (on unless false): models of ref/source/config/var calls alone read without the engine. */
  staticParser?: boolean;
  /** Hears the files the parse reads, once found (a compile records them for its replay). */
  onDiscovered?: (files: DiscoveredFiles) => void;
  /** Hears where the parse's time goes (`kiln parse` writes it to perf_info.json). */
  perf?: ParsePerf;
}

/** The unique id `compile --inline` gives its query, as dbt does. */
export const inlineQueryId = (projectName: string) => `sql_operation.${projectName}.inline_query`;

export function parseProject(input: ParseInput): ParsedProject {
  const { project, target, session } = input;
  const { engine, adapter, info } = session;
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

  const { perf } = input;
  perf?.begin(input.staticParser !== false);
  const files = discoverProjectFiles(project, input.packages);
  perf?.lap('read_files');
  perf?.discovered(...fileCounts(files));
  input.onDiscovered?.(files);
  const macros = registerMacros(engine, files, pkg);
  perf?.lap('load_macros');
  const { reader: nodeReader, rootRules, rules } = sqlNodeReader(input, warnOnce);
  const treeKeys: Array<[string, Record<string, unknown>, boolean]> = [
    ['models', project.models, true],
    ['seeds', project.seeds, false],
    ['snapshots', project.snapshots, false],
    ['data_tests' in ((project.yaml.data as object | null) ?? {}) ? 'data_tests' : 'tests', project.dataTests, false],
    ['sources', project.sources, false],
  ];
  for (const [key, tree, model] of treeKeys) checkConfigTree(tree, [key], project.yaml, rootRules, model);

  // The root project's nodes and properties first, then each installed package's, read alike.
  const table = new NodeTable();
  const yamlCache = input.sqlCache ?? noPartialParse;
  const propertiesReader: PropertiesReader = {
    engine,
    info,
    rules,
    context: session.context,
    adapter,
    warn: warnOnce,
    parseYaml: (file, check) => yamlCache.parseYamlFile(file, check),
  };
  const props = emptyProperties();
  for (const owned of files.owners) {
    const timed = perf?.project(owned.owner.name) ?? untimed;
    readFileNodes(table, nodeReader, owned, timed);
    timed('test', owned.properties.length, () => readOwnerProperties(props, table, propertiesReader, owned), 'yaml');
  }
  const owners = files.owners.map((o) => o.owner);
  if (input.inline !== undefined) {
    addSqlNode(
      table,
      nodeReader,
      owners[0]!,
      { absolute: '', projectPath: '<inline>', resourcePath: 'inline_query.sql', root: '', text: input.inline },
      'sql_operation',
    );
  }
  checkTestArguments(props.tests, engine);
  for (const t of props.tests) {
    if (table.nodes.has(t.uniqueId)) {
      throw new KilnError('yaml', `test '${t.name}' is defined twice`, {
        file: t.declaredAt?.file,
        line: t.declaredAt?.line,
        hint: 'give one of them a distinct `name:`',
      });
    }
    table.add(t);
  }

  const disabled = configureNodes(table, props.yamlConfigs, owners, project, engine, adapter);
  const { nodes } = table;
  checkGroups(nodes.values(), props.groups);

  // Unit tests and contracts are checked against the models' final configs.
  const unitContext = {
    packageName: pkg,
    sources: props.sources,
    findModel: (name: string) => {
      const n = table.named('model', pkg, name);
      return n && n.resourceType === 'model' && nodes.has(n.uniqueId) ? n : undefined;
    },
    refKind: (name: string) =>
      (
        table.named('model', pkg, name) ??
        [...table.namedNodes()].find((n) => n.name === name && n.resourceType !== 'analysis')
      )?.resourceType,
    fixtureExists: (name: string, format: string) => findFixture(project, name, format) !== undefined,
    testPaths: project.testPaths,
  };
  for (const u of makeUnitTests(props.unitTests, unitContext)) nodes.set(u.uniqueId, u);
  checkContracts(nodes.values(), project.projectDir);
  if (perf) noteModels(perf, table);
  perf?.lap('parse_project');

  const docs = readDocs(files.owners);
  renderDescriptions([...nodes.values(), ...props.sources, ...props.exposures.values()], docs, engine, session.context);

  const manifest: Manifest = {
    projectName: pkg,
    nodes,
    sources: new Map(props.sources.map((s) => [s.uniqueId, s])),
    macros,
    docs,
    exposures: props.exposures,
    groups: props.groups,
    warnings,
    disabled,
  };
  for (const w of warnings) input.warn(w);
  linkDependencies(manifest);
  perf?.lap('process_manifest');
  return { project, target, manifest, templates: table.templates };
}

/** The files discovery found, and how many of them every parse reads whatever the cache holds (macros, docs). */
function fileCounts(files: DiscoveredFiles): [paths: number, alwaysRead: number] {
  const macros = macroFilesOf(files).length;
  let owned = 0;
  let docs = 0;
  for (const o of files.owners) {
    owned += o.models.length + o.analyses.length + o.tests.length + o.snapshots.length + o.seeds.length;
    owned += o.properties.length + o.docs.length;
    docs += o.docs.length;
  }
  return [macros + owned, macros + docs];
}

/** The models read, and those whose Jinja kiln read without rendering it (dbt's static analysis). */
function noteModels(perf: ParsePerf, table: NodeTable): void {
  let models = 0;
  let simple = 0;
  for (const [id, template] of table.templates)
    if (id.startsWith('model.')) {
      models++;
      if (template.kind === 'simple') simple++;
    }
  perf.modelsRead(models, simple);
}

/**
 * How SQL files are read into nodes, once every macro is registered: config values are checked where they are
 * written (the root project's warned about through `warn`, packages' silently).
 */
export function sqlNodeReader(
  input: Pick<ParseInput, 'project' | 'target' | 'session' | 'sqlCache' | 'staticParser'>,
  warn: (message: string) => void,
): { reader: NodeReader; rootRules: ConfigRules; rules: (owner: ParsedSource) => ConfigRules } {
  const { project, target, session } = input;
  const { engine, adapter, info } = session;
  const rootRules: ConfigRules = {
    materializations: materializationsOf(engine),
    incrementalStrategies: [...incrementalStrategies, ...(adapter.extraIncrementalStrategies ?? [])],
    warn: unknownConfigSilenced(project) ? () => undefined : warn,
  };
  const packageRules: ConfigRules = { ...rootRules, warn: () => undefined };
  const rules = (owner: ParsedSource) => (owner.isRoot ? rootRules : packageRules);
  const reader: NodeReader = {
    engine,
    info,
    rules,
    placeholder: (name) =>
      adapter.relation(target.settings.database as string | undefined, adapter.defaultSchema, name),
    sqlCache: input.sqlCache,
    staticParser: input.staticParser !== false,
  };
  return { reader, rootRules, rules };
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
