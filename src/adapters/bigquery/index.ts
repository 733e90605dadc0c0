/**
 * The BigQuery adapter, on Google's official client (`@google-cloud/bigquery`). Profile keys
 * follow dbt-bigquery (docs/adapters/bigquery.md). Loaded only when a profile says
 * `type: bigquery`; the client is imported on first use.
 *
 * Each statement is a query job with a job id kiln chooses, so a request whose answer was lost
 * is sent again under the same id and can never start the statement twice (BigQuery refuses
 * a second job with an id it knows; kiln then waits for the first one's outcome). Builds rely
 * on `create or replace` being atomic (replacesAtomically); a transaction's DML is sent as one
 * script between BEGIN TRANSACTION and COMMIT TRANSACTION (see transaction()).
 */
import { randomUUID } from 'node:crypto';
import type { BigQuery, BigQueryOptions, Job, Query } from '@google-cloud/bigquery';
import type { AuthClient } from 'google-auth-library';
import { KilnError } from '../../errors.js';
import { Relation, type RelationType } from '../relation.js';
import type {
  Adapter,
  ColumnInfo,
  DryRunEstimate,
  ExistingRelation,
  QueryResult,
  SeedColumnKind,
  SeedTable,
  Session,
} from '../types.js';
import { toKilnError } from './errors.js';
import { readServiceAccountKey, serviceAccountClient, type LocateSetting } from './service-account.js';
import { isDml, safeToRepeat } from './statements.js';
import { integerValue, normaliseBigQueryValue } from './values.js';

export interface BigQueryProfile {
  type: 'bigquery';
  /** oauth (application default credentials, the default), service-account, service-account-json, oauth-secrets. */
  method?: string;
  /** The GCP project; dbt also accepts `database`. */
  project?: string;
  database?: string;
  /** The dataset; dbt also accepts `schema`. */
  dataset?: string;
  schema?: string;
  keyfile?: string;
  keyfile_json?: Record<string, unknown> | string;
  /** oauth-secrets */
  token?: string;
  refresh_token?: string;
  client_id?: string;
  client_secret?: string;
  location?: string;
  /** interactive (default) or batch. */
  priority?: string;
  job_execution_timeout_seconds?: number | string;
  /** Extra attempts for a job that failed transiently; default 1. */
  job_retries?: number | string;
  maximum_bytes_billed?: number | string;
  impersonate_service_account?: string;
  threads?: number;
  /** Another endpoint than bigquery.googleapis.com (private service connect, a test stand-in). */
  api_endpoint?: string;
}

export interface BigQueryAdapterOptions {
  /** Credentials to use instead of those the profile names (tests pass a fake one). */
  authClient?: AuthClient;
  /** Where a profile key is written, so a bad setting is reported at its line of profiles.yml. */
  locate?: LocateSetting;
}

type BigQueryModule = typeof import('@google-cloud/bigquery');

const seedTypes: Record<SeedColumnKind, string> = {
  // dbt-bigquery's seed types.
  integer: 'INT64',
  number: 'FLOAT64',
  boolean: 'BOOL',
  date: 'DATE',
  timestamp: 'DATETIME',
  text: 'STRING',
};

/** Characters of literal SQL per seed INSERT: BigQuery's limit on a query's length is 1,024K. */
const SEED_BATCH_CHARS = 900_000;
const SCOPES = [
  'https://www.googleapis.com/auth/bigquery',
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/drive',
];

let sdk: Promise<BigQueryModule> | undefined;

/** Loads the client once, with google-auth's metadata-server probing off. */
export function loadBigQuerySdk(): Promise<BigQueryModule> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  sdk ??= import('@google-cloud/bigquery');
  return sdk;
}

/** A job id of kiln's own (BigQuery's ids allow letters, digits, _ and -). */
function newJobId(): string {
  return `kiln_${randomUUID().replace(/-/g, '')}`;
}

