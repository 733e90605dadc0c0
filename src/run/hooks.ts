/**
 * `on-run-start` and `on-run-end` from dbt_project.yml: SQL run once around the nodes of
 * `run`, `build`, `seed`, `snapshot` and `test`, rendered with the invocation's Jinja context
 * (`target`, `var`, ...); `on-run-end` also sees `results` and `schemas`, as in dbt.
 */
import { KilnError, errorMessage } from '../errors.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { NodeResult } from './results.js';
import { varFunction } from '../template/context.js';

export interface RunHookContext {
  /** on-run-start: the nodes about to run, whose schemas are created first (as dbt does). */
  ids?: string[];
  /** on-run-end: the results of the run. */
  results?: NodeResult[];
}

export async function runProjectHooks(
  which: 'on-run-start' | 'on-run-end',
  parsed: ParsedProject,
  session: KilnSession,
  ctx: RunHookContext = {},
): Promise<number> {
  const { project } = parsed;
  const { engine, adapter } = session;
  const hooks = which === 'on-run-start' ? project.onRunStart : project.onRunEnd;
  const file = 'dbt_project.yml';
  const results = (ctx.results ?? []).map((r) => ({
    ...r,
    unique_id: r.uniqueId,
    node: parsed.manifest.nodes.get(r.uniqueId)
      ? { name: parsed.manifest.nodes.get(r.uniqueId)!.name, unique_id: r.uniqueId }
      : null,
  }));
  const built = (ctx.results ?? [])
    .map((r) => parsed.manifest.nodes.get(r.uniqueId))
    .filter((n) => n && n.resourceType !== 'test' && n.resourceType !== 'unit_test');
  const schemas = [...new Set(built.map((n) => n!.schema))];
  const databaseSchemas = [
    ...new Map(built.map((n) => [`${n!.database ?? ''}.${n!.schema}`, [n!.database, n!.schema]])).values(),
  ];
  const scope = {
    var: varFunction(session.info, { file, node: which }),
    this: undefined,
    results,
    schemas,
    database_schemas: databaseSchemas,
    execute: true,
  };
  if (which === 'on-run-start' && hooks.length) {
    const nodes = (ctx.ids ?? [])
      .map((id) => parsed.manifest.nodes.get(id))
      .filter((n) => n && n.resourceType !== 'test' && n.resourceType !== 'unit_test');
    const wanted = new Map(nodes.map((n) => [`${n!.database ?? ''}\u0000${n!.schema}`, n!]));
    for (const n of wanted.values()) await adapter.createSchema(n.database, n.schema);
  }
  let ran = 0;
  for (const [i, hook] of hooks.entries()) {
    const line = project.yaml.lineOf([which, i]) ?? project.yaml.lineOf([which]);
    const sql = engine.render(engine.compile(hook, file), scope, file).trim();
    if (!sql) continue;
    try {
      await adapter.execute(sql);
      ran++;
    } catch (e) {
      throw new KilnError('database', `${which} hook ${i + 1} failed: ${errorMessage(e)}`, { file, line, cause: e });
    }
  }
  return ran;
}
