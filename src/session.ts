/**
 * One invocation's runtime objects, in one place: the warehouse adapter, the template engine
 * (dbt's context installed, macros registered by parse), the bridge that answers warehouse
 * queries while rendering, the invocation's id, flags and vars, and the resources the command
 * selected. The API creates a session per command and passes it down; the parse result stays
 * plain data. Nothing here reads project files or opens a connection.
 */
import { TemplateEngine, type Scope, type Template } from './template/engine.js';
import { invocationScope, type InvocationInfo } from './template/context.js';
import { WarehouseBridge } from './template/warehouse.js';
import { installLateGlobals } from './parse/graph-context.js';
import { targetContext, type TargetConfig } from './config/profiles.js';
import type { ProjectConfig } from './config/project.js';
import type { Adapter } from './adapters/types.js';
import { dispatchOrder, packageVars, type InstalledPackage } from './deps/installed.js';
import type { Manifest } from './parse/nodes.js';

export interface KilnSession {
  readonly adapter: Adapter;
  readonly engine: TemplateEngine;
  readonly warehouse: WarehouseBridge;
  /** What templates see of the invocation: id, target, flags, vars, `log()`. */
  readonly info: InvocationInfo;
  /**
   * dbt's invocation-wide context (`target`, `adapter`, `env_var`, `run_started_at`, ...): the engine's first globals.
   */
  readonly context: Scope;
  readonly invocationId: string;
  /** dbt's `selected_resources`: the unique ids the command selected (empty until it selects). */
  selectedResources: readonly string[];
}

export interface SessionInput {
  project: ProjectConfig;
  target: TargetConfig;
  adapter: Adapter;
  /** Installed packages (dbt_packages/): their versions and vars reach templates. */
  packages: InstalledPackage[];
  cliVars: Record<string, unknown>;
  invocationId: string;
  /** dbt's `flags` (FULL_REFRESH, WHICH, EMPTY, ...). */
  flags: Record<string, unknown>;
  /** Where a template's `log()` goes. */
  log: (message: string, level?: 'print') => void;
}

export function createSession(input: SessionInput): KilnSession {
  const { project, target, adapter, packages, cliVars } = input;
  const warehouse = new WarehouseBridge(adapter);
  const engine = new TemplateEngine();
  const renderedVars = new Map<string, Template>();
  const info: InvocationInfo = {
    projectName: project.name,
    adapterType: adapter.type,
    target: targetContext(target, adapter),
    vars: varLookup(project, cliVars),
    invocationId: input.invocationId,
    runStartedAt: new Date(),
    flags: input.flags,
    log: input.log,
    quoteIdentifier: (n) => adapter.quoteIdentifier(n),
    packages: packages.map((p) => ({ name: p.name, version: p.project.version })),
    dispatchOrder: dispatchOrder(project),
    varsFor: packageVars(project, packages, cliVars),
    adapter,
    warehouse,
    renderVar: (text) => {
      let template = renderedVars.get(text);
      if (!template) renderedVars.set(text, (template = engine.compile(text, 'dbt_project.yml')));
      return engine.render(template, {}, 'dbt_project.yml');
    },
  };
  const context = invocationScope(info, engine);
  for (const [k, v] of Object.entries(context)) engine.setGlobal(k, v);
  return { adapter, engine, warehouse, info, context, invocationId: input.invocationId, selectedResources: [] };
}

/** Records the command's selection, which templates read as `selected_resources`. */
export function selectResources(session: KilnSession, ids: string[]): void {
  session.engine.setGlobal('selected_resources', ids);
  session.selectedResources = ids;
}

/** Templates see the whole parsed project from here on: dbt's `graph` and `doc()` in SQL files. */
export function exposeProject(session: KilnSession, manifest: Manifest): void {
  installLateGlobals(session.engine, {
    nodes: manifest.nodes,
    sources: [...manifest.sources.values()],
    docs: manifest.docs,
    macros: manifest.macros,
    exposures: manifest.exposures,
    groups: manifest.groups,
  });
}

function varLookup(project: ProjectConfig, cli: Record<string, unknown>): InvocationInfo['vars'] {
  const scoped = project.vars[project.name];
  return (name) => {
    if (name in cli) return { found: true, value: cli[name] };
    if (scoped && typeof scoped === 'object' && name in scoped)
      return { found: true, value: (scoped as Record<string, unknown>)[name] };
    if (name in project.vars && name !== project.name) return { found: true, value: project.vars[name] };
    return { found: false };
  };
}
