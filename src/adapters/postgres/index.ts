/**
 * The PostgreSQL adapter, on the `pg` driver. Profile keys follow dbt-postgres (see
 * docs/adapters/postgres.md). Loaded only when a profile says `type: postgres`.
 *
 * Runs of kiln on one server are told apart (RunGuard, in ../types.ts): a run
 * tags its connections with its invocation in application_name and holds an advisory lock
 * for that invocation on a connection of its own as long as it lives, and builds each
 * relation under an advisory lock on the same connection. A tagged connection whose
 * invocation's lock nobody holds belongs to a run that is gone.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { PoolClient, PoolConfig, QueryResult as PgResult } from 'pg';
import { KilnError } from '../../errors.js';
import { Relation, type RelationType } from '../relation.js';
import { columnsByRelation, quoteDoubled, stringLiteral } from '../sql.js';
import type {
  Adapter,
  ColumnInfo,
  ExistingRelation,
  HeldLock,
  KilnConnection,
  LockHolder,
  QueryResult,
  RunGuard,
  SeedColumnKind,
  SeedTable,
  Session,
} from '../types.js';
import { toKilnError, redact } from './errors.js';
import { kilnTypes } from './types.js';

export interface PostgresProfile {
  type: 'postgres';
  host?: string;
  port?: number | string;
  user?: string;
  /** dbt accepts `pass` too. */
  password?: string;
  pass?: string;
  dbname?: string;
  database?: string;
  schema?: string;
  threads?: number;
  /** disable | allow | prefer (default) | require | verify-ca | verify-full */
  sslmode?: string;
  sslcert?: string;
  sslkey?: string;
  sslrootcert?: string;
  /** Seconds; default 10 as in dbt-postgres. */
  connect_timeout?: number | string;
  /** Session search_path, e.g. "analytics, public". */
  search_path?: string;
  /** Seconds before TCP keepalive probes; 0 (default) leaves the system's setting. */
  keepalives_idle?: number | string;
  /** `set role` on every connection. */
  role?: string;
  application_name?: string;
  /** Extra attempts when the first connection fails transiently; default 1. */
  retries?: number | string;
  /**
   * Seconds between the server's checks, while a query runs, that kiln is still connected
   * (PostgreSQL 14+ on Linux): the query of a killed kiln stops within that time. Default 2;
   * 0 leaves the server's setting.
   */
  client_connection_check_interval?: number | string;
}

const seedTypes: Record<SeedColumnKind, string> = {
  // dbt-postgres' type for CSV integers. kiln's inference accepts up to 18 digits, so
  // loadSeed widens a column to bigint when its values need it (see widenIntegers).
  integer: 'integer',
  number: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp without time zone',
  text: 'text',
};

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;
/** Rows per INSERT ... SELECT FROM unnest(...) statement when loading seeds. */
const SEED_BATCH_ROWS = 25_000;
/** Rows per literal multi-row INSERT when only Session.execute is available. */
const SEED_LITERAL_BATCH_ROWS = 1_000;

const sslModes = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

/** First keys of kiln's advisory locks (pg_advisory_lock(int4, int4)): "kiln" and "kilb" in ASCII. */
const LIVE_LOCK = 0x6b696c6e;
const BUILD_LOCK = 0x6b696c62;
/** Connections of a run: `kiln/<invocation>/<pid>@<host>` at the end of application_name. */
const TAG = /kiln\/([0-9a-f]{8})\/(\d+)@(.*)$/;
/** Longest application_name the server keeps (NAMEDATALEN - 1 bytes). */
const APPLICATION_NAME_MAX = 63;
const LOCK_POLL_MS = 250;
const TRANSACTION_ATTEMPTS = 4;
const WAIT_NOTICE_EVERY_MS = 60_000;

/** The connection a session of this adapter runs on; loadSeed uses it for bind parameters. */
const sessionClients = new WeakMap<Session, PoolClient>();

export class PostgresAdapter implements Adapter, RunGuard {
  readonly type = 'postgres';
  /** `create or replace view` is one atomic statement; it refuses a changed column list (refusesViewReplacement). */
  readonly replacesViewsAtomically = true;
  readonly defaultDatabase: string;
  readonly defaultSchema: string;
  readonly threads: number;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string;
  private readonly password: string;
  private readonly sslmode: string;
  private readonly retries: number;
  private pool?: pg.Pool;
  private readonly busy = new Set<PoolClient>();
  /** Decided once for sslmode prefer/allow: whether the server speaks TLS. */
  private useSsl?: boolean;
  private cancelCount = 0;
  /** This run's application_name once claimInvocation was called, and the invocation's lock key. */
  private tag?: string;
  private invocation?: string;
  /** The connection that holds the invocation's liveness lock and the build locks. */
  private lockClient?: Promise<pg.Client>;
  private readonly taggedClients = new WeakMap<pg.ClientBase, string>();

