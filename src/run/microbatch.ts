/**
 * The `microbatch` incremental strategy, as dbt has it: the model's rows are computed one
 * time window (`batch_size`: hour, day, month or year of `event_time`) at a time. Each batch
 * replaces the table's rows of its window (a delete+insert in one transaction), and every
 * ref()/source() of a model or source with an `event_time` config reads only that window.
 * The first run (or a full refresh) starts at `begin`; later runs redo the current batch and
 * the `lookback` batches before it. `--event-time-start` / `--event-time-end` choose the span.
 */
import { KilnError, errorMessage } from '../errors.js';
import type { Relation } from '../adapters/relation.js';
import { Compiler } from '../compile/compiler.js';
import { scopeValue, type Scope } from '../template/engine.js';
import type { GraphNode } from '../parse/nodes.js';
import type { BuildOutcome, Materializer } from './materialize.js';
import { foldInto, type IncrementalSettings } from './incremental.js';
import { parseTime } from './event-time.js';

export const batchSizes = ['hour', 'day', 'month', 'year'] as const;
export type BatchSize = (typeof batchSizes)[number];

/** A batch: rows whose `column` is in [start, end). Times are UTC, 'YYYY-MM-DD HH:MM:SS'. */
export interface TimeWindow {
  column: string;
  start: string;
  end: string;
}

export interface MicrobatchConfig {
  eventTime: string;
  batchSize: BatchSize;
  begin?: Date;
  lookback: number;
}

export function microbatchConfig(node: GraphNode): MicrobatchConfig {
  const c = node.config;
  const bad = (message: string, hint: string) =>
    new KilnError('config', `model '${node.name}': ${message}`, { file: node.originalFilePath, hint });
  const eventTime = c.event_time;
  if (typeof eventTime !== 'string' || !eventTime)
    throw bad("the microbatch strategy needs an 'event_time' config", "set event_time to the model's timestamp column");
  const batchSize = String(c.batch_size ?? '').toLowerCase();
  if (!(batchSizes as readonly string[]).includes(batchSize))
    throw bad(
      `batch_size '${String(c.batch_size ?? '')}' is not valid for microbatch`,
      `use one of: ${batchSizes.join(', ')}`,
    );
  const begin = parseTime(c.begin);
  if (c.begin !== undefined && c.begin !== null && !begin)
    throw bad(
      `begin '${String(c.begin)}' is not a date or timestamp`,
      "write it as '2024-01-01' or '2024-01-01T00:00:00'",
    );
  const lookback = c.lookback === undefined || c.lookback === null ? 1 : Number(c.lookback);
  if (!Number.isInteger(lookback) || lookback < 0)
    throw bad(`lookback '${String(c.lookback)}' is not a whole number of batches`, 'use 0 or more');
  return { eventTime, batchSize: batchSize as BatchSize, begin, lookback };
}

export function truncateTime(d: Date, size: BatchSize): Date {
  const y = d.getUTCFullYear();
  const mo = size === 'year' ? 0 : d.getUTCMonth();
  const day = size === 'year' || size === 'month' ? 1 : d.getUTCDate();
  const h = size === 'hour' ? d.getUTCHours() : 0;
  return new Date(Date.UTC(y, mo, day, h));
}

export function offsetTime(d: Date, size: BatchSize, n: number): Date {
  const t = new Date(d.getTime());
  if (size === 'hour') t.setUTCHours(t.getUTCHours() + n);
  else if (size === 'day') t.setUTCDate(t.getUTCDate() + n);
  else if (size === 'month') t.setUTCMonth(t.getUTCMonth() + n);
  else t.setUTCFullYear(t.getUTCFullYear() + n);
  return t;
}

/** Whole batches covering [start, end): the first starts at start's period, the last contains end. */
export function batchWindows(start: Date, end: Date, size: BatchSize): Array<[Date, Date]> {
  const out: Array<[Date, Date]> = [];
  for (let s = truncateTime(start, size); s < end; s = offsetTime(s, size, 1)) out.push([s, offsetTime(s, size, 1)]);
  return out;
}

export const formatTime = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

/** The span this run covers: the flags, else `begin` (first run) or the current batch minus lookback. */
export function runSpan(
  node: GraphNode,
  cfg: MicrobatchConfig,
  incremental: boolean,
  flags: Record<string, unknown>,
  now = new Date(),
): { start: Date; end: Date } {
  const end = parseTime(flags.EVENT_TIME_END) ?? now;
  let start = parseTime(flags.EVENT_TIME_START);
  if (!start) {
    if (incremental)
      start = offsetTime(truncateTime(now < end ? now : end, cfg.batchSize), cfg.batchSize, -cfg.lookback);
    else if (cfg.begin) start = cfg.begin;
    else
      throw new KilnError(
        'config',
        `model '${node.name}': the microbatch strategy needs a 'begin' config for its first run`,
        { file: node.originalFilePath, hint: "set begin to the earliest event_time to load, e.g. begin='2024-01-01'" },
      );
  }
  if (start >= end)
    throw new KilnError(
      'config',
      `model '${node.name}': the event time span starts at ${formatTime(start)}, not before its end ${formatTime(end)}`,
      { hint: '--event-time-start must be before --event-time-end' },
    );
  return { start, end };
}

