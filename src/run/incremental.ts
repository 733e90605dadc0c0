/**
 * Incremental models: the first run (or a full refresh) builds the table; later runs fold
 * the model's new rows into it with the configured strategy. All changes to the table,
 * the hooks included, happen in one transaction, so a failure leaves it as it was.
 */
import { KilnError } from '../errors.js';
import type { Adapter, ColumnInfo, Session } from '../adapters/types.js';
import type { GraphNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';
import type { Materializer } from './materialize.js';
import type { TimeWindow } from './microbatch.js';

import { incrementalStrategies as strategies } from '../parse/configs.js';
export { strategies };
/** Strategies only some adapters have (Adapter.extraIncrementalStrategies). */
export type Strategy = (typeof strategies)[number] | 'insert_overwrite';
const schemaChangeModes = ['ignore', 'fail', 'append_new_columns', 'sync_all_columns'] as const;
type SchemaChangeMode = (typeof schemaChangeModes)[number];

/** A config value that may be one string or a list of strings, as a list. */
export function stringList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

export interface IncrementalSettings {
  strategy: Strategy;
  uniqueKey: string[];
  predicates: string[];
  onSchemaChange: SchemaChangeMode;
  mergeUpdateColumns?: string[];
  mergeExcludeColumns: string[];
  /** insert_overwrite: the model's partition_by config, whose partitions in the new rows are replaced. */
  partitionBy?: unknown;
  /** microbatch: the batch whose rows are replaced (set per batch). */
  window?: TimeWindow;
}

/**
 * Reads and checks a model's incremental configs; dbt's default strategy is append, or with a
 * unique_key the adapter's default (`withKey`): delete+insert, merge on Snowflake and BigQuery.
 */
export function incrementalSettings(
  node: GraphNode,
  adapter: Pick<Adapter, 'defaultIncrementalStrategy' | 'extraIncrementalStrategies'> = {},
): IncrementalSettings {
  const c = node.config;
  const bad = (message: string, hint: string) =>
    new KilnError('config', `model '${node.name}': ${message}`, { file: node.originalFilePath, hint });
  const uniqueKey = stringList(c.unique_key);
  const strategy = String(
    c.incremental_strategy ?? (uniqueKey.length ? (adapter.defaultIncrementalStrategy ?? 'delete+insert') : 'append'),
  ).toLowerCase();
  const known: readonly string[] = [...strategies, ...(adapter.extraIncrementalStrategies ?? [])];
  if (!known.includes(strategy))
    throw bad(`incremental_strategy '${strategy}' is not supported`, `use one of: ${known.join(', ')}`);
  if (strategy === 'insert_overwrite' && !c.partition_by)
    throw bad(
      "incremental_strategy 'insert_overwrite' needs a partition_by config",
      'set partition_by to the column whose partitions each run replaces',
    );
  const onSchemaChange = String(c.on_schema_change ?? 'ignore').toLowerCase();
  if (!(schemaChangeModes as readonly string[]).includes(onSchemaChange))
    throw bad(`on_schema_change '${onSchemaChange}' is not valid`, `use one of: ${schemaChangeModes.join(', ')}`);
  const mergeUpdate =
    c.merge_update_columns === undefined || c.merge_update_columns === null
      ? undefined
      : stringList(c.merge_update_columns);
  const mergeExclude = stringList(c.merge_exclude_columns);
  if (mergeUpdate && mergeExclude.length)
    throw bad('merge_update_columns and merge_exclude_columns cannot both be set', 'keep one of them');
  return {
    strategy: strategy as Strategy,
    uniqueKey,
    predicates: stringList(c.incremental_predicates),
    onSchemaChange: onSchemaChange as SchemaChangeMode,
    mergeUpdateColumns: mergeUpdate,
    mergeExcludeColumns: mergeExclude,
    partitionBy: c.partition_by,
  };
}

export interface SchemaDiff {
  /** In the model's output, not in the table. */
  added: ColumnInfo[];
  /** In the table, not in the model's output. */
  removed: ColumnInfo[];
  /** In both with another type: the model's column. */
  changed: ColumnInfo[];
}

const key = (name: string) => name.toLowerCase();
const sameType = (a: string, b: string) =>
  a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase();

export function diffColumns(table: ColumnInfo[], model: ColumnInfo[]): SchemaDiff {
  const inTable = new Map(table.map((c) => [key(c.name), c]));
  const inModel = new Map(model.map((c) => [key(c.name), c]));
  return {
    added: model.filter((c) => !inTable.has(key(c.name))),
    removed: table.filter((c) => !inModel.has(key(c.name))),
    changed: model.filter((c) => inTable.has(key(c.name)) && !sameType(inTable.get(key(c.name))!.type, c.type)),
  };
}

function describeDiff(d: SchemaDiff): string {
  const parts: string[] = [];
  if (d.added.length) parts.push(`new columns: ${d.added.map((c) => `${c.name} (${c.type})`).join(', ')}`);
  if (d.removed.length) parts.push(`missing columns: ${d.removed.map((c) => c.name).join(', ')}`);
  if (d.changed.length) parts.push(`changed types: ${d.changed.map((c) => `${c.name} (now ${c.type})`).join(', ')}`);
  return parts.join('; ');
}

export function verbOf(settings: IncrementalSettings): string {
  const verbs: Record<Strategy, string> = {
    append: 'INSERT',
    merge: 'MERGE',
    microbatch: 'MICROBATCH',
    'delete+insert': 'DELETE+INSERT',
    insert_overwrite: 'INSERT OVERWRITE',
  };
  return verbs[settings.strategy];
}

export interface FoldOptions {
  /** The table whose rows change. */
  dest: Relation;
  /** When set, `dest` is first created as a copy of this table, in the same transaction. */
  copyOf?: Relation;
  /** Whether the model's pre- / post-hooks run in this transaction. */
  pre: boolean;
  post: boolean;
}

/**
 * Folds the model's new rows into an existing table with the configured strategy. Every
 * change (hooks, column changes, rows) happens in one transaction, so a failure leaves the
 * table as it was. Returns the number of new rows staged.
 */
export async function foldInto(
  m: Materializer,
  node: GraphNode,
  sql: string,
  settings: IncrementalSettings,
  opts: FoldOptions,
): Promise<number> {
  const { dest } = opts;
  const existingTable = opts.copyOf ?? dest;
  const probe = dest.withIdentifier(dest.identifier + m.tempSuffix + '_src').withType('view');
  const stage = dest.withIdentifier(dest.identifier + m.tempSuffix).withType('table');
  await m.dropIfExists(probe);
  await m.dropIfExists(stage);
  if (opts.copyOf) await m.dropIfExists(dest);
  // A view of the model's SQL gives the new columns and their types without computing rows;
  // the rows themselves are computed once, inside the transaction.
  await m.adapter.execute(m.sql('create_view_as', probe, sql));
  await m.remember(probe, 'view');
  try {
    const [tableCols, modelCols] = await Promise.all([
      m.adapter.getColumns(existingTable),
      m.adapter.getColumns(probe),
    ]);
    const plan = planColumns(node, settings, tableCols, modelCols);
    let rows = 0;
    /** The scratch tables and column changes (DDL), and the number of new rows. */
    const prepare = async (s: Session) => {
      if (opts.copyOf) await s.execute(m.sql('create_table_as', dest, `select * from ${opts.copyOf.render()}`));
      await s.execute(m.sql('create_table_as', stage, `select * from ${probe.render()}`));
      // PostgreSQL will not alter a column a view reads; the probe has served its purpose.
      await s.execute(m.sql('drop_relation', probe, 'view'));
      // Column changes come before any row changes: DuckDB refuses to alter a table it has
      // already modified in the same transaction.
      for (const stmt of plan.alter) await s.execute(stmt(m, dest));
      rows = Number((await s.execute(m.sql('count_rows', stage))).rows[0]?.n ?? 0);
    };
    const apply = async (s: Session) => {
      for (const stmt of strategySql(m, settings, dest, stage, plan.columns)) await s.execute(stmt);
    };
    if (m.adapter.ddlEndsTransactions) {
      // The DDL runs first, on its own; the transaction holds only the rows' changes and the hooks.
      const outside: Session = { execute: (q) => m.adapter.execute(q) };
      if (opts.pre) await m.runHooks(node, 'pre_hook', outside);
      try {
        await prepare(outside);
        await m.adapter.transaction(async (s) => {
          await apply(s);
          if (opts.post) await m.runHooks(node, 'post_hook', s);
        });
      } finally {
        await m.adapter.execute(m.sql('drop_relation', stage, 'table')).catch(() => undefined);
      }
    } else {
      await m.adapter.transaction(async (s) => {
        if (opts.pre) await m.runHooks(node, 'pre_hook', s);
        await prepare(s);
        await apply(s);
        await s.execute(m.sql('drop_relation', stage, 'table'));
        if (opts.post) await m.runHooks(node, 'post_hook', s);
      });
    }
    await m.remember(probe, undefined);
    return rows;
  } finally {
    // After a failure the rollback brought the probe back.
    await m.adapter.execute(m.sql('drop_relation', probe, 'view')).catch(() => undefined);
    await m.remember(probe, undefined);
  }
}

type AlterStatement = (m: Materializer, target: ReturnType<Materializer['relationFor']>) => string;

/** The columns to write and the table changes on_schema_change asks for. */
function planColumns(
  node: GraphNode,
  settings: IncrementalSettings,
  tableCols: ColumnInfo[],
  modelCols: ColumnInfo[],
): { columns: string[]; alter: AlterStatement[] } {
  const diff = diffColumns(tableCols, modelCols);
  const inModel = new Set(modelCols.map((c) => key(c.name)));
  const modelName = new Map(modelCols.map((c) => [key(c.name), c.name]));
  const fail = (message: string, hint: string) =>
    new KilnError('database', `model '${node.name}': ${message}`, { file: node.originalFilePath, hint });
  switch (settings.onSchemaChange) {
    case 'fail':
      if (diff.added.length || diff.removed.length || diff.changed.length) {
        throw fail(
          `the model's columns no longer match the existing table (on_schema_change='fail'): ${describeDiff(diff)}`,
          'run with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns',
        );
      }
      return { columns: tableCols.map((c) => c.name), alter: [] };
    case 'ignore':
      if (diff.removed.length) {
        throw fail(
          `the existing table has columns the model no longer returns: ${diff.removed.map((c) => c.name).join(', ')}`,
          "run with --full-refresh, or set on_schema_change to 'append_new_columns' or 'sync_all_columns'",
        );
      }
      return { columns: tableCols.map((c) => modelName.get(key(c.name))!), alter: [] };
    case 'append_new_columns':
      return {
        columns: [
          ...tableCols.filter((c) => inModel.has(key(c.name))).map((c) => modelName.get(key(c.name))!),
          ...diff.added.map((c) => c.name),
        ],
        alter: diff.added.map((c) => (m, t) => m.sql('alter_add_column', t, c.name, c.type)),
      };
    case 'sync_all_columns':
      return {
        columns: modelCols.map((c) => c.name),
        alter: [
          ...diff.removed.map(
            (c): AlterStatement =>
              (m, t) =>
                m.sql('alter_drop_column', t, c.name),
          ),
          ...diff.changed.map(
            (c): AlterStatement =>
              (m, t) =>
                m.sql('alter_column_type', t, tableCols.find((x) => key(x.name) === key(c.name))!.name, c.type),
          ),
          ...diff.added.map(
            (c): AlterStatement =>
              (m, t) =>
                m.sql('alter_add_column', t, c.name, c.type),
          ),
        ],
      };
  }
}

function strategySql(
  m: Materializer,
  s: IncrementalSettings,
  target: Relation,
  stage: Relation,
  columns: string[],
): string[] {
  switch (s.strategy) {
    case 'append':
      return [m.sql('incremental_append_sql', target, stage, columns)];
    case 'delete+insert':
      return [
        ...(s.uniqueKey.length ? [m.sql('incremental_delete_sql', target, stage, s.uniqueKey, s.predicates)] : []),
        m.sql('incremental_append_sql', target, stage, columns),
      ];
    case 'insert_overwrite':
      return [
        m.sql('incremental_delete_partitions_sql', target, stage, s.partitionBy),
        m.sql('incremental_append_sql', target, stage, columns),
      ];
    case 'microbatch':
      return [
        m.sql(
          'incremental_delete_window_sql',
          target,
          m.sql('event_time_filter', s.window!.column, s.window!.start, s.window!.end),
        ),
        m.sql('incremental_append_sql', target, stage, columns),
      ];
    case 'merge': {
      const excluded = new Set(s.mergeExcludeColumns.map(key));
      const update = s.mergeUpdateColumns ?? columns.filter((c) => !excluded.has(key(c)));
      return [m.sql('incremental_merge_sql', target, stage, s.uniqueKey, columns, update, s.predicates)];
    }
  }
}
