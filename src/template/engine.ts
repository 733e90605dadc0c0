/**
 * The nunjucks environment kiln renders with: Jinja-compatible, no autoescape, macros from
 * every macro file callable by name. Rendering is synchronous, so the values that belong to
 * one node (ref, this, config, ...) are installed as globals right before its render.
 */
import nunjucks from 'nunjucks';
import { KilnError } from '../errors.js';
import { applyJinjaCompat, preprocessJinja, MacroReturn, takeFailedCall } from './jinja-compat.js';
import { registerFilters } from './filters.js';
import { builtinGlobals } from './builtins.js';
import { installNamespaceLookup, namespaceKey } from './namespaces.js';

applyJinjaCompat();
installNamespaceLookup();

export type Scope = Record<string, unknown>;

export interface MacroInfo {
  name: string;
  packageName: string;
  file: string;
  /** Line of the macro's opening tag, for the manifest and error messages. */
  line: number;
  source: string;
}

export type MacroFn = (...a: unknown[]) => unknown;

export class TemplateEngine {
  readonly env: nunjucks.Environment;
  /** Macros callable without a prefix: kiln's built-ins and the root project's. */
  readonly macros = new Map<string, MacroInfo>();
  /**
   * Macros by namespace, as `pkg.name` reaches them: kiln's built-ins under `dbt`, each
   * package's (and the root project's) under its project name.
   */
  readonly namespaces = new Map<string, Record<string, MacroFn>>();
  readonly packageMacros = new Map<string, Map<string, MacroInfo>>();
  /** Folder prefixes (relative paths) of installed packages, for package-local macro lookup. */
  private readonly packageFolders: Array<[string, string]> = [];
  private readonly templateNamespaces = new WeakMap<object, Record<string, MacroFn>>();
  private readonly baseGlobals: Scope;

  constructor(globals: Scope = {}) {
    this.env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
    registerFilters(this.env);
    this.baseGlobals = {
      ...builtinGlobals(),
      ...globals,
      return: (value: unknown) => {
        throw new MacroReturn(value);
      },
    };
    for (const [k, v] of Object.entries(this.baseGlobals)) this.env.addGlobal(k, v);
  }

  /** Compiles a template eagerly so syntax errors surface at parse time with file and line. */
  compile(source: string, file: string): nunjucks.Template {
    let template: nunjucks.Template;
    try {
      template = new nunjucks.Template(preprocessJinja(source), this.env, file, true);
    } catch (e) {
      throw toTemplateError(e, file);
    }
    const pkg = this.packageOfFile(file);
    if (pkg) this.templateNamespaces.set(template, this.namespace(pkg));
    return template;
  }

  /** Files under `folder` belong to package `name`: their unprefixed calls see its macros first. */
  addPackageFolder(folder: string, name: string): void {
    this.packageFolders.push([folder.endsWith('/') ? folder : folder + '/', name]);
  }

  packageOfFile(file: string): string | undefined {
    for (const [folder, name] of this.packageFolders) if (file.startsWith(folder)) return name;
    return undefined;
  }

  /** The namespace object of a package (created empty, and reachable as a global, on first use). */
  namespace(name: string): Record<string, MacroFn> {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = Object.create(null) as Record<string, MacroFn>;
      this.namespaces.set(name, ns);
      if (!(name in this.globals) || this.globals[name] === undefined) this.env.addGlobal(name, ns);
    }
    return ns;
  }

  /** A macro by `name` or `pkg.name`. */
  lookupMacro(name: string): MacroFn | undefined {
    const dot = name.indexOf('.');
    if (dot > 0) {
      const fn = this.namespaces.get(name.slice(0, dot))?.[name.slice(dot + 1)];
      if (typeof fn === 'function') return fn;
    }
    const fn = this.globals[name];
    return typeof fn === 'function' ? (fn as MacroFn) : undefined;
  }

  /** Renders synchronously with `scope` installed as globals for macros to see. */
  render(template: nunjucks.Template, scope: Scope, file: string): string {
    this.install(scope);
    takeFailedCall();
    try {
      const ns = this.templateNamespaces.get(template);
      return template.render(ns ? { [namespaceKey]: ns } : {});
    } catch (e) {
      throw toTemplateError(e, file, (template as unknown as { tmplStr?: string }).tmplStr);
    }
  }

  /** Calls a registered macro by name with `scope` installed. */
  callMacro(name: string, args: unknown[], scope: Scope = {}): unknown {
    const fn = this.lookupMacro(name);
    if (typeof fn !== 'function') throw new KilnError('template', `macro '${name}' is not defined`);
    this.install(scope);
    const dot = name.indexOf('.');
    const info = dot > 0 ? this.packageMacros.get(name.slice(0, dot))?.get(name.slice(dot + 1)) : this.macros.get(name);
    try {
      return fn(...args);
    } catch (e) {
      throw toTemplateError(e, info?.file ?? name);
    }
  }

  hasMacro(name: string): boolean {
    return this.lookupMacro(name) !== undefined || this.macros.has(name);
  }

  /** nunjucks keeps globals on the environment; its typings do not say so. */
  get globals(): Scope {
    return (this.env as unknown as { globals: Scope }).globals;
  }

  /**
   * Registers every macro (and `{% test %}` block) of a file under its package's namespace
   * (kiln's own under `dbt`). With `global` (kiln's and the root project's files) they are
   * also callable without a prefix; a later registration of the same name wins, so project
   * macros override kiln's.
   */
  registerMacroFile(source: string, file: string, packageName: string, opts: { global?: boolean; namespace?: string } = {}): MacroInfo[] {
    const global = opts.global ?? true;
    const nsName = opts.namespace ?? (packageName === 'kiln' ? 'dbt' : packageName);
    const ns = this.namespace(nsName);
    const template = this.compile(source, file);
    let exported: Record<string, unknown> = {};
    try {
      (template as any).getExported(global ? {} : { [namespaceKey]: ns }, null, (err: unknown, exp: Record<string, unknown>) => {
        if (err) throw err;
        exported = exp;
      });
    } catch (e) {
      throw toTemplateError(e, file);
    }
    let byName = this.packageMacros.get(nsName);
    if (!byName) this.packageMacros.set(nsName, (byName = new Map()));
    const infos: MacroInfo[] = [];
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      const info = { name, packageName, file, line: lineOfMacro(source, name), source: macroSource(source, name) };
      ns[name] = fn as MacroFn;
      byName.set(name, info);
      if (global) {
        this.env.addGlobal(name, fn);
        this.macros.set(name, info);
      }
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
