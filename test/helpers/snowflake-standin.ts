/**
 * A local stand-in for Snowflake's REST protocol, for testing the adapter through the real
 * `snowflake-sdk`: node:http on 127.0.0.1 (port 0) answering the endpoints the driver uses
 * (login-request, query-request, telemetry, session delete), gzipped bodies included.
 *
 * It records every request, so tests check what kiln sends (SQL, login fields, query tags,
 * warehouses), and runs each statement on an in-memory DuckDB after translating Snowflake's
 * spellings kiln uses (transient, cluster by, copy grants, ...), so that results, errors and
 * whole project builds can be played back. Column names come back upper-cased, as Snowflake
 * folds unquoted identifiers.
 *
 * Schema and table names are case-sensitive, as on Snowflake: an unquoted name is its upper
 * case, a quoted one is exactly as written, so `"Order Items"` and `"ORDER ITEMS"` are two
 * tables and `order_items` names ORDER_ITEMS only. DuckDB ignores case, so the stand-in
 * stores each schema and table name with every lower-case letter written `^` and the letter
 * (a `^` doubled); information_schema answers with the names as Snowflake spells them.
 * (Database names are attached upper-cased; column names keep DuckDB's rules.)
 *
 * What Snowflake documents, modelled: each session has its own DuckDB connection, so
 * `begin` ... `commit`/`rollback` are real transactions, and a DDL statement commits the
 * open transaction before it runs (it is its own transaction, as on Snowflake). A statement
 * still running after `answerWithinMs` is answered "in progress" (code 333333) and the
 * driver polls its result URL; `/queries/<id>/abort-request` (what the driver's
 * statement.cancel() sends) and `select system$cancel_query('<id>')` cancel it. A request
 * sent again with the same requestId is not run twice: it gets the first run's answer. A
 * request holding several statements is refused unless MULTI_STATEMENT_COUNT allows it.
 *
 * Faults on demand (`failNext`): fail the N-th matching statement with an error or an HTTP
 * status, hold it running for a while (`delayMs`), or run it and then drop the connection
 * without answering (`dropAfterRun`). `statements` is the log of what ran and how it ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import { splitStatements } from '../../src/adapters/snowflake/statements.js';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { FaultQueue, type QueuedFault } from './fault-queue.js';
import { dottedPathAt, type PathPart } from './sql-paths.js';

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
  queryId: string;
  requestId: string;
  /** How it ended, or `running`. */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** Whether it ran inside an explicit transaction. */
  inTransaction: boolean;
  startedAt: number;
  endedAt?: number;
}

export interface Failure extends QueuedFault {
  /** A Snowflake error (success:false), or an HTTP status with no body. */
  code?: string;
  sqlState?: string;
  message?: string;
  httpStatus?: number;
  /** The statement runs this long (unless cancelled) before it does its work. */
  delayMs?: number;
  /** The statement runs (and commits, outside a transaction), then the connection drops unanswered. */
  dropAfterRun?: boolean;
}

interface RunningQuery {
  record: RecordedStatement;
  done: Promise<unknown>;
  /** The answer, once done. */
  answer?: unknown;
  cancel(): void;
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
  inTransaction: boolean;
  /** Statements run one at a time per session, as on Snowflake. */
  queue: Promise<unknown>;
}

