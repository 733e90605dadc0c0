/**
 * The nunjucks environment kiln renders with: Jinja-compatible, no autoescape, macros from
 * every macro file callable by name. Rendering is synchronous, so the values that belong to
 * one node (ref, this, config, ...) are installed as globals right before its render.
 */
import nunjucks from 'nunjucks';
import { KilnError } from '../errors.js';
import { applyJinjaCompat, preprocessJinja, MacroReturn, takeFailedCall } from './jinja-compat.js';
import { registerFilters } from './filters.js';

applyJinjaCompat();

export type Scope = Record<string, unknown>;

export interface MacroInfo {
  name: string;
  packageName: string;
  file: string;
  /** Line of the macro's opening tag, for the manifest and error messages. */
  line: number;
  source: string;
}

export class TemplateEngine {
  readonly env: nunjucks.Environment;
  readonly macros = new Map<string, MacroInfo>();
  private readonly baseGlobals: Scope;

  constructor(globals: Scope = {}) {
    this.env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
    registerFilters(this.env);
    this.baseGlobals = {
      ...globals,
      return: (value: unknown) => {
        throw new MacroReturn(value);
      },
    };
    for (const [k, v] of Object.entries(this.baseGlobals)) this.env.addGlobal(k, v);
  }

  /** Compiles a template eagerly so syntax errors surface at parse time with file and line. */
  compile(source: string, file: string): nunjucks.Template {
    try {
      return new nunjucks.Template(preprocessJinja(source), this.env, file, true);
    } catch (e) {
      throw toTemplateError(e, file);
    }
  }

  /** Renders synchronously with `scope` installed as globals for macros to see. */
  render(template: nunjucks.Template, scope: Scope, file: string): string {
    this.install(scope);
    takeFailedCall();
    try {
      return template.render({});
    } catch (e) {
      throw toTemplateError(e, file, (template as unknown as { tmplStr?: string }).tmplStr);
    }
  }

  /** Calls a registered macro by name with `scope` installed. */
  callMacro(name: string, args: unknown[], scope: Scope = {}): unknown {
    const fn = this.env.getGlobal(name) as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') throw new KilnError('template', `macro '${name}' is not defined`);
    this.install(scope);
    const info = this.macros.get(name);
    try {
      return fn(...args);
    } catch (e) {
      throw toTemplateError(e, info?.file ?? name);
    }
  }

  hasMacro(name: string): boolean {
    return typeof this.globals[name] === 'function' || this.macros.has(name);
  }

  /** nunjucks keeps globals on the environment; its typings do not say so. */
  get globals(): Scope {
    return (this.env as unknown as { globals: Scope }).globals;
  }

  /**
   * Registers every macro (and `{% test %}` block) of a file as a global. A later
   * registration of the same name wins, so project macros override kiln's templates.
   */
  registerMacroFile(source: string, file: string, packageName: string): MacroInfo[] {
    const template = this.compile(source, file);
    let exported: Record<string, unknown> = {};
    try {
      (template as any).getExported({}, (err: unknown, exp: Record<string, unknown>) => {
        if (err) throw err;
        exported = exp;
      });
    } catch (e) {
      throw toTemplateError(e, file);
    }
    const infos: MacroInfo[] = [];
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      this.env.addGlobal(name, fn);
      const info = { name, packageName, file, line: lineOfMacro(source, name), source: macroSource(source, name) };
      this.macros.set(name, info);
      infos.push(info);
    }
    return infos;
  }

  private install(scope: Scope): void {
    const g = this.globals;
    for (const k in scope) g[k] = scope[k];
  }
}

/** Where in the source a failing call stands, found by its name and first argument. */
function lineOfCall(source: string | undefined, call: { name: string; args: unknown[] }): number | undefined {
  if (!source) return undefined;
  // nunjucks names member calls like `exceptions["raise_compiler_error"]`.
  const name = /([A-Za-z_][A-Za-z0-9_]*)\W*$/.exec(call.name)?.[1] ?? call.name;
  const first = typeof call.args[0] === 'string' ? `\\s*['"]${call.args[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]` : '';
  const m = new RegExp(`\\b${name}\\s*\\(${first}`).exec(source);
  return m ? source.slice(0, m.index).split('\n').length : undefined;
}

function lineOfMacro(source: string, name: string): number {
  const bare = name.startsWith('test_') ? name.slice(5) : name;
  const re = new RegExp(`\\{%-?\\s*(macro\\s+${name}|test\\s+${bare})\\s*\\(`);
  const m = re.exec(source);
  return m ? source.slice(0, m.index).split('\n').length : 1;
}

function macroSource(source: string, name: string): string {
  const bare = name.startsWith('test_') ? name.slice(5) : name;
  const re = new RegExp(`\\{%-?\\s*(macro\\s+${name}|test\\s+${bare})\\s*\\([\\s\\S]*?\\{%-?\\s*end(macro|test)\\s*-?%\\}`);
  return re.exec(source)?.[0] ?? '';
}

/** Turns a nunjucks error into a KilnError naming the user's file and line. */
export function toTemplateError(e: unknown, file: string, source?: string): KilnError {
  if (e instanceof KilnError) return e;
  const failed = takeFailedCall();
  if (failed?.error instanceof KilnError) {
    const inner = failed.error;
    return new KilnError(inner.kind, inner.message, { file: inner.file ?? file, line: inner.line ?? lineOfCall(source, failed), hint: inner.hint });
  }
  if (e instanceof MacroReturn) return new KilnError('template', 'return() called outside a macro', { file });
  const err = e as { message?: string; lineno?: number; colno?: number; cause?: unknown };
  let message = String(err?.message ?? e);
  const pos = /\[Line (\d+)(?:, Column (\d+))?\]/.exec(message);
  const inner = err?.cause instanceof KilnError ? err.cause : undefined;
  if (inner) {
    return new KilnError(inner.kind, inner.message, { file: inner.file ?? file, line: inner.line ?? (pos ? Number(pos[1]) : err?.lineno), column: inner.column ?? (pos?.[2] ? Number(pos[2]) : err?.colno), hint: inner.hint });
  }
  // nunjucks prefixes "(path) [Line x, Column y]\n  Error: ..." — keep only the reason.
  message = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\(.*\)( \[Line.*\])?$/.test(l) && !l.startsWith('Template render error'))
    .join(' ')
    .replace(/^(Error|TypeError|ReferenceError):\s*/, '')
    .replace(/^Template render error:\s*/, '');
  const line = pos ? Number(pos[1]) : err?.lineno;
  const column = pos?.[2] ? Number(pos[2]) : err?.colno;
  return new KilnError('template', message || 'template error', { file, line, column });
}
