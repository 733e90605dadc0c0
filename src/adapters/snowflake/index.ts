/**
 * The Snowflake adapter, on Snowflake's official Node.js driver (`snowflake-sdk`). Profile
 * keys follow dbt-snowflake (docs/adapters/snowflake.md). Loaded only when a profile says
 * `type: snowflake`; the driver itself is imported on first connection.
 */
import { randomUUID } from 'node:crypto';
import type { Column, Connection, ConnectionOptions, RowStatement } from 'snowflake-sdk';
import { KilnError } from '../../errors.js';
import { Relation, type RelationType } from '../relation.js';
import { Pool } from '../pool.js';
import { stringLiteral } from '../sql.js';
import { currentNode } from '../node-context.js';
import type {
  Adapter,
  ColumnInfo,
  ExistingRelation,
  QueryResult,
  SeedColumnKind,
  SeedTable,
  Session,
} from '../types.js';
import { quoteIdentifier, quoteStored, resultColumnName, storedName } from './identifiers.js';
import { normaliseSnowflakeValue, type ColumnMeta } from './values.js';
import { redact, toKilnError } from './errors.js';
import { splitStatements } from './statements.js';

export interface SnowflakeProfile {
  type: 'snowflake';
  account?: string;
  user?: string;
  password?: string;
  /** snowflake (default), oauth (with token), snowflake_jwt (with a private key), externalbrowser, or an Okta URL. */
  authenticator?: string;
  token?: string;
  private_key_path?: string;
  private_key?: string;
  private_key_passphrase?: string;
  role?: string;
  warehouse?: string;
  database?: string;
  schema?: string;
  threads?: number;
  query_tag?: string;
  client_session_keep_alive?: boolean;
  /** Extra attempts at logging in when it fails transiently; default 1. */
  connect_retries?: number | string;
  /** Seconds a login may take; default 60. */
  connect_timeout?: number | string;
  /** Another endpoint than <account>.snowflakecomputing.com (private link, a proxy, a test stand-in). */
  host?: string;
  port?: number | string;
  protocol?: 'https' | 'http';
}

type SnowflakeSdk = typeof import('snowflake-sdk');

const seedTypes: Record<SeedColumnKind, string> = {
  // dbt-snowflake's seed types.
  integer: 'INTEGER',
  number: 'FLOAT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP_NTZ',
  text: 'TEXT',
};

/** Snowflake accepts at most 16,384 rows in one VALUES list. */
const SEED_BATCH_ROWS = 16_000;
/** Times a statement whose answer was lost on the network is asked for again (by its request id). */
const RESUBMITS = 3;

let sdk: Promise<SnowflakeSdk> | undefined;

/** Loads the driver once, with its cloud platform probing off: kiln sends nothing but queries. */
export function loadSnowflakeSdk(): Promise<SnowflakeSdk> {
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  sdk ??= import('snowflake-sdk').then((m) => {
    const s = (m as unknown as { default?: SnowflakeSdk }).default ?? m;
    // The driver logs to a file and the console by default; kiln reports errors itself.
    s.configure({ logLevel: 'OFF' });
    return s;
  });
  return sdk;
}

function setting(key: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new KilnError('config', `snowflake profile: '${key}' must be a whole number, got '${String(value)}'`);
  return n;
}

export class SnowflakeAdapter implements Adapter {
  readonly type = 'snowflake';
  readonly defaultDatabase: string;
  readonly defaultSchema: string;
  readonly threads: number;
  /** `create or replace` is one atomic statement on Snowflake: see docs/adapters/snowflake.md. */
  readonly replacesAtomically = true;
  /** Snowflake commits the open transaction before each DDL statement. */
  readonly ddlEndsTransactions = true;
  /** dbt-snowflake's default for a model with a unique_key. */
  readonly defaultIncrementalStrategy = 'merge';
  private readonly retries: number;
  private connections: Connection[] = [];
  private pool?: Pool<Connection>;
  /** Per connection, what use warehouse / query_tag it is set to now. */
  private readonly state = new WeakMap<Connection, { warehouse?: string; queryTag?: string }>();
  /** Statements running now, for cancel(). */
  private readonly running = new Set<RowStatement>();
  private cancelCount = 0;