  constructor(private readonly profile: PostgresProfile) {
    const missing = (key: string) =>
      new KilnError('config', `the postgres profile needs '${key}'`, {
        hint: 'see docs/adapters/postgres.md for the keys of a postgres output',
      });
    this.host =
      profile.host !== undefined && profile.host !== ''
        ? String(profile.host)
        : (() => {
            throw missing('host');
          })();
    this.user =
      profile.user !== undefined && profile.user !== ''
        ? String(profile.user)
        : (() => {
            throw missing('user');
          })();
    const db = profile.dbname ?? profile.database;
    if (db === undefined || db === '') throw missing('dbname');
    this.defaultDatabase = String(db);
    if (profile.schema === undefined || profile.schema === '') throw missing('schema');
    this.defaultSchema = String(profile.schema);
    const password: unknown = profile.password ?? profile.pass;
    this.password = password === undefined || password === null ? '' : String(password);
    this.port = integerSetting('port', profile.port, 5432);
    this.threads = Math.max(1, integerSetting('threads', profile.threads, 1));
    this.retries = Math.max(0, integerSetting('retries', profile.retries, 1));
    this.sslmode = String(profile.sslmode ?? 'prefer').toLowerCase();
    if (!sslModes.has(this.sslmode)) {
      throw new KilnError('config', `unknown sslmode '${profile.sslmode}'`, {
        hint: `use one of: ${[...sslModes].join(', ')}`,
      });
    }
    integerSetting('connect_timeout', profile.connect_timeout, 10);
    integerSetting('keepalives_idle', profile.keepalives_idle, 0);
    integerSetting('client_connection_check_interval', profile.client_connection_check_interval, 2);
  }

  quoteIdentifier(name: string): string {
    return quoteDoubled(name);
  }

  /**
   * Rendered as "database"."schema"."identifier", as dbt-postgres does: Postgres accepts the
   * database part in queries and DDL when it names the connected database.
   */
  relation(
    database: string | undefined,
    schema: string | undefined,
    identifier: string,
    type: RelationType = 'table',
  ): Relation {
    return new Relation(database, schema, identifier, (p) => this.quoteIdentifier(p), type);
  }

  private get target(): string {
    return `${this.host}:${this.port}/${this.defaultDatabase} as user ${this.user}`;
  }

  private fail(e: unknown, sql?: string): KilnError {
    return toKilnError(e, { target: this.target, sql, password: this.password });
  }

  /** pg client settings for this profile, TLS as given (undefined = decide by sslmode). */
  private clientConfig(ssl?: boolean): PoolConfig {
    const keepalivesIdle = integerSetting('keepalives_idle', this.profile.keepalives_idle, 0);
    const config: PoolConfig = {
      host: this.host,
      port: this.port,
      user: this.user,
      password: this.password,
      database: this.defaultDatabase,
      connectionTimeoutMillis: integerSetting('connect_timeout', this.profile.connect_timeout, 10) * 1000,
      application_name: this.profile.application_name ?? 'kiln',
      keepAlive: true,
      types: kilnTypes,
    };
    if (keepalivesIdle > 0) config.keepAliveInitialDelayMillis = keepalivesIdle * 1000;
    if (this.profile.search_path) {
      // libpq-style startup options: spaces and backslashes escaped with a backslash.
      config.options = `-c search_path=${String(this.profile.search_path).replace(/([\\ ])/g, '\\$1')}`;
    }
    const useSsl = ssl ?? this.useSsl ?? ['require', 'verify-ca', 'verify-full'].includes(this.sslmode);
    config.ssl = useSsl ? this.tlsOptions() : false;
    return config;
  }

  private tlsOptions(): ConnectionOptions {
    const read = (key: 'sslcert' | 'sslkey' | 'sslrootcert') => {
      const file = this.profile[key];
      if (!file) return undefined;
      try {
        return readFileSync(String(file));
      } catch (e) {
        throw new KilnError('config', `cannot read ${key} ${file}: ${(e as Error).message}`);
      }
    };
    const opts: ConnectionOptions = {
      rejectUnauthorized: this.sslmode === 'verify-ca' || this.sslmode === 'verify-full',
    };
    const ca = read('sslrootcert');
    const cert = read('sslcert');
    const key = read('sslkey');
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    // verify-ca checks the chain but not that the certificate names this host.
    if (this.sslmode === 'verify-ca') opts.checkServerIdentity = () => undefined;
    return opts;
  }

