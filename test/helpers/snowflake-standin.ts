/**
 * A local stand-in for Snowflake's REST protocol, for testing the adapter through the real
 * `snowflake-sdk`: node:http on 127.0.0.1 (port 0) answering the endpoints the driver uses
 * (login-request, query-request, telemetry, session delete), gzipped bodies included.
 *
 * It records every request, so tests check what kiln sends (SQL, login fields, query tags,
 * warehouses), and runs each statement on an in-memory DuckDB after translating Snowflake's
 * spellings kiln uses (transient, cluster by, copy grants, ...), so that results, errors and
 * whole project builds can be played back. Column names come back upper-cased, as Snowflake
 * folds unquoted identifiers. Tests can queue failures (`failNext`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  gzipped: boolean;
  body: unknown;
}

export interface RecordedStatement {
  sql: string;
  token: string;
  warehouse?: string;
  queryTag?: string;
}

export interface Failure {
  /** A statement matching this fails; once. */
  match: RegExp;
  /** A Snowflake error (success:false), or an HTTP status with no body. */
  code?: string;
  sqlState?: string;
  message?: string;
  httpStatus?: number;
}

interface SessionState {
  token: string;
  user: string;
  role?: string;
  warehouse?: string;
  database?: string;
  schema?: string;
  queryTag?: string;
  conn: DuckDBConnection;
}