  constructor(private readonly profile: SnowflakeProfile) {
    const need = (key: keyof SnowflakeProfile): string => {
      const v = profile[key];
      if (v === undefined || v === null || v === '') {
        throw new KilnError('config', `the snowflake profile needs '${key}'`, {
          hint: 'see docs/adapters/snowflake.md for the keys of a snowflake output',
        });
      }
      return String(v);
    };
    need('account');
    need('user');
    // As written, like dbt-snowflake's target.schema (`{{ target.schema }}_extra`); relation()
    // gives the names Snowflake stores.
    this.defaultDatabase = need('database');
    this.defaultSchema = need('schema');
    this.threads = Math.max(1, setting('threads', profile.threads, 1));
    this.retries = setting('connect_retries', profile.connect_retries, 1);
    setting('connect_timeout', profile.connect_timeout, 60);
    const auth = this.authenticator();
    if (auth === 'SNOWFLAKE' && !profile.password) need('password');
    if (auth === 'OAUTH' && !profile.token) need('token');
    if (auth === 'SNOWFLAKE_JWT' && !profile.private_key_path && !profile.private_key) need('private_key_path');
  }

  private authenticator(): string {
    const a = String(this.profile.authenticator ?? 'snowflake');
    // dbt-snowflake spells them in lower case; the driver wants upper case, except for Okta URLs.
    return /^https?:/i.test(a) ? a : a.toUpperCase();
  }

  quoteIdentifier(name: string): string {
    return quoteIdentifier(name);
  }

  /**
   * Unquoted names fold to upper case and quoted ones are case-sensitive: `order_items` is
   * ORDER_ITEMS, and `"Order Items"` is not `"ORDER ITEMS"`.
   */
  relationNameKey(name: string): string {
    return storedName(name);
  }

  /** Names as Snowflake stores them, so listRelations' answers match them. */
  relation(
    database: string | undefined,
    schema: string | undefined,
    identifier: string,
    type: RelationType = 'table',
  ): Relation {
    const norm = (p: string | undefined) => (p === undefined || p === '' ? p : storedName(p));
    return new Relation(norm(database), norm(schema), storedName(identifier), quoteStored, type, storedName);
  }

  private get target(): string {
    return `${this.profile.user}@${this.profile.host ?? `${this.profile.account}.snowflakecomputing.com`}`;
  }

  private get secrets(): string[] {
    return [
      this.profile.password,
      this.profile.token,
      this.profile.private_key_passphrase,
      this.profile.private_key,
    ].filter((s): s is string => typeof s === 'string');
  }

  private fail(e: unknown, sql?: string): KilnError {
    return toKilnError(e, { target: this.target, sql, secrets: this.secrets });
  }

  /** The driver's options for this profile. */
  connectionOptions(): ConnectionOptions {
    const p = this.profile;
    const options: ConnectionOptions = {
      account: String(p.account),
      username: String(p.user),
      authenticator: this.authenticator(),
      database: p.database,
      schema: p.schema,
      application: 'kiln',
      clientSessionKeepAlive: p.client_session_keep_alive === true,
      timeout: setting('connect_timeout', p.connect_timeout, 60) * 1000,
      sfRetryMaxLoginRetries: this.retries + 1,
      // With fetchAsString the driver would otherwise hand over SQL NULL as the string 'NULL'.
      representNullAsStringNull: false,
    };
    if (p.password) options.password = String(p.password);
    if (p.token) options.token = String(p.token);
    if (p.private_key_path) options.privateKeyPath = String(p.private_key_path);
    if (p.private_key) options.privateKey = String(p.private_key);
    if (p.private_key_passphrase) options.privateKeyPass = String(p.private_key_passphrase);
    if (p.role) options.role = String(p.role);
    if (p.warehouse) options.warehouse = String(p.warehouse);
    if (p.query_tag) options.queryTag = String(p.query_tag);
    if (p.host) {
      const protocol = p.protocol ?? 'https';
      options.accessUrl = `${protocol}://${p.host}${p.port !== undefined && p.port !== '' ? `:${p.port}` : ''}`;
    }
    return options;
  }