export class SnowflakeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly statements: RecordedStatement[] = [];
  readonly sessions = new Map<string, SessionState>();
  private readonly failures = new FaultQueue<Failure>();
  private server?: Server;
  private db?: DuckDBInstance;
  private readonly attached = new Set<string>();
  private readonly queries = new Map<string, RunningQuery>();
  private readonly byRequestId = new Map<string, RunningQuery>();
  port = 0;
  /** How long a query-request waits for its statement before answering "in progress" (Snowflake: 45 s). */
  answerWithinMs = 100;
  /** Rows answered inline; the rest of a larger result is served in chunks of this many rows, fetched by URL. */
  chunkRows = 10_000;
  private readonly chunks = new Map<string, { key: string; body: string }>();

  /**
   * `password` for password and OAuth logins; `publicKey` (PEM), when set, admits key-pair
   * (SNOWFLAKE_JWT) logins whose JWT verifies against it, as a user's RSA_PUBLIC_KEY does.
   */
  constructor(readonly credentials: { user: string; password: string; publicKey?: string }) {}

  get host(): string {
    return '127.0.0.1';
  }

  async start(): Promise<void> {
    this.db = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const q of this.queries.values()) q.cancel();
    for (const s of this.sessions.values()) s.conn.closeSync();
    this.sessions.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.db?.closeSync();
  }

  failNext(f: Failure): void {
    this.failures.add(f);
  }

  /** Sessions whose token expires now: their next request is refused with 390112 until the driver renews them. */
  expireSessions(): void {
    for (const s of this.sessions.values()) this.expired.add(s.token);
  }
  private readonly expired = new Set<string>();

  /** Runs SQL on the backing database directly, as a test's own check. */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const c = await this.db!.connect();
    try {
      return (await c.runAndReadAll(translate(sql, (name) => this.attached.has(name)))).getRowObjectsJS();
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
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      gzipped,
      body,
    });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    let m: RegExpExecArray | null;
    try {
      if (url.pathname === '/session/v1/login-request')
        return send(200, await this.login(url, body as { data: Record<string, unknown> }));
      if (req.method === 'GET' && (m = /^\/chunks\/([^/]+)$/.exec(url.pathname))) {
        // Result chunks live in cloud storage on Snowflake, readable with the key in the chunk headers.
        const chunk = this.chunks.get(m[1]!);
        if (!chunk || req.headers['x-amz-server-side-encryption-customer-key'] !== chunk.key)
          return send(403, { message: 'Access Denied' });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(chunk.body);
      }
      const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      if (url.pathname === '/session/token-request')
        return send(200, this.renew(token, body as { oldSessionToken?: string }));
      const session = this.sessions.get(token);
      if (url.pathname === '/telemetry/send') return send(200, { success: true, data: null });
      if (session && this.expired.has(token))
        return send(200, {
          success: false,
          code: '390112',
          message: 'Your session has expired. Please renew.',
          data: null,
        });
      if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
        if (session) {
          session.conn.closeSync();
          this.sessions.delete(token);
        }
        return send(200, { success: true, data: null });
      }
      if (url.pathname === '/session/heartbeat') return send(200, { success: true, data: null });
      if (!session)
        return send(200, {
          success: false,
          code: '390111',
          message: 'Session no longer exists.  New login required to access the service.',
          data: null,
        });
      if (url.pathname === '/queries/v1/query-request') {
        const requestId = url.searchParams.get('requestId') ?? randomUUID();
        const b = body as { sqlText?: string; parameters?: Record<string, unknown> };
        // The same request sent again (a retry after a lost answer) is answered, not run again.
        const earlier = this.byRequestId.get(requestId);
        if (earlier) return send(200, await this.answer(earlier));
        const sqlText = String(b.sqlText ?? '');
        const failure = this.failures.take(sqlText);
        if (failure?.httpStatus) {
          res.writeHead(failure.httpStatus);
          return void res.end();
        }
        const q = this.submit(session, sqlText, requestId, failure, b.parameters ?? {});
        if (failure?.dropAfterRun) {
          await q.done;
          return void res.destroy();
        }
        return send(200, await this.answer(q));
      }
      if (req.method === 'GET' && (m = /^\/queries\/([^/]+)\/result$/.exec(url.pathname))) {
        const q = this.queries.get(m[1]!);
        if (!q) return send(200, sqlError('000709', '02000', `Statement ${m[1]} not found`));
        return send(200, await this.answer(q));
      }
      if (req.method === 'POST' && (m = /^\/queries\/([^/]+)\/abort-request$/.exec(url.pathname))) {
        this.queries.get(m[1]!)?.cancel();
        return send(200, { success: true, data: null });
      }
      if (url.pathname === '/queries/v1/abort-request') {
        this.byRequestId.get(String((body as { requestId?: string })?.requestId ?? ''))?.cancel();
        return send(200, { success: true, data: null });
      }
      if (req.method === 'GET' && (m = /^\/monitoring\/queries\/([^/]+)$/.exec(url.pathname))) {
        const q = this.queries.get(m[1]!);
        const status = !q
          ? 'NO_QUERY_DATA'
          : { running: 'RUNNING', succeeded: 'SUCCESS', failed: 'FAILED_WITH_ERROR', cancelled: 'ABORTED' }[
              q.record.status
            ];
        return send(200, {
          success: true,
          data: {
            queries: q
              ? [
                  {
                    id: q.record.queryId,
                    status,
                    sqlText: q.record.sql,
                    errorMessage: q.record.status === 'failed' ? 'failed' : '',
                  },
                ]
              : [],
          },
        });
      }
      send(404, { success: false, code: '404', message: `no such endpoint ${url.pathname}` });
    } catch (e) {
      send(500, { success: false, message: (e as Error).message });
    }
  }

  /** A query id as Snowflake spells them (the driver checks the format before polling by id). */
  private newQueryId(): string {
    return randomUUID();
  }

  /** Starts a statement on its session (after the session's previous one) and logs it. */
  private submit(
    s: SessionState,
    sqlText: string,
    requestId: string,
    failure: Failure | undefined,
    parameters: Record<string, unknown>,
  ): RunningQuery {
    const record: RecordedStatement = {
      sql: sqlText,
      token: s.token,
      warehouse: s.warehouse,
      queryTag: s.queryTag,
      queryId: this.newQueryId(),
      requestId,
      status: 'running',
      inTransaction: s.inTransaction,
      startedAt: Date.now(),
    };
    this.statements.push(record);
    let cancelled = false;
    let wake: (() => void) | undefined;
    const q: RunningQuery = {
      record,
      done: undefined as unknown as Promise<unknown>,
      cancel: () => {
        if (record.status !== 'running' || cancelled) return;
        cancelled = true;
        wake?.();
        s.conn.interrupt();
      },
    };
    const canceledError = () => sqlError('000604', '57014', 'SQL execution canceled');
    const work = async (): Promise<unknown> => {
      record.inTransaction = s.inTransaction;
      if (failure?.delayMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, failure.delayMs);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
      if (cancelled) return canceledError();
      // A delay alone only slows the statement; with a code or message it then fails.
      const fails =
        failure &&
        !failure.dropAfterRun &&
        (!failure.delayMs || failure.code !== undefined || failure.message !== undefined);
      if (fails)
        return sqlError(failure.code ?? '000603', failure.sqlState ?? 'XX000', failure.message ?? 'injected failure');
      const expected = parameters.MULTI_STATEMENT_COUNT === undefined ? 1 : Number(parameters.MULTI_STATEMENT_COUNT);
      const parts = splitStatements(sqlText);
      if (expected !== 0 && parts.length !== expected)
        return sqlError(
          '000008',
          '0A000',
          `Actual statement count ${parts.length} did not match the desired statement count ${expected}.`,
        );
      let last: unknown = statusResult('Statement executed successfully.');
      for (const part of parts) {
        last = await this.run(s, part);
        if (cancelled) return canceledError();
        if ((last as { success: boolean }).success === false) break;
      }
      return last;
    };
    q.done = (s.queue = s.queue.then(work, work)).then((answer) => {
      const failed = (answer as { success?: boolean }).success === false;
      record.status = cancelled ? 'cancelled' : failed ? 'failed' : 'succeeded';
      record.endedAt = Date.now();
      const data = (answer as { data?: { queryId?: string } }).data;
      if (data) data.queryId = record.queryId;
      this.chunk(answer);
      q.answer = answer;
      return answer;
    });
    this.queries.set(record.queryId, q);
    this.byRequestId.set(requestId, q);
    return q;
  }

  /** Moves the rows of a large result beyond the first chunkRows into chunks the driver downloads. */
  private chunk(answer: unknown): void {
    const data = (
      answer as { data?: { rowset?: unknown[][]; chunks?: unknown[]; chunkHeaders?: Record<string, string> } }
    ).data;
    if (!data?.rowset || data.rowset.length <= this.chunkRows) return;
    const rows = data.rowset;
    const key = randomUUID();
    data.rowset = rows.slice(0, this.chunkRows);
    data.chunks = [];
    for (let i = this.chunkRows; i < rows.length; i += this.chunkRows) {
      const part = rows.slice(i, i + this.chunkRows);
      const id = randomUUID();
      // A chunk is the rows' JSON arrays, comma-separated, without the enclosing brackets.
      const body = part.map((r) => JSON.stringify(r)).join(',');
      this.chunks.set(id, { key, body });
      data.chunks.push({
        url: `http://127.0.0.1:${this.port}/chunks/${id}`,
        rowCount: part.length,
        uncompressedSize: body.length,
        compressedSize: body.length,
      });
    }
    data.chunkHeaders = { 'x-amz-server-side-encryption-customer-key': key };
  }

  /** The statement's answer if it ends within answerWithinMs, else "in progress" with the URL to poll. */
  private async answer(q: RunningQuery): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, this.answerWithinMs)));
    await Promise.race([q.done, late]);
    clearTimeout(timer);
    if (q.answer !== undefined) return q.answer;
    const id = q.record.queryId;
    return {
      success: true,
      code: '333333',
      message: 'Query execution in progress',
      data: { queryId: id, getResultUrl: `/queries/${id}/result`, queryAbortsAfterSecs: 300, progressDesc: null },
    };
  }

  /**
   * A key-pair login's JWT, checked as Snowflake documents: RS256-signed by the private key
   * of the user's registered public key, `sub` ACCOUNT.USER, `iss` ACCOUNT.USER.SHA256:<the
   * public key's fingerprint>, not expired.
   */
  private verifyJwt(jwt: string, account: string, user: string): boolean {
    const key = this.credentials.publicKey;
    const [header, payload, signature] = jwt.split('.');
    if (!key || !header || !payload || !signature || user !== this.credentials.user) return false;
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (head.alg !== 'RS256') return false;
    if (
      !verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey(key), Buffer.from(signature, 'base64url'))
    )
      return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      iss?: string;
      sub?: string;
      exp?: number;
    };
    const fingerprint =
      'SHA256:' +
      createHash('sha256')
        .update(createPublicKey(key).export({ format: 'der', type: 'spki' }))
        .digest('base64');
    const who = `${account.toUpperCase()}.${user.toUpperCase()}`;
    // exp is seconds since the epoch in the JWT standard; the driver writes milliseconds.
    const exp = Number(claims.exp ?? 0);
    return claims.sub === who && claims.iss === `${who}.${fingerprint}` && (exp > 1e12 ? exp : exp * 1000) > Date.now();
  }

  /** Renews a session whose token expired: the driver sends its master token. */
  private renew(masterToken: string, body: { oldSessionToken?: string }): unknown {
    const old = String(body?.oldSessionToken ?? '');
    const s = this.sessions.get(old);
    if (!s || masterToken !== `master-${old.replace(/^token-/, '')}`)
      return {
        success: false,
        code: '390114',
        message: 'Authentication token has expired.  The user must authenticate again.',
        data: null,
      };
    const token = `token-${randomUUID()}`;
    this.sessions.delete(old);
    this.expired.delete(old);
    s.token = token;
    this.sessions.set(token, s);
    return {
      success: true,
      data: { sessionToken: token, validityInSecondsST: 3600, masterToken, validityInSecondsMT: 14400 },
    };
  }

  private async login(url: URL, body: { data: Record<string, unknown> }): Promise<unknown> {
    const d = body?.data ?? {};
    const authenticator = String(d.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    const okPassword = d.LOGIN_NAME === this.credentials.user && d.PASSWORD === this.credentials.password;
    const okToken = authenticator === 'OAUTH' && d.TOKEN === this.credentials.password;
    const okKeyPair =
      authenticator === 'SNOWFLAKE_JWT' &&
      this.verifyJwt(String(d.TOKEN ?? ''), String(d.ACCOUNT_NAME ?? ''), String(d.LOGIN_NAME ?? ''));
    if (authenticator === 'SNOWFLAKE_JWT' && !okKeyPair) {
      return {
        success: false,
        code: '390144',
        message: 'JWT token is invalid.',
        data: { nextAction: 'RETRY_LOGIN', authnMethod: authenticator },
      };
    }
    if (!okPassword && !okToken && !okKeyPair) {
      return {
        success: false,
        code: '390100',
        message: 'Incorrect username or password was specified.',
        data: { nextAction: 'RETRY_LOGIN', authnMethod: authenticator },
      };
    }
    const id = randomUUID();
    const token = `token-${id}`;
    const conn = await this.db!.connect();
    const database = url.searchParams.get('databaseName') ?? undefined;
    await this.ensureDatabase(conn, database?.toUpperCase());
    // Names without a database resolve in the session's database, as on Snowflake.
    if (database) await conn.run(`use "${database.toUpperCase()}"`);
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
      inTransaction: false,
      queue: Promise.resolve(),
    });
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token,
        masterToken: `master-${id}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: this.sessions.size,
        parameters: [{ name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 }],
        sessionInfo: {
          databaseName: database ?? null,
          schemaName: url.searchParams.get('schemaName'),
          warehouseName: url.searchParams.get('warehouse'),
          roleName: url.searchParams.get('roleName'),
        },
      },
    };
  }

  private async run(s: SessionState, sqlText: string): Promise<unknown> {
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
    if ((m = /^select system\$cancel_query\('([^']+)'\)/i.exec(trimmed))) {
      const q = this.queries.get(m[1]!);
      q?.cancel();
      return result(
        [{ name: 'SYSTEM$CANCEL_QUERY', type: 'text' }],
        [[q ? 'query [' + m[1] + '] terminated.' : 'Identified SQL statement is not currently executing.']],
      );
    }
    // Transactions are the session's DuckDB transactions; Snowflake ignores a BEGIN inside one
    // and a COMMIT or ROLLBACK outside one.
    if (/^(begin|start)( transaction| work)?$/i.test(trimmed)) {
      if (!s.inTransaction) await s.conn.run('begin transaction');
      s.inTransaction = true;
      return statusResult('Statement executed successfully.');
    }
    if ((m = /^(commit|rollback)( work)?$/i.exec(trimmed))) {
      if (s.inTransaction)
        await s.conn
          .run(m[1]!.toLowerCase() === 'commit' ? 'commit' : 'rollback')
          .catch(() => s.conn.run('rollback').catch(() => undefined));
      s.inTransaction = false;
      return statusResult('Statement executed successfully.');
    }
    // DDL commits the open transaction, then runs as a transaction of its own.
    if (s.inTransaction && isDdl(trimmed)) {
      await s.conn.run('commit');
      s.inTransaction = false;
    }
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
    for (const db of sqlText.matchAll(/(?:^|[\s(,])("?)([A-Za-z_][A-Za-z0-9_$]*)\1\.information_schema\./gi))
      await this.ensureDatabase(s.conn, db[2]!.toUpperCase());
    if ((m = /^create schema if not exists ("?)([A-Za-z_][A-Za-z0-9_$]*)\1\./i.exec(trimmed)))
      await this.ensureDatabase(s.conn, m[2]!.toUpperCase());
    try {
      const reader = await s.conn.runAndReadAll(translate(trimmed, (name) => this.attached.has(name)));
      return encode(
        reader.columnNames(),
        reader.columnTypes().map((t) => ({ id: t.typeId, text: t.toString() })),
        reader.getRows(),
      );
    } catch (e) {
      const msg = (e as Error).message;
      if (/INTERRUPT/i.test(msg)) return sqlError('000604', '57014', 'SQL execution canceled');
      if (/does not exist|not found/i.test(msg)) return sqlError('002003', '42S02', `SQL compilation error:\n${msg}`);
      if (/Parser Error|syntax error/i.test(msg)) return sqlError('001003', '42000', `SQL compilation error:\n${msg}`);
      if (/Conversion Error|Could not convert/i.test(msg)) return sqlError('100038', '22018', msg);
      return sqlError('002043', '42601', `SQL compilation error:\n${msg}`);
    }
  }
}

/** Statements Snowflake runs as transactions of their own, committing any open one first. */
function isDdl(sql: string): boolean {
  return /^(create|alter|drop|undrop|grant|revoke|comment|rename)\b/i.test(sql);
}

/** The name Snowflake resolves an identifier to: as written when quoted, else upper-cased. */
function resolvedName(part: PathPart): string {
  return part.quoted ? part.value : part.value.toUpperCase();
}

/** How the stand-in stores a schema or table name in DuckDB, which ignores case. */
/** A profiles.yml (profile `tiny`, target `sf`) that points the real driver at a stand-in on `port`. */
export function snowflakeProfileYaml(opts: {
  port: number;
  user: string;
  password: string;
  schema?: string;
  threads?: number;
  /** More settings, one `key: value` a line, indented as the others. */
  extra?: string[];
}): string {
  const settings = [
    'type: snowflake',
    'account: kiln_ci',
    `user: ${opts.user}`,
    `password: ${opts.password}`,
    ...(opts.extra ?? []),
    'warehouse: transforming',
    'database: analytics',
    `schema: ${opts.schema ?? 'dbt_ci'}`,
    `threads: ${opts.threads ?? 1}`,
    'host: 127.0.0.1',
    `port: ${opts.port}`,
    'protocol: http',
  ];
  return `tiny:\n  target: sf\n  outputs:\n    sf:\n${settings.map((line) => `      ${line}\n`).join('')}`;
}

export function storedName(snowflakeName: string): string {
  return snowflakeName.replace(/\^/g, '^^').replace(/\p{Ll}/gu, (c) => `^${c}`);
}

export function snowflakeName(stored: string): string {
  return stored.replace(/\^(.)/gsu, '$1');
}

/** A double-quoted (quotes doubled inside) or bare identifier starting at `i`. */
function identifierAt(s: string, i: number): PathPart | undefined {
  if (s[i] === '"') {
    let value = '';
    let j = i + 1;
    for (; j < s.length; j++) {
      if (s[j] === '"' && s[j + 1] === '"') {
        value += '"';
        j++;
      } else if (s[j] === '"') break;
      else value += s[j];
    }
    return { value, quoted: true, end: j + 1 };
  }
  const bare = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(s.slice(i, i + 300));
  return bare ? { value: bare[0], quoted: false, end: i + bare[0].length } : undefined;
}

/**
 * Which parts of a dotted path are a schema or a table: `db.schema.table` and `db.schema`
 * for a database that exists. information_schema and what follows it are DuckDB's own.
 */
function relationParts(parts: PathPart[], isDatabase: (name: string) => boolean): number[] {
  if (parts.length < 2 || parts.length > 3 || !isDatabase(resolvedName(parts[0]!))) return [];
  if (/^information_schema$/i.test(parts[1]!.value)) return [];
  return parts.length === 3 ? [1, 2] : [1];
}

/** Schema and table names of `sql` in their stored form; strings and other identifiers as written. */
function storeRelationNames(sql: string, isDatabase: (name: string) => boolean): string {
  let out = '';
  for (let i = 0; i < sql.length;) {
    const ch = sql[i]!;
    if (ch === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      out += sql.slice(i, end < 0 ? sql.length : end);
      i = end < 0 ? sql.length : end;
      continue;
    }
    const startsWord = ch === '"' || (/[A-Za-z_]/.test(ch) && !/[\w$."]/.test(sql[i - 1] ?? ''));
    if (!startsWord) {
      out += ch;
      i++;
      continue;
    }
    const { parts, end: j } = dottedPathAt(sql, i, identifierAt);
    const stored = relationParts(parts, isDatabase);
    out += stored.length
      ? parts
          .map((p, k) =>
            stored.includes(k)
              ? `"${storedName(resolvedName(p)).replace(/"/g, '""')}"`
              : sql.slice(k ? parts[k - 1]!.end + 1 : i, p.end),
          )
          .join('.')
      : sql.slice(i, j);
    i = j;
  }
  return out;
}

