/**
 * Properties: one project's properties YAML (its own or an installed package's) read against
 * the nodes its files gave: descriptions, columns, YAML configs, sources, generic tests, unit
 * test entries, exposures and groups. Jinja in values renders with the invocation's context;
 * hooks are left for the run.
 */
import { KilnError } from '../errors.js';
import type { Adapter } from '../adapters/types.js';
import type { Scope, TemplateEngine } from '../template/engine.js';
import { varFunction, type InvocationInfo } from '../template/context.js';
import { ValueRenderer } from '../config/render-values.js';
import { checkConfig, type ConfigRules } from './configs.js';
import type { OwnerFiles } from './discovery.js';
import type { ProjectFile } from './files.js';
import type { YamlFile } from '../config/yaml.js';
import type { YamlCheck } from './partial-cache.js';
import type { NodeTable } from './file-nodes.js';
import type { ParsedSource } from './packages.js';
import { readProperties, type PropertiesResult } from './properties.js';
import { readExposures } from './exposures.js';
import type { ExposureNode, GroupDef, ResourceType, TestNode } from './nodes.js';

/** Everything the projects' properties files declare, the root project's first. */
export interface ProjectProperties extends PropertiesResult {
  exposures: Map<string, ExposureNode>;
  groups: Map<string, GroupDef>;
}

/** What reading properties needs from the invocation. */
export interface PropertiesReader {
  engine: TemplateEngine;
  info: InvocationInfo;
  /** The invocation-wide template context. */
  context: Scope;
  adapter: Pick<Adapter, 'defaultDatabase' | 'quoteIdentifier'>;
  /** How config values written by this project are checked. */
  rules: (owner: ParsedSource) => ConfigRules;
  warn: (message: string) => void;
  /** A properties file's YAML (the partial parse cache's copy when it has one). */
  parseYaml: (file: ProjectFile, check?: YamlCheck) => YamlFile;
}

export function emptyProperties(): ProjectProperties {
  return { sources: [], tests: [], yamlConfigs: new Map(), unitTests: [], exposures: new Map(), groups: new Map() };
}

// Hooks are rendered when they run, with the node's context, never while parsing.
const hookKeys = new Set(['pre_hook', 'post_hook', 'pre-hook', 'post-hook']);

/** Reads one owner's properties files into `into`. */
export function readOwnerProperties(
  into: ProjectProperties,
  table: NodeTable,
  reader: PropertiesReader,
  files: OwnerFiles,
): void {
  const { owner } = files;
  const { engine } = reader;
  // var() in a package's YAML sees that package's vars (the lookup goes by the id's package part).
  const valueScope = {
    ...reader.context,
    var: varFunction(reader.info, { file: 'properties', node: `properties.${owner.name}` }),
  };
  const configRenderer = new ValueRenderer(valueScope);
  const own = readProperties(files.properties, {
    packageName: owner.name,
    findNode: (type, name) => {
      const n = table.named(type as ResourceType, owner.name, name);
      return n && n.resourceType === type ? n : undefined;
    },
    renderValue: (value, file) => {
      if (!value.includes('{{')) return value;
      return engine.render(engine.compile(value, file), valueScope, file);
    },
    renderConfig: (config, yaml, path) =>
      configRenderer.renderTree(config, yaml, hookKeys, path) as Record<string, unknown>,
    defaultDatabase: reader.adapter.defaultDatabase,
    warn: reader.warn,
    checkConfig: (raw, at, type) => checkConfig(raw, at, reader.rules(owner), type === 'model'),
    quote: (name) => reader.adapter.quoteIdentifier(name),
    parseYaml: reader.parseYaml,
  });
  if (!owner.isRoot) useOwnTestMacros(own.tests, owner.name, engine);
  const downstream = readExposures(files.properties, owner.name, reader.warn, reader.parseYaml);
  for (const e of downstream.exposures) {
    const clash = into.exposures.get(e.uniqueId);
    if (clash)
      throw new KilnError('yaml', `two exposures are named '${e.name}' (also in ${clash.originalFilePath})`, {
        file: e.declaredAt.file,
        line: e.declaredAt.line,
        hint: 'exposure names must be unique within a package',
      });
    into.exposures.set(e.uniqueId, e);
  }
  for (const g of downstream.groups) if (!into.groups.has(g.name)) into.groups.set(g.name, g);
  into.sources.push(...own.sources);
  into.tests.push(...own.tests);
  for (const [id, c] of own.yamlConfigs) into.yamlConfigs.set(id, c);
  // Unit tests of installed packages are not run (see docs/packages.md).
  if (owner.isRoot) into.unitTests.push(...own.unitTests);
}

/** A package's YAML names its own generic tests unprefixed: they resolve in its namespace first, as dbt's do. */
function useOwnTestMacros(tests: TestNode[], packageName: string, engine: TemplateEngine): void {
  const ns = engine.namespaces.get(packageName);
  for (const t of tests) {
    const meta = t.testMetadata;
    if (meta && !meta.namespace && ns && typeof ns[`test_${meta.name}`] === 'function') meta.namespace = packageName;
  }
}
