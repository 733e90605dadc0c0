/**
 * The template engine as kiln's stages use it: kiln's Jinja2 engine (src/template/jinja/)
 * with dbt's macro model on top. Every macro file's macros are callable by name (the root
 * project's and kiln's own unprefixed, every package's as `package.name`); a template of a
 * package sees its package's macros before the globals. Rendering is synchronous, so the
 * values that belong to one node (ref, this, config, ...) are installed as globals right
 * before its render.
 */
import { KilnError } from '../errors.js';
import { JinjaEnvironment, JinjaTemplate, MacroReturn, errorSite } from './jinja/index.js';
import { observeMacroCalls } from './jinja/runtime.js';
import { noteMacroFile, noteVolatile, recording } from './render-reads.js';
import { jinjaGlobals } from './jinja/globals.js';
import { JinjaError, isPyFunction, pyFunction, toHost } from './jinja/values.js';
import { pyStr } from './jinja/repr.js';
import { parseTemplate } from './jinja/parser.js';
import { builtinGlobals } from './builtins.js';
import { macroFileHash, prebuiltMacroStatements } from './macro-trees.js';

export type Scope = Record<string, unknown>;
export type Template = JinjaTemplate;

export interface MacroInfo {
  name: string;
  packageName: string;
  file: string;
  /** Line of the macro's opening tag, for the manifest and error messages. */
  line: number;
  source: string;
}

export type MacroFn = (...a: unknown[]) => unknown;

/** The file each registered macro came from, so a recorded render knows which macro files it used. */
const macroFiles = new WeakMap<object, string>();
observeMacroCalls((macro) => {
  if (!recording()) return;
  const file = macroFiles.get(macro as object);
  if (file !== undefined) noteMacroFile(file);
});

export class TemplateEngine {
  private readonly jinja = new JinjaEnvironment();
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
  private readonly templateNamespaces = new WeakMap<JinjaTemplate, Record<string, MacroFn>>();
  /** Each registered macro file's content hash: what a cached render that called its macros depends on. */
  readonly macroFileHashes = new Map<string, string>();
  /** Parameters of macros, read from their source once (generic tests check their arguments). */
  private readonly parameters = new WeakMap<MacroInfo, Array<{ name: string; required: boolean }>>();

  /**
   * With `native` (rendering YAML values), dbt's `as_bool`, `as_number` and `as_native` convert
   * their text to a value; in SQL they mark text and leave it text, as in dbt.
   */
  constructor(globals: Scope = {}, opts: { native?: boolean } = {}) {
    if (!opts.native)
      for (const name of ['as_bool', 'as_number', 'as_native'])
        this.jinja.filters[name] = (_env, value) => pyStr(value);
    Object.assign(this.globals, jinjaGlobals(), builtinGlobals(), globals, {
      return: pyFunction('return', (pos) => {
        throw new MacroReturn(pos[0] ?? null);
      }),
    });
  }

  /** The globals every template sees; node values are installed here before each render. */
  get globals(): Scope {
    return this.jinja.globals;
  }

  setGlobal(name: string, value: unknown): void {
    this.jinja.globals[name] = value;
  }