export class SnowflakeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly statements: RecordedStatement[] = [];
  readonly sessions = new Map<string, SessionState>();
  private readonly failures: Failure[] = [];
  private server?: Server;
  private db?: DuckDBInstance;
  private readonly attached = new Set<string>();
  port = 0;

  constructor(readonly credentials: { user: string; password: string }) {}

  get host(): string {
    return '127.0.0.1';
  }

  async start(): Promise<void> {
    this.db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.conn.closeSync();
    this.sessions.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.db?.closeSync();
  }

  failNext(f: Failure): void {
    this.failures.push(f);
  }

  /** Runs SQL on the backing database directly, as a test's own check. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const c = await this.db!.connect();
    try {
      return (await c.runAndReadAll(translate(sql))).getRowObjectsJS() as Array<Record<string, unknown>>;
    } finally {
      c.closeSync();
    }
  }

  /** Statements sent by kiln, less the driver's and the adapter's session bookkeeping. */
  sql(): string[] {
    return this.statements.map((s) => s.sql);
  }

  private async ensureDatabase(c: DuckDBConnection, name: string | undefined): Promise<void> {
    if (!name || this.attached.has(name)) return;
    await c.run(`attach if not exists ':memory:' as "${name}"`);
    this.attached.add(name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    const gzipped = req.headers['content-encoding'] === 'gzip';
    if (gzipped) raw = gunzipSync(raw);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown = undefined;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, gzipped, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    try {
      if (url.pathname === '/session/v1/login-request') return send(200, await this.login(url, body as { data: Record<string, unknown> }));
      const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const session = this.sessions.get(token);
      if (url.pathname === '/telemetry/send') return send(200, { success: true, data: null });
      if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
        if (session) {
          session.conn.closeSync();
          this.sessions.delete(token);
        }
        return send(200, { success: true, data: null });
      }
      if (url.pathname === '/session/heartbeat') return send(200, { success: true, data: null });
      if (url.pathname === '/queries/v1/query-request') {
        if (!session) return send(200, { success: false, code: '390112', message: 'Your session has expired. Please login again.', data: null });
        const sqlText = String((body as { sqlText?: string }).sqlText ?? '');
        const failure = this.takeFailure(sqlText);
        if (failure?.httpStatus) {
          res.writeHead(failure.httpStatus);
          return void res.end();
        }
        if (failure) return send(200, sqlError(failure.code ?? '000603', failure.sqlState ?? 'XX000', failure.message ?? 'injected failure'));
        return send(200, await this.run(session, sqlText));
      }
      send(404, { success: false, code: '404', message: `no such endpoint ${url.pathname}` });
    } catch (e) {
      send(500, { success: false, message: (e as Error).message });
    }
  }

  private takeFailure(sql: string): Failure | undefined {
    const i = this.failures.findIndex((f) => f.match.test(sql));
    return i < 0 ? undefined : this.failures.splice(i, 1)[0];
  }

  private async login(url: URL, body: { data: Record<string, unknown> }): Promise<unknown> {
    const d = body?.data ?? {};
    const authenticator = String(d.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    const okPassword = d.LOGIN_NAME === this.credentials.user && d.PASSWORD === this.credentials.password;
    const okToken = authenticator === 'OAUTH' && d.TOKEN === this.credentials.password;
    if (!okPassword && !okToken) {
      return { success: false, code: '390100', message: 'Incorrect username or password was specified.', data: { nextAction: 'RETRY_LOGIN', authnMethod: authenticator } };
    }
    const token = `token-${randomUUID()}`;
    const conn = await this.db!.connect();
    const database = url.searchParams.get('databaseName') ?? undefined;
    await this.ensureDatabase(conn, database?.toUpperCase());
    const params = (d.SESSION_PARAMETERS ?? {}) as Record<string, unknown>;
    this.sessions.set(token, {
      token,
      user: String(d.LOGIN_NAME ?? ''),
      role: url.searchParams.get('roleName') ?? undefined,
      warehouse: url.searchParams.get('warehouse') ?? undefined,
      database,
      schema: url.searchParams.get('schemaName') ?? undefined,
      queryTag: params.QUERY_TAG === undefined ? undefined : String(params.QUERY_TAG),
      conn,
    });
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: `master-${token}`,
        sessionId: this.sessions.size,
        parameters: [{ name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 }],
        sessionInfo: { databaseName: database ?? null, schemaName: url.searchParams.get('schemaName'), warehouseName: url.searchParams.get('warehouse'), roleName: url.searchParams.get('roleName') },
      },
    };
  }

  private async run(s: SessionState, sqlText: string): Promise<unknown> {
    this.statements.push({ sql: sqlText, token: s.token, warehouse: s.warehouse, queryTag: s.queryTag });
    const trimmed = sqlText.trim().replace(/;$/, '');
    let m: RegExpExecArray | null;
    // Session commands the stand-in answers itself.
    if ((m = /^use warehouse\s+("?)(.+)\1$/i.exec(trimmed))) {
      s.warehouse = m[2]!.replace(/""/g, '"');
      return statusResult('Statement executed successfully.');
    }
    if ((m = /^alter session set query_tag\s*=\s*'((?:[^']|'')*)'$/i.exec(trimmed))) {
      s.queryTag = m[1]!.replace(/''/g, "'");
      return statusResult('Statement executed successfully.');
    }
    if (/^alter session unset query_tag$/i.test(trimmed)) {
      s.queryTag = undefined;
      return statusResult('Statement executed successfully.');
    }
    if (/^(begin|commit|rollback)( transaction)?$/i.test(trimmed)) return statusResult('Statement executed successfully.');
    if (/^select current_user\(\)/i.test(trimmed)) {
      return result(
        [
          { name: 'USR', type: 'text' },
          { name: 'ROLE', type: 'text' },
          { name: 'WAREHOUSE', type: 'text' },
          { name: 'VERSION', type: 'text' },
        ],
        [[s.user.toUpperCase(), s.role ?? 'PUBLIC', s.warehouse ?? null, '9.0.0-standin']],
      );
    }
    for (const db of sqlText.matchAll(/(?:^|[\s(,])("?)([A-Za-z_][A-Za-z0-9_$]*)\1\.information_schema\./gi)) await this.ensureDatabase(s.conn, db[2]!.toUpperCase());
    if ((m = /^create schema if not exists ("?)([A-Za-z_][A-Za-z0-9_$]*)\1\./i.exec(trimmed))) await this.ensureDatabase(s.conn, m[2]!.toUpperCase());
    try {
      const reader = await s.conn.runAndReadAll(translate(trimmed));
      return encode(reader.columnNames(), reader.columnTypes().map((t) => ({ id: t.typeId, text: t.toString() })), reader.getRows());
    } catch (e) {
      const msg = (e as Error).message;
      if (/does not exist|not found/i.test(msg)) return sqlError('002003', '42S02', `SQL compilation error:\n${msg}`);
      if (/Parser Error|syntax error/i.test(msg)) return sqlError('001003', '42000', `SQL compilation error:\n${msg}`);
      if (/Conversion Error|Could not convert/i.test(msg)) return sqlError('100038', '22018', msg);
      return sqlError('002043', '42601', `SQL compilation error:\n${msg}`);
    }
  }
}

/** Snowflake spellings kiln emits, in DuckDB's dialect. */
export function translate(sql: string): string {
  return sql
    .replace(/\bcreate or replace (transient |secure )?(table|view)\b/gi, 'create or replace $2')
    .replace(/\s+cluster by \((?:[^()]|\([^()]*\))*\)/gi, '')
    .replace(/\s+copy grants\b/gi, '')
    .replace(/\btimestamp_ntz\b/gi, 'timestamp')
    .replace(/convert_timezone\('UTC', current_timestamp\(\)\)/gi, 'current_timestamp')
    .replace(/(^|[\s(,])("?)[A-Za-z_][A-Za-z0-9_$]*\2\.(information_schema\.)/gi, '$1$3');
}

function sqlError(code: string, sqlState: string, message: string): unknown {
  return { success: false, code, message, data: { sqlState, queryId: randomUUID(), errorCode: code, type: 'COMPILATION' } };
}

function statusResult(status: string): unknown {
  return result([{ name: 'status', type: 'text' }], [[status]]);
}

interface RowType {
  name: string;
  type: string;
  scale?: number;
  precision?: number;
}

function result(rowtype: RowType[], rowset: Array<Array<string | null>>): unknown {
  return {
    success: true,
    code: null,
    message: null,
    data: {
      parameters: [],
      rowtype: rowtype.map((r) => ({ nullable: true, length: null, byteLength: null, precision: r.precision ?? null, scale: r.scale ?? null, ...r })),
      rowset,
      total: rowset.length,
      returned: rowset.length,
      queryId: randomUUID(),
      queryResultFormat: 'json',
    },
  };
}

/** DuckDB rows in Snowflake's JSON result encoding. */
function encode(names: string[], types: Array<{ id: DuckDBTypeId; text: string }>, rows: DuckDBValue[][]): unknown {
  const rowtype: RowType[] = names.map((n, i) => {
    const name = /^[a-z_][a-z0-9_$]*$/.test(n) ? n.toUpperCase() : n;
    const t = types[i]!;
    switch (t.id) {
      case DuckDBTypeId.TINYINT:
      case DuckDBTypeId.SMALLINT:
      case DuckDBTypeId.INTEGER:
      case DuckDBTypeId.BIGINT:
      case DuckDBTypeId.HUGEINT:
      case DuckDBTypeId.UTINYINT:
      case DuckDBTypeId.USMALLINT:
      case DuckDBTypeId.UINTEGER:
      case DuckDBTypeId.UBIGINT:
        return { name, type: 'fixed', scale: 0, precision: 38 };
      case DuckDBTypeId.DECIMAL: {
        const [, p, s] = /DECIMAL\((\d+),\s*(\d+)\)/i.exec(t.text) ?? [];
        return { name, type: 'fixed', precision: Number(p ?? 38), scale: Number(s ?? 0) };
      }
      case DuckDBTypeId.FLOAT:
      case DuckDBTypeId.DOUBLE:
        return { name, type: 'real' };
      case DuckDBTypeId.BOOLEAN:
        return { name, type: 'boolean' };
      case DuckDBTypeId.DATE:
        return { name, type: 'date' };
      case DuckDBTypeId.TIMESTAMP:
        return { name, type: 'timestamp_ntz', scale: 6 };
      default:
        return { name, type: 'text' };
    }
  });
  const rowset = rows.map((row) =>
    row.map((v, i) => {
      if (v === null || v === undefined || types[i]!.id === DuckDBTypeId.SQLNULL) return null;
      const type = rowtype[i]!.type;
      if (type === 'boolean') return v ? '1' : '0';
      if (type === 'date') return String((v as unknown as { days: number }).days);
      if (type === 'timestamp_ntz') {
        const micros = BigInt((v as unknown as { micros: bigint }).micros);
        const sec = micros / 1_000_000n - (micros < 0n && micros % 1_000_000n !== 0n ? 1n : 0n);
        const frac = micros - sec * 1_000_000n;
        return `${sec}.${frac.toString().padStart(6, '0')}`;
      }
      const text = String(v);
      // information_schema names of objects created unquoted come back as Snowflake stores them.
      return text;
    }),
  );
  // information_schema.columns: column names Snowflake would have upper-cased.
  const colIdx = rowtype.findIndex((r) => r.name === 'COLUMN_NAME');
  if (colIdx >= 0) for (const r of rowset) if (r[colIdx] && /^[a-z_][a-z0-9_$]*$/.test(r[colIdx]!)) r[colIdx] = r[colIdx]!.toUpperCase();
  return result(rowtype, rowset);
}
