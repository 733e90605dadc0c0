/**
 * Context values that need the whole parsed project: `graph` (dbt's flat graph: nodes,
 * sources, exposures, groups, macros, each entry in dbt's node shape from
 * src/parse/node-dict.ts, built on first use once parsing is over) and `doc()` in SQL files.
 */
import { KilnError } from '../errors.js';
import { noteVolatile } from '../template/render-reads.js';
import type { TemplateEngine } from '../template/engine.js';
import type { DocBlock, ExposureNode, GraphNode, GroupDef, MacroNode, SourceNode } from './nodes.js';
import {
  exposureDict,
  groupDict,
  macroDict,
  nodeDict,
  sourceDict,
  type DictOptions,
  type RelationNamer,
} from './node-dict.js';

interface ProjectView {
  nodes: Map<string, GraphNode>;
  sources: SourceNode[];
  docs: Map<string, Pick<DocBlock, 'name' | 'blockContents'>>;
  macros: Map<string, MacroNode>;
  exposures?: Map<string, ExposureNode>;
  groups?: Map<string, GroupDef>;
}

export function installLateGlobals(engine: TemplateEngine, p: ProjectView): void {
  const docsByName = new Map([...p.docs.values()].map((d) => [d.name, d.blockContents]));
  engine.setGlobal('doc', (a: string, b?: string) => {
    const found = docsByName.get(b ?? a);
    if (found === undefined)
      throw new KilnError('template', `doc('${b ?? a}') refers to a docs block that does not exist`, {
        hint: 'define it in a .md file: {% docs name %}...{% enddocs %}',
      });
    return found;
  });
  let graph: Record<string, unknown> | undefined;
  Object.defineProperty(engine.globals, 'graph', {
    configurable: true,
    enumerable: true,
    // graph holds every node: a render that reads it depends on the whole project.
    get: () => (
      noteVolatile('graph'),
      (graph ??= buildGraph(p, {
        flavor: 'context',
        relationName: relationNamer(engine),
        createdAt: Date.now() / 1000,
      }))
    ),
  });
}

/** Relation names as `api.Relation.create` renders them: the adapter's quoting, without importing it. */
function relationNamer(engine: TemplateEngine): RelationNamer | undefined {
  const api = engine.globals.api as
    { Relation?: { create?: (...args: unknown[]) => { render(): string } } } | undefined;
  const create = api?.Relation?.create;
  return create ? (database, schema, identifier) => create(database, schema, identifier).render() : undefined;
}

function buildGraph(p: ProjectView, opts: DictOptions): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  // Unit tests are not in dbt's graph.nodes.
  for (const n of p.nodes.values()) if (n.resourceType !== 'unit_test') nodes[n.uniqueId] = nodeDict(n, opts);
  const sources: Record<string, unknown> = {};
  for (const s of p.sources) sources[s.uniqueId] = sourceDict(s, opts);
  const macros: Record<string, unknown> = {};
  for (const m of p.macros.values()) macros[m.uniqueId] = macroDict(m, opts);
  const exposures: Record<string, unknown> = {};
  for (const e of p.exposures?.values() ?? []) exposures[e.uniqueId] = exposureDict(e, opts);
  const groups: Record<string, unknown> = {};
  for (const g of p.groups?.values() ?? []) groups[g.uniqueId] = groupDict(g, opts);
  return {
    nodes,
    sources,
    macros,
    exposures,
    metrics: {},
    groups,
    semantic_models: {},
    saved_queries: {},
    functions: {},
  };
}
