/**
 * Node configs: dbt's precedence (the file's `config()` over properties YAML over the most
 * specific project path), with tags and hooks accumulating and meta merging.
 */
import { KilnError, type ErrorLocation } from '../errors.js';
import { nodeConfigSchema } from '../config/schemas.js';
import { closestWord, schemaProblem, type YamlFile } from '../config/yaml.js';
import type { Hook, NodeConfig } from './nodes.js';

export const knownConfigs = new Set([
  'materialized',
  'enabled',
  'tags',
  'schema',
  'alias',
  'database',
  'pre_hook',
  'post_hook',
  'meta',
  'persist_docs',
  'full_refresh',
  'column_types',
  'quote_columns',
  'docs',
  'grants',
  'contract',
  'on_schema_change',
  'unique_key',
  'incremental_strategy',
  'incremental_predicates',
  'merge_update_columns',
  'merge_exclude_columns',
  'severity',
  'error_if',
  'warn_if',
  'where',
  'limit',
  'fail_calc',
  'store_failures',
  'store_failures_as',
  'sql_header',
  'access',
  'group',
  'event_time',
  'batch_size',
  'lookback',
  'begin',
  'concurrent_batches',
  'delimiter',
  'transient',
  'cluster_by',
  'partition_by',
  'labels',
  'snowflake_warehouse',
  'query_tag',
  'copy_grants',
  'strategy',
  'updated_at',
  'check_cols',
  'target_schema',
  'target_database',
  'invalidate_hard_deletes',
  'hard_deletes',
  'dbt_valid_to_current',
  'snapshot_meta_column_names',
  'audit',
  'retries',
  'retry_backoff',
  'on_error',
  'concurrency_group',
  'indexes',
  'unlogged',
  'require_partition_filter',
  'partition_expiration_days',
  'loaded_at_field',
  'freshness',
  'quoting',
  'identifier',
  'quote',
  'packages',
  'docs',
  'kiln',
  'file_format',
  'location',
  'cluster_by',
  'options',
  'plugins',
  'external_location',
  'format',
  'description',
]);

/** Configs whose value is itself a mapping (so an object under these keys is not a folder). */
const objectConfigs = new Set([
  'meta',
  'docs',
  'persist_docs',
  'column_types',
  'grants',
  'contract',
  'quoting',
  'freshness',
  'labels',
  'partition_by',
  'snapshot_meta_column_names',
  'options',
]);

export function normaliseConfigKey(key: string): string {
  const k = key.startsWith('+') ? key.slice(1) : key;
  if (k === 'pre-hook') return 'pre_hook';
  if (k === 'post-hook') return 'post_hook';
  return k;
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A hook as SQL text, or `{sql, transaction: false}` when it must run outside the model's transaction. */
function normaliseHook(h: unknown): Hook {
  if (typeof h !== 'object' || h === null) return String(h);
  const { sql, transaction } = h as { sql?: unknown; transaction?: unknown };
  const text = String(sql ?? '');
  return transaction === false || String(transaction).toLowerCase() === 'false'
    ? { sql: text, transaction: false }
    : text;
}

/** Normalises a raw config mapping: key spelling, hooks and tags as lists. */
export function normaliseConfig(raw: Record<string, unknown>): NodeConfig {
  const out: NodeConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === '__keywords') continue;
    const k = normaliseConfigKey(key);
    if (k === 'tags') out.tags = asList(value).map(String);
    else if (k === 'pre_hook' || k === 'post_hook') out[k] = asList(value).map(normaliseHook);
    else out[k] = value;
  }
  return out;
}

/** Layers `over` on top of `base`: tags and hooks accumulate, meta merges, the rest overrides. */
export function mergeConfig(base: NodeConfig, over: NodeConfig): NodeConfig {
  const out: NodeConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    if (k === 'tags') out.tags = [...new Set([...(base.tags ?? []), ...(v as string[])])];
    else if (k === 'pre_hook' || k === 'post_hook') out[k] = [...(base[k] ?? []), ...(v as Hook[])];
    else if (k === 'meta' || k === 'docs') out[k] = { ...((base[k] as object | undefined) ?? {}), ...(v as object) };
    else out[k] = v;
  }
  return out;
}

function isConfigKey(key: string, value: unknown): boolean {
  if (key.startsWith('+')) return true;
  const k = normaliseConfigKey(key);
  if (!knownConfigs.has(k)) return false;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return objectConfigs.has(k);
  return true;
}

/**
 * The configs a project tree (`models:`, `seeds:`, `data_tests:` of dbt_project.yml) gives a
 * node at `fqn` ([package, ...folders, name]), applied from the root down so the most
 * specific path wins. `warn` hears about config keys kiln does not know. With `levels`, each
 * level's work is done once for all the nodes under it (the result is then shared: not to be changed).
 */
export function configFromTree(
  tree: Record<string, unknown>,
  fqn: string[],
  warn: (key: string) => void,
  levels: TreeLevels = new TreeLevels(),
): NodeConfig {
  let config = levels.below(noConfig, tree, warn);
  let level: Record<string, unknown> = tree;
  for (const part of fqn) {
    const next: unknown = level[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) break;
    level = next as Record<string, unknown>;
    config = levels.below(config, level, warn);
  }
  return config;
}

const noConfig: NodeConfig = Object.freeze({});