  /** One connection outside the pool: used to probe TLS and by check(). */
  private async connectOnce(ssl?: boolean): Promise<pg.Client> {
    const client = new pg.Client(this.clientConfig(ssl));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await this.setupSession(client);
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Connects once, deciding TLS for sslmode prefer (TLS, else plain) and allow (plain, else
   * TLS) as libpq does, and retrying transient failures `retries` times.
   */
  private async firstConnection(): Promise<pg.Client> {
    let attempt = 0;
    for (;;) {
      try {
        if (this.useSsl !== undefined || !['prefer', 'allow'].includes(this.sslmode)) return await this.connectOnce();
        const first = this.sslmode === 'prefer';
        try {
          const c = await this.connectOnce(first);
          this.useSsl = first;
          return c;
        } catch (e) {
          const msg = String((e as Error).message ?? '');
          const code = (e as { code?: string }).code;
          const tlsRefused = first
            ? /does not support SSL/i.test(msg)
            : code === '28000' && /no encryption|SSL off/i.test(msg);
          if (!tlsRefused) throw e;
          const c = await this.connectOnce(!first);
          this.useSsl = !first;
          return c;
        }
      } catch (e) {
        const err = this.fail(e);
        if (!err.retryable || attempt >= this.retries) throw err;
        attempt++;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private async setupSession(client: pg.ClientBase): Promise<void> {
    if (this.profile.role) await client.query(`set role ${roleName(String(this.profile.role))}`);
    const interval = integerSetting(
      'client_connection_check_interval',
      this.profile.client_connection_check_interval,
      2,
    );
    if (interval > 0) {
      // Missing before PostgreSQL 14 (no row: nothing set), refused where the platform cannot check.
      await client
        .query(
          `select pg_catalog.set_config(name, $1, false) from pg_catalog.pg_settings ` +
            `where name = 'client_connection_check_interval'`,
          [String(interval * 1000)],
        )
        .catch(() => undefined);
    }
  }

  async open(): Promise<void> {
    if (this.pool) return;
    const probe = await this.firstConnection();
    await probe.end().catch(() => undefined);
    const pool = new pg.Pool({
      ...this.clientConfig(),
      max: this.threads,
      idleTimeoutMillis: 0,
      // pg-pool awaits onConnect's promise (a failed setup fails the checkout); @types/pg declares it void.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      onConnect: (client) => {
        // A connection that dies while checked out emits 'error' as well as failing the
        // query; the query's rejection is what kiln reports, and release() discards it.
        client.on('error', () => undefined);
        return this.setupSession(client);
      },
    });
    // An idle connection the server drops emits 'error' on the pool; without a listener that
    // would crash the process. The next query simply gets a fresh connection.
    pool.on('error', () => undefined);
    this.pool = pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.end().catch(() => undefined);
    // Last: while the invocation's connections live, its lock says it is alive.
    const lock = this.lockClient;
    this.lockClient = undefined;
    if (lock) await (await lock.catch(() => undefined))?.end().catch(() => undefined);
  }

  async check(): Promise<{ ok: boolean; message: string }> {
    try {
      const client = await this.firstConnection();
      try {
        const r = await client.query(
          "select current_user as usr, current_database() as db, current_setting('server_version') as version",
        );
        const row = r.rows[0] as { usr: string; db: string; version: string };
        const tls = this.useSsl ?? ['require', 'verify-ca', 'verify-full'].includes(this.sslmode);
        return {
          ok: true,
          message:
            `connected to PostgreSQL ${row.version} at ${this.host}:${this.port}, ` +
            `database ${row.db}, as ${row.usr}${tls ? ', over TLS' : ''}`,
        };
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (e) {
      const err = this.fail(e);
      return {
        ok: false,
        message: redact(err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message, this.password),
      };
    }
  }

  private connectionPool(): pg.Pool {
    if (!this.pool) throw new KilnError('internal', 'Postgres adapter used before open()');
    return this.pool;
  }

  /** Runs fn on one pooled connection; a connection that broke is discarded, not reused. */
  private async withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.connectionPool().connect();
    } catch (e) {
      throw this.fail(e);
    }
    let broken: Error | undefined;
    this.busy.add(client);
    try {
      if (this.tag !== undefined && this.taggedClients.get(client) !== this.tag) await this.applyTag(client);
      return await fn(client);
    } catch (e) {
      if (e instanceof KilnError && e.kind === 'connection') broken = e;
      throw e;
    } finally {
      this.busy.delete(client);
      client.release(broken);
    }
  }

  /** How many times cancel() was called: long work (a seed load) stops between statements when it changes. */
  get cancellations(): number {
    return this.cancelCount;
  }

  /** Asks the server to cancel what each busy connection is running (pg_cancel_backend). */
  /** 42P16: a view column removed, renamed or retyped; 42809: the name is not a view (a table built meanwhile). */
  refusesViewReplacement(error: unknown): boolean {
    const state = ((error as KilnError).cause as { code?: string } | undefined)?.code;
    return state === '42P16' || state === '42809';
  }

  async cancel(): Promise<void> {
    this.cancelCount++;
    const pids = [...this.busy]
      .map((c) => (c as unknown as { processID?: number }).processID)
      .filter((p): p is number => typeof p === 'number');
    if (!pids.length || !this.pool) return;
    const client = new pg.Client(this.clientConfig());
    try {
      await client.connect();
      await client.query('select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [pids]);
    } catch {
      // Cancelling is best effort: the run is stopping either way.
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async run(client: pg.ClientBase, sql: string, values?: unknown[]): Promise<QueryResult> {
    let res: PgResult | PgResult[];
    try {
      res = values ? await client.query(sql, values) : await client.query(sql);
    } catch (e) {
      throw this.fail(e, sql);
    }
    // Several statements in one string: the last one's rows, as a SQL console shows them.
    const last: PgResult | undefined = Array.isArray(res) ? (res as PgResult[]).at(-1) : res;
    if (!last) return { columns: [], rows: [] };
    return {
      columns: (last.fields ?? []).map((f) => f.name),
      rows: (last.rows ?? []) as Array<Record<string, unknown>>,
    };
  }

  execute(sql: string): Promise<QueryResult> {
    return this.withClient((c) => this.run(c, sql));
  }

  /**
   * A transaction the server rolled back to end a deadlock (or a serialization failure) is
   * run again, up to TRANSACTION_ATTEMPTS times in all: two runs that replace tables one view
   * reads both recreate that view, and the server may pick either to roll back. fn must
   * therefore do nothing outside the warehouse that cannot be done twice (kiln's only run SQL).
   */
  async transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const cancelledAt = this.cancelCount;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(fn);
      } catch (e) {
        const state = ((e as KilnError).cause as { code?: string } | undefined)?.code;
        if (
          attempt >= TRANSACTION_ATTEMPTS ||
          (state !== '40P01' && state !== '40001') ||
          this.cancelCount !== cancelledAt
        )
          throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 250 * attempt));
      }
    }
  }

  private transactionOnce<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.withClient(async (c) => {
      await this.run(c, 'begin');
      const session: Session = { execute: (sql) => this.run(c, sql) };
      sessionClients.set(session, c);
      try {
        const result = await fn(session);
        await this.run(c, 'commit');
        return result;
      } catch (e) {
        await this.run(c, 'rollback').catch(() => undefined);
        throw e;
      } finally {
        sessionClients.delete(session);
      }
    });
  }

