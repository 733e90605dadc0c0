/**
 * `env_var()` as models, macros and properties YAML see it: a missing variable without a
 * default, or a `DBT_ENV_SECRET_*` name, is an error naming the variable. The files that may
 * read secrets get their own reader (src/config/render-values.ts).
 */
import { KilnError, type ErrorKind } from '../errors.js';
import { isSecretEnvVarName } from '../secrets.js';
import { noteEnvVar } from './render-reads.js';

/** The error for env_var() of a secret where secrets are not allowed; the caller adds the file. */
export function secretEnvVarError(name: string, kind: ErrorKind = 'config'): KilnError {
  const message =
    `env_var('${name}') reads a secret: variables named DBT_ENV_SECRET_* can be read only in profiles.yml ` +
    'and packages.yml, not in models, macros, properties YAML or dbt_project.yml';
  return new KilnError(kind, message, {
    hint:
      'secrets are for connections and package downloads, so their ' +
      'values never reach compiled SQL, artifacts or logs; ' +
      `read it in profiles.yml (for example password: "{{ env_var('${name}') }}"), ` +
      'or give the variable a name without the DBT_ENV_SECRET_ prefix if it is not a secret',
  });
}

export function readEnvVar(name: string, fallback: unknown): unknown {
  const v = process.env[name];
  noteEnvVar(name, v);
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  throw new KilnError('config', `environment variable '${name}' is not set and env_var() was given no default`, {
    hint: `export ${name}=... or call env_var('${name}', 'default')`,
  });
}

/**
 * `env_var('X', 'default')`: missing without a default is an error naming the variable.
 * A `DBT_ENV_SECRET_*` name is an error (set or not, default or not), except in the files
 * dbt lets read secrets, where a ValueRenderer swaps in `secretEnvVar`.
 */
export function envVar(name: string, fallback?: unknown): unknown {
  if (isSecretEnvVarName(String(name))) throw secretEnvVarError(String(name));
  return readEnvVar(name, fallback);
}