/** information_schema views answering with schema and table names as Snowflake spells them. */
const decoded = (column: string) => `regexp_replace(${column}, '\\^(.)', '\\1', 'g') as ${column}`;
const snowflakeViews: Record<string, string> = {
  tables: `(select * replace (${decoded('table_schema')}, ${decoded('table_name')}) from information_schema.tables)`,
  columns: `(select * replace (${decoded('table_schema')}, ${decoded('table_name')}) from information_schema.columns)`,
  schemata: `(select * replace (${decoded('schema_name')}) from information_schema.schemata)`,
};

/** Snowflake spellings kiln emits, in DuckDB's dialect. */
export function translate(sql: string, isDatabase: (name: string) => boolean = () => false): string {
  return storeRelationNames(sql, isDatabase)
    .replace(/\bcreate or replace (transient |secure )?(table|view)\b/gi, 'create or replace $2')
    .replace(/\s+cluster by \((?:[^()]|\([^()]*\))*\)/gi, '')
    .replace(/\s+copy grants\b/gi, '')
    .replace(/\btimestamp_ntz\b/gi, 'timestamp')
    .replace(/convert_timezone\('UTC', current_timestamp\(\)\)/gi, 'current_timestamp')
    .replace(/(^|[\s(,])("?)[A-Za-z_][A-Za-z0-9_$]*\2\.(information_schema\.)/gi, '$1$3')
    .replace(
      /\binformation_schema\.(tables|columns|schemata)\b/gi,
      (_, view: string) => snowflakeViews[view.toLowerCase()]!,
    );
}

function sqlError(code: string, sqlState: string, message: string): unknown {
  return {
    success: false,
    code,
    message,
    data: { sqlState, queryId: randomUUID(), errorCode: code, type: 'COMPILATION' },
  };
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
      rowtype: rowtype.map((r) => ({
        nullable: true,
        length: null,
        byteLength: null,
        precision: r.precision ?? null,
        scale: r.scale ?? null,
        ...r,
      })),
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
  if (colIdx >= 0)
    for (const r of rowset) if (r[colIdx] && /^[a-z_][a-z0-9_$]*$/.test(r[colIdx])) r[colIdx] = r[colIdx].toUpperCase();
  return result(rowtype, rowset);
}
