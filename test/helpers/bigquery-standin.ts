/**
 * A local stand-in for BigQuery's REST API, for testing the adapter through the real
 * `@google-cloud/bigquery` client (pointed here with `apiEndpoint`): node:http on 127.0.0.1
 * (port 0) answering jobs.query, jobs.insert (dry runs and query jobs), jobs.get,
 * getQueryResults, datasets.get and tables.get.
 *
 * It records every request (SQL, labels, dry-run flags, bytes limits, the bearer token), requires
 * an access token it issued (or the fixed `standin-token`) on every API call, answers Google's
 * OAuth token endpoint for service-account keys at /token (see exchange()), and
 * runs each statement on an in-memory DuckDB after translating the GoogleSQL kiln emits
 * (backticks, partition/cluster/options clauses, INT64/FLOAT64/BOOL, backslash escapes), so
 * results, errors and whole builds play back. A dry run answers with a deterministic byte
 * count: 8 bytes per column per row of each table the query names. Tests can queue failures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, verify } from 'node:crypto';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { FaultQueue, type QueuedFault } from './fault-queue.js';
import { dottedPathAt, type PathPart } from './sql-paths.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
  query?: URLSearchParams;
}

export interface RecordedQuery {
  sql: string;
  api: 'jobs.query' | 'jobs.insert';
  dryRun: boolean;
  labels?: Record<string, string>;
  maximumBytesBilled?: string;
  location?: string;
  priority?: string;
  jobId?: string;
  /** The job's state, or how it ended: `cancelled` for jobs.cancel. */
  state: 'PENDING' | 'RUNNING' | 'DONE' | 'failed' | 'cancelled';
  startedAt: number;
  endedAt?: number;
}

export interface Failure extends QueuedFault {
  /** An HTTP error answering jobs.insert / jobs.query (with `afterRun`, after the job ran). */
  status?: number;
  reason?: string;
  message?: string;
  /** The job runs this long (unless cancelled) before it does its work. */
  delayMs?: number;
  /** The job is created and runs; then its insert is answered with `status`, or not at all (the connection drops). */
  afterRun?: boolean;
  /** The job runs and ends with this error (a failed job, not a failed request). */
  jobError?: { reason: string; message: string };
}

interface Field {
  name: string;
  type: string;
  mode: string;
}

interface StoredResult {
  fields: Field[];
  rows: Array<{ f: Array<{ v: string | null }> }>;
  /** Rows changed by DML. */
  affected?: number;
}

type JobOutcome = StoredResult | { error: string; status: number; reason: string };

/** An assertion the token endpoint accepted: its claims and the token it answered. */
export interface Login {
  iss: string;
  scope: string;
  aud: string;
  iat: number;
  exp: number;
  accessToken: string;
}

interface Job {
  id: string;
  project: string;
  location: string;
  record: RecordedQuery;
  configuration: unknown;
  done: Promise<JobOutcome>;
  outcome?: JobOutcome;
  cancel(): void;
}

/**
 * The stand-in's model of BigQuery: a job is PENDING when jobs.insert answers, RUNNING once
 * it starts, DONE when it ends (the client polls getQueryResults, which waits up to its
 * timeoutMs); jobs.insert with a job id that exists is refused with 409; jobs.cancel stops a
 * running job (it ends DONE with reason `stopped`). Results are paged (maxResults, pageToken;
 * `pageRows` at most) and always carry the schema, also with no rows. A script (statements
 * separated by `;`) may hold `BEGIN TRANSACTION` ... `COMMIT TRANSACTION`: its statements then
 * run in one DuckDB transaction, rolled back whole if one fails, and DDL on permanent tables
 * inside it is refused, as BigQuery refuses it.
 */
