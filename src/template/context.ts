/**
 * The dbt context a model sees while it renders. Invocation-wide values are built once;
 * node values (ref, source, config, this) are added per render by the parser and compiler.
 */
import { KilnError } from '../errors.js';
import { envVar, secretEnvVarError } from './env-var.js';
import { isSecretEnvVarName } from '../secrets.js';
import type { Scope } from './engine.js';
import type { TemplateEngine } from './engine.js';
import { pyStr as pythonStr } from './jinja/repr.js';
import type { Adapter } from '../adapters/types.js';
import { Relation, type RelationType } from '../adapters/relation.js';
import { modules, PyDateTime, PyTimezone } from './modules/index.js';
import { warehouseScope, type WarehouseBridge } from './warehouse.js';
import { CALL, fromHost, splitKwargs, toHost, type Kwargs } from './jinja/values.js';
import { noteVolatile } from './render-reads.js';

export interface InvocationInfo {
  projectName: string;
  adapterType: string;
  target: Record<string, unknown>;
  /** var() lookup: CLI vars, then the package's vars, then global project vars. */
  vars: (name: string) => { found: boolean; value?: unknown };
  invocationId: string;
  runStartedAt: Date;
  flags: Record<string, unknown>;
  /** Where `log()` and `print()` go; `print` marks a print(), which dbt shows even under --quiet. */
  log: (message: string, level?: 'print') => void;
  quoteIdentifier: (name: string) => string;
  /** `dispatch:` in dbt_project.yml: per macro namespace, the packages to search in order. */
  dispatchOrder?: Record<string, string[]>;
  /** var() lookup for nodes of an installed package (its own dbt_project.yml vars apply). */
  varsFor?: (packageName: string) => InvocationInfo['vars'];
  /** For `api.Relation.create` and the warehouse methods of `adapter`. */
  adapter?: Adapter;
  /** The synchronous path to the warehouse while rendering; absent, queries are an error. */
  warehouse?: WarehouseBridge;
  /**
   * Renders a var's text that holds Jinja, when var() returns it (dbt renders vars at use, so
   * `insert_batch_size: "{{ 500 if target.type == 'bigquery' else 10000 }}"` is a number's text).
   */
  renderVar?: (text: string) => string;
  /** Installed packages, for `builtins.ref.config.dependencies` (elementary reads its own version there). */
  packages?: Array<{ name: string; version?: string }>;
}

/**
 * What dbt's `builtins.ref.config` (the RuntimeConfig) tells templates: the project's name
 * and its installed packages with their versions.
 */
function runtimeConfig(info: InvocationInfo): Record<string, unknown> {
  const dependencies: Record<string, unknown> = {};
  for (const p of info.packages ?? []) dependencies[p.name] = { project_name: p.name, version: p.version ?? null };
  return {
    project_name: info.projectName,
    target_name: info.target.name ?? null,
    profile_name: info.target.profile_name ?? null,
    dependencies,
  };
}

/**
 * env_var() in models, macros, tests and properties YAML: a `DBT_ENV_SECRET_*` name is a
 * template error at the calling line (dbt allows secrets only in profiles.yml and packages.yml).
 * A function of its own, so a properties file called profiles.yml is not read as a profile.
 */
function templateEnvVar(name: string, fallback?: unknown): unknown {
  if (isSecretEnvVarName(String(name))) throw secretEnvVarError(String(name), 'template');
  return envVar(name, fallback);
}

/** Generic type names to a spelling each warehouse accepts, as dbt's Column.translate_type (per adapter) gives them. */
const typeNames: Record<string, string> = {
  string: 'text',
  text: 'text',
  timestamp: 'timestamp',
  float: 'float',
  integer: 'integer',
  int: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
  numeric: 'numeric',
};
const typeNamesByAdapter: Record<string, Record<string, string>> = {
  // BigQuery takes integer, bigint and boolean as aliases, but has no text and no float.
  bigquery: { ...typeNames, string: 'string', text: 'string', float: 'float64' },
};

/** Adapters whose macros fall back to another adapter's before `default__` (as dbt's adapter plugins declare). */
const adapterParents: Record<string, string[]> = { redshift: ['postgres'], materialize: ['postgres'] };

