/**
 * The warehouse as templates see it while they render: `run_query`, `statement` /
 * `load_result`, `adapter.get_relation`, `adapter.get_columns_in_relation`.
 *
 * The engine renders synchronously and the adapters are asynchronous. kiln bridges the two by
 * replay: a render that needs an answer it does not have yet records the request and stops;
 * the async driver (`renderWithWarehouse`) runs the request on the adapter's own connection,
 * then renders again from the start, handing out recorded answers in call order. A render
 * with k warehouse calls runs k+1 times; each statement reaches the warehouse once, and other
 * side effects (`log()`) are held back and happen once, for the render that completes.
 * Renders that never call the warehouse run once and never connect.
 */
import { KilnError } from '../errors.js';
import type { Adapter, ColumnInfo, QueryResult, Session as WarehouseSession } from '../adapters/types.js';
import { relationNameKey, type Relation } from '../adapters/relation.js';
import { pyStr as pythonStr } from './jinja/repr.js';
import { makeTuple } from './jinja/values.js';
import { PyDateTime } from './modules/index.js';
import { nowMicros, withClock } from './modules/clock.js';
import { noteVolatile } from './render-reads.js';

interface Answer {
  key: string;
  value?: unknown;
  error?: unknown;
}

interface Session {
  answers: Answer[];
  pos: number;
  pending?: { key: string; run: (target: Adapter) => Promise<unknown> };
  /** Side effects of the current attempt, run once the render no longer replays. */
  effects: Array<() => void>;
  /** Times `datetime.now()` gave, handed out again in order on each replay. */
  times: bigint[];
  timePos: number;
}

const bridges = new WeakMap<Adapter, WarehouseBridge>();

/** Runs a synchronous render (a node's compile) with the warehouse reachable from templates. */
export function renderWithWarehouse<T>(adapter: Adapter, fn: () => T, session?: WarehouseSession): Promise<T> | T {
  const bridge = bridges.get(adapter);
  return bridge ? bridge.render(fn, session) : fn();
}

/** Closes the connection templates opened (after `compile`, which otherwise never connects). */
export async function releaseWarehouse(adapter: Adapter): Promise<void> {
  await bridges.get(adapter)?.release();
}

export function warehouseStats(adapter: Adapter): { requests: number; renders: number } | undefined {
  return bridges.get(adapter)?.stats;
}

export class WarehouseBridge {
  private current: Session | undefined;
  private openedHere = false;
  /** Statements run through templates, and how many renders they cost; for measurements. */
  readonly stats = { requests: 0, renders: 0 };

  constructor(private readonly adapter: Adapter) {
    bridges.set(adapter, this);
  }

  /** True while a render runs under `renderWithWarehouse`, i.e. a connection can be had. */
  get available(): boolean {
    return this.current !== undefined;
  }

  /** The answer to a request: recorded, or (first time) recorded as pending and the render stopped. */
  call<T>(key: string, run: (adapter: Adapter) => Promise<T>): T {
    noteVolatile('the warehouse');
    const s = this.current;
    if (!s) {
      throw new KilnError(
        'template',
        `this template queries the warehouse (${key.split('\u0000')[0]}), which is not available here`,
        {
          hint: 'guard the query with {% if execute %}; queries run while compiling, never while parsing',
        },
      );
    }
    const recorded = s.answers[s.pos];
    if (recorded) {
      if (recorded.key !== key) {
        const show = (k: string) => k.split('\u0000').slice(1).join(' ').replace(/\s+/g, ' ').slice(0, 300);
        throw new KilnError(
          'template',
          `a template asked the warehouse different questions on two renders ` +
            `of the same node:\n  first:  ${show(recorded.key)}\n  then:   ${show(key)}`,
          { hint: 'warehouse calls must not depend on the time or on random values' },
        );
      }
      s.pos++;
      if (recorded.error !== undefined) throw recorded.error;
      return recorded.value as T;
    }
    s.pending = { key, run: (target: Adapter) => run(target) };
    throw new PendingWarehouseCall();
  }

  /**
   * Renders `fn` (synchronous) until it no longer needs an answer it lacks: synchronously when it needs none (as
   * nearly every node), so a compile of thousands of nodes makes no promise per node.
   */
  render<T>(fn: () => T, via?: WarehouseSession): T | Promise<T> {
    const outer = this.current;
    const session: Session = outer ?? { answers: [], pos: 0, effects: [], times: [], timePos: 0 };
    const clock = () => {
      if (session.timePos < session.times.length) return session.times[session.timePos++]!;
      const t = withClock(undefined, nowMicros);
      session.times.push(t);
      session.timePos++;
      return t;
    };
    const first = this.attempt(fn, session, outer, clock);
    if (!('pending' in first)) return first.result;
    // Inside a node's transaction (hooks), statements run on its session so they see its work.
    return this.answerAndReplay(fn, session, clock, first.pending, via ? this.onSession(via) : this.adapter);
  }