export class BigQueryStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly queries: RecordedQuery[] = [];
  private readonly failures = new FaultQueue<Failure>();
  private readonly jobs = new Map<string, Job>();
  private server?: Server;
  private db?: DuckDBInstance;
  private conn?: DuckDBConnection;
  port = 0;
  /** Most rows in one page of results. */
  pageRows = 10_000;
  /** Service accounts the token endpoint knows: email to the public half of its key (PEM). */
  private readonly serviceAccounts = new Map<string, string>();
  /** Access tokens the API accepts, with when each expires (ms since the epoch). */
  private readonly tokens = new Map<string, number>([['standin-token', Infinity]]);
  /** Assertions exchanged at the token endpoint. */
  readonly logins: Login[] = [];
  /** How long an access token it issues lasts, as Google's: an hour. */
  tokenLifetimeSeconds = 3599;

  constructor(readonly projectId: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The token endpoint's address: the `token_uri` of a key for this stand-in. */
  get tokenUri(): string {
    return `${this.endpoint}/token`;
  }

  /** A service account the token endpoint verifies assertions of, with its key's public half. */
  addServiceAccount(email: string, publicKeyPem: string): void {
    this.serviceAccounts.set(email, publicKeyPem);
  }

  /** Every access token issued so far expires now, as an hour later on BigQuery. */
  expireTokens(): void {
    for (const token of this.tokens.keys()) if (token !== 'standin-token') this.tokens.set(token, 0);
  }

  async start(): Promise<void> {
    this.db = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    this.conn = await this.db.connect();
    await this.conn.run(`attach ':memory:' as "${this.projectId}"`);
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const j of this.jobs.values()) j.cancel();
    await Promise.all([...this.jobs.values()].map((j) => j.done.catch(() => undefined)));
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.conn?.closeSync();
    this.db?.closeSync();
  }

  failNext(f: Failure): void {
    this.failures.add(f);
  }

  /** The next statement matching `match` fails where it stands, inside its script (after the statements before it ran). */
  failStatement(f: { match: RegExp; reason?: string; message?: string }): void {
    this.statementFailures.push(f);
  }
  private readonly statementFailures: Array<{ match: RegExp; reason?: string; message?: string }> = [];

  /** Runs GoogleSQL on the backing database directly, as a test's own check. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    return (await this.conn!.runAndReadAll(await this.inDuckDB(this.conn!, sql))).getRowObjectsJS();
  }

  /** GoogleSQL translated, with the datasets that exist now (a `dataset.table` path names a table only in one of them). */
  private async inDuckDB(conn: DuckDBConnection, sql: string): Promise<string> {
    const rows = (
      await conn.runAndReadAll(
        `select schema_name from information_schema.schemata where catalog_name = '${this.projectId}'`,
      )
    ).getRowObjectsJS();
    const datasets = new Set(rows.map((r) => String(r.schema_name)));
    return translate(sql, this.projectId, (name) => datasets.has(storedName(name)));
  }

  sql(): string[] {
    return this.queries.filter((q) => !q.dryRun).map((q) => q.sql);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/token') return this.exchange(req, text, res);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      headers: req.headers,
      body,
      query: url.searchParams,
    });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const apiError = (status: number, reason: string, message: string, statusName = reason) =>
      send(status, {
        error: { code: status, message, errors: [{ reason, message, domain: 'global' }], status: statusName },
      });
    const p = url.pathname.replace(/^\/bigquery\/v2/, '');
    let m: RegExpExecArray | null;
    try {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer)
        return apiError(
          401,
          'required',
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          'UNAUTHENTICATED',
        );
      if (!((this.tokens.get(bearer) ?? 0) > Date.now())) {
        res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
        return apiError(
          401,
          'authError',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          'UNAUTHENTICATED',
        );
      }
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/queries$/.exec(p))) {
        const q: RecordedQuery = {
          sql: String(body!.query),
          api: 'jobs.query',
          dryRun: body!.dryRun === true,
          labels: body!.labels as Record<string, string> | undefined,
          maximumBytesBilled: body!.maximumBytesBilled as string | undefined,
          location: body!.location as string | undefined,
          state: 'PENDING',
          startedAt: Date.now(),
        };
        this.queries.push(q);
        const failure = this.failures.take(q.sql);
        if (failure?.status && !failure.afterRun)
          return apiError(failure.status, failure.reason ?? 'backendError', failure.message ?? 'injected failure');
        if (q.dryRun) {
          q.state = 'DONE';
          return send(200, {
            kind: 'bigquery#queryResponse',
            jobReference: { projectId: m[1], location: q.location },
            jobComplete: true,
            totalBytesProcessed: String(await this.estimate(q.sql)),
            schema: { fields: [] },
          });
        }
        const job = this.startJob(m[1]!, `job_${randomUUID().replace(/-/g, '')}`, q.location ?? 'US', q, body, failure);
        const outcome = await job.done;
        if ('error' in outcome) return apiError(outcome.status, outcome.reason, outcome.error);
        return send(200, {
          kind: 'bigquery#queryResponse',
          jobReference: { projectId: m[1], jobId: job.id, location: job.location },
          jobComplete: true,
          ...this.page(outcome, new URLSearchParams()),
        });
      }
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs$/.exec(p))) {
        const config = body!.configuration as {
          query: { query: string; maximumBytesBilled?: string; priority?: string };
          dryRun?: boolean;
          labels?: Record<string, string>;
        };
        const ref = body!.jobReference as { jobId: string; location?: string };
        if (this.jobs.has(ref.jobId))
          return apiError(409, 'duplicate', `Already Exists: Job ${m[1]}:${ref.location ?? 'US'}.${ref.jobId}`);
        const q: RecordedQuery = {
          sql: config.query.query,
          api: 'jobs.insert',
          dryRun: config.dryRun === true,
          labels: config.labels,
          maximumBytesBilled: config.query.maximumBytesBilled,
          location: ref.location,
          priority: config.query.priority,
          jobId: ref.jobId,
          state: 'PENDING',
          startedAt: Date.now(),
        };
        this.queries.push(q);
        const failure = this.failures.take(q.sql);
        if (failure?.status && !failure.afterRun)
          return apiError(failure.status, failure.reason ?? 'backendError', failure.message ?? 'injected failure');
        if (q.dryRun) {
          q.state = 'DONE';
          const check = await this.explain(q.sql);
          if (check) return apiError(400, 'invalidQuery', check);
          const bytes = String(await this.estimate(q.sql));
          return send(200, {
            kind: 'bigquery#job',
            jobReference: { projectId: m[1], location: ref.location },
            configuration: body!.configuration,
            status: { state: 'DONE' },
            statistics: {
              totalBytesProcessed: bytes,
              query: {
                totalBytesProcessed: bytes,
                totalBytesBilled: '0',
                statementType: /^\s*select|^\s*with/i.test(q.sql) ? 'SELECT' : 'SCRIPT',
              },
            },
          });
        }
        const job = this.startJob(m[1]!, ref.jobId, ref.location ?? 'US', q, body!.configuration, failure);
        if (failure?.afterRun) {
          await job.done;
          if (failure.status)
            return apiError(failure.status, failure.reason ?? 'backendError', failure.message ?? 'injected failure');
          return void res.destroy();
        }
        return send(200, this.jobResource(job, 'PENDING'));
      }
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)\/cancel$/.exec(p))) {
        const job = this.jobs.get(decodeURIComponent(m[2]!));
        if (!job) return apiError(404, 'notFound', `Not found: Job ${m[1]}:${m[2]}`);
        job.cancel();
        return send(200, { kind: 'bigquery#jobCancelResponse', job: this.jobResource(job) });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(p))) {
        const job = this.jobs.get(decodeURIComponent(m[2]!));
        if (!job) return apiError(404, 'notFound', `Not found: Job ${m[1]}:${m[2]}`);
        return send(200, this.jobResource(job));
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(p))) {
        const job = this.jobs.get(decodeURIComponent(m[2]!));
        if (!job) return apiError(404, 'notFound', `Not found: Job ${m[1]}:${m[2]}`);
        // Waits for the job up to timeoutMs (BigQuery's default: 10 s), as the service does.
        const wait = Math.min(Number(url.searchParams.get('timeoutMs') ?? 10_000), 10_000);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([job.done, new Promise((r) => (timer = setTimeout(r, wait)))]);
        clearTimeout(timer);
        const outcome = job.outcome;
        if (!outcome)
          return send(200, {
            kind: 'bigquery#getQueryResultsResponse',
            jobReference: { projectId: m[1], jobId: job.id, location: job.location },
            jobComplete: false,
          });
        if ('error' in outcome) return apiError(outcome.status, outcome.reason, outcome.error);
        return send(200, {
          kind: 'bigquery#getQueryResultsResponse',
          jobReference: { projectId: m[1], jobId: job.id, location: job.location },
          jobComplete: true,
          ...this.page(outcome, url.searchParams),
        });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)$/.exec(p))) {
        const [project, dataset] = [m[1]!, m[2]!].map(decodeURIComponent) as [string, string];
        const found = await this.conn!.runAndReadAll(
          `select 1 from information_schema.schemata where catalog_name = '${project.replace(/'/g, "''")}' and schema_name = '${storedName(dataset).replace(/'/g, "''")}'`,
        );
        if (!found.currentRowCount) return apiError(404, 'notFound', `Not found: Dataset ${project}:${dataset}`);
        return send(200, {
          kind: 'bigquery#dataset',
          id: `${project}:${dataset}`,
          datasetReference: { projectId: project, datasetId: dataset },
          location: 'US',
        });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(p))) {
        const [project, dataset, table] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
        const cols = await this.conn!.runAndReadAll(
          `select column_name, data_type from information_schema.columns where table_catalog = '${project}' and table_schema = '${storedName(dataset).replace(/'/g, "''")}' and table_name = '${storedName(table).replace(/'/g, "''")}' order by ordinal_position`,
        );
        const rows = cols.getRowObjectsJS();
        if (!rows.length) return apiError(404, 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
        return send(200, {
          kind: 'bigquery#table',
          id: `${project}:${dataset}.${table}`,
          tableReference: { projectId: project, datasetId: dataset, tableId: table },
          schema: {
            fields: rows.map((r) => ({
              name: String(r.column_name),
              type: bigQueryType(String(r.data_type)),
              mode: 'NULLABLE',
            })),
          },
        });
      }
      apiError(404, 'notFound', `no such endpoint ${req.method} ${url.pathname}`);
    } catch (e) {
      apiError(500, 'backendError', (e as Error).message);
    }
  }

  /**
   * Google's OAuth token endpoint for service accounts (RFC 7523): the form carries a JWT the
   * account signed with RS256; its signature is checked against the registered public key and
   * its claims as Google checks them (iss a known account, aud this endpoint, a scope, iat and
   * exp at most an hour apart around now). Refusals are Google's `invalid_grant` answers.
   */
  private exchange(req: IncomingMessage, text: string, res: ServerResponse): void {
    const form = new URLSearchParams(text);
    this.requests.push({
      method: 'POST',
      path: '/token',
      headers: req.headers,
      body: Object.fromEntries(form),
      query: new URLSearchParams(),
    });
    const answer = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    };
    const refuse = (error: string, description: string) => answer(400, { error, error_description: description });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return refuse('unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('invalid_request', 'Invalid JWT: the assertion is not a signed JWT.');
    const [head, body, signature] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return refuse('invalid_request', 'Invalid JWT: the header or claims are not JSON.');
    }
    const publicKey = this.serviceAccounts.get(String(claims.iss));
    if (!publicKey) return refuse('invalid_grant', 'Invalid grant: account not found');
    if (
      header.alg !== 'RS256' ||
      !verify('RSA-SHA256', Buffer.from(`${head}.${body}`), publicKey, Buffer.from(signature, 'base64url'))
    )
      return refuse('invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== this.tokenUri)
      return refuse('invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${this.tokenUri}`);
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600))
      return refuse(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    const scopes = String(claims.scope ?? '').split(' ');
    if (
      !scopes.some(
        (s) =>
          s === 'https://www.googleapis.com/auth/bigquery' || s === 'https://www.googleapis.com/auth/cloud-platform',
      )
    )
      return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const accessToken = `ya29.standin-${randomUUID()}`;
    this.tokens.set(accessToken, Date.now() + this.tokenLifetimeSeconds * 1000);
    this.logins.push({
      iss: String(claims.iss),
      scope: String(claims.scope),
      aud: String(claims.aud),
      iat,
      exp,
      accessToken,
    });
    answer(200, { access_token: accessToken, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' });
  }

  private jobResource(job: Job, state = job.record.state): unknown {
    const status: Record<string, unknown> = { state: state === 'failed' || state === 'cancelled' ? 'DONE' : state };
    const outcome = job.outcome;
    if (state !== 'PENDING' && outcome && 'error' in outcome) {
      status.errorResult = { reason: outcome.reason, message: outcome.error };
      status.errors = [{ reason: outcome.reason, message: outcome.error }];
    }
    const dml =
      outcome && !('error' in outcome) && outcome.affected !== undefined
        ? { numDmlAffectedRows: String(outcome.affected) }
        : {};
    return {
      kind: 'bigquery#job',
      id: `${job.project}:${job.location}.${job.id}`,
      jobReference: { projectId: job.project, jobId: job.id, location: job.location },
      configuration: job.configuration,
      status,
      statistics: { creationTime: String(job.record.startedAt), query: { totalBytesProcessed: '0', ...dml } },
    };
  }

  /** Starts a job: PENDING now, RUNNING on the next turn, DONE when its statements end. */
  private startJob(
    project: string,
    id: string,
    location: string,
    record: RecordedQuery,
    configuration: unknown,
    failure: Failure | undefined,
  ): Job {
    let cancelled = false;
    let wake: (() => void) | undefined;
    let conn: DuckDBConnection | undefined;
    const job: Job = {
      id,
      project,
      location,
      record,
      configuration,
      done: undefined as unknown as Promise<JobOutcome>,
      cancel: () => {
        if (job.outcome || cancelled) return;
        cancelled = true;
        wake?.();
        conn?.interrupt();
      },
    };
    const stopped = (): JobOutcome => ({
      error: 'Job execution was cancelled: User requested cancellation',
      status: 400,
      reason: 'stopped',
    });
    const work = async (): Promise<JobOutcome> => {
      await new Promise((r) => setImmediate(r));
      record.state = 'RUNNING';
      if (failure?.delayMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, failure.delayMs);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
      if (cancelled) return stopped();
      if (failure?.jobError) return { error: failure.jobError.message, status: 400, reason: failure.jobError.reason };
      conn = await this.db!.connect();
      // `dataset.table` names a table of the job's project, as on BigQuery.
      await conn.run(`use "${project}"`);
      try {
        const outcome = await this.runScript(conn, record.sql);
        return cancelled ? stopped() : outcome;
      } finally {
        conn.closeSync();
      }
    };
    job.done = work().then((outcome) => {
      job.outcome = outcome;
      record.state = cancelled ? 'cancelled' : 'error' in outcome ? 'failed' : 'DONE';
      record.endedAt = Date.now();
      return outcome;
    });
    this.jobs.set(id, job);
    return job;
  }

  /**
   * Runs a job's statements on a connection of its own. Inside BEGIN TRANSACTION ... COMMIT
   * TRANSACTION they form one transaction; any failure rolls it back and ends the script.
   */
  private async runScript(conn: DuckDBConnection, sql: string): Promise<JobOutcome> {
    const statements = splitScript(sql);
    let inTransaction = false;
    let last: JobOutcome = { fields: [], rows: [] };
    for (const statement of statements) {
      if (/^begin(\s+transaction)?$/i.test(statement)) {
        await conn.run('begin transaction');
        inTransaction = true;
        continue;
      }
      if (/^(commit|rollback)(\s+transaction)?$/i.test(statement)) {
        await conn.run(/^commit/i.test(statement) ? 'commit' : 'rollback');
        inTransaction = false;
        continue;
      }
      if (inTransaction && /^(create|drop|alter)\s+(?!temp)/i.test(statement)) {
        await conn.run('rollback');
        return {
          error: `Query error: ${statement.split(/\s+/).slice(0, 2).join(' ').toUpperCase()} on a permanent table is not supported inside a transaction`,
          status: 400,
          reason: 'invalidQuery',
        };
      }
      const injected = this.statementFailures.findIndex((f) => f.match.test(statement));
      last =
        injected >= 0
          ? ((f) => ({ error: f!.message ?? 'injected failure', status: 400, reason: f!.reason ?? 'invalidQuery' }))(
              this.statementFailures.splice(injected, 1)[0],
            )
          : await this.run(conn, statement);
      if ('error' in last) {
        if (inTransaction) await conn.run('rollback').catch(() => undefined);
        return last;
      }
    }
    // A transaction the script left open is rolled back, as BigQuery does.
    if (inTransaction) await conn.run('rollback');
    return last;
  }

  /** One page of a result: `maxResults` rows (at most pageRows) from `pageToken`. */
  private page(r: StoredResult, params: URLSearchParams): Record<string, unknown> {
    const from = Number(params.get('pageToken') ?? params.get('startIndex') ?? 0);
    const size = Math.min(Number(params.get('maxResults') ?? this.pageRows), this.pageRows);
    const rows = r.rows.slice(from, from + size);
    const next = from + size < r.rows.length ? String(from + size) : undefined;
    return {
      totalRows: String(r.rows.length),
      schema: { fields: r.fields },
      ...(rows.length ? { rows } : {}),
      ...(next ? { pageToken: next } : {}),
      ...(r.affected !== undefined ? { numDmlAffectedRows: String(r.affected) } : {}),
    };
  }

  private async run(conn: DuckDBConnection, sql: string): Promise<JobOutcome> {
    try {
      const reader = await conn.runAndReadAll(await this.inDuckDB(conn, sql));
      const result = encode(
        reader.columnNames(),
        reader.columnTypes().map((t) => t.typeId),
        reader.getRows(),
      );
      return /information_schema/i.test(sql) ? withBigQueryNames(result) : result;
    } catch (e) {
      const msg = bigQueryName((e as Error).message);
      if (/INTERRUPT/i.test(msg))
        return { error: 'Job execution was cancelled: User requested cancellation', status: 400, reason: 'stopped' };
      if (/does not exist|not found/i.test(msg)) return { error: `Not found: ${msg}`, status: 404, reason: 'notFound' };
      return { error: msg, status: 400, reason: 'invalidQuery' };
    }
  }

  /** A dry run validates the query: DuckDB's EXPLAIN plans it without running it. */
  private async explain(sql: string): Promise<string | undefined> {
    try {
      await this.conn!.run(`explain ${await this.inDuckDB(this.conn!, sql)}`);
      return undefined;
    } catch (e) {
      return bigQueryName((e as Error).message);
    }
  }

  /** 8 bytes per column per row of each table the query names. */
  async estimate(sql: string): Promise<number> {
    let bytes = 0;
    const seen = new Set<string>();
    for (const m of sql.matchAll(/`([^`]+)`\.`([^`]+)`\.`([^`]+)`/g)) {
      const key = `${m[1]}.${m[2]}.${m[3]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        const rel = `"${m[1]}"."${storedName(m[2]!)}"."${storedName(m[3]!)}"`;
        const n = Number((await this.conn!.runAndReadAll(`select count(*) as n from ${rel}`)).getRowObjectsJS()[0]!.n);
        const cols = (await this.conn!.runAndReadAll(`select * from ${rel} limit 0`)).columnCount;
        bytes += n * cols * 8;
      } catch {
        // a relation the query creates, not reads
      }
    }
    return bytes;
  }
}

