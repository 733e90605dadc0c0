/**
 * BigQuery errors into kiln's kinds. The client reports an ApiError with the HTTP `code` and
 * the service's `errors[].reason` (notFound, invalidQuery, rateLimitExceeded, backendError,
 * ...); network failures carry a Node error code (ECONNREFUSED, ETIMEDOUT, ...).
 */
import { KilnError } from '../../errors.js';

interface ApiErrorLike {
  message?: string;
  code?: number | string;
  errors?: Array<{ reason?: string; message?: string; location?: string }>;
  response?: { status?: number };
}

/** Reasons BigQuery documents as worth retrying. */
const retryableReasons = new Set([
  'backendError',
  'internalError',
  'rateLimitExceeded',
  'jobRateLimitExceeded',
  'jobBackendError',
  'jobInternalError',
  'tableUnavailable',
  'resourcesExceeded',
]);
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export function toKilnError(e: unknown, ctx: { target: string }): KilnError {
  if (e instanceof KilnError) return e;
  const err = (e ?? {}) as ApiErrorLike;
  const status = typeof err.code === 'number' ? err.code : err.response?.status;
  const reasons = (err.errors ?? []).map((x) => x.reason).filter((r): r is string => !!r);
  const message = String(err.message ?? e).trim();
  const detail = [status !== undefined && `HTTP ${status}`, reasons.length && `reason ${reasons.join(', ')}`]
    .filter(Boolean)
    .join(', ');
  const code = typeof err.code === 'string' ? err.code : (e as { cause?: { code?: string } })?.cause?.code;
  if ((code && networkCodes.has(code)) || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|socket hang up/.test(message)) {
    return new KilnError('connection', `BigQuery at ${ctx.target} cannot be reached: ${message}`, {
      cause: e,
      retryable: true,
      hint: 'check the network, and api_endpoint if you set one',
    });
  }
  if (
    status === 401 ||
    (status === 403 && reasons.some((r) => r === 'accessDenied' || r === 'forbidden')) ||
    /Could not load the default credentials|invalid_grant/i.test(message)
  ) {
    return new KilnError(
      'connection',
      `BigQuery refused the credentials for ${ctx.target}: ${message}${detail ? ` (${detail})` : ''}`,
      {
        cause: e,
        hint:
          'check method, keyfile / keyfile_json or `gcloud auth application-default ' +
          'login`, and the roles of the account',
      },
    );
  }
  const retryable =
    reasons.some((r) => retryableReasons.has(r)) || status === 429 || (status !== undefined && status >= 500);
  const hint = reasons.includes('bytesBilledLimitExceeded')
    ? 'the query would scan more than maximum_bytes_billed allows; raise it in profiles.yml or scan less'
    : undefined;
  return new KilnError('database', `${message}${detail ? ` (${detail})` : ''}`, { cause: e, retryable, hint });
}