  /** One render of `fn`: its result, or the warehouse question it stopped at (only a render not inside another). */
  private attempt<T>(
    fn: () => T,
    session: Session,
    outer: Session | undefined,
    clock: () => bigint,
  ): { result: T } | { pending: NonNullable<Session['pending']> } {
    session.pos = 0;
    session.pending = undefined;
    if (!outer) {
      session.effects = [];
      session.timePos = 0;
    }
    this.current = session;
    this.stats.renders++;
    try {
      const result = outer ? fn() : withClock(clock, fn);
      if (!outer) this.flush(session);
      return { result };
    } catch (e) {
      const pending = session.pending as Session['pending'];
      if (!pending && !outer) this.flush(session);
      if (!pending || outer) throw e;
      session.pending = undefined;
      return { pending };
    } finally {
      this.current = outer;
    }
  }

  /** Answers the question a render stopped at, and renders again, until it asks none it lacks. */
  private async answerAndReplay<T>(
    fn: () => T,
    session: Session,
    clock: () => bigint,
    pending: NonNullable<Session['pending']>,
    target: Adapter,
  ): Promise<T> {
    for (;;) {
      this.stats.requests++;
      await this.adapter.open();
      this.openedHere = true;
      try {
        session.answers.push({ key: pending.key, value: await pending.run(target) });
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        session.answers.push({
          key: pending.key,
          error:
            err instanceof KilnError
              ? err
              : new KilnError('template', `the warehouse refused a query run while rendering: ${message}`),
        });
      }
      const next = this.attempt(fn, session, undefined, clock);
      if (!('pending' in next)) return next.result;
      pending = next.pending;
    }
  }

  /**
   * Runs a side effect once: now outside a render, else when the render completes (a render
   * that stops for a warehouse answer is replayed, and its effects with it).
   */
  effect(run: () => void): void {
    if (this.current) this.current.effects.push(run);
    else run();
  }

  private flush(session: Session): void {
    const effects = session.effects;
    session.effects = [];
    for (const run of effects) run();
  }

  /** The adapter with `execute` going through a transaction's session. */
  private onSession(session: WarehouseSession): Adapter {
    return new Proxy(this.adapter, {
      get: (t, p) => (p === 'execute' ? (sql: string) => session.execute(sql) : (Reflect.get(t, p, t) as unknown)),
    });
  }

  /** Closes the connection if rendering opened it (compile, which otherwise never connects). */
  async release(): Promise<void> {
    if (this.openedHere) await this.adapter.close();
    this.openedHere = false;
  }
}

class PendingWarehouseCall extends Error {
  constructor() {
    super('the render needs an answer from the warehouse');
  }
}

/** A column as dbt's `Column` class presents it. */
export class TemplateColumn {
  constructor(
    readonly name: string,
    readonly data_type: string,
    private readonly quoteFn: (s: string) => string,
  ) {}
  get column(): string {
    return this.name;
  }
  get dtype(): string {
    return this.data_type;
  }
  get quoted(): string {
    return this.quoteFn(this.name);
  }
  get char_size(): number | null {
    const m = /\((\d+)\)/.exec(this.data_type);
    return m ? Number(m[1]) : null;
  }
  is_string(): boolean {
    return /char|text|string/i.test(this.data_type);
  }
  is_number(): boolean {
    return this.is_integer() || this.is_numeric() || this.is_float();
  }
  is_integer(): boolean {
    return (
      /^(tiny|small|big|huge)?int(eger)?\d*$/i.test(this.data_type.trim()) ||
      /^u?(tiny|small|big|huge)?int$/i.test(this.data_type.trim())
    );
  }
  is_numeric(): boolean {
    return /^(numeric|decimal)/i.test(this.data_type.trim());
  }
  is_float(): boolean {
    return /^(float|double|real)/i.test(this.data_type.trim());
  }
  string_size(): number {
    return this.char_size ?? 256;
  }
  toString(): string {
    return `<Column ${this.name} (${this.data_type})>`;
  }
}

/**
 * A sequence whose items are also reachable by name, with agate's mapping methods (`keys()`,
 * `values()`, `items()`, `get()`): dbt_utils reads `table.columns.items()` and `row['name']`.
 */
