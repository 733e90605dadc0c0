/**
 * The PostgreSQL adapter, on the `pg` driver. Profile keys follow dbt-postgres (see
 * docs/adapters/postgres.md). Loaded only when a profile says `type: postgres`.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { PoolClient, PoolConfig, QueryResult as PgResult } from 'pg';
import { KilnError } from '../../errors.js';
import { Relation, type RelationType } from '../relation.js';
import { quoteDoubled, stringLiteral } from '../sql.js';
import type { Adapter, ColumnInfo, ExistingRelation, QueryResult, SeedColumnKind, SeedTable, Session } from '../types.js';
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

/** The connection a session of this adapter runs on; loadSeed uses it for bind parameters. */
const sessionClients = new WeakMap<Session, PoolClient>();

export class PostgresAdapter implements Adapter {
  readonly type = 'postgres';
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

  constructor(private readonly profile: PostgresProfile) {
    const missing = (key: string) =>
      new KilnError('config', `the postgres profile needs '${key}'`, { hint: 'see docs/adapters/postgres.md for the keys of a postgres output' });
    this.host = profile.host !== undefined && profile.host !== '' ? String(profile.host) : (() => { throw missing('host'); })();
    this.user = profile.user !== undefined && profile.user !== '' ? String(profile.user) : (() => { throw missing('user'); })();
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
      throw new KilnError('config', `unknown sslmode '${profile.sslmode}'`, { hint: `use one of: ${[...sslModes].join(', ')}` });
    }
    integerSetting('connect_timeout', profile.connect_timeout, 10);
    integerSetting('keepalives_idle', profile.keepalives_idle, 0);
  }

  quoteIdentifier(name: string): string {
    return quoteDoubled(name);
  }

  /**
   * Rendered as "database"."schema"."identifier", as dbt-postgres does: Postgres accepts the
   * database part in queries and DDL when it names the connected database.
   */
  relation(database: string | undefined, schema: string | undefined, identifier: string, type: RelationType = 'table'): Relation {
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
    const opts: ConnectionOptions = { rejectUnauthorized: this.sslmode === 'verify-ca' || this.sslmode === 'verify-full' };
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
          const tlsRefused = first ? /does not support SSL/i.test(msg) : code === '28000' && /no encryption|SSL off/i.test(msg);
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
  }

  async open(): Promise<void> {
    if (this.pool) return;
    const probe = await this.firstConnection();
    await probe.end().catch(() => undefined);
    const pool = new pg.Pool({
      ...this.clientConfig(),
      max: this.threads,
      idleTimeoutMillis: 0,
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
  }

  async check(): Promise<{ ok: boolean; message: string }> {
    try {
      const client = await this.firstConnection();
      try {
        const r = await client.query('select current_user as usr, current_database() as db, current_setting(\'server_version\') as version');
        const row = r.rows[0] as { usr: string; db: string; version: string };
        const tls = this.useSsl ?? ['require', 'verify-ca', 'verify-full'].includes(this.sslmode);
        return {
          ok: true,
          message: `connected to PostgreSQL ${row.version} at ${this.host}:${this.port}, database ${row.db}, as ${row.usr}${tls ? ', over TLS' : ''}`,
        };
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (e) {
      const err = this.fail(e);
      return { ok: false, message: redact(err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message, this.password) };
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
      return await fn(client);
    } catch (e) {
      if (e instanceof KilnError && e.kind === 'connection') broken = e;
      throw e;
    } finally {
      this.busy.delete(client);
      client.release(broken);
    }
  }

  /** Asks the server to cancel what each busy connection is running (pg_cancel_backend). */
  async cancel(): Promise<void> {
    const pids = [...this.busy].map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
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
    const last: PgResult | undefined = Array.isArray(res) ? res[res.length - 1] : res;
    if (!last) return { columns: [], rows: [] };
    return { columns: (last.fields ?? []).map((f) => f.name), rows: (last.rows ?? []) as Array<Record<string, unknown>> };
  }

  execute(sql: string): Promise<QueryResult> {
    return this.withClient((c) => this.run(c, sql));
  }

  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
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
      throw new KilnError('database', `Postgres cannot reach database '${database}' from a connection to '${this.defaultDatabase}': cross-database references are not supported`, {
        hint: `set database to '${this.defaultDatabase}' (or remove it), or point dbname in profiles.yml at '${database}'`,
      });
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
    await this.widenIntegers(relation, seed, session);
    if (seed.rows.length === 0) return;
    const cols = seed.columns.map((c) => this.quoteIdentifier(c.name)).join(', ');
    const client = sessionClients.get(session);
    if (!client) {
      for (let start = 0; start < seed.rows.length; start += SEED_LITERAL_BATCH_ROWS) {
        const batch = seed.rows.slice(start, start + SEED_LITERAL_BATCH_ROWS);
        const values = batch.map((row) => `(${row.map((v) => (v === null ? 'null' : stringLiteral(v))).join(', ')})`).join(',\n');
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
       where a.attrelid = ${stringLiteral(relation.include({ database: false }).render())}::regclass and a.attnum > 0 and not a.attisdropped`,
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
      if (wide) await session.execute(`alter table ${relation.render()} alter column ${this.quoteIdentifier(c.name)} type bigint`);
    }
  }
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
  if (!Number.isInteger(n) || n < 0) throw new KilnError('config', `postgres profile key '${key}' must be a whole number, got '${String(value)}'`);
  return n;
}