export function invocationScope(info: InvocationInfo, engine: TemplateEngine): Scope {
  const isExecuting = () => engine.globals.execute === true;
  const wh = warehouseScope(info.warehouse, info.adapter, isExecuting);
  const quote = (n: string) => info.quoteIdentifier(n);
  // A render replayed for warehouse answers logs once, when it completes.
  // A render that logs is never reused from a cache: its output would go missing.
  const say = (message: string, level?: 'print') => (
    noteVolatile('log'),
    info.warehouse ? info.warehouse.effect(() => info.log(message, level)) : info.log(message, level)
  );
  const adapter = {
    type: () => info.adapterType,
    quote: (name: string) => quote(name),
    quote_as_configured: (name: string) => quote(name),
    quote_seed_column: (name: string) => quote(name),
    dispatch: (name: string, namespace?: string) => dispatchMacro(engine, info.adapterType, name, namespace, info),
    ...wh.adapterMethods,
  };
  const relationCreate = (...args: unknown[]) => {
    const [pos, kw = {}] = splitKwargs(args);
    const part = (k: string, i: number) => (kw[k] ?? pos[i] ?? undefined) as string | undefined;
    const type = (kw.type ?? 'table') as RelationType;
    return info.adapter
      ? info.adapter.relation(part('database', 0), part('schema', 1), part('identifier', 2) ?? '', type)
      : new Relation(part('database', 0), part('schema', 1), part('identifier', 2) ?? '', quote, type);
  };
  return {
    target: info.target,
    project_name: info.projectName,
    env_var: templateEnvVar,
    invocation_id: info.invocationId,
    run_started_at: PyDateTime.fromDate(info.runStartedAt, new PyTimezone('UTC')),
    flags: info.flags,
    adapter,
    api: {
      Relation: { create: relationCreate, add_ephemeral_prefix: (name: string) => `__dbt__cte__${name}` },
      Column: {
        create: (name: string, dtype: string) => ({ name, data_type: dtype, column: name, dtype }),
        translate_type: (t: string) =>
          (typeNamesByAdapter[info.adapterType] ?? typeNames)[String(t).toLowerCase()] ?? t,
        string_type: (size: number) => `character varying(${size})`,
        numeric_type: (dtype: string, precision?: number, scale?: number) =>
          precision === undefined || precision === null ? dtype : `${dtype}(${precision},${scale ?? 0})`,
      },
    },
    modules,
    statement: wh.statement,
    load_result: wh.load_result,
    store_result: wh.store_result,
    run_query: wh.run_query,
    selected_resources: [],
    dbt_version: '1.9.0',
    thread_id: 'Thread-1',
    builtins: {
      // dbt's builtins.ref also carries the RuntimeConfig as `.config`.
      ref: Object.assign((...args: unknown[]) => (engine.globals.ref as (...a: unknown[]) => unknown)(...args), {
        config: runtimeConfig(info),
      }),
      get source() {
        return engine.globals.source;
      },
      get config() {
        return engine.globals.config;
      },
    },
    log: (msg: unknown, infoLevel = false) => {
      if (infoLevel === true || (infoLevel as unknown as { info?: boolean })?.info) say(pythonStr(msg));
      return '';
    },
    print: (msg: unknown) => {
      say(pythonStr(msg), 'print');
      return '';
    },
    exceptions: {
      raise_compiler_error: (msg: unknown) => {
        throw new KilnError('template', pythonStr(msg));
      },
      raise_not_implemented: (msg: unknown) => {
        throw new KilnError('template', `not implemented: ${pythonStr(msg)}`);
      },
      warn: (msg: unknown) => {
        say(`warning: ${pythonStr(msg)}`);
        return '';
      },
    },
  };
}

/**
 * dbt's adapter.dispatch: for each package to search (the `dispatch:` search order for the
 * namespace, else the root project then the namespace; without a namespace, the names
 * callable unprefixed), try `<adapter>__name` then `default__name`.
 */