export class MappedSequence {
  constructor(
    private readonly entries: unknown[],
    private readonly names: string[],
  ) {}
  __iter__(): unknown[] {
    return this.entries;
  }
  __len__(): number {
    return this.entries.length;
  }
  __getitem__(key: unknown): unknown {
    if (typeof key === 'number') return this.entries[key < 0 ? this.entries.length + key : key];
    const i = this.names.indexOf(String(key));
    return i >= 0 ? this.entries[i] : undefined;
  }
  __repr__(): string {
    return `<MappedSequence ${this.names.join(', ')}>`;
  }
  /** agate's rows also read as attributes: `row.table_schema`. */
  __getattr__(name: string): unknown {
    return this.names.includes(name) ? this.__getitem__(name) : undefined;
  }
  keys(): string[] {
    return [...this.names];
  }
  values(): unknown[] {
    return [...this.entries];
  }
  items(): unknown[] {
    return this.names.map((n, i) => makeTuple([n, this.entries[i]]));
  }
  get(key: unknown, dflt: unknown = null): unknown {
    return this.__getitem__(key) ?? dflt;
  }
}

/** One column of a query result, as agate's Column. */
export class ResultColumn {
  constructor(
    readonly name: string,
    private readonly cells: unknown[],
  ) {}
  values(): unknown[] {
    return [...this.cells];
  }
  values_distinct(): unknown[] {
    return [...new Set(this.cells)];
  }
  __iter__(): unknown[] {
    return this.cells;
  }
  __len__(): number {
    return this.cells.length;
  }
  __getitem__(i: unknown): unknown {
    return typeof i === 'number' ? this.cells[i < 0 ? this.cells.length + i : i] : undefined;
  }
}

/** Rows and columns with name lookups, as agate's Table (dbt's query results) offers them. */
export class ResultTable {
  readonly column_names: string[];
  readonly rows: MappedSequence;
  readonly columns: MappedSequence;
  readonly #result: QueryResult;
  constructor(result: QueryResult) {
    this.#result = result;
    this.column_names = result.columns;
    this.rows = new MappedSequence(
      result.rows.map(
        (r) =>
          new MappedSequence(
            result.columns.map((c) => cell(r[c])),
            result.columns,
          ),
      ),
      [],
    );
    this.columns = new MappedSequence(
      result.columns.map(
        (c) =>
          new ResultColumn(
            c,
            result.rows.map((r) => cell(r[c])),
          ),
      ),
      result.columns,
    );
  }
  __iter__(): unknown[] {
    return this.rows.__iter__();
  }
  __len__(): number {
    return this.rows.__len__();
  }
  __getitem__(i: unknown): unknown {
    return this.rows.__getitem__(i);
  }
  print_table(): string {
    return '';
  }
  /** agate's rename(column_names): a mapping of old to new names, or the new names in order. */
  rename(columnNames: unknown = null): ResultTable {
    const { columns, rows } = this.#result;
    const renamed = columns.map((c, i) => {
      if (Array.isArray(columnNames)) return columnNames[i] === undefined ? c : String(columnNames[i]);
      if (columnNames && typeof columnNames === 'object' && Object.prototype.hasOwnProperty.call(columnNames, c))
        return String((columnNames as Record<string, unknown>)[c]);
      return c;
    });
    return new ResultTable({
      columns: renamed,
      rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [renamed[i]!, r[c]]))),
    });
  }
  toString(): string {
    return `<ResultTable ${this.rows.__len__()} rows: ${this.column_names.join(', ')}>`;
  }
}

/** Timestamps come back from the drivers as JavaScript dates; templates get Python datetimes. */
const cell = (v: unknown) => (v instanceof Date ? PyDateTime.fromDate(v, null) : v);

const lower = (s: string | undefined) => (s ?? '').toLowerCase();

