/**
 * Service-account login for BigQuery: dbt-bigquery's `keyfile` (a path to the JSON key Google
 * issues) and `keyfile_json` (the same key inline), read and checked here, then handed to
 * google-auth's JWT client, which signs an assertion and exchanges it for an access token.
 *
 * The exchange goes to the key's own `token_uri`, as Google's Python library (and so dbt) does.
 * google-auth-library for Node always posts to Google's endpoint and signs for it, so the
 * client's transporter is told where the key says to go: a request interceptor moves the post
 * and the `aud` claim names that endpoint. A refused or unreachable exchange becomes one error
 * that names the service account. Owns nothing of the queries themselves.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuthClient } from 'google-auth-library';
import { KilnError, type ErrorLocation } from '../../errors.js';

/** Where google-auth-library posts every service-account assertion. */
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const NEW_KEY_HINT =
  'create a JSON key for the service account (IAM & Admin > Service ' +
  'accounts > Keys > Add key) and point keyfile at it, or paste ' +
  'it under keyfile_json';

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  /** Where the signed assertion is exchanged for an access token. */
  tokenUri: string;
}

/** The profile keys a key can come from. */
export interface ServiceAccountSource {
  keyfile?: unknown;
  keyfile_json?: unknown;
}

/** Where a profile key is written (profiles.yml and its line), for errors. */
export type LocateSetting = (key: string) => ErrorLocation;

/** The key the profile names, read and checked; any problem is a config error at the key's line. */
export function readServiceAccountKey(source: ServiceAccountSource, locate: LocateSetting): ServiceAccountKey {
  if (source.keyfile !== undefined && source.keyfile !== null && source.keyfile !== '') {
    const path = resolve(String(source.keyfile));
    const bad = (what: string, hint: string) =>
      new KilnError('config', `bigquery profile: keyfile ${path} ${what}`, { ...locate('keyfile'), hint });
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw bad(
        code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`,
        `set keyfile to the path of the service account's JSON key (a ` +
          `relative path is read from the folder kiln runs in); ${NEW_KEY_HINT}`,
      );
    }
    return checkKey(
      parseJson(text, (why) => bad(`is not JSON: ${why}`, NEW_KEY_HINT)),
      (what) => bad(what, NEW_KEY_HINT),
    );
  }
  const inline = source.keyfile_json;
  const bad = (what: string, hint = NEW_KEY_HINT) =>
    new KilnError('config', `bigquery profile: keyfile_json ${what}`, { ...locate('keyfile_json'), hint });
  if (typeof inline === 'string')
    return checkKey(
      parseJson(inline, (why) =>
        bad(`is not JSON: ${why}`, 'paste the key file as it is, or write its fields as a YAML mapping'),
      ),
      bad,
    );
  if (inline && typeof inline === 'object' && !Array.isArray(inline))
    return checkKey(inline as Record<string, unknown>, bad);
  throw bad('must be the service account key: a mapping of its fields or its JSON text');
}

function parseJson(text: string, bad: (why: string) => KilnError): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(jsonProblem((e as Error).message, text));
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('a key is one JSON object');
  return value as Record<string, unknown>;
}

/**
 * Where JSON.parse stopped, as a line and column. V8's message may quote the text around the
 * problem, which here is a private key: only its first words are kept.
 */
function jsonProblem(message: string, text: string): string {
  const what = message.split(/,| in JSON/)[0]!.replace(/ '.*'$/, '');
  const position = /at position (\d+)/.exec(message);
  if (!position) return what;
  const before = text.slice(0, Number(position[1])).split('\n');
  return `${what} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

function checkKey(json: Record<string, unknown>, bad: (what: string) => KilnError): ServiceAccountKey {
  if (json.type !== undefined && json.type !== 'service_account')
    throw bad(`is a '${String(json.type)}' credential, not a service account key ("type": "service_account")`);
  for (const field of ['client_email', 'private_key'] as const) {
    if (typeof json[field] !== 'string' || !json[field]) throw bad(`has no ${field}: it is not a service account key`);
  }
  const privateKey = String(json.private_key);
  try {
    createPrivateKey(privateKey);
  } catch {
    throw bad('has a private_key that is not a PEM private key (was it copied whole, with its \\n line breaks?)');
  }
  return {
    clientEmail: String(json.client_email),
    privateKey,
    privateKeyId: typeof json.private_key_id === 'string' ? json.private_key_id : undefined,
    tokenUri: checkTokenUri(json.token_uri, bad),
  };
}

/**
 * The key's token endpoint: https, or plain http only to this machine (an emulator). The
 * assertion kiln signs goes there, so a key cannot send it in the clear across a network.
 */
function checkTokenUri(value: unknown, bad: (what: string) => KilnError): string {
  if (value === undefined || value === null || value === '') return GOOGLE_TOKEN_URI;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw bad(`has a token_uri that is not a URL: '${String(value)}'`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw bad(`has a token_uri that is neither https nor on this machine: '${url.href}'`);
  return url.href;
}

interface TokenErrorLike {
  message?: string;
  code?: string | number;
  status?: number;
  response?: { status?: number; data?: { error?: string; error_description?: string } };
}

/** A failed token exchange, naming the account; a network failure may be retried. */
function loginError(e: unknown, key: ServiceAccountKey): KilnError {
  const err = (e ?? {}) as TokenErrorLike;
  const status = err.response?.status ?? err.status;
  const data = err.response?.data;
  const account = `service account ${key.clientEmail}`;
  if (status === undefined) {
    return new KilnError(
      'connection',
      `the token endpoint ${key.tokenUri} for ${account} cannot be reached: ${err.message ?? String(e)}`,
      {
        cause: e,
        retryable: true,
        hint: "check the network; the endpoint is the key file's token_uri",
      },
    );
  }
  const reason = data?.error
    ? `${data.error}${data.error_description ? `: ${data.error_description}` : ''}`
    : `HTTP ${status}`;
  return new KilnError('connection', `the token endpoint ${key.tokenUri} refused ${account}: ${reason}`, {
    cause: e,
    retryable: status >= 500 || status === 429,
    hint:
      'the key may have been deleted or disabled, or the account removed: ' +
      'check its keys under IAM & Admin > Service accounts, or create ' +
      'a new JSON key',
  });
}

/** A google-auth JWT client for the key, exchanging its assertion at the key's token_uri. */
export async function serviceAccountClient(key: ServiceAccountKey, scopes: string[]): Promise<AuthClient> {
  const { JWT } = await import('google-auth-library');
  const client = new JWT({
    email: key.clientEmail,
    key: key.privateKey,
    keyId: key.privateKeyId,
    scopes,
    additionalClaims: { aud: key.tokenUri },
  });
  // This transporter carries only the token exchange: the API requests go through the BigQuery client.
  client.transporter.interceptors.request.add({
    resolved: async (request) => {
      if (request.url.href === GOOGLE_TOKEN_URI && key.tokenUri !== GOOGLE_TOKEN_URI)
        request.url = new URL(key.tokenUri);
      return request;
    },
  });
  client.transporter.interceptors.response.add({
    rejected: (e: unknown) => {
      throw loginError(e, key);
    },
  });
  return client;
}