  private async connectOne(): Promise<Connection> {
    const s = await loadSnowflakeSdk();
    let attempt = 0;
    for (;;) {
      let conn: Connection;
      try {
        conn = s.createConnection(this.connectionOptions());
      } catch (e) {
        throw this.fail(e);
      }
      try {
        await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
        this.state.set(conn, { warehouse: this.profile.warehouse, queryTag: this.profile.query_tag });
        return conn;
      } catch (e) {
        const err = this.fail(e);
        if (!err.retryable || attempt >= this.retries) throw err;
        attempt++;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  async open(): Promise<void> {
    if (this.pool) return;
    // One session per thread: Snowflake sessions run one statement at a time.
    const first = await this.connectOne();
    this.connections.push(first);
    for (let i = 1; i < this.threads; i++) this.connections.push(await this.connectOne());
    this.pool = new Pool(this.connections);
  }

  async close(): Promise<void> {
    const conns = this.connections;
    this.connections = [];
    this.pool = undefined;
    await Promise.all(conns.map((c) => new Promise<void>((resolve) => c.destroy(() => resolve()))));
  }

  async check(): Promise<{ ok: boolean; message: string }> {
    let conn: Connection | undefined;
    try {
      conn = await this.connectOne();
      const r = await this.run(
        conn,
        'select current_user() as usr, current_role() as role, current_warehouse() ' +
          'as warehouse, current_version() as version',
      );
      const row = r.rows[0] ?? {};
      return {
        ok: true,
        message:
          `connected to Snowflake ${String(row.version)} at ${this.target}, ` +
          `role ${String(row.role)}, warehouse ${String(row.warehouse)}`,
      };
    } catch (e) {
      const err = this.fail(e);
      return {
        ok: false,
        message: redact(err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message, this.secrets),
      };
    } finally {
      if (conn) await new Promise<void>((resolve) => conn!.destroy(() => resolve()));
    }
  }

  private connectionPool(): Pool<Connection> {
    if (!this.pool) throw new KilnError('internal', 'Snowflake adapter used before open()');
    return this.pool;
  }

  /**
   * Runs one statement on one session and normalises its rows. Each statement carries a
   * request id of its own: when the network loses the answer (the statement may have run and
   * committed), the same request is sent again, and Snowflake answers it with the first run's
   * outcome instead of running it twice. A statement that fails is never sent again here.
   */
  private async run(conn: Connection, sql: string): Promise<QueryResult> {
    const requestId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.runOnce(conn, sql, requestId);
      } catch (e) {
        const err = this.fail(e, sql);
        if (err.kind !== 'connection' || !err.retryable || attempt >= RESUBMITS) throw err;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }

  private runOnce(conn: Connection, sql: string, requestId: string): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      const statement = conn.execute({
        sqlText: sql,
        requestId,
        rowMode: 'array',
        fetchAsString: ['Number'],
        complete: (err, stmt, rows) => {
          this.running.delete(statement);
          if (err) return reject(err);
          const cols: ColumnMeta[] = (stmt.getColumns() ?? []).map((c: Column) => ({
            name: c.getName(),
            type: c.getType(),
            scale: c.getScale(),
          }));
          const names = cols.map((c) => resultColumnName(c.name));
          resolve({
            columns: names,
            rows: (rows ?? []).map((row: unknown[]) => {
              const out: Record<string, unknown> = {};
              cols.forEach((c, i) => (out[names[i]!] = normaliseSnowflakeValue(row[i], c)));
              return out;
            }),
          });
        },
      });
      this.running.add(statement);
    });
  }

  /** Runs each statement of `sql` in turn (hooks may hold several); the last one's rows are the result. */
  private async runAll(conn: Connection, sql: string): Promise<QueryResult> {
    const statements = splitStatements(sql);
    if (statements.length <= 1) return this.run(conn, sql);
    let last: QueryResult = { columns: [], rows: [] };
    for (const statement of statements) last = await this.run(conn, statement);
    return last;
  }

  /** How many times cancel() was called: long work (a seed load) stops between statements when it changes. */
  get cancellations(): number {
    return this.cancelCount;
  }

  /**
   * Cancels the statements running now, by their query ids (the driver's abort-request,
   * what SYSTEM$CANCEL_QUERY does): Snowflake stops them and rolls back their transactions.
   */
  async cancel(): Promise<void> {
    this.cancelCount++;
    const statements = [...this.running];
    await Promise.all(statements.map((st) => new Promise<void>((resolve) => st.cancel(() => resolve()))));
  }