function wholeNumber(key: string, value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new KilnError('config', `bigquery profile: '${key}' must be a whole number, got '${String(value)}'`);
  return n;
}

/** A BigQuery string literal: backslash escapes, as GoogleSQL reads them. */
export function bigQueryString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

export class BigQueryAdapter implements Adapter {
  readonly type = 'bigquery';
  readonly defaultDatabase: string;
  readonly defaultSchema: string;
  readonly threads: number;
  readonly replacesAtomically = true;
  /** BigQuery transactions hold DML only; DDL on permanent tables is refused inside one. */
  readonly ddlEndsTransactions = true;
  /** Dataset and table names are case-sensitive on BigQuery (column names are not). */
  readonly caseSensitiveNames = true;
  /** dbt-bigquery's default for a model with a unique_key. */
  readonly defaultIncrementalStrategy = 'merge';
  /** dbt-bigquery's insert_overwrite: the partitions the new rows fall in are replaced whole. */
  readonly extraIncrementalStrategies = ['insert_overwrite'] as const;
  private readonly method: string;
  private readonly locate: LocateSetting;
  private readonly retries: number;
  private readonly timeoutMs?: number;
  private readonly maximumBytesBilled?: number;
  private client?: BigQuery;
  /** Jobs running now, for cancel(). */
  private readonly running = new Set<Job>();
  private cancelCount = 0;

  constructor(
    private readonly profile: BigQueryProfile,
    private readonly options: BigQueryAdapterOptions = {},
  ) {
    const locate = (this.locate = options.locate ?? (() => ({})));
    const missing = (key: string) =>
      new KilnError('config', `the bigquery profile needs '${key}'`, {
        ...locate('type'),
        hint: 'see docs/adapters/bigquery.md for the keys of a bigquery output',
      });
    const project = profile.project ?? profile.database;
    if (!project) throw missing('project');
    this.defaultDatabase = String(project);
    const dataset = profile.dataset ?? profile.schema;
    if (!dataset) throw missing('dataset');
    this.defaultSchema = String(dataset);
    this.threads = Math.max(1, wholeNumber('threads', profile.threads, 1)!);
    this.retries = wholeNumber('job_retries', profile.job_retries, 1)!;
    const timeout = wholeNumber('job_execution_timeout_seconds', profile.job_execution_timeout_seconds, undefined);
    this.timeoutMs = timeout ? timeout * 1000 : undefined;
    this.maximumBytesBilled = wholeNumber('maximum_bytes_billed', profile.maximum_bytes_billed, undefined);
    this.method = String(profile.method ?? 'oauth').toLowerCase();
    const methods = ['oauth', 'service-account', 'service-account-json', 'oauth-secrets'];
    if (!methods.includes(this.method))
      throw new KilnError('config', `bigquery profile: unknown method '${profile.method}'`, {
        ...locate('method'),
        hint: `use one of: ${methods.join(', ')}`,
      });
    if (this.method === 'service-account' && !profile.keyfile) throw missing('keyfile');
    if (this.method === 'service-account-json' && !profile.keyfile_json) throw missing('keyfile_json');
    if (this.method === 'oauth-secrets' && !profile.token && !profile.refresh_token) throw missing('token');
    const priority = String(profile.priority ?? 'interactive').toLowerCase();
    if (!['interactive', 'batch'].includes(priority))
      throw new KilnError(
        'config',
        `bigquery profile: priority must be interactive or batch, got '${profile.priority}'`,
      );
  }

  quoteIdentifier(name: string): string {
    return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
  }

  /** Rendered `project`.`dataset`.`table`, each part in backticks. */
  relation(
    database: string | undefined,
    schema: string | undefined,
    identifier: string,
    type: RelationType = 'table',
  ): Relation {
    return new Relation(database, schema, identifier, (p) => this.quoteIdentifier(p), type);
  }

  private get target(): string {
    return `project ${this.defaultDatabase}${this.profile.location ? ` (${this.profile.location})` : ''}`;
  }

