import { basename } from 'node:path';
import { TemplateEngine, type Scope } from '../template/engine.js';
import { KilnError, type ErrorKind } from '../errors.js';
import { isSecretEnvVarName } from '../secrets.js';
import type { YamlFile } from './yaml.js';

/**
 * Renders Jinja inside YAML string values, as dbt does for profiles, dbt_project.yml and
 * properties. A value that is a single `{{ expression }}` keeps the expression's own type,
 * so `"{{ var('enabled', false) }}"` yields a boolean, not the string "False".
 */
export class ValueRenderer {
  private readonly engine: TemplateEngine;

  constructor(private readonly scope: Scope) {
    this.engine = new TemplateEngine({}, { native: true });
  }

  render(value: string, file: string, line?: number | (() => number | undefined)): unknown {
    if (!value.includes('{{') && !value.includes('{%')) return value;
    const secrets = this.scope.env_var === envVar && readsSecrets(file);
    const scope = secrets ? { ...this.scope, env_var: secretEnvVar } : this.scope;
    const single = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(value);
    try {
      if (single && !single[1]!.includes('}}')) {
        let captured: unknown;
        const template = this.engine.compile(`{{ __kiln_capture(${single[1]}) }}`, file);
        this.engine.render(template, { ...scope, __kiln_capture: (v: unknown) => ((captured = v), '') }, file);
        return secrets ? revealSecrets(captured) : captured;
      }
      const text = this.engine.render(this.engine.compile(value, file), scope, file);
      return secrets ? revealSecrets(text) : text;
    } catch (e) {
      if (e instanceof KilnError) {
        throw new KilnError(e.kind, e.message, { file, line: (typeof line === 'function' ? line() : line) ?? e.line, hint: e.hint });
      }
      throw e;
    }
  }

  /** Renders every string in a parsed YAML tree, except under keys in `skip`. */
  renderTree(data: unknown, yaml: YamlFile, skip: ReadonlySet<string> = new Set(), path: Array<string | number> = []): unknown {
    if (typeof data === 'string') return this.render(data, yaml.file, () => yaml.lineOf(path));
    if (Array.isArray(data)) return data.map((v, i) => this.renderTree(v, yaml, skip, [...path, i]));
    if (data && typeof data === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) out[k] = skip.has(k) ? v : this.renderTree(v, yaml, skip, [...path, k]);
      return out;
    }
    return data;
  }
}

/**
 * The files whose values may read `DBT_ENV_SECRET_*` variables, as in dbt: the connection
 * (profiles.yml) and package downloads (packages.yml, dependencies.yml, and package-lock.yml,
 * which keeps a git URL as written and is rendered again on install). A ValueRenderer wired
 * with `envVar` applies this rule by the file it renders; properties YAML is rendered with the
 * template context's env_var, which never reads secrets, whatever the file is called.
 */
const SECRET_READERS = new Set(['profiles.yml', 'packages.yml', 'dependencies.yml', 'package-lock.yml']);

function readsSecrets(file: string): boolean {
  return SECRET_READERS.has(basename(file));
}

/** The error for env_var() of a secret where secrets are not allowed; the caller adds the file. */
export function secretEnvVarError(name: string, kind: ErrorKind = 'config'): KilnError {
  const message =
    `env_var('${name}') reads a secret: variables named DBT_ENV_SECRET_* can be read only in profiles.yml ` +
    'and packages.yml, not in models, macros, properties YAML or dbt_project.yml';
  return new KilnError(kind, message, {
    hint:
      'secrets are for connections and package downloads, so their values never reach compiled SQL, artifacts or logs; ' +
      `read it in profiles.yml (for example password: "{{ env_var('${name}') }}"), ` +
      'or give the variable a name without the DBT_ENV_SECRET_ prefix if it is not a secret',
  });
}

function readEnvVar(name: string, fallback: unknown): unknown {
  const v = process.env[name];
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

/**
 * Where secrets are allowed. A set secret renders as a placeholder naming the variable, and
 * the renderer puts the value in after Jinja has finished, so no filter or expression inside
 * the template ever sees (or slices, or prints) the value itself.
 */
function secretEnvVar(name: string, fallback?: unknown): unknown {
  if (isSecretEnvVarName(String(name)) && process.env[name] !== undefined) return secretPlaceholder(name);
  return readEnvVar(name, fallback);
}

const PLACEHOLDER_START = '$$$DBT_SECRET_START$$$';
const PLACEHOLDER_END = '$$$DBT_SECRET_END$$$';
const PLACEHOLDER = /\$\$\$DBT_SECRET_START\$\$\$(DBT_ENV_SECRET_[^$]*)\$\$\$DBT_SECRET_END\$\$\$/g;

function secretPlaceholder(name: string): string {
  return `${PLACEHOLDER_START}${name}${PLACEHOLDER_END}`;
}

/** A rendered value with each secret placeholder replaced by the variable's value. */
function revealSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.includes(PLACEHOLDER_START) ? value.replace(PLACEHOLDER, (whole, name: string) => process.env[name] ?? whole) : value;
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}