  /**
   * The session settings a model asks for: `snowflake_warehouse` switches the warehouse and
   * `query_tag` the session's tag for that model's statements. A session keeps them until the
   * next statement of another model asks for something else, which costs nothing in between.
   */
  private async applyNodeSettings(conn: Connection): Promise<void> {
    const node = currentNode(this);
    const state = this.state.get(conn) ?? {};
    const warehouse = node?.config.snowflake_warehouse
      ? String(node.config.snowflake_warehouse)
      : this.profile.warehouse;
    const queryTag = node?.config.query_tag ? String(node.config.query_tag) : this.profile.query_tag;
    if (warehouse && warehouse !== state.warehouse) {
      await this.run(conn, `use warehouse ${this.quoteIdentifier(warehouse)}`);
      state.warehouse = warehouse;
    }
    if (queryTag !== state.queryTag) {
      await this.run(
        conn,
        queryTag ? `alter session set query_tag = ${stringLiteral(queryTag)}` : 'alter session unset query_tag',
      );
      state.queryTag = queryTag;
    }
    this.state.set(conn, state);
  }

  execute(sql: string): Promise<QueryResult> {
    return this.connectionPool().use(async (c) => {
      await this.applyNodeSettings(c);
      return this.runAll(c, sql);
    });
  }

  /**
   * A Snowflake transaction. DDL commits the open transaction in Snowflake, so materializations
   * keep DDL out of it (ddlEndsTransactions): what changes a table's rows is rolled back whole.
   */
  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.connectionPool().use(async (c) => {
      await this.applyNodeSettings(c);
      await this.run(c, 'begin');
      try {
        const result = await fn({ execute: (sql) => this.runAll(c, sql) });
        await this.run(c, 'commit');
        return result;
      } catch (e) {
        await this.run(c, 'rollback').catch(() => undefined);
        throw e;
      }
    });
  }

  private qualifiedSchema(database: string | undefined, schema: string): string {
    return [database ?? this.defaultDatabase, schema].map((p) => quoteStored(storedName(p))).join('.');
  }

  async createSchema(database: string | undefined, schema: string): Promise<void> {
    await this.execute(`create schema if not exists ${this.qualifiedSchema(database, schema)}`);
  }

  async listRelations(database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    const db = storedName(database ?? this.defaultDatabase);
    const sch = storedName(schema);
    const result = await this.execute(
      `select table_name, table_type from ${quoteStored(db)}.information_schema.tables ` +
        `where table_catalog = ${stringLiteral(db)} and table_schema = ${stringLiteral(sch)} ` +
        `order by table_name`,
    );
    return result.rows.map((r) => ({
      database: db,
      schema: sch,
      name: String(r.table_name),
      type:
        String(r.table_type).toUpperCase() === 'VIEW'
          ? 'view'
          : String(r.table_type).toUpperCase() === 'EXTERNAL TABLE'
            ? 'external'
            : 'table',
    }));
  }

  async getColumns(relation: Relation): Promise<ColumnInfo[]> {
    const db = storedName(relation.database ?? this.defaultDatabase);
    const result = await this.execute(
      `select column_name, data_type, ordinal_position from ${quoteStored(db)}.information_schema.columns ` +
        (`where table_catalog = ${stringLiteral(db)} and table_schema ` +
          `= ${stringLiteral(storedName(relation.schema ?? this.defaultSchema))} `) +
        `and table_name = ${stringLiteral(relation.identifier)} order ` +
        `by ordinal_position`,
    );
    return result.rows.map((r) => ({
      name: String(r.column_name),
      type: String(r.data_type),
      index: Number(r.ordinal_position),
    }));
  }

  seedColumnType(kind: SeedColumnKind): string {
    return seedTypes[kind];
  }

  /**
   * Multi-row INSERTs of string literals: Snowflake casts each to the column's type as it
   * would a value typed in SQL, so dates, numbers and booleans read from the CSV load as
   * they do elsewhere. Stages and COPY would be faster for very large seeds, but need
   * PUT file transfers that dbt seeds rarely warrant.
   */
  async loadSeed(relation: Relation, seed: SeedTable, session: Session): Promise<void> {
    const cols = seed.columns.map((c) => this.quoteIdentifier(c.name)).join(', ');
    for (let i = 0; i < seed.rows.length; i += SEED_BATCH_ROWS) {
      const values = seed.rows
        .slice(i, i + SEED_BATCH_ROWS)
        .map((row) => `(${row.map((v) => (v === null ? 'null' : stringLiteral(v))).join(', ')})`)
        .join(',\n');
      await session.execute(`insert into ${relation.render()} (${cols}) values\n${values}`);
    }
  }
}
