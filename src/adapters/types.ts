import type { Relation, RelationType } from './relation.js';

/** Column types kiln infers for seed CSVs; each adapter maps them to its own type names. */
export type SeedColumnKind = 'integer' | 'number' | 'boolean' | 'date' | 'timestamp' | 'text';

export interface SeedTable {
  columns: Array<{ name: string; kind: SeedColumnKind; type?: string }>;
  /** Cell values as read from the CSV: null for an empty cell. */
  rows: Array<Array<string | null>>;
  /** The CSV file, for adapters that can load it natively. */
  file: string;
}

export interface QueryResult {
  columns: string[];
  /** Values normalised to JS: numbers, strings, booleans, Date, null; big integers as number when safe, else string. */
  rows: Array<Record<string, unknown>>;
}

export interface ColumnInfo {
  name: string;
  type: string;
  index: number;
}

export interface ExistingRelation {
  database?: string;
  schema: string;
  name: string;
  type: RelationType;
}

/** A unit of work that runs statements on one connection, for transactions. */
export interface Session {
  execute(sql: string): Promise<QueryResult>;
}

/**
 * What a warehouse must provide. Materializations (src/run/materialize.ts) are control flow
 * written once; they spell SQL through dispatched macros in templates/, and reach the
 * warehouse only through this interface.
 */
export interface Adapter {
  readonly type: string;
  /** The database and schema a node lands in when it does not say otherwise. */
  readonly defaultDatabase: string | undefined;
  readonly defaultSchema: string;
  readonly threads: number;

  quoteIdentifier(name: string): string;
  relation(database: string | undefined, schema: string | undefined, identifier: string, type?: RelationType): Relation;

  /** Opens connections; called once before any query. */
  open(): Promise<void>;
  /**
   * Starts opening ahead of open(), where that reaches nothing outside this process (DuckDB's database file): a run
   * calls it before parsing, so the file work runs on the driver's thread meanwhile, even if the run then needs no
   * connection; open() finishes it, close() also closes what it opened. Other warehouses are opened only once a run
   * has nodes to execute (no sign-in for nothing).
   */
  prepareOpen?(): void;
  close(): Promise<void>;
  /** Reachability and credentials, for `kiln debug`. */
  check(): Promise<{ ok: boolean; message: string }>;

  execute(sql: string): Promise<QueryResult>;
  /** Interrupts statements running now (Ctrl-C); their transactions then roll back. */
  cancel?(): Promise<void>;
  /** Runs fn inside one transaction on one connection; rolls back if fn throws. */
  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T>;

  createSchema(database: string | undefined, schema: string): Promise<void>;
  listRelations(database: string | undefined, schema: string): Promise<ExistingRelation[]>;
  getColumns(relation: Relation): Promise<ColumnInfo[]>;
  /**
   * Whether a schema exists, where the warehouse's API answers better than information_schema.schemata (BigQuery:
   * datasets.get, by the exact name).
   */
  schemaExists?(database: string | undefined, schema: string): Promise<boolean>;
  /**
   * Every relation's columns in a schema, by relation name, in one query (the docs catalog at thousands of models);
   * without it, getColumns per relation.
   */
  listColumns?(database: string | undefined, schema: string): Promise<Map<string, ColumnInfo[]>>;

  /** The warehouse type name for a seed column kind. */
  seedColumnType(kind: SeedColumnKind): string;
  /** Loads rows into an existing empty table whose columns match `seed.columns`. */
  loadSeed(relation: Relation, seed: SeedTable, session: Session): Promise<void>;

