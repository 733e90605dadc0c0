import { basename } from 'node:path';
import { TemplateEngine, type Scope } from '../template/engine.js';
import { KilnError } from '../errors.js';
import { envVar, readEnvVar } from '../template/env-var.js';
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
        throw new KilnError(e.kind, e.message, {
          file,
          line: (typeof line === 'function' ? line() : line) ?? e.line,
          hint: e.hint,
        });
      }
      throw e;
    }
  }

  /** Renders every string in a parsed YAML tree, except under keys in `skip`. */
  renderTree(
    data: unknown,
    yaml: YamlFile,
    skip: ReadonlySet<string> = new Set(),
    path: Array<string | number> = [],
  ): unknown {
    if (typeof data === 'string') return this.render(data, yaml.file, () => yaml.lineOf(path));
    if (Array.isArray(data)) return data.map((v, i) => this.renderTree(v, yaml, skip, [...path, i]));
    // A plain mapping; other objects (a var's float, 2.0) are values, kept as they are.
    if (data && typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data))
        out[k] = skip.has(k) ? v : this.renderTree(v, yaml, skip, [...path, k]);
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
  if (typeof value === 'string')
    return value.includes(PLACEHOLDER_START)
      ? value.replace(PLACEHOLDER, (whole, name: string) => process.env[name] ?? whole)
      : value;
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}
