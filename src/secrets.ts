/**
 * Secret environment variables, as dbt defines them: every variable whose name starts with
 * `DBT_ENV_SECRET_`. Their values may be read only where a connection or a package download
 * needs them (profiles.yml, packages.yml; see src/config/render-values.ts), and every output
 * kiln writes passes through this module so that a value that got into a message anyway
 * (a DuckDB path, a driver's error, `target` printed by a macro) is written as `*****`.
 *
 * Owns: which variables are secret, and replacing their values in text and JSON.
 * Must not: decide where env_var() may read them, or write anything itself.
 */

export const SECRET_ENV_PREFIX = 'DBT_ENV_SECRET_';

/** What a secret value is replaced with, as in dbt. */
export const SECRET_MASK = '*****';

export function isSecretEnvVarName(name: string): boolean {
  return name.startsWith(SECRET_ENV_PREFIX);
}

/**
 * The values to hide: every non-blank value of a `DBT_ENV_SECRET_*` variable, longest first
 * (so a secret that contains another is replaced whole). Read once per output, not per line.
 */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (isSecretEnvVarName(name) && value !== undefined && value.trim() !== '') values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of every secret value replaced by `*****`. */
export function scrubSecrets(text: string, secrets: readonly string[] = secretValues()): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
  return out;
}

/**
 * JSON text of `data` with secrets replaced inside strings and object keys, so the result is
 * always valid JSON whatever characters a secret holds (replacing in the serialized text could
 * miss an escaped secret or cut through JSON syntax). Without secrets this is JSON.stringify.
 */
export function stringifyScrubbed(data: unknown, secrets: readonly string[] = secretValues(), space?: number): string {
  if (!secrets.length) return JSON.stringify(data, undefined, space);
  const hides = (s: string) => secrets.some((secret) => s.includes(secret));
  return JSON.stringify(
    data,
    (_key, value: unknown) => {
      if (typeof value === 'string') return hides(value) ? scrubSecrets(value, secrets) : value;
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some(hides)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrubSecrets(k, secrets), v]));
      }
      return value;
    },
    space,
  );
}

/** A JSON-shaped value with its secrets replaced (a copy; `data` itself when there are none). */
export function scrubData<T>(data: T, secrets: readonly string[] = secretValues()): T {
  if (!secrets.length || data === undefined) return data;
  return JSON.parse(stringifyScrubbed(data, secrets)) as T;
}
