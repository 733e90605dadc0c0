/**
 * Final configs: each node's config layered as dbt does (project tree < properties YAML <
 * config() in the file, then the root's tree for a package's node), disabled nodes set
 * aside, database/schema/alias named by the generate_*_name macros, snapshot settings read,
 * and groups checked. Runs the project's naming macros; opens no connection.
 */
import { KilnError } from '../errors.js';
import type { Adapter } from '../adapters/types.js';
import type { TemplateEngine } from '../template/engine.js';
import type { ProjectConfig } from '../config/project.js';
import { layeredConfig, type ParsedSource } from './packages.js';
import { TreeLevels } from './configs.js';
import { parsedNodeDict } from './node-dict.js';
import { applySnapshotTarget, snapshotSettings } from './snapshots.js';
import type { NodeTable } from './file-nodes.js';
import type { GraphNode, GroupDef, NodeConfig, ResourceType, TestNode } from './nodes.js';

/** Layers every node's config; returns the disabled nodes, which leave the table. */
export function configureNodes(
  table: NodeTable,
  yamlConfigs: Map<string, NodeConfig>,
  owners: ParsedSource[],
  root: ProjectConfig,
  engine: TemplateEngine,
  adapter: Adapter,
): Map<string, GraphNode> {
  const { nodes } = table;
  // Unknown keys of dbt_project.yml were warned about, with their lines, by checkConfigTree.
  const warnConfig = () => undefined;
  const ownerProject = new Map(owners.map((o) => [o.name, o.project]));
  const disabled = new Map<string, GraphNode>();
  const levels = new TreeLevels();
  for (const node of [...nodes.values()]) {
    const config = layeredConfig(
      node.resourceType,
      node.fqn,
      ownerProject.get(node.packageName) ?? root,
      root,
      {
        defaults: defaultConfig(node.resourceType),
        yaml: yamlConfigs.get(node.uniqueId) ?? {},
        // A generic test's own config (from its YAML entry) plays the part of config() in a file.
        file: table.fileConfigs.get(node.uniqueId) ?? ((node as TestNode).testMetadata ? node.config : {}),
      },
      warnConfig,
      levels,
    );
    node.config = config;
    node.tags = [...new Set([...(config.tags ?? []), ...node.tags])];
    node.config.tags = node.tags;
    node.meta = { ...(config.meta ?? {}), ...node.meta };
    if (config.enabled !== false && node.resourceType === 'model' && hasNoSql(node.rawCode)) {
      throw new KilnError('config', `model '${node.name}' is empty: the file has no SQL`, {
        file: node.originalFilePath,
        hint: 'write its select statement, delete the file, or disable the model with enabled: false',
      });
    }
    if (config.enabled === false) {
      disabled.set(node.uniqueId, node);
      nodes.delete(node.uniqueId);
      table.templates.delete(node.uniqueId);
      continue;
    }
    nameRelation(node, engine, adapter);
    if (node.resourceType === 'snapshot') {
      applySnapshotTarget(node);
      snapshotSettings(node);
    }
  }
  return disabled;
}

/** A node's `group` must be one of the `groups:` entries, and its `access` one of dbt's three. */
export function checkGroups(nodes: Iterable<GraphNode>, groups: Map<string, GroupDef>): void {
  for (const n of nodes) {
    const file = n.patchPath ? n.patchPath.replace(/^[^:]*:\/\//, '') : n.originalFilePath;
    const { group, access } = n.config;
    if (group !== undefined && group !== null && !groups.has(String(group))) {
      const known = [...groups.keys()];
      throw new KilnError(
        'yaml',
        `${n.resourceType} '${n.name}' is in group '${String(group)}', which is not defined`,
        {
          file,
          hint: known.length
            ? `defined groups: ${known.join(', ')}`
            : 'define it under groups: in a properties .yml (name and owner)',
        },
      );
    }
    if (access !== undefined && access !== null && !['private', 'protected', 'public'].includes(String(access))) {
      throw new KilnError('yaml', `${n.resourceType} '${n.name}' has access '${String(access)}'`, {
        file,
        hint: 'access is private, protected or public',
      });
    }
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
      return {
        enabled: true,
        materialized: 'test',
        severity: 'ERROR',
        error_if: '!= 0',
        warn_if: '!= 0',
        fail_calc: 'count(*)',
        tags: [],
        meta: {},
      };
    default:
      return { enabled: true, tags: [], meta: {} };
  }
}

/** database, schema and alias as dbt's generate_*_name macros give them (project overrides win). */
function nameRelation(node: GraphNode, engine: TemplateEngine, adapter: Adapter): void {
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
  node.database = call(
    'generate_database_name',
    custom('database'),
    () => custom('database') ?? adapter.defaultDatabase,
  );
  node.schema = call('generate_schema_name', custom('schema'), () =>
    custom('schema') ? `${targetSchema}_${custom('schema')!.trim()}` : targetSchema,
  )!;
  node.alias = call('generate_alias_name', custom('alias'), () => custom('alias') ?? node.name)!;
}

/** A model file with nothing but comments, whitespace and config() calls. */
export function hasNoSql(text: string): boolean {
  // All that is stripped below starts with `{`, `-` or `/`: a file whose first visible character is another has SQL.
  const first = /\S/.exec(text)?.[0];
  if (first !== undefined && first !== '{' && first !== '-' && first !== '/') return false;
  return (
    text
      .replace(/\{#[\s\S]*?#\}/g, '')
      .replace(/\{\{-?\s*config\s*\([\s\S]*?\)\s*-?\}\}/g, '')
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}