  /**
   * True where `create or replace` swaps a relation in atomically (Snowflake, BigQuery):
   * tables and views are then built in place by one such statement instead of under a
   * temporary name and renamed, which those warehouses cannot do inside a transaction.
   */
  readonly replacesAtomically?: boolean;
  /**
   * True where DDL cannot take part in a transaction: Snowflake commits the open transaction
   * before a DDL statement, BigQuery's transactions hold DML only. Materializations then
   * create and drop their scratch tables outside the transaction, so that the transaction
   * holds (besides the hooks) exactly the DML that changes the target, and rolls back whole.
   */
  readonly ddlEndsTransactions?: boolean;
  /**
   * True where dataset and table names are case-sensitive (BigQuery): relations are then matched by name exactly, not
   * ignoring case.
   */
  readonly caseSensitiveNames?: boolean;
  /**
   * How the warehouse compares relation names, where neither ignoring case nor caseSensitiveNames is its rule
   * (Snowflake folds unquoted names only).
   */
  relationNameKey?(name: string): string;
  /** The strategy of an incremental model with a unique_key that names none; delete+insert when unset. */
  readonly defaultIncrementalStrategy?: 'merge' | 'delete+insert';
  /** Incremental strategies beyond append, delete+insert, merge and microbatch (BigQuery: insert_overwrite). */
  readonly extraIncrementalStrategies?: readonly 'insert_overwrite'[];
  /**
   * True where `create or replace view` swaps a view in atomically even though tables are built under a temporary name
   * (DuckDB, PostgreSQL): views are then built in place.
   */
  readonly replacesViewsAtomically?: boolean;
  /**
   * Where `create or replace view` may refuse a new view (PostgreSQL: a column removed,
   * renamed or retyped; a table in the view's place): whether `error` is that refusal. The
   * old relation is then untouched and the view is built under a temporary name and swapped
   * in, which also recreates the views that read it. Such a warehouse builds in place only
   * over a view or nothing: replacing a table or view by dropping it would drop those views.
   */
  refusesViewReplacement?(error: unknown): boolean;
  /** What running `sql` would cost without running it (BigQuery's dry run), for `kiln compile --dry-run`. */
  dryRun?(sql: string): Promise<DryRunEstimate>;
}

export interface DryRunEstimate {
  /** Bytes the query would read, as the warehouse bills them. */
  bytesProcessed: number;
  /** Statement kind the warehouse parsed (SELECT, CREATE_TABLE_AS_SELECT, ...), when it says. */
  statementType?: string;
}

/** A connection of another kiln invocation, as the warehouse sees it. */
export interface KilnConnection {
  /** The server process serving it (what pg_cancel_backend takes). */
  backendPid: number;
  /** The invocation's short id (see shortInvocationId). */
  invocation: string;
  /** The kiln process and its host, as the invocation recorded them. */
  clientPid: number;
  host: string;
  state: string;
  query: string;
  /** How long its current (or last) query has been running. */
  seconds: number;
}

/** A relation's build lock, held. */
export interface HeldLock {
  release: () => Promise<void>;
  /** The relation's type read after the lock was taken: no other run can change it until release(). */
  type: RelationType | undefined;
}

/** Whoever holds a relation's build lock. */
export interface LockHolder {
  backendPid: number;
  application: string;
  /** Set when the holder is a kiln invocation. */
  session?: Pick<KilnConnection, 'invocation' | 'clientPid' | 'host'>;
}

/**
 * What an adapter offers so that concurrent and killed runs leave each other alone. An
 * invocation tags its connections and holds a lock for as long as it lives, so a connection
 * tagged with an invocation whose lock nobody holds belongs to a dead run.
 */
/** Optional Adapter members: an adapter implementing them is found by runGuard() in src/run/leftovers.ts. */
export interface RunGuard {
  /** Tags the adapter's connections with the invocation and holds its liveness lock until close(). */
  claimInvocation(invocation: string): void;
  /** Connections of kiln invocations that are no longer alive. */
  orphanedSessions(): Promise<KilnConnection[]>;
  /** Cancels, then terminates, these backends; resolves with the ones still there after a few seconds. */
  stopSessions(backendPids: number[]): Promise<number[]>;
  /** The short ids of the invocations alive now, this one included. */
  liveInvocations(): Promise<Set<string>>;
  /**
   * Takes the relation's build lock, waiting while another session holds it; resolves with its release and what the
   * warehouse holds under the relation's name once the lock is held (as currentType() would say then).
   */
  lockRelation(relation: Relation, onWait: (holder: LockHolder, waitedSeconds: number) => void): Promise<HeldLock>;
  /** Takes the relation's build lock only if it is free. */
  tryLockRelation(relation: Relation): Promise<(() => Promise<void>) | undefined>;
  /** What the warehouse holds under the relation's name now, bypassing any listing. */
  currentType(relation: Relation): Promise<RelationType | undefined>;
}
