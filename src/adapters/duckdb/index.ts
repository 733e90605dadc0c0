import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundledModule } from '../../bundled-modules.js';
import { dirname, basename, extname, resolve } from 'node:path';
import type { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';
import { KilnError } from '../../errors.js';
import { Relation, type RelationType } from '../relation.js';
import { Pool } from '../pool.js';
import { currentNode } from '../node-context.js';
import { columnsByRelation, normaliseValue, quoteDoubled, stringLiteral } from '../sql.js';
import type {
  Adapter,
  ColumnInfo,
  ExistingRelation,
  QueryResult,
  SeedColumnKind,
  SeedTable,
  Session,
} from '../types.js';

export interface DuckDBProfile {
  type: 'duckdb';
  /** Database file, relative to the project dir; ':memory:' for an in-memory database. */
  path?: string;
  schema?: string;
  threads?: number;
  settings?: Record<string, string | number | boolean>;
}

const seedTypes: Record<SeedColumnKind, string> = {
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  text: 'VARCHAR',
};

export class DuckDBAdapter implements Adapter {
  readonly type = 'duckdb';
  /** `create or replace view` is one atomic statement here (duckdb__create_view_as), so views are built in place. */
  readonly replacesViewsAtomically = true;
  readonly defaultDatabase: string;
  readonly defaultSchema: string;
  readonly threads: number;
  private readonly path: string;
  private instance?: DuckDBInstance;
  private connections: DuckDBConnection[] = [];
  private pool?: Pool<DuckDBConnection>;

  constructor(
    private readonly profile: DuckDBProfile,
    projectDir: string,
  ) {
    this.path = !profile.path || profile.path === ':memory:' ? ':memory:' : resolve(projectDir, profile.path);
    this.defaultDatabase = this.path === ':memory:' ? 'memory' : basename(this.path, extname(this.path));
    this.defaultSchema = profile.schema ?? 'main';
    this.threads = Math.max(1, profile.threads ?? 1);
  }

  quoteIdentifier(name: string): string {
    return quoteDoubled(name);
  }

  relation(
    database: string | undefined,
    schema: string | undefined,
    identifier: string,
    type: RelationType = 'table',
  ): Relation {
    return new Relation(database, schema, identifier, (p) => this.quoteIdentifier(p), type);
  }

  /** The open under way or done; undefined again after close() or a failed open. */
  private opening?: Promise<void>;

  /** An embedded database: opening it is file work on the driver's thread, started while a run parses. */
  prepareOpen(): void {
    // Not through open(), which a caller may wrap (to say which database it uses once it connects).
    this.startOpen().catch(() => undefined);
  }

  open(): Promise<void> {
    return this.startOpen();
  }

  private startOpen(): Promise<void> {
    this.opening ??= this.openOnce().catch((e: unknown) => {
      this.opening = undefined;
      throw e;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    // Extensions are never fetched: kiln must not reach the network.
    const options: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    for (const [k, v] of Object.entries(this.profile.settings ?? {})) options[k] = String(v);
    // The driver loads here, not with the module: parse and compile never open a connection.
    // It is CommonJS: `require` skips the export scan an `import` makes of each of its ~180
    // files (~130 ms of CPU per run, against ~80 ms for loading it); the command line's bundle carries it.
    const { DuckDBInstance } = (bundledModule('@duckdb/node-api') ??
      createRequire(import.meta.url)('@duckdb/node-api')) as typeof import('@duckdb/node-api');
    try {
      this.instance = await DuckDBInstance.create(this.path, options);
      for (let i = 0; i < this.threads; i++) this.connections.push(await this.instance.connect());
    } catch (e) {
      throw new KilnError('connection', `cannot open DuckDB database ${this.path}: ${(e as Error).message}`, {
        hint: /lock/i.test((e as Error).message)
          ? 'another process has the database file open; close it and retry'
          : undefined,
      });
    }
    this.pool = new Pool(this.connections);
  }

  async close(): Promise<void> {
    // An open still under way (prepareOpen) is let finish, so that what it opens is closed too.
    await this.opening?.catch(() => undefined);
    this.opening = undefined;
    // Closing checkpoints the WAL, synchronously on this thread; a checkpoint first does most of
    // that work on the driver's thread, while the caller goes on (a run writes its artifacts).
    // A checkpoint that cannot run (a read-only database) is left to closing, as before.
    const first = this.connections[0];
    if (first && this.path !== ':memory:') await first.run('checkpoint').catch(() => undefined);
    for (const c of this.connections) c.closeSync();
    this.connections = [];
    this.instance?.closeSync();
    this.instance = undefined;
    this.pool = undefined;
  }

  private cancelCount = 0;

  /** How many times cancel() was called: long work (reading a seed) stops between steps when it changes. */
  get cancellations(): number {
    return this.cancelCount;
  }

  async cancel(): Promise<void> {
    this.cancelCount++;
    for (const c of this.connections) c.interrupt();
  }

  /**
   * cancel() interrupts only a statement that is running: one that lands between two
   * statements of a node would be lost, so once the run is cancelled a node's next statement
   * is refused (and its transaction rolled back). Statements outside a node (on-run-end
   * hooks, the run's own bookkeeping) still run.
   */
  private runForNode(c: DuckDBConnection, sql: string): Promise<QueryResult> {
    if (this.cancelCount > 0 && currentNode(this)) {
      return Promise.reject(
        new KilnError('database', 'Interrupted: the run was cancelled before this statement', {
          retryable: false,
          statement: sql,
        }),
      );
    }
    return run(c, sql);
  }

  async check(): Promise<{ ok: boolean; message: string }> {
    try {
      await this.open();
      await this.execute('select 1');
      return { ok: true, message: `DuckDB ${this.path} opened` };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  private connectionPool(): Pool<DuckDBConnection> {
    if (!this.pool) throw new KilnError('internal', 'DuckDB adapter used before open()');
    return this.pool;
  }

  execute(sql: string): Promise<QueryResult> {
    return this.connectionPool().use((c) => this.runForNode(c, sql));
  }

  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.connectionPool().use(async (c) => {
      await this.runForNode(c, 'begin transaction');
      try {
        const result = await fn({ execute: (sql) => this.runForNode(c, sql) });
        await this.runForNode(c, 'commit');
        return result;
      } catch (e) {
        await run(c, 'rollback').catch(() => undefined);
        throw e;
      }
    });
  }

  async createSchema(database: string | undefined, schema: string): Promise<void> {
    const name = [database, schema]
      .filter(Boolean)
      .map((p) => this.quoteIdentifier(p!))
      .join('.');
    await this.execute(`create schema if not exists ${name}`);
  }

  async listRelations(database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    const db = database ?? this.defaultDatabase;
    const result = await this.execute(
      `select table_name, table_type from information_schema.tables ` +
        `where table_catalog = ${stringLiteral(db)} and table_schema = ${stringLiteral(schema)}`,
    );
    return result.rows.map((r) => ({
      database: db,
      schema,
      name: String(r.table_name),
      type: String(r.table_type).toUpperCase() === 'VIEW' ? 'view' : 'table',
    }));
  }

  async getColumns(relation: Relation): Promise<ColumnInfo[]> {
    const result = await this.execute(
      `select column_name, data_type, ordinal_position from information_schema.columns ` +
        `where table_catalog = ${stringLiteral(relation.database ?? this.defaultDatabase)} ` +
        `and table_schema = ${stringLiteral(relation.schema ?? this.defaultSchema)} ` +
        `and table_name = ${stringLiteral(relation.identifier)} order ` +
        `by ordinal_position`,
    );
    return result.rows.map((r) => ({
      name: String(r.column_name),
      type: String(r.data_type),
      index: Number(r.ordinal_position),
    }));
  }

  async listColumns(database: string | undefined, schema: string): Promise<Map<string, ColumnInfo[]>> {
    const result = await this.execute(
      `select table_name, column_name, data_type, ordinal_position ` +
        `from information_schema.columns where table_catalog = ${stringLiteral(database ?? this.defaultDatabase)} ` +
        `and table_schema = ${stringLiteral(schema)} order by table_name, ` +
        `ordinal_position`,
    );
    return columnsByRelation(
      result.rows.map((r) => [
        String(r.table_name),
        { name: String(r.column_name), type: String(r.data_type), index: Number(r.ordinal_position) },
      ]),
    );
  }

  seedColumnType(kind: SeedColumnKind): string {
    return seedTypes[kind];
  }

  async loadSeed(relation: Relation, seed: SeedTable, session: Session): Promise<void> {
    if (seed.rows.length === 0) return;
    // DuckDB's own CSV reader is far faster than row inserts; the column types are kiln's,
    // so the result matches what other adapters load from the same file.
    const columns = seed.columns
      .map((c) => `${stringLiteral(c.name)}: ${stringLiteral(c.type ?? this.seedColumnType(c.kind))}`)
      .join(', ');
    await session.execute(
      `insert into ${relation.render()} select * from read_csv(${stringLiteral(seed.file)}, ` +
        `header = true, auto_detect = false, delim = ',', quote = '"', ` +
        `escape = '"', columns = {${columns}}, nullstr = '')`,
    );
  }
}

/**
 * One statement and its rows. DuckDB materialises a statement's result as it runs, so its
 * row count is known at once: a statement without rows (the create view of most nodes) is
 * not fetched, which would cost a second round trip to DuckDB's thread.
 */
async function run(c: DuckDBConnection, sql: string): Promise<QueryResult> {
  let result;
  let objects;
  try {
    result = await c.run(sql);
    objects = result.rowCount === 0 ? [] : await result.getRowObjectsJS();
  } catch (e) {
    throw new KilnError('database', (e as Error).message.trim(), { cause: e, retryable: false, statement: sql });
  }
  const columns = result.columnNames();
  const rows = objects.map((row) => {
    const out: Record<string, unknown> = {};
    for (const k of columns) out[k] = normaliseValue(row[k]);
    return out;
  });
  return { columns, rows };
}