/**
 * Renders the model for one batch: refs and sources of nodes with an `event_time` read only
 * the batch's window, and `model.batch` tells the SQL which batch it is.
 */
class BatchCompiler extends Compiler {
  constructor(
    private readonly m: Materializer,
    private readonly model: GraphNode,
    private readonly window: TimeWindow,
  ) {
    super(m.parsed, m.session);
    this.deferred = m.compiler.deferred;
    this.setIncrementalCheck((n) => m.isIncremental(n));
  }

  override relationOf(id: string): Relation {
    const rel = super.relationOf(id);
    if (id === this.model.uniqueId) return rel;
    const input = this.m.parsed.manifest.nodes.get(id) ?? this.m.parsed.manifest.sources.get(id);
    const column = input?.config.event_time;
    if (typeof column !== 'string' || !column) return rel;
    const filter = this.m.sql('event_time_filter', column, this.window.start, this.window.end);
    // No alias of its own, so `from {{ ref('x') }} as x` works (PostgreSQL before 16 needs one there).
    const sql = `(select * from ${rel.render()} where ${filter})`;
    // The filtered input renders as a subquery; everything else about it stays the relation's.
    return Object.assign(Object.create(rel) as Relation, { render: () => sql, toString: () => sql });
  }

  override nodeScope(node: GraphNode): Scope {
    const scope = super.nodeScope(node);
    if (node.uniqueId !== this.model.uniqueId) return scope;
    const batch = {
      id: this.window.start.replace(/\D/g, ''),
      event_time_start: this.window.start,
      event_time_end: this.window.end,
    };
    return { ...scope, model: { ...(scopeValue(scope, 'model') as object), batch } };
  }
}

/**
 * Builds a microbatch model batch by batch into its table, or into `into` (an audit copy of
 * it; the first batch copies the existing table). A failed batch leaves its window as it was;
 * the other batches still run, and the model fails naming the failed ones.
 */
export async function buildMicrobatch(
  m: Materializer,
  node: GraphNode,
  settings: IncrementalSettings,
  into?: Relation,
): Promise<BuildOutcome> {
  const cfg = microbatchConfig(node);
  const incremental = m.isIncremental(node);
  const { start, end } = runSpan(node, cfg, incremental, m.session.info.flags);
  const batches = batchWindows(start, end, cfg.batchSize);
  const target = m.relationFor(node).withType('table');
  let exists = incremental;
  // When the first batch creates the table, its build has run the hooks already.
  let hooksRan = false;
  let rows = 0;
  const failed: string[] = [];
  for (const [i, [s, e]] of batches.entries()) {
    const window: TimeWindow = { column: cfg.eventTime, start: formatTime(s), end: formatTime(e) };
    const label = `batch ${i + 1}/${batches.length} [${window.start}, ${window.end})`;
    try {
      const sql = new BatchCompiler(m, node, window).compile(node.uniqueId).compiledCode;
      if (!exists) {
        // No table yet (or a full refresh): the first batch creates it.
        if (into) {
          await m.adapter.execute(m.sql('create_table_as', into, sql));
          await m.remember(into, 'table');
        } else {
          await m.swapIn(node, 'table', (tmp) => m.sql('create_table_as', tmp, sql));
          hooksRan = true;
        }
        rows += Number((await m.adapter.execute(m.sql('count_rows', into ?? target))).rows[0]?.n ?? 0);
        exists = true;
        continue;
      }
      const copying = into !== undefined && i === 0;
      const batchSettings = { ...settings, window, predicates: [] };
      rows += await foldInto(m, node, sql, batchSettings, {
        dest: into ?? target,
        copyOf: copying ? target : undefined,
        pre: !into && i === 0,
        post: !into && !hooksRan && i === batches.length - 1,
      });
      if (copying) await m.remember(into, 'table');
    } catch (e) {
      // Without a table, later batches have nothing to go into.
      if (!exists || (into && i === 0)) throw e;
      failed.push(`${label}: ${errorMessage(e).split('\n')[0]}`);
    }
  }
  if (failed.length) {
    throw new KilnError(
      'database',
      `${failed.length} of ${batches.length} batches failed (the others were applied): ${failed.join('; ')}`,
      {
        hint: 'fix the cause and run again, with --event-time-start/--event-time-end to redo only those windows',
      },
    );
  }
  return {
    message: `MICROBATCH ${batches.length} batch${batches.length === 1 ? '' : 'es'}, ${rows} rows`,
    relation: target,
    rows,
  };
}