  private checkDatabase(database: string | undefined): void {
    if (database !== undefined && database !== '' && database !== this.defaultDatabase) {
      throw new KilnError(
        'database',
        `Postgres cannot reach database '${database}' from a connection ` +
          `to '${this.defaultDatabase}': cross-database references are not ` +
          `supported`,
        {
          hint:
            `set database to '${this.defaultDatabase}' (or remove it), or ` +
            `point dbname in profiles.yml at '${database}'`,
        },
      );
    }
  }

  async createSchema(database: string | undefined, schema: string): Promise<void> {
    this.checkDatabase(database);
    try {
      await this.execute(`create schema if not exists ${this.quoteIdentifier(schema)}`);
    } catch (e) {
      // Two connections creating the same schema at once: the loser sees a unique violation.
      const code = ((e as KilnError).cause as { code?: string } | undefined)?.code;
      if (code !== '23505' && code !== '42P06') throw e;
    }
  }

  async listRelations(database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    this.checkDatabase(database);
    const result = await this.withClient((c) =>
      this.run(
        c,
        `select c.relname as name, c.relkind as kind
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')
         order by c.relname`,
        [schema],
      ),
    );
    return result.rows.map((r) => ({
      database: database ?? this.defaultDatabase,
      schema,
      name: String(r.name),
      type: relationType(String(r.kind)),
    }));
  }