/** A script's statements: split at semicolons outside quotes and comments. */
function splitScript(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      for (i++; i < sql.length && sql[i] !== ch; i++) if (sql[i] === '\\') i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (ch === ';') {
      out.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

/**
 * BigQuery's dataset and table names are case-sensitive (column names are not); DuckDB's are
 * not. The stand-in stores each dataset and table with every capital letter written `^` and
 * its lower case (a `^` doubled), so `Orders` and `orders` are two tables and the wrong case
 * names none. bigQueryName() reads a stored name back.
 */
export function storedName(name: string): string {
  return name.replace(/\^/g, '^^').replace(/\p{Lu}/gu, (c) => `^${c.toLowerCase()}`);
}

export function bigQueryName(stored: string): string {
  return stored.replace(/\^(\^|\p{Ll})/gu, (_, c: string) => (c === '^' ? '^' : c.toUpperCase()));
}

/** A backticked (with backslash escapes) or bare identifier starting at `i`. */
function identifierAt(s: string, i: number): PathPart | undefined {
  if (s[i] === '`') {
    let value = '';
    let j = i + 1;
    while (j < s.length && s[j] !== '`') {
      if (s[j] === '\\' && j + 1 < s.length) {
        const nx = s[j + 1]!;
        value += nx === 'n' ? '\n' : nx === 'r' ? '\r' : nx === 't' ? '\t' : nx;
        j += 2;
      } else value += s[j++];
    }
    return { value, quoted: true, end: j + 1 };
  }
  const bare = /^[A-Za-z_]\w*/.exec(s.slice(i, i + 300));
  return bare ? { value: bare[0], quoted: false, end: i + bare[0].length } : undefined;
}

/**
 * Which parts of a dotted path name a dataset or a table, to be stored case-sensitively:
 * `project`.`dataset`.`table` and `project`.`dataset`, `dataset`.`table` for a dataset that
 * exists, and the new name after `rename to`. INFORMATION_SCHEMA and what follows it are views.
 */
function caseSensitiveParts(
  parts: PathPart[],
  projectId: string,
  isDataset: (name: string) => boolean,
  renameTarget: boolean,
): Set<number> {
  const at = new Set<number>();
  const from =
    parts.length >= 2 && parts[0]!.value === projectId
      ? 1
      : parts.length >= 2 && isDataset(parts[0]!.value)
        ? 0
        : renameTarget && parts.length === 1
          ? 0
          : -1;
  if (from < 0) return at;
  for (let k = from; k < Math.min(parts.length, from + 2); k++) {
    if (/^information_schema$/i.test(parts[k]!.value)) break;
    at.add(k);
  }
  return at;
}

/** The GoogleSQL kiln emits, in DuckDB's dialect. */
export function translate(sql: string, projectId: string, isDataset: (name: string) => boolean = () => false): string {
  const s = sql
    // DDL clauses DuckDB has no use for: partitioning, clustering, options.
    .replace(/^(\s*create or replace (?:table|view) `[^`]*`(?:\.`[^`]*`)*)[\s\S]*?\n?as \(/i, '$1 as (')
    .replace(/^(\s*create schema if not exists [^\n]*?)\s+options\([^)]*\)\s*$/i, '$1');
  // Tokens: backslash-escaped strings become ''-escaped; dotted paths of backticked or bare
  // identifiers become double-quoted where they were backticked or name a dataset or table.
  let out = '';
  for (let i = 0; i < s.length;) {
    const ch = s[i]!;
    if (ch === "'") {
      let j = i + 1;
      let value = '';
      while (j < s.length && s[j] !== ch) {
        if (s[j] === '\\' && j + 1 < s.length) {
          const nx = s[j + 1]!;
          value += nx === 'n' ? '\n' : nx === 'r' ? '\r' : nx === 't' ? '\t' : nx;
          j += 2;
        } else value += s[j++];
      }
      out += `'${value.replace(/'/g, "''")}'`;
      i = j + 1;
      continue;
    }
    const startsWord = ch === '`' || (/[A-Za-z_]/.test(ch) && !/[\w$."]/.test(s[i - 1] ?? ''));
    if (!startsWord) {
      out += ch;
      i++;
      continue;
    }
    const { parts, end: j } = dottedPathAt(s, i, identifierAt);
    const stored = caseSensitiveParts(parts, projectId, isDataset, /\brename\s+to\s*$/i.test(out));
    out += parts
      .map((p, k) =>
        stored.has(k)
          ? `"${storedName(p.value).replace(/"/g, '""')}"`
          : p.quoted
            ? `"${p.value.replace(/"/g, '""')}"`
            : p.value,
      )
      .join('.');
    i = j;
  }
  return out
    .replace(
      /"([^"]+)"\."([^"]+)"\.INFORMATION_SCHEMA\.TABLES/g,
      (_, p: string, d: string) =>
        `(select * from information_schema.tables where table_catalog = '${p}' and table_schema = '${d}')`,
    )
    .replace(/\bcurrent_timestamp\(\)/gi, 'current_timestamp')
    .replace(/\b(?:date|datetime|timestamp)_trunc\(([^,()]+),\s*(\w+)\)/gi, "date_trunc('$2', $1)")
    .replace(/\bINT64\b/gi, 'BIGINT')
    .replace(/\bFLOAT64\b/gi, 'DOUBLE')
    .replace(/\bBOOL\b/gi, 'BOOLEAN')
    .replace(/\bDATETIME\b(?!_)/gi, 'TIMESTAMP');
}

/** INFORMATION_SCHEMA answers with datasets' and tables' names as BigQuery spells them. */
function withBigQueryNames(result: StoredResult): StoredResult {
  const names = new Set(
    result.fields.flatMap((f, i) =>
      ['table_name', 'table_schema', 'schema_name'].includes(f.name.toLowerCase()) ? [i] : [],
    ),
  );
  if (!names.size) return result;
  return {
    ...result,
    rows: result.rows.map((r) => ({
      f: r.f.map((cell, i) => (names.has(i) && cell.v !== null ? { v: bigQueryName(cell.v) } : cell)),
    })),
  };
}

function bigQueryType(duck: string): string {
  const t = duck.toUpperCase();
  if (/INT/.test(t)) return 'INTEGER';
  if (/DOUBLE|FLOAT|REAL/.test(t)) return 'FLOAT';
  if (/DECIMAL|NUMERIC/.test(t)) return 'NUMERIC';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'DATE') return 'DATE';
  if (t.startsWith('TIMESTAMP WITH')) return 'TIMESTAMP';
  if (t.startsWith('TIMESTAMP')) return 'DATETIME';
  return 'STRING';
}

function encode(names: string[], types: DuckDBTypeId[], rows: DuckDBValue[][]): StoredResult {
  const fields: Field[] = names.map((name, i) => {
    const id = types[i]!;
    const type = [
      DuckDBTypeId.TINYINT,
      DuckDBTypeId.SMALLINT,
      DuckDBTypeId.INTEGER,
      DuckDBTypeId.BIGINT,
      DuckDBTypeId.HUGEINT,
      DuckDBTypeId.UBIGINT,
      DuckDBTypeId.UINTEGER,
    ].includes(id)
      ? 'INTEGER'
      : id === DuckDBTypeId.DOUBLE || id === DuckDBTypeId.FLOAT
        ? 'FLOAT'
        : id === DuckDBTypeId.DECIMAL
          ? 'NUMERIC'
          : id === DuckDBTypeId.BOOLEAN
            ? 'BOOLEAN'
            : id === DuckDBTypeId.DATE
              ? 'DATE'
              : id === DuckDBTypeId.TIMESTAMP
                ? 'DATETIME'
                : id === DuckDBTypeId.TIMESTAMP_TZ
                  ? 'TIMESTAMP'
                  : 'STRING';
    return { name, type, mode: 'NULLABLE' };
  });
  return {
    fields,
    rows: rows.map((row) => ({
      f: row.map((v, i) => {
        if (v === null || v === undefined || types[i] === DuckDBTypeId.SQLNULL) return { v: null };
        const type = fields[i]!.type;
        if (type === 'BOOLEAN') return { v: v ? 'true' : 'false' };
        if (type === 'DATETIME') return { v: String(v).replace(' ', 'T') };
        if (type === 'TIMESTAMP') return { v: String((v as unknown as { micros: bigint }).micros) };
        return { v: String(v) };
      }),
    })),
  };
}