  private fail(e: unknown): KilnError {
    return toKilnError(e, { target: this.target });
  }

  /** The client's options for this profile's credentials. */
  async clientOptions(): Promise<BigQueryOptions> {
    const p = this.profile;
    const options: BigQueryOptions = { projectId: this.defaultDatabase, scopes: SCOPES, userAgent: 'kiln' };
    if (p.location) options.location = p.location;
    if (p.api_endpoint) options.apiEndpoint = p.api_endpoint;
    if (this.options.authClient) {
      options.authClient = this.options.authClient;
      return options;
    }
    if (this.method === 'service-account' || this.method === 'service-account-json') {
      const source = this.method === 'service-account' ? { keyfile: p.keyfile } : { keyfile_json: p.keyfile_json };
      options.authClient = await serviceAccountClient(readServiceAccountKey(source, this.locate), SCOPES);
    }
    const auth = await import('google-auth-library');
    if (this.method === 'oauth-secrets') {
      const client = new auth.OAuth2Client({ clientId: p.client_id, clientSecret: p.client_secret });
      client.setCredentials({ access_token: p.token, refresh_token: p.refresh_token });
      options.authClient = client;
    }
    if (p.impersonate_service_account) {
      const source = options.authClient ?? (await new auth.GoogleAuth({ scopes: SCOPES }).getClient());
      options.authClient = new auth.Impersonated({
        sourceClient: source,
        targetPrincipal: p.impersonate_service_account,
        targetScopes: SCOPES,
        lifetime: 3600,
      });
    }
    return options;
  }

  async open(): Promise<void> {
    if (this.client) return;
    const { BigQuery } = await loadBigQuerySdk();
    try {
      this.client = new BigQuery(await this.clientOptions());
    } catch (e) {
      throw this.fail(e);
    }
  }

  async close(): Promise<void> {
    this.client = undefined;
  }

  async check(): Promise<{ ok: boolean; message: string }> {
    try {
      await this.open();
      await this.execute('select 1 as ok');
      return { ok: true, message: `connected to BigQuery, ${this.target}, dataset ${this.defaultSchema}` };
    } catch (e) {
      const err = this.fail(e);
      return { ok: false, message: err.format() };
    }
  }

  private bq(): BigQuery {
    if (!this.client) throw new KilnError('internal', 'BigQuery adapter used before open()');
    return this.client;
  }

  private jobOptions(sql: string): Query {
    const q: Query = { query: sql, useLegacySql: false };
    if (this.profile.location) q.location = this.profile.location;
    if (String(this.profile.priority ?? '').toLowerCase() === 'batch') q.priority = 'BATCH';
    if (this.timeoutMs) q.jobTimeoutMs = this.timeoutMs;
    if (this.maximumBytesBilled !== undefined) q.maximumBytesBilled = String(this.maximumBytesBilled);
    return q;
  }

  /**
   * Runs one statement (or script) as a query job and reads all its pages. The job id is
   * chosen here and kept across retries: a lost answer to jobs.insert is sent again with the
   * same id, and if BigQuery already has that job (409) kiln waits for its outcome instead of
   * starting the statement again. A job that ended in failure is started again (under a new
   * id) only for a statement that is safe to repeat, never for DML or a script, and only for a
   * transient reason; a DML job is only ever looked at again.
   */
  async execute(sql: string): Promise<QueryResult> {
    const repeatable = safeToRepeat(sql);
    let jobId = newJobId();
    let attempt = 0;
    for (;;) {
      let job: Job | undefined;
      try {
        job = await this.insertJob(sql, jobId);
        this.running.add(job);
        return await this.results(job);
      } catch (e) {
        const err = this.fail(e);
        if (!err.retryable || attempt >= this.retries) throw err;
        if (job && repeatable && (await this.failedJob(job))) jobId = newJobId();
        attempt++;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      } finally {
        if (job) this.running.delete(job);
      }
    }
  }