  async getColumns(relation: Relation): Promise<ColumnInfo[]> {
    this.checkDatabase(relation.database);
    // format_type(oid, null) is what information_schema.columns.data_type shows for built-in
    // types ('integer', 'character varying', 'timestamp without time zone'), and it also
    // names arrays ('integer[]') and user-defined types instead of 'ARRAY' / 'USER-DEFINED'.
    const result = await this.withClient((c) =>
      this.run(
        c,
        `select a.attname as name, pg_catalog.format_type(a.atttypid, null) as type,
                row_number() over (order by a.attnum) as index
         from pg_catalog.pg_attribute a
         join pg_catalog.pg_class c on c.oid = a.attrelid
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
         order by a.attnum`,
        [relation.schema ?? this.defaultSchema, relation.identifier],
      ),
    );
    return result.rows.map((r) => ({ name: String(r.name), type: String(r.type), index: Number(r.index) }));
  }

  async listColumns(database: string | undefined, schema: string): Promise<Map<string, ColumnInfo[]>> {
    this.checkDatabase(database);
    // The same columns, types and positions as getColumns, for every relation of the schema at once.
    const result = await this.withClient((c) =>
      this.run(
        c,
        `select c.relname as relation, a.attname as name, pg_catalog.format_type(a.atttypid, null) as type,
                row_number() over (partition by c.oid order by a.attnum) as index
         from pg_catalog.pg_attribute a
         join pg_catalog.pg_class c on c.oid = a.attrelid
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
         order by c.relname, a.attnum`,
        [schema],
      ),
    );
    return columnsByRelation(
      result.rows.map((r) => [
        String(r.relation),
        { name: String(r.name), type: String(r.type), index: Number(r.index) },
      ]),
    );
  }

  // --- Telling runs apart (RunGuard) ---

  /**
   * Tags this run's connections with the invocation. The liveness lock is taken first, on a
   * connection of its own, so that no other run ever sees a tagged connection of this one
   * without the lock that says it is alive.
   */
  claimInvocation(invocation: string): void {
    if (this.tag !== undefined) return;
    this.invocation = invocation;
    this.tag = applicationName(this.profile.application_name, invocation);
    void this.lockConnection().catch(() => undefined);
  }