/**
 * The configs of a project tree's levels as configFromTree() works them out, kept for one pass over a project's nodes
 * (thousands share a handful of folders). Keyed by the config above and the level's object, so a level reached by two
 * paths (a YAML alias) is worked out for each; the unknown keys it warned about are warned about again on each use.
 */
interface LevelConfig {
  config: NodeConfig;
  unknown: string[];
}

export class TreeLevels {
  private readonly done = new Map<NodeConfig, Map<object, LevelConfig>>();

  below(above: NodeConfig, level: Record<string, unknown>, warn: (key: string) => void): NodeConfig {
    let byLevel = this.done.get(above);
    if (!byLevel) this.done.set(above, (byLevel = new Map<object, LevelConfig>()));
    let step = byLevel.get(level);
    if (!step) {
      const own: Record<string, unknown> = {};
      const unknown: string[] = [];
      for (const [k, v] of Object.entries(level)) {
        if (!isConfigKey(k, v)) continue;
        if (!knownConfigs.has(normaliseConfigKey(k))) unknown.push(normaliseConfigKey(k));
        own[k] = v;
      }
      step = { config: mergeConfig(above, normaliseConfig(own)), unknown };
      byLevel.set(level, step);
    }
    for (const key of step.unknown) warn(key);
    return step.config;
  }
}

/** The incremental strategies kiln builds (compared lower-cased, as dbt does). */
export const incrementalStrategies = ['append', 'delete+insert', 'merge', 'microbatch'] as const;

/** Materializations kiln builds itself; a project or package adds its own with `{% materialization %}`. */
export const builtinMaterializations = ['view', 'table', 'incremental', 'ephemeral'] as const;

export interface ConfigRules {
  /** Every materialization a model may name (kiln's and the `{% materialization %}` macros'). */
  materializations: ReadonlySet<string>;
  /** Every incremental strategy the target's adapter builds (kiln's and its own, e.g. BigQuery's insert_overwrite). */
  incrementalStrategies: readonly string[];
  /** Hears about a key kiln does not know, with its file and line (unless silenced). */
  warn(message: string): void;
}

/**
 * Checks a config mapping as written (`+enabled`, `pre-hook`, ...) where it is set: a value of
 * the wrong type, an unknown materialization or incremental strategy is an error at the
 * line of its key; a key kiln does not know is a warning (custom keys are legal in dbt and
 * become node config). `at(key)` says where a key is written; `model` turns on the checks
 * that concern only models.
 */
export function checkConfig(
  raw: Record<string, unknown>,
  at: (key: string) => ErrorLocation,
  rules: ConfigRules,
  model: boolean,
): void {
  for (const [key, value] of Object.entries(raw)) {
    if (key === '__keywords') continue;
    const k = normaliseConfigKey(key);
    if (!knownConfigs.has(k)) {
      const near = closestWord(k, knownConfigs);
      const where = at(key);
      rules.warn(
        `${where.file}${where.line ? `:${where.line}` : ''}: unknown ` +
          `config '${k}'${near ? ` (did you mean '${near}'?)` : ''}; kiln ` +
          `keeps it in the node's config but does not use it (custom keys ` +
          `belong under meta:)`,
      );
      continue;
    }
    const problem = schemaProblem(nodeConfigSchema, { [k]: value });
    if (problem) {
      const written = problem.path.length === 1 ? `, not ${JSON.stringify(value)}` : '';
      throw new KilnError('config', `${problem.message.replace(`'${k}`, `'${key}`)}${written}`, at(key));
    }
    if (model && k === 'materialized' && value !== null && value !== undefined) {
      const name = String(value);
      if (!rules.materializations.has(name)) {
        const near = closestWord(name, rules.materializations);
        throw new KilnError('config', `unknown materialization '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, {
          ...at(key),
          hint:
            `use ${[...builtinMaterializations].join(', ')}, or define it ` +
            `with {% materialization ${name}, default %} in a macro file`,
        });
      }
    }
    if (k === 'incremental_strategy' && value !== null && value !== undefined) {
      const strategy = String(value).toLowerCase();
      if (!rules.incrementalStrategies.includes(strategy)) {
        const near = closestWord(strategy, rules.incrementalStrategies);
        throw new KilnError(
          'config',
          `unknown incremental_strategy '${String(value)}'${near ? ` (did you mean '${near}'?)` : ''}`,
          { ...at(key), hint: `use one of: ${rules.incrementalStrategies.join(', ')}` },
        );
      }
    }
  }
}

/**
 * Checks every config of a dbt_project.yml tree (`models:`, `seeds:`, ...) at its line;
 * `path` is the tree's own path in the file. Folders are the keys that are not configs.
 */
export function checkConfigTree(
  tree: Record<string, unknown>,
  path: string[],
  yaml: YamlFile,
  rules: ConfigRules,
  model: boolean,
): void {
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) {
    if (isConfigKey(k, v)) own[k] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v))
      checkConfigTree(v as Record<string, unknown>, [...path, k], yaml, rules, model);
  }
  checkConfig(
    own,
    (key) => ({
      file: yaml.file,
      line: knownConfigs.has(normaliseConfigKey(key)) ? yaml.lineOf([...path, key]) : yaml.lineOfKey([...path, key]),
    }),
    rules,
    model,
  );
}
