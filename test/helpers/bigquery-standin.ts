/**
 * A local stand-in for BigQuery's REST API, for testing the adapter through the real
 * `@google-cloud/bigquery` client (pointed here with `apiEndpoint`): node:http on 127.0.0.1
 * (port 0) answering jobs.query, jobs.insert (dry runs and query jobs), jobs.get,
 * getQueryResults and tables.get.
 *
 * It records every request (SQL, labels, dry-run flags, bytes limits, the bearer token), and
 * runs each statement on an in-memory DuckDB after translating the GoogleSQL kiln emits
 * (backticks, partition/cluster/options clauses, INT64/FLOAT64/BOOL, backslash escapes), so
 * results, errors and whole builds play back. A dry run answers with a deterministic byte
 * count: 8 bytes per column per row of each table the query names. Tests can queue failures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface RecordedQuery {
  sql: string;
  api: 'jobs.query' | 'jobs.insert';
  dryRun: boolean;
  labels?: Record<string, string>;
  maximumBytesBilled?: string;
  location?: string;
  priority?: string;
}

export interface Failure {
  match: RegExp;
  status: number;
  reason: string;
  message: string;
}

interface Field {
  name: string;
  type: string;
  mode: string;
}

interface StoredResult {
  fields: Field[];
  rows: Array<{ f: Array<{ v: string | null }> }>;
}

export class BigQueryStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly queries: RecordedQuery[] = [];
  private readonly failures: Failure[] = [];
  private readonly results = new Map<string, StoredResult>();
  private server?: Server;
  private db?: DuckDBInstance;
  private conn?: DuckDBConnection;
  port = 0;

  constructor(readonly projectId: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    this.conn = await this.db.connect();
    await this.conn.run(`attach ':memory:' as "${this.projectId}"`);
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.conn?.closeSync();
    this.db?.closeSync();
  }

  failNext(f: Failure): void {
    this.failures.push(f);
  }

  /** Runs GoogleSQL on the backing database directly, as a test's own check. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    return (await this.conn!.runAndReadAll(translate(sql, this.projectId))).getRowObjectsJS() as Array<Record<string, unknown>>;
  }

  sql(): string[] {
    return this.queries.filter((q) => !q.dryRun).map((q) => q.sql);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const apiError = (status: number, reason: string, message: string) => send(status, { error: { code: status, message, errors: [{ reason, message, domain: 'global' }], status: reason } });
    const p = url.pathname.replace(/^\/bigquery\/v2/, '');
    let m: RegExpExecArray | null;
    try {
      if (req.headers.authorization !== 'Bearer standin-token') return apiError(401, 'authError', 'Request is missing required authentication credential.');
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/queries$/.exec(p))) {
        const q = { sql: String(body!.query), api: 'jobs.query' as const, dryRun: body!.dryRun === true, labels: body!.labels as Record<string, string> | undefined, maximumBytesBilled: body!.maximumBytesBilled as string | undefined, location: body!.location as string | undefined };
        this.queries.push(q);
        const failure = this.takeFailure(q.sql);
        if (failure) return apiError(failure.status, failure.reason, failure.message);
        const jobId = `job_${randomUUID().replace(/-/g, '')}`;
        if (q.dryRun) return send(200, { kind: 'bigquery#queryResponse', jobReference: { projectId: m[1], location: q.location }, jobComplete: true, totalBytesProcessed: String(await this.estimate(q.sql)), schema: { fields: [] } });
        const r = await this.run(q.sql);
        if ('error' in r) return apiError(r.status, r.reason, r.error);
        this.results.set(jobId, r);
        return send(200, { kind: 'bigquery#queryResponse', jobReference: { projectId: m[1], jobId, location: q.location ?? 'US' }, jobComplete: true, totalRows: String(r.rows.length), schema: { fields: r.fields }, rows: r.rows });
      }
      if (req.method === 'POST' && (m = /^\/projects\/([^/]+)\/jobs$/.exec(p))) {
        const config = body!.configuration as { query: { query: string; maximumBytesBilled?: string; priority?: string }; dryRun?: boolean; labels?: Record<string, string> };
        const ref = body!.jobReference as { jobId: string; location?: string };
        const q = { sql: config.query.query, api: 'jobs.insert' as const, dryRun: config.dryRun === true, labels: config.labels, maximumBytesBilled: config.query.maximumBytesBilled, location: ref.location, priority: config.query.priority };
        this.queries.push(q);
        const failure = this.takeFailure(q.sql);
        if (failure) return apiError(failure.status, failure.reason, failure.message);
        if (q.dryRun) {
          const check = await this.explain(q.sql);
          if (check) return apiError(400, 'invalidQuery', check);
          const bytes = String(await this.estimate(q.sql));
          return send(200, { kind: 'bigquery#job', jobReference: { projectId: m[1], location: ref.location }, configuration: body!.configuration, status: { state: 'DONE' }, statistics: { totalBytesProcessed: bytes, query: { totalBytesProcessed: bytes, totalBytesBilled: '0', statementType: /^\s*select|^\s*with/i.test(q.sql) ? 'SELECT' : 'SCRIPT' } } });
        }
        const r = await this.run(q.sql);
        if ('error' in r) return send(200, { kind: 'bigquery#job', jobReference: { projectId: m[1], jobId: ref.jobId, location: ref.location }, status: { state: 'DONE', errorResult: { reason: r.reason, message: r.error }, errors: [{ reason: r.reason, message: r.error }] } });
        this.results.set(ref.jobId, r);
        return send(200, { kind: 'bigquery#job', jobReference: { projectId: m[1], jobId: ref.jobId, location: ref.location }, configuration: body!.configuration, status: { state: 'DONE' }, statistics: { query: { totalBytesProcessed: '0' } } });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(p))) {
        return send(200, { kind: 'bigquery#job', jobReference: { projectId: m[1], jobId: m[2] }, status: { state: 'DONE' } });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(p))) {
        const r = this.results.get(m[2]!);
        if (!r) return apiError(404, 'notFound', `Not found: Job ${m[1]}:${m[2]}`);
        return send(200, { kind: 'bigquery#getQueryResultsResponse', jobReference: { projectId: m[1], jobId: m[2] }, jobComplete: true, totalRows: String(r.rows.length), schema: { fields: r.fields }, rows: r.rows });
      }
      if (req.method === 'GET' && (m = /^\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(p))) {
        const [project, dataset, table] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
        const cols = await this.conn!.runAndReadAll(
          `select column_name, data_type from information_schema.columns where table_catalog = '${project}' and table_schema = '${dataset.replace(/'/g, "''")}' and table_name = '${table.replace(/'/g, "''")}' order by ordinal_position`,
        );
        const rows = cols.getRowObjectsJS();
        if (!rows.length) return apiError(404, 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
        return send(200, { kind: 'bigquery#table', id: `${project}:${dataset}.${table}`, tableReference: { projectId: project, datasetId: dataset, tableId: table }, schema: { fields: rows.map((r) => ({ name: String(r.column_name), type: bigQueryType(String(r.data_type)), mode: 'NULLABLE' })) } });
      }
      apiError(404, 'notFound', `no such endpoint ${req.method} ${url.pathname}`);
    } catch (e) {
      apiError(500, 'backendError', (e as Error).message);
    }
  }

  private takeFailure(sql: string): Failure | undefined {
    const i = this.failures.findIndex((f) => f.match.test(sql));
    return i < 0 ? undefined : this.failures.splice(i, 1)[0];
  }

  private async run(sql: string): Promise<StoredResult | { error: string; status: number; reason: string }> {
    try {
      const reader = await this.conn!.runAndReadAll(translate(sql, this.projectId));
      return encode(reader.columnNames(), reader.columnTypes().map((t) => t.typeId), reader.getRows());
    } catch (e) {
      const msg = (e as Error).message;
      if (/does not exist|not found/i.test(msg)) return { error: `Not found: ${msg}`, status: 404, reason: 'notFound' };
      return { error: msg, status: 400, reason: 'invalidQuery' };
    }
  }

  /** A dry run validates the query: DuckDB's EXPLAIN plans it without running it. */
  private async explain(sql: string): Promise<string | undefined> {
    try {
      await this.conn!.run(`explain ${translate(sql, this.projectId)}`);
      return undefined;
    } catch (e) {
      return (e as Error).message;
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
        const rel = `"${m[1]}"."${m[2]}"."${m[3]}"`;
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

/** The GoogleSQL kiln emits, in DuckDB's dialect. */
export function translate(sql: string, projectId: string): string {
  let s = sql
    // DDL clauses DuckDB has no use for: partitioning, clustering, options.
    .replace(/^(\s*create or replace (?:table|view) `[^`]*`(?:\.`[^`]*`)*)[\s\S]*?\n?as \(/i, '$1 as (')
    .replace(/^(\s*create schema if not exists [^\n]*?)\s+options\([^)]*\)\s*$/i, '$1');
  // Tokens: backtick identifiers become double-quoted; backslash-escaped strings become ''-escaped.
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '`' || ch === "'") {
      let j = i + 1;
      let value = '';
      while (j < s.length && s[j] !== ch) {
        if (s[j] === '\\' && j + 1 < s.length) {
          const nx = s[j + 1]!;
          value += nx === 'n' ? '\n' : nx === 'r' ? '\r' : nx === 't' ? '\t' : nx;
          j += 2;
        } else value += s[j++];
      }
      out += ch === '`' ? `"${value.replace(/"/g, '""')}"` : `'${value.replace(/'/g, "''")}'`;
      i = j;
    } else out += ch;
  }
  s = out
    .replace(/"([^"]+)"\."([^"]+)"\.INFORMATION_SCHEMA\.TABLES/g, (_, p: string, d: string) => `(select * from information_schema.tables where table_catalog = '${p}' and table_schema = '${d}')`)
    .replace(/\bINT64\b/gi, 'BIGINT')
    .replace(/\bFLOAT64\b/gi, 'DOUBLE')
    .replace(/\bBOOL\b/gi, 'BOOLEAN')
    .replace(/\bDATETIME\b(?!_)/gi, 'TIMESTAMP');
  void projectId;
  return s;
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
    const type =
      [DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.UINTEGER].includes(id)
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
