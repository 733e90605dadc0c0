/**
 * Snowflake errors into kiln's kinds. The SDK reports two sorts: its own (numeric `code`s
 * in the 40xxxx range: network, HTTP and argument errors) and the server's (a five- or
 * six-digit string `code` such as '002003' plus an ANSI `sqlState` such as '42S02').
 */
import { KilnError } from '../../errors.js';

interface SnowflakeErrorLike {
  message?: string;
  code?: string | number;
  sqlState?: string;
  response?: { statusCode?: number };
  cause?: unknown;
}

/** Server codes that a retry may cure: lock waits, aborted statements and service hiccups. */
const retryableServerCodes = new Set([
  '000625', // statement reached its retry limit on the service side
  '000630', // the warehouse was suspended/resumed under the statement
  '000603', // internal error: processing aborted (transient incidents)
  '000610', // the warehouse was resized or is being resumed
  '390114', // authentication token expired
]);

/* Not 000606 (no active warehouse for the session): the profile names no warehouse the role can
   use, and no retry changes that. */

/** Login and session codes: the account cannot be used as configured. */
function isLoginCode(code: string): boolean {
  return /^390\d{3}$/.test(code) || code === '250001';
}

export function toKilnError(e: unknown, ctx: { target: string; sql?: string; secrets?: string[] }): KilnError {
  if (e instanceof KilnError) return e;
  const err = (e ?? {}) as SnowflakeErrorLike;
  const code = err.code === undefined || err.code === null ? '' : String(err.code);
  const sqlState = err.sqlState ? String(err.sqlState) : '';
  const message = redact(String(err.message ?? e), ctx.secrets ?? []).trim();
  const status = err.response?.statusCode;
  const detail = [code && `code ${code}`, sqlState && `SQLSTATE ${sqlState}`].filter(Boolean).join(', ');

  const network = /^40[12]\d{3}$/.test(code);
  if (network || sqlState.startsWith('08')) {
    const transient = code !== '401004' && (status === undefined || status >= 500 || status === 429 || status === 408);
    return new KilnError('connection', `Snowflake at ${ctx.target}: ${message}${detail ? ` (${detail})` : ''}`, {
      cause: e,
      retryable: transient,
      hint: transient
        ? 'the service or the network failed; kiln may retry'
        : 'check account, host and credentials in profiles.yml',
    });
  }
  if (isLoginCode(code)) {
    return new KilnError('connection', `Snowflake login as ${ctx.target} failed: ${message} (${detail})`, {
      cause: e,
      retryable: code === '390114',
      hint: 'check user, password or key, role and authenticator in profiles.yml',
    });
  }
  if (/^4040\d\d$/.test(code)) {
    return new KilnError('config', `Snowflake profile: ${message}`, {
      cause: e,
      hint: 'see docs/adapters/snowflake.md for the keys of a snowflake output',
    });
  }
  if (code === '000606') {
    return new KilnError('database', `${message} (${detail})`, {
      cause: e,
      hint: "set 'warehouse' in profiles.yml (or snowflake_warehouse on the model) to a warehouse the role may use",
    });
  }
  return new KilnError('database', `${message}${detail ? ` (${detail})` : ''}`, {
    cause: e,
    retryable: retryableServerCodes.has(code) || sqlState === '40001' || sqlState.startsWith('57'),
  });
}

export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out;
}