  /** The lock connection, (re)opened with the liveness lock held. */
  private lockConnection(): Promise<pg.Client> {
    if (this.tag === undefined) this.claimInvocation(randomInvocation());
    this.lockClient ??= (async () => {
      const client = new pg.Client(this.clientConfig());
      const lost = () => {
        if (this.lockClient === opened) this.lockClient = undefined;
      };
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
        await this.setupSession(client);
        // Idle between locks, it must not be ended for idling (PostgreSQL 14+). Read committed whatever the
        // server's default: a relation's type asked in the same round trip as its lock is read after the lock (tryLock).
        await client.query(
          `select pg_catalog.set_config(name, '0', false) from pg_catalog.pg_settings ` +
            `where name = 'idle_session_timeout'; ` +
            `set default_transaction_isolation = 'read committed'`,
        );
        await client.query('select pg_catalog.pg_try_advisory_lock($1, $2)', [
          LIVE_LOCK,
          invocationKey(this.invocation!),
        ]);
        await this.applyTag(client, true);
        return client;
      } catch (e) {
        await client.end().catch(() => undefined);
        lost();
        throw this.fail(e);
      }
    })();
    const opened = this.lockClient;
    return opened;
  }

  /** Sets this run's application_name on a connection; on a pooled one only once the liveness lock is held. */
  private async applyTag(client: pg.ClientBase, isLockClient = false): Promise<void> {
    if (!isLockClient) await this.lockConnection();
    const tag = this.tag!;
    await this.run(client, `select pg_catalog.set_config('application_name', $1, false)`, [tag]);
    this.taggedClients.set(client, tag);
  }

  private async lockQuery(sql: string, values: unknown[]): Promise<Array<Record<string, unknown>>> {
    const client = await this.lockConnection();
    try {
      return (await client.query(sql, values)).rows as Array<Record<string, unknown>>;
    } catch (e) {
      throw this.fail(e, sql);
    }
  }

  /** Several statements (no parameters) in one round trip on the lock connection: each one's rows. */
  private async lockStatements(sql: string): Promise<Array<Array<Record<string, unknown>>>> {
    const client = await this.lockConnection();
    try {
      const res = (await client.query(sql)) as PgResult | PgResult[];
      return (Array.isArray(res) ? res : [res]).map((r) => r.rows as Array<Record<string, unknown>>);
    } catch (e) {
      throw this.fail(e, sql);
    }
  }

  /** Tagged connections of other invocations (on this database), and the keys of the live invocations. */
  private async kilnSessions(): Promise<{ sessions: KilnConnection[]; live: Set<number> }> {
    await this.lockConnection();
    const activity = await this.withClient((c) =>
      this.run(
        c,
        `select pid, application_name as app, coalesce(state, '') as state, coalesce(query, '') as query,
                coalesce(extract(epoch from now() - coalesce(query_start, backend_start)), 0)::float8 as seconds
         from pg_catalog.pg_stat_activity
         where datname = current_database() and pid <> pg_catalog.pg_backend_pid() and application_name ~ $1`,
        [TAG.source],
      ),
    );
    const locks = await this.withClient((c) =>
      this.run(
        c,
        `select objid::int8 as key from pg_catalog.pg_locks where locktype ` +
          `= 'advisory' and classid = $1::oid and objsubid = 2 and granted ` +
          `and database = (select oid from pg_catalog.pg_database where ` +
          `datname = current_database())`,
        [LIVE_LOCK],
      ),
    );
    const sessions: KilnConnection[] = [];
    for (const r of activity.rows) {
      const m = TAG.exec(String(r.app));
      if (!m || m[1] === this.invocation) continue;
      sessions.push({
        backendPid: Number(r.pid),
        invocation: m[1]!,
        clientPid: Number(m[2]),
        host: m[3]!,
        state: String(r.state),
        query: String(r.query),
        seconds: Number(r.seconds),
      });
    }
    return { sessions, live: new Set(locks.rows.map((r) => Number(r.key))) };
  }

  async orphanedSessions(): Promise<KilnConnection[]> {
    const { sessions, live } = await this.kilnSessions();
    return sessions.filter((s) => !live.has(invocationKey(s.invocation)));
  }

  async liveInvocations(): Promise<Set<string>> {
    const { sessions, live } = await this.kilnSessions();
    return new Set([
      ...sessions.filter((s) => live.has(invocationKey(s.invocation))).map((s) => s.invocation),
      ...(this.invocation ? [this.invocation] : []),
    ]);
  }

  async stopSessions(backendPids: number[]): Promise<number[]> {
    if (!backendPids.length) return [];
    const present = async () =>
      (
        await this.withClient((c) =>
          this.run(c, 'select pid from pg_catalog.pg_stat_activity where pid = any($1::int[])', [backendPids]),
        )
      ).rows.map((r) => Number(r.pid));
    const waitGone = async (ms: number) => {
      const until = Date.now() + ms;
      let left = await present();
      while (left.length && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        left = await present();
      }
      return left;
    };
    // A cancelled query rolls back; its connection, whose client is gone, then ends.
    await this.withClient((c) =>
      this.run(c, 'select pg_catalog.pg_cancel_backend(pid) from unnest($1::int[]) as pid', [backendPids]),
    ).catch(() => undefined);
    let left = await waitGone(1000);
    if (left.length) {
      await this.withClient((c) =>
        this.run(c, 'select pg_catalog.pg_terminate_backend(pid) from unnest($1::int[]) as pid', [left]),
      ).catch(() => undefined);
      left = await waitGone(5000);
    }
    return left;
  }

  async lockRelation(
    relation: Relation,
    onWait: (holder: LockHolder, waitedSeconds: number) => void,
  ): Promise<HeldLock> {
    this.checkDatabase(relation.database);
    const key = relationKey(relation);
    const cancelledAt = this.cancelCount;
    const started = Date.now();
    let noticed = 0;
    for (;;) {
      const held = await this.tryLock(key, relation);
      if (held) return held;
      if (this.cancelCount !== cancelledAt)
        throw new KilnError('database', `cancelled while waiting for the build lock of ${relation.render()}`);
      if (!noticed || Date.now() - noticed >= WAIT_NOTICE_EVERY_MS) {
        const holder = await this.lockHolder(key);
        if (holder) onWait(holder, noticed ? (Date.now() - started) / 1000 : 0);
        noticed = Date.now();
      }
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }

  async tryLockRelation(relation: Relation): Promise<(() => Promise<void>) | undefined> {
    return (await this.tryLock(relationKey(relation)))?.release;
  }

  /**
   * Takes a build lock if it is free. With `typeOf`, that relation's type rides in the same round trip, as a second
   * statement: the lock connection reads committed data (lockConnection), so that statement's snapshot is taken
   * after the first took the lock, and sees whatever the run that held it last committed.
   */
  private async tryLock(key: number, typeOf?: Relation): Promise<HeldLock | undefined> {
    const client = await this.lockConnection();
    const lock = `select pg_catalog.pg_try_advisory_lock(${BUILD_LOCK}, ${key}) as got`;
    const release = async () => {
      // A lock connection lost meanwhile took the lock with it.
      if ((await this.lockClient?.catch(() => undefined)) !== client) return;
      await client.query('select pg_catalog.pg_advisory_unlock($1, $2)', [BUILD_LOCK, key]).catch(() => undefined);
    };
    let locked, typed;
    try {
      [locked, typed] = typeOf
        ? await this.lockStatements(`${lock};\n${relkindQuery(typeOf.schema ?? this.defaultSchema, typeOf.identifier)}`)
        : [await this.lockQuery(lock, [])];
    } catch (e) {
      // The lock may have been taken before the type query failed (session locks outlive the transaction).
      if (typeOf) await release();
      throw e;
    }
    if (locked?.[0]?.got !== true) return undefined;
    return { type: typed?.[0] ? relationType(String(typed[0].kind)) : undefined, release };
  }

  private async lockHolder(key: number): Promise<LockHolder | undefined> {
    const r = await this.withClient((c) =>
      this.run(
        c,
        `select a.pid, coalesce(a.application_name, '') as app
         from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.classid = $1::oid and l.objid = $2::oid and l.objsubid = 2 and l.granted
           and l.database = (select oid from pg_catalog.pg_database where datname = current_database())`,
        [BUILD_LOCK, key],
      ),
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const m = TAG.exec(String(row.app));
    return {
      backendPid: Number(row.pid),
      application: String(row.app),
      session: m ? { invocation: m[1]!, clientPid: Number(m[2]), host: m[3]! } : undefined,
    };
  }

  async currentType(relation: Relation): Promise<RelationType | undefined> {
    this.checkDatabase(relation.database);
    const r = await this.withClient((c) =>
      this.run(c, relkindQuery(relation.schema ?? this.defaultSchema, relation.identifier)),
    );
    return r.rows[0] ? relationType(String(r.rows[0].kind)) : undefined;
  }

  seedColumnType(kind: SeedColumnKind): string {
    return seedTypes[kind];
  }

  /**
   * Loads seed rows with INSERT ... SELECT * FROM unnest($1::type[], $2::type[], ...): one bind
   * parameter per column (far below Postgres' 65535 limit), up to SEED_BATCH_ROWS rows per
   * statement, each value parsed by the column type's own input function as COPY would.
   * A session from another adapter (no pg client behind it) gets literal multi-row INSERTs.
   */
  async loadSeed(relation: Relation, seed: SeedTable, session: Session): Promise<void> {
    const cancelledAt = this.cancelCount;
    const checkpoint = () => {
      if (this.cancelCount !== cancelledAt)
        throw new KilnError('database', `loading ${relation.render()} was interrupted`);
    };
    await this.widenIntegers(relation, seed, session);
    if (seed.rows.length === 0) return;
    const cols = seed.columns.map((c) => this.quoteIdentifier(c.name)).join(', ');
    const client = sessionClients.get(session);
    if (!client) {
      for (let start = 0; start < seed.rows.length; start += SEED_LITERAL_BATCH_ROWS) {
        const batch = seed.rows.slice(start, start + SEED_LITERAL_BATCH_ROWS);
        const values = batch
          .map((row) => `(${row.map((v) => (v === null ? 'null' : stringLiteral(v))).join(', ')})`)
          .join(',\n');
        checkpoint();
        await session.execute(`insert into ${relation.render()} (${cols}) values\n${values}`);
      }
      return;
    }
    const types = await this.seedTypes(relation, seed, session);
    const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    const sql = `insert into ${relation.render()} (${cols}) select * from unnest(${arrays})`;
    for (let start = 0; start < seed.rows.length; start += SEED_BATCH_ROWS) {
      const end = Math.min(seed.rows.length, start + SEED_BATCH_ROWS);
      const params = seed.columns.map((_, i) => {
        const column = new Array<string | null>(end - start);
        for (let r = start; r < end; r++) column[r - start] = seed.rows[r]![i]!;
        return column;
      });
      checkpoint();
      await this.run(client, sql, params);
    }
  }

  /**
   * The type of each seed column as the table has it (column_types included), without its
   * modifier: an explicit cast to varchar(5) or char(3) would silently truncate, while the
   * insert's assignment to the column checks the length and errors, as COPY does. `character`
   * and `bit` without a length mean length 1 in a cast, so their unbounded forms are used.
   */
  private async seedTypes(relation: Relation, seed: SeedTable, session: Session): Promise<string[]> {
    const result = await session.execute(
      `select a.attname as name,
              case a.atttypid when 'pg_catalog.bpchar'::regtype then 'pg_catalog.bpchar'
                              when 'pg_catalog.bit'::regtype then 'pg_catalog.varbit'
                              else pg_catalog.format_type(a.atttypid, null) end as type
       from pg_catalog.pg_attribute a
       where a.attrelid = ${stringLiteral(relation.include({ database: false }).render())}::regclass ` +
        `and a.attnum > 0 and not a.attisdropped`,
    );
    const byName = new Map(result.rows.map((r) => [String(r.name), String(r.type)]));
    return seed.columns.map((c) => byName.get(c.name) ?? c.type ?? this.seedColumnType(c.kind));
  }

  /**
   * dbt-postgres types CSV integers as `integer`; kiln infers integers of up to 18 digits, so
   * a column holding values outside int4 is widened to bigint before loading.
   */
  private async widenIntegers(relation: Relation, seed: SeedTable, session: Session): Promise<void> {
    for (let i = 0; i < seed.columns.length; i++) {
      const c = seed.columns[i]!;
      if (c.kind !== 'integer' || c.type !== undefined) continue;
      const wide = seed.rows.some((r) => {
        const v = r[i];
        if (v === null || v === undefined) return false;
        const n = Number(v);
        return n < INT4_MIN || n > INT4_MAX;
      });
      if (wide)
        await session.execute(
          `alter table ${relation.render()} alter column ${this.quoteIdentifier(c.name)} type bigint`,
        );
    }
  }
}

/**
 * `kiln/<invocation>/<pid>@<host>`, after the profile's application_name when it sets one, within what the server
 * keeps.
 */
function applicationName(configured: string | undefined, invocation: string): string {
  const tag = `kiln/${invocation}/${process.pid}@`;
  const prefix = configured && configured !== 'kiln' ? `${configured} ` : '';
  const room = APPLICATION_NAME_MAX - Buffer.byteLength(tag);
  const head = Buffer.from(prefix)
    .subarray(0, Math.max(0, room - 12))
    .toString()
    .replace(/\uFFFD+$/, '');
  const host = hostname().replace(/[^\x20-\x7e]/g, '?');
  return `${head}${tag}${host.slice(0, Math.max(0, room - Buffer.byteLength(head)))}`;
}

/** The second key of an invocation's liveness lock (int4, positive). */
function invocationKey(invocation: string): number {
  return parseInt(invocation, 16) & 0x7fffffff;
}

/** The second key of a relation's build lock: the same for every run that builds that relation. */
function relationKey(relation: Relation): number {
  return parseInt(createHash('md5').update(relation.render()).digest('hex').slice(0, 8), 16) & 0x7fffffff;
}

function randomInvocation(): string {
  return createHash('sha1').update(`${process.pid}:${Date.now()}:${Math.random()}`).digest('hex').slice(0, 8);
}

/** The kind of relation under a name, if any (a literal query: it also rides with a lock query, which has no parameters). */
function relkindQuery(schema: string, name: string): string {
  return (
    `select c.relkind as kind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace ` +
    `where n.nspname = ${escapedLiteral(schema)} and c.relname = ${escapedLiteral(name)} ` +
    `and c.relkind in ('r', 'p', 'v', 'm', 'f')`
  );
}

/** A string literal read the same whatever standard_conforming_strings says (E'...': backslashes escaped too). */
function escapedLiteral(value: string): string {
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function relationType(relkind: string): RelationType {
  if (relkind === 'v' || relkind === 'm') return 'view';
  if (relkind === 'f') return 'external';
  return 'table';
}

/** dbt-postgres runs `set role <role>` unquoted: fold a plain name to lower case as the server would. */
function roleName(role: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(role) ? quoteDoubled(role.toLowerCase()) : quoteDoubled(role);
}

function integerSetting(key: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new KilnError('config', `postgres profile key '${key}' must be a whole number, got '${String(value)}'`);
  return n;
}