  /** Whether the job is known to have ended in failure (so it changed nothing). */
  private async failedJob(job: Job): Promise<boolean> {
    try {
      // The SDK types metadata as any: these are the fields of BigQuery's Job resource read here.
      const [meta] = (await job.getMetadata()) as [
        { status?: { state?: string; errorResult?: unknown } },
        ...unknown[],
      ];
      return meta.status?.state === 'DONE' && !!meta.status.errorResult;
    } catch {
      return false;
    }
  }

  /** jobs.insert under `jobId`; if BigQuery already has that job (an earlier answer was lost), that job. */
  private async insertJob(sql: string, jobId: string): Promise<Job> {
    try {
      const [job] = await this.bq().createQueryJob({ ...this.jobOptions(sql), jobId });
      return job;
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      const job = this.bq().job(jobId, { location: this.profile.location });
      await job.getMetadata();
      return job;
    }
  }

  /**
   * Waits for the job (getQueryResults waits on the service and answers jobComplete=false
   * until it is done) and reads every page; the columns come from the result's schema, so an
   * empty result keeps its column names.
   */
  private async results(job: Job): Promise<QueryResult> {
    const rows: Array<Record<string, unknown>> = [];
    let columns: string[] | undefined;
    let options: Record<string, unknown> = {
      autoPaginate: false,
      wrapIntegers: { integerTypeCastFunction: integerValue },
    };
    for (;;) {
      const [page, next, response] = (await job.getQueryResults(options as never)) as unknown as [
        Array<Record<string, unknown>>,
        Record<string, unknown> | null,
        { jobComplete?: boolean; schema?: { fields?: Array<{ name: string }> } } | undefined,
      ];
      if (response?.jobComplete !== false) {
        columns ??= (response?.schema?.fields ?? []).map((f) => f.name);
        for (const r of page ?? [])
          rows.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normaliseBigQueryValue(v)])));
      }
      if (!next) break;
      options = { ...next, autoPaginate: false, wrapIntegers: { integerTypeCastFunction: integerValue } };
    }
    return { columns: columns ?? (rows.length ? Object.keys(rows[0]!) : []), rows };
  }

  /** How many times cancel() was called: long work (a seed load) stops between statements when it changes. */
  get cancellations(): number {
    return this.cancelCount;
  }

  /** jobs.cancel for every job running now: BigQuery stops them, and a stopped job changes nothing. */
  async cancel(): Promise<void> {
    this.cancelCount++;
    await Promise.all([...this.running].map((job) => job.cancel().catch(() => undefined)));
  }

  /**
   * A transaction: the DML statements are held back and sent together as one script,
   * `BEGIN TRANSACTION; ...; COMMIT TRANSACTION;`, which BigQuery applies whole or not at all,
   * before any other statement runs and when fn returns. If fn throws, held statements are
   * never sent. DDL cannot join a BigQuery transaction, so any other statement runs as itself
   * (materializations keep DDL outside transactions: ddlEndsTransactions).
   */
  async transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const held: string[] = [];
    const flush = async () => {
      if (!held.length) return;
      const script =
        `begin transaction;\n${held.map((q) => q.trim().replace(/;+$/, '')).join(';\n')};\ncommit ` + `transaction;`;
      held.length = 0;
      await this.execute(script);
    };
    const result = await fn({
      execute: async (sql) => {
        if (isDml(sql)) {
          held.push(sql);
          return { columns: [], rows: [] };
        }
        await flush();
        return this.execute(sql);
      },
    });
    await flush();
    return result;
  }

  /** A dry-run job: BigQuery validates the query and says how many bytes it would scan. */
  async dryRun(sql: string): Promise<DryRunEstimate> {
    try {
      const [job] = await this.bq().createQueryJob({ ...this.jobOptions(sql), dryRun: true });
      const stats = ((job.metadata as { statistics?: unknown } | undefined)?.statistics ?? {}) as {
        totalBytesProcessed?: string;
        query?: { totalBytesProcessed?: string; statementType?: string };
      };
      return {
        bytesProcessed: Number(stats.query?.totalBytesProcessed ?? stats.totalBytesProcessed ?? 0),
        statementType: stats.query?.statementType,
      };
    } catch (e) {
      throw this.fail(e);
    }
  }

  async createSchema(database: string | undefined, schema: string): Promise<void> {
    const location = this.profile.location ? ` options(location=${bigQueryString(this.profile.location)})` : '';
    const dataset = `${this.quoteIdentifier(database ?? this.defaultDatabase)}.${this.quoteIdentifier(schema)}`;
    await this.execute(`create schema if not exists ${dataset}${location}`);
  }

  async listRelations(database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    const project = database ?? this.defaultDatabase;
    let result: QueryResult;
    try {
      const dataset = `${this.quoteIdentifier(project)}.${this.quoteIdentifier(schema)}`;
      result = await this.execute(
        `select table_name, table_type from ${dataset}.INFORMATION_SCHEMA.TABLES order by table_name`,
      );
    } catch (e) {
      // A dataset that does not exist yet holds no relations.
      if (e instanceof KilnError && /not ?found/i.test(e.message)) return [];
      throw e;
    }
    return result.rows.map((r) => {
      const t = String(r.table_type).toUpperCase();
      return {
        database: project,
        schema,
        name: String(r.table_name),
        type: t === 'VIEW' || t === 'MATERIALIZED VIEW' ? 'view' : t === 'EXTERNAL' ? 'external' : 'table',
      };
    });
  }

  /**
   * datasets.get: whether the dataset exists, by its exact name (dbt-bigquery asks the API too;
   * INFORMATION_SCHEMA.SCHEMATA needs a region).
   */
  async schemaExists(database: string | undefined, schema: string): Promise<boolean> {
    try {
      const [exists] = await this.bq()
        .dataset(schema, { projectId: database ?? this.defaultDatabase })
        .exists();
      return exists;
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** tables.get: the relation's schema as BigQuery keeps it. */
  async getColumns(relation: Relation): Promise<ColumnInfo[]> {
    const table = this.bq()
      .dataset(relation.schema ?? this.defaultSchema, { projectId: relation.database ?? this.defaultDatabase })
      .table(relation.identifier);
    try {
      const [meta] = (await table.getMetadata()) as [
        { schema?: { fields?: Array<{ name: string; type: string; mode?: string }> } },
        ...unknown[],
      ];
      const fields = meta.schema?.fields ?? [];
      return fields.map((f, i) => ({
        name: f.name,
        type: f.mode === 'REPEATED' ? `ARRAY<${f.type}>` : f.type,
        index: i + 1,
      }));
    } catch (e) {
      const err = this.fail(e);
      if (/HTTP 404/.test(err.message)) return [];
      throw err;
    }
  }

  seedColumnType(kind: SeedColumnKind): string {
    return seedTypes[kind];
  }

  /** Multi-row INSERTs; each value cast to its column's type from a string literal. */
  async loadSeed(relation: Relation, seed: SeedTable, session: Session): Promise<void> {
    const cols = seed.columns.map((c) => this.quoteIdentifier(c.name)).join(', ');
    const types = seed.columns.map((c) => (c.type ?? this.seedColumnType(c.kind)).toUpperCase());
    const head = `insert into ${relation.render()} (${cols}) values\n`;
    let batch: string[] = [];
    let size = head.length;
    const flush = async () => {
      if (batch.length) await session.execute(head + batch.join(',\n'));
      batch = [];
      size = head.length;
    };
    const value = (v: string | null, i: number) =>
      v === null ? 'null' : types[i] === 'STRING' ? bigQueryString(v) : `cast(${bigQueryString(v)} as ${types[i]})`;
    for (const row of seed.rows) {
      const tuple = `(${row.map(value).join(', ')})`;
      if (size + tuple.length > SEED_BATCH_CHARS) await flush();
      batch.push(tuple);
      size += tuple.length + 2;
    }
    await flush();
  }
}