export function dispatchMacro(
  engine: TemplateEngine,
  adapterType: string,
  name: string,
  namespace?: string,
  info?: Pick<InvocationInfo, 'projectName' | 'dispatchOrder'>,
): unknown {
  const prefixes = [adapterType, ...(adapterParents[adapterType] ?? []), 'default'];
  const packages: Array<string | null> = namespace
    ? (info?.dispatchOrder?.[namespace] ?? [info?.projectName ?? null, namespace])
    : [null];
  for (const pkg of packages) {
    for (const prefix of prefixes) {
      const candidate = `${prefix}__${name}`;
      const fn = pkg === null ? engine.lookupMacro(candidate) : engine.namespaces.get(pkg)?.[candidate];
      if (typeof fn === 'function') return fn;
    }
  }
  // A namespace kiln does not know (or a project that names itself): fall back to unprefixed names.
  for (const prefix of prefixes) {
    const fn = engine.lookupMacro(`${prefix}__${name}`);
    if (typeof fn === 'function') return fn;
  }
  throw new KilnError(
    'template',
    `no implementation of macro '${name}'${namespace ? ` in namespace '${namespace}'` : ''} ` +
      `for adapter '${adapterType}'`,
    {
      hint: `define ${adapterType}__${name} or default__${name}`,
    },
  );
}

/**
 * The context functions that are macros of dbt's global project, reachable as `dbt.run_query`
 * as well (elementary calls `dbt.run_query`); read at call time, since some change per node.
 */
export function exposeContextMacros(engine: TemplateEngine): void {
  const ns = engine.namespace('dbt');
  for (const name of [
    'run_query',
    'statement',
    'is_incremental',
    'should_full_refresh',
    'should_store_failures',
    'load_result',
    'store_result',
  ]) {
    if (Object.prototype.hasOwnProperty.call(ns, name)) continue;
    Object.defineProperty(ns, name, { get: () => engine.globals[name], enumerable: true, configurable: true });
  }
}

/** `var('x')` / `var('x', default)` for one node. */
export function varFunction(
  info: InvocationInfo,
  where: { file: string; node: string },
): (name: string, dflt?: unknown) => unknown {
  // Nodes of an installed package also see the vars its own dbt_project.yml declares.
  const pkg = where.node.split('.')[1];
  const lookup = pkg && pkg !== info.projectName && info.varsFor ? info.varsFor(pkg) : info.vars;
  const fn = (name: string, dflt?: unknown) => {
    const hit = lookup(name);
    if (hit.found)
      return typeof hit.value === 'string' && info.renderVar && /\{[{%]/.test(hit.value)
        ? info.renderVar(hit.value)
        : hit.value;
    if (dflt !== undefined) return dflt;
    throw new KilnError('template', `required var '${name}' not found (used by ${where.node})`, {
      file: where.file,
      hint: `define it under vars: in dbt_project.yml, pass --vars '{${name}: ...}', or give var() a default`,
    });
  };
  fn.has = (name: string) => lookup(name).found;
  // The engine hands host functions plain numbers, so a default of 3.0 would come back as 3. var()
  // returns its default as given (as dbt does), so it takes the engine's own values; `default=` too.
  Object.defineProperty(fn, CALL, {
    value: (pos: unknown[], kw: Kwargs) =>
      fromHost(fn(toHost(pos[0]) as string, pos.length > 1 ? pos[1] : kw && 'default' in kw ? kw.default : undefined)),
  });
  return fn;
}

/** A `config` object that is callable, with dbt's `config.get` and `config.require`. */
export function configObject(
  record: (kwargs: Record<string, unknown>) => void,
  current: () => Record<string, unknown>,
  file: string,
) {
  const fn = (...args: unknown[]) => {
    for (const a of args) if (a && typeof a === 'object') record({ ...(a as Record<string, unknown>) });
    return '';
  };
  fn.get = (key: string, dflt: unknown = null) => {
    const v = current()[key];
    return v === undefined ? dflt : v;
  };
  fn.require = (key: string) => {
    const v = current()[key];
    if (v === undefined) throw new KilnError('template', `config '${key}' is required`, { file });
    return v;
  };
  return fn;
}
