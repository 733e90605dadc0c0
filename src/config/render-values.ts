import { TemplateEngine, type Scope } from '../template/engine.js';
import { KilnError } from '../errors.js';
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
    const single = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(value);
    try {
      if (single && !single[1]!.includes('}}')) {
        let captured: unknown;
        const template = this.engine.compile(`{{ __kiln_capture(${single[1]}) }}`, file);
        this.engine.render(template, { ...this.scope, __kiln_capture: (v: unknown) => ((captured = v), '') }, file);
        return captured;
      }
      return this.engine.render(this.engine.compile(value, file), this.scope, file);
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

/** `env_var('X', 'default')`: missing without a default is an error naming the variable. */
export function envVar(name: string, fallback?: unknown): unknown {
  const v = process.env[name];
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  throw new KilnError('config', `environment variable '${name}' is not set and env_var() was given no default`, {
    hint: `export ${name}=... or call env_var('${name}', 'default')`,
  });
}
