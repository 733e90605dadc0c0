/**
 * The dbt context a model sees while it renders. Invocation-wide values are built once;
 * node values (ref, source, config, this) are added per render by the parser and compiler.
 */
import { KilnError } from '../errors.js';
import { envVar } from '../config/render-values.js';
import type { Scope } from './engine.js';
import type { TemplateEngine } from './engine.js';
import { pythonStr } from './python-values.js';

export interface InvocationInfo {
  projectName: string;
  adapterType: string;
  target: Record<string, unknown>;
  /** var() lookup: CLI vars, then the package's vars, then global project vars. */
  vars: (name: string) => { found: boolean; value?: unknown };
  invocationId: string;
  runStartedAt: Date;
  flags: Record<string, unknown>;
  log: (message: string) => void;
  quoteIdentifier: (name: string) => string;
}

export function invocationScope(info: InvocationInfo, engine: TemplateEngine): Scope {
  const adapter = {
    type: () => info.adapterType,
    quote: (name: string) => info.quoteIdentifier(name),
    dispatch: (name: string, namespace?: string) => dispatchMacro(engine, info.adapterType, name, namespace),
  };
  return {
    target: info.target,
    project_name: info.projectName,
    env_var: envVar,
    invocation_id: info.invocationId,
    run_started_at: info.runStartedAt,
    flags: info.flags,
    adapter,
    modules: { datetime: { datetime: { now: () => new Date() } } },
    log: (msg: unknown, infoLevel = false) => {
      if (infoLevel === true || (infoLevel as unknown as { info?: boolean })?.info) info.log(pythonStr(msg));
      return '';
    },
    print: (msg: unknown) => {
      info.log(pythonStr(msg));
      return '';
    },
    exceptions: {
      raise_compiler_error: (msg: unknown) => {
        throw new KilnError('template', pythonStr(msg));
      },
      warn: (msg: unknown) => {
        info.log(`warning: ${pythonStr(msg)}`);
        return '';
      },
    },
  };
}

/** dbt's adapter.dispatch: `<adapter>__name`, then `default__name`, then `name`. */
export function dispatchMacro(engine: TemplateEngine, adapterType: string, name: string, namespace?: string): unknown {
  const prefix = namespace && namespace !== 'dbt' ? `${namespace}.` : '';
  for (const candidate of [`${adapterType}__${name}`, `default__${name}`]) {
    const fn = engine.globals[prefix + candidate] ?? engine.globals[candidate];
    if (typeof fn === 'function') return fn;
  }
  throw new KilnError('template', `no implementation of macro '${name}' for adapter '${adapterType}'`, {
    hint: `define ${adapterType}__${name} or default__${name}`,
  });
}

/** `var('x')` / `var('x', default)` for one node. */
export function varFunction(info: InvocationInfo, where: { file: string; node: string }): (name: string, dflt?: unknown) => unknown {
  const fn = (name: string, dflt?: unknown) => {
    const hit = info.vars(name);
    if (hit.found) return hit.value;
    if (dflt !== undefined) return dflt;
    throw new KilnError('template', `required var '${name}' not found (used by ${where.node})`, {
      file: where.file,
      hint: `define it under vars: in dbt_project.yml, pass --vars '{${name}: ...}', or give var() a default`,
    });
  };
  fn.has = (name: string) => info.vars(name).found;
  return fn;
}

/** A `config` object that is callable, with dbt's `config.get` and `config.require`. */
export function configObject(record: (kwargs: Record<string, unknown>) => void, current: () => Record<string, unknown>, file: string) {
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