  /** Compiles a template eagerly so syntax errors surface at parse time with file and line. */
  compile(source: string, file: string): JinjaTemplate {
    let template: JinjaTemplate;
    try {
      template = this.jinja.compile(source, file);
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
      ns = {};
      this.namespaces.set(name, ns);
      if (this.globals[name] === undefined) this.globals[name] = ns;
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
  render(template: JinjaTemplate, scope: Scope, file: string): string {
    this.install(scope);
    try {
      return this.jinja.render(template, this.templateNamespaces.get(template));
    } catch (e) {
      throw toTemplateError(e, file);
    }
  }

  /** As render, with the template line of each output line (index 0 is line 1), for errors that point at the source. */
  renderWithSourceLines(
    template: JinjaTemplate,
    scope: Scope,
    file: string,
  ): { text: string; sourceLines: () => number[] } {
    this.install(scope);
    try {
      return this.jinja.renderWithSourceLines(template, this.templateNamespaces.get(template));
    } catch (e) {
      throw toTemplateError(e, file);
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
      return toHost(fn(...args));
    } catch (e) {
      throw toTemplateError(e, info?.file ?? name);
    }
  }

  /** A registered macro's info: `name` unprefixed, or in the namespace of `pkg` (`dbt` for kiln's). */
  macroInfo(name: string, pkg?: string): MacroInfo | undefined {
    return pkg === undefined ? this.macros.get(name) : this.packageMacros.get(pkg)?.get(name);
  }

  /** The parameters of a registered macro as written: each name, and whether it has a default. */
  macroParameters(info: MacroInfo): Array<{ name: string; required: boolean }> {
    let params = this.parameters.get(info);
    if (!params) {
      const def = parseTemplate(info.source).find((s) => s.kind === 'macro');
      params =
        def && def.kind === 'macro'
          ? def.macro.params.map((p) => ({ name: p.name, required: p.dflt === undefined }))
          : [];
      this.parameters.set(info, params);
    }
    return params;
  }

  hasMacro(name: string): boolean {
    return this.lookupMacro(name) !== undefined || this.macros.has(name);
  }

  /**
   * Registers every macro (and `{% test %}` / `{% materialization %}` block) of a file under
   * its package's namespace (kiln's own under `dbt`). As in dbt, only the macro blocks of a
   * macro file run, never the text around them. With `global` (kiln's and the root project's
   * files) they are also callable without a prefix; a later registration of the same name
   * wins, so project macros override kiln's.
   */
  registerMacroFile(
    source: string,
    file: string,
    packageName: string,
    opts: { global?: boolean; namespace?: string } = {},
  ): MacroInfo[] {
    const global = opts.global ?? true;
    const nsName = opts.namespace ?? (packageName === 'kiln' ? 'dbt' : packageName);
    const ns = this.namespace(nsName);
    const hash = macroFileHash(source);
    let defined: Array<[string, unknown]>;
    try {
      // A tree made at build time is one of kiln's files, each of which compiles (test/macro-trees.test.ts): its
      // macros' bodies are compiled when first called, since a process calls few of kiln's hundreds.
      const parsed = prebuiltMacroStatements(hash);
      const template = this.jinja.compile(source, file, { macrosOnly: true, parsed, macroBodiesOnCall: !!parsed });
      defined = [...template.execute(this.jinja.state, global ? undefined : ns).frame.entries()];
    } catch (e) {
      throw toTemplateError(e, file);
    }
    this.macroFileHashes.set(file, hash);
    let byName = this.packageMacros.get(nsName);
    if (!byName) this.packageMacros.set(nsName, (byName = new Map<string, MacroInfo>()));
    const infos: MacroInfo[] = [];
    const openings = macroOpenings(source);
    for (const [name, fn] of defined) {
      if (!isPyFunction(fn)) continue;
      const place = macroPlace(source, openings, name);
      const info = { name, packageName, file, line: place.line, source: place.text };
      ns[name] = fn;
      macroFiles.set(fn, file);
      byName.set(name, info);
      if (global) {
        this.globals[name] = fn;
        this.macros.set(name, info);
      }
      infos.push(info);
    }
    return infos;
  }

  /**
   * The first macro a macro file defines twice, with both lines (dbt refuses such a file;
   * Jinja alone would keep the later one). Opening tags are searched first, so only a file
   * that seems to repeat a name is parsed again, and a tag inside a comment is not counted.
   */
  repeatedMacroInFile(source: string): { name: string; lines: [number, number] } | undefined {
    const seen = new Set<string>();
    let repeated = false;
    for (const m of source.matchAll(
      /\{%[-+]?\s*(?:(macro|test)\s+(\w+)|materialization\s+(\w+)\s*,\s*(?:adapter\s*=\s*['"](\w+)['"]|default))/g,
    )) {
      const name = m[3] ? `materialization_${m[3]}_${m[4] ?? 'default'}` : `${m[1] === 'test' ? 'test_' : ''}${m[2]}`;
      if (seen.has(name)) repeated = true;
      seen.add(name);
    }
    if (!repeated) return undefined;
    const firstLine = new Map<string, number>();
    for (const stmt of parseTemplate(source)) {
      if (stmt.kind !== 'macro') continue;
      const first = firstLine.get(stmt.macro.name);
      if (first !== undefined) return { name: stmt.macro.name, lines: [first, stmt.macro.line] };
      firstLine.set(stmt.macro.name, stmt.macro.line);
    }
    return undefined;
  }

  /**
   * Makes reading these globals mark a recorded render as per-invocation (invocation_id,
   * run_started_at, ...): the value stays what was set, through setGlobal as before.
   */
  watchGlobals(names: string[]): void {
    const g = this.globals;
    for (const name of names) {
      let value: unknown = g[name];
      Object.defineProperty(g, name, {
        configurable: true,
        enumerable: true,
        get: () => {
          if (recording()) noteVolatile(name);
          return value;
        },
        set: (v: unknown) => {
          value = v;
        },
      });
    }
  }

  /**
   * Installs a node's values as globals. A value its scope makes on first read (`LazyValue`)
   * is installed unread, so a macro that never reads it never pays for it.
   */
  install(scope: Scope): void {
    const g = this.globals;
    for (const k in scope) {
      const value = scope[k];
      if (value instanceof LazyValue) this.installLazy(k, value);
      else g[k] = value;
    }
  }

  /** Installed lazy values by global name, read through the accessor installLazy defines once per name. */
  private readonly lazyGlobals = new Map<string, LazyValue | undefined>();

  private installLazy(name: string, value: LazyValue): void {
    const lazy = this.lazyGlobals;
    if (!lazy.has(name)) {
      // Defined once per name (redefining a property per render costs more than the value saves).
      let plain: unknown = this.globals[name];
      Object.defineProperty(this.globals, name, {
        enumerable: true,
        configurable: true,
        get: () => {
          const current = lazy.get(name);
          return current ? current.value : plain;
        },
        // A plain value installed or set later replaces the lazy one.
        set: (v: unknown) => {
          if (v instanceof LazyValue) lazy.set(name, v);
          else {
            lazy.set(name, undefined);
            plain = v;
          }
        },
      });
    }
    lazy.set(name, value);
  }
}

/**
 * A scope value made on its first read, then kept: `TemplateEngine.install` installs it unread,
 * and a template that never reads it never makes it. Code that reads a scope itself takes
 * `.value` (see `scopeValue`).
 */
export class LazyValue {
  private made = false;
  private result: unknown;

  constructor(private readonly make: () => unknown) {}

  get value(): unknown {
    if (!this.made) {
      this.result = this.make();
      this.made = true;
    }
    return this.result;
  }
}

/** A scope's value as a template sees it: a lazy one made. */
export function scopeValue(scope: Scope, key: string): unknown {
  const value = scope[key];
  return value instanceof LazyValue ? value.value : value;
}

/**
 * Where each macro of a file opens, from one scan of it: the offset of the first opening tag under the name it
 * registers (`test_x` for `{% macro test_x(` and `{% test x(`; `materialization x` for `{% materialization x, ... %}`,
 * whatever its adapter) and the offsets of the file's newlines, for lines.
 */
function macroOpenings(source: string): { at: Map<string, number>; newlines: number[] } {
  const at = new Map<string, number>();
  for (const m of source.matchAll(/\{%[-+]?\s*(?:(macro|test)\s+(\w+)\s*\(|materialization\s+(\w+)\s*,)/g)) {
    const key = m[3] !== undefined ? `materialization ${m[3]}` : m[1] === 'test' ? `test_${m[2]}` : m[2]!;
    if (!at.has(key)) at.set(key, m.index);
  }
  const newlines: number[] = [];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) newlines.push(i);
  return { at, newlines };
}

/** Where a macro is written in its file: the line of its opening tag, and its text from that tag to its end tag. */
function macroPlace(
  source: string,
  openings: ReturnType<typeof macroOpenings>,
  name: string,
): { line: number; text: string } {
  const mat = /^materialization_(.+)_([^_]+)$/.exec(name);
  const start = openings.at.get(mat ? `materialization ${mat[1]}` : name);
  if (start === undefined) return { line: 1, text: '' };
  // 1 + the newlines before the tag: a binary search, since a file holds tens of macros.
  const { newlines } = openings;
  let lo = 0;
  let hi = newlines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (newlines[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  const end = /\{%[-+]?\s*end(macro|test|materialization)\s*[-+]?%\}/g;
  end.lastIndex = start;
  const e = end.exec(source);
  return { line: lo + 1, text: e ? source.slice(start, e.index + e[0].length) : source.slice(start) };
}

/** Turns an error escaping a render into a KilnError naming the user's file and line. */
export function toTemplateError(e: unknown, file: string): KilnError {
  const site = errorSite(e);
  if (e instanceof KilnError) {
    if (e.file && (e.line || !site || site.file !== e.file)) return e;
    return new KilnError(e.kind, e.message, {
      file: e.file ?? site?.file ?? file,
      line: e.line ?? site?.line,
      column: e.column,
      hint: e.hint,
      cause: e.cause,
      retryable: e.retryable,
    });
  }
  if (e instanceof MacroReturn) return new KilnError('template', 'return() called outside a macro', { file });
  if (e instanceof JinjaError) {
    const label = e.pyType === 'TemplateSyntaxError' || e.pyType === 'UndefinedError' ? '' : `${e.pyType}: `;
    // `dbt_utils.star(...)` with dbt_utils not installed reads as an undefined name.
    const undefinedName = e.pyType === 'UndefinedError' ? /^'(\w+)' is undefined$/.exec(e.message)?.[1] : undefined;
    const hint = undefinedName
      ? `if '${undefinedName}' is a package, list it in packages.yml and run \`kiln deps\``
      : undefined;
    return new KilnError('template', `${label}${e.message}`, {
      file: site?.file ?? file,
      line: site?.line ?? e.lineno,
      hint,
    });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    // Recursion the macro depth limit does not see (a filter or method calling back into a template).
    return new KilnError('template', 'the template recurses too deeply: the call stack ran out', {
      file: site?.file ?? file,
      line: site?.line,
      hint: 'look for a macro or filter that calls itself without end',
    });
  }
  const message = (e as Error)?.message ?? String(e);
  return new KilnError('template', message || 'template error', {
    file: site?.file ?? file,
    line: site?.line,
    cause: e,
  });
}