/** The context values that reach the warehouse, for one invocation. */
export function warehouseScope(
  bridge: WarehouseBridge | undefined,
  adapter: Adapter | undefined,
  isExecuting: () => boolean,
) {
  const results = new Map<string, unknown>();
  const query = (sql: string): QueryResult => {
    if (!bridge) throw new KilnError('template', 'this template queries the warehouse, which is not available here');
    return bridge.call(`query\u0000${sql}`, (a) => a.execute(sql));
  };
  const statement = (...args: unknown[]) => {
    const kw = (
      args[args.length - 1] &&
      typeof args[args.length - 1] === 'object' &&
      '__keywords' in (args[args.length - 1] as object)
        ? args.pop()
        : {}
    ) as Record<string, unknown>;
    const name = (args[0] ?? kw.name ?? null) as string | null;
    const fetch = Boolean(args[1] ?? kw.fetch_result ?? false);
    const caller = kw.caller as (() => unknown) | undefined;
    const sql = caller ? pythonStr(String(caller())) : '';
    if (!isExecuting()) return '';
    const result = query(sql);
    if (name)
      results.set(name, {
        response: { _message: 'OK', rows_affected: result.rows.length },
        data: fetch ? result.rows.map((r) => result.columns.map((c) => cell(r[c]))) : [],
        table: fetch ? new ResultTable(result) : null,
      });
    return '';
  };
  const quote = (s: string) => (adapter ? adapter.quoteIdentifier(s) : `"${s}"`);
  const ddl = (key: string, sql: string) => {
    if (!isExecuting() || !bridge) return '';
    bridge.call(key, (a) => a.execute(sql));
    return '';
  };
  return {
    statement,
    load_result: (name: string) => results.get(name) ?? null,
    store_result: (name: string, response: unknown, agate_table: unknown = null) => {
      results.set(name, { response, data: [], table: agate_table });
      return '';
    },
    run_query: (sql: unknown) => {
      if (!isExecuting()) return null;
      return new ResultTable(query(pythonStr(sql)));
    },
    adapterMethods: {
      // Statements run while rendering are committed as they run (or with the node's
      // transaction, for hooks): dbt's adapter.commit() has nothing left to do.
      commit: () => '',
      get_relation: (...args: unknown[]) => {
        const [database, schema, identifier] = relationArgs(args);
        if (!isExecuting() || !bridge || !adapter) return null;
        const found = bridge
          .call(`relations\u0000${database}\u0000${schema}`, (a) =>
            a.listRelations(database ?? undefined, schema ?? a.defaultSchema),
          )
          .find((r) => relationNameKey(r.name, adapter) === relationNameKey(identifier ?? '', adapter));
        return found
          ? adapter.relation(found.database ?? database ?? undefined, found.schema, found.name, found.type)
          : null;
      },
      get_columns_in_relation: (relation: Relation) => {
        if (!isExecuting() || !bridge || !relation) return [];
        const cols = bridge.call<ColumnInfo[]>(`columns\u0000${String(relation)}`, (a) => a.getColumns(relation));
        return cols.map((c) => new TemplateColumn(c.name, c.type, quote));
      },
      list_relations_without_caching: (schemaRelation: Relation) => {
        if (!isExecuting() || !bridge || !adapter) return [];
        return bridge
          .call(`relations\u0000${schemaRelation?.database}\u0000${schemaRelation?.schema}`, (a) =>
            a.listRelations(schemaRelation?.database, schemaRelation?.schema ?? a.defaultSchema),
          )
          .map((r) => adapter.relation(r.database, r.schema, r.name, r.type));
      },
      // DDL macros run while rendering (hooks such as `{% do adapter.drop_relation(this) %}`).
      drop_relation: (relation: Relation) =>
        ddl(
          `drop\u0000${String(relation)}`,
          `drop ${relation?.type === 'view' ? 'view' : 'table'} if exists ${String(relation)}`,
        ),
      truncate_relation: (relation: Relation) =>
        ddl(`truncate\u0000${String(relation)}`, `delete from ${String(relation)}`),
      rename_relation: (from: Relation, to: Relation) =>
        ddl(
          `rename\u0000${String(from)}\u0000${String(to)}`,
          `alter ${from?.type === 'view' ? 'view' : 'table'} ${String(from)} rename to ${quote(to.identifier)}`,
        ),
      create_schema: (relation: Relation) =>
        !isExecuting() || !bridge || !relation
          ? ''
          : (bridge.call(`create_schema\u0000${relation.database}\u0000${relation.schema}`, (a) =>
              a.createSchema(relation.database, relation.schema ?? a.defaultSchema),
            ),
            ''),
      drop_schema: (relation: Relation) =>
        ddl(
          `drop_schema\u0000${relation?.database}\u0000${relation?.schema}`,
          `drop schema if exists ${relation?.database ? `${quote(relation.database)}.` : ''}` +
            `${quote(relation?.schema ?? '')} cascade`,
        ),
      check_schema_exists: (database: string, schema: string) => {
        if (!isExecuting() || !bridge) return false;
        return bridge.call(`schemas\u0000${database}\u0000${schema}`, async (a) =>
          a.schemaExists
            ? a.schemaExists(database ?? undefined, schema)
            : (
                await a.execute(
                  `select schema_name from information_schema.schemata where lower(schema_name) ` +
                    `= '${lower(schema).replace(/'/g, "''")}'`,
                )
              ).rows.length > 0,
        );
      },
    },
  };
}

function relationArgs(args: unknown[]): [string | null, string | null, string | null] {
  const last = args[args.length - 1];
  const kw = last && typeof last === 'object' && '__keywords' in last ? (args.pop() as Record<string, string>) : {};
  return [
    (args[0] ?? kw.database ?? null) as string | null,
    (args[1] ?? kw.schema ?? null) as string | null,
    (args[2] ?? kw.identifier ?? null) as string | null,
  ];
}
