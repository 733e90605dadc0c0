/**
 * Driver errors to KilnErrors. A server error carries a SQLSTATE (`code`, five characters);
 * socket errors carry a Node errno code; a few pg client errors only a message.
 */
import { KilnError } from '../../errors.js';

export interface ErrorContext {
  /** "host:port/database as user", for connection messages. */
  target: string;
  /** The statement that failed, to turn the server's character position into line and column. */
  sql?: string;
  /** Never shown: any occurrence in a message is replaced. */
  password?: string;
}

interface PgLikeError {
  code?: string;
  message?: string;
  position?: string;
  detail?: string;
  hint?: string;
  errors?: unknown[];
}

/** Connection-level SQLSTATEs and socket codes after which a retry may succeed. */
const retryableConnectionStates = new Set(['57P01', '57P02', '57P03', '53300']);
const retryableDatabaseStates = new Set(['40001', '40P01']);
const retryableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const socketWords: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running and listening on that host and port?)',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EAI_AGAIN: 'host name lookup failed temporarily',
  ENOTFOUND: 'host name not found',
  ECONNABORTED: 'connection aborted',
};
const droppedConnection =
  /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable|Connection ended/i;

function isSqlState(code: string | undefined): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The first errno-style code, looking inside an AggregateError (several addresses tried). */
function socketCode(e: PgLikeError): string | undefined {
  if (e.code && !isSqlState(e.code)) return e.code;
  for (const inner of e.errors ?? []) {
    const code = (inner as PgLikeError | undefined)?.code;
    if (code) return code;
  }
  return undefined;
}

export function redact(text: string, password: string | undefined): string {
  if (!password || password.length < 3) return text;
  return text.split(password).join('****');
}

/** 1-based line and column of a 1-based character position in sql. */
export function lineAndColumn(sql: string, position: number): { line: number; column: number } {
  const before = [...sql].slice(0, Math.max(0, position - 1)).join('');
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

export function toKilnError(err: unknown, ctx: ErrorContext): KilnError {
  if (err instanceof KilnError) return err;
  const e = (err ?? {}) as PgLikeError;
  const raw = redact(String(e.message ?? err ?? 'unknown error').trim(), ctx.password);
  const code = e.code;
  const opts = { cause: err, statement: ctx.sql };

  if (isSqlState(code)) {
    if (code === '28P01' || code === '28000') {
      return new KilnError('connection', `cannot connect to Postgres at ${ctx.target}: authentication failed: ${raw}`, {
        ...opts,
        hint:
          'check user and password in profiles.yml (and the environment ' +
          'variable that env_var reads), and that pg_hba.conf allows this ' +
          'host and user',
      });
    }
    if (code === '3D000') {
      return new KilnError('connection', `cannot connect to Postgres at ${ctx.target}: ${raw}`, {
        ...opts,
        hint: 'check dbname in profiles.yml; the database must exist (create it with `create database ...`)',
      });
    }
    if (code.startsWith('08') || retryableConnectionStates.has(code)) {
      return new KilnError(
        'connection',
        `Postgres connection lost or refused at ${ctx.target}: ${raw} (SQLSTATE ${code})`,
        { ...opts, retryable: true },
      );
    }
    let message = raw;
    const where: string[] = [`SQLSTATE ${code}`];
    const pos = Number(e.position);
    if (ctx.sql && Number.isInteger(pos) && pos > 0) {
      const { line, column } = lineAndColumn(ctx.sql, pos);
      where.push(`at line ${line}, column ${column} of the statement`);
    }
    message += ` (${where.join(', ')})`;
    if (e.detail) message += `\n  detail: ${redact(e.detail, ctx.password)}`;
    return new KilnError('database', message, {
      ...opts,
      hint: e.hint ? redact(e.hint, ctx.password) : undefined,
      retryable: retryableDatabaseStates.has(code),
    });
  }

  const sock = socketCode(e);
  if (sock && (retryableSocketCodes.has(sock) || sock in socketWords)) {
    return new KilnError('connection', `cannot connect to Postgres at ${ctx.target}: ${socketWords[sock] ?? raw}`, {
      ...opts,
      retryable: retryableSocketCodes.has(sock),
      hint: sock === 'ENOTFOUND' ? 'check host in profiles.yml' : undefined,
    });
  }
  if (/SASL|SCRAM|password must be a string|password authentication/i.test(raw)) {
    return new KilnError('connection', `cannot connect to Postgres at ${ctx.target}: authentication failed: ${raw}`, {
      ...opts,
      hint: 'the server asked for a password: set password in profiles.yml (for example with env_var)',
    });
  }
  if (/does not support SSL|SSL|certificate|self[- ]signed/i.test(raw) && !ctx.sql) {
    return new KilnError('connection', `cannot connect to Postgres at ${ctx.target}: ${raw}`, {
      ...opts,
      hint: 'check sslmode (and sslrootcert) in profiles.yml',
    });
  }
  if (droppedConnection.test(raw)) {
    return new KilnError('connection', `Postgres connection lost at ${ctx.target}: ${raw}`, {
      ...opts,
      retryable: true,
    });
  }
  return new KilnError('database', raw, opts);
}
